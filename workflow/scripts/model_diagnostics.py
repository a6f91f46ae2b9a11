"""Check a model's convergence against the config's thresholds (diagnostics.json/.txt)."""

import logging
import sys

import arviz as az
from mlmpipe import diagnostics
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

idata = az.from_netcdf(sm.input.posterior)
result = diagnostics.check_fit(idata, sm.params.thresholds, model=sm.wildcards.model)
diagnostics.log_result(result)
try:
    diagnostics.enforce(result)
except diagnostics.DiagnosticsError as error:
    logging.error("%s", error)
    sys.exit(str(error))
diagnostics.write_diagnostics(result, sm.output.json, sm.output.txt)
record_snakemake_outputs(sm, config_keys=("models.{model}", "sampling", "diagnostics"))
