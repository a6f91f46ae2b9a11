"""loo_compare across models, printed as the loo package prints it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from loo_synth import normal_model
from mlmpipe import compare, loo

LECTURE_COMPARE = (
    "   elpd_diff se_diff elpd_loo se_elpd_loo p_loo  se_p_loo looic  se_looic\n"
    "m2    0.0       0.0   314.5     11.0        63.9    5.1   -628.9   22.0  \n"
    "m1  -17.1       5.9   297.4      9.2        83.6    5.2   -594.7   18.5  \n"
)


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    return np.random.default_rng(5).normal(size=60)


def test_compare_prints_the_lectures_table():
    table = pd.DataFrame(
        {
            "elpd_diff": [0.0, -17.1], "se_diff": [0.0, 5.9], "elpd_loo": [314.5, 297.4],
            "se_elpd_loo": [11.0, 9.2], "p_loo": [63.9, 83.6], "se_p_loo": [5.1, 5.2],
            "looic": [-628.9, -594.7], "se_looic": [22.0, 18.5],
        },
        index=["m2", "m1"],
    )  # fmt: skip
    assert compare.compare_text(table) == LECTURE_COMPARE


def test_compare_puts_the_best_model_first_with_pointwise_differences(y):
    good = loo.compute_loo(normal_model(y, range(60)), "good").pointwise
    worse = good.copy()
    worse["elpd_loo"] -= np.linspace(0, 1, 60)  # lower elpd, by a known amount per row
    worse = worse.sample(frac=1, random_state=1)  # rows in another order: matched by obs
    table = compare.compare({"worse": worse, "good": good})
    assert list(table.index) == ["good", "worse"]
    assert table.loc["good", ["elpd_diff", "se_diff"]].tolist() == [0.0, 0.0]
    assert table.loc["worse", "elpd_diff"] == pytest.approx(-30.0)
    diff = -np.linspace(0, 1, 60)
    assert table.loc["worse", "se_diff"] == pytest.approx(np.sqrt(60 * np.var(diff, ddof=1)))


def test_models_fitted_to_different_row_counts_are_refused(y):
    m1 = loo.compute_loo(normal_model(y, range(60)), "m1").pointwise
    m3 = loo.compute_loo(normal_model(y[:57], range(57)), "m3").pointwise
    with pytest.raises(compare.LooCompareError) as error:
        compare.compare({"m1": m1, "m3": m3})
    assert str(error.value).startswith(
        "cannot compare m1 (60 rows), m3 (57 rows): LOO comparisons need models fitted to "
        "the same rows"
    )


def test_models_fitted_to_different_rows_of_the_same_count_are_refused(y):
    a = loo.compute_loo(normal_model(y, range(60)), "a").pointwise
    b = loo.compute_loo(normal_model(y, range(1, 61)), "b").pointwise
    with pytest.raises(compare.LooCompareError, match=r"both have 60 rows but not the same ones"):
        compare.compare({"a": a, "b": b})


def test_loo_files_round_trip(tmp_path, y):
    result = loo.compute_loo(normal_model(y, range(60)), "m2")
    loo.write_loo(result, tmp_path / "loo.txt", tmp_path / "loo.csv", tmp_path / "pw.csv")
    estimates = pd.read_csv(tmp_path / "loo.csv")
    assert estimates["quantity"].tolist()[:4] == ["elpd_loo", "p_loo", "looic", "mcse_elpd_loo"]
    assert estimates["n_obs"].iloc[0] == 60
    back = compare.read_pointwise(tmp_path / "pw.csv")
    assert back["obs"].tolist() == list(range(60))
    table = compare.compare_files(["a", "b"], [tmp_path / "pw.csv", tmp_path / "pw.csv"])
    compare.write_compare(table, tmp_path / "c.csv", tmp_path / "c.txt")
    assert (tmp_path / "c.txt").read_text().splitlines()[0].split() == list(compare.COMPARE_COLUMNS)
