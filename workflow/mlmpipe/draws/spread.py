"""``spread_draws``: one row per draw (and per index of indexed variables), with ``.chain``,
``.iteration`` and ``.draw`` numbered as tidybayes numbers them; indexed variables use
tidybayes's syntax, ``"r_id[id,term]"``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce

import numpy as np
import pandas as pd

from mlmpipe.draws.core import (
    DRAW_INDEX,
    GROUPS_ATTR,
    DrawsError,
    _coord_values,
    _variable,
    draw_index,
)
from mlmpipe.posterior import Fit

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
