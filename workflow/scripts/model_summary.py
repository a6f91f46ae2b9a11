"""Write a model's brms-style summary (summary.csv, summary.txt)."""

import logging

import arviz as az
from mlmpipe import summary
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("models.{model}", "sampling")) as job:  # noqa: F821
    idata = az.from_netcdf(job.input.posterior)
    table = summary.write_summary(idata, job.output.csv, job.output.txt)
    logging.info("model %s: %d summary rows", job.wildcards.model, len(table))
