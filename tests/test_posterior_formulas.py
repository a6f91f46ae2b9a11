"""Models beyond the lecture's shapes through the pipeline's modules: a config entry's spec,
its Stan data, brms-named posterior, summary and draws, for several population terms (a
factor, an interaction), two grouping factors, correlated and uncorrelated terms and the
non-Gaussian families. CmdStan's CSVs are synthetic (every value encodes its position), so
nothing is compiled; tests/test_brm.py fits real ones."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from mlmpipe import draws, models, posterior, standata, summary
from mlmpipe.formula import variables
from mlmpipe.formula.families import inv_logit
from stan_csv_synth import write_sampler_csv

DRAWS = 5


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 48
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "k": rng.poisson(2.0, size=n),
            "x": rng.normal(size=n),
            "grp": np.where(np.arange(n) % 3 == 0, "PD", "CTRL"),
            "id": np.repeat(np.arange(101, 113), 4),
            "site": np.tile(["b", "a", "c"], 16),
        }
    )


def spec_of(formula: str, family: str = "gaussian", priors: dict | None = None, name="m9"):
    entry = {"formula": formula, "family": family, "priors": priors or {}, "iter": 10,
             "warmup": 5, "chains": 2}  # fmt: skip
    return models.load_specs({"models": {name: entry}})[name]


def stan_columns(model, chain: int) -> dict[str, np.ndarray]:
    """The columns the generated program writes, in its order, each value its position."""
    d = np.arange(DRAWS, dtype=float)
    cols = {name: np.full(DRAWS, 1.0) for name in
            ("lp__", "accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__")}  # fmt: skip
    cols["divergent__"] = np.zeros(DRAWS)
    cols["energy__"] = np.ones(DRAWS)
    if model.has_b:
        for k in range(1, len(model.mu.coefs) + 1):
            cols[f"b.{k}"] = 0.1 * k + d / 1000 + chain / 100
    if model.has_intercept:
        cols["Intercept"] = 0.5 + d / 100
    for dpar in model.family.dpars:
        cols[dpar.name] = 2.0 + d / 10
    for i, g in enumerate(model.groups, 1):
        for k in range(1, len(g.coefs) + 1):
            cols[f"sd_{i}.{k}"] = 0.1 * i + 0.01 * k + d / 1000
        for k in range(1, len(g.coefs) + 1):
            for j in range(1, len(g.levels) + 1):
                cols[f"r_{i}_{k}.{j}"] = (i + k / 10 + j / 1000) / 100 + d / 100000
    cols["lprior"] = -d
    if model.has_intercept:
        cols["b_Intercept"] = 0.4 + d / 100
    for i, g in enumerate(model.groups, 1):
        if g.term.correlated and len(g.coefs) > 1:
            cols[f"cor_{i}.1"] = -0.5 + d / 100
    for n in range(1, len(model.y) + 1):
        cols[f"log_lik.{n}"] = -float(n) - d / 100
    return cols


def fitted(tmp_path, spec, data):
    model_data = standata.build_model_data(spec, data)
    folder = tmp_path / spec.name / "fit"
    folder.mkdir(parents=True)
    for chain in (1, 2):
        write_sampler_csv(folder / f"{spec.name}-{chain}.csv",
                          stan_columns(model_data.model, chain), model=spec.name,
                          chain_id=chain)  # fmt: skip
    idata = posterior.inference_data(model_data, folder)
    path = posterior.write_inference_data(idata, tmp_path / spec.name / "posterior.nc")
    return model_data, posterior.load_fit(path)


FORMULAS = [
    ("con ~ 1 + week * group + (1 + week | id)", "gaussian"),
    ("y ~ 1 + x * grp + (1 | id) + (1 + x || site)", "student"),
    ("k ~ 0 + grp + x + (1 + x | id)", "poisson"),
]


def test_a_formula_model_has_no_lecture_shape_but_its_columns():
    spec = spec_of("con ~ 1 + week * group + (1 + week | id)")
    assert not spec.simple
    assert spec.columns == ("con", "week", "group", "id")
    lecture = spec_of("con ~ 1 + week + (1 + week | id)")
    assert lecture.simple and lecture.varying.terms == ("Intercept", "week")


@pytest.mark.parametrize(("formula", "family"), FORMULAS[1:])
def test_the_posterior_lists_brms_variables(tmp_path, data, formula, family):
    spec = spec_of(formula, family)
    model_data, fit = fitted(tmp_path, spec, data)
    names = [n for n in posterior.brms_variables(fit.idata) if not n.endswith("__")]
    names = [n for n in names if n != "Intercept"] + ["lp__"]
    expected = variables(spec.formula_arg, data, family)
    assert sorted(names) == sorted(expected)
    # b first, then sd, cor, the family's parameters, as brms orders them
    scalars = [n for n in names if "[" not in n]
    assert scalars == [n for n in expected if "[" not in n]


def test_two_grouping_factors_and_uncorrelated_terms_are_named_by_factor(tmp_path, data):
    spec = spec_of("y ~ 1 + x * grp + (1 | id) + (1 + x || site)", "student")
    _, fit = fitted(tmp_path, spec, data)
    post = fit.idata.posterior
    assert post["r_id"].dims == ("chain", "draw", "id", "term_id")
    assert post["r_site"].dims == ("chain", "draw", "site", "term_site")
    assert post["r_site"].coords["site"].values.tolist() == ["a", "b", "c"]
    assert "cor_site__Intercept__x" not in post
    # r_site[b, x]: the second level, second term of the second group-level term (r_2_2[2])
    assert float(post["r_site"].sel(site="b", term_site="x")[0, 0]) == pytest.approx(0.02202)
    table = summary.summary_table(post)
    assert table["parameter"].tolist() == [
        "sd(Intercept)", "sd(Intercept)", "sd(x)", "Intercept", "x", "grpPD", "x:grpPD",
        "sigma", "nu",
    ]  # fmt: skip
    assert table["group"].tolist()[:3] == ["id", "site", "site"]
    header = summary.header_of(fit.idata)
    assert header.family == "student"
    assert header.links == "mu = identity; sigma = identity; nu = identity"


def test_epred_is_the_family_mean_of_the_linear_predictor(tmp_path, data):
    spec = spec_of("k ~ 0 + grp + x + (1 + x | id)", "poisson")
    model_data, fit = fitted(tmp_path, spec, data)
    assert "sigma" not in fit.idata.posterior
    new = data.head(3)
    table = draws.epred_draws(fit, new)
    b_ctrl, b_pd, b_x = (draws.draws_of(fit, f"b_{c}") for c in ("grpCTRL", "grpPD", "x"))
    r = draws.draws_of(fit, "r_id")  # (S, id, term)
    row = new.iloc[0]
    level = fit.levels["id"].index(int(row["id"]))
    eta = (b_pd if row["grp"] == "PD" else b_ctrl) + b_x * row["x"]
    eta = eta + r[:, level, 0] + r[:, level, 1] * row["x"]
    assert table.loc[table[".row"] == 1, ".epred"].to_numpy() == pytest.approx(np.exp(eta))
    predicted = draws.predicted_draws(fit, new, seed=1)
    assert (predicted[".prediction"] % 1 == 0).all()


def test_the_formula_path_gives_the_lecture_path_for_a_lecture_shape(tmp_path, data):
    frame = data.rename(columns={"y": "con", "x": "week", "grp": "group"})
    spec = spec_of("con ~ 1 + week + (1 + week | id)")
    _, fit = fitted(tmp_path, spec, frame)
    general = posterior.Fit(fit.idata, dataclasses.replace(fit.spec, simple=False), fit.levels)
    new = frame.head(6).assign(id=[101, 101, 999, 999, 102, 5])
    for verb in (draws.epred_draws, draws.predicted_draws):
        a = verb(fit, new, allow_new_levels=True, seed=3)
        b = verb(general, new, allow_new_levels=True, seed=3)
        assert a.iloc[:, -1].to_numpy() == pytest.approx(b.iloc[:, -1].to_numpy(), abs=1e-12)


def test_new_data_with_an_unfitted_factor_level_is_refused_naming_term_and_column(tmp_path, data):
    spec = spec_of("y ~ 1 + x * grp + (1 | id) + (1 + x || site)", "student")
    _, fit = fitted(tmp_path, spec, data)
    with pytest.raises(models.ModelDataError) as error:
        draws.epred_draws(fit, data.head(2).assign(grp="XX"))
    assert "model m9: newdata:" in str(error.value)
    assert "term 'grp': column 'grp' has level(s) XX the model was not fitted with" in str(
        error.value
    )
    with pytest.raises(models.ModelDataError, match="level.* 9 of id cannot be found"):
        draws.epred_draws(fit, data.head(2).assign(id=9))


def test_bernoulli_epred_is_the_probability(tmp_path, data):
    frame = data.assign(b=(data["k"] > 2).astype(int))
    spec = spec_of("b ~ 1 + x + (1 | site)", "bernoulli")
    _, fit = fitted(tmp_path, spec, frame)
    table = draws.epred_draws(fit, frame.head(1))
    site = fit.levels["site"].index(frame["site"].iloc[0])
    eta = (draws.draws_of(fit, "b_Intercept") + draws.draws_of(fit, "b_x") * frame["x"].iloc[0]
           + draws.draws_of(fit, "r_site")[:, site, 0])  # fmt: skip
    assert table[".epred"].to_numpy() == pytest.approx(inv_logit(eta))


@pytest.mark.parametrize(("formula", "family"), FORMULAS[1:])
def test_diagnostics_and_loo_read_any_formulas_posterior(tmp_path, data, formula, family):
    from mlmpipe import diagnostics, loo

    spec = spec_of(formula, family)
    _, fit = fitted(tmp_path, spec, data)
    checks = diagnostics.check_fit(fit.idata, model=spec.name)
    assert set(checks["checks"]) >= {"rhat", "bulk_ess", "tail_ess", "divergent"}
    assert loo.compute_loo(fit.idata, spec.name).n_obs == len(data)
