"""One function per lecture figure.

Each function takes the pipeline's tables (pandas DataFrames with the columns of the
draws/tables contract) and config values, checks the columns and people it needs, and
returns a plotnine ``ggplot`` (or, for ``pooling_intervals``, a two-plot composition).
Nothing is read from disk or from global state here; :mod:`mlmpipe.figures.render` does
the reading and writing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    geom_hline,
    geom_line,
    geom_point,
    ggplot,
    guide_legend,
    guides,
    labs,
    scale_color_manual,
    scale_fill_manual,
    scale_size_manual,
    scale_x_discrete,
    scale_y_continuous,
    theme,
)
from plotnine.composition import Compose

from mlmpipe.errors import MlmpipeError

from .layers import gradientinterval, halfeye
from .theme import PALETTE, THEME, darken, extend_palette

__all__ = [
    "FigureInputError",
    "data_trajectories",
    "expected_vs_predicted",
    "least_squares_lines",
    "m3_trajectories",
    "m4_trajectories",
    "new_people",
    "person_means",
    "pooling_intervals",
    "pooling_means",
    "shrinkage",
]

POOLING_LEVELS = ("no pooling", "partial pooling")
SHRINKAGE_LEVELS = ("partial pooling", "raw mean")
DRAW_KINDS = ("expected", "predicted")


class FigureInputError(MlmpipeError, ValueError):
    """A table given to a figure lacks a column, a person, or rows."""


# --------------------------------------------------------------------------------------
# Checks and small helpers
# --------------------------------------------------------------------------------------


def require_columns(table: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise :class:`FigureInputError` naming ``name`` and the columns it lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise FigureInputError(f"{name}: missing column(s) {missing}; it has {list(table.columns)}")


def select_people(
    table: pd.DataFrame, people: Sequence[int], name: str, column: str = "id"
) -> pd.DataFrame:
    """Return the rows of ``table`` whose ``column`` is one of ``people``.

    Raises:
        FigureInputError: naming the people absent from ``table``.
    """
    wanted = [int(p) for p in people]
    present = set(pd.unique(table[column]).astype(int).tolist())
    absent = [p for p in wanted if p not in present]
    if absent:
        raise FigureInputError(f"{name}: no rows for id(s) {absent}")
    return table[table[column].astype(int).isin(wanted)].copy()


def person_factor(ids: pd.Series) -> pd.Categorical:
    """Person ids as an ordered category, levels sorted numerically (brms's level order)."""
    values = ids.astype(int)
    levels = [str(v) for v in sorted(pd.unique(values))]
    return pd.Categorical(values.astype(str), categories=levels)


def _person_colors(levels: Sequence[str], palette: Sequence[str]) -> dict[str, str]:
    return dict(zip(levels, extend_palette(palette, len(levels)), strict=True))


def _no_legend() -> theme:
    return theme(legend_position="none")


def _legend_on_top() -> theme:
    return theme(legend_position="top")


def least_squares_lines(data: pd.DataFrame, x: str = "week", y: str = "con") -> pd.DataFrame:
    """Return each person's least-squares line of ``y`` on ``x`` at their smallest and largest x.

    Columns: ``id``, ``x``, ``fit``. People with fewer than two distinct ``x`` values get no
    line (as ``stat_smooth(method = "lm")`` draws none).
    """
    rows = []
    for pid, g in data.dropna(subset=[x, y]).groupby("id", sort=True):
        xs = g[x].to_numpy(dtype=float)
        if np.unique(xs).size < 2:
            continue
        slope, intercept = np.polyfit(xs, g[y].to_numpy(dtype=float), deg=1)
        for value in (xs.min(), xs.max()):
            rows.append({"id": int(pid), x: value, "fit": intercept + slope * value})
    return pd.DataFrame(rows, columns=["id", x, "fit"])


# --------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------


def data_trajectories(
    data: pd.DataFrame, people: Sequence[int], palette: Sequence[str] = PALETTE
) -> ggplot:
    """Observed con against week for ``people``: points and each person's least-squares line.

    One colour per person (the palette extended by :func:`extend_palette`), no legend.
    Rows with a missing week are left out, as ``ggplot`` drops them.
    """
    require_columns(data, ["id", "week", "con"], "data")
    d = select_people(data, people, "data").dropna(subset=["week", "con"])
    d["person"] = person_factor(d["id"])
    lines = least_squares_lines(d)
    lines["person"] = pd.Categorical(lines["id"].astype(str), categories=d["person"].cat.categories)
    colors = _person_colors(list(d["person"].cat.categories), palette)
    return (
        ggplot(d, aes("week", "con", color="person"))
        + geom_line(aes(y="fit", group="person"), data=lines, size=0.8)
        + geom_point(size=2)
        + scale_color_manual(values=colors)
        + labs(x="week", y="con")
        + THEME
        + _no_legend()
    )


def pooling_intervals(
    m1_epred: pd.DataFrame,
    m2_epred: pd.DataFrame,
    palette: Sequence[str] = PALETTE,
) -> Compose:
    """Each person's expected con, no pooling (m1) above partial pooling (m2).

    Gradient intervals (density-shaded columns, 66% and 95% intervals, median) per person,
    person labels hidden, both panels on the same y range so the shrinkage shows.
    """
    for name, table in (("m1_epred_people", m1_epred), ("m2_epred_people", m2_epred)):
        require_columns(table, ["id", ".draw", ".epred"], name)
        if table.empty:
            raise FigureInputError(f"{name}: no rows")
    values = pd.concat([m1_epred[".epred"], m2_epred[".epred"]])
    limits = (float(values.min()), float(values.max()))

    def panel(table: pd.DataFrame, title: str) -> ggplot:
        d = table[["id", ".epred"]].copy()
        d["person"] = person_factor(d["id"])
        return (
            ggplot(d, aes("person", ".epred"))
            + gradientinterval(fill=palette[0], interval_color="black")
            + scale_x_discrete(breaks=None)
            + scale_y_continuous(limits=limits)
            + labs(x="id", y="con", title=title)
            + THEME
        )

    return panel(m1_epred, "no pooling") / panel(m2_epred, "partial pooling")


def pooling_means(table: pd.DataFrame, palette: Sequence[str] = PALETTE) -> ggplot:
    """Posterior means per person, no pooling and partial pooling, legend on top.

    The dashed line is the mean of the no-pooling means (the lecture's
    ``geom_hline(aes(yintercept = mean(.epred)))`` on m1's means).
    """
    require_columns(table, ["id", "model", ".epred"], "pooling_means")
    unknown = sorted(set(table["model"]) - set(POOLING_LEVELS))
    if unknown:
        raise FigureInputError(
            f"pooling_means: unknown model label(s) {unknown}; expected {list(POOLING_LEVELS)}"
        )
    d = table.copy()
    d["person"] = person_factor(d["id"])
    d["model"] = pd.Categorical(d["model"], categories=POOLING_LEVELS)
    no_pooling = d[d["model"] == "no pooling"]
    if no_pooling.empty:
        raise FigureInputError("pooling_means: no 'no pooling' rows")
    reference = float(no_pooling[".epred"].mean())
    return (
        ggplot(d, aes("person", ".epred", color="model", size="model"))
        + geom_hline(yintercept=reference, linetype="dashed", color="black")
        + geom_point()
        + scale_color_manual(values={"no pooling": palette[1], "partial pooling": palette[0]})
        + scale_size_manual(values={"no pooling": 1.5, "partial pooling": 2.2})
        + scale_x_discrete(breaks=None)
        + labs(x="id", y="con", color="", size="")
        + THEME
        + _legend_on_top()
    )


def person_means(
    draws: pd.DataFrame,
    data: pd.DataFrame,
    people: Sequence[int],
    palette: Sequence[str] = PALETTE,
) -> ggplot:
    """Half-eyes of ``b_Intercept + r_id`` (m2) for ``people``; dashed line at the mean of con."""
    require_columns(draws, ["id", "p_mean"], "m2_person_means draws")
    require_columns(data, ["con"], "data")
    d = select_people(draws, people, "m2_person_means draws")
    d["person"] = person_factor(d["id"])
    return (
        ggplot(d, aes("person", "p_mean"))
        + geom_hline(yintercept=float(data["con"].mean()), linetype="dashed", color="black")
        + halfeye(fill=palette[0], alpha=0.5)
        + labs(x="id", y="con")
        + THEME
    )


def shrinkage(
    table: pd.DataFrame,
    data: pd.DataFrame,
    people: Sequence[int],
    palette: Sequence[str] = PALETTE,
) -> ggplot:
    """Partial-pooling means (coral) beside raw means (black) for ``people``.

    The dashed line is the mean of con over every row (complete pooling). A legend on top
    names the two kinds of point.
    """
    require_columns(table, ["id", "p_mean", "raw_mean"], "m2_person_means table")
    require_columns(data, ["con"], "data")
    d = select_people(table, people, "m2_person_means table")
    long = pd.concat(
        [
            pd.DataFrame({"id": d["id"], "value": d["p_mean"], "kind": "partial pooling"}),
            pd.DataFrame({"id": d["id"], "value": d["raw_mean"], "kind": "raw mean"}),
        ],
        ignore_index=True,
    )
    long["person"] = person_factor(long["id"])
    long["kind"] = pd.Categorical(long["kind"], categories=SHRINKAGE_LEVELS)

    return (
        ggplot(long, aes("person", "value", color="kind", size="kind"))
        + geom_hline(yintercept=float(data["con"].mean()), linetype="dashed", color="black")
        + geom_point()
        + scale_color_manual(values={"partial pooling": palette[1], "raw mean": "black"})
        + scale_size_manual(values={"partial pooling": 2.6, "raw mean": 1.8})
        + labs(x="id", y="con", color="", size="")
        + THEME
        + _legend_on_top()
    )


def expected_vs_predicted(
    epred: pd.DataFrame,
    predicted: pd.DataFrame,
    ids: Sequence[int] | None = None,
    n_draws: int = 100,
    palette: Sequence[str] = PALETTE,
) -> ggplot:
    """Half-eyes of expected values and of predictions for ``ids`` (first ``n_draws`` draws).

    Fills ``#e07a5f`` (expected) and ``#1c5253`` (predicted) at alpha 0.3, legend on top;
    each kind's intervals in a darker shade of its fill, the expected ones just left of the
    predicted ones so the two never hide each other.
    Both sets of slabs share one scale (the panel's tallest density spans 0.9 of the
    spacing), so their areas compare.
    """
    require_columns(epred, ["id", ".draw", ".epred"], "m2_epred_selected")
    require_columns(predicted, ["id", ".draw", ".prediction"], "m2_predicted_selected")
    if ids is not None:
        epred = select_people(epred, ids, "m2_epred_selected")
        predicted = select_people(predicted, ids, "m2_predicted_selected")
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": epred["id"],
                    ".draw": epred[".draw"],
                    "value": epred[".epred"],
                    "draw": "expected",
                }
            ),
            pd.DataFrame(
                {
                    "id": predicted["id"],
                    ".draw": predicted[".draw"],
                    "value": predicted[".prediction"],
                    "draw": "predicted",
                }
            ),
        ],
        ignore_index=True,
    )
    long = long[long[".draw"] <= n_draws].copy()
    if long.empty:
        raise FigureInputError(f"expected_vs_predicted: no draws with .draw <= {n_draws}")
    long["person"] = person_factor(long["id"])
    long["draw"] = pd.Categorical(long["draw"], categories=DRAW_KINDS)
    fills = {"expected": palette[1], "predicted": palette[0]}
    return (
        ggplot(long, aes("person", "value", fill="draw", color="draw"))
        + halfeye(alpha=0.3, interval_color=None, dodge=0.06)
        + scale_fill_manual(values=fills)
        # Intervals in a darker shade of their slab's fill, set apart so both read.
        + scale_color_manual(values={k: darken(v) for k, v in fills.items()}, guide=None)
        # Keys a little more opaque than the overlapping slabs, so the two fills read apart.
        + guides(fill=guide_legend(override_aes={"alpha": 0.6}))
        + labs(x="id", y="con", fill="draw")
        + THEME
        + _legend_on_top()
    )


