"""Person means (b_Intercept + r_id): draws, and mean_qi beside the raw means and the
no-pooling estimates."""

import pandas as pd
from mlmpipe import tables
from mlmpipe.posterior import load_fit
from mlmpipe.rulekit import rule_script
from mlmpipe.validation import read_processed

with rule_script(snakemake, config_keys=("draws.width",)) as job:  # noqa: F821
    person_draws, summary = tables.person_means(
        load_fit(job.input.posterior),
        pd.read_parquet(job.input.no_pooling),
        read_processed(job.input.data),
        width=job.params.width,
    )
    tables.write_table(person_draws, job.output.draws)
    tables.write_table(summary, job.output.table)
