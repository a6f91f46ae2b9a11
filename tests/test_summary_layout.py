"""The summary printed as brms prints it, on small hand-made posteriors."""

from __future__ import annotations

import json

import arviz as az
import numpy as np
import pandas as pd
import pytest
from mlmpipe import summary
from mlmpipe.posterior import SPEC_ATTR

CHAINS, DRAWS = 4, 500


def spec_entry(name: str, formula: list[str], **entry) -> dict:
    return {
        "name": name,
        "formula": formula,
        "response": "con",
        "iter": 5000,
        "warmup": 1000,
        "priors": {},
        **entry,
    }


@pytest.fixture(scope="module")
def m5_like() -> az.InferenceData:
    """A varying-slopes posterior with known moments and 3 people, 5 observations."""
    rng = np.random.default_rng(11)
    shape = (CHAINS, DRAWS)
    posterior = {
        "b_Intercept": rng.normal(0.19, 0.01, shape),
        "b_week": rng.normal(-0.002, 0.002, shape),
        "sd_id__Intercept": np.abs(rng.normal(0.06, 0.01, shape)),
        "sd_id__week": np.abs(rng.normal(0.003, 0.002, shape)),
        "cor_id__Intercept__week": rng.uniform(-1, 1, shape),
        "sigma": rng.normal(0.05, 0.003, shape),
        "Intercept": rng.normal(0.19, 0.01, shape),
        "r_id": rng.normal(0, 0.06, (*shape, 3, 2)),
        "lprior": rng.normal(size=shape),
        "lp__": rng.normal(size=shape),
    }
    idata = az.from_dict(
        posterior=posterior,
        observed_data={"con": rng.normal(size=5)},
        coords={"id": [6, 29, 34], "term": ["Intercept", "week"], "obs": list(range(5))},
        dims={"r_id": ["id", "term"], "con": ["obs"]},
    )
    entry = spec_entry(
        "m5",
        ["con ~ 1 + week + (1 + week | id)"],
        intercept=True,
        population=["week"],
        varying={"group": "id", "terms": ["Intercept", "week"]},
    )
    idata.posterior.attrs[SPEC_ATTR] = json.dumps(entry)
    return idata


def test_rows_follow_brms_sections_and_labels(m5_like):
    table = summary.summary_table(m5_like.posterior)
    assert list(zip(table["section"], table["parameter"], strict=True)) == [
        ("Multilevel Hyperparameters", "sd(Intercept)"),
        ("Multilevel Hyperparameters", "sd(week)"),
        ("Multilevel Hyperparameters", "cor(Intercept,week)"),
        ("Regression Coefficients", "Intercept"),
        ("Regression Coefficients", "week"),
        ("Further Distributional Parameters", "sigma"),
    ]
    assert list(table.columns[4:]) == list(summary.STAT_COLUMNS)


def test_statistics_are_mean_sd_quantiles_rhat_and_ess(m5_like):
    table = summary.summary_table(m5_like.posterior).set_index("variable")
    draws = m5_like.posterior["sigma"].values.reshape(-1)
    row = table.loc["sigma"]
    assert row["Estimate"] == pytest.approx(draws.mean())
    assert row["Est.Error"] == pytest.approx(draws.std(ddof=1))
    assert row["l-95% CI"] == pytest.approx(np.quantile(draws, 0.025))
    assert row["u-95% CI"] == pytest.approx(np.quantile(draws, 0.975))
    # independent draws: R-hat near 1, bulk and tail ESS near the number of draws
    assert row["Rhat"] == pytest.approx(1.0, abs=0.01)
    assert row["Bulk_ESS"] == pytest.approx(CHAINS * DRAWS, rel=0.15)
    assert row["Tail_ESS"] == pytest.approx(CHAINS * DRAWS, rel=0.15)


def test_rhat_flags_a_chain_stuck_elsewhere():
    rng = np.random.default_rng(3)
    draws = rng.normal(size=(4, 500))
    draws[3] += 2.0  # one chain centred two sds away
    idata = az.from_dict(posterior={"sigma": draws})
    row = summary.summary_table(idata.posterior).iloc[0]
    assert row["Rhat"] > 1.2
    assert row["Bulk_ESS"] < 200


