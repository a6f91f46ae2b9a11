"""The numbers behind the distribution layers: R's bw.nrd0 bandwidth, densities that
integrate to 1 before they are scaled, quantile intervals equal to numpy's quantiles for each
width, medians as points, and thicker lines for narrower intervals."""

from __future__ import annotations

import numpy as np
import pytest
from mlmpipe.figures.stats import (
    bandwidth_nrd0,
    density,
    gaussian_kde_1d,
    interval_linewidths,
    point_estimate,
    qi,
)


def test_bandwidth_is_r_bw_nrd0():
    # R: bw.nrd0(c(1, 2, 3, 4, 5, 10)) = 0.9 * min(sd, IQR / 1.34) * 6^(-1/5)
    # sd = 3.1885, IQR = 4.75 - 2.25 = 2.5 (type 7 quantiles), so 0.9 * 1.86567 * 0.698827
    assert bandwidth_nrd0(np.array([1, 2, 3, 4, 5, 10])) == pytest.approx(1.173407, rel=1e-5)


def test_bandwidth_falls_back_to_the_sd_when_the_iqr_is_zero():
    x = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    assert bandwidth_nrd0(x) == pytest.approx(0.9 * np.std(x, ddof=1) * 5**-0.2)


def test_density_integrates_to_one_before_scaling():
    x = np.random.default_rng(1).gamma(3.0, 0.02, 4000)
    grid, f = density(x, trim=False)
    assert np.trapezoid(f, grid) == pytest.approx(1.0, abs=2e-3)
    grid, f = density(x, trim=True)
    assert 0.97 < np.trapezoid(f, grid) <= 1.0
    assert grid[0] == x.min() and grid[-1] == x.max()


def test_density_is_the_same_as_scipys_gaussian_kde_with_that_bandwidth():
    from scipy.stats import gaussian_kde

    x = np.random.default_rng(4).normal(0.2, 0.05, 3000)
    bw = bandwidth_nrd0(x)
    grid = np.linspace(0.0, 0.4, 300)
    expected = gaussian_kde(x, bw_method=bw / np.std(x, ddof=1))(grid)
    assert gaussian_kde_1d(x, grid, bw) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_density_of_constant_draws_is_refused():
    with pytest.raises(ValueError, match="at least 2 distinct finite values"):
        density(np.full(10, 0.2))


@pytest.mark.parametrize("width", [0.5, 0.66, 0.8, 0.95, 0.99])
def test_qi_is_the_central_quantile_interval(width):
    x = np.random.default_rng(2).normal(size=1001)
    lo, hi = qi(x, width)
    assert (lo, hi) == pytest.approx(tuple(np.quantile(x, [(1 - width) / 2, (1 + width) / 2])))
    assert np.mean((x >= lo) & (x <= hi)) == pytest.approx(width, abs=0.002)


def test_qi_rejects_a_width_outside_zero_one():
    with pytest.raises(ValueError, match=r"width must be in \(0, 1\], got 95"):
        qi(np.arange(5.0), 95)


def test_point_estimate_is_the_median_unless_asked_for_the_mean():
    x = np.array([0.0, 0.0, 1.0, 10.0])
    assert point_estimate(x) == 0.5
    assert point_estimate(x, "mean") == 2.75
    with pytest.raises(ValueError, match="point must be one of"):
        point_estimate(x, "mode")


def test_narrower_intervals_are_drawn_thicker():
    sizes = interval_linewidths([0.95, 0.66])
    assert sizes[0.66] > sizes[0.95]
