"""mean_qi of epred over the distinct predictor rows of the highlighted people."""

from mlmpipe import tables
from mlmpipe.posterior import load_fit
from mlmpipe.rulekit import rule_script
from mlmpipe.validation import read_processed

keys = ("draws.width", "highlight.trajectories")
with rule_script(snakemake, config_keys=keys) as job:  # noqa: F821
    fit = load_fit(job.input.posterior)
    ids = tables.highlighted_ids(job.params.ids, tables.person_levels(fit), key="trajectories")
    data = read_processed(job.input.data)
    table = tables.trajectories(fit, data, ids, width=job.params.width)
    tables.write_table(table, job.output.table)
    job.record_params["ids"] = ids
