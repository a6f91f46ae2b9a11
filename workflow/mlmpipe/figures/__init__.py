"""The lecture's figures, drawn with plotnine from the pipeline's tables.

- :mod:`.registry`: every figure: the tables it reads, how it is built, its caption.
- :mod:`.layers`: half-eye, gradient-interval and point-interval layers (ggdist's stats).
- :mod:`.theme`: the shared theme and the lecture's palette.
- :mod:`.plots`: one function per figure, tables in, plot out.
- :mod:`.render`: read a figure's tables, build it, write PNG and SVG atomically.

Names are imported from their modules on first use, so that reading the registry (as
Snakemake does when it plans a run) does not import plotnine.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FIGURES": ".registry",
    "FigureSpec": ".registry",
    "Source": ".registry",
    "gradientinterval": ".layers",
    "halfeye": ".layers",
    "pointinterval": ".layers",
    "FigureInputError": ".plots",
    "data_trajectories": ".plots",
    "expected_vs_predicted": ".plots",
    "m3_trajectories": ".plots",
    "m4_trajectories": ".plots",
    "new_people": ".plots",
    "person_means": ".plots",
    "pooling_intervals": ".plots",
    "pooling_means": ".plots",
    "shrinkage": ".plots",
    "build_figure": ".render",
    "render_figure": ".render",
    "save_figure": ".render",
    "PALETTE": ".theme",
    "THEME": ".theme",
    "course_theme": ".theme",
    "extend_palette": ".theme",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import ``name`` from the module that defines it, on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
