"""The shared vocabulary of the draws API: draw-index columns, the error type, and a fit's
posterior variables as arrays with tidybayes's draw numbering."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.errors import MlmpipeError
from mlmpipe.posterior import Fit

#: Draw-index columns, as tidybayes names them.
CHAIN, ITERATION, DRAW, ROW = ".chain", ".iteration", ".draw", ".row"
DRAW_INDEX = (CHAIN, ITERATION, DRAW)
#: ``table.attrs`` key holding the columns the table is grouped by (a grouped tibble's groups).
GROUPS_ATTR = "groups"
#: Value columns that :func:`mean_qi` summarises when no column is named.
VALUE_COLUMNS = (".epred", ".prediction", ".linpred", ".value")
NEW_LEVEL_METHODS = ("uncertainty", "gaussian", "old_levels")


class DrawsError(MlmpipeError, ValueError):
    """Raised for a variable spec that does not parse or names no variable of the fit."""


# --------------------------------------------------------------------------- draw arrays


def _posterior(fit: Fit) -> Any:
    return fit.posterior


def _n_chains_draws(fit: Fit) -> tuple[int, int]:
    posterior = _posterior(fit)
    return int(posterior.sizes["chain"]), int(posterior.sizes["draw"])


def draw_index(fit: Fit) -> pd.DataFrame:
    """Return ``.chain``, ``.iteration``, ``.draw`` for every draw of ``fit``, chain after chain.

    All three count from 1; ``.iteration`` counts within a chain and ``.draw`` over all
    chains (chain 2's first draw is ``.draw = n_iterations + 1``), as tidybayes numbers the
    draws of a brms fit.
    """
    n_chains, n_draws = _n_chains_draws(fit)
    chain = np.repeat(np.arange(1, n_chains + 1), n_draws)
    iteration = np.tile(np.arange(1, n_draws + 1), n_chains)
    draw = np.arange(1, n_chains * n_draws + 1)
    return pd.DataFrame({CHAIN: chain, ITERATION: iteration, DRAW: draw})


def variable_names(fit: Fit) -> list[str]:
    """Return the names of the posterior's variables, in the file's order."""
    return [str(name) for name in _posterior(fit).data_vars]


def _variable(fit: Fit, name: str, *, caller: str) -> Any:
    """Return the posterior variable ``name`` (dims chain, draw first) or raise naming it."""
    posterior = _posterior(fit)
    if name not in posterior.data_vars:
        raise DrawsError(
            f"{caller}: model {fit.name} has no variable '{name}' "
            f"(variables: {', '.join(variable_names(fit))})"
        )
    var = posterior[name]
    return var.transpose("chain", "draw", ...)


def draws_of(fit: Fit, name: str) -> np.ndarray:
    """Return the draws of variable ``name`` with the sample dims flattened first.

    The result has shape ``(n_draws_total, *variable_shape)``, draws in ``.draw`` order.

    Raises:
        DrawsError: ``fit`` has no variable ``name``.
    """
    var = _variable(fit, name, caller="draws_of")
    values = np.asarray(var.values)
    return values.reshape((-1, *values.shape[2:]))


def _coord_values(var: Any, dim: str) -> np.ndarray:
    """Return the coordinate values of ``dim`` typed as in the data (int, float or str)."""
    if dim in var.coords:
        values = np.asarray(var.coords[dim].values)
    else:  # a dimension without coordinates is numbered from 1, as in Stan
        values = np.arange(1, var.sizes[dim] + 1)
    if values.dtype.kind in "OUS":
        return np.asarray([str(v) for v in values], dtype=object)
    return values