def test_printout_has_brms_header_columns_and_footer(m5_like):
    table = summary.summary_table(m5_like.posterior)
    text = summary.summary_text(
        table, summary.header_of(m5_like), summary.group_sizes(m5_like.posterior)
    )
    lines = text.splitlines()
    assert lines[:6] == [
        " Family: gaussian ",
        "  Links: mu = identity; sigma = identity ",
        "Formula: con ~ 1 + week + (1 + week | id) ",
        "   Data: d (Number of observations: 5) ",
        "  Draws: 4 chains, each with iter = 5000; warmup = 1000; thin = 1;",
        "         total post-warmup draws = 16000",
    ]
    assert lines[6:10] == [
        "",
        "Multilevel Hyperparameters:",
        "~id (Number of levels: 3) ",
        "                    Estimate Est.Error l-95% CI u-95% CI Rhat Bulk_ESS Tail_ESS",
    ]
    sd_row = table.iloc[0]
    assert lines[10] == (
        f"sd(Intercept)       {sd_row['Estimate']:8.2f} {sd_row['Est.Error']:9.2f} "
        f"{sd_row['l-95% CI']:8.2f} {sd_row['u-95% CI']:8.2f} {sd_row['Rhat']:4.2f} "
        f"{sd_row['Bulk_ESS']:8.0f} {sd_row['Tail_ESS']:8.0f}"
    )
    assert "Regression Coefficients:" in lines and "Further Distributional Parameters:" in lines
    assert lines[-3:] == [
        "Draws were sampled using sampling(NUTS). For each parameter, Bulk_ESS",
        "and Tail_ESS are effective sample size measures, and Rhat is the potential",
        "scale reduction factor on split chains (at convergence, Rhat = 1).",
    ]


def test_lecture_rows_print_exactly_as_in_the_lecture():
    # m2's printed rows from the lecture, fed back through the formatter
    stats = pd.DataFrame(
        {
            "Estimate": [0.19, -0.0012],
            "Est.Error": [0.01, 0.001],
            "l-95% CI": [0.18, -0.01],
            "u-95% CI": [0.20, 0.004],
            "Rhat": [1.0, 1.0],
            "Bulk_ESS": [2210.0, 5783.4],
            "Tail_ESS": [2482.0, 3151.0],
        }
    )
    text = summary.format_r_matrix(["Intercept", "week"], summary.format_stats(stats))
    assert text == (
        "          Estimate Est.Error l-95% CI u-95% CI Rhat Bulk_ESS Tail_ESS\n"
        "Intercept     0.19      0.01     0.18     0.20 1.00     2210     2482\n"
        "week         -0.00      0.00    -0.01     0.00 1.00     5783     3151\n"
    )


def test_nonlinear_formula_prints_its_second_line_indented():
    header = summary.Header(
        formula=("con ~ 0 + a", "a ~ 0 + id.f"), nobs=219, chains=4, iter=2000, warmup=1000
    )
    assert header.text().splitlines()[2:4] == ["Formula: con ~ 0 + a ", "         a ~ 0 + id.f"]
    assert "total post-warmup draws = 4000" in header.text()


def test_csv_and_txt_are_written(tmp_path, m5_like):
    table = summary.write_summary(m5_like, tmp_path / "summary.csv", tmp_path / "summary.txt")
    back = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert list(back["parameter"]) == list(table["parameter"])
    assert back.loc[3, "group"] == ""
    assert (tmp_path / "summary.txt").read_text().startswith(" Family: gaussian \n")


def test_a_posterior_without_brms_variables_is_refused():
    idata = az.from_dict(posterior={"theta": np.zeros((2, 10))})
    with pytest.raises(summary.SummaryError, match="no b_\\*, sd_\\*, cor_\\* or sigma"):
        summary.summary_table(idata.posterior)
