"""Distributions of draws as plotnine layers: half-eyes, gradient intervals, point intervals.

plotnine has no counterpart of ggdist's ``stat_halfeye``, ``stat_gradientinterval`` or
``stat_pointinterval``; this module provides them as plotnine stats, so they take part in
plotnine's pipeline like any other layer: discrete or continuous x, facets, fills mapped to a
column, scales and legends.

Three stats do the work, grouped by the x aesthetic (and by any other discrete aesthetic,
as plotnine groups data):

- :class:`stat_slab` estimates each group's density of ``y`` and returns a polygon (the
  half-eye's slab) or, with ``fill_type="gradient"``, a column of rectangles whose opacity
  follows the density (the gradient interval's slab);
- :class:`stat_interval` returns one segment per interval width (quantile intervals, ``qi``);
- :class:`stat_point_estimate` returns the point summary (median by default).

:func:`halfeye`, :func:`gradientinterval` and :func:`pointinterval` combine them as ggdist's
shortcuts do, and return lists of layers to add to a plot.

Densities are Gaussian kernel density estimates (exact sums over the draws: the numbers
``scipy.stats.gaussian_kde`` gives for the same bandwidth) with R's ``bw.nrd0`` bandwidth
(Silverman's rule of thumb, ``0.9 * min(sd, IQR / 1.34) * n^-1/5``), the default of R's
``density()`` and of ggdist before version 3.3 (which now defaults to a bounded density
with the Sheather-Jones bandwidth), evaluated on a grid over the range of the draws
(``trim=True``, ggdist's default) or over that range extended by three bandwidths
(``trim=False``, R's ``cut = 3``).

The slab's thickness is scaled so that the tallest density of a panel spans ``scale`` (0.9)
of the spacing between x positions: 1 for a discrete x, the smallest distance between two
x values for a continuous x (``normalize="panels"``, ggdist's default for one layer), or so
that each slab's own peak spans it (``normalize="groups"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from plotnine import geom_point, geom_polygon, geom_rect, geom_segment
from plotnine.exceptions import PlotnineError
from plotnine.mapping import aes
from plotnine.scales.scale_discrete import scale_discrete
from plotnine.stats.stat import stat

__all__ = [
    "bandwidth_nrd0",
    "density",
    "gaussian_kde_1d",
    "gradientinterval",
    "halfeye",
    "interval_linewidths",
    "point_estimate",
    "pointinterval",
    "qi",
    "stat_interval",
    "stat_point_estimate",
    "stat_slab",
]

DEFAULT_WIDTHS: tuple[float, ...] = (0.66, 0.95)
"""ggdist's default interval widths for half-eyes and point intervals."""

POINT_FUNCTIONS = ("median", "mean")
NORMALIZE = ("panels", "groups")
FILL_TYPES = ("slab", "gradient")


# --------------------------------------------------------------------------------------
# Numerical building blocks
# --------------------------------------------------------------------------------------


