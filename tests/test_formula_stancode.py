"""Generated Stan code: brms 2.18's make_stancode, with priors as data and log_lik added."""

from __future__ import annotations

import pandas as pd
import pytest
from formula_cases import CASES, REFERENCE, TINY_CSV, as_brms_writes_it, brms_code, case_args
from mlmpipe.formula import make_stancode, make_standata, variables

TINY = pd.read_csv(TINY_CSV)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_the_program_is_brms_make_stancode_once_the_prior_data_is_filled_in(case):
    args = case_args(case)
    ours = as_brms_writes_it(make_stancode(*args), make_standata(*args))
    assert ours == brms_code(case["name"])


@pytest.mark.parametrize(
    ("family", "formula", "pointwise"),
    [
        ("gaussian", "y ~ 1 + x + (1 | k)", "normal_lpdf(Y[n] | mu[n], sigma)"),
        ("student", "y ~ 1 + x", "student_t_lpdf(Y[n] | nu, mu[n], sigma)"),
        ("bernoulli", "y01 ~ 0 + x + g", "bernoulli_logit_lpmf(Y[n] | mu[n])"),
        ("binomial", "cnt | trials(n) ~ 1 + x", "binomial_logit_lpmf(Y[n] | trials[n], mu[n])"),
        ("poisson", "cnt ~ 1", "poisson_log_lpmf(Y[n] | mu[n])"),
    ],
)
def test_every_family_gets_a_pointwise_log_likelihood_for_loo(family, formula, pointwise):
    code = make_stancode(formula, TINY, family)
    assert "  vector[N] log_lik;  // pointwise log-likelihood, for LOO\n" in code
    assert f"      log_lik[n] = {pointwise};\n" in code
    assert code.endswith("    }\n  }\n}\n")


def test_the_non_linear_log_likelihood_recomputes_the_non_linear_predictor():
    code = make_stancode(["y ~ a * exp(b)", "a ~ 1 + x", "b ~ 0 + g"], TINY)
    assert "    vector[N] nlp_a = X_a * b_a;\n    vector[N] nlp_b = X_b * b_b;\n" in code
    assert "      mu[n] = nlp_a[n] * exp(nlp_b[n]);\n      log_lik[n] = normal_lpdf(" in code


def test_arrays_use_the_syntax_cmdstan_2_35_accepts():
    code = make_stancode("cnt | trials(n) ~ 1 + (1 + x || k)", TINY, "binomial")
    assert "  array[N] int Y;  // response variable\n" in code
    assert "  array[N] int trials;  // number of trials\n" in code
    assert "  array[N] int<lower=1> J_1;  // grouping indicator per observation\n" in code
    assert "  array[M_1] vector[N_1] z_1;  // standardized group-level effects\n" in code


def brms_variables() -> dict[str, list[str]]:
    lines = (REFERENCE / "variables.txt").read_text().splitlines()
    return {ln[0]: ln[3:].split() for ln in lines if not ln.startswith("#")}


def test_variables_are_brms_variables_of_a_fit_in_its_order():
    # three fits of brms 2.18 (variables_reference.R): no Intercept, z_1 or L_1 in the list
    from mlm_data import require_mlm

    data = pd.read_csv(require_mlm())
    data = data[data["id"] < 60].assign(y01=lambda d: (d["con"] > 0.3).astype(int))
    fits = brms_variables()
    assert variables("con ~ 1 + week + (1 + week | id) + (1 | group)", data, "student") == fits["A"]
    assert (
        variables(["con ~ 0 + a", "a ~ 0 + id.f"], data, prior={"b_a": "normal(0, 1)"}) == fits["B"]
    )
    assert variables("y01 ~ 0 + week + group + (1 + week || id)", data, "bernoulli") == fits["C"]


def test_variables_name_correlations_and_varying_effects_as_brms_does():
    names = variables("y ~ 1 + x + (1 + x | k)", TINY)
    assert names[:6] == [
        "b_Intercept",
        "b_x",
        "sd_k__Intercept",
        "sd_k__x",
        "cor_k__Intercept__x",
        "sigma",
    ]
    assert names[6:8] == ["r_k[1,Intercept]", "r_k[2,Intercept]"]
    assert names[-2:] == ["lprior", "lp__"]
