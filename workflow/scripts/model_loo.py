"""PSIS-LOO of one model (loo.txt as the loo package prints it, loo.csv, loo_pointwise.csv)."""

import logging

import arviz as az
from mlmpipe import loo
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("models.{model}", "sampling")) as job:  # noqa: F821
    result = loo.compute_loo(az.from_netcdf(job.input.posterior), job.wildcards.model)
    loo.write_loo(result, job.output.txt, job.output.csv, job.output.pointwise)
    logging.info("model %s:\n%s", job.wildcards.model, result.text())
