"""The lecture's five models fitted through the pipeline on the real data, checked against
brms itself and against the numbers the lecture prints.

The whole pipeline runs once per session (conftest's `fitted_tree`), then:

- every variable brms names (b_, sd_, cor_, sigma, each r_id[...], lprior, lp__) agrees
  with brms 2.18's posterior summary of the same model, data, priors and sampler settings
  (tests/reference/brms_summary.csv, written by tests/reference/brms_reference.R), relative
  to the posterior sd: the mean within 0.15 sd, the 2.5% and 97.5% quantiles within 0.3 sd
  (0.4 for m5, whose cor and sd(week) tails vary most from run to run). Where four Monte
  Carlo errors of the difference of the two runs are more than that, the tolerance is
  those four errors instead: the error of a mean is sd x sqrt(1/ESS_bulk + 1/ESS_bulk') and
  that of a quantile ArviZ's MCSE of ours, scaled to both runs by their tail ESS. For the
  means this never binds (0.15 sd is 4 to 9 such errors at these ESS); for the bounds it
  does for quantiles with a low tail ESS (up to 0.5 sd in m1 to m3 and 1.3 sd for m5's
  sd(week), whose lower tail sits on 0). The 4-decimal rounding of the fixtures is added.
  A sign flip of `b_week` (mean about -0.0017, sd 0.0024) is 1.4 sd away;
- elpd_loo of each model within 1.0 of brms's, or within three times the Monte Carlo error
  of the difference of two runs (sqrt(2) x loo's MCSE of elpd_loo, from the PSIS relative
  efficiencies) where that is larger (m1, with many Pareto k above 0.7); both `loo_compare`
  tables in brms's order, their elpd_diff within the same error of the two models;
- each printed estimate and 95% interval bound within the lecture's rounding (half the last
  printed digit) plus three Monte Carlo standard errors of the difference of two runs;
- the sampler's settings as CmdStan wrote them in each chain's CSV header (iter, warmup,
  seed, adapt_delta, max_treedepth, one id per chain), against the lecture's `brm()` calls;
- every R-hat at most 1.01, and divergences either absent or flagged;
- editing one program re-runs that model alone, and a prior change re-samples without a
  recompile; comparing models fitted to different rows is refused.
"""

from __future__ import annotations

import itertools
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
from mlmpipe import compare, models, posterior

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
# loo_compare(m1, m2) as the lecture prints it (se_diff and looic follow from these).
LECTURE_LOO = {
    "m2": {"elpd_loo": 314.5, "se_elpd_loo": 11.0, "p_loo": 63.9, "elpd_diff": 0.0},
    "m1": {"elpd_loo": 297.4, "se_elpd_loo": 9.2, "p_loo": 83.6, "elpd_diff": -17.1},
}

# brms's results for the same models (tests/reference/brms_reference.R).
REFERENCE = REPO / "tests" / "reference"
# The lecture's brm() calls: iter, warmup (chains = 4, seed = 9, brms's adapt_delta 0.8 and
# max_treedepth 10 for every model).
LECTURE_SAMPLER = {"m1": (2000, 1000), "m2": (2000, 1000), "m3": (2000, 1000),
                   "m4": (5000, 1000), "m5": (5000, 1000)}  # fmt: skip
# Relative to the posterior sd: the mean, and the 95% bounds (wider for m5, whose sd(week)
# and cor tails move most between runs, on both sides).
MEAN_SDS = 0.15
BOUND_SDS = {"m1": 0.3, "m2": 0.3, "m3": 0.3, "m4": 0.3, "m5": 0.4}
ROUNDING = 0.5e-4  # the fixtures' 4 decimals
MC_Z = 4.0  # Monte Carlo errors of the difference of two runs, where that is the larger
LOO_ELPD = 1.0


def brms_summary(model: str) -> pd.DataFrame:
    table = pd.read_csv(REFERENCE / "brms_summary.csv")
    return table[table["model"] == model].set_index("variable")


def brms_loo() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "brms_loo.csv").set_index("model")


