"""Turn a model's CmdStan CSVs into posterior.nc (brms names) and variables.txt."""

import logging
import sys

from mlmpipe import fitting
from mlmpipe.models import load_specs
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

spec = load_specs(sm.config)[sm.wildcards.model]
try:
    model_data = fitting.load_model_data(spec, sm.input.data)
    fitting.check_stan_data(model_data, sm.input.standata)
    idata = fitting.inference_data(model_data, sm.input.fit)
except (FileNotFoundError, ValueError, fitting.FitError) as error:
    logging.error("%s", error)
    sys.exit(str(error))
fitting.write_inference_data(idata, sm.output.posterior)
fitting.write_variables(idata, sm.output.variables)
logging.info("model %s: %d variables", spec.name, len(fitting.brms_variables(idata)))
record_snakemake_outputs(sm, config_keys=("models.{model}", "sampling"))
