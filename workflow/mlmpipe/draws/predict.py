"""``epred_draws`` / ``predicted_draws``: draws of the expected value ``mu`` and of new
observations for the rows of ``newdata``, as brms's ``posterior_epred`` / ``posterior_predict``
compute them (``mu = X b + sum_k r[level, k] Z_k``; predictions add Normal noise with each
draw's ``sigma``), including brms's ways of sampling new levels (``sample_new_levels``).

Unlike tidybayes, ``.chain`` and ``.iteration`` hold each draw's real chain and iteration, and
a subsample (``ndraws``) keeps each draw's original ``.draw`` number, so tables can be joined.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mlmpipe.draws import linpred
from mlmpipe.draws.core import (
    DRAW_INDEX,
    GROUPS_ATTR,
    NEW_LEVEL_METHODS,
    ROW,
    DrawsError,
    _coord_values,
    _posterior,
    _variable,
    draw_index,
    draws_of,
)
from mlmpipe.models import (
    ModelDataError,
    coefficient_names,
    group_index,
    group_terms_design,
    level_label,
    population_design,
    source_column,
)
from mlmpipe.posterior import Fit

# --------------------------------------------------------------------------- predictions


def _newdata_frame(fit: Fit, newdata: pd.DataFrame) -> pd.DataFrame:
    """Return ``newdata`` with every column the model reads, or raise naming the missing ones.

    A factor predictor ``x.f`` reads column ``x``; a newdata with only ``x.f`` (as the
    lecture's ``nd`` has ``id.f``) is read through that column.
    """
    spec = fit.spec
    frame = newdata.reset_index(drop=True).copy()
    for predictor in spec.population:
        column = source_column(predictor)
        if column != predictor and column not in frame.columns and predictor in frame.columns:
            frame[column] = frame[predictor]
    missing = [c for c in spec.predictor_columns if c not in frame.columns]
    if missing:
        raise ModelDataError(
            f"model {fit.name}: newdata has no column {', '.join(repr(c) for c in missing)} "
            f"(the model's predictors are {', '.join(spec.predictor_columns)}; newdata has "
            f"{', '.join(map(str, newdata.columns)) or 'no columns'})"
        )
    _check_reserved(fit, newdata)
    for column in spec.predictor_columns:
        if frame[column].isna().any():
            row = int(np.flatnonzero(frame[column].isna().to_numpy())[0]) + 1
            raise ModelDataError(
                f"model {fit.name}: newdata column '{column}' has a missing value at row {row}"
            )
    return frame


def _check_reserved(fit: Fit, newdata: pd.DataFrame) -> None:
    """Raise naming newdata's columns that the draw table adds itself."""
    reserved = [c for c in (*DRAW_INDEX, ROW, ".epred", ".prediction") if c in newdata.columns]
    if reserved:
        raise ModelDataError(
            f"model {fit.name}: newdata has column(s) {', '.join(reserved)}, which the draw "
            "table adds itself; rename or drop them"
        )


def _check_new_level_method(method: str) -> None:
    if method not in NEW_LEVEL_METHODS:
        raise ValueError(
            f"sample_new_levels must be one of {', '.join(NEW_LEVEL_METHODS)}, not {method!r}"
        )


def _select_draws(n_total: int, ndraws: int | None, rng: np.random.Generator) -> np.ndarray:
    """Return the positions of the draws to use (all, or a random subset kept in order)."""
    if ndraws is None:
        return np.arange(n_total)
    if not 1 <= ndraws <= n_total:
        raise ValueError(f"ndraws must be between 1 and {n_total} (the fit's draws), not {ndraws}")
    return np.sort(rng.choice(n_total, size=ndraws, replace=False))


def _new_level_effects(
    fit: Fit,
    r: np.ndarray,
    n_new: int,
    method: str,
    rng: np.random.Generator,
    draws: np.ndarray,
    group: str | None = None,
    terms: Sequence[str] | None = None,
) -> np.ndarray:
    """Return draws of the varying effects of ``n_new`` new levels, shape (S, n_new, T).

    As brms's ``get_new_rdraws``: ``"uncertainty"`` takes, in each draw, the effects of an
    existing level chosen at random for that draw (one choice per new level and draw, shared
    by all terms, so correlations carry over); ``"old_levels"`` takes all draws of one
    existing level chosen at random per new level; ``"gaussian"`` draws from the
    multivariate normal with each draw's ``sd_`` and ``cor_`` parameters.
    """
    n_draws, n_levels, n_terms = r.shape
    out = np.empty((n_draws, n_new, n_terms))
    rows = np.arange(n_draws)
    if group is None:
        assert fit.spec.varying is not None
        group, terms = fit.spec.varying.group, fit.spec.varying.terms
    chol = _cov_cholesky(fit, group, terms, draws) if method == "gaussian" else None
    for j in range(n_new):
        if method == "uncertainty":
            chosen = rng.integers(0, n_levels, size=n_draws)
            out[:, j, :] = r[rows, chosen, :]
        elif method == "old_levels":
            out[:, j, :] = r[:, int(rng.integers(0, n_levels)), :]
        else:  # gaussian
            z = rng.standard_normal((n_draws, n_terms))
            out[:, j, :] = np.einsum("sij,sj->si", chol, z)
    return out


def _cov_cholesky(fit: Fit, group: str, terms: Sequence[str], draws: np.ndarray) -> np.ndarray:
    """Return per draw the Cholesky factor of the varying effects' covariance, (S, T, T)."""
    sds = np.stack([draws_of(fit, f"sd_{group}__{t}")[draws] for t in terms], axis=1)
    n_terms = len(terms)
    corr = np.broadcast_to(np.eye(n_terms), (len(draws), n_terms, n_terms)).copy()
    for a in range(n_terms):
        for b in range(a + 1, n_terms):
            name = f"cor_{group}__{terms[a]}__{terms[b]}"
            if name in _posterior(fit).data_vars:
                corr[:, a, b] = corr[:, b, a] = draws_of(fit, name)[draws]
    cov = sds[:, :, None] * corr * sds[:, None, :]
    return np.linalg.cholesky(cov)


def _varying_draws(fit: Fit, draws: np.ndarray) -> np.ndarray:
    """Return ``r_<group>`` draws as (S, levels, terms), terms in the spec's order."""
    varying = fit.spec.varying
    assert varying is not None
    name = f"r_{varying.group}"
    var = _variable(fit, name, caller="epred_draws")
    if var.ndim != 4:
        raise DrawsError(
            f"model {fit.name}: variable '{name}' should have dimensions (chain, draw, "
            f"{varying.group}, term); it has ({', '.join(map(str, var.dims))})"
        )
    term_dim = str(var.dims[3])
    terms = [str(t) for t in _coord_values(var, term_dim)]
    absent = [t for t in varying.terms if t not in terms]
    if absent:
        raise DrawsError(
            f"model {fit.name}: '{name}' has no term {', '.join(absent)} "
            f"(its terms: {', '.join(terms)})"
        )
    if list(varying.terms) != terms:
        order = [terms.index(t) for t in varying.terms]
        var = var.isel({term_dim: order})
    levels = _coord_values(var, str(var.dims[2]))
    fitted = [level_label(v) for v in fit.levels[varying.group]]
    if [level_label(v) for v in levels] != fitted:
        raise DrawsError(
            f"model {fit.name}: the levels of '{name}' do not match the fit's levels of "
            f"'{varying.group}'"
        )
    values = np.asarray(var.values)
    return values.reshape((-1, *values.shape[2:]))[draws]


def _linear_predictor(
    fit: Fit,
    frame: pd.DataFrame,
    *,
    allow_new_levels: bool,
    sample_new_levels: str,
    rng: np.random.Generator,
    draws: np.ndarray,
) -> np.ndarray:
    """Return draws of ``mu`` for the rows of ``frame``, shape (rows, draws)."""
    spec = fit.spec
    mu = np.zeros((len(frame), len(draws)))
    if spec.intercept:
        mu += draws_of(fit, "b_Intercept")[draws][None, :]
    names = coefficient_names(spec, fit.levels)
    if names:
        design = population_design(spec, frame, fit.levels).to_numpy(dtype=float)
        b = np.stack([draws_of(fit, f"b_{n}")[draws] for n in names], axis=1)
        mu += design @ b.T
    if spec.varying is not None:
        group = spec.varying.group
        r = _varying_draws(fit, draws)  # (S, L, T)
        z = group_terms_design(spec, frame).to_numpy(dtype=float)  # (N, T)
        position = group_index(frame[group], fit.levels[group])  # 1-based, 0 = new
        new_labels = list(dict.fromkeys(level_label(v) for v in frame[group][position == 0]))
        if new_labels and not allow_new_levels:
            raise ModelDataError(
                f"model {fit.name}: level(s) {', '.join(new_labels)} of grouping factor "
                f"'{group}' cannot be found in the fitted model; pass allow_new_levels=True "
                "to predict for new levels"
            )
        effects = np.empty((len(frame), len(draws), r.shape[2]))
        known = position > 0
        effects[known] = np.swapaxes(r[:, position[known] - 1, :], 0, 1)
        if new_labels:
            new = _new_level_effects(fit, r, len(new_labels), sample_new_levels, rng, draws)
            labels = frame[group].map(level_label).to_numpy()
            for j, label in enumerate(new_labels):
                effects[labels == label] = new[:, j, :]
        mu += np.einsum("nst,nt->ns", effects, z)
    return mu


def _draw_table(
    fit: Fit, newdata: pd.DataFrame, values: np.ndarray, draws: np.ndarray, name: str
) -> pd.DataFrame:
    """Return ``newdata`` x draws in tidybayes's order: every draw of row 1, then row 2."""
    n_rows, n_draws = values.shape
    index = draw_index(fit).iloc[draws].reset_index(drop=True)
    table = newdata.reset_index(drop=True).iloc[np.repeat(np.arange(n_rows), n_draws)]
    table = table.reset_index(drop=True)
    table[ROW] = np.repeat(np.arange(1, n_rows + 1), n_draws)
    for column in DRAW_INDEX:
        table[column] = np.tile(index[column].to_numpy(), n_rows)
    table[name] = values.reshape(-1)
    table.attrs[GROUPS_ATTR] = [*map(str, newdata.columns), ROW]
    return table


def _formula_mu_draws(
    fit: Fit,
    newdata: pd.DataFrame,
    allow_new_levels: bool,
    sample_new_levels: str,
    ndraws: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """:func:`_mu_draws` for any formula (:mod:`.linpred`): the predictor, draws and rows."""
    frame = newdata.reset_index(drop=True).copy()
    columns = linpred.needed_columns(fit, frame)
    _check_reserved(fit, newdata)
    for column in columns:
        if frame[column].isna().any():
            row = int(np.flatnonzero(frame[column].isna().to_numpy())[0]) + 1
            raise ModelDataError(
                f"model {fit.name}: newdata column '{column}' has a missing value at row {row}"
            )
    new = linpred.new_level_labels(fit, frame)
    if new and not allow_new_levels:
        raise ModelDataError(
            f"model {fit.name}: level(s) {', '.join(f'{lv} of {g}' for g, lv in new)} cannot be "
            "found in the fitted model; pass allow_new_levels=True to predict for new levels"
        )
    draws = _select_draws(len(draw_index(fit)), ndraws, rng)

    def new_effects(group: str, terms: Sequence[str], r: np.ndarray, n_new: int) -> np.ndarray:
        return _new_level_effects(fit, r, n_new, sample_new_levels, rng, draws, group, terms)

    return linpred.formula_eta(fit, frame, new_effects, draws), draws, frame


def _mu_draws(
    fit: Fit,
    newdata: pd.DataFrame,
    allow_new_levels: bool,
    sample_new_levels: str,
    ndraws: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Return the linear predictor (rows x draws) for ``newdata``, the draws it used and the
    rows as read.

    Shared by :func:`epred_draws` and :func:`predicted_draws`, so that with one seed both
    use the same draws and the same new-level effects.
    """
    _check_new_level_method(sample_new_levels)
    if not fit.spec.simple:
        args = (allow_new_levels, sample_new_levels, ndraws, rng)
        return _formula_mu_draws(fit, newdata, *args)
    frame = _newdata_frame(fit, newdata)
    draws = _select_draws(len(draw_index(fit)), ndraws, rng)
    mu = _linear_predictor(
        fit,
        frame,
        allow_new_levels=allow_new_levels,
        sample_new_levels=sample_new_levels,
        rng=rng,
        draws=draws,
    )
    return mu, draws, frame


def epred_draws(
    fit: Fit,
    newdata: pd.DataFrame,
    allow_new_levels: bool = False,
    sample_new_levels: str = "uncertainty",
    seed: int | None = None,
    ndraws: int | None = None,
) -> pd.DataFrame:
    """Return draws of the expected value ``mu`` for each row of ``newdata``.

    ``mu = b_Intercept + X b + sum_k r_<group>[level, k] * Z_k``, with brms's design (``X``
    coded against the fit's factor levels; m1's ``id.f`` is read from ``newdata``'s ``id``,
    or from ``id.f`` when there is no ``id``). Rows of a level the model was not fitted
    with get new-level effects (``allow_new_levels=True``) sampled as ``sample_new_levels``
    says: ``"uncertainty"`` (brms's default: in each draw, the effects of an existing level
    chosen at random for that draw and new level), ``"gaussian"`` (from Normal(0, Sigma)
    with each draw's ``sd_``/``cor_``) or ``"old_levels"`` (every draw of one random existing
    level). Rows of the same new level share its effects. ``ndraws`` uses a random subset
    of the draws (each keeps its ``.draw`` number). ``seed`` seeds both choices.

    Returns:
        ``newdata``'s columns, ``.row`` (from 1), ``.chain``, ``.iteration``, ``.draw``,
        ``.epred``; every draw of row 1, then of row 2 (tidybayes's order). ``attrs["groups"]``
        is newdata's columns and ``.row``.

    Raises:
        ModelDataError: ``newdata`` lacks a predictor (named), has a missing value, or has a
            level the model was not fitted with (named) and ``allow_new_levels`` is false.
        ValueError: ``sample_new_levels`` or ``ndraws`` is not valid.
    """
    rng = np.random.default_rng(seed)
    mu, draws, frame = _mu_draws(fit, newdata, allow_new_levels, sample_new_levels, ndraws, rng)
    if not fit.spec.simple:
        mu = linpred.family_of(fit).epred(mu, linpred.family_aux(fit, frame, draws))
    return _draw_table(fit, newdata, mu, draws, ".epred")


def predicted_draws(
    fit: Fit,
    newdata: pd.DataFrame,
    allow_new_levels: bool = False,
    sample_new_levels: str = "uncertainty",
    seed: int | None = None,
    ndraws: int | None = None,
) -> pd.DataFrame:
    """Return draws from the posterior predictive distribution for each row of ``newdata``.

    Each draw is ``mu`` (as in :func:`epred_draws`, with the same arguments) plus Normal
    noise with that draw's ``sigma``, as brms's ``posterior_predict`` for a gaussian model.
    With the same ``seed``, the draws of ``mu`` (new levels included) are those
    :func:`epred_draws` returns, so ``.prediction - .epred`` is the noise alone.

    Returns:
        As :func:`epred_draws`, with ``.prediction`` in place of ``.epred``.

    Raises:
        As :func:`epred_draws`.
    """
    rng = np.random.default_rng(seed)
    mu, draws, frame = _mu_draws(fit, newdata, allow_new_levels, sample_new_levels, ndraws, rng)
    if not fit.spec.simple:
        aux = linpred.family_aux(fit, frame, draws)
        prediction = linpred.family_of(fit).predict(rng, mu, aux).astype(float)
        return _draw_table(fit, newdata, prediction, draws, ".prediction")
    sigma = draws_of(fit, "sigma")[draws]
    prediction = mu + rng.standard_normal(mu.shape) * sigma[None, :]
    return _draw_table(fit, newdata, prediction, draws, ".prediction")
