"""The report's per-model part: one include of each model's section fragment, in config order."""

from mlmpipe.fileio import write_text_atomic
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("report",)) as job:  # noqa: F821
    lines = [f"{{{{< include model-{model}/section.md >}}}}\n" for model in job.params.models]
    write_text_atomic(job.output[0], "# The models\n\n" + "\n".join(lines))
