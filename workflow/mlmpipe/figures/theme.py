"""The course's look: one theme and the lecture's palette.

:data:`THEME` is in the spirit of cowplot's ``theme_cowplot``: white background, black axis
lines and ticks, no grid, text large enough to read when the figure is shrunk into a page.
:data:`PALETTE` is the lecture's seven colours (config ``figures.palette``).
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

from matplotlib.colors import to_hex, to_rgb
from plotnine import element_blank, element_line, element_rect, element_text, theme, theme_classic

__all__ = ["PALETTE", "THEME", "course_theme", "darken", "extend_palette"]

PALETTE: tuple[str, ...] = (
    "#1c5253",
    "#e07a5f",
    "#f2cc8f",
    "#81b29a",
    "#3d405b",
    "#a7a844",
    "#69306d",
)
"""The lecture's colours, in the lecture's order (``scale_*_manual`` values)."""


def course_theme(base_size: float = 12) -> theme:
    """Return the course theme: ``theme_classic`` tuned towards cowplot's ``theme_cowplot``.

    Black axis lines and ticks, black axis text a little smaller than the titles, bold
    left-aligned plot titles, no grid, no legend key background, a white figure.
    """
    return theme_classic(base_size=base_size) + theme(
        text=element_text(color="black"),
        axis_line=element_line(color="black", size=0.8),
        axis_ticks=element_line(color="black", size=0.8),
        axis_ticks_minor=element_blank(),
        axis_text=element_text(color="black", size=base_size * 0.85),
        axis_title=element_text(size=base_size),
        plot_title=element_text(size=base_size * 1.1, weight="bold", ha="left"),
        legend_title=element_text(size=base_size * 0.95),
        legend_text=element_text(size=base_size * 0.9),
        legend_key=element_blank(),
        legend_background=element_blank(),
        panel_background=element_rect(fill="white"),
        plot_background=element_rect(fill="white", color="white"),
        strip_background=element_blank(),
        strip_text=element_text(size=base_size, weight="bold"),
    )


THEME: theme = course_theme()
"""The shared theme every figure adds."""


def _shade(color: str, lightness: float) -> str:
    h, _, s = colorsys.rgb_to_hls(*to_rgb(color))
    return to_hex(colorsys.hls_to_rgb(h, lightness, s))


def darken(color: str, lightness: float = 0.42) -> str:
    """Return ``color`` with its HLS lightness lowered to at most ``lightness`` (hue kept).

    Lines and points drawn over a translucent fill of the same hue stay visible.
    """
    current = colorsys.rgb_to_hls(*to_rgb(color))[1]
    return _shade(color, min(current, lightness))


def extend_palette(palette: Sequence[str], n: int) -> list[str]:
    """Return ``n`` distinct colours built from ``palette``, for one colour per person.

    The palette comes first, unchanged; then a darker and a lighter version of each colour
    in turn, their lightness moved away from the original's (by 0.22 for the first round,
    0.33 for the second, ...) but kept within [0.18, 0.72] so every colour stays visible
    against a white background and distinct from black.

    Raises:
        ValueError: if ``palette`` is empty, ``n`` is negative, or the colours run out
            (more than about six rounds of the palette).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    base = list(dict.fromkeys(c.lower() for c in palette))
    if not base:
        raise ValueError("extend_palette needs at least one colour")
    out: list[str] = list(base[:n])
    step = 0
    while len(out) < n:
        step += 1
        if step > 6:
            raise ValueError(f"cannot build {n} distinct colours from {len(base)}")
        delta = 0.11 + 0.11 * ((step + 1) // 2)
        sign = -1 if step % 2 else 1
        for color in base:
            lightness = colorsys.rgb_to_hls(*to_rgb(color))[1]
            candidate = _shade(color, min(0.72, max(0.18, lightness + sign * delta)))
            if candidate not in out:
                out.append(candidate)
            if len(out) == n:
                break
    return out
