"""The first rows of spread_draws(b_Intercept, sigma, sd_id__Intercept) and of
spread_draws(r_id[id, term]), as the lecture prints them."""

from mlmpipe import tables
from mlmpipe.posterior import load_fit
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("draws.head_rows",)) as job:  # noqa: F821
    scalars, varying = tables.spread_heads(load_fit(job.input.posterior), rows=job.params.rows)
    tables.write_table(scalars, job.output.spread)
    tables.write_table(varying, job.output.r_id)
