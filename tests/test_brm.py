"""``mlmpipe.brm()``: brms's brm() from Python, on small synthetic data sets."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mlmpipe.formula import FormulaError, ModelInputError
from mlmpipe.formula import variables as brms_variables


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 60
    g = np.repeat(np.arange(1, 13), 5)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "y": 1 + 0.5 * x + rng.normal(0, 0.3, 12)[g - 1] + rng.normal(0, 0.5, n),
            "k": rng.poisson(np.exp(0.3 + 0.4 * x)),
            "x": x,
            "grp": np.where(g % 2, "A", "B"),
            "g": g,
        }
    )


def test_import_mlmpipe_stays_cheap():
    heavy = "('pandas', 'cmdstanpy', 'arviz', 'mlmpipe.fitting')"
    lazy = f"import sys, mlmpipe; print([m for m in {heavy} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", lazy], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    used = "import mlmpipe; assert callable(mlmpipe.brm) and mlmpipe.brm.__name__ == 'brm'"
    subprocess.run([sys.executable, "-c", used], capture_output=True, text=True, check=True)


@pytest.mark.parametrize(
    ("formula", "family", "message"),
    [
        (
            "y ~ 1 + z + (1 | g)",
            "gaussian",
            "model model: formula \"y ~ 1 + z + (1 | g)\": term 'z': the data has no column 'z'",
        ),
        (
            "y ~ 1 + factor(one) + (1 | g)",
            "gaussian",
            "model model: formula \"y ~ 1 + factor(one) + (1 | g)\": term 'factor(one)': factor "
            "'factor(one)' (column 'one') has 1 level (1) in the rows used; a factor needs at "
            "least two",
        ),
        (
            "y ~ 1 + x + (1 | g)",
            "poisson",
            "model model: formula \"y ~ 1 + x + (1 | g)\": response 'y' (column 'y') has",
        ),
    ],
)
def test_bad_input_stops_before_any_compile(tmp_path, data, formula, family, message):
    from mlmpipe import brm

    with pytest.raises(ModelInputError) as error:
        brm(formula, data.assign(one=1), family=family, cache_dir=tmp_path)
    assert str(error.value).startswith(message)
    assert not any(tmp_path.iterdir()), "nothing is compiled or written"


def test_an_unsupported_term_is_named(tmp_path, data):
    from mlmpipe import brm

    with pytest.raises(FormulaError, match=r"^model m: .*unsupported term 'log\(x\)'"):
        brm("y ~ 1 + log(x)", data, cache_dir=tmp_path, name="m")
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_brm_fits_a_gaussian_model_and_reuses_the_executable_for_new_prior_values(
    tmp_path, data, cmdstan_dir
):
    from mlmpipe import brm

    formula = "y ~ 1 + x * grp + (1 + x | g)"
    settings = dict(chains=2, iter=400, warmup=200, seed=5, cache_dir=tmp_path / "cache")
    fit = brm(formula, data, prior={"b": "normal(0, 1)", "sd": "exponential(1)"}, **settings)
    assert fit.compiled
    assert fit.variables() == brms_variables(
        formula, data, prior={"b": "normal(0, 1)", "sd": "exponential(1)"}
    )
    assert fit.variables()[:8] == [
        "b_Intercept", "b_x", "b_grpB", "b_x:grpB", "sd_g__Intercept", "sd_g__x",
        "cor_g__Intercept__x", "sigma",
    ]  # fmt: skip
    table = fit.summary()
    assert table["parameter"].tolist() == [
        "sd(Intercept)", "sd(x)", "cor(Intercept,x)", "Intercept", "x", "grpB", "x:grpB", "sigma",
    ]  # fmt: skip
    assert table.set_index("parameter").loc["x", "Estimate"] == pytest.approx(0.5, abs=0.25)
    assert "Multilevel Hyperparameters:\n~g (Number of levels: 12)" in repr(fit)
    assert fit.loo().n_obs == 60
    epred = fit.epred_draws()
    assert len(epred) == 60 * 400 and ".epred" in epred
    new = pd.DataFrame({"x": [0.0, 1.0], "grp": ["A", "B"], "g": [1, 99]})
    predicted = fit.predicted_draws(new, allow_new_levels=True, seed=1)
    assert len(predicted) == 2 * 400
    assert set(fit.spread_draws("r_g[g, term]")["term"]) == {"Intercept", "x"}

    other = brm(formula, data, prior={"b": "normal(0, 2)", "sd": "exponential(2)"}, **settings)
    assert not other.compiled, "new prior values are data: no recompile"
    assert other.exe == fit.exe
    assert (other.standata["prior_b_sigma"], fit.standata["prior_b_sigma"]) == (2.0, 1.0)


@pytest.mark.slow
def test_brm_fits_a_poisson_model(tmp_path, data, cmdstan_dir):
    from mlmpipe import brm

    fit = brm("k ~ 1 + x + (1 | g)", data, family="poisson", chains=2, iter=400, seed=2,
              cache_dir=tmp_path)  # fmt: skip
    assert "sigma" not in fit.variables()
    assert fit.summary()["parameter"].tolist() == ["sd(Intercept)", "Intercept", "x"]
    assert " Family: poisson \n  Links: mu = log \n" in repr(fit)
    assert fit.summary().set_index("parameter").loc["x", "Estimate"] == pytest.approx(0.4, abs=0.3)
    epred = fit.epred_draws(data.head(4))
    assert (epred[".epred"] > 0).all()
    predicted = fit.predicted_draws(data.head(4), seed=3)
    assert (predicted[".prediction"] % 1 == 0).all()
