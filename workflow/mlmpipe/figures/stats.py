"""The numbers behind the distribution layers: R's ``bw.nrd0`` bandwidth, Gaussian kernel
densities, quantile intervals, point summaries and the line sizes of intervals.

Densities are Gaussian kernel density estimates (exact sums over the draws: the numbers
``scipy.stats.gaussian_kde`` gives for the same bandwidth) with R's ``bw.nrd0`` bandwidth
(Silverman's rule of thumb, ``0.9 * min(sd, IQR / 1.34) * n^-1/5``), the default of R's
``density()`` and of ggdist before version 3.3 (which now defaults to a bounded density
with the Sheather-Jones bandwidth), evaluated on a grid over the range of the draws
(``trim=True``, ggdist's default) or over that range extended by three bandwidths
(``trim=False``, R's ``cut = 3``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "bandwidth_nrd0",
    "density",
    "gaussian_kde_1d",
    "interval_linewidths",
    "point_estimate",
    "qi",
]

DEFAULT_WIDTHS: tuple[float, ...] = (0.66, 0.95)
"""ggdist's default interval widths for half-eyes and point intervals."""

POINT_FUNCTIONS = ("median", "mean")
"""The point summaries :func:`point_estimate` knows."""


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
