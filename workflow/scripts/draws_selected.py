"""m2 epred and predicted draws for the highlighted people, and their mean_qi."""

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

fit = load_fit(sm.input.posterior)
ids = draws.highlighted_ids(sm.params.ids, draws.person_levels(fit), key="predictions")
epred, predicted = draws.selected_draws(fit, ids, seed=sm.params.seed)
draws.write_table(epred, sm.output.epred)
draws.write_table(predicted, sm.output.predicted)
draws.write_table(draws.mean_qi(epred, width=sm.params.width), sm.output.epred_table)
draws.write_table(draws.mean_qi(predicted, width=sm.params.width), sm.output.predicted_table)
record_snakemake_outputs(sm, config_keys=("draws", "highlight.predictions"), params={"ids": ids})
