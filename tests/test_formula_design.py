"""Design matrices and Stan data as R's model.matrix and brms's make_standata build them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formula_cases import CASES, brms_standata, case_args
from mlm_data import needs_mlm
from mlmpipe.formula import make_standata
from mlmpipe.formula.design import factor_levels, linear_design, r_string_key
from mlmpipe.formula.parser import parse_formula

# The 8-row frame of the R session the expectations below were read from:
# t <- data.frame(y=c(1.5,2.1,0.3,4.2,3.3,2.2,1.0,0.5), x=1:8, g=c("b","a","c","a","b","c","a","b"),
#                 h=c(10,2,10,2,10,2,10,2), k=c(1,1,2,2,3,3,1,2))
T = pd.DataFrame(
    {
        "y": [1.5, 2.1, 0.3, 4.2, 3.3, 2.2, 1.0, 0.5],
        "x": [1.0, 2, 3, 4, 5, 6, 7, 8],
        "g": list("bacabcab"),
        "h": [10, 2, 10, 2, 10, 2, 10, 2],
        "k": [1, 1, 2, 2, 3, 3, 1, 2],
    }
)


def columns(formula: str) -> list[str]:
    return linear_design(parse_formula(formula).population, T, formula)[0]


@pytest.mark.parametrize(
    ("formula", "expected"),
    [  # colnames(make_standata(formula, t)$X) in R
        ("y ~ 1 + x * g + factor(h)", ["Intercept", "x", "gb", "gc", "factorh10", "x:gb", "x:gc"]),
        ("y ~ 0 + g + x:g", ["ga", "gb", "gc", "ga:x", "gb:x", "gc:x"]),
        ("y ~ 1 + x:g", ["Intercept", "x:ga", "x:gb", "x:gc"]),
        (
            "y ~ 0 + x + g*factor(h)",
            ["x", "ga", "gb", "gc", "factorh10", "gb:factorh10", "gc:factorh10"],
        ),
        ("y ~ g:x + x", ["Intercept", "x", "x:gb", "x:gc"]),
    ],
)
def test_columns_follow_rs_contrasts_and_naming(formula, expected):
    assert columns(formula) == expected


def test_treatment_contrasts_and_interaction_values_equal_rs_model_matrix():
    formula = "y ~ 1 + x * g + factor(h)"
    _, matrix = linear_design(parse_formula(formula).population, T, formula)
    assert matrix.tolist() == [  # make_standata(y ~ 1 + x * g + factor(h) + (1 | k), t)$X
        [1, 1, 1, 0, 1, 1, 0],
        [1, 2, 0, 0, 0, 0, 0],
        [1, 3, 0, 1, 1, 0, 3],
        [1, 4, 0, 0, 0, 0, 0],
        [1, 5, 1, 0, 1, 5, 0],
        [1, 6, 0, 1, 0, 0, 6],
        [1, 7, 0, 0, 1, 0, 0],
        [1, 8, 1, 0, 0, 8, 0],
    ]


def test_nested_groups_paste_levels_with_an_underscore_and_sort_them_as_text():
    data = make_standata("y ~ 1 + (1 | k/g) + (1 | h)", T)
    # R: J_1 (h), J_2 (k), J_3 (k:g, levels 1_a 1_b 2_a 2_b 2_c 3_b 3_c)
    assert data["J_1"].tolist() == [2, 1, 2, 1, 2, 1, 2, 1]
    assert data["J_2"].tolist() == [1, 1, 2, 2, 3, 3, 1, 2]
    assert data["J_3"].tolist() == [2, 1, 5, 3, 6, 7, 1, 4]
    assert (data["N_1"], data["N_2"], data["N_3"]) == (2, 3, 7)


def test_levels_sort_numerically_for_numbers_and_as_r_sorts_text_otherwise():
    assert factor_levels(pd.Series([10, 2, 101, 2])) == [2, 10, 101]
    text = ["b", "A", "a", "B", "1_a", "10", "1", "a b", "ab", "Ab", "x10", "x2"]
    # R 4 (ICU): sort(text)
    assert sorted(text, key=r_string_key) == [
        "1",
        "1_a",
        "10",
        "a",
        "A",
        "a b",
        "ab",
        "Ab",
        "b",
        "B",
        "x10",
        "x2",
    ]


def test_a_categorical_column_keeps_its_own_level_order():
    values = pd.Series(pd.Categorical(["lo", "hi", "mid"], categories=["lo", "mid", "hi"]))
    assert factor_levels(values) == ["lo", "mid", "hi"]


@pytest.mark.parametrize("case", [c for c in CASES if c["data"] == "tiny"], ids=lambda c: c["name"])
def test_stan_data_equals_brms_make_standata(case):
    ours = make_standata(*case_args(case))
    brms = brms_standata(case["name"])
    assert [k for k in ours if not k.startswith("prior_") or k == "prior_only"] == list(brms)
    for key, value in brms.items():
        np.testing.assert_allclose(
            np.asarray(ours[key], float), np.asarray(value, float), err_msg=key
        )


@needs_mlm
def test_m3_drops_the_three_rows_without_week_and_keeps_88_people():
    from mlm_data import MLM_CSV

    data = make_standata("con ~ 1 + week + (1 | id)", pd.read_csv(MLM_CSV))
    assert (data["N"], data["K"], data["N_1"], data["M_1"]) == (216, 2, 88, 1)
    assert data["J_1"][:10].tolist() == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5]  # make_standata in R
    assert data["X"][:4, 1].tolist() == [0, 1, 2, 0]
    assert data["Y"][:2].tolist() == pytest.approx([0.1929, 0.1949], abs=5e-5)


@needs_mlm
def test_m1_has_one_indicator_per_person_named_b_a_id_f():
    from mlm_data import MLM_CSV
    from mlmpipe.formula import build_model

    model = build_model(["con ~ 0 + a", "a ~ 0 + id.f"], pd.read_csv(MLM_CSV))
    (part,) = model.nlpars
    assert part.names[:4] == ["a_id.f6", "a_id.f29", "a_id.f34", "a_id.f36"]
    assert part.matrix.shape == (219, 91)
    assert part.matrix.sum(axis=1).tolist() == [1.0] * 219
