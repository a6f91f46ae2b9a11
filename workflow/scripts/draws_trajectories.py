"""mean_qi of epred over the distinct predictor rows of the highlighted people (m3, m4)."""

import logging

import pandas as pd
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
ids = draws.highlighted_ids(sm.params.ids, draws.person_levels(fit), key="trajectories")
table = draws.trajectories(fit, pd.read_parquet(sm.input.data), ids, width=sm.params.width)
draws.write_table(table, sm.output.table)
record_snakemake_outputs(
    sm, config_keys=("draws.width", "highlight.trajectories"), params={"ids": ids}
)
