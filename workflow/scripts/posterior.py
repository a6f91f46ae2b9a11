"""Turn a model's CmdStan CSVs into posterior.nc (brms names) and variables.txt."""

import logging

from mlmpipe import posterior, standata
from mlmpipe.models import load_specs
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("models.{model}", "sampling")) as job:  # noqa: F821
    spec = load_specs(job.config)[job.wildcards.model]
    model_data = standata.load_model_data(spec, job.input.data)
    standata.check_stan_data(model_data, job.input.standata)
    idata = posterior.inference_data(model_data, job.input.fit)
    posterior.write_inference_data(idata, job.output.posterior)
    posterior.write_variables(idata, job.output.variables)
    logging.info("model %s: %d variables", spec.name, len(posterior.brms_variables(idata)))
