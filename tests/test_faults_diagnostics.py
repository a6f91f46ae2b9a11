"""Fault suite: a hard model. m5 sampled with a tiny adapt_delta diverges; the divergences are
in its diagnostics, its log and a warning callout of its report section, and with
diagnostics.fail_run the run fails naming the model and the check."""

from __future__ import annotations

import json
import re

import pytest
from faults import assert_no_partial_files, run

pytestmark = [pytest.mark.faults, pytest.mark.slow]

# a short m5 (fewer iterations, large steps): fast, and it diverges
HARD_M5 = 'models={"m5": {"adapt_delta": 0.05, "iter": 1500, "warmup": 500}}'


def test_divergences_are_reported_and_fail_the_run_when_asked(fitted_copy):
    tree = fitted_copy
    section = "results/report/sections/model-m5"
    result = run(tree, "--cores", "2", section, config=[HARD_M5])
    assert result.returncode == 0, result.stderr[-3000:]
    diagnostics = json.loads((tree / "results/m5/diagnostics.json").read_text())
    assert diagnostics["ok"] is False and "divergent" in diagnostics["failed"]
    divergent = diagnostics["checks"]["divergent"]["value"]
    assert divergent > 10
    assert "FAILED checks: " in (tree / "results/m5/diagnostics.txt").read_text()
    log = (tree / "logs/posterior/m5_posterior.log").read_text()
    assert re.search(r"WARNING mlmpipe\.diagnostics: model m5 FAILED divergent check: ", log)
    text = (tree / section / "section.md").read_text()
    callouts = re.findall(r"::: ?\{\.callout-warning.*?\n:::", text, flags=re.S)
    assert any("m5 fails" in c and "divergent" in c for c in callouts), text[:3000]

    failing = 'diagnostics={"fail_run": true}'
    result = run(tree, "--cores", "2", "results/m5/diagnostics.json",
                 config=[HARD_M5, failing])  # fmt: skip
    assert result.returncode != 0
    assert (
        "model m5 failed the convergence checks divergent" in result.stderr
        and "(diagnostics.fail_run is true)" in result.stderr
    ), result.stderr[-3000:]
    assert "Error in rule posterior" in result.stderr
    assert not (tree / "results/m5/diagnostics.json").exists()
    assert_no_partial_files(tree)
