"""A formula, a family, priors and data put together: everything the generators need."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlmpipe.formula import priors as pr
from mlmpipe.formula.design import (
    GroupDesign,
    ModelFrame,
    group_design,
    linear_design,
    model_frame,
    ordered_groups,
    resolve,
)
from mlmpipe.formula.errors import ModelInputError
from mlmpipe.formula.families import Family, check_response, get_family
from mlmpipe.formula.parser import BrmsFormula, parse_formula


@dataclass(frozen=True)
class Population:
    """A population-level design: ``nlpar`` ("" for mu), column names and matrix.

    For mu with an intercept the first column is ``Intercept`` (brms centres the others and
    samples the temporary ``Intercept``); a non-linear parameter's intercept is an ordinary
    column of ``X_<nlpar>`` with coefficient ``b_<nlpar>_Intercept``.
    """

    nlpar: str
    names: list[str]
    matrix: np.ndarray
    intercept: bool

    @property
    def coefs(self) -> list[str]:
        """The coefficients of ``b`` (``b_<nlpar>``): for mu, the intercept excluded."""
        return self.names[1:] if (self.intercept and not self.nlpar) else self.names


@dataclass(frozen=True)
class Model:
    """Everything :func:`make_stancode` and friends need, built by :func:`build_model`."""

    formula: BrmsFormula
    family: Family
    frame: ModelFrame
    y: np.ndarray
    trials: np.ndarray | None
    mu: Population | None
    nlpars: list[Population]
    groups: list[GroupDesign]
    priors: dict[str, pr.Prior]  # by role: "b", "Intercept", "b_a", "sigma", "sd_1", "cor_1"
    user_keys: frozenset[str]

    @property
    def has_intercept(self) -> bool:
        """True when mu has brms's centred intercept."""
        return self.mu is not None and self.mu.intercept

    @property
    def has_b(self) -> bool:
        """True when mu has population-level coefficients besides the intercept."""
        return self.mu is not None and bool(self.mu.coefs)

    @property
    def use_glm(self) -> bool:
        """True when brms uses the family's ``*_glm`` likelihood (brms's use_glm_primitive)."""
        return self.family.glm is not None and self.has_b


def _prior(
    given: Mapping[str, str],
    keys: Sequence[str],
    cls: str,
    default: pr.PriorSpec,
    group: str = "",
    nlpar: str = "",
) -> pr.Prior:
    """The first of ``keys`` the user gave, else ``default`` under the class key."""
    for key in keys:
        if key in given:
            return pr.Prior(key, cls, pr.parse_prior(given[key], key), "user", group, nlpar)
    return pr.Prior(cls, cls, default, "default", group, nlpar)


def _resolve_priors(model_parts: dict, given: Mapping[str, str], link: str) -> dict[str, pr.Prior]:
    y = model_parts["y"]
    mu: Population | None = model_parts["mu"]
    out: dict[str, pr.Prior] = {}
    if mu is not None and mu.coefs:
        out["b"] = _prior(given, ["b"], "b", pr.FLAT)
    if mu is not None and mu.intercept:
        out["Intercept"] = _prior(given, ["Intercept"], "Intercept", pr.default_intercept(y, link))
    for part in model_parts["nlpars"]:
        out[f"b_{part.nlpar}"] = _prior(
            given, [f"b_{part.nlpar}", "b"], "b", pr.FLAT, nlpar=part.nlpar
        )
    for dpar in model_parts["family"].dpars:
        default = pr.NU_DEFAULT if dpar.name == "nu" else pr.default_scale_prior(y, link)
        out[dpar.name] = _prior(given, [dpar.name], dpar.name, default)
    for i, g in enumerate(model_parts["groups"], start=1):
        name = g.term.group
        out[f"sd_{i}"] = _prior(
            given, [f"sd_{name}", "sd"], "sd", pr.default_scale_prior(y, link), name
        )
        if g.term.correlated and len(g.coefs) > 1:
            out[f"cor_{i}"] = _prior(given, [f"cor_{name}", "cor"], "cor", pr.LKJ_DEFAULT, name)
    return out


def _check_keys(
    bf: BrmsFormula, given: Mapping[str, str], priors: dict[str, pr.Prior], groups
) -> None:
    valid = {"b", "Intercept", "sd", "cor", "sigma", "nu"} & {p.cls for p in priors.values()}
    valid |= {f"b_{n}" for n in bf.nlpars}
    if bf.nlpars:
        valid.add("b")
    valid |= {f"sd_{g.term.group}" for g in groups}
    valid |= {f"cor_{g.term.group}" for g in groups if g.term.correlated and len(g.coefs) > 1}
    for key in given:
        if key not in valid:
            raise ModelInputError(
                f"formula \"{bf.display}\": prior '{key}' matches no parameter of the model "
                f"(its prior keys: {', '.join(sorted(valid, key=str.lower))})"
            )


def build_model(
    formula: str | Sequence[str] | BrmsFormula,
    data: pd.DataFrame,
    family: str = "gaussian",
    prior: Mapping[str, str] | None = None,
) -> Model:
    """Parse ``formula``, select its rows of ``data`` and build designs and priors.

    Raises:
        FormulaError: the formula or a prior string cannot be read.
        ModelInputError: unknown family or variable, a factor with one level, a response the
            family cannot have, or a prior key the model has no parameter for.
    """
    bf = parse_formula(formula)
    fam = get_family(family)
    text = bf.display
    if fam.name == "binomial" and bf.trials is None:
        raise ModelInputError(f"formula \"{text}\": family binomial needs 'y | trials(n) ~ ...'")
    if fam.name != "binomial" and bf.trials is not None:
        raise ModelInputError(f'formula "{text}": trials() is only for family binomial')
    frame = model_frame(bf, data)
    kept = frame.data
    y_col = resolve(bf.response, kept, text, bf.response).column
    trials = None
    if isinstance(bf.trials, str):
        trials = kept[resolve(bf.trials, kept, text, bf.trials).column]
    elif isinstance(bf.trials, int):
        trials = pd.Series(np.full(len(kept), bf.trials))
    check_response(fam, kept[y_col], trials, text, bf.response)
    mu = None
    if bf.population is not None:
        names, matrix = linear_design(bf.population, kept, text)
        mu = Population("", names, matrix, bf.population.intercept)
    nlpars = []
    for name, lf in bf.nlpars.items():
        names, matrix = linear_design(lf, kept, text)
        nlpars.append(Population(name, [f"{name}_{n}" for n in names], matrix, lf.intercept))
    groups = [group_design(g, kept, text) for g in ordered_groups(bf.groups)]
    y = kept[y_col].to_numpy(dtype=float)
    parts = {"y": y, "mu": mu, "nlpars": nlpars, "family": fam, "groups": groups}
    given = dict(prior or {})
    priors = _resolve_priors(parts, given, fam.link)
    _check_keys(bf, given, priors, groups)
    return Model(
        formula=bf,
        family=fam,
        frame=frame,
        y=y,
        trials=None if trials is None else trials.to_numpy(dtype=int),
        mu=mu,
        nlpars=nlpars,
        groups=groups,
        priors=priors,
        user_keys=frozenset(given),
    )
