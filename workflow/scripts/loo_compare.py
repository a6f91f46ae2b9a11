"""loo_compare of a group of models fitted to the same rows (results/loo/compare_*)."""

import logging
import sys

from mlmpipe import compare
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

try:
    table = compare.compare_files(sm.params.models, list(sm.input.pointwise))
except compare.LooCompareError as error:
    logging.error("%s", error)
    sys.exit(str(error))
compare.write_compare(table, sm.output.csv, sm.output.txt)
logging.info("comparison %s:\n%s", sm.wildcards.comparison, compare.compare_text(table))
record_snakemake_outputs(sm, config_keys=("loo_compare", "models"))
