"""epred draws for new people (max id + 1, + 2, ...), new levels allowed, and their mean_qi."""

from mlmpipe import tables
from mlmpipe.draws import mean_qi
from mlmpipe.posterior import load_fit
from mlmpipe.rulekit import rule_script
from mlmpipe.validation import read_processed

with rule_script(snakemake, config_keys=("draws", "highlight.new_people")) as job:  # noqa: F821
    fit = load_fit(job.input.posterior)
    p = job.params
    table = tables.new_people_draws(
        fit, read_processed(job.input.data), p.new_people, seed=p.seed, method=p.method
    )
    tables.write_table(table, job.output.draws)
    tables.write_table(mean_qi(table, width=p.width), job.output.table)