def new_people(epred: pd.DataFrame, palette: Sequence[str] = PALETTE) -> ggplot:
    """Half-eyes of m2's expected con for new people (new levels allowed)."""
    require_columns(epred, ["id", ".epred"], "m2_epred_new_people")
    if epred.empty:
        raise FigureInputError("m2_epred_new_people: no rows")
    d = epred[["id", ".epred"]].copy()
    d["person"] = person_factor(d["id"])
    return (
        ggplot(d, aes("person", ".epred"))
        + halfeye(fill=palette[0], alpha=0.6)
        + labs(x="id (new person)", y="con")
        + THEME
    )


def m3_trajectories(
    table: pd.DataFrame,
    people: Sequence[int] | None = None,
    palette: Sequence[str] = PALETTE,
) -> ggplot:
    """m3's expected con against week, points and lines, one colour per person, no legend."""
    require_columns(table, ["id", "week", ".epred"], "m3_epred_trajectories")
    d = select_people(table, people, "m3_epred_trajectories") if people else table.copy()
    d = d.sort_values(["id", "week"])
    d["person"] = person_factor(d["id"])
    colors = _person_colors(list(d["person"].cat.categories), palette)
    return (
        ggplot(d, aes("week", ".epred", color="person", group="person"))
        + geom_line(size=0.8)
        + geom_point(size=2)
        + scale_color_manual(values=colors)
        + labs(x="week", y="con")
        + THEME
        + _no_legend()
    )


def m4_trajectories(
    table: pd.DataFrame,
    people: Sequence[int] | None = None,
    palette: Sequence[str] = PALETTE,
) -> ggplot:
    """m4's expected con against week, one line per person coloured by group, legend on top."""
    require_columns(table, ["id", "group", "week", ".epred"], "m4_epred_trajectories")
    d = select_people(table, people, "m4_epred_trajectories") if people else table.copy()
    d = d.sort_values(["id", "week"])
    d["person"] = person_factor(d["id"])
    groups = sorted(pd.unique(d["group"]).tolist())
    colors = dict(zip(groups, palette, strict=False))
    return (
        ggplot(d, aes("week", ".epred", color="group", group="person"))
        + geom_line(size=0.8)
        + geom_point(size=2)
        + scale_color_manual(values=colors)
        + labs(x="week", y="con", color="group")
        + THEME
        + _legend_on_top()
    )
