"""epred_draws for every person the model was fitted to (the pooling figures)."""

import logging

from mlmpipe import draws
from mlmpipe.models import load_fit
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

draws.write_table(draws.people_epred(load_fit(sm.input.posterior)), sm.output.draws)
record_snakemake_outputs(sm)
