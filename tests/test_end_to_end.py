"""The lecture's five models fitted through the pipeline on the real data, checked against the
numbers the lecture prints.

One Snakemake run (`snakemake --cores 2` on the models' summary, diagnostics, variables and
LOO targets) in a scratch directory, with the data from ../shared/data/mlm.csv and the Stan
programs copied beside it, then:

- each printed estimate and 95% interval bound must agree with ours within the lecture's
  rounding (half the last printed digit) plus three Monte Carlo standard errors of the
  difference of two independent runs (sqrt(2) x our MCSE, from ArviZ);
- the LOO numbers, within rounding plus three times sqrt(2) x their run-to-run standard
  deviation, measured over six seeds of m1 and m2 (LOO has no MCSE with Pareto k above 0.7);
- every R-hat at most 1.01, and divergences either absent or flagged;
- editing one program re-runs that model alone, and a prior change re-samples without a
  recompile; comparing models fitted to different rows is refused.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
from mlm_data import MLM_CSV
from mlmpipe import compare, posterior

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
MODELS = ["m1", "m2", "m3", "m4", "m5"]
TARGETS = [
    f"results/{m}/{f}"
    for m in MODELS
    for f in ("summary.txt", "diagnostics.json", "variables.txt", "loo.txt", "model_frame.json")
] + ["results/loo/compare_m1_m2.txt", "results/loo/compare_m3_m4_m5.txt"]

# model, brms label, variable, lecture's Estimate, l-95% CI, u-95% CI (2 decimals)
LECTURE = [
    ("m1", "sigma", "sigma", 0.05, 0.04, 0.05),
    ("m1", "a_id.f6", "b_a_id.f6", 0.19, 0.14, 0.25),
    ("m1", "a_id.f162", "b_a_id.f162", 0.39, 0.34, 0.45),
    ("m2", "sd(Intercept)", "sd_id__Intercept", 0.06, 0.05, 0.07),
    ("m2", "Intercept", "b_Intercept", 0.19, 0.18, 0.20),
    ("m2", "sigma", "sigma", 0.05, 0.04, 0.05),
    ("m3", "sd(Intercept)", "sd_id__Intercept", 0.06, 0.05, 0.07),
    ("m3", "Intercept", "b_Intercept", 0.19, 0.18, 0.21),
    ("m3", "week", "b_week", -0.00, -0.01, 0.00),
    ("m4", "week", "b_week", -0.00, -0.01, 0.00),
    ("m4", "groupCTRL", "b_groupCTRL", 0.20, 0.18, 0.23),
    ("m4", "groupPD", "b_groupPD", 0.19, 0.17, 0.20),
    ("m5", "sd(Intercept)", "sd_id__Intercept", 0.06, 0.05, 0.07),
    ("m5", "sd(week)", "sd_id__week", 0.00, 0.00, 0.01),
    ("m5", "cor(Intercept,week)", "cor_id__Intercept__week", -0.07, -0.89, 0.90),
    ("m5", "Intercept", "b_Intercept", 0.19, 0.18, 0.21),
    ("m5", "sigma", "sigma", 0.05, 0.04, 0.05),
]
# loo_compare(m1, m2) as the lecture prints it, and the run-to-run standard deviation of each
# number over six seeds of our m1 and m2 fits (elpd_loo, p_loo, elpd_diff, and their SEs).
LECTURE_LOO = {
    "m2": {"elpd_loo": 314.5, "se_elpd_loo": 11.0, "p_loo": 63.9, "elpd_diff": 0.0},
    "m1": {"elpd_loo": 297.4, "se_elpd_loo": 9.2, "p_loo": 83.6, "elpd_diff": -17.1},
}
LOO_RUN_SD = {
    "m2": {"elpd_loo": 0.57, "se_elpd_loo": 0.03, "p_loo": 0.31, "elpd_diff": 0.0},
    "m1": {"elpd_loo": 0.92, "se_elpd_loo": 0.17, "p_loo": 0.96, "elpd_diff": 1.15},
}


def snakemake(workdir: Path, *args: str, timeout: int = 3600) -> subprocess.CompletedProcess:
    """Run the pipeline in ``workdir`` with the repository's config and the local data."""
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(REPO / "config" / "config.yaml"),
        "--config", "data=" + json.dumps({"local_copy": str(MLM_CSV)}), *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def run(fitted_tree: Path) -> Path:
    """The scratch directory after the whole pipeline ran (conftest's session fixture)."""
    return fitted_tree


