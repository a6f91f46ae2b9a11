"""From a model's CmdStan CSVs: posterior.nc (brms names), variables.txt, the brms-style
summary, the convergence diagnostics and PSIS-LOO, in one process."""

import logging

from mlmpipe import diagnostics, loo, posterior, standata, summary
from mlmpipe.models import load_specs
from mlmpipe.rulekit import rule_script

keys = ("models.{model}", "sampling", "diagnostics")
with rule_script(snakemake, config_keys=keys) as job:  # noqa: F821
    out, name = job.output, job.wildcards.model
    spec = load_specs(job.config)[name]
    model_data = standata.load_model_data(spec, job.input.data)
    standata.check_stan_data(model_data, job.input.standata)
    idata = posterior.inference_data(model_data, job.input.fit)
    posterior.write_inference_data(idata, out.posterior)
    posterior.write_variables(idata, out.variables)
    logging.info("model %s: %d variables", name, len(posterior.brms_variables(idata)))
    table = summary.write_summary(idata, out.summary_csv, out.summary_txt)
    logging.info("model %s: %d summary rows", name, len(table))
    result = loo.compute_loo(idata, name)
    loo.write_loo(result, out.loo_txt, out.loo_csv, out.loo_pointwise)
    logging.info("model %s:\n%s", name, result.text())
    checks = diagnostics.check_fit(idata, job.params.thresholds, model=name)
    diagnostics.log_result(checks)
    diagnostics.enforce(checks)
    diagnostics.write_diagnostics(checks, out.diagnostics_json, out.diagnostics_txt)
