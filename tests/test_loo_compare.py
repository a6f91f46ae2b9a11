"""PSIS-LOO per model and loo_compare, printed as the loo package prints them."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
from mlmpipe import loo
from scipy.special import logsumexp

LECTURE_COMPARE = (
    "   elpd_diff se_diff elpd_loo se_elpd_loo p_loo  se_p_loo looic  se_looic\n"
    "m2    0.0       0.0   314.5     11.0        63.9    5.1   -628.9   22.0  \n"
    "m1  -17.1       5.9   297.4      9.2        83.6    5.2   -594.7   18.5  \n"
)


def normal_model(y: np.ndarray, rows, seed: int = 0) -> az.InferenceData:
    """The posterior of a normal mean with known sd 1 (flat prior), and its log-likelihood."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(y.mean(), 1 / np.sqrt(len(y)), size=(4, 1000))
    ll = -0.5 * (y[None, None, :] - mu[..., None]) ** 2 - 0.5 * np.log(2 * np.pi)
    return az.from_dict(
        posterior={"mu": mu},
        log_likelihood={"con": ll},
        observed_data={"con": y},
        coords={"obs": list(rows)},
        dims={"con": ["obs"]},
    )


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


def test_compare_prints_the_lectures_table():
    table = pd.DataFrame(
        {
            "elpd_diff": [0.0, -17.1], "se_diff": [0.0, 5.9], "elpd_loo": [314.5, 297.4],
            "se_elpd_loo": [11.0, 9.2], "p_loo": [63.9, 83.6], "se_p_loo": [5.1, 5.2],
            "looic": [-628.9, -594.7], "se_looic": [22.0, 18.5],
        },
        index=["m2", "m1"],
    )  # fmt: skip
    assert loo.compare_text(table) == LECTURE_COMPARE


def test_compare_puts_the_best_model_first_with_pointwise_differences(y):
    good = loo.compute_loo(normal_model(y, range(60)), "good").pointwise
    worse = good.copy()
    worse["elpd_loo"] -= np.linspace(0, 1, 60)  # lower elpd, by a known amount per row
    worse = worse.sample(frac=1, random_state=1)  # rows in another order: matched by obs
    table = loo.compare({"worse": worse, "good": good})
    assert list(table.index) == ["good", "worse"]
    assert table.loc["good", ["elpd_diff", "se_diff"]].tolist() == [0.0, 0.0]
    assert table.loc["worse", "elpd_diff"] == pytest.approx(-30.0)
    diff = -np.linspace(0, 1, 60)
    assert table.loc["worse", "se_diff"] == pytest.approx(np.sqrt(60 * np.var(diff, ddof=1)))


def test_models_fitted_to_different_row_counts_are_refused(y):
    m1 = loo.compute_loo(normal_model(y, range(60)), "m1").pointwise
    m3 = loo.compute_loo(normal_model(y[:57], range(57)), "m3").pointwise
    with pytest.raises(loo.LooCompareError) as error:
        loo.compare({"m1": m1, "m3": m3})
    assert str(error.value).startswith(
        "cannot compare m1 (60 rows), m3 (57 rows): LOO comparisons need models fitted to "
        "the same rows"
    )


def test_models_fitted_to_different_rows_of_the_same_count_are_refused(y):
    a = loo.compute_loo(normal_model(y, range(60)), "a").pointwise
    b = loo.compute_loo(normal_model(y, range(1, 61)), "b").pointwise
    with pytest.raises(loo.LooCompareError, match=r"both have 60 rows but not the same ones"):
        loo.compare({"a": a, "b": b})


def test_loo_files_round_trip(tmp_path, y):
    result = loo.compute_loo(normal_model(y, range(60)), "m2")
    loo.write_loo(result, tmp_path / "loo.txt", tmp_path / "loo.csv", tmp_path / "pw.csv")
    estimates = pd.read_csv(tmp_path / "loo.csv")
    assert estimates["quantity"].tolist()[:4] == ["elpd_loo", "p_loo", "looic", "mcse_elpd_loo"]
    assert estimates["n_obs"].iloc[0] == 60
    back = loo.read_pointwise(tmp_path / "pw.csv")
    assert back["obs"].tolist() == list(range(60))
    table = loo.compare_files(["a", "b"], [tmp_path / "pw.csv", tmp_path / "pw.csv"])
    loo.write_compare(table, tmp_path / "c.csv", tmp_path / "c.txt")
    assert (tmp_path / "c.txt").read_text().splitlines()[0].split() == list(loo.COMPARE_COLUMNS)
