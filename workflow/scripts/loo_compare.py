"""loo_compare of a group of models fitted to the same rows (results/loo/compare_*)."""

import logging

from mlmpipe import loo
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("loo_compare", "models")) as job:  # noqa: F821
    table = loo.compare_files(job.params.models, list(job.input.pointwise))
    loo.write_compare(table, job.output.csv, job.output.txt)
    logging.info("comparison %s:\n%s", job.wildcards.comparison, loo.compare_text(table))
