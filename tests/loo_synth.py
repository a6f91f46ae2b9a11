"""A normal-mean posterior with its log-likelihood, for the PSIS-LOO and loo_compare tests."""

from __future__ import annotations

import arviz as az
import numpy as np


def normal_model(y: np.ndarray, rows, seed: int = 0) -> az.InferenceData:
    """The posterior of a normal mean with known sd 1 (flat prior), and its log-likelihood."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(y.mean(), 1 / np.sqrt(len(y)), size=(4, 1000))
    ll = -0.5 * (y[None, None, :] - mu[..., None]) ** 2 - 0.5 * np.log(2 * np.pi)
    return az.from_dict(
        posterior={"mu": mu},
        log_likelihood={"con": ll},
        observed_data={"con": y},
        coords={"obs": list(rows)},
        dims={"con": ["obs"]},
    )
