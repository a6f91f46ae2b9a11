"""brms formulas in, brms-identical Stan code and data out.

API (others code against these names and signatures; keep them)::

    parse_formula(formula: str | Sequence[str]) -> BrmsFormula          # raises FormulaError
    make_stancode(formula, data: pd.DataFrame, family: str = "gaussian",
                  prior: Mapping[str, str] | None = None) -> str
    make_standata(formula, data, family="gaussian", prior=None) -> dict[str, Any]
    get_prior(formula, data, family="gaussian", prior=None) -> pd.DataFrame
        # columns prior, class, coef, group, nlpar, source
    variables(formula, data, family="gaussian", prior=None) -> list[str]
    class FormulaError(MlmpipeError, ValueError)
    class ModelInputError(MlmpipeError, ValueError)

``formula`` is a brms formula string, or a list of strings for the non-linear form (the main
formula first, then one ``par ~ ...`` per non-linear parameter, as brms's
``bf(con ~ 0 + a, a ~ 0 + id.f, nl = TRUE)``). ``family`` is one of gaussian, student,
bernoulli, binomial (with ``y | trials(n) ~ ...``) and poisson. ``prior`` maps a key (``b``,
``Intercept``, ``sd``, ``sigma``, ``cor``, ``nu``, ``b_<nlpar>``, ``sd_<group>``,
``cor_<group>``) to a brms prior string; the classes left out get brms 2.18's default priors,
computed from the data as brms computes them. Prior parameters are Stan data named
``prior_<key>_<parameter>`` (see :mod:`mlmpipe.formula.priors`), so new prior values need no
recompile. Rows with a missing value in a formula variable are dropped, as brms does.

Modules: :mod:`~mlmpipe.formula.lexer` and :mod:`~mlmpipe.formula.parser` (formulas),
:mod:`~mlmpipe.formula.design` (model frames and design matrices), :mod:`~.families`,
:mod:`~.priors`, :mod:`~.model` (all of it put together), :mod:`~.stancode`,
:mod:`~.standata`, :mod:`~.variables`, :mod:`~.command` (``python -m mlmpipe stancode``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mlmpipe.formula import stancode as _stancode
from mlmpipe.formula import standata as _standata
from mlmpipe.formula import variables as _variables
from mlmpipe.formula.errors import FormulaError, ModelInputError
from mlmpipe.formula.model import Model, build_model
from mlmpipe.formula.parser import BrmsFormula, parse_formula

__all__ = [
    "BrmsFormula",
    "FormulaError",
    "Model",
    "ModelInputError",
    "build_model",
    "get_prior",
    "make_stancode",
    "make_standata",
    "parse_formula",
    "variables",
]

Formula = str | Sequence[str] | BrmsFormula


def make_stancode(
    formula: Formula,
    data: pd.DataFrame,
    family: str = "gaussian",
    prior: Mapping[str, str] | None = None,
) -> str:
    """Return the Stan program brms 2.18's ``make_stancode`` writes, with priors as data and
    ``log_lik`` added (see :mod:`mlmpipe.formula.stancode`).

    Raises:
        FormulaError: the formula or a prior cannot be read.
        ModelInputError: the data, family or prior keys do not fit the formula.
    """
    return _stancode.generate(build_model(formula, data, family, prior))


def make_standata(
    formula: Formula,
    data: pd.DataFrame,
    family: str = "gaussian",
    prior: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the Stan data (numpy arrays and ints under brms's names, plus ``prior_*``).

    Raises:
        FormulaError, ModelInputError: as :func:`make_stancode`.
    """
    return _standata.standata(build_model(formula, data, family, prior))


def get_prior(
    formula: Formula,
    data: pd.DataFrame,
    family: str = "gaussian",
    prior: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return the prior table (columns prior, class, coef, group, nlpar, source), as brms's
    ``get_prior`` lists it, with the user's priors in place (source ``user``).

    Raises:
        FormulaError, ModelInputError: as :func:`make_stancode`.
    """
    return _variables.prior_table(build_model(formula, data, family, prior))


def variables(
    formula: Formula,
    data: pd.DataFrame,
    family: str = "gaussian",
    prior: Mapping[str, str] | None = None,
) -> list[str]:
    """Return the names brms's ``variables(fit)`` lists for this model, in brms's order.

    Raises:
        FormulaError, ModelInputError: as :func:`make_stancode`.
    """
    return _variables.variables(build_model(formula, data, family, prior))
