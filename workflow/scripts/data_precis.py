"""The data summary of the lecture's rethinking::precis(d), as a table and as printed text."""

from mlmpipe import data
from mlmpipe.rulekit import rule_script

with rule_script(snakemake) as job:  # noqa: F821
    data.write_precis(data.read_processed(job.input[0]), job.output.table, job.output.text)
