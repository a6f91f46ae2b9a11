"""m2 epred draws for new people (max id + 1, + 2, ...), new levels allowed, and mean_qi."""

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

table = draws.new_people_draws(
    load_fit(sm.input.posterior),
    pd.read_parquet(sm.input.data),
    sm.params.new_people,
    seed=sm.params.seed,
    method=sm.params.method,
)
draws.write_table(table, sm.output.draws)
draws.write_table(draws.mean_qi(table, width=sm.params.width), sm.output.table)
record_snakemake_outputs(sm, config_keys=("draws", "highlight.new_people"))
