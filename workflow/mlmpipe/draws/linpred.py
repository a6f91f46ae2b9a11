"""The expected value of any formula's model for new data, from the posterior draws.

For a model the lecture's shapes do not cover (several terms, interactions, factors, several
grouping factors, uncorrelated terms, the non-Gaussian families), the designs of ``newdata``
are built by :mod:`mlmpipe.formula.design` with the fitted model's factor levels, so the
columns are exactly those the model was fitted with and carry brms's names:

``eta = X b + sum over group-level terms of Z r[level]`` (``b_Intercept`` is the column of ones'
coefficient), or the non-linear expression over each parameter's ``X_<nlpar> b_<nlpar>``;
``epred`` and ``predict`` then apply the family (:mod:`mlmpipe.formula.families`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from mlmpipe.draws.core import DrawsError, _coord_values, _variable, draws_of
from mlmpipe.formula import ModelInputError, parse_formula
from mlmpipe.formula import design as fdesign
from mlmpipe.formula.families import Family, get_family, inv_logit
from mlmpipe.formula.parser import BrmsFormula, GroupTerm, LinearFormula
from mlmpipe.models import ModelDataError
from mlmpipe.posterior import Fit

NL_FUNCTIONS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp,
    "log": np.log,
    "inv_logit": inv_logit,
    "sqrt": np.sqrt,
    "log1p": np.log1p,
    "expm1": np.expm1,
}


def _linears(bf: BrmsFormula) -> list[LinearFormula]:
    out = [bf.population] if bf.population is not None else list(bf.nlpars.values())
    return out + [g.formula for g in bf.groups]


def needed_columns(fit: Fit, newdata: pd.DataFrame) -> list[str]:
    """Return the newdata columns the model's predictor reads (``trials``' too for binomial).

    Raises:
        ModelDataError: ``newdata`` lacks one (the message names the model, term and column).
    """
    bf = parse_formula(fit.spec.formula_arg)
    text = bf.display
    try:
        cols = []
        for lf in _linears(bf):
            for v, term in fdesign.linear_variables(lf):
                column = fdesign.resolve(v, newdata, text, term)
                cols += [] if column.constant else [column.column]
        for g in bf.groups:
            cols += [fdesign.resolve(f, newdata, text, f"| {g.group}").column for f in g.factors]
        if isinstance(bf.trials, str):
            cols.append(fdesign.resolve(bf.trials, newdata, text, f"trials({bf.trials})").column)
    except ModelInputError as error:
        raise ModelDataError(f"model {fit.name}: newdata: {error}") from None
    return list(dict.fromkeys(cols))


def _coefficients(fit: Fit, names: Sequence[str], prefix: str, draws: np.ndarray) -> np.ndarray:
    """Draws (S, K) of the coefficients ``b_<prefix><name>``."""
    return np.stack([draws_of(fit, f"b_{prefix}{n}")[draws] for n in names], axis=1)


def _linear_part(
    fit: Fit, lf: LinearFormula, frame: pd.DataFrame, prefix: str, draws: np.ndarray
) -> np.ndarray:
    """``X b`` of one linear formula for the rows of ``frame``, shape (rows, draws)."""
    text = fit.spec.formula_text
    try:
        names, x = fdesign.linear_design(lf, frame, text, levels=fit.levels)
    except ModelInputError as error:
        raise ModelDataError(f"model {fit.name}: newdata: {error}") from None
    if not names:
        return np.zeros((len(frame), len(draws)))
    return x @ _coefficients(fit, names, prefix, draws).T


def _group_labels(term: GroupTerm, frame: pd.DataFrame, text: str) -> np.ndarray:
    """Each row's level label of the grouping factor (``g1:g2`` pasted with ``_``)."""
    cols = [fdesign.resolve(f, frame, text, f"| {term.group}").column for f in term.factors]
    labels = frame[cols[0]].map(fdesign.level_label)
    for c in cols[1:]:
        labels = labels + "_" + frame[c].map(fdesign.level_label)
    return labels.to_numpy()


def _group_draws(fit: Fit, group: str, coefs: Sequence[str], draws: np.ndarray) -> np.ndarray:
    """``r_<group>`` draws of ``coefs`` as (S, levels, coefs)."""
    var = _variable(fit, f"r_{group}", caller="epred_draws")
    term_dim = str(var.dims[3])
    terms = [str(t) for t in _coord_values(var, term_dim)]
    missing = [c for c in coefs if c not in terms]
    if missing:
        raise DrawsError(f"model {fit.name}: 'r_{group}' has no term {', '.join(missing)}")
    var = var.isel({term_dim: [terms.index(c) for c in coefs]})
    values = np.asarray(var.values)
    return values.reshape((-1, *values.shape[2:]))[draws]