def bandwidth_nrd0(values: np.ndarray) -> float:
    """Return R's ``bw.nrd0`` bandwidth of ``values``.

    ``0.9 * min(sd, IQR / 1.34) * n^(-1/5)``, falling back (as R does) to the standard
    deviation, then to ``|x[0]|``, then to 1 when the spread is zero.

    Raises:
        ValueError: if fewer than two finite values are given.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise ValueError(f"bandwidth_nrd0 needs at least 2 finite values, got {x.size}")
    sd = float(np.std(x, ddof=1))
    q75, q25 = np.quantile(x, [0.75, 0.25])
    iqr = float(q75 - q25) / 1.34
    lo = min(sd, iqr) if iqr > 0 else sd
    if lo <= 0:
        lo = abs(float(x[0])) or 1.0
    return 0.9 * lo * x.size ** (-0.2)


def density(
    values: np.ndarray,
    *,
    n: int = 512,
    adjust: float = 1.0,
    trim: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(grid, f)``: a Gaussian KDE of ``values`` evaluated on ``n`` grid points.

    The bandwidth is :func:`bandwidth_nrd0` times ``adjust``. With ``trim=True`` the grid
    spans the range of the values; otherwise it extends three bandwidths beyond it, where
    ``f`` integrates to 1 up to numerical error.

    Raises:
        ValueError: if fewer than two finite values are given, or they are all equal.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError(
            f"a density needs at least 2 distinct finite values, got {x.size} value(s) "
            f"with range {np.ptp(x) if x.size else float('nan')}"
        )
    bw = bandwidth_nrd0(x) * adjust
    lo, hi = float(x.min()), float(x.max())
    if not trim:
        lo, hi = lo - 3 * bw, hi + 3 * bw
    grid = np.linspace(lo, hi, n)
    return grid, gaussian_kde_1d(x, grid, bw)


def gaussian_kde_1d(values: np.ndarray, grid: np.ndarray, bw: float) -> np.ndarray:
    """Return the Gaussian kernel density of ``values`` with bandwidth ``bw`` at ``grid``.

    The exact sum over every value (no binning), the same numbers as
    ``scipy.stats.gaussian_kde(values, bw_method=bw / values.std(ddof=1))(grid)``, in blocks
    of grid points so memory stays small for many draws.
    """
    x = np.asarray(values, dtype=float)
    out = np.empty(grid.size)
    block = max(1, 2_000_000 // max(x.size, 1))
    for start in range(0, grid.size, block):
        z = (grid[start : start + block, None] - x[None, :]) / bw
        out[start : start + block] = np.exp(-0.5 * z * z).sum(axis=1)
    return out / (x.size * bw * np.sqrt(2 * np.pi))


def qi(values: np.ndarray, width: float) -> tuple[float, float]:
    """Return the quantile interval of ``values`` holding the central ``width`` of them.

    The bounds are the ``(1 - width) / 2`` and ``(1 + width) / 2`` quantiles (numpy's default,
    R's type 7, as ggdist's ``qi``).

    Raises:
        ValueError: if ``width`` is not in (0, 1] or ``values`` holds no finite value.
    """
    if not 0 < width <= 1:
        raise ValueError(f"an interval width must be in (0, 1], got {width!r}")
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError("qi needs at least one finite value")
    lower, upper = np.quantile(x, [(1 - width) / 2, (1 + width) / 2])
    return float(lower), float(upper)


def point_estimate(values: np.ndarray, point: str = "median") -> float:
    """Return the ``point`` summary (``"median"`` or ``"mean"``) of the finite ``values``.

    Raises:
        ValueError: for another ``point``, or when no value is finite.
    """
    if point not in POINT_FUNCTIONS:
        raise ValueError(f"point must be one of {POINT_FUNCTIONS}, got {point!r}")
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError("a point estimate needs at least one finite value")
    return float(np.median(x) if point == "median" else np.mean(x))


DEFAULT_SIZE_RANGE: tuple[float, float] = (1.8, 0.7)
"""Line sizes of the narrowest and the widest interval, in plotnine's ``size`` units."""


def interval_linewidths(
    widths: Sequence[float], size_range: tuple[float, float] = DEFAULT_SIZE_RANGE
) -> dict[float, float]:
    """Return the line size of each interval: the narrowest thickest, as in ggdist.

    Sizes are spread linearly from ``size_range[0]`` (narrowest interval) to
    ``size_range[1]`` (widest); a single interval gets their mean.
    """
    ordered = sorted(set(widths))
    if len(ordered) == 1:
        return {ordered[0]: float(np.mean(size_range))}
    sizes = np.linspace(size_range[0], size_range[1], len(ordered))
    return dict(zip(ordered, sizes.tolist(), strict=True))


def _check_widths(widths: Any) -> tuple[float, ...]:
    try:
        values = tuple(float(w) for w in widths)
    except TypeError as exc:
        raise PlotnineError(f"widths must be a sequence of numbers, got {widths!r}") from exc
    if not values or any(not 0 < w <= 1 for w in values):
        raise PlotnineError(f"every interval width must be in (0, 1], got {widths!r}")
    return values


