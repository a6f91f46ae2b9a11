"""The response families brms fits here: their Stan code, parameters, checks and predictions.

Each :class:`Family` knows brms 2.18's Stan code for its likelihood (the ``*_glm`` functions
where brms uses them), its distributional parameters (``sigma``, ``nu``) with their bounds,
and, as numpy functions for draw tables, ``epred(mu, aux)`` (the expected value of the
response: ``mu`` for gaussian and student, ``inv_logit(mu)`` for bernoulli,
``trials * inv_logit(mu)`` for binomial, ``exp(mu)`` for poisson) and
``predict(rng, mu, aux)`` (one draw of the response). ``aux`` maps ``sigma``, ``nu`` and
``trials`` to arrays broadcastable against ``mu``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlmpipe.formula.errors import ModelInputError

Aux = Mapping[str, np.ndarray]


def inv_logit(x: np.ndarray) -> np.ndarray:
    """Return the logistic function of ``x`` (brms's ``inv_logit``)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


@dataclass(frozen=True)
class Dpar:
    """A distributional parameter: name, Stan declaration and lower bound."""

    name: str
    declaration: str
    lower: float


SIGMA = Dpar("sigma", "real<lower=0> sigma;  // dispersion parameter", 0.0)
NU = Dpar("nu", "real<lower=1> nu;  // degrees of freedom or shape", 1.0)


@dataclass(frozen=True)
class Family:
    """A response family as brms 2.18 writes it in Stan."""

    name: str
    integer_response: bool
    dpars: tuple[Dpar, ...]
    link: str
    lpdf: str  # vectorised likelihood over mu, with {Y} and {mu}
    pointwise: str  # one observation's log-likelihood, with {Y} and {mu}
    glm: str | None  # the glm likelihood with {X}, {alpha}, {b}, or None
    epred: Callable[[np.ndarray, Aux], np.ndarray]
    predict: Callable[[np.random.Generator, np.ndarray, Aux], np.ndarray]

    def likelihood(self, mu: str = "mu") -> str:
        """Return brms's ``target += ...`` expression (without ``target +=``) over ``mu``."""
        return self.lpdf.format(Y="Y", mu=mu)

    def glm_likelihood(self, x: str, alpha: str, b: str) -> str:
        """Return brms's glm likelihood over design ``x``, intercept term ``alpha``, ``b``."""
        assert self.glm is not None
        return self.glm.format(X=x, alpha=alpha, b=b)


def _gaussian_predict(rng: np.random.Generator, mu: np.ndarray, aux: Aux) -> np.ndarray:
    return rng.normal(mu, aux["sigma"])


def _student_predict(rng: np.random.Generator, mu: np.ndarray, aux: Aux) -> np.ndarray:
    shape = np.broadcast(mu, aux["sigma"], aux["nu"]).shape
    return mu + aux["sigma"] * rng.standard_t(aux["nu"], size=shape)


FAMILIES: dict[str, Family] = {
    "gaussian": Family(
        "gaussian",
        False,
        (SIGMA,),
        "identity",
        "normal_lpdf({Y} | {mu}, sigma)",
        "normal_lpdf({Y} | {mu}, sigma)",
        "normal_id_glm_lpdf(Y | {X}, {alpha}, {b}, sigma)",
        lambda mu, aux: np.asarray(mu, dtype=float),
        _gaussian_predict,
    ),
    "student": Family(
        "student",
        False,
        (SIGMA, NU),
        "identity",
        "student_t_lpdf({Y} | nu, {mu}, sigma)",
        "student_t_lpdf({Y} | nu, {mu}, sigma)",
        None,
        lambda mu, aux: np.asarray(mu, dtype=float),
        _student_predict,
    ),
    "bernoulli": Family(
        "bernoulli",
        True,
        (),
        "logit",
        "bernoulli_logit_lpmf({Y} | {mu})",
        "bernoulli_logit_lpmf({Y} | {mu})",
        "bernoulli_logit_glm_lpmf(Y | {X}, {alpha}, {b})",
        lambda mu, aux: inv_logit(mu),
        lambda rng, mu, aux: rng.binomial(1, inv_logit(mu)),
    ),
    "binomial": Family(
        "binomial",
        True,
        (),
        "logit",
        "binomial_logit_lpmf({Y} | trials, {mu})",
        "binomial_logit_lpmf({Y} | trials[n], {mu})",
        None,
        lambda mu, aux: np.asarray(aux["trials"]) * inv_logit(mu),
        lambda rng, mu, aux: rng.binomial(np.asarray(aux["trials"]), inv_logit(mu)),
    ),
    "poisson": Family(
        "poisson",
        True,
        (),
        "log",
        "poisson_log_lpmf({Y} | {mu})",
        "poisson_log_lpmf({Y} | {mu})",
        "poisson_log_glm_lpmf(Y | {X}, {alpha}, {b})",
        lambda mu, aux: np.exp(np.asarray(mu, dtype=float)),
        lambda rng, mu, aux: rng.poisson(np.exp(mu)),
    ),
}


def get_family(name: str) -> Family:
    """Return the :class:`Family` called ``name``.

    Raises:
        ModelInputError: brms has no such family here (the message lists those supported).
    """
    key = name.strip().lower()
    if key not in FAMILIES:
        raise ModelInputError(
            f"family '{name}' is not supported (supported: {', '.join(FAMILIES)})"
        )
    return FAMILIES[key]


def check_response(
    family: Family, y: pd.Series, trials: pd.Series | None, formula: str, response: str
) -> None:
    """Raise :class:`ModelInputError` unless ``y`` (and ``trials``) suit ``family``.

    Counts (poisson, binomial) must be whole numbers >= 0; bernoulli responses 0 or 1;
    binomial responses at most their trials; gaussian and student responses numeric.
    """
    where = f"formula \"{formula}\": response '{response}'"
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        if family.name == "bernoulli" and pd.api.types.is_bool_dtype(y):
            return
        raise ModelInputError(f"{where} (column '{response}') is not numeric")
    values = y.to_numpy(dtype=float)
    if not family.integer_response:
        return
    bad = ~np.isclose(values, np.round(values)) | (values < 0)
    if family.name == "bernoulli":
        bad = ~np.isin(values, (0.0, 1.0))
        need = "0 or 1 for family bernoulli"
    else:
        need = f"a whole number >= 0 for family {family.name}"
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ModelInputError(
            f"{where} (column '{response}') has {values[first]:g}; it must be {need}"
        )
    if family.name == "binomial" and trials is not None:
        n = trials.to_numpy(dtype=float)
        bad_n = ~np.isclose(n, np.round(n)) | (n < 0) | (values > n)
        if bad_n.any():
            first = int(np.flatnonzero(bad_n)[0])
            raise ModelInputError(
                f"{where}: trials {n[first]:g} is smaller than the response {values[first]:g} "
                "or not a whole number >= 0"
            )
