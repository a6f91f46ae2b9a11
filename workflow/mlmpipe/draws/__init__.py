"""Posterior draws as tidy tables, in tidybayes's vocabulary.

The lecture works with draws through tidybayes; this module offers the same verbs on our
fits (:class:`mlmpipe.posterior.Fit`), computed from the posterior draws alone:

- :func:`spread_draws` -- one row per draw (and per index of indexed variables), with
  ``.chain``, ``.iteration`` and ``.draw`` numbered as tidybayes numbers them (from 1,
  ``.draw`` running chain after chain). Indexed variables use tidybayes's syntax,
  ``"r_id[id,term]"``.
- :func:`epred_draws` / :func:`predicted_draws` -- draws of the expected value ``mu`` and of
  new observations for the rows of ``newdata``, computed as brms's ``posterior_epred`` /
  ``posterior_predict`` compute them (``mu = X b + sum_k r[level, k] Z_k``; predictions add
  Normal noise with each draw's ``sigma``), including brms's ways of sampling new levels.
- :func:`mean_qi` -- the posterior mean and quantile interval of draw columns, grouped as a
  grouped tibble would be.

Tables are pandas data frames. The columns a tidybayes tibble would be grouped by are kept
in ``table.attrs["groups"]``; :func:`mean_qi` uses them when no ``by`` is given.

Two deliberate differences from tidybayes: ``epred_draws``/``predicted_draws`` fill
``.chain`` and ``.iteration`` with the draw's real chain and iteration (tidybayes leaves them
``NA`` for brms models, whose prediction matrices lose that information), and a subsample
(``ndraws``) keeps each draw's original ``.draw`` number, so draw tables can be joined.

Modules: :mod:`.core` (draw index, errors, variables as arrays), :mod:`.spread`,
:mod:`.predict`, :mod:`.intervals`. The pipeline's own draw tables are :mod:`mlmpipe.tables`.
"""

from __future__ import annotations

from mlmpipe.draws.core import (
    CHAIN,
    DRAW,
    DRAW_INDEX,
    GROUPS_ATTR,
    ITERATION,
    NEW_LEVEL_METHODS,
    ROW,
    VALUE_COLUMNS,
    DrawsError,
    draw_index,
    draws_of,
    variable_names,
)
from mlmpipe.draws.intervals import mean_qi
from mlmpipe.draws.predict import epred_draws, predicted_draws
from mlmpipe.draws.spread import VariableSpec, parse_variable_spec, spread_draws

__all__ = [
    "CHAIN",
    "DRAW",
    "DRAW_INDEX",
    "GROUPS_ATTR",
    "ITERATION",
    "NEW_LEVEL_METHODS",
    "ROW",
    "VALUE_COLUMNS",
    "DrawsError",
    "VariableSpec",
    "draw_index",
    "draws_of",
    "epred_draws",
    "mean_qi",
    "parse_variable_spec",
    "predicted_draws",
    "spread_draws",
    "variable_names",
]
