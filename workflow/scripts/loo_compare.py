"""loo_compare of a group of models fitted to the same rows (results/loo/compare_*)."""

import logging

from mlmpipe import compare
from mlmpipe.rulekit import rule_script

# The comparison's own group and the compared models' sections: a change to another model
# or another comparison leaves this one as it is, as it leaves the Snakemake job.
models = list(snakemake.params.models)  # noqa: F821
keys = ("loo_compare.{comparison}", *(f"models.{model}" for model in models))
with rule_script(snakemake, config_keys=keys) as job:  # noqa: F821
    table = compare.compare_files(models, list(job.input.pointwise))
    compare.write_compare(table, job.output.csv, job.output.txt)
    logging.info("comparison %s:\n%s", job.wildcards.comparison, compare.compare_text(table))
