"""Families' expected values and predictions, and bad input stopped before any compile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formula_cases import TINY_CSV
from mlmpipe.formula import FormulaError, ModelInputError, make_stancode
from mlmpipe.formula.families import FAMILIES, inv_logit

TINY = pd.read_csv(TINY_CSV)
MU = np.array([-1.0, 0.0, 2.0])
AUX = {"sigma": np.array(0.5), "nu": np.array(4.0), "trials": np.array([10, 10, 20])}


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("gaussian", MU),
        ("student", MU),
        ("bernoulli", inv_logit(MU)),
        ("binomial", np.array([10, 10, 20]) * inv_logit(MU)),
        ("poisson", np.exp(MU)),
    ],
)
def test_epred_is_the_expected_response_as_brms_defines_it(family, expected):
    np.testing.assert_allclose(FAMILIES[family].epred(MU, AUX), expected)
    assert inv_logit(np.array([0.0])).tolist() == [0.5]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_predictions_average_to_epred(family):
    rng = np.random.default_rng(1)
    mu = np.full(200_000, 0.3)
    draws = FAMILIES[family].predict(rng, mu, {"sigma": 0.5, "nu": 5.0, "trials": 7})
    assert draws.mean() == pytest.approx(
        float(FAMILIES[family].epred(mu, {"trials": 7})[0]), abs=0.01
    )


def test_counts_and_binary_responses_are_whole_numbers():
    draws = FAMILIES["binomial"].predict(np.random.default_rng(2), MU, AUX)
    assert np.all(draws <= AUX["trials"]) and draws.dtype.kind == "i"
    assert set(FAMILIES["bernoulli"].predict(np.random.default_rng(2), MU, AUX)) <= {0, 1}


@pytest.mark.parametrize(
    ("formula", "family", "data", "message"),
    [
        ("y ~ 1 + s(x)", "gaussian", TINY, "unsupported term 's(x)'"),
        (
            "y ~ 1 + z",
            "gaussian",
            TINY,
            "formula \"y ~ 1 + z\": term 'z': the data has no column 'z'",
        ),
        (
            "y ~ 1 + (1 | school)",
            "gaussian",
            TINY,
            "term '| school': the data has no column 'school'",
        ),
        (
            "y ~ 1 + g",
            "gaussian",
            TINY.assign(g="a"),
            "term 'g': factor 'g' (column 'g') has 1 level (a) in the rows used; "
            "a factor needs at least two",
        ),
        (
            "y ~ 1 + x",
            "poisson",
            TINY,
            "response 'y' (column 'y') has 1.353; "
            "it must be a whole number >= 0 for family poisson",
        ),
        (
            "x ~ 1",
            "poisson",
            TINY.assign(x=-TINY["x"].abs() - 1),
            "response 'x' (column 'x') has -1.3; it must be a whole number >= 0 for family poisson",
        ),
        (
            "cnt ~ 1",
            "bernoulli",
            TINY,
            "response 'cnt' (column 'cnt') has 5; it must be 0 or 1 for family bernoulli",
        ),
        (
            "cnt | trials(n) ~ 1",
            "binomial",
            TINY.assign(n=2),
            "response 'cnt': trials 2 is smaller than the response 5",
        ),
        ("cnt ~ 1", "binomial", TINY, "family binomial needs 'y | trials(n) ~ ...'"),
        ("y ~ 1", "weibull", TINY, "family 'weibull' is not supported"),
        ("g ~ 1", "gaussian", TINY, "response 'g' (column 'g') is not numeric"),
    ],
)
def test_bad_input_stops_with_the_formula_term_and_column(formula, family, data, message):
    with pytest.raises((ModelInputError, FormulaError)) as err:
        make_stancode(formula, data, family)
    assert message in str(err.value)


def test_x_dot_f_is_the_factor_of_x_when_the_data_has_no_x_dot_f():
    code = make_stancode("y ~ 0 + k.f", TINY)
    assert "vector[K] b;" in code
    from mlmpipe.formula import make_standata

    assert make_standata("y ~ 0 + k.f", TINY)["K"] == 6  # one indicator per level of k
