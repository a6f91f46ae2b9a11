"""m2 person means (b_Intercept + r_id): draws, and mean_qi beside the raw means and the
no-pooling (m1) estimates."""

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

person_draws, summary = draws.person_means(
    load_fit(sm.input.posterior),
    pd.read_parquet(sm.input.no_pooling),
    pd.read_parquet(sm.input.data),
    width=sm.params.width,
)
draws.write_table(person_draws, sm.output.draws)
draws.write_table(summary, sm.output.table)
record_snakemake_outputs(sm, config_keys=("draws.width",))
