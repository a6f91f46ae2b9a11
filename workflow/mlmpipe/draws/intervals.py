"""``mean_qi``: the posterior mean and quantile interval of draw columns, grouped as a grouped
tibble would be."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from mlmpipe.draws.core import (
    DRAW_INDEX,
    GROUPS_ATTR,
    VALUE_COLUMNS,
)

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
    columns, groups = _columns_and_groups(table, columns, by)
    pieces = [_summarise(table, columns, groups, w) for w in widths]
    return pd.concat(pieces, ignore_index=True)


def _columns_and_groups(
    table: pd.DataFrame, columns: Sequence[str], by: Sequence[str] | None
) -> tuple[tuple[str, ...], list[str]]:
    """Return the columns :func:`mean_qi` summarises and the columns it groups by."""
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
        return tuple(columns), [c for c in groups if c in table.columns and c not in columns]
    missing = [c for c in by if c not in table.columns]
    if missing:
        raise KeyError(f"mean_qi: the table has no grouping column {', '.join(missing)}")
    return tuple(columns), list(by)


def _summarise(
    table: pd.DataFrame, columns: Sequence[str], by: Sequence[str], w: float
) -> pd.DataFrame:
    """Return the mean and the ``w`` quantile interval of ``columns`` per group of ``by``."""
    probs = [(1 - w) / 2, (1 + w) / 2]
    if by:
        grouped = table.groupby(list(by), sort=True, dropna=False)[list(columns)]
        piece = grouped.mean().reset_index()
        quantiles = grouped.quantile(probs, interpolation="linear")
        lower = quantiles.xs(probs[0], level=-1).reset_index(drop=True)
        upper = quantiles.xs(probs[1], level=-1).reset_index(drop=True)
    else:
        data = table[list(columns)]
        piece = data.mean().to_frame().T
        lower = data.quantile(probs[0], interpolation="linear").to_frame().T
        upper = data.quantile(probs[1], interpolation="linear").to_frame().T
    several = len(columns) > 1
    out = piece[list(by)].copy()
    for c in columns:
        out[c] = piece[c].to_numpy()
        out[f"{c}.lower" if several else ".lower"] = lower[c].to_numpy()
        out[f"{c}.upper" if several else ".upper"] = upper[c].to_numpy()
    out[".width"] = w
    out[".point"] = "mean"
    out[".interval"] = "qi"
    return out
