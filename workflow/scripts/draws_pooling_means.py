"""mean_qi of every person's expected value under no pooling and partial pooling."""

import pandas as pd
from mlmpipe import tables
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("draws.width",)) as job:  # noqa: F821
    people = {
        "no pooling": pd.read_parquet(job.input.no_pooling),
        "partial pooling": pd.read_parquet(job.input.partial_pooling),
    }
    tables.write_table(tables.pooling_means(people, width=job.params.width), job.output.table)
