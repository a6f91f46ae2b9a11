"""The data summary of the lecture's rethinking::precis(d), as a table and as printed text."""

import logging

from mlmpipe import data
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

data.write_precis(data.read_processed(sm.input[0]), sm.output.table, sm.output.text)
record_snakemake_outputs(sm)
