"""Draw one lecture figure (``params.figure``) from the rule's named inputs as PNG and SVG.
What it reads and how it is drawn: mlmpipe.figures.registry."""

from mlmpipe.figures.render import render_figure
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("figures", "highlight")) as job:  # noqa: F821
    inputs = {name: path for name, path in job.input.items() if name != "code"}
    render_figure(job.params.figure, inputs, [job.output.png, job.output.svg], job.config)
