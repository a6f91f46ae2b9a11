"""Check the raw mlm.csv and write it as typed parquet."""

import logging
import sys

from mlmpipe import data
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

try:
    data.process(sm.input[0], sm.output[0], groups=sm.params.groups)
except data.DataError as error:  # the message names the problem; no traceback
    logging.error("%s", error)
    sys.exit(str(error))
record_snakemake_outputs(sm, config_keys=("data.groups",))
