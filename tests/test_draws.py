"""Posterior draws as tidy tables: spread_draws, epred/predicted draws, new levels, mean_qi.

Every test builds a tiny posterior by hand (ArviZ InferenceData with brms names, as
``posterior.nc`` holds them) so the expected numbers can be worked out on paper.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import arviz as az

from mlmpipe.draws import (
    DrawsError,
    epred_draws,
    mean_qi,
    parse_variable_spec,
    predicted_draws,
    spread_draws,
)
from mlmpipe.models import ModelDataError, ModelSpec, VaryingSpec
from mlmpipe.posterior import Fit

IDS = [6, 29, 34]


def make_spec(
    name: str,
    *,
    intercept: bool = True,
    population: tuple[str, ...] = (),
    terms: tuple[str, ...] | None = ("Intercept",),
    nlpar: str | None = None,
) -> ModelSpec:
    """A model spec as load_specs builds it (priors and sampler settings are irrelevant here)."""
    return ModelSpec(
        name=name,
        formula=(f"{name} formula",),
        response="con",
        intercept=intercept,
        population=population,
        varying=VaryingSpec(group="id", terms=terms) if terms else None,
        priors={},
        iter=6,
        warmup=3,
        chains=2,
        seed=1,
        nlpar=nlpar,
    )


def make_fit(
    spec: ModelSpec,
    scalars: dict[str, np.ndarray],
    r_id: np.ndarray | None = None,
    levels: dict[str, list] | None = None,
    ids: list[int] = IDS,
) -> Fit:
    """A Fit with ``scalars`` (chain, draw) and ``r_id`` (chain, draw, id, term)."""
    posterior = dict(scalars)
    dims = {}
    coords = {}
    if r_id is not None:
        posterior["r_id"] = r_id
        dims["r_id"] = ["id", "term"]
        coords = {"id": ids, "term": list(spec.varying.terms)}
    idata = az.from_dict(posterior=posterior, dims=dims, coords=coords)
    fit_levels = levels if levels is not None else {"id": list(ids)}
    return Fit(idata=idata, spec=spec, levels=fit_levels)


def m2_fit() -> Fit:
    """2 chains x 3 draws, 3 people: b_Intercept = chain + draw/10, r_id = id/1000 + draw/100."""
    chain = np.arange(2)[:, None]
    draw = np.arange(3)[None, :]
    b = (chain + 1) + draw / 10
    r = np.array(IDS)[None, None, :] / 1000 + draw[..., None] / 100 + chain[..., None] / 1000
    return make_fit(
        make_spec("m2"),
        {
            "b_Intercept": b,
            "sigma": 0.05 + 0.01 * draw + 0 * chain,
            "sd_id__Intercept": 0.07 + 0 * b,
        },
        r_id=r[..., None],
    )


# --------------------------------------------------------------------------- spread_draws


def test_spread_draws_numbers_chain_iteration_and_draw_as_tidybayes():
    table = spread_draws(m2_fit(), "b_Intercept", "sigma", "sd_id__Intercept")
    assert list(table.columns) == [
        ".chain",
        ".iteration",
        ".draw",
        "b_Intercept",
        "sigma",
        "sd_id__Intercept",
    ]
    assert table[".chain"].tolist() == [1, 1, 1, 2, 2, 2]
    assert table[".iteration"].tolist() == [1, 2, 3, 1, 2, 3]
    assert table[".draw"].tolist() == [1, 2, 3, 4, 5, 6]
    assert table["b_Intercept"].tolist() == pytest.approx([1.0, 1.1, 1.2, 2.0, 2.1, 2.2])
    assert table["sigma"].tolist() == pytest.approx([0.05, 0.06, 0.07] * 2)


def test_spread_draws_indexed_variable_is_long_with_typed_index_columns():
    table = spread_draws(m2_fit(), "r_id[id, term]")
    assert list(table.columns) == ["id", "term", "r_id", ".chain", ".iteration", ".draw"]
    assert len(table) == 3 * 6
    assert table["id"].dtype.kind == "i"
    assert table["term"].tolist() == ["Intercept"] * 18
    # every draw of the first person, then the next person (the lecture's head)
    assert table["id"].tolist()[:7] == [6] * 6 + [29]
    assert table[".draw"].tolist()[:6] == [1, 2, 3, 4, 5, 6]
    person29 = table[table["id"] == 29]
    # r_id = id/1000 + draw/100 + chain/1000
    assert person29["r_id"].tolist() == pytest.approx([0.029, 0.039, 0.049, 0.030, 0.040, 0.050])
    assert table.attrs["groups"] == ["id", "term"]


def test_spread_draws_scalar_with_indexed_lists_every_person_for_each_draw():
    table = spread_draws(m2_fit(), "b_Intercept", "r_id[id,term]")
    assert list(table.columns) == [
        ".chain",
        ".iteration",
        ".draw",
        "b_Intercept",
        "id",
        "term",
        "r_id",
    ]
    assert table["id"].tolist()[:4] == [6, 29, 34, 6]
    assert table[".draw"].tolist()[:4] == [1, 1, 1, 2]
    row = table[(table["id"] == 34) & (table[".draw"] == 5)].iloc[0]
    assert row["b_Intercept"] == pytest.approx(2.1)
    assert row["r_id"] == pytest.approx(0.034 + 0.01 + 0.001)


def test_spread_draws_names_index_columns_as_asked_and_drops_blank_ones():
    table = spread_draws(m2_fit(), "r_id[person, ]")
    assert list(table.columns) == ["person", "r_id", ".chain", ".iteration", ".draw"]
    assert table.attrs["groups"] == ["person"]


def test_spread_draws_unknown_variable_is_named_with_the_variables_present():
    with pytest.raises(DrawsError) as error:
        spread_draws(m2_fit(), "b_Intercept", "sd_person__Intercept")
    message = str(error.value)
    assert "no variable 'sd_person__Intercept'" in message
    assert "b_Intercept, sigma, sd_id__Intercept, r_id" in message


def test_spread_draws_indexed_variable_without_indices_says_how_to_write_it():
    with pytest.raises(DrawsError, match=r"write it as 'r_id\[id, term\]'"):
        spread_draws(m2_fit(), "r_id")
    with pytest.raises(DrawsError, match="has 2 dimension"):
        spread_draws(m2_fit(), "r_id[id]")
    with pytest.raises(DrawsError, match="'sigma' of model m2 is a scalar"):
        spread_draws(m2_fit(), "sigma[i]")


@pytest.mark.parametrize(
    ("text", "names", "dims"),
    [
        ("sigma", ("sigma",), None),
        (" r_id[ id , term ] ", ("r_id",), ("id", "term")),
        ("b_a_id.f6", ("b_a_id.f6",), None),
        ("c(b_Intercept, sigma)", ("b_Intercept", "sigma"), None),
        ("r_id[,term]", ("r_id",), ("", "term")),
    ],
)
def test_variable_specs_parse_as_tidybayes_writes_them(text, names, dims):
    spec = parse_variable_spec(text)
    assert spec.names == names
    assert spec.dims == dims


@pytest.mark.parametrize("text", ["r_id[id", "r_id[id][term]", "2b", "r_id[id, id]", "r[..]"])
def test_malformed_variable_specs_are_quoted_in_the_error(text):
    with pytest.raises(DrawsError, match="spread_draws"):
        parse_variable_spec(text)


# --------------------------------------------------------------------------- epred_draws


def test_epred_is_intercept_plus_the_persons_effect_in_tidybayes_row_order():
    fit = m2_fit()
    newdata = pd.DataFrame({"id": [34, 6], "id.f": [34, 6]})
    table = epred_draws(fit, newdata)
    assert list(table.columns) == [
        "id",
        "id.f",
        ".row",
        ".chain",
        ".iteration",
        ".draw",
        ".epred",
    ]
    assert table[".row"].tolist() == [1] * 6 + [2] * 6
    assert table[".draw"].tolist() == list(range(1, 7)) * 2
    assert table[".chain"].tolist() == [1, 1, 1, 2, 2, 2] * 2
    assert table[".iteration"].tolist() == [1, 2, 3] * 4
    # id 34, chain 2, iteration 3: b = 2.2, r = 0.034 + 0.02 + 0.001
    assert table[".epred"].iloc[5] == pytest.approx(2.2 + 0.055)
    # id 6, chain 1, iteration 1: b = 1.0, r = 0.006
    assert table[".epred"].iloc[6] == pytest.approx(1.006)
    assert table.attrs["groups"] == ["id", "id.f", ".row"]


def test_epred_unknown_level_is_named_unless_new_levels_are_allowed():
    with pytest.raises(ModelDataError, match=r"level\(s\) 230 of grouping factor 'id'"):
        epred_draws(m2_fit(), pd.DataFrame({"id": [6, 230]}))


def test_epred_missing_predictor_is_named():
    spec = make_spec("m3", population=("week",))
    fit = make_fit(
        spec,
        {"b_Intercept": np.zeros((2, 3)), "b_week": np.ones((2, 3)), "sigma": np.ones((2, 3))},
        r_id=np.zeros((2, 3, 3, 1)),
    )
    with pytest.raises(ModelDataError, match="newdata has no column 'week'"):
        epred_draws(fit, pd.DataFrame({"id": [6]}))
    with pytest.raises(ModelDataError, match="newdata has no column 'id'"):
        epred_draws(fit, pd.DataFrame({"week": [1.0]}))


def test_epred_m1_no_pooling_is_the_persons_coefficient_read_from_id_or_id_f():
    spec = make_spec("m1", intercept=False, population=("id.f",), terms=None, nlpar="a")
    coefficients = {f"b_a_id.f{i}": np.full((2, 3), i / 100) for i in IDS}
    coefficients["b_a_id.f29"] = np.arange(6.0).reshape(2, 3)
    fit = make_fit(spec, {**coefficients, "sigma": np.ones((2, 3))}, levels={"id.f": IDS})
    by_id = epred_draws(fit, pd.DataFrame({"id": [29, 6]}))
    assert by_id[".epred"].tolist() == pytest.approx([0, 1, 2, 3, 4, 5] + [0.06] * 6)
    by_factor = epred_draws(fit, pd.DataFrame({"id.f": [29]}))
    assert list(by_factor.columns)[:2] == ["id.f", ".row"]
    assert by_factor[".epred"].tolist() == pytest.approx([0, 1, 2, 3, 4, 5])
    with pytest.raises(ModelDataError, match="level.*230"):
        epred_draws(fit, pd.DataFrame({"id": [230]}))


def test_epred_m4_codes_group_with_one_indicator_per_level_and_no_intercept():
    spec = make_spec("m4", intercept=False, population=("week", "group"))
    fit = make_fit(
        spec,
        {
            "b_week": np.full((2, 3), 0.01),
            "b_groupCTRL": np.full((2, 3), 0.20),
            "b_groupPD": np.full((2, 3), 0.30),
            "sigma": np.ones((2, 3)),
        },
        r_id=np.broadcast_to(np.array([0.001, 0.002, 0.003])[None, None, :, None], (2, 3, 3, 1)),
        levels={"group": ["CTRL", "PD"], "id": IDS},
    )
    newdata = pd.DataFrame({"id": [6, 29], "group": ["PD", "CTRL"], "week": [2.0, 0.0]})
    means = mean_qi(epred_draws(fit, newdata))
    assert means[".epred"].tolist() == pytest.approx([0.30 + 0.02 + 0.001, 0.20 + 0.002])
    with pytest.raises(ModelDataError, match="level.*XX"):
        epred_draws(fit, newdata.assign(group=["XX", "PD"]))


def m5_fit(n_draws: int = 3, sd=(0.5, 0.2), cor: float = 0.6) -> Fit:
    """Correlated varying intercepts and week slopes (m5's structure)."""
    rng = np.random.default_rng(5)
    spec = make_spec("m5", population=("week",), terms=("Intercept", "week"))
    shape = (2, n_draws)
    return make_fit(
        spec,
        {
            "b_Intercept": np.full(shape, 0.2),
            "b_week": np.full(shape, 0.01),
            "sd_id__Intercept": np.full(shape, sd[0]),
            "sd_id__week": np.full(shape, sd[1]),
            "cor_id__Intercept__week": np.full(shape, cor),
            "sigma": np.full(shape, 0.05),
        },
        r_id=rng.normal(size=(*shape, 3, 2)),
    )


def test_epred_m5_adds_each_persons_intercept_and_slope_times_week():
    fit = m5_fit()
    r = fit.idata.posterior["r_id"].values.reshape(6, 3, 2)
    table = epred_draws(fit, pd.DataFrame({"id": [29, 29], "week": [0.0, 3.0]}))
    expected_week0 = 0.2 + r[:, 1, 0]
    expected_week3 = 0.2 + 0.03 + r[:, 1, 0] + 3 * r[:, 1, 1]
    assert table[".epred"].to_numpy() == pytest.approx(
        np.concatenate([expected_week0, expected_week3])
    )


# --------------------------------------------------------------------------- new levels


def test_uncertainty_new_level_takes_an_existing_levels_effects_in_each_draw():
    fit = m5_fit(n_draws=500)
    r = fit.idata.posterior["r_id"].values.reshape(1000, 3, 2)
    newdata = pd.DataFrame({"id": [230, 230, 231], "week": [0.0, 1.0, 0.0]})
    table = epred_draws(fit, newdata, allow_new_levels=True, seed=9)
    effect = table[".epred"].to_numpy().reshape(3, 1000)
    intercept_230 = effect[0] - 0.2
    slope_230 = effect[1] - effect[0] - 0.01
    intercept_231 = effect[2] - 0.2
    # in each draw, person 230's intercept and slope are those of one existing person
    matches = np.isclose(intercept_230[:, None], r[:, :, 0]) & np.isclose(
        slope_230[:, None], r[:, :, 1]
    )
    assert matches.any(axis=1).all()
    chosen = matches.argmax(axis=1)
    # every existing person is chosen, about a third of the time each
    assert np.bincount(chosen, minlength=3) / 1000 == pytest.approx([1 / 3] * 3, abs=0.06)
    # a second new person gets its own, independent choices
    chosen_231 = np.isclose(intercept_231[:, None], r[:, :, 0]).argmax(axis=1)
    assert 0.5 < np.mean(chosen != chosen_231) < 0.8


def test_uncertainty_new_levels_are_reproducible_from_the_seed():
    fit = m2_fit()
    newdata = pd.DataFrame({"id": [230]})
    first = epred_draws(fit, newdata, allow_new_levels=True, seed=9)
    again = epred_draws(fit, newdata, allow_new_levels=True, seed=9)
    pd.testing.assert_frame_equal(first, again)


def test_gaussian_new_levels_have_the_fitted_spread_and_correlation():
    fit = m5_fit(n_draws=20000, sd=(0.5, 0.2), cor=0.6)
    newdata = pd.DataFrame({"id": [230, 230], "week": [0.0, 1.0]})
    table = epred_draws(fit, newdata, allow_new_levels=True, sample_new_levels="gaussian", seed=9)
    effect = table[".epred"].to_numpy().reshape(2, -1)
    intercept = effect[0] - 0.2
    slope = effect[1] - effect[0] - 0.01
    assert intercept.std() == pytest.approx(0.5, rel=0.03)
    assert slope.std() == pytest.approx(0.2, rel=0.03)
    assert np.corrcoef(intercept, slope)[0, 1] == pytest.approx(0.6, abs=0.02)
    assert intercept.mean() == pytest.approx(0.0, abs=0.02)


def test_gaussian_new_level_of_varying_intercepts_has_sd_id_intercept():
    spec = make_spec("m2")
    shape = (2, 20000)
    fit = make_fit(
        spec,
        {
            "b_Intercept": np.full(shape, 0.25),
            "sigma": np.full(shape, 0.05),
            "sd_id__Intercept": np.full(shape, 0.064),
        },
        r_id=np.zeros((*shape, 3, 1)),
    )
    table = epred_draws(
        fit,
        pd.DataFrame({"id": [230]}),
        allow_new_levels=True,
        sample_new_levels="gaussian",
        seed=1,
    )
    assert table[".epred"].std() == pytest.approx(0.064, rel=0.02)
    assert table[".epred"].mean() == pytest.approx(0.25, abs=0.002)


def test_old_levels_new_level_takes_every_draw_of_one_existing_level():
    fit = m5_fit(n_draws=50)
    r = fit.idata.posterior["r_id"].values.reshape(100, 3, 2)
    table = epred_draws(
        fit,
        pd.DataFrame({"id": [230], "week": [0.0]}),
        allow_new_levels=True,
        sample_new_levels="old_levels",
        seed=3,
    )
    intercept = table[".epred"].to_numpy() - 0.2
    assert any(np.allclose(intercept, r[:, level, 0]) for level in range(3))


def test_sample_new_levels_must_be_one_of_brms_options():
    with pytest.raises(ValueError, match="uncertainty, gaussian, old_levels, not 'random'"):
        epred_draws(m2_fit(), pd.DataFrame({"id": [6]}), sample_new_levels="random")


# --------------------------------------------------------------------------- predicted_draws


def test_predictions_scatter_around_epred_with_each_draws_sigma():
    spec = make_spec("m2")
    shape = (2, 20000)
    sigma = np.where(np.arange(shape[1]) % 2 == 0, 0.05, 0.10)[None, :].repeat(2, axis=0)
    fit = make_fit(
        spec,
        {"b_Intercept": np.full(shape, 0.25), "sigma": sigma, "sd_id__Intercept": sigma},
        r_id=np.full((*shape, 3, 1), 0.01),
    )
    newdata = pd.DataFrame({"id": [6]})
    epred = epred_draws(fit, newdata, seed=3)
    predicted = predicted_draws(fit, newdata, seed=3)
    assert list(predicted.columns)[-1] == ".prediction"
    noise = predicted[".prediction"].to_numpy() - epred[".epred"].to_numpy()
    per_draw_sigma = sigma.reshape(-1)
    assert noise[per_draw_sigma == 0.05].std() == pytest.approx(0.05, rel=0.03)
    assert noise[per_draw_sigma == 0.10].std() == pytest.approx(0.10, rel=0.03)
    assert noise.mean() == pytest.approx(0.0, abs=0.002)


def test_predicted_draws_reuse_epreds_new_level_effects_for_the_same_seed():
    # people 10 apart, sigma 0.05: a different choice of person would show as a jump of 10
    shape = (2, 200)
    fit = make_fit(
        make_spec("m2"),
        {
            "b_Intercept": np.zeros(shape),
            "sigma": np.full(shape, 0.05),
            "sd_id__Intercept": np.full(shape, 10.0),
        },
        r_id=np.broadcast_to(np.array([0.0, 10.0, 20.0])[None, None, :, None], (*shape, 3, 1)),
    )
    newdata = pd.DataFrame({"id": [231]})
    epred = epred_draws(fit, newdata, allow_new_levels=True, seed=4)
    predicted = predicted_draws(fit, newdata, allow_new_levels=True, seed=4)
    assert set(np.round(epred[".epred"], 6)) == {0.0, 10.0, 20.0}
    noise = predicted[".prediction"] - epred[".epred"]
    assert noise.abs().max() < 0.5
    assert noise.std() == pytest.approx(0.05, rel=0.15)


def test_ndraws_keeps_the_original_draw_numbers():
    table = epred_draws(m2_fit(), pd.DataFrame({"id": [6]}), ndraws=4, seed=2)
    assert len(table) == 4
    assert table[".draw"].is_monotonic_increasing
    full = epred_draws(m2_fit(), pd.DataFrame({"id": [6]})).set_index(".draw")
    assert table.set_index(".draw")[".epred"].to_numpy() == pytest.approx(
        full.loc[table[".draw"], ".epred"].to_numpy()
    )


# --------------------------------------------------------------------------- mean_qi


def test_mean_qi_groups_an_epred_table_by_newdata_and_row_sorted_as_dplyr():
    fit = m2_fit()
    table = epred_draws(fit, pd.DataFrame({"id": [34, 6]}))
    summary = mean_qi(table)
    assert list(summary.columns) == [
        "id",
        ".row",
        ".epred",
        ".lower",
        ".upper",
        ".width",
        ".point",
        ".interval",
    ]
    assert summary["id"].tolist() == [6, 34]
    assert summary[".row"].tolist() == [2, 1]
    values = table.loc[table["id"] == 6, ".epred"].to_numpy()
    first = summary.iloc[0]
    assert first[".epred"] == pytest.approx(values.mean())
    assert first[".lower"] == pytest.approx(np.quantile(values, 0.025))
    assert first[".upper"] == pytest.approx(np.quantile(values, 0.975))
    assert (first[".width"], first[".point"], first[".interval"]) == (0.95, "mean", "qi")


def test_mean_qi_quantiles_are_rs_type_7():
    values = np.array([0.1, 0.4, 0.2, 0.9, 0.3])
    summary = mean_qi(pd.DataFrame({"x": values}), "x", width=0.5)
    # R: quantile(c(.1,.4,.2,.9,.3), c(.25,.75)) gives 0.2 and 0.4
    assert summary[".lower"].item() == pytest.approx(0.2)
    assert summary[".upper"].item() == pytest.approx(0.4)
    assert summary["x"].item() == pytest.approx(0.38)


def test_mean_qi_of_spread_draws_groups_by_their_indices():
    table = spread_draws(m2_fit(), "b_Intercept", "r_id[id, term]")
    table["p_mean"] = table["b_Intercept"] + table["r_id"]
    summary = mean_qi(table, "p_mean")
    assert list(summary.columns) == [
        "id",
        "term",
        "p_mean",
        ".lower",
        ".upper",
        ".width",
        ".point",
        ".interval",
    ]
    assert summary["id"].tolist() == IDS
    values = table.loc[table["id"] == 29, "p_mean"].to_numpy()
    assert summary.loc[1, "p_mean"] == pytest.approx(values.mean())
    assert summary.loc[1, ".upper"] == pytest.approx(np.quantile(values, 0.975))


def test_mean_qi_stacks_widths_and_names_intervals_per_column_when_several():
    table = spread_draws(m2_fit(), "b_Intercept", "sigma")
    summary = mean_qi(table, "b_Intercept", "sigma", width=[0.5, 0.9])
    assert summary[".width"].tolist() == [0.5, 0.9]
    assert "sigma.lower" in summary.columns and "b_Intercept.upper" in summary.columns
    b = table["b_Intercept"].to_numpy()
    assert summary.loc[1, "b_Intercept.lower"] == pytest.approx(np.quantile(b, 0.05))
    assert summary.loc[0, "sigma.upper"] == pytest.approx(
        np.quantile(table["sigma"].to_numpy(), 0.75)
    )


def test_mean_qi_groups_by_every_other_column_of_a_plain_table():
    table = pd.DataFrame(
        {"g": ["b", "a", "b", "a"], ".draw": [1, 1, 2, 2], "v": [1.0, 2.0, 3.0, 5.0]}
    )
    summary = mean_qi(table, "v")
    assert summary["g"].tolist() == ["a", "b"]
    assert summary["v"].tolist() == [3.5, 2.0]


def test_mean_qi_errors_name_the_problem():
    table = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="name the columns to summarise"):
        mean_qi(table)
    with pytest.raises(KeyError, match="no column y"):
        mean_qi(table, "y")
    with pytest.raises(ValueError, match="between 0 and 1"):
        mean_qi(table, "x", width=95)