def named_draws(fit: posterior.Fit) -> dict[str, np.ndarray]:
    """Every posterior variable by the name brms gives it, as (chain, draw) arrays;
    arrays are spelled out element by element (`r_id[6,Intercept]`)."""
    out: dict[str, np.ndarray] = {}
    for name, var in fit.idata.posterior.data_vars.items():
        extra = [d for d in var.dims if d not in ("chain", "draw")]
        if not extra:
            out[str(name)] = var.values
            continue
        for labels in itertools.product(*(var.coords[d].values.tolist() for d in extra)):
            inside = ",".join(models.level_label(v) for v in labels)
            out[f"{name}[{inside}]"] = var.sel(dict(zip(extra, labels, strict=True))).values
    return out


def loo_mc_error(*names: str) -> float:
    """Monte Carlo error of the difference between our and brms's run of the sum of these
    models' elpd_loo: sqrt(2) x loo's MCSE of each (independent runs of equal length)."""
    mcse = brms_loo().loc[list(names), "mcse_elpd_loo"]
    return float(np.sqrt(2 * (mcse**2).sum()))


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
    """The printed table within its rounding (0.05) plus three Monte Carlo errors of the
    difference of two runs, from loo's MCSE in brms's run (tests/reference/brms_loo.csv).
    The SEs move by no more than that error: each is sqrt(N) times an sd of the pointwise
    values, which move by that much in all."""
    table = pd.read_csv(run / "results/loo/compare_m1_m2.csv").set_index("model")
    assert list(table.index) == ["m2", "m1"]
    for model, printed in LECTURE_LOO.items():
        for column, value in printed.items():
            error = loo_mc_error("m1", "m2") if column == "elpd_diff" else loo_mc_error(model)
            tolerance = 0.05 + 3 * error
            ours = table.loc[model, column]
            message = f"{model} {column}: ours {ours:.2f}, lecture {value:.1f}"
            assert abs(ours - value) <= tolerance, f"{message} (tolerance {tolerance:.2f})"
    text = (run / "results/loo/compare_m1_m2.txt").read_text().splitlines()
    assert text[0] == "   elpd_diff se_diff elpd_loo se_elpd_loo p_loo  se_p_loo looic  se_looic"


@pytest.mark.parametrize("model", MODELS)
def test_loo_agrees_with_brms(run, model):
    reference = brms_loo().loc[model]
    ours = compare_row(run, model)
    tolerance = max(LOO_ELPD, 3 * loo_mc_error(model))
    for column in ("elpd_loo", "p_loo", "se_elpd_loo"):
        assert abs(ours[column] - reference[column]) <= tolerance, (
            f"{model} {column}: ours {ours[column]:.2f}, brms {reference[column]:.2f} "
            f"(tolerance {tolerance:.2f})"
        )


def compare_row(run: Path, model: str) -> pd.Series:
    """Our elpd_loo, p_loo and their SEs for one model, from the comparison it is in."""
    for name in ("compare_m1_m2", "compare_m3_m4_m5"):
        table = pd.read_csv(run / f"results/loo/{name}.csv").set_index("model")
        if model in table.index:
            return table.loc[model]
    raise AssertionError(f"{model} is in no comparison")


@pytest.mark.parametrize("comparison", ["m1_m2", "m3_m4_m5"])
def test_loo_compare_tables_agree_with_brms(run, comparison):
    """Both of the lecture's comparisons: brms's order (best first), and every number within
    1.0 or three Monte Carlo errors of the two runs, whichever is larger."""
    reference = pd.read_csv(REFERENCE / "brms_loo_compare.csv")
    reference = reference[reference["comparison"] == comparison].set_index("model")
    ours = pd.read_csv(run / f"results/loo/compare_{comparison}.csv").set_index("model")
    assert list(ours.index) == list(reference.index)
    best = reference.index[0]
    for model in reference.index:
        pair = (model,) if model == best else (model, best)
        tolerance = max(LOO_ELPD, 3 * loo_mc_error(*pair))
        for column in ("elpd_diff", "se_diff", "elpd_loo", "se_elpd_loo", "p_loo", "looic"):
            scale = 2 if column == "looic" else 1  # looic = -2 elpd_loo
            assert abs(ours.loc[model, column] - reference.loc[model, column]) <= (
                scale * tolerance
            ), f"{comparison} {model} {column}: ours {ours.loc[model, column]:.2f}, " \
               f"brms {reference.loc[model, column]:.2f} (tolerance {scale * tolerance:.2f})"
    text = (run / f"results/loo/compare_{comparison}.txt").read_text().splitlines()
    assert [line.split()[0] for line in text[1:]] == list(reference.index)


