"""The shared theme and the lecture's palette."""

from __future__ import annotations

import colorsys

import pytest
from matplotlib.colors import to_rgb
from mlmpipe.figures import PALETTE, THEME, extend_palette
from mlmpipe.figures.theme import darken


def test_theme_has_no_grid_and_black_axis_lines_on_white():
    assert THEME.T["panel_grid_major"].is_blank()
    assert THEME.T["panel_grid_minor"].is_blank()
    assert THEME.getp(("axis_line", "color")) == "black"
    assert THEME.getp(("axis_ticks", "color")) == "black"
    assert THEME.T["panel_background"].properties["facecolor"] == "white"


def test_palette_is_the_lecture_palette():
    assert PALETTE == (
        "#1c5253",
        "#e07a5f",
        "#f2cc8f",
        "#81b29a",
        "#3d405b",
        "#a7a844",
        "#69306d",
    )


def test_extended_palette_starts_with_the_lecture_colours_and_has_twenty_distinct():
    colours = extend_palette(PALETTE, 20)
    assert colours[:7] == list(PALETTE)
    assert len(set(colours)) == 20
    for colour in colours[7:]:
        lightness = colorsys.rgb_to_hls(*to_rgb(colour))[1]
        assert 0.18 - 1e-6 <= lightness <= 0.72 + 1e-6


def test_extended_palette_refuses_an_empty_palette():
    with pytest.raises(ValueError, match="at least one colour"):
        extend_palette([], 3)


def test_darken_keeps_the_hue_and_lowers_the_lightness():
    dark = darken("#e07a5f")
    h0, l0, _ = colorsys.rgb_to_hls(*to_rgb("#e07a5f"))
    h1, l1, _ = colorsys.rgb_to_hls(*to_rgb(dark))
    assert h1 == pytest.approx(h0, abs=0.01)
    assert l1 == pytest.approx(0.42, abs=0.01)
    assert l1 < l0
    assert darken("#1c5253") == "#1c5253"
