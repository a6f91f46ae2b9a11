"""Posterior draws as tidy tables, in tidybayes's vocabulary.

The lecture works with draws through tidybayes; this module offers the same verbs on our
fits (:class:`mlmpipe.models.Fit`), computed from the posterior draws alone:

- :func:`spread_draws` -- one row per draw (and per index of indexed variables), with
  ``.chain``, ``.iteration`` and ``.draw`` numbered as tidybayes numbers them (from 1,
  ``.draw`` running chain after chain). Indexed variables use tidybayes's syntax,
  ``"r_id[id,term]"``.
- :func:`epred_draws` / :func:`predicted_draws` -- draws of the expected value ``mu`` and of
  new observations for the rows of ``newdata``, computed as brms's ``posterior_epred`` /
  ``posterior_predict`` compute them (``mu = X b + sum_k r[level, k] Z_k``; predictions add
  Normal noise with each draw's ``sigma``), including brms's ways of sampling new levels.
- :func:`mean_qi` -- the posterior mean and quantile interval of draw columns, grouped as a
  grouped tibble would be.

Tables are pandas data frames. The columns a tidybayes tibble would be grouped by are kept
in ``table.attrs["groups"]``; :func:`mean_qi` uses them when no ``by`` is given.

Two deliberate differences from tidybayes: ``epred_draws``/``predicted_draws`` fill
``.chain`` and ``.iteration`` with the draw's real chain and iteration (tidybayes leaves them
``NA`` for brms models, whose prediction matrices lose that information), and a subsample
(``ndraws``) keeps each draw's original ``.draw`` number, so draw tables can be joined.

The second half of the module builds the pipeline's draw tables (see ``workflow/rules/
draws.smk``) from these verbs.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.errors import MlmpipeError

from .fileio import atomic_path
from .models import (
    Fit,
    ModelDataError,
    coefficient_names,
    group_index,
    group_terms_design,
    level_label,
    model_frame,
    population_design,
    source_column,
)

log = logging.getLogger(__name__)

#: Draw-index columns, as tidybayes names them.
CHAIN, ITERATION, DRAW, ROW = ".chain", ".iteration", ".draw", ".row"
DRAW_INDEX = (CHAIN, ITERATION, DRAW)
#: ``table.attrs`` key holding the columns the table is grouped by (a grouped tibble's groups).
GROUPS_ATTR = "groups"
#: Value columns that :func:`mean_qi` summarises when no column is named.
VALUE_COLUMNS = (".epred", ".prediction", ".linpred", ".value")
NEW_LEVEL_METHODS = ("uncertainty", "gaussian", "old_levels")


class DrawsError(MlmpipeError, ValueError):
    """Raised for a variable spec that does not parse or names no variable of the fit."""


# --------------------------------------------------------------------------- draw arrays


def _posterior(fit: Fit) -> Any:
    return fit.idata.posterior


def _n_chains_draws(fit: Fit) -> tuple[int, int]:
    posterior = _posterior(fit)
    return int(posterior.sizes["chain"]), int(posterior.sizes["draw"])


def draw_index(fit: Fit) -> pd.DataFrame:
    """Return ``.chain``, ``.iteration``, ``.draw`` for every draw of ``fit``, chain after chain.

    All three count from 1; ``.iteration`` counts within a chain and ``.draw`` over all
    chains (chain 2's first draw is ``.draw = n_iterations + 1``), as tidybayes numbers the
    draws of a brms fit.
    """
    n_chains, n_draws = _n_chains_draws(fit)
    chain = np.repeat(np.arange(1, n_chains + 1), n_draws)
    iteration = np.tile(np.arange(1, n_draws + 1), n_chains)
    draw = np.arange(1, n_chains * n_draws + 1)
    return pd.DataFrame({CHAIN: chain, ITERATION: iteration, DRAW: draw})


def variable_names(fit: Fit) -> list[str]:
    """Return the names of the posterior's variables, in the file's order."""
    return [str(name) for name in _posterior(fit).data_vars]


def _variable(fit: Fit, name: str, *, caller: str) -> Any:
    """Return the posterior variable ``name`` (dims chain, draw first) or raise naming it."""
    posterior = _posterior(fit)
    if name not in posterior.data_vars:
        raise DrawsError(
            f"{caller}: model {fit.name} has no variable '{name}' "
            f"(variables: {', '.join(variable_names(fit))})"
        )
    var = posterior[name]
    return var.transpose("chain", "draw", ...)


def draws_of(fit: Fit, name: str) -> np.ndarray:
    """Return the draws of variable ``name`` with the sample dims flattened first.

    The result has shape ``(n_draws_total, *variable_shape)``, draws in ``.draw`` order.

    Raises:
        DrawsError: ``fit`` has no variable ``name``.
    """
    var = _variable(fit, name, caller="draws_of")
    values = np.asarray(var.values)
    return values.reshape((-1, *values.shape[2:]))


def _coord_values(var: Any, dim: str) -> np.ndarray:
    """Return the coordinate values of ``dim`` typed as in the data (int, float or str)."""
    if dim in var.coords:
        values = np.asarray(var.coords[dim].values)
    else:  # a dimension without coordinates is numbered from 1, as in Stan
        values = np.arange(1, var.sizes[dim] + 1)
    if values.dtype.kind in "OUS":
        return np.asarray([str(v) for v in values], dtype=object)
    return values


# --------------------------------------------------------------------------- spread_draws

_NAME = r"[A-Za-z.][A-Za-z0-9._]*"
_SPEC = re.compile(
    rf"""^\s*(?:
        (?:c|cbind)\s*\((?P<names>[^()\[\]]*)\)   # c(a, b)[i]: several variables, same dims
      | (?P<name>{_NAME})                          # a single variable
    )\s*(?:\[(?P<dims>[^\[\]]*)\])?\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class VariableSpec:
    """A parsed ``spread_draws`` argument: variable names and the names given to their dims.

    ``dims`` is ``None`` for a scalar spec (no brackets). An empty string in ``dims`` drops
    that dimension from the table, as ``b[, v]`` does in tidybayes.
    """

    names: tuple[str, ...]
    dims: tuple[str, ...] | None

    @property
    def index_columns(self) -> tuple[str, ...]:
        """The index columns this spec adds to the table (blank dims excluded)."""
        return tuple(d for d in self.dims or () if d)


def parse_variable_spec(text: str) -> VariableSpec:
    """Parse a tidybayes variable spec: ``"sigma"``, ``"r_id[id, term]"``, ``"c(a, b)[i]"``.

    Raises:
        DrawsError: the text is not of that form (the message quotes it).
    """
    match = _SPEC.match(text)
    if match is None:
        raise DrawsError(
            f"spread_draws: cannot parse variable spec {text!r}; write a variable name, "
            "optionally with named indices as in 'r_id[id, term]' or 'c(a, b)[i]'"
        )
    if match["names"] is not None:
        names = tuple(n.strip() for n in match["names"].split(","))
        if not all(re.fullmatch(_NAME, n) for n in names):
            raise DrawsError(f"spread_draws: cannot parse the variable names in {text!r}")
    else:
        names = (match["name"],)
    dims: tuple[str, ...] | None = None
    if match["dims"] is not None:
        dims = tuple(d.strip() for d in match["dims"].split(","))
        for d in dims:
            if d in ("..", ".") or (d and not re.fullmatch(_NAME, d)):
                raise DrawsError(
                    f"spread_draws: index {d!r} in {text!r} is not supported; name every "
                    "index (or leave it blank to drop it)"
                )
        named = [d for d in dims if d]
        if len(set(named)) != len(named):
            raise DrawsError(f"spread_draws: {text!r} names an index twice")
    return VariableSpec(names=names, dims=dims)


def _spread_one(fit: Fit, spec: VariableSpec, text: str, index: pd.DataFrame) -> pd.DataFrame:
    """Return the long table of one spec: index columns, variables, draw indexes."""
    variables = [_variable(fit, name, caller="spread_draws") for name in spec.names]
    for name, var in zip(spec.names, variables, strict=True):
        var_dims = [str(d) for d in var.dims[2:]]
        n_spec = len(spec.dims) if spec.dims is not None else 0
        if n_spec != len(var_dims):
            if var_dims:
                hint = f"{name}[{', '.join(var_dims)}]"
                raise DrawsError(
                    f"spread_draws: variable '{name}' of model {fit.name} has "
                    f"{len(var_dims)} dimension(s) ({', '.join(var_dims)}) but {text!r} names "
                    f"{n_spec}; write it as {hint!r}"
                )
            raise DrawsError(
                f"spread_draws: variable '{name}' of model {fit.name} is a scalar; "
                f"write it without indices ('{name}')"
            )
    if spec.dims is None:
        table = index.copy()
        for name, var in zip(spec.names, variables, strict=True):
            table[name] = np.asarray(var.values).reshape(-1)
        return table

    first = variables[0]
    for name, var in zip(spec.names[1:], variables[1:], strict=True):
        if var.shape[2:] != first.shape[2:]:
            raise DrawsError(
                f"spread_draws: variables '{spec.names[0]}' and '{name}' in {text!r} do "
                "not have the same dimensions"
            )
    shape = first.shape[2:]
    n_draws = len(index)
    n_cells = int(np.prod(shape))
    table = pd.DataFrame()
    grids = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    for dim_name, var_dim, grid in zip(spec.dims, first.dims[2:], grids, strict=True):
        if not dim_name:
            continue
        values = _coord_values(first, str(var_dim))[grid.reshape(-1)]
        table[dim_name] = np.repeat(values, n_draws)
    for name, var in zip(spec.names, variables, strict=True):
        values = np.asarray(var.values).reshape((n_draws, n_cells))
        table[name] = values.T.reshape(-1)  # index-major: every draw of cell 1, then cell 2
    for column in DRAW_INDEX:
        table[column] = np.tile(index[column].to_numpy(), n_cells)
    return table


def spread_draws(fit: Fit, *specs: str) -> pd.DataFrame:
    """Return draws of the named variables as a tidy table, as tidybayes's ``spread_draws``.

    Each spec is a variable name (``"sigma"``) or a variable with its dimensions named
    (``"r_id[id, term]"``; ``"c(a, b)[i]"`` for several variables with the same dimensions;
    a blank index, ``"r_id[id, ]"``, drops that dimension's column).

    - Scalars only: one row per draw; columns ``.chain``, ``.iteration``, ``.draw`` (from 1,
      ``.draw`` numbered chain after chain), then one column per variable.
    - An indexed spec: one row per index cell and draw (every draw of the first cell, then
      the next cell); columns the named indices (values typed as in the data: ``id`` int,
      ``term`` str), the variable, then the draw indexes.
    - Several specs are joined left to right on their shared columns (draw indexes and
      same-named indices), as tidybayes joins them: ``spread_draws(fit, "b_Intercept",
      "r_id[id,term]")`` lists every person for draw 1, then for draw 2.

    The table's ``attrs["groups"]`` holds the index columns (tidybayes groups by them).

    Raises:
        DrawsError: a spec does not parse, names a variable the fit does not have (the
            message lists the variables it has), or names the wrong number of indices.
    """
    if not specs:
        raise DrawsError("spread_draws: name at least one variable")
    index = draw_index(fit)
    parsed = [parse_variable_spec(text) for text in specs]
    tables = [_spread_one(fit, spec, text, index) for spec, text in zip(parsed, specs, strict=True)]
    table = reduce(
        lambda left, right: left.merge(
            right, how="inner", on=[c for c in left.columns if c in right.columns], sort=False
        ),
        tables,
    )
    groups = list(dict.fromkeys(c for spec in parsed for c in spec.index_columns))
    table = table.reset_index(drop=True)
    table.attrs[GROUPS_ATTR] = groups
    return table


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
    reserved = [c for c in (*DRAW_INDEX, ROW, ".epred", ".prediction") if c in newdata.columns]
    if reserved:
        raise ModelDataError(
            f"model {fit.name}: newdata has column(s) {', '.join(reserved)}, which the draw "
            "table adds itself; rename or drop them"
        )
    for column in spec.predictor_columns:
        if frame[column].isna().any():
            row = int(np.flatnonzero(frame[column].isna().to_numpy())[0]) + 1
            raise ModelDataError(
                f"model {fit.name}: newdata column '{column}' has a missing value at row {row}"
            )
    return frame


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
    varying = fit.spec.varying
    assert varying is not None
    chol = _cov_cholesky(fit, varying.group, varying.terms, draws) if method == "gaussian" else None
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


def _mu_draws(
    fit: Fit,
    newdata: pd.DataFrame,
    allow_new_levels: bool,
    sample_new_levels: str,
    ndraws: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the linear predictor (draws x rows) for ``newdata`` and the draws it used.

    Shared by :func:`epred_draws` and :func:`predicted_draws`, so that with one seed both
    use the same draws and the same new-level effects.
    """
    _check_new_level_method(sample_new_levels)
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
    return mu, draws


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
    mu, draws = _mu_draws(fit, newdata, allow_new_levels, sample_new_levels, ndraws, rng)
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
    mu, draws = _mu_draws(fit, newdata, allow_new_levels, sample_new_levels, ndraws, rng)
    sigma = draws_of(fit, "sigma")[draws]
    prediction = mu + rng.standard_normal(mu.shape) * sigma[None, :]
    return _draw_table(fit, newdata, prediction, draws, ".prediction")


# --------------------------------------------------------------------------- mean_qi


def _as_widths(width: float | Iterable[float]) -> list[float]:
    widths = [float(width)] if np.isscalar(width) else [float(w) for w in width]  # type: ignore[arg-type]
    if not widths or any(not 0 < w < 1 for w in widths):
        raise ValueError(f"width must be one or more numbers between 0 and 1, not {width!r}")
    return widths


def mean_qi(
    table: pd.DataFrame,
    *columns: str,
    width: float | Iterable[float] = 0.95,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the mean and quantile interval of draw columns, as tidybayes's ``mean_qi``.

    ``columns`` are the columns to summarise; with none named, the value columns present
    (``.epred``, ``.prediction``, ``.linpred``, ``.value``). ``by`` are the grouping columns;
    by default the table's own grouping (``attrs["groups"]``, as set by
    :func:`spread_draws`/:func:`epred_draws`), or else every column that is not a draw
    index (``.chain``, ``.iteration``, ``.draw``) or a summarised column. Quantiles are R's
    default (type 7, numpy's ``linear``).

    Returns:
        One row per group and width, groups sorted, widths stacked in the order given:
        the ``by`` columns, the summarised column (its mean), ``.lower``, ``.upper``
        (``<col>.lower``/``<col>.upper`` when several columns are summarised), ``.width``,
        ``.point`` (``"mean"``) and ``.interval`` (``"qi"``).

    Raises:
        KeyError: a named column or ``by`` column is not in the table.
        ValueError: no column to summarise, or a width outside (0, 1).
    """
    widths = _as_widths(width)
    if not columns:
        columns = tuple(c for c in VALUE_COLUMNS if c in table.columns)
        if not columns:
            raise ValueError(
                "mean_qi: name the columns to summarise (the table has none of "
                f"{', '.join(VALUE_COLUMNS)}; columns: {', '.join(map(str, table.columns))})"
            )
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"mean_qi: the table has no column {', '.join(missing)}")
    if by is None:
        groups = table.attrs.get(GROUPS_ATTR)
        if groups is None:
            groups = [c for c in table.columns if c not in DRAW_INDEX]
        by = [c for c in groups if c in table.columns and c not in columns]
    else:
        by = list(by)
        missing = [c for c in by if c not in table.columns]
        if missing:
            raise KeyError(f"mean_qi: the table has no grouping column {', '.join(missing)}")
    several = len(columns) > 1
    pieces = []
    for w in widths:
        probs = [(1 - w) / 2, (1 + w) / 2]
        if by:
            grouped = table.groupby(list(by), sort=True, dropna=False)[list(columns)]
            means = grouped.mean()
            quantiles = grouped.quantile(probs, interpolation="linear")
            lower = quantiles.xs(probs[0], level=-1)
            upper = quantiles.xs(probs[1], level=-1)
            piece = means.reset_index()
            lower, upper = lower.reset_index(drop=True), upper.reset_index(drop=True)
        else:
            data = table[list(columns)]
            piece = data.mean().to_frame().T
            lower = data.quantile(probs[0], interpolation="linear").to_frame().T
            upper = data.quantile(probs[1], interpolation="linear").to_frame().T
        out = piece[list(by)].copy()
        for c in columns:
            out[c] = piece[c].to_numpy()
            out[f"{c}.lower" if several else ".lower"] = lower[c].to_numpy()
            out[f"{c}.upper" if several else ".upper"] = upper[c].to_numpy()
        out[".width"] = w
        out[".point"] = "mean"
        out[".interval"] = "qi"
        pieces.append(out)
    return pd.concat(pieces, ignore_index=True)


# --------------------------------------------------------------------------- pipeline tables
#
# The lecture's draw tables, as the rules in workflow/rules/draws.smk write them. Each
# function returns data frames; the rule's script writes them with write_table().


def highlighted_ids(entry: Any, available: Iterable[Any], *, key: str) -> list[int]:
    """Return the people a ``highlight`` config entry selects, in the order it gives.

    ``entry`` is an explicit list of ids (the config's default: the people R's ``sample()``
    chose in the lecture) or ``{"count": n, "seed": s}``, which draws ``n`` distinct ids
    from ``available`` (sorted) with numpy's generator seeded by ``s``. Python cannot
    reproduce R's ``sample()``, so the second form never gives the lecture's people.

    Raises:
        ValueError: an id of the list is not in ``available`` (named), or ``count`` is
            larger than the number of people.
    """
    people = sorted({int(v) for v in available})
    if isinstance(entry, Mapping):
        count, seed = int(entry["count"]), int(entry["seed"])
        if not 1 <= count <= len(people):
            raise ValueError(
                f"highlight.{key}: count {count} is not between 1 and the {len(people)} people"
            )
        rng = np.random.default_rng(seed)
        return [int(v) for v in rng.choice(people, size=count, replace=False)]
    ids = [int(v) for v in entry]
    unknown = [v for v in ids if v not in set(people)]
    if unknown:
        raise ValueError(
            f"highlight.{key}: id(s) {', '.join(map(str, unknown))} are not in the data"
        )
    return ids


def person_levels(fit: Fit, column: str = "id") -> list[Any]:
    """Return the fitted levels of the factor read from data column ``column``.

    That is the grouping factor of the varying effects (m2 to m5) or a factor predictor
    such as m1's ``id.f``.

    Raises:
        ModelDataError: the model has no factor reading ``column``.
    """
    spec = fit.spec
    if spec.varying is not None and spec.varying.group == column:
        return list(fit.levels[column])
    for predictor in spec.population:
        if source_column(predictor) == column and predictor in fit.levels:
            return list(fit.levels[predictor])
    raise ModelDataError(f"model {fit.name} has no factor of column '{column}'")


def spread_heads(fit: Fit, rows: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the first ``rows`` of the lecture's two ``spread_draws`` calls.

    ``spread_draws(fit, b_Intercept, sigma, sd_id__Intercept) %>% head`` and
    ``spread_draws(fit, r_id[id, term]) %>% head``.
    """
    scalars = spread_draws(fit, "b_Intercept", "sigma", "sd_id__Intercept").head(rows)
    varying = spread_draws(fit, "r_id[id, term]").head(rows)
    return scalars, varying


def people_epred(fit: Fit) -> pd.DataFrame:
    """Return ``epred_draws`` for every person the model was fitted to (newdata: ``id``)."""
    newdata = pd.DataFrame({"id": np.asarray(person_levels(fit, "id"), dtype=np.int64)})
    table = epred_draws(fit, newdata)
    log.info("model %s: %d people x %d draws", fit.name, len(newdata), len(table) // len(newdata))
    return table


def person_means(
    fit: Fit, no_pooling_people: pd.DataFrame, data: pd.DataFrame, width: float = 0.95
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return each person's mean ``b_Intercept + r_id`` as draws and as ``mean_qi``.

    As the lecture's ``spread_draws(m2, b_Intercept, r_id[id, term]) %>% mutate(p_mean =
    b_Intercept + r_id)``. The summary has, per person, ``p_mean`` with its interval, the
    raw mean of the response over the rows the model was fitted to (``raw_mean``, ``n_obs``)
    and the no-pooling estimate (``no_pooling``: the posterior mean of that person's
    ``.epred`` in ``no_pooling_people``, m1's people table).

    Returns:
        (draws: id, term, .chain, .iteration, .draw, b_Intercept, r_id, p_mean;
        summary: id, p_mean, .lower, .upper, .width, .point, .interval, raw_mean, n_obs,
        no_pooling)
    """
    draws = spread_draws(fit, "b_Intercept", "r_id[id, term]")
    draws["p_mean"] = draws["b_Intercept"] + draws["r_id"]
    draws = draws[["id", "term", *DRAW_INDEX, "b_Intercept", "r_id", "p_mean"]]
    draws.attrs[GROUPS_ATTR] = ["id", "term"]
    summary = mean_qi(draws, "p_mean", width=width).drop(columns="term")
    rows = model_frame(fit.spec, data).frame
    raw = rows.groupby("id")[fit.spec.response].agg(raw_mean="mean", n_obs="size").reset_index()
    no_pooling = no_pooling_people.groupby("id")[".epred"].mean().rename("no_pooling").reset_index()
    summary = summary.merge(raw, on="id", how="left").merge(no_pooling, on="id", how="left")
    return draws, summary


def pooling_means(tables: Mapping[str, pd.DataFrame], width: float = 0.95) -> pd.DataFrame:
    """Return ``mean_qi`` of each person's ``.epred`` per model, stacked with a ``model`` column.

    ``tables`` maps a label (``"no pooling"``, ``"partial pooling"``) to a people table of
    :func:`people_epred`. Columns: id, model, .epred, .lower, .upper, .width, .point,
    .interval.
    """
    pieces = []
    for label, table in tables.items():
        summary = mean_qi(table, ".epred", width=width, by=["id"])
        summary.insert(1, "model", label)
        pieces.append(summary)
    return pd.concat(pieces, ignore_index=True)


def selected_draws(fit: Fit, ids: Sequence[int], *, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``epred_draws`` and ``predicted_draws`` for the people ``ids`` (newdata: ``id``).

    The rows keep the order of ``ids`` (``.row`` 1 is the first id), as the lecture's
    ``nd = data.frame(id = sample_id)``.
    """
    newdata = pd.DataFrame({"id": np.asarray(ids, dtype=np.int64)})
    return epred_draws(fit, newdata, seed=seed), predicted_draws(fit, newdata, seed=seed)


def new_people_draws(
    fit: Fit, data: pd.DataFrame, count: int, *, seed: int, method: str = "uncertainty"
) -> pd.DataFrame:
    """Return ``epred_draws`` for ``count`` new people, ids ``max(data$id) + 1..count``.

    New levels are allowed and sampled with ``method`` (brms's ``sample_new_levels``).
    """
    first = int(data["id"].max()) + 1
    newdata = pd.DataFrame({"id": np.arange(first, first + count, dtype=np.int64)})
    return epred_draws(fit, newdata, allow_new_levels=True, sample_new_levels=method, seed=seed)


def trajectories(
    fit: Fit, data: pd.DataFrame, ids: Sequence[int], width: float = 0.95
) -> pd.DataFrame:
    """Return ``mean_qi`` of ``.epred`` over the distinct predictor rows of the people ``ids``.

    As the lecture's ``distinct(d, id, week) %>% filter(id %in% sample_id) %>%
    add_epred_draws(m3) %>% mean_qi()``: the distinct rows of the model's predictor columns
    (in the data's column order: ``id, week`` for m3, ``id, group, week`` for m4) among the
    rows the model was fitted to (rows with a missing value are not among them).

    Raises:
        ModelDataError: an id is not among the people the model was fitted to.
    """
    rows = model_frame(fit.spec, data).frame
    columns = [c for c in data.columns if c in fit.spec.predictor_columns]
    present = set(rows["id"].astype(int))
    absent = [i for i in ids if int(i) not in present]
    if absent:
        raise ModelDataError(
            f"model {fit.name}: highlighted id(s) {', '.join(map(str, absent))} are not "
            "among the people the model was fitted to"
        )
    newdata = rows[columns].drop_duplicates()
    newdata = newdata[newdata["id"].isin([int(i) for i in ids])].reset_index(drop=True)
    log.info("model %s: %d distinct (%s) rows", fit.name, len(newdata), ", ".join(columns))
    return mean_qi(epred_draws(fit, newdata), width=width)


def write_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` to ``path`` atomically: parquet for ``.parquet``, else CSV (no index).

    Returns the path. Raises ValueError for another suffix.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValueError(f"{target}: write_table writes .parquet or .csv files, not '{suffix}'")
    with atomic_path(target) as tmp:
        if suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
    log.info("wrote %s (%d rows)", target, len(table))
    return target