def _group_part(
    fit: Fit, term: GroupTerm, frame: pd.DataFrame, new_effects: Callable, draws: np.ndarray
) -> np.ndarray:
    """``sum_k Z_k r[level, k]`` of one group-level term, shape (rows, draws)."""
    text = fit.spec.formula_text
    try:
        coefs, z = fdesign.linear_design(term.formula, frame, text, levels=fit.levels)
    except ModelInputError as error:
        raise ModelDataError(f"model {fit.name}: newdata: {error}") from None
    r = _group_draws(fit, term.group, coefs, draws)  # (S, L, T)
    fitted = {fdesign.level_label(v): i for i, v in enumerate(fit.levels[term.group])}
    labels = _group_labels(term, frame, text)
    effects = np.empty((len(frame), len(draws), len(coefs)))
    known = np.array([label in fitted for label in labels], dtype=bool)
    position = np.array([fitted.get(label, 0) for label in labels], dtype=int)
    effects[known] = np.swapaxes(r[:, position[known], :], 0, 1)
    new_labels = list(dict.fromkeys(labels[~known]))
    if new_labels:
        new = new_effects(term.group, coefs, r, len(new_labels))  # (S, n_new, T)
        for j, label in enumerate(new_labels):
            effects[labels == label] = new[:, j, :]
    return np.einsum("nst,nt->ns", effects, z)


def new_level_labels(fit: Fit, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(grouping factor, level) of every level of ``frame`` the model was not fitted with."""
    bf = parse_formula(fit.spec.formula_arg)
    out = []
    for term in bf.groups:
        fitted = {fdesign.level_label(v) for v in fit.levels[term.group]}
        labels = _group_labels(term, frame, bf.display)
        out += [(term.group, str(lv)) for lv in dict.fromkeys(labels) if lv not in fitted]
    return list(dict.fromkeys(out))


def _nonlinear(bf: BrmsFormula, parts: Mapping[str, np.ndarray]) -> np.ndarray:
    """Evaluate the non-linear formula over the parameters' draws."""
    code = ""
    for tok in bf.nl_expr:
        if tok.kind == "end":
            continue
        if tok.kind == "name" and tok.text in parts:
            code += f"nlp[{tok.text!r}]"
        elif tok.kind == "name" and tok.text not in NL_FUNCTIONS:
            raise DrawsError(f"non-linear formula {bf.display}: unknown name '{tok.text}'")
        else:
            code += "**" if tok.text == "^" else tok.text
    namespace = {"nlp": parts, **NL_FUNCTIONS}
    return np.asarray(eval(code, {"__builtins__": {}}, namespace), dtype=float)  # noqa: S307


def formula_eta(fit: Fit, frame: pd.DataFrame, new_effects: Callable, draws: np.ndarray):
    """The linear (or non-linear) predictor for the rows of ``frame``, shape (rows, draws)."""
    bf = parse_formula(fit.spec.formula_arg)
    if bf.is_nonlinear:
        parts = {
            name: _linear_part(fit, lf, frame, f"{name}_", draws) for name, lf in bf.nlpars.items()
        }
        eta = _nonlinear(bf, parts) * np.ones((len(frame), len(draws)))
    else:
        eta = _linear_part(fit, bf.population, frame, "", draws)
    for term in fdesign.ordered_groups(bf.groups):
        eta = eta + _group_part(fit, term, frame, new_effects, draws)
    return eta


def family_of(fit: Fit) -> Family:
    """The model's response family."""
    return get_family(fit.spec.family)


def family_aux(fit: Fit, frame: pd.DataFrame, draws: np.ndarray) -> dict[str, np.ndarray]:
    """The family's other parameters per draw (1, S), and ``trials`` per row (N, 1)."""
    family = family_of(fit)
    aux = {d.name: draws_of(fit, d.name)[draws][None, :] for d in family.dpars}
    bf = parse_formula(fit.spec.formula_arg)
    if isinstance(bf.trials, str):
        column = fdesign.resolve(bf.trials, frame, bf.display, bf.trials).column
        aux["trials"] = frame[column].to_numpy(dtype=float)[:, None]
    elif isinstance(bf.trials, int):
        aux["trials"] = np.full((len(frame), 1), float(bf.trials))
    return aux
