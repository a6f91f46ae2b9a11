"""Stan data in the shape of brms 2.18's ``make_standata``, plus the priors' parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlmpipe.formula.model import Model
from mlmpipe.formula.stancode import unique_priors


def standata(model: Model) -> dict[str, Any]:
    """Return the Stan data of ``model``: brms's entries, with brms's names, in brms's order.

    ``N``, ``Y`` (float array; int for bernoulli, binomial and poisson), ``trials``
    (binomial), ``K`` and ``X`` (mu's design, the ``Intercept`` column first when there is
    one; brms gives them even to an intercept-only model), ``K_<nlpar>`` and ``X_<nlpar>``,
    then ``Z_<id>_<k>``, ``J_<id>``, ``N_<id>``, ``M_<id>``, ``NC_<id>`` per group-level term,
    ``prior_only`` (0) and the ``prior_*`` entries (floats). Rows with a missing value in any
    formula variable are not there.
    """
    out: dict[str, Any] = {"N": int(len(model.y))}
    if model.family.integer_response:
        out["Y"] = np.rint(model.y).astype(int)
    else:
        out["Y"] = model.y.astype(float)
    if model.trials is not None:
        out["trials"] = model.trials.astype(int)
    if model.mu is not None:
        out["K"] = int(model.mu.matrix.shape[1])
        out["X"] = model.mu.matrix.astype(float)
    for part in model.nlpars:
        out[f"K_{part.nlpar}"] = int(part.matrix.shape[1])
        out[f"X_{part.nlpar}"] = part.matrix.astype(float)
    for i, g in enumerate(model.groups, 1):
        for k in range(len(g.coefs)):
            out[f"Z_{i}_{k + 1}"] = g.z[:, k].astype(float)
    for i, g in enumerate(model.groups, 1):
        out[f"J_{i}"] = g.index.astype(int)
    for i, g in enumerate(model.groups, 1):
        m = len(g.coefs)
        out[f"N_{i}"] = len(g.levels)
        out[f"M_{i}"] = m
        out[f"NC_{i}"] = m * (m - 1) // 2
    out["prior_only"] = 0
    for prior in unique_priors(model):
        out.update({k: float(v) for k, v in prior.data().items()})
    return out
