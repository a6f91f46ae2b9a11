"""Half-eye, gradient-interval and point-interval layers (and the plotnine stats they draw).

The layers summarise draws as ggdist does: densities that integrate to 1 before they are
scaled, quantile intervals equal to numpy's quantiles for each width, medians as points,
and slabs whose tallest density spans 0.9 of the spacing between x positions.
"""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import pandas as pd
import pytest
from mlmpipe.figures import gradientinterval, halfeye
from mlmpipe.figures.layers import pointinterval
from plotnine import (
    aes,
    facet_wrap,
    geom_point,
    geom_polygon,
    geom_rect,
    geom_segment,
    ggplot,
    scale_color_manual,
)
from plotnine.exceptions import PlotnineError


def draws_frame(ids=(48, 137, 146), n=800, seed=11, spreads=(0.02, 0.04, 0.08)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pieces = [
        pd.DataFrame({"id": pid, "value": rng.normal(0.2, s, n)})
        for pid, s in zip(ids, spreads, strict=True)
    ]
    d = pd.concat(pieces, ignore_index=True)
    d["person"] = pd.Categorical(d["id"].astype(str), categories=[str(i) for i in ids])
    return d


def layer_data(plot, geom_type) -> list[pd.DataFrame]:
    p = deepcopy(plot)
    p._build()
    return [layer.data for layer in p.layers if isinstance(layer.geom, geom_type)]


def test_halfeye_intervals_equal_numpy_quantiles_for_each_width():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + halfeye(widths=(0.5, 0.8, 0.95))
    (segments,) = layer_data(plot, geom_segment)
    assert len(segments) == 3 * 3
    for position, pid in enumerate((48, 137, 146), start=1):
        values = d.loc[d["id"] == pid, "value"]
        mine = segments[segments["x"] == position].set_index(".width")
        for width in (0.5, 0.8, 0.95):
            lo, hi = np.quantile(values, [(1 - width) / 2, (1 + width) / 2])
            assert mine.loc[width, "y"] == pytest.approx(lo)
            assert mine.loc[width, "yend"] == pytest.approx(hi)
            assert mine.loc[width, "x"] == mine.loc[width, "xend"] == position


def test_halfeye_defaults_to_66_and_95_percent_intervals_and_the_median():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + halfeye()
    (segments,) = layer_data(plot, geom_segment)
    assert sorted(segments[".width"].unique()) == [0.66, 0.95]
    (points,) = layer_data(plot, geom_point)
    medians = d.groupby("id")["value"].median().to_numpy()
    assert points.sort_values("x")["y"].to_numpy() == pytest.approx(medians)


def test_halfeye_slab_density_integrates_to_one_per_person_before_scaling():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + halfeye()
    (slabs,) = layer_data(plot, geom_polygon)
    for _, g in slabs.groupby("group"):
        curve = g.drop_duplicates("y").sort_values("y")
        assert 0.97 < np.trapezoid(curve["density"], curve["y"]) <= 1.0


def test_halfeye_tallest_slab_spans_nine_tenths_of_a_discrete_step():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + halfeye()
    (slabs,) = layer_data(plot, geom_polygon)
    reach = (slabs["x"] - slabs["xpos"]).groupby(slabs["group"]).max()
    assert reach.max() == pytest.approx(0.9)
    # the narrowest posterior (id 48) has the tallest density; wider ones are lower
    assert reach.idxmax() == slabs.loc[slabs["xpos"] == 1, "group"].iloc[0]
    assert (slabs["x"] >= slabs["xpos"]).all()


def test_halfeye_slab_is_closed_on_its_x_position():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + halfeye()
    (slabs,) = layer_data(plot, geom_polygon)
    for _, g in slabs.groupby("group"):
        assert g["x"].iloc[0] == g["xpos"].iloc[0] == g["x"].iloc[-1]


def test_halfeye_groups_a_continuous_x_by_value_and_scales_to_its_spacing():
    d = draws_frame()
    plot = ggplot(d, aes("id", "value")) + halfeye()
    (slabs,) = layer_data(plot, geom_polygon)
    assert sorted(slabs["xpos"].unique()) == [48, 137, 146]
    # smallest distance between ids is 146 - 137 = 9
    assert (slabs["x"] - slabs["xpos"]).max() == pytest.approx(0.9 * 9)


def test_halfeye_normalize_groups_gives_every_slab_the_same_height():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + halfeye(normalize="groups")
    (slabs,) = layer_data(plot, geom_polygon)
    reach = (slabs["x"] - slabs["xpos"]).groupby(slabs["group"]).max()
    assert reach.to_numpy() == pytest.approx([0.9, 0.9, 0.9])


def test_halfeye_scales_each_facet_panel_on_its_own():
    d = pd.concat(
        [
            draws_frame(spreads=(0.01, 0.02, 0.02)).assign(panel="a"),
            draws_frame(spreads=(0.05, 0.06, 0.07), seed=3).assign(panel="b"),
        ],
        ignore_index=True,
    )
    plot = ggplot(d, aes("person", "value")) + halfeye() + facet_wrap("panel")
    (slabs,) = layer_data(plot, geom_polygon)
    reach = (slabs["x"] - slabs["xpos"]).groupby(slabs["PANEL"], observed=True).max()
    assert reach.to_numpy() == pytest.approx([0.9, 0.9])


def test_halfeye_with_a_mapped_fill_draws_one_slab_per_fill_and_person():
    d = draws_frame()
    both = pd.concat([d.assign(kind="expected"), d.assign(kind="predicted", value=d["value"] * 2)])
    plot = ggplot(both, aes("person", "value", fill="kind")) + halfeye(alpha=0.3)
    (slabs,) = layer_data(plot, geom_polygon)
    assert slabs["group"].nunique() == 6
    assert slabs["fill"].nunique() == 2
    (segments,) = layer_data(plot, geom_segment)
    assert len(segments) == 12


def test_halfeye_alpha_applies_to_the_slab_only():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + halfeye(alpha=0.4, fill="#1c5253")
    (slabs,) = layer_data(plot, geom_polygon)
    (segments,) = layer_data(plot, geom_segment)
    assert set(slabs["alpha"]) == {0.4} and set(slabs["fill"]) == {"#1c5253"}
    assert set(segments["alpha"]) == {1.0}


def test_halfeye_skips_the_slab_of_constant_draws_but_keeps_its_interval():
    d = draws_frame()
    d.loc[d["id"] == 146, "value"] = 0.3
    plot = ggplot(d, aes("person", "value")) + halfeye()
    (slabs,) = layer_data(plot, geom_polygon)
    assert sorted(slabs["xpos"].unique()) == [1, 2]
    (segments,) = layer_data(plot, geom_segment)
    constant = segments[segments["x"] == 3]
    assert (constant["y"] == 0.3).all() and (constant["yend"] == 0.3).all()


def test_halfeye_rejects_bad_widths_and_normalize():
    d = draws_frame()
    with pytest.raises(PlotnineError, match=r"every interval width must be in \(0, 1\]"):
        layer_data(ggplot(d, aes("person", "value")) + halfeye(widths=(66, 95)), geom_segment)
    with pytest.raises(PlotnineError, match="normalize must be one of"):
        layer_data(ggplot(d, aes("person", "value")) + halfeye(normalize="all"), geom_polygon)


def test_gradientinterval_shades_a_centred_column_by_density():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + gradientinterval()
    (rects,) = layer_data(plot, geom_rect)
    assert rects["alpha"].max() == pytest.approx(1.0)
    assert rects["alpha"].min() >= 0
    for position, pid in enumerate((48, 137, 146), start=1):
        mine = rects[rects["xpos"] == position]
        values = d.loc[d["id"] == pid, "value"]
        assert mine["xmin"].unique() == pytest.approx([position - 0.45])
        assert mine["xmax"].unique() == pytest.approx([position + 0.45])
        assert mine["ymin"].min() == pytest.approx(values.min())
        assert mine["ymax"].max() == pytest.approx(values.max())
        # cells tile the range without gaps
        assert mine["ymin"].iloc[1:].to_numpy() == pytest.approx(mine["ymax"].iloc[:-1].to_numpy())
    (segments,) = layer_data(plot, geom_segment)
    assert len(segments) == 6


def test_pointinterval_draws_intervals_and_points_without_a_slab():
    d = draws_frame()
    plot = ggplot(d, aes("person", "value")) + pointinterval(widths=(0.9,), point="mean")
    assert layer_data(plot, geom_polygon) == []
    (segments,) = layer_data(plot, geom_segment)
    assert segments[".width"].tolist() == [0.9, 0.9, 0.9]
    (points,) = layer_data(plot, geom_point)
    means = d.groupby("id")["value"].mean().to_numpy()
    assert points.sort_values("x")["y"].to_numpy() == pytest.approx(means)


def test_dodge_sets_intervals_of_groups_sharing_an_x_apart_leftwards():
    d = draws_frame()
    both = pd.concat([d.assign(kind="a"), d.assign(kind="b", value=d["value"] * 2)])
    plot = ggplot(both, aes("person", "value", fill="kind")) + halfeye(dodge=0.1)
    (segments,) = layer_data(plot, geom_segment)
    (points,) = layer_data(plot, geom_point)
    (slabs,) = layer_data(plot, geom_polygon)
    assert sorted(segments["x"].round(6).unique()) == [0.9, 1, 1.9, 2, 2.9, 3]
    assert (segments["x"] == segments["xend"]).all()
    # one point per person and kind: the medians of each kind, not of both pooled
    assert sorted(points["x"].round(6)) == [0.9, 1, 1.9, 2, 2.9, 3]
    assert set(points["color"]) == {"black"}
    medians = both.groupby(["kind", "id"])["value"].median()
    first = points.sort_values("x").iloc[0]
    assert first["y"] == pytest.approx(medians[("a", 48)])
    # the slabs stay on their x positions
    assert sorted(slabs["xpos"].unique()) == [1, 2, 3]


def test_intervals_may_take_their_colour_from_the_plot_mapping():
    d = draws_frame()
    both = pd.concat([d.assign(kind="a"), d.assign(kind="b")])
    plot = (
        ggplot(both, aes("person", "value", fill="kind", color="kind"))
        + halfeye(interval_color=None)
        + scale_color_manual(values={"a": "#111111", "b": "#222222"})
    )
    (segments,) = layer_data(plot, geom_segment)
    assert set(segments["color"]) == {"#111111", "#222222"}
    (slabs,) = layer_data(plot, geom_polygon)
    assert slabs["color"].isna().all()
