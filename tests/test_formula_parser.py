"""Reading brms formulas: terms in R's order, group-level terms, the non-linear form, errors."""

from __future__ import annotations

import pytest
from mlmpipe.errors import MlmpipeError
from mlmpipe.formula import FormulaError, parse_formula


def labels(formula: str) -> list[str]:
    return [t.label for t in parse_formula(formula).population.terms]


def test_the_lecture_formula_has_an_intercept_week_and_varying_intercepts_and_slopes():
    f = parse_formula("con ~ 1 + week + (1 + week | id)")
    assert f.response == "con"
    assert f.population.intercept is True
    assert labels("con ~ 1 + week + (1 + week | id)") == ["week"]
    (group,) = f.groups
    assert group.group == "id" and group.correlated
    assert group.formula.intercept and [t.label for t in group.formula.terms] == ["week"]


@pytest.mark.parametrize(
    ("formula", "intercept"),
    [
        ("y ~ x", True),
        ("y ~ 1 + x", True),
        ("y ~ 0 + x", False),
        ("y ~ x - 1", False),
        ("y ~ x + 0", False),
        ("y ~ -1 + x", False),
    ],
)
def test_intercepts_are_written_1_0_or_minus_1(formula, intercept):
    assert parse_formula(formula).population.intercept is intercept


def test_a_star_b_expands_to_main_effects_then_the_interaction():
    assert labels("y ~ x * g") == ["x", "g", "x:g"]
    assert labels("y ~ a * b * c") == ["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]


def test_terms_are_ordered_by_degree_and_interactions_name_variables_as_r_does():
    # R's terms(): main effects first; an interaction's variables in order of first appearance
    assert labels("y ~ g:x + x") == ["x", "x:g"]
    assert labels("y ~ 0 + g + x:g") == ["g", "g:x"]
    assert labels("y ~ x + x + g:x + x:g") == ["x", "x:g"]


def test_factor_of_a_column_is_a_term_named_as_written():
    (term,) = parse_formula("y ~ factor(h)").population.terms
    (var,) = term.variables
    assert (var.label, var.name, var.forced_factor) == ("factor(h)", "h", True)


def test_uncorrelated_varying_effects_use_a_double_bar():
    (group,) = parse_formula("y ~ x + (1 + x || g)").groups
    assert group.correlated is False


def test_varying_slopes_without_intercepts_and_several_grouping_factors():
    f = parse_formula("y ~ 1 + (0 + x | g) + (1 | h)")
    assert [(g.group, g.formula.intercept) for g in f.groups] == [("g", False), ("h", True)]


def test_nesting_g1_slash_g2_is_g1_plus_g1_colon_g2():
    f = parse_formula("y ~ 1 + (1 | school/class)")
    assert [(g.group, g.factors) for g in f.groups] == [
        ("school", ("school",)),
        ("school:class", ("school", "class")),
    ]


def test_binomial_responses_give_their_trials():
    assert parse_formula("cnt | trials(n) ~ x").trials == "n"
    assert parse_formula("cnt | trials(10) ~ x").trials == 10


def test_the_lectures_non_linear_m1_is_two_formulas():
    f = parse_formula(["con ~ 0 + a", "a ~ 0 + id.f"])
    assert f.is_nonlinear and f.population is None
    assert list(f.nlpars) == ["a"]
    assert f.nlpars["a"].intercept is False
    assert [t.label for t in f.nlpars["a"].terms] == ["id.f"]


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (
            "con ~ 1 + (1 | )",
            "formula \"con ~ 1 + (1 | )\": at position 14: expected a grouping factor after '|'",
        ),
        ("con ~ s(week)", "formula \"con ~ s(week)\": at position 6: unsupported term 's(week)'"),
        ("con ~ 1 + mo(x)", "at position 10: unsupported term 'mo(x)'"),
        ("con ~ poly(week, 2)", "at position 6: unsupported term 'poly(week, 2)'"),
        ("con ~ (1 + week)", "at position 15: expected '|' or '||' in a group-level term"),
        ("con 1 + week", "at position 3: expected '~' after the response"),
        ("con ~ week id", "at position 11: expected '+' or the end of the formula, not 'id'"),
        ("con ~ 1 + $x", "at position 10: unexpected character '$'"),
        ("con ~ 1 + ", "at position 9: expected a variable"),
        ("con ~ 1 + (1 | id / )", "at position 19: expected a grouping factor after '/'"),
        ("con ~ 2 + week", "at position 6: expected a variable, 0 or 1, not the number 2"),
        ("con ~ week - group", "at position 12: expected '1' after '-'"),
        ("y | weights(w) ~ x", "at position 3: expected 'trials(n)' after '|'"),
    ],
)
def test_a_formula_that_cannot_be_read_names_the_position_and_what_was_expected(formula, message):
    with pytest.raises(FormulaError) as err:
        parse_formula(formula)
    assert message in str(err.value)
    assert isinstance(err.value, MlmpipeError) and isinstance(err.value, ValueError)


def test_a_non_linear_formula_names_an_undefined_parameter():
    with pytest.raises(FormulaError, match=r"at position 10: 'b' is not a non-linear parameter"):
        parse_formula(["con ~ a * b", "a ~ 1"])


def test_group_terms_in_a_non_linear_parameter_are_refused():
    with pytest.raises(FormulaError, match="group-level terms in a non-linear parameter"):
        parse_formula(["con ~ a", "a ~ 1 + (1 | id)"])
