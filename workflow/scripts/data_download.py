"""Fetch mlm.csv (download or data.local_copy), verified against data.sha256."""

from pathlib import Path

from mlmpipe import fetch
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("data.sha256",)) as job:  # noqa: F821
    root = Path(job.scriptdir).resolve().parents[1]  # local_copy is relative to the repository
    result = fetch.obtain(job.config["data"], job.output[0], root=root)
    job.record_params.update(source=result.source, attempts=result.attempts)
