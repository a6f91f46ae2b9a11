"""epred and predicted draws for the highlighted people, and their mean_qi."""

from mlmpipe import tables
from mlmpipe.draws import mean_qi
from mlmpipe.posterior import load_fit
from mlmpipe.rulekit import rule_script

keys = ("draws", "highlight.predictions")
with rule_script(snakemake, config_keys=keys) as job:  # noqa: F821
    fit = load_fit(job.input.posterior)
    ids = tables.highlighted_ids(job.params.ids, tables.person_levels(fit), key="predictions")
    epred, predicted = tables.selected_draws(fit, ids, seed=job.params.seed)
    tables.write_table(epred, job.output.epred)
    tables.write_table(predicted, job.output.predicted)
    tables.write_table(mean_qi(epred, width=job.params.width), job.output.epred_table)
    tables.write_table(mean_qi(predicted, width=job.params.width), job.output.predicted_table)
    job.record_params["ids"] = ids
