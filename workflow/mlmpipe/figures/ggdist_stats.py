"""ggdist's stats as plotnine stats: the density slab, quantile intervals and point summary of
``y`` at each x position.

plotnine has no counterpart of ggdist's ``stat_halfeye``, ``stat_gradientinterval`` or
``stat_pointinterval``; the stats here take part in plotnine's pipeline like any other layer:
discrete or continuous x, facets, fills mapped to a column, scales and legends. They are
grouped by the x aesthetic (and by any other discrete aesthetic, as plotnine groups data):

- :class:`stat_slab` estimates each group's density of ``y`` and returns a polygon (the
  half-eye's slab) or, with ``fill_type="gradient"``, a column of rectangles whose opacity
  follows the density (the gradient interval's slab);
- :class:`stat_interval` returns one segment per interval width (quantile intervals, ``qi``);
- :class:`stat_point_estimate` returns the point summary (median by default).

The slab's thickness is scaled so that the tallest density of a panel spans ``scale`` (0.9)
of the spacing between x positions: 1 for a discrete x, the smallest distance between two
x values for a continuous x (``normalize="panels"``, ggdist's default for one layer), or so
that each slab's own peak spans it (``normalize="groups"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from plotnine.exceptions import PlotnineError
from plotnine.scales.scale_discrete import scale_discrete
from plotnine.stats.stat import stat

from .stats import (
    DEFAULT_SIZE_RANGE,
    DEFAULT_WIDTHS,
    POINT_FUNCTIONS,
    density,
    interval_linewidths,
    point_estimate,
    qi,
)

__all__ = ["stat_interval", "stat_point_estimate", "stat_slab"]

NORMALIZE = ("panels", "groups")
FILL_TYPES = ("slab", "gradient")


def _check_widths(widths: Any) -> tuple[float, ...]:
    """Return ``widths`` as floats; raise PlotnineError unless each is in (0, 1]."""
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
    """Return the one x position of a group; raise PlotnineError if it has several."""
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
        """Return plotnine's panel computation on the groups split by x position."""
        return super().compute_panel(_group_by_x(data), scales)


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
        """Raise PlotnineError for an unknown ``normalize`` or ``fill_type``, or a bad ``scale``."""
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
        """Return one group's density on its grid (no rows for constant draws)."""
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
        """Return the panel's slabs, scaled to the x spacing, as polygons or rectangles."""
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
        """Return the panel's summaries, groups sharing an x set apart by ``dodge``."""
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
        """Check the widths (PlotnineError unless each is in (0, 1])."""
        self.params["widths"] = _check_widths(self.params["widths"])

    def compute_group(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        """Return one segment per width, widest first."""
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
        """Raise PlotnineError for an unknown ``point``."""
        if self.params["point"] not in POINT_FUNCTIONS:
            raise PlotnineError(
                f"stat_point_estimate: point must be one of {POINT_FUNCTIONS}, "
                f"got {self.params['point']!r}"
            )

    def compute_group(self, data: pd.DataFrame, scales: Any) -> pd.DataFrame:
        """Return the group's point summary at its x."""
        x0 = _single_x(data, "stat_point_estimate")
        value = point_estimate(data["y"].to_numpy(dtype=float), self.params["point"])
        return pd.DataFrame({"x": [x0], "y": [value], ".point": [self.params["point"]]})
