"""Convergence checks against the config's thresholds, flagged loudly or stopping the run."""

from __future__ import annotations

import logging

import arviz as az
import numpy as np
import pytest
from mlmpipe import diagnostics

THRESHOLDS = {
    "max_rhat": 1.01,
    "min_bulk_ess": 400,
    "min_tail_ess": 400,
    "max_divergent": 0,
    "max_treedepth_hits": 0,
    "min_ebfmi": 0.3,
    "fail_run": False,
}


def fit(*, shift: float = 0.0, divergent: int = 0, depth_hits: int = 0, sticky: bool = False):
    """A hand-made fit: 4 chains x 1000 draws of two parameters and the sampler's stats."""
    rng = np.random.default_rng(8)
    shape = (4, 1000)
    theta = rng.normal(size=shape)
    theta[3] += shift
    energy = rng.normal(size=shape)
    if sticky:  # a random walk: tiny energy changes between draws, E-BFMI near 0
        energy[1] = np.cumsum(rng.normal(size=1000))
    diverging = np.zeros(shape, dtype=bool)
    diverging.flat[:divergent] = True
    tree_depth = np.full(shape, 3)
    tree_depth.flat[:depth_hits] = 10
    idata = az.from_dict(
        posterior={"b_week": theta, "r_id": rng.normal(size=(*shape, 2, 1))},
        sample_stats={"diverging": diverging, "tree_depth": tree_depth, "energy": energy},
        coords={"id": [6, 29], "term": ["Intercept"]},
        dims={"r_id": ["id", "term"]},
    )
    idata.posterior.attrs["max_treedepth"] = 10
    return idata


def test_a_healthy_fit_passes_every_check():
    result = diagnostics.check_fit(fit(), THRESHOLDS, model="m3")
    assert result["ok"] and result["failed"] == []
    assert set(result["checks"]) == {
        "divergent",
        "treedepth",
        "ebfmi",
        "rhat",
        "bulk_ess",
        "tail_ess",
    }
    assert len(result["checks"]["ebfmi"]["per_chain"]) == 4
    assert diagnostics.report_text(result).endswith("All checks passed.\n")


def test_divergences_and_treedepth_hits_are_counted_and_flagged():
    result = diagnostics.check_fit(fit(divergent=3, depth_hits=5), THRESHOLDS, model="m5")
    assert result["failed"] == ["divergent", "treedepth"]
    assert result["checks"]["divergent"]["message"] == (
        "3 of 4000 (0.075%) transitions ended with a divergence."
    )
    assert result["checks"]["treedepth"]["message"] == (
        "5 of 4000 (0.12%) transitions hit the maximum treedepth limit of 10."
    )


def test_rhat_names_the_worst_variable():
    result = diagnostics.check_fit(fit(shift=2.0), THRESHOLDS, model="m4")
    assert "rhat" in result["failed"] and "bulk_ess" in result["failed"]
    assert result["checks"]["rhat"]["variable"] == "b_week"
    assert result["checks"]["rhat"]["message"].endswith(", for b_week, above 1.01.")


def test_low_ebfmi_names_the_chain():
    result = diagnostics.check_fit(fit(sticky=True), THRESHOLDS, model="m2")
    assert result["failed"] == ["ebfmi"]
    assert result["checks"]["ebfmi"]["message"].startswith("Chain(s) 2 had an E-BFMI below 0.3")


def test_failures_are_logged_as_warnings_naming_the_model(caplog):
    result = diagnostics.check_fit(fit(divergent=1), THRESHOLDS, model="m5")
    with caplog.at_level(logging.WARNING, logger="mlmpipe.diagnostics"):
        diagnostics.log_result(result)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].getMessage() == (
        "model m5 FAILED divergent check: 1 of 4000 (0.025%) transitions ended with a divergence."
    )
    diagnostics.enforce(result)  # fail_run is false: flagged, not stopped


def test_fail_run_stops_with_the_model_and_the_failed_checks():
    result = diagnostics.check_fit(fit(divergent=2), {**THRESHOLDS, "fail_run": True}, model="m5")
    with pytest.raises(diagnostics.DiagnosticsError) as error:
        diagnostics.enforce(result)
    assert str(error.value).startswith(
        "model m5 failed the convergence checks divergent (diagnostics.fail_run is true): "
        "divergent: 2 of 4000"
    )


def test_diagnostics_json_has_the_flag_for_the_report(tmp_path):
    import json

    result = diagnostics.check_fit(fit(divergent=1), THRESHOLDS, model="m5")
    diagnostics.write_diagnostics(result, tmp_path / "d.json", tmp_path / "d.txt")
    written = json.loads((tmp_path / "d.json").read_text())
    assert written["ok"] is False and written["failed"] == ["divergent"]
    assert "[FAILED] divergent:" in (tmp_path / "d.txt").read_text()
