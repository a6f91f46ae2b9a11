"""Write a model's brms-style summary (summary.csv, summary.txt)."""

import logging

import arviz as az
from mlmpipe import summary
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

idata = az.from_netcdf(sm.input.posterior)
table = summary.write_summary(idata, sm.output.csv, sm.output.txt)
logging.info("model %s: %d summary rows", sm.wildcards.model, len(table))
record_snakemake_outputs(sm, config_keys=("models.{model}", "sampling"))
