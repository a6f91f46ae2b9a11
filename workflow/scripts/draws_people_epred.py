"""epred_draws for every person the model was fitted to (the pooling figures)."""

from mlmpipe import tables
from mlmpipe.posterior import load_fit
from mlmpipe.rulekit import rule_script

with rule_script(snakemake) as job:  # noqa: F821
    tables.write_table(tables.people_epred(load_fit(job.input.posterior)), job.output.draws)
