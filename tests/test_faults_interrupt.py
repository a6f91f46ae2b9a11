"""Fault suite: a run interrupted with Ctrl-C (SIGINT to the process group) or killed (SIGKILL
to the group, as a crash or a lost session) while a model samples, while posterior.nc is
written and while a report section is written. The rerun gives the uninterrupted run's
outputs (same seed: the same draws) and nothing partial is ever taken for a result: after
SIGKILL Snakemake refuses, naming the incomplete outputs, until run with --rerun-incomplete.

Each case works on a copy of the session's fitted tree and reruns the one job it stops."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import xarray as xr
from faults import (
    assert_no_partial_files,
    draws,
    interrupt,
    partial_files,
    run,
    running_samplers,
    same_draws,
    start,
    temporary_in,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGKILL, id="SIGKILL")]


def rerun_after(tree: Path, how: signal.Signals, *targets: str) -> None:
    """Rerun after an interruption as a user would, checking what Snakemake says on the way:
    after SIGKILL the lock is left (``--unlock`` removes it), and an output a killed job had
    already written is refused as incomplete until ``--rerun-incomplete``; outputs still under
    their temporary names do not exist for Snakemake, and their leftovers are removed."""
    if how == signal.SIGKILL:
        refused = run(tree, "--cores", "2", *targets)
        assert refused.returncode != 0
        assert "Error: Directory cannot be locked." in refused.stderr
        assert "It can be removed with the --unlock argument." in refused.stderr
        assert run(tree, "--unlock", "--cores", "1").returncode == 0
    result = run(tree, "--cores", "2", *targets)
    if result.returncode != 0:
        assert "The files below seem to be incomplete" in result.stderr, result.stderr[-3000:]
        assert "--rerun-incomplete" in result.stderr
        result = run(tree, "--cores", "2", "--rerun-incomplete", *targets)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_no_partial_files(tree)


@pytest.mark.parametrize("how", SIGNALS)
def test_stopped_while_sampling_the_rerun_gives_the_same_draws(fitted_copy, fitted_tree, how):
    # m5's chains (5000 iterations) sample for seconds; m2's can end before the signal lands
    tree = fitted_copy
    targets = ["results/m5/fit", "results/m5/posterior.nc"]
    process = start(tree, "--cores", "2", "--forcerun", "sample_model", "--", *targets)
    wait_for(lambda: len(running_samplers(tree)) > 0, what="m5's chains to start")
    interrupt(process, how)
    assert running_samplers(tree) == []
    assert not (tree / "results/m5/fit").exists()  # never a partial fit under its real name
    if how == signal.SIGINT:
        assert_no_partial_files(tree)
    rerun_after(tree, how, *targets)
    for chain in range(1, 5):
        name = f"results/m5/fit/m5-{chain}.csv"
        assert same_draws(tree / name, fitted_tree / name)
    xr.testing.assert_equal(draws(tree, "m5"), draws(fitted_tree, "m5"))


@pytest.mark.parametrize("how", SIGNALS)
def test_stopped_while_writing_the_posterior_nothing_partial_is_kept(
    fitted_copy, fitted_tree, how
):
    tree = fitted_copy
    target = "results/m5/posterior.nc"
    process = start(tree, "--cores", "2", "--forcerun", "posterior", "--", target)
    wait_for(
        lambda: temporary_in(tree / "results/m5", ".posterior.nc."), what="posterior.nc's write"
    )
    interrupt(process, how)
    if (tree / target).exists():  # never a partial posterior under its name: the old one
        xr.testing.assert_equal(draws(tree, "m5"), draws(fitted_tree, "m5"))
    if how == signal.SIGKILL:
        assert any(p.startswith("results/m5/.posterior.nc.") for p in partial_files(tree))
    else:
        assert_no_partial_files(tree)
    rerun_after(tree, how, target)
    xr.testing.assert_equal(draws(tree, "m5"), draws(fitted_tree, "m5"))


@pytest.mark.parametrize("how", SIGNALS)
def test_stopped_while_writing_a_report_section_it_is_written_again(
    fitted_copy, fitted_tree, how
):
    tree = fitted_copy
    target = "results/report/sections/model-m1"
    process = start(tree, "--cores", "2", "--forcerun", "report_model_section", "--", target)
    sections = tree / "results/report/sections"
    wait_for(lambda: temporary_in(sections, ".model-m1."), what="the section's write")
    interrupt(process, how)
    if (tree / target).exists():  # never a partial section under its name: the old one
        assert (tree / target / "section.md").read_text() == (
            fitted_tree / target / "section.md"
        ).read_text()
    rerun_after(tree, how, target)
    made = sorted(p.name for p in (tree / target).iterdir())
    assert made == sorted(p.name for p in (fitted_tree / target).iterdir())
    assert (tree / target / "section.md").read_text() == (
        fitted_tree / target / "section.md"
    ).read_text()