def jobs_planned(result: subprocess.CompletedProcess) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run plans."""
    planned, rule = set(), None
    for line in result.stdout.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):", line.strip()):
            rule = m.group(1)
            planned.add((rule, ""))
        elif rule and (m := re.match(r"^wildcards: (.*)$", line.strip())):
            planned.discard((rule, ""))
            planned.add((rule, m.group(1)))
    return planned


@pytest.mark.parametrize(("model", "label", "variable", "estimate", "lower", "upper"), LECTURE)
def test_estimates_agree_with_the_lecture_within_monte_carlo_error(
    run, model, label, variable, estimate, lower, upper
):
    fit = posterior.load_fit(str(run / f"results/{model}/posterior.nc"))
    table = pd.read_csv(run / f"results/{model}/summary.csv").set_index("parameter")
    row = table.loc[label]
    assert row["variable"] == variable
    draws = fit.idata.posterior[variable]
    mcse = {
        "Estimate": float(az.mcse(draws.values, method="mean")),
        "l-95% CI": float(az.mcse(draws.values, method="quantile", prob=0.025)),
        "u-95% CI": float(az.mcse(draws.values, method="quantile", prob=0.975)),
    }
    for column, printed in (("Estimate", estimate), ("l-95% CI", lower), ("u-95% CI", upper)):
        tolerance = 0.005 + 3 * np.sqrt(2) * mcse[column]
        assert abs(row[column] - printed) <= tolerance, (
            f"{model} {label} {column}: ours {row[column]:.4f}, lecture {printed:.2f} "
            f"(tolerance {tolerance:.4f})"
        )


def test_m5_correlation_spread_agrees_with_the_lecture(run):
    table = pd.read_csv(run / "results/m5/summary.csv").set_index("parameter")
    draws = posterior.load_fit(str(run / "results/m5/posterior.nc")).idata.posterior
    sd_mcse = float(az.mcse(draws["cor_id__Intercept__week"].values, method="sd"))
    error = table.loc["cor(Intercept,week)", "Est.Error"]
    assert abs(error - 0.48) <= 0.005 + 3 * np.sqrt(2) * sd_mcse


def test_summaries_print_the_lectures_rows_and_levels(run):
    m3 = (run / "results/m3/summary.txt").read_text()
    assert "   Data: d (Number of observations: 216) \n" in m3
    assert "~id (Number of levels: 88) \n" in m3
    m2 = (run / "results/m2/summary.txt").read_text()
    assert "   Data: d (Number of observations: 219) \n" in m2
    assert "~id (Number of levels: 91) \n" in m2
    m4 = (run / "results/m4/summary.txt").read_text()
    assert "  Draws: 4 chains, each with iter = 5000; warmup = 1000; thin = 1;\n" in m4
    assert "         total post-warmup draws = 16000\n" in m4
    frame = json.loads((run / "results/m3/model_frame.json").read_text())
    assert (frame["n_rows"], frame["n_dropped"], frame["n_levels"]) == (216, 3, 88)


def test_variable_lists_have_the_lectures_lengths(run):
    lengths = {
        m: len((run / f"results/{m}/variables.txt").read_text().splitlines()) for m in MODELS
    }
    assert lengths == {"m1": 100, "m2": 103, "m3": 101, "m4": 101, "m5": 191}


def test_loo_compare_agrees_with_the_lecture(run):
    table = pd.read_csv(run / "results/loo/compare_m1_m2.csv").set_index("model")
    assert list(table.index) == ["m2", "m1"]
    for model, printed in LECTURE_LOO.items():
        for column, value in printed.items():
            tolerance = 0.05 + 3 * np.sqrt(2) * LOO_RUN_SD[model][column]
            ours = table.loc[model, column]
            message = f"{model} {column}: ours {ours:.2f}, lecture {value:.1f}"
            assert abs(ours - value) <= tolerance, f"{message} (tolerance {tolerance:.2f})"
    text = (run / "results/loo/compare_m1_m2.txt").read_text().splitlines()
    assert text[0] == "   elpd_diff se_diff elpd_loo se_elpd_loo p_loo  se_p_loo looic  se_looic"


def test_every_rhat_is_at_most_1_01_and_divergences_are_flagged(run):
    for model in MODELS:
        result = json.loads((run / f"results/{model}/diagnostics.json").read_text())
        assert result["checks"]["rhat"]["value"] <= 1.01, model
        divergent = result["checks"]["divergent"]["value"]
        if divergent:
            assert "divergent" in result["failed"] and result["ok"] is False
            log = (run / f"logs/posterior/{model}_diagnostics.log").read_text()
            assert f"WARNING mlmpipe.diagnostics: model {model} FAILED divergent check" in log


def test_loo_printout_reports_the_matrix_and_pareto_k(run):
    text = (run / "results/m2/loo.txt").read_text()
    assert "Computed from 4000 by 219 log-likelihood matrix." in text
    assert "See help('pareto-k-diagnostic') for details." in text
    assert (
        "Computed from 16000 by 216 log-likelihood matrix."
        in (run / "results/m4/loo.txt").read_text()
    )


def test_comparing_models_fitted_to_different_rows_is_refused(run):
    result = snakemake(
        run,
        "--cores", "1", "--config", 'loo_compare={"mixed": ["m1", "m3"]}',
        "--", "results/loo/compare_mixed.txt",
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        "cannot compare m1 (219 rows), m3 (216 rows): LOO comparisons need models fitted to "
        "the same rows"
    ) in (run / "logs/posterior/compare_mixed.log").read_text()
    assert not (run / "results/loo/compare_mixed.txt").exists()


def test_editing_one_program_refits_that_model_alone(run):
    program = run / "stan" / "m3.stan"
    original = program.read_text()
    program.write_text(original + "// edited\n")
    try:
        planned = jobs_planned(snakemake(run, "--dry-run", "--", *TARGETS))
    finally:
        program.write_text(original)
    models_touched = {w for _, w in planned if w.startswith("model=")}
    assert models_touched == {"model=m3"}
    assert ("compile_model", "model=m3") in planned and ("sample_model", "model=m3") in planned
    assert ("loo_compare", "comparison=m3_m4_m5") in planned


def test_changing_a_prior_resamples_without_recompiling(run):
    prior = {"m4": {"priors": {"b": {"family": "normal", "mu": 0, "sigma": 2}}}}
    planned = jobs_planned(
        snakemake(run, "--dry-run", "--config", "models=" + json.dumps(prior), "--", *TARGETS)
    )
    assert ("model_data", "model=m4") in planned and ("sample_model", "model=m4") in planned
    assert not any(rule == "compile_model" for rule, _ in planned)


def test_pointwise_loo_rows_are_the_model_frames_rows(run):
    frame = json.loads((run / "results/m3/model_frame.json").read_text())
    pointwise = compare.read_pointwise(run / "results/m3/loo_pointwise.csv")
    assert pointwise["obs"].tolist() == frame["rows"]
