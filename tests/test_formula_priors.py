"""Priors: brms strings, brms 2.18's defaults from the data, priors as Stan data."""

from __future__ import annotations

import pandas as pd
import pytest
from formula_cases import CASES, TINY_CSV, brms_prior_table, case_args
from mlmpipe.formula import FormulaError, ModelInputError, get_prior, make_stancode, make_standata
from mlmpipe.formula.priors import default_intercept, default_scale, parse_prior

TINY = pd.read_csv(TINY_CSV)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_default_prior_table_equals_brms_get_prior(case):
    formula, data, family, _ = case_args(case)
    assert get_prior(formula, data, family).equals(brms_prior_table(case["name"]))


def intercept_prior(formula: str) -> str:
    table = get_prior(formula, TINY)
    return table.loc[table["class"] == "Intercept", "prior"].item()


def test_the_default_intercept_prior_is_centred_on_the_median_of_the_rows_used():
    # get_prior in R: all 30 rows for y ~ 1; 29 (x has one NA) for y ~ 1 + x
    assert intercept_prior("y ~ 1") == "student_t(3, 2.1, 2.5)"
    assert intercept_prior("y ~ 1 + x") == "student_t(3, 2.2, 2.5)"


def test_default_scales_are_at_least_2_5_and_use_the_link_scale():
    assert default_scale([0.0, 10.0, 20.0, 30.0, 40.0], "identity") == 14.8  # round(mad(y), 1)
    assert default_scale([0.1, 0.2, 0.3], "identity") == 2.5
    assert default_scale([0, 1, 1, 0], "logit") == 2.5
    # poisson: log(y), with 0 read as 0.1: median(log(c(0.1, 1, 2, 2, 3))) = 0.69 -> 0.7
    assert default_intercept([0, 1, 2, 2, 3], "log").args == (3.0, 0.7, 2.5)


@pytest.mark.parametrize(
    ("text", "family", "args"),
    [
        ("normal(0, 1)", "normal", (0.0, 1.0)),
        ("exponential(1)", "exponential", (1.0,)),
        ("student_t(3, 0, 2.5)", "student_t", (3.0, 0.0, 2.5)),
        ("lkj(1)", "lkj", (1.0,)),
        ("gamma(2, 0.1)", "gamma", (2.0, 0.1)),
        ("cauchy(0,1)", "cauchy", (0.0, 1.0)),
        ("normal(.5, .25)", "normal", (0.5, 0.25)),
        ("flat", "", ()),
        ("", "", ()),
    ],
)
def test_brms_prior_strings_are_read(text, family, args):
    spec = parse_prior(text)
    assert (spec.family, spec.args) == (family, args)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("normal(0)", "normal takes 2 argument(s) (mu, sigma), not 1"),
        ("normal(0, -1)", "sigma must be a finite positive number"),
        ("horseshoe(1)", "unsupported distribution 'horseshoe'"),
        ("normal(0, a)", "its arguments must be numbers"),
        ("normal 0 1", "expected a distribution such as 'normal(0, 1)' or 'flat'"),
    ],
)
def test_a_bad_prior_string_says_what_is_wrong(text, message):
    with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_prior(text, "b")


def test_prior_values_are_data_so_a_new_value_needs_no_new_program():
    one = {"b": "normal(0, 1)", "sigma": "exponential(1)"}
    two = {"b": "normal(0.5, 3)", "sigma": "exponential(2)"}
    assert make_stancode("y ~ 1 + x", TINY, prior=one) == make_stancode(
        "y ~ 1 + x", TINY, prior=two
    )
    data = make_standata("y ~ 1 + x", TINY, prior=two)
    assert (data["prior_b_mu"], data["prior_b_sigma"], data["prior_sigma_rate"]) == (0.5, 3.0, 2.0)


def test_half_student_t_priors_keep_brms_truncation_term_with_data_parameters():
    code = make_stancode("y ~ 1 + (1 + x | k)", TINY)
    assert (
        "  lprior += student_t_lpdf(sd_1 | prior_sd_nu, prior_sd_mu, prior_sd_sigma)\n"
        "    - 2 * student_t_lccdf(0 | prior_sd_nu, prior_sd_mu, prior_sd_sigma);"
    ) in code


def test_exponential_priors_on_sd_have_no_truncation_term_as_in_brms():
    code = make_stancode("y ~ 1 + (1 | k)", TINY, prior={"sd": "exponential(1)"})
    assert "  lprior += exponential_lpdf(sd_1 | prior_sd_rate);\n" in code
    assert "exponential_lccdf" not in code


def test_student_nu_gets_gammas_truncation_at_one():
    code = make_stancode("y ~ 1", TINY, family="student")
    assert (
        "  lprior += gamma_lpdf(nu | prior_nu_alpha, prior_nu_beta)\n"
        "    - 1 * gamma_lccdf(1 | prior_nu_alpha, prior_nu_beta);"
    ) in code
    assert make_standata("y ~ 1", TINY, family="student")["prior_nu_alpha"] == 2.0


def test_a_prior_for_one_grouping_factor_has_its_own_data():
    data = make_standata(
        "y ~ 1 + (1 | k) + (1 | g)", TINY, prior={"sd": "exponential(1)", "sd_k": "normal(0, 2)"}
    )
    assert data["prior_sd_k_sigma"] == 2.0 and data["prior_sd_rate"] == 1.0
    table = get_prior(
        "y ~ 1 + (1 | k) + (1 | g)", TINY, prior={"sd": "exponential(1)", "sd_k": "normal(0, 2)"}
    )
    rows = table[(table["class"] == "sd") & (table["coef"] == "")]
    assert rows[["prior", "group", "source"]].values.tolist() == [
        ["exponential(1)", "", "user"],
        ["", "g", "default"],
        ["normal(0, 2)", "k", "user"],
    ]


def test_a_prior_for_a_parameter_the_model_lacks_is_refused():
    with pytest.raises(ModelInputError, match="prior 'cor' matches no parameter of the model"):
        make_stancode("y ~ 1 + (1 | k)", TINY, prior={"cor": "lkj(2)"})
