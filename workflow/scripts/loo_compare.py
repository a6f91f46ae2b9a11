"""loo_compare of a group of models fitted to the same rows (results/loo/compare_*)."""

import logging

from mlmpipe import compare
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("loo_compare", "models")) as job:  # noqa: F821
    table = compare.compare_files(job.params.models, list(job.input.pointwise))
    compare.write_compare(table, job.output.csv, job.output.txt)
    logging.info("comparison %s:\n%s", job.wildcards.comparison, compare.compare_text(table))