@pytest.mark.parametrize("model", MODELS)
def test_every_parameter_agrees_with_brms(run, model):
    reference = brms_summary(model)
    draws = named_draws(posterior.load_fit(str(run / f"results/{model}/posterior.nc")))
    compared = list(reference.index)  # lp__ too: both programs keep every constant
    assert set(compared) <= set(draws), sorted(set(compared) - set(draws))[:10]
    failures, widest = [], {}
    for variable in compared:
        ref = reference.loc[variable]
        x = draws[variable]
        sd = max(float(ref["sd"]), ROUNDING)
        ess_bulk, ess_tail = float(az.ess(x, method="bulk")), float(az.ess(x, method="tail"))
        mc_mean = sd * np.sqrt(1 / ess_bulk + 1 / ref["ess_bulk"])
        checks = [("mean", float(x.mean()), ref["mean"], MEAN_SDS, mc_mean)]
        for prob, column in ((0.025, "q2.5"), (0.975, "q97.5")):
            ours_mc = float(az.mcse(x, method="quantile", prob=prob))
            mc = ours_mc * np.sqrt(1 + ess_tail / ref["ess_tail"])  # brms's: same density
            checks.append((column, float(np.quantile(x, prob)), ref[column], BOUND_SDS[model], mc))
        for label, ours, theirs, sds, mc in checks:
            tolerance = max(sds * sd, MC_Z * mc) + ROUNDING
            widest[label] = max(widest.get(label, 0.0), tolerance / sd)
            if abs(ours - theirs) > tolerance:
                failures.append(f"{variable} {label}: ours {ours:.5f}, brms {theirs:.4f} "
                                f"({abs(ours - theirs) / sd:.2f} sd; tolerance "
                                f"{tolerance / sd:.2f} sd)")  # fmt: skip
    assert not failures, f"{model}: {len(failures)} of {3 * len(compared)} differ (widest " \
        f"tolerances in sds: {widest}):\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("model", MODELS)
def test_sampler_settings_are_the_lectures_in_cmdstans_csv_headers(run, model):
    """What CmdStan itself recorded for each chain, not what the config asked for."""
    iter_, warmup = LECTURE_SAMPLER[model]
    csvs = sorted((run / f"results/{model}/fit").glob("*.csv"))
    csvs = [c for c in csvs if not c.name.endswith(("-diagnostic.csv", "-profile.csv"))]
    assert len(csvs) == 4
    ids = []
    for csv in csvs:
        head = [ln for ln in csv.read_text().splitlines() if ln.startswith("#")]
        values = {}
        for line in head:
            key, _, value = line[2:].strip().partition(" = ")
            values.setdefault(key, value.removesuffix(" (Default)"))
        assert values["num_samples"] == str(iter_ - warmup), csv
        assert values["num_warmup"] == str(warmup)
        assert values["thin"] == "1"
        assert values["seed"] == "9"
        assert values["delta"] == "0.8"
        assert values["max_depth"] == "10"
        assert values["engaged"] == "true"
        ids.append(int(values["id"]))
        draws = [ln for ln in csv.read_text().splitlines() if ln and not ln.startswith("#")]
        assert len(draws) == 1 + iter_ - warmup  # the column names, then the kept draws
    assert sorted(ids) == [1, 2, 3, 4]


@pytest.mark.parametrize("kind", ["epred", "predicted"])
def test_m2_predictions_for_three_people_agree_with_brms(run, kind):
    """The lecture's add_epred_draws / add_predicted_draws %>% mean_qi for people 48, 137
    and 146, against brms's posterior_epred / posterior_predict: the mean within 0.15 and
    the bounds within 0.3 of the draws' sd (the interval width / 3.92)."""
    reference = pd.read_csv(REFERENCE / "brms_predictions.csv")
    reference = reference[reference["kind"] == ("epred" if kind == "epred" else "prediction")]
    column = ".epred" if kind == "epred" else ".prediction"
    ours = pd.read_csv(run / f"results/tables/m2_{kind}_selected.csv").set_index("id")
    for row in reference.itertuples():
        sd = (row.upper - row.lower) / 3.92
        mine = ours.loc[row.id]
        assert abs(mine[column] - row.mean) <= MEAN_SDS * sd + ROUNDING, (row.id, mine[column])
        assert abs(mine[".lower"] - row.lower) <= 0.3 * sd + ROUNDING, (row.id, mine[".lower"])
        assert abs(mine[".upper"] - row.upper) <= 0.3 * sd + ROUNDING, (row.id, mine[".upper"])


