"""Assemble the course report's fragments into one offline HTML file and a PDF.

The main document is copied beside the fragments (results/report/course-report.qmd) with its
includes pointed at them, so the report is made from this run's fragments whatever the
working folder (`--directory`) and wherever the sources live."""

from pathlib import Path

from mlmpipe.fileio import write_text_atomic
from mlmpipe.report.assemble import assemble
from mlmpipe.report.includes import relocate_includes
from mlmpipe.rulekit import rule_script
from mlmpipe.runinfo import git_state, utc_now

with rule_script(snakemake, config_keys=("report",), all_outputs=True) as job:  # noqa: F821
    source = Path(job.input.main)
    entry = Path(job.output.main)
    # the main document's includes are relative to the run's reports/ folder
    text = relocate_includes(source.read_text(encoding="utf-8"), Path("reports"), entry.parent)
    write_text_atomic(entry, text)
    git = git_state(str(Path(job.scriptdir)))
    footer = {"commit": git.get("commit"), "dirty": git.get("dirty"), "date": utc_now()}
    assemble(
        entry,
        html=Path(job.output.html),
        pdf=Path(job.output.pdf),
        footer=footer,
        renderer=job.params.renderer,
    )
