"""Check a model's convergence against the config's thresholds (diagnostics.json/.txt)."""

import arviz as az
from mlmpipe import diagnostics
from mlmpipe.rulekit import rule_script

keys = ("models.{model}", "sampling", "diagnostics")
with rule_script(snakemake, config_keys=keys) as job:  # noqa: F821
    idata = az.from_netcdf(job.input.posterior)
    result = diagnostics.check_fit(idata, job.params.thresholds, model=job.wildcards.model)
    diagnostics.log_result(result)
    diagnostics.enforce(result)
    diagnostics.write_diagnostics(result, job.output.json, job.output.txt)
