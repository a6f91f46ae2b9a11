"""mean_qi of every person's expected value under no pooling (m1) and partial pooling (m2)."""

import logging

import pandas as pd
from mlmpipe import draws
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

tables = {
    "no pooling": pd.read_parquet(sm.input.no_pooling),
    "partial pooling": pd.read_parquet(sm.input.partial_pooling),
}
draws.write_table(draws.pooling_means(tables, width=sm.params.width), sm.output.table)
record_snakemake_outputs(sm, config_keys=("draws.width",))
