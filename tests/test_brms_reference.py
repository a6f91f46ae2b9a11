"""The brms fixtures (tests/reference/*.csv) are what tests/reference/brms_reference.R makes.

Without R: the fixtures record the sha256 of the script and of the data they were made
from, which must be today's, and they hold what the end-to-end tests read. With R and brms
(the optional `brms` mark; about ten minutes): the script runs again into a scratch folder
and its results must agree with the committed ones (to the end-to-end tests' tolerances, as
a rerun on another machine need not repeat rstan's draws bit for bit).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from mlm_data import MLM_SHA256, require_mlm

REFERENCE = Path(__file__).resolve().parent / "reference"
SCRIPT = REFERENCE / "brms_reference.R"
MODELS = ["m1", "m2", "m3", "m4", "m5"]


def session() -> dict[str, str]:
    return pd.read_csv(REFERENCE / "brms_session.csv").set_index("key")["value"].to_dict()


def test_fixtures_were_made_by_todays_script_from_the_lectures_data():
    recorded = session()
    assert recorded["script_sha256"] == hashlib.sha256(SCRIPT.read_bytes()).hexdigest(), (
        "tests/reference/brms_reference.R changed since the fixtures were made: rerun it"
    )
    assert recorded["data_sha256"] == MLM_SHA256
    assert recorded["brms"] == "2.18.0"


def test_fixtures_hold_every_model_and_table():
    summary = pd.read_csv(REFERENCE / "brms_summary.csv")
    counts = summary.groupby("model").size().to_dict()
    # brms's variables without the sampler's: get_variables() less its 6 diagnostics, less the
    # temporary Intercept brms 2.18 does not summarise
    assert counts == {"m1": 94, "m2": 96, "m3": 94, "m4": 95, "m5": 184}
    assert list(pd.read_csv(REFERENCE / "brms_loo.csv")["model"]) == MODELS
    compare = pd.read_csv(REFERENCE / "brms_loo_compare.csv")
    assert compare.groupby("comparison")["model"].apply(set).to_dict() == {
        "m1_m2": {"m1", "m2"}, "m3_m4_m5": {"m3", "m4", "m5"}}  # fmt: skip
    predictions = pd.read_csv(REFERENCE / "brms_predictions.csv")
    assert sorted(predictions["id"].unique()) == [48, 137, 146]


@pytest.mark.brms
@pytest.mark.slow
def test_the_script_reproduces_the_fixtures(tmp_path):
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("R is not installed (Debian: apt-get install r-cran-brms)")
    probe = subprocess.run([rscript, "-e", "cat(as.character(packageVersion('brms')))"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip("R has no brms (Debian: apt-get install r-cran-brms)")
    data = require_mlm()
    done = subprocess.run([rscript, str(SCRIPT), str(data), str(tmp_path)], capture_output=True,
                          text=True, timeout=3600, cwd=REFERENCE.parents[1])  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert pd.read_csv(tmp_path / "brms_session.csv").equals(
        pd.read_csv(REFERENCE / "brms_session.csv"))
    new = pd.read_csv(tmp_path / "brms_summary.csv").set_index(["model", "variable"])
    old = pd.read_csv(REFERENCE / "brms_summary.csv").set_index(["model", "variable"])
    assert list(new.index) == list(old.index)
    bounds = old.index.get_level_values("model").map(lambda m: 0.4 if m == "m5" else 0.3)
    sd = old["sd"].clip(lower=1e-4)
    assert ((new["mean"] - old["mean"]).abs() <= 0.15 * sd + 1e-4).all()
    for column in ("q2.5", "q97.5"):
        assert ((new[column] - old[column]).abs() <= bounds * sd + 1e-4).all()
    new_loo = pd.read_csv(tmp_path / "brms_loo.csv").set_index("model")
    old_loo = pd.read_csv(REFERENCE / "brms_loo.csv").set_index("model")
    assert ((new_loo["elpd_loo"] - old_loo["elpd_loo"]).abs() <= 1.0).all()
