"""PSIS-LOO of one model (loo.txt as the loo package prints it, loo.csv, loo_pointwise.csv)."""

import logging

import arviz as az
from mlmpipe import loo
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
logging.captureWarnings(True)
sm = snakemake  # noqa: F821

idata = az.from_netcdf(sm.input.posterior)
result = loo.compute_loo(idata, sm.wildcards.model)
loo.write_loo(result, sm.output.txt, sm.output.csv, sm.output.pointwise)
logging.info("model %s:\n%s", sm.wildcards.model, result.text())
record_snakemake_outputs(sm, config_keys=("models.{model}", "sampling"))
