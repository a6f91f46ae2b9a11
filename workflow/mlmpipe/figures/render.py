"""Read a figure's tables, build it, and write it as PNG and SVG, atomically.

:data:`FIGURES` lists every lecture figure: the named tables it reads (the names the
Snakemake rules give their inputs) and how to build it from them and the config.
:func:`render_figure` is what a rule's script calls.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from plotnine import ggplot, theme
from plotnine.composition import Compose

from ..fileio import atomic_path
from . import plots
from .theme import PALETTE

matplotlib.use("Agg")

__all__ = [
    "FIGURES",
    "FigureSpec",
    "build_figure",
    "read_table",
    "render_figure",
    "save_figure",
    "save_figures",
]

log = logging.getLogger(__name__)

Plot = ggplot | Compose

SAVE_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class FigureSpec:
    """A lecture figure: the tables it reads and how it is built.

    ``build`` takes the tables (by input name) and the whole config and returns the plot.
    ``height_scale`` stretches the configured height (two stacked panels need more).
    """

    id: str
    inputs: tuple[str, ...]
    build: Callable[[Mapping[str, pd.DataFrame], Mapping[str, Any]], Plot]
    height_scale: float = 1.0


def _palette(config: Mapping[str, Any]) -> Sequence[str]:
    return tuple(config.get("figures", {}).get("palette") or PALETTE)


def _people(config: Mapping[str, Any], key: str, data: pd.DataFrame) -> list[int]:
    """The people config ``highlight.<key>`` selects among the data's ids.

    An explicit list is checked against the data; ``{count, seed}`` draws them as the draws
    stage does (:func:`mlmpipe.draws.highlighted_ids`).
    """
    from ..draws import highlighted_ids

    try:
        entry = config["highlight"][key]
    except KeyError as exc:
        raise KeyError(f"config has no highlight.{key}") from exc
    return highlighted_ids(entry, data["id"], key=key)


def _listed(config: Mapping[str, Any], key: str) -> list[int] | None:
    """The ids of config ``highlight.<key>`` when it is an explicit list, else None.

    Tables of the draws stage already hold the people it resolved; an explicit list lets
    the figure check that the table has those people.
    """
    entry = config.get("highlight", {}).get(key)
    if isinstance(entry, list | tuple):
        return [int(v) for v in entry]
    return None


FIGURES: dict[str, FigureSpec] = {
    spec.id: spec
    for spec in (
        FigureSpec(
            "data_trajectories",
            ("data",),
            lambda t, c: plots.data_trajectories(
                t["data"], _people(c, "people", t["data"]), _palette(c)
            ),
        ),
        FigureSpec(
            "pooling_intervals",
            ("m1_epred", "m2_epred"),
            lambda t, c: plots.pooling_intervals(t["m1_epred"], t["m2_epred"], _palette(c)),
            height_scale=1.5,
        ),
        FigureSpec(
            "pooling_means",
            ("pooling_means",),
            lambda t, c: plots.pooling_means(t["pooling_means"], _palette(c)),
        ),
        FigureSpec(
            "person_means",
            ("draws", "data"),
            lambda t, c: plots.person_means(
                t["draws"], t["data"], _people(c, "people", t["data"]), _palette(c)
            ),
        ),
        FigureSpec(
            "shrinkage",
            ("person_means", "data"),
            lambda t, c: plots.shrinkage(
                t["person_means"], t["data"], _people(c, "people", t["data"]), _palette(c)
            ),
        ),
        FigureSpec(
            "expected_vs_predicted",
            ("epred", "predicted"),
            lambda t, c: plots.expected_vs_predicted(
                t["epred"], t["predicted"], _listed(c, "predictions"), 100, _palette(c)
            ),
        ),
        FigureSpec(
            "new_people",
            ("epred",),
            lambda t, c: plots.new_people(t["epred"], _palette(c)),
        ),
        FigureSpec(
            "m3_trajectories",
            ("trajectories",),
            lambda t, c: plots.m3_trajectories(
                t["trajectories"], _listed(c, "trajectories"), _palette(c)
            ),
        ),
        FigureSpec(
            "m4_trajectories",
            ("trajectories",),
            lambda t, c: plots.m4_trajectories(
                t["trajectories"], _listed(c, "trajectories"), _palette(c)
            ),
        ),
    )
}


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the table at ``path`` (``.parquet`` or ``.csv``).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: for another file type.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"figure input {p} does not exist")
    if p.suffix == ".parquet":
        return pd.read_parquet(p)
    if p.suffix == ".csv":
        return pd.read_csv(p)
    raise ValueError(f"figure input {p}: expected a .parquet or .csv file")


def build_figure(
    figure_id: str, tables: Mapping[str, pd.DataFrame], config: Mapping[str, Any]
) -> Plot:
    """Return the plot of ``figure_id`` built from ``tables`` (by input name) and ``config``.

    Raises:
        KeyError: for an unknown figure id or a missing input table.
    """
    try:
        spec = FIGURES[figure_id]
    except KeyError as exc:
        raise KeyError(f"unknown figure {figure_id!r}; known: {sorted(FIGURES)}") from exc
    missing = [name for name in spec.inputs if name not in tables]
    if missing:
        raise KeyError(f"figure {figure_id!r} needs input table(s) {missing}")
    return spec.build(tables, config)


def save_figure(
    plot: Plot,
    path: str | os.PathLike[str],
    *,
    width: float,
    height: float,
    dpi: int,
) -> Path:
    """Write ``plot`` to ``path`` (format from its suffix), atomically; return the path.

    See :func:`save_figures`.
    """
    return save_figures(plot, [path], width=width, height=height, dpi=dpi)[0]


def save_figures(
    plot: Plot,
    paths: Sequence[str | os.PathLike[str]],
    *,
    width: float,
    height: float,
    dpi: int,
) -> list[Path]:
    """Draw ``plot`` once and write it to each of ``paths`` (format from each suffix).

    ``width`` and ``height`` are in inches; ``dpi`` sets the resolution of PNGs and of any
    rasterised layer in SVG or PDF. Each file is drawn into a temporary file beside it and
    renamed onto it, so a failed write never leaves a partial figure. SVG output carries no
    date and fixed element ids, so redrawing the same plot gives the same bytes.

    Returns:
        The paths written, in order.

    Raises:
        ValueError: for a suffix other than .png, .svg or .pdf (before anything is drawn).
    """
    targets = [Path(p) for p in paths]
    for target in targets:
        fmt = target.suffix.lstrip(".").lower()
        if fmt not in SAVE_FORMATS:
            raise ValueError(
                f"{target}: cannot save a figure as {fmt!r}; use one of {SAVE_FORMATS}"
            )
    import matplotlib.pyplot as plt

    sized = theme(figure_size=(width, height), dpi=dpi)
    with matplotlib.rc_context({"svg.hashsalt": "mlmpipe"}):
        figure = (plot & sized).draw() if isinstance(plot, Compose) else (plot + sized).draw()
        try:
            for target in targets:
                fmt = target.suffix.lstrip(".").lower()
                metadata = {"Date": None} if fmt == "svg" else {}
                with atomic_path(target) as tmp:
                    figure.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
        finally:
            plt.close(figure)
    return targets


def render_figure(
    figure_id: str,
    inputs: Mapping[str, str | os.PathLike[str]],
    outputs: Sequence[str | os.PathLike[str]],
    config: Mapping[str, Any],
) -> list[Path]:
    """Read ``inputs``, build ``figure_id`` and write it to each of ``outputs``.

    Sizes and resolution come from config ``figures`` (``width``, ``height`` in inches,
    ``dpi``). plotnine's warnings are logged rather than printed.

    Returns:
        The paths written, in the order of ``outputs``.
    """
    spec = FIGURES.get(figure_id)
    if spec is None:
        raise KeyError(f"unknown figure {figure_id!r}; known: {sorted(FIGURES)}")
    settings = config.get("figures", {})
    width = float(settings.get("width", 7))
    height = float(settings.get("height", 4.5)) * spec.height_scale
    dpi = int(settings.get("dpi", 200))
    tables = {}
    for name in spec.inputs:
        if name not in inputs:
            raise KeyError(f"figure {figure_id!r} needs an input named {name!r}")
        tables[name] = read_table(inputs[name])
        log.info("%s: read %s (%d rows)", figure_id, inputs[name], len(tables[name]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            plot = build_figure(figure_id, tables, config)
        except plots.FigureInputError as exc:
            files = ", ".join(f"{name}={inputs[name]}" for name in spec.inputs)
            raise plots.FigureInputError(f"figure {figure_id} ({files}): {exc}") from exc
        written = save_figures(plot, outputs, width=width, height=height, dpi=dpi)
    for output in written:
        log.info("%s: wrote %s (%.1f x %.1f in, %d dpi)", figure_id, output, width, height, dpi)
    for w in caught:
        log.warning("%s: %s: %s", figure_id, w.category.__name__, w.message)
    return written
