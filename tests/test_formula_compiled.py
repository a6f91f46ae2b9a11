"""A generated program compiled and sampled: its lprior and log_lik are the densities they
should be, with the priors read from the data (one compile for the module)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formula_cases import TINY_CSV
from mlmpipe.formula import make_stancode, make_standata
from scipy import stats
from stan_programs import compile_program

FORMULA = "y ~ 1 + x + g + (1 + x || k)"
PRIOR = {"b": "normal(0, 2)", "sd_k": "exponential(2)"}  # Intercept, sigma, nu: brms's defaults


@pytest.fixture(scope="module")
def fit(cmdstan_dir, tmp_path_factory):
    data = pd.read_csv(TINY_CSV)
    code = make_stancode(FORMULA, data, "student", PRIOR)
    standata = make_standata(FORMULA, data, "student", PRIOR)
    model = compile_program(tmp_path_factory.mktemp("formula"), "student_uncorrelated", code)
    draws = model.sample(
        data={
            k: np.asarray(v).tolist() if hasattr(v, "__len__") else v for k, v in standata.items()
        },
        chains=1,
        iter_warmup=200,
        iter_sampling=50,
        seed=3,
        sig_figs=12,
        show_progress=False,
        show_console=False,
    ).draws_pd()
    return standata, draws


def half(dist, value, lower=0.0):
    """A prior truncated at ``lower``: brms's lpdf minus lccdf(lower)."""
    return dist.logpdf(value) - dist.logsf(lower)


def test_lprior_is_the_sum_of_the_prior_densities_brms_writes(fit):
    standata, draws = fit
    assert (standata["prior_Intercept_nu"], standata["prior_Intercept_mu"]) == (3.0, 2.3)
    b_cols = [c for c in draws.columns if c.startswith("b[")]
    expected = (
        stats.norm(standata["prior_b_mu"], standata["prior_b_sigma"])
        .logpdf(draws[b_cols])
        .sum(axis=1)
        + stats.t(3, 2.3, 2.5).logpdf(draws["Intercept"])  # brms's default for these 28 rows
        + half(stats.t(3, 0, 2.5), draws["sigma"])
        + half(stats.gamma(2, scale=1 / 0.1), draws["nu"], 1.0)  # gamma(2, 0.1) on nu >= 1
        + stats.expon(scale=1 / 2).logpdf(draws[["sd_1[1]", "sd_1[2]"]]).sum(axis=1)
    )
    np.testing.assert_allclose(draws["lprior"], expected, rtol=1e-6)


def test_log_lik_is_each_observations_student_t_log_density(fit):
    standata, draws = fit
    b = draws[[c for c in draws.columns if c.startswith("b[")]].to_numpy()
    xc = standata["X"][:, 1:] - standata["X"][:, 1:].mean(axis=0)
    r1 = draws[[c for c in draws.columns if c.startswith("r_1_1[")]].to_numpy()
    r2 = draws[[c for c in draws.columns if c.startswith("r_1_2[")]].to_numpy()
    j = standata["J_1"] - 1
    mu = (
        draws["Intercept"].to_numpy()[:, None]
        + b @ xc.T
        + r1[:, j] * standata["Z_1_1"]
        + r2[:, j] * standata["Z_1_2"]
    )
    expected = stats.t.logpdf(
        standata["Y"], draws["nu"].to_numpy()[:, None], mu, draws["sigma"].to_numpy()[:, None]
    )
    log_lik = draws[[f"log_lik[{n}]" for n in range(1, standata["N"] + 1)]].to_numpy()
    np.testing.assert_allclose(log_lik, expected, rtol=1e-6)


def test_b_intercept_is_recovered_from_the_centred_intercept(fit):
    standata, draws = fit
    b = draws[[c for c in draws.columns if c.startswith("b[")]].to_numpy()
    means = standata["X"][:, 1:].mean(axis=0)
    np.testing.assert_allclose(draws["b_Intercept"], draws["Intercept"] - b @ means, rtol=1e-6)