def _x_spacing(x: pd.Series, scales: Any) -> float:
    """The distance between neighbouring x positions: 1 on a discrete scale."""
    if isinstance(getattr(scales, "x", None), scale_discrete):
        return 1.0
    values = np.unique(np.asarray(x, dtype=float))
    if values.size < 2:
        return 1.0
    return float(np.min(np.diff(values)))


def _single_x(data: pd.DataFrame, name: str) -> float:
    xs = pd.unique(data["x"])
    if len(xs) != 1:  # _group_by_x makes this impossible; guard against misuse.
        raise PlotnineError(f"{name}: a group spans {len(xs)} x positions ({list(xs)[:5]})")
    return float(xs[0])


def _group_by_x(data: pd.DataFrame) -> pd.DataFrame:
    """Split plotnine's groups by x position, so a continuous x is grouped by value too."""
    data = data.copy()
    data["group"] = data.groupby(["group", "x"], sort=True).ngroup() + 1
    return data


class _by_x_stat(stat):  # noqa: N801
    """A stat whose groups are plotnine's groups crossed with the x positions."""

    def compute_panel(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        return super().compute_panel(_group_by_x(data), scales)


# --------------------------------------------------------------------------------------
# Stats
# --------------------------------------------------------------------------------------


class stat_slab(_by_x_stat):  # noqa: N801  (plotnine's naming)
    """Density of ``y`` for each x position, as a half-eye slab or a gradient column.

    Parameters (besides plotnine's common ones):
        scale: share of the x spacing that the tallest slab of a panel spans (0.9).
        normalize: ``"panels"`` (the tallest density of a panel spans ``scale``) or
            ``"groups"`` (each slab's peak spans it).
        fill_type: ``"slab"`` returns a polygon for ``geom_polygon`` drawn to the right of
            x; ``"gradient"`` returns rectangles for ``geom_rect``, centred on x, ``scale``
            wide, whose ``alpha`` is the density over the panel's (or group's) peak.
        n: grid points per density; adjust: bandwidth multiplier; trim: see :func:`density`.
        outline: keep the slab's outline colour (default: no outline).

    Computed columns: ``density`` (the unscaled density), ``thickness`` (in [0, 1]).
    Groups with fewer than two distinct values get no slab.
    """

    REQUIRED_AES = {"x", "y"}
    DEFAULT_PARAMS = {
        "geom": "polygon",
        "position": "identity",
        "na_rm": False,
        "scale": 0.9,
        "normalize": "panels",
        "fill_type": "slab",
        "n": 512,
        "adjust": 1.0,
        "trim": True,
        "outline": False,
    }
    CREATES = {"density", "thickness"}

    def setup_params(self, data: pd.DataFrame) -> None:
        params = self.params
        if params["normalize"] not in NORMALIZE:
            raise PlotnineError(
                f"stat_slab: normalize must be one of {NORMALIZE}, got {params['normalize']!r}"
            )
        if params["fill_type"] not in FILL_TYPES:
            raise PlotnineError(
                f"stat_slab: fill_type must be one of {FILL_TYPES}, got {params['fill_type']!r}"
            )
        if not 0 < float(params["scale"]) <= 1:
            raise PlotnineError(f"stat_slab: scale must be in (0, 1], got {params['scale']!r}")

    def finish_layer(self, data: pd.DataFrame) -> pd.DataFrame:
        # No outline unless asked for, whatever the plot maps to colour (a geom parameter
        # would drop a mapped colour from the grouping).
        if not self.params["outline"]:
            data["color"] = None
        return data

    def compute_group(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        x0 = _single_x(data, "stat_slab")
        y = data["y"].to_numpy(dtype=float)
        try:
            grid, f = density(
                y,
                n=int(self.params["n"]),
                adjust=float(self.params["adjust"]),
                trim=bool(self.params["trim"]),
            )
        except ValueError:
            # Constant or single draws: no density to draw; the interval layers still
            # mark the value.
            empty = np.array([], dtype=float)
            return pd.DataFrame({"x": empty, "y": empty, "density": empty, "xpos": empty})
        return pd.DataFrame({"x": x0, "y": grid, "density": f, "xpos": x0})

    def compute_panel(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        spacing = _x_spacing(data["x"], scales)
        out = super().compute_panel(data, scales)
        if out.empty or "density" not in out:
            return out
        out = out.dropna(subset=["density"]).reset_index(drop=True)
        if self.params["normalize"] == "groups":
            peak = out.groupby("group")["density"].transform("max")
        else:
            peak = pd.Series(out["density"].max(), index=out.index)
        out["thickness"] = out["density"] / peak
        width = float(self.params["scale"]) * spacing
        if self.params["fill_type"] == "slab":
            return _slab_polygons(out, width)
        return _gradient_rects(out, width)


def _slab_polygons(out: pd.DataFrame, width: float) -> pd.DataFrame:
    """Close each group's density curve into a polygon drawn to the right of its x.

    Each curve (sorted by y within its group) gets a first and a last vertex on the
    baseline x = xpos, so the slab's flat side lies on its x position.
    """
    out = out.sort_values(["group", "y"], kind="stable").reset_index(drop=True)
    grouped = out.groupby("group", sort=False)
    first = grouped.head(1).assign(thickness=0.0, _order=-1)
    last = grouped.tail(1).assign(thickness=0.0, _order=1 << 30)
    body = out.assign(_order=grouped.cumcount())
    poly = pd.concat([first, body, last], ignore_index=True)
    poly = poly.sort_values(["group", "_order"], kind="stable").drop(columns="_order")
    poly["x"] = poly["xpos"] + poly["thickness"] * width
    return poly.reset_index(drop=True)


def _gradient_rects(out: pd.DataFrame, width: float) -> pd.DataFrame:
    """One rectangle per grid cell, centred on x, whose opacity is the scaled density.

    Cells meet halfway between grid points and the outer cells end at the range of the
    draws, so each column covers exactly the range of its draws without gaps.
    """
    out = out.sort_values(["group", "y"], kind="stable").reset_index(drop=True)
    y = out["y"]
    grouped = y.groupby(out["group"], sort=False)
    below = (y + grouped.shift(1)) / 2
    above = (y + grouped.shift(-1)) / 2
    return out.assign(
        xmin=out["xpos"] - width / 2,
        xmax=out["xpos"] + width / 2,
        ymin=below.fillna(y),
        ymax=above.fillna(y),
        alpha=out["thickness"].clip(0, 1),
    )


class _dodged_stat(_by_x_stat):  # noqa: N801
    """A summary stat whose groups sharing an x position can be set apart (``dodge``).

    With ``dodge`` > 0 (a share of the x spacing), the k groups at one x are placed at
    ``x - (k - 1) * dodge, ..., x - dodge, x`` in group order: leftwards, so they never cover
    a half-eye's slab, which is drawn to the right of x. ``fixed_color`` paints every
    interval and point that colour while the groups stay those of the plot's mapping.
    """

    def finish_layer(self, data: pd.DataFrame) -> pd.DataFrame:
        # A fixed colour is applied after the stat, not as a geom parameter: a parameter
        # would drop a mapped colour or fill from plotnine's grouping and pool the groups.
        color = self.params.get("fixed_color")
        if color is not None:
            data["color"] = color
            data["fill"] = color
        return data

    def compute_panel(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        spacing = _x_spacing(data["x"], scales)
        out = super().compute_panel(data, scales)
        dodge = float(self.params.get("dodge", 0.0))
        if out.empty or dodge == 0:
            return out
        by_x = out.groupby("x")["group"]
        rank = by_x.rank(method="dense")
        count = by_x.transform("nunique")
        shift = -(count - rank) * dodge * spacing
        out["x"] = out["x"] + shift
        if "xend" in out:
            out["xend"] = out["xend"] + shift
        return out


class stat_interval(_dodged_stat):  # noqa: N801
    """Quantile intervals of ``y`` at each x position, one segment per width.

    Parameters: ``widths`` (default ``(0.66, 0.95)``); ``size_range``, the line sizes of the
    narrowest and widest intervals (default ``(1.8, 0.7)``); ``dodge`` (see
    :class:`_dodged_stat`).
    Computed columns: ``.lower``, ``.upper``, ``.width``, ``size`` (the line width: thicker for
    narrower intervals), and the segment's ``x``, ``xend``, ``y``, ``yend``.
    """

    REQUIRED_AES = {"x", "y"}
    DEFAULT_PARAMS = {
        "geom": "segment",
        "position": "identity",
        "na_rm": False,
        "widths": DEFAULT_WIDTHS,
        "size_range": DEFAULT_SIZE_RANGE,
        "dodge": 0.0,
        "fixed_color": None,
    }
    CREATES = {".lower", ".upper", ".width", "size"}

    def setup_params(self, data: pd.DataFrame) -> None:
        self.params["widths"] = _check_widths(self.params["widths"])

    def compute_group(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        x0 = _single_x(data, "stat_interval")
        widths = self.params["widths"]
        sizes = interval_linewidths(widths, tuple(self.params["size_range"]))
        rows = []
        # Widest first, so that narrower (thicker) intervals are drawn on top.
        for w in sorted(widths, reverse=True):
            lower, upper = qi(data["y"].to_numpy(dtype=float), w)
            rows.append(
                {
                    "x": x0,
                    "xend": x0,
                    "y": lower,
                    "yend": upper,
                    ".lower": lower,
                    ".upper": upper,
                    ".width": w,
                    "size": sizes[w],
                }
            )
        return pd.DataFrame(rows)


class stat_point_estimate(_dodged_stat):  # noqa: N801
    """The point summary of ``y`` at each x position (``point="median"`` or ``"mean"``).

    Parameters: ``point``; ``dodge`` (see :class:`_dodged_stat`).
    """

    REQUIRED_AES = {"x", "y"}
    DEFAULT_PARAMS = {
        "geom": "point",
        "position": "identity",
        "na_rm": False,
        "point": "median",
        "dodge": 0.0,
        "fixed_color": None,
    }
    CREATES = {".point"}

    def setup_params(self, data: pd.DataFrame) -> None:
        if self.params["point"] not in POINT_FUNCTIONS:
            raise PlotnineError(
                f"stat_point_estimate: point must be one of {POINT_FUNCTIONS}, "
                f"got {self.params['point']!r}"
            )

    def compute_group(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        x0 = _single_x(data, "stat_point_estimate")
        value = point_estimate(data["y"].to_numpy(dtype=float), self.params["point"])
        return pd.DataFrame({"x": [x0], "y": [value], ".point": [self.params["point"]]})


# --------------------------------------------------------------------------------------
# Shortcuts, as ggdist's stat_halfeye, stat_gradientinterval, stat_pointinterval
# --------------------------------------------------------------------------------------


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
    the widest interval; ``dodge`` sets apart groups sharing an x (see :class:`_dodged_stat`).
    The layers never add a legend entry.
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
    slab_kwargs: dict[str, Any] = {}
    if fill is not None:
        slab_kwargs["fill"] = fill
    return [
        geom_polygon(
            mapping,
            data,
            stat=stat_slab,
            fill_type="slab",
            scale=scale,
            normalize=normalize,
            adjust=adjust,
            trim=trim,
            alpha=alpha,
            **slab_kwargs,
        ),
        *pointinterval(
            mapping,
            data,
            widths=widths,
            point=point,
            color=interval_color,
            point_size=point_size,
            size_range=size_range,
            dodge=dodge,
        ),
    ]


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
    return [
        geom_rect(
            mapping,
            data,
            stat=stat_slab,
            fill_type="gradient",
            scale=scale,
            normalize=normalize,
            n=n,
            adjust=adjust,
            fill=fill,
            show_legend=False,
            raster=raster,
        ),
        *pointinterval(
            mapping,
            data,
            widths=widths,
            point=point,
            color=interval_color,
            point_size=point_size,
            size_range=size_range,
            dodge=dodge,
        ),
    ]
