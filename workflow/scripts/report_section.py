"""Execute one section of the course report (reports/**/*.qmd) into its frozen fragment."""

from pathlib import Path

from mlmpipe.report import execute_section
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, record=False) as job:  # noqa: F821
    execute_section(
        Path(job.input.source),
        Path(job.output[0]),
        dict(job.params.params),
        timeout=float(job.params.timeout),
        cwd=Path.cwd(),
        renderer=job.params.renderer,
        title_heading=not job.params.label_suffix,
        label_suffix=job.params.label_suffix or None,
    )
