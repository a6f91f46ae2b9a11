"""The lecture's precis summary, with R's pretty, hist and quantile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlm_data import MLM_CSV, needs_mlm
from mlmpipe import precis, validation


def test_r_pretty_matches_r() -> None:
    # pretty(c(0, 1)); pretty(c(1, 10), 10); pretty(c(0.01, 0.4893), 10)
    assert precis.r_pretty(0, 1).tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert precis.r_pretty(1, 10, 10, 1).tolist() == list(range(1, 11))
    assert precis.r_pretty(0.01, 0.4893, 10, 1) == pytest.approx(np.arange(0, 0.51, 0.05))
    assert precis.r_pretty(6, 229, 10, 1).tolist() == list(range(0, 241, 20))


def test_histospark_counts_as_r_hist_does() -> None:
    # hist(1:10)$counts is 2 1 1 1 1 1 1 1 1: the first bin includes its left edge.
    assert precis.histospark(range(1, 11)) == "▇▃▃▃▃▃▃▃▃"
    assert precis.histospark([np.nan, np.nan]) == " " * 10
    # Missing values are dropped: pretty(c(1, 2), 10) gives ten bins of 0.1.
    assert precis.histospark([1.0, 1.0, np.nan, 2.0]) == "▇▁▁▁▁▁▁▁▁▃"


LECTURE_PRECIS = """\
             mean          sd      5.5%      94.5%    histogram
id    119.9954338 51.04319970 47.890000 209.020000 ▁▂▂▅▇▅▃▅▂▂▂▁
group         NaN          NA        NA         NA             
week    1.3981481  1.45595690  0.000000   3.000000 ▇▃▁▂▁▅▁▁▁▁▁▁
wave    1.7899543  0.79082439  1.000000   3.000000       ▇▇▁▂▁▁
con     0.1911393  0.07427626  0.083850   0.309936   ▁▂▃▇▅▃▁▁▁▁
dan     0.1946091  0.06434335  0.096652   0.296208     ▁▁▅▇▇▃▁▁
"""  # noqa: W291 - R pads the blank histogram


@needs_mlm
def test_precis_of_the_lecture_data_prints_as_in_the_lecture() -> None:
    table = precis.precis(validation.read_mlm_csv(MLM_CSV))
    assert precis.format_precis(table) == LECTURE_PRECIS
    assert table.loc["id", "mean"] == pytest.approx(119.9954338, abs=5e-8)
    assert table.loc["id", "sd"] == pytest.approx(51.04319970, abs=5e-9)
    assert table.loc["week", ["5.5%", "94.5%"]].tolist() == [0.0, 3.0]
    assert table.loc["con", "5.5%"] == pytest.approx(0.083850, abs=5e-7)
    assert table.loc["con", "94.5%"] == pytest.approx(0.309936, abs=5e-7)
    assert table.loc["week", ["n", "missing"]].tolist() == [216, 3]


def test_precis_drops_missing_values_per_column_and_uses_r_quantiles() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, np.nan], "g": ["a", "b", "a", "b", "a"]})
    table = precis.precis(frame)
    assert table.loc["x", "mean"] == 2.5
    assert table.loc["x", "sd"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    # R: quantile(1:4, c(0.055, 0.945)) is 1.165 3.835 (type 7)
    assert table.loc["x", ["5.5%", "94.5%"]].tolist() == pytest.approx([1.165, 3.835])
    assert np.isnan(table.loc["g", "mean"]) and table.loc["g", "histogram"] == " " * 10


def test_write_precis_writes_the_table_and_the_printout(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": pd.array(["a"] * 4, dtype="string")})
    precis.write_precis(frame, tmp_path / "precis.csv", tmp_path / "precis.txt")
    table = pd.read_csv(tmp_path / "precis.csv", keep_default_na=False)
    assert table.columns.tolist() == [
        "variable", "mean", "sd", "5.5%", "94.5%", "histogram", "n", "missing"
    ]  # fmt: skip
    assert table["mean"].tolist() == ["2.5", "NA"]
    assert (tmp_path / "precis.txt").read_text(encoding="utf-8").splitlines()[0].split() == [
        "mean", "sd", "5.5%", "94.5%", "histogram"
    ]  # fmt: skip
