"""Execute one section of the course report (reports/**/*.qmd) into its frozen fragment."""

from pathlib import Path

from mlmpipe.fileio import write_text_atomic
from mlmpipe.report import execute_section
from mlmpipe.report.labels import suffix_labels
from mlmpipe.rulekit import rule_script

with rule_script(snakemake, config_keys=("report",)) as job:  # noqa: F821
    fragment = execute_section(
        Path(job.input.source),
        Path(job.output[0]),
        dict(job.params.params),
        timeout=float(job.params.timeout),
        cwd=Path.cwd(),
        renderer=job.params.renderer,
        title_heading=not job.params.label_suffix,
    )
    if job.params.label_suffix:  # one source, one fragment per model: labels made unique
        text = fragment.read_text(encoding="utf-8")
        write_text_atomic(fragment, suffix_labels(text, job.params.label_suffix))
