"""Distributions of draws as plotnine layers: half-eyes, gradient intervals, point intervals.

:func:`halfeye`, :func:`gradientinterval` and :func:`pointinterval` combine the stats of
:mod:`.ggdist_stats` as ggdist's ``stat_halfeye``, ``stat_gradientinterval`` and
``stat_pointinterval`` do, and return lists of layers to add to a plot. The numbers (densities,
intervals, points) are computed in :mod:`.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from plotnine import geom_point, geom_polygon, geom_rect, geom_segment
from plotnine.mapping import aes

from .ggdist_stats import stat_interval, stat_point_estimate, stat_slab
from .stats import DEFAULT_SIZE_RANGE, DEFAULT_WIDTHS

__all__ = ["gradientinterval", "halfeye", "pointinterval"]


def pointinterval(
    mapping: aes | None = None,
    data: pd.DataFrame | None = None,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    point: str = "median",
    color: str | None = "black",
    point_size: float = 2.6,
    size_range: tuple[float, float] = DEFAULT_SIZE_RANGE,
    dodge: float = 0.0,
    alpha: float = 1.0,
) -> list:
    """Return the layers of a point interval: one segment per width and the point summary.

    ``mapping`` needs ``x`` (usually discrete) and ``y`` (the draws); it is combined with the
    plot's mapping as any layer's. ``color=None`` takes the colour from a mapped ``color``
    aesthetic instead of a fixed one. ``size_range`` gives the line sizes of the narrowest and
    the widest interval; ``dodge`` sets apart groups sharing an x (see
    :class:`.ggdist_stats._dodged_stat`). The layers never add a legend entry.
    """
    return [
        geom_segment(
            mapping,
            data,
            stat=stat_interval,
            widths=tuple(widths),
            size_range=tuple(size_range),
            dodge=dodge,
            fixed_color=color,
            alpha=alpha,
            show_legend=False,
            lineend="butt",
        ),
        geom_point(
            mapping,
            data,
            stat=stat_point_estimate,
            point=point,
            dodge=dodge,
            fixed_color=color,
            size=point_size,
            alpha=alpha,
            show_legend=False,
        ),
    ]


def halfeye(
    mapping: aes | None = None,
    data: pd.DataFrame | None = None,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    point: str = "median",
    fill: str | None = None,
    alpha: float = 1.0,
    scale: float = 0.9,
    normalize: str = "panels",
    adjust: float = 1.0,
    trim: bool = True,
    interval_color: str | None = "black",
    point_size: float = 2.6,
    size_range: tuple[float, float] = DEFAULT_SIZE_RANGE,
    dodge: float = 0.0,
) -> list:
    """Return the layers of a half-eye: density slab, intervals and point summary.

    As ggdist's ``stat_halfeye``: for each x position (and each group, e.g. each level of
    a mapped ``fill``), the slab is the density of ``y`` drawn to the right of x, the
    segments are the ``widths`` quantile intervals and the point is the median (``point``).
    ``fill`` sets a fixed slab colour unless the mapping maps one; ``alpha`` applies to the
    slab only, so intervals stay legible over overlapping slabs. ``interval_color=None``
    colours intervals and points by the plot's ``color`` mapping; ``dodge`` sets apart the
    intervals of groups sharing an x (e.g. two fills), leftwards of the slabs. The slab never
    has an outline.
    """
    slab = _slab_params("slab", scale, normalize, adjust, trim=trim, alpha=alpha)
    if fill is not None:
        slab["fill"] = fill
    interval = _interval_params(widths, point, interval_color, point_size, size_range, dodge)
    return _slab_with_interval(geom_polygon, mapping, data, slab, interval)


def gradientinterval(
    mapping: aes | None = None,
    data: pd.DataFrame | None = None,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    point: str = "median",
    fill: str = "#808080",
    scale: float = 0.9,
    normalize: str = "panels",
    n: int = 128,
    adjust: float = 1.0,
    interval_color: str | None = "black",
    point_size: float = 1.0,
    size_range: tuple[float, float] = (1.0, 0.4),
    raster: bool = True,
    dodge: float = 0.0,
) -> list:
    """Return the layers of a gradient interval: a density-shaded column, intervals, point.

    As ggdist's ``stat_gradientinterval``: at each x position a column ``scale`` wide whose
    opacity is the density of ``y`` (over the panel's peak with ``normalize="panels"``),
    with the point interval on top; ``size_range`` is thinner than a half-eye's, as gradient
    columns are usually many and narrow. The opacity is the layer's ``alpha`` column, so do
    not map ``alpha`` in the same plot. With ``raster=True`` the shaded cells are drawn as an
    image in vector outputs (SVG, PDF), which keeps those files small.
    """
    slab = _slab_params(
        "gradient", scale, normalize, adjust, n=n, fill=fill, show_legend=False, raster=raster
    )
    interval = _interval_params(widths, point, interval_color, point_size, size_range, dodge)
    return _slab_with_interval(geom_rect, mapping, data, slab, interval)


def _slab_params(
    fill_type: str, scale: float, normalize: str, adjust: float, **extra: Any
) -> dict[str, Any]:
    """Return the keyword arguments of a slab layer (:class:`stat_slab`'s and the geom's)."""
    return {
        "fill_type": fill_type,
        "scale": scale,
        "normalize": normalize,
        "adjust": adjust,
        **extra,
    }


def _interval_params(
    widths: Sequence[float],
    point: str,
    color: str | None,
    point_size: float,
    size_range: tuple[float, float],
    dodge: float,
) -> dict[str, Any]:
    """Return the keyword arguments of :func:`pointinterval` for the intervals over a slab."""
    return {
        "widths": widths,
        "point": point,
        "color": color,
        "point_size": point_size,
        "size_range": size_range,
        "dodge": dodge,
    }


def _slab_with_interval(
    geom: Any,
    mapping: aes | None,
    data: pd.DataFrame | None,
    slab: dict[str, Any],
    interval: dict[str, Any],
) -> list:
    """Return the slab layer (``geom`` drawing :class:`stat_slab`) and, over it, the layers of
    :func:`pointinterval`."""
    return [geom(mapping, data, stat=stat_slab, **slab), *pointinterval(mapping, data, **interval)]
