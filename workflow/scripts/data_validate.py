"""Check the raw mlm.csv and write it as typed parquet."""

from mlmpipe import validation
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("data.groups",)) as job:  # noqa: F821
    validation.process(job.input[0], job.output[0], groups=job.params.groups)
