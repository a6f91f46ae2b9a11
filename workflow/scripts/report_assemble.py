"""Assemble the course report's fragments into one offline HTML file and a PDF."""

from pathlib import Path

from mlmpipe.report.assemble import assemble
from mlmpipe.rulekit import rule_script
from mlmpipe.runinfo import git_state, utc_now

with rule_script(snakemake, all_outputs=True) as job:  # noqa: F821
    git = git_state(str(Path(job.scriptdir)))
    footer = {"commit": git.get("commit"), "dirty": git.get("dirty"), "date": utc_now()}
    assemble(
        Path(job.input.main),
        html=Path(job.output.html),
        pdf=Path(job.output.pdf),
        footer=footer,
        renderer=job.params.renderer,
    )
