"""Write a model's Stan data (data.json) and its rows and levels (model_frame.json)."""

import logging
import sys

from mlmpipe import fitting
from mlmpipe.models import ModelDataError, load_specs
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
except (ModelDataError, fitting.PriorError) as error:
    logging.error("%s", error)
    sys.exit(str(error))
fitting.write_model_data(model_data, sm.output.data, sm.output.frame)
frame = model_data.frame
logging.info(
    "model %s: %d of %d rows (%d dropped for a missing value in %s)",
    spec.name,
    frame.n_rows,
    frame.n_input_rows,
    frame.n_dropped,
    ", ".join(spec.columns),
)
record_snakemake_outputs(sm, config_keys=("models.{model}",))
