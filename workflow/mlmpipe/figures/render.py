"""Read a figure's tables, build it, and write it as PNG and SVG, atomically.

:func:`render_figure` is what the figures rule's script calls; what each figure reads and how
it is built is in :data:`mlmpipe.figures.registry.FIGURES`.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from plotnine import ggplot, theme
from plotnine.composition import Compose

from ..fileio import atomic_path
from . import plots
from .registry import FIGURES

matplotlib.use("Agg")

__all__ = [
    "FIGURES",
    "build_figure",
    "read_table",
    "render_figure",
    "save_figure",
    "save_figures",
]

log = logging.getLogger(__name__)

Plot = ggplot | Compose

SAVE_FORMATS = ("png", "svg", "pdf")


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