def test_every_rhat_is_at_most_1_01_and_divergences_are_flagged(run):
    for model in MODELS:
        result = json.loads((run / f"results/{model}/diagnostics.json").read_text())
        assert result["checks"]["rhat"]["value"] <= 1.01, model
        divergent = result["checks"]["divergent"]["value"]
        if divergent:
            assert "divergent" in result["failed"] and result["ok"] is False
            log = (run / f"logs/posterior/{model}_posterior.log").read_text()
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
    # the data is here: the config check refuses the group before any job runs (without the
    # data, the comparison's job refuses it: test_compare.py)
    assert (
        "config: loo_compare.mixed: m3 is fitted to 216 rows and m1 to 219 (they differ in 3 "
        "rows, the first data row"
    ) in result.stdout + result.stderr
    assert not (run / "logs/posterior/compare_mixed.log").exists()
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
    prior = {"m4": {"priors": {"b": "normal(0, 2)"}}}
    planned = jobs_planned(
        snakemake(run, "--dry-run", "--config", "models=" + json.dumps(prior), "--", *TARGETS)
    )
    assert ("model_data", "model=m4") in planned and ("sample_model", "model=m4") in planned
    assert not any(rule == "compile_model" for rule, _ in planned)


def test_pointwise_loo_rows_are_the_model_frames_rows(run):
    frame = json.loads((run / "results/m3/model_frame.json").read_text())
    pointwise = compare.read_pointwise(run / "results/m3/loo_pointwise.csv")
    assert pointwise["obs"].tolist() == frame["rows"]


def test_a_prior_from_the_config_reaches_the_posterior(run, tmp_path):
    """The lecture's priors barely move these posteriors, so a prior the program ignored
    would pass the comparisons above. Here m3's prior for b, set in the config to
    normal(0.05, 0.0001), goes through the pipeline's Stan data into m3's compiled program:
    b_week must follow it (the data alone put it at -0.0016, sd 0.0023) and lprior must be
    the sum of the priors' log densities at each draw."""
    import cmdstanpy
    import yaml
    from mlmpipe import standata
    from mlmpipe.formula.priors import parse_prior
    from scipy import stats

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["models"]["m3"]["priors"]["b"] = "normal(0.05, 0.0001)"
    spec = models.load_specs(config)["m3"]
    data = standata.build_model_data(spec, pd.read_parquet(run / "data/processed/mlm.parquet"))
    assert (data.stan_data["prior_b_mu"], data.stan_data["prior_b_sigma"]) == (0.05, 0.0001)
    (tmp_path / "data.json").write_text(json.dumps(data.stan_data))
    model = cmdstanpy.CmdStanModel(exe_file=str(run / "results/build/m3/m3"))
    # 12 significant digits: lprior moves by 1e4 per unit of b at this prior's scale
    fit = model.sample(data=str(tmp_path / "data.json"), chains=2, seed=1, iter_warmup=300,
                       iter_sampling=300, output_dir=tmp_path, show_progress=False,
                       sig_figs=12)  # fmt: skip
    draws = fit.draws_pd()
    assert abs(draws["b[1]"].mean() - 0.05) < 0.001  # the data pull it by 0.0001
    intercept = parse_prior(config["models"]["m3"]["priors"]["Intercept"])
    assert intercept.family == "normal"
    expected = (
        stats.norm.logpdf(draws["b[1]"], 0.05, 0.0001)
        + stats.norm.logpdf(draws["Intercept"], *intercept.args)
        + stats.expon.logpdf(draws["sigma"]) + stats.expon.logpdf(draws["sd_1[1]"])
    )  # fmt: skip
    np.testing.assert_allclose(draws["lprior"], expected, rtol=1e-4, atol=1e-4)
