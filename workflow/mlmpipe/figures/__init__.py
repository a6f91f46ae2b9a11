"""The lecture's figures, drawn with plotnine from the pipeline's tables.

- :mod:`.layers`: half-eye, gradient-interval and point-interval layers (ggdist's stats).
- :mod:`.theme`: the shared theme and the lecture's palette.
- :mod:`.plots`: one function per figure, tables in, plot out.
- :mod:`.render`: read a figure's tables, build it, write PNG and SVG atomically.
"""

from .layers import gradientinterval, halfeye, pointinterval
from .plots import (
    FigureInputError,
    data_trajectories,
    expected_vs_predicted,
    m3_trajectories,
    m4_trajectories,
    new_people,
    person_means,
    pooling_intervals,
    pooling_means,
    shrinkage,
)
from .render import FIGURES, build_figure, render_figure, save_figure
from .theme import PALETTE, THEME, course_theme, extend_palette

__all__ = [
    "FIGURES",
    "PALETTE",
    "THEME",
    "FigureInputError",
    "build_figure",
    "course_theme",
    "data_trajectories",
    "expected_vs_predicted",
    "extend_palette",
    "gradientinterval",
    "halfeye",
    "m3_trajectories",
    "m4_trajectories",
    "new_people",
    "person_means",
    "pointinterval",
    "pooling_intervals",
    "pooling_means",
    "render_figure",
    "save_figure",
    "shrinkage",
]
