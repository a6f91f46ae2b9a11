"""Turn a model's CmdStan CSVs into posterior.nc (brms names) and variables.txt."""

import logging

from mlmpipe import fitting
from mlmpipe.models import load_specs
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("models.{model}", "sampling")) as job:  # noqa: F821
    spec = load_specs(job.config)[job.wildcards.model]
    model_data = fitting.load_model_data(spec, job.input.data)
    fitting.check_stan_data(model_data, job.input.standata)
    idata = fitting.inference_data(model_data, job.input.fit)
    fitting.write_inference_data(idata, job.output.posterior)
    fitting.write_variables(idata, job.output.variables)
    logging.info("model %s: %d variables", spec.name, len(fitting.brms_variables(idata)))
