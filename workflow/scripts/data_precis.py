"""The data summary of the lecture's rethinking::precis(d), as a table and as printed text."""

from mlmpipe import precis, validation
from mlmpipe.rulekit import rule_script

with rule_script(snakemake) as job:  # noqa: F821
    precis.write_precis(validation.read_processed(job.input[0]), job.output.table, job.output.text)
