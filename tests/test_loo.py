"""PSIS-LOO of one model, printed as the loo package prints it."""

from __future__ import annotations

import numpy as np
import pytest
from loo_synth import normal_model
from mlmpipe import loo
from scipy.special import logsumexp


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    return np.random.default_rng(5).normal(size=60)


def test_loo_estimates_match_exact_leave_one_out(y):
    # exact LOO here: y_i ~ normal(mean of the other y, sqrt(1 + 1/(n - 1)))
    result = loo.compute_loo(normal_model(y, range(60)), "m")
    n = len(y)
    loo_mean = (y.sum() - y) / (n - 1)
    scale2 = 1 + 1 / (n - 1)
    exact = -0.5 * (y - loo_mean) ** 2 / scale2 - 0.5 * np.log(2 * np.pi * scale2)
    assert result.pointwise["elpd_loo"].sum() == pytest.approx(exact.sum(), abs=0.1)
    est = result.estimates()
    assert est.loc["looic", "Estimate"] == pytest.approx(-2 * est.loc["elpd_loo", "Estimate"])
    # loo's SE: sqrt(n * var(pointwise)), var with n - 1
    assert est.loc["elpd_loo", "SE"] == pytest.approx(np.sqrt(n * np.var(exact, ddof=1)), rel=0.01)
    ll = normal_model(y, range(60)).log_likelihood["con"].values.reshape(4000, 60)
    lpd = logsumexp(ll, axis=0) - np.log(4000)
    assert est.loc["p_loo", "Estimate"] == pytest.approx((lpd - result.pointwise["elpd_loo"]).sum())
    assert (result.pointwise["pareto_k"] < 0.7).all()


def test_loo_printout_has_loos_layout(y):
    text = loo.compute_loo(normal_model(y, range(60)), "m").text()
    lines = text.splitlines()
    assert lines[:3] == ["", "Computed from 4000 by 60 log-likelihood matrix.", ""]
    assert lines[3] == "         Estimate  SE"
    assert lines[4].startswith("elpd_loo ") and lines[6].startswith("looic ")
    assert lines[7] == "------"
    assert lines[8].startswith("MCSE of elpd_loo is ")
    assert lines[9].startswith("MCSE and ESS estimates assume MCMC draws (r_eff in [")
    assert lines[-2:] == [
        "All Pareto k estimates are good (k < 0.7).",
        "See help('pareto-k-diagnostic') for details.",
    ]


def test_pareto_k_table_counts_bad_and_very_bad_observations(y):
    result = loo.compute_loo(normal_model(y, range(60)), "m")
    pointwise = result.pointwise.copy()
    pointwise.loc[[3, 4], "pareto_k"] = [0.8, 1.3]
    pointwise.loc[[3, 4], "ess"] = np.nan
    bad = loo.LooResult("m", 4000, pointwise, float("nan"), 0.7)
    table = bad.k_table()
    assert table["Count"].tolist() == [58, 1, 1]
    text = bad.text()
    min_ess = f"{pointwise['ess'].min():.0f}"
    assert "MCSE of elpd_loo is NA." in text
    assert (
        "Pareto k diagnostic values:\n"
        "                         Count Pct.    Min. ESS\n"
        f"(-Inf, 0.7]   (good)     58    96.7%   {min_ess.ljust(8)}\n"
        "   (0.7, 1]   (bad)       1     1.7%   <NA>    \n"
        "   (1, Inf)   (very bad)  1     1.7%   <NA>    \n"
        "See help('pareto-k-diagnostic') for details.\n"
    ) in text


def test_k_threshold_is_lower_for_few_draws():
    assert loo.k_threshold(4000) == 0.7
    assert loo.k_threshold(100) == pytest.approx(0.5)
