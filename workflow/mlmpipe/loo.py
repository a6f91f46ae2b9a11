"""PSIS-LOO of one model, computed and printed as the loo package does.

:func:`compute_loo` computes PSIS-LOO from a model's pointwise log-likelihood, with what the
loo package (2.6+) reports beside it: the standard errors of ``elpd_loo``, ``p_loo`` and
``looic`` as ``sqrt(n * var(pointwise))``, the PSIS effective sample size of each
observation, the MCSE of ``elpd_loo`` and the Pareto k table (good below
``min(1 - 1/log10(S), 0.7)``, bad up to 1, very bad above). PSIS (ArviZ's ``psislw``) runs
observation by observation with each observation's relative efficiency of ``exp(log_lik)``,
as loo's ``relative_eff`` and ``psis`` do, so the Pareto k values and ``elpd_loo`` agree with
the loo package run on the same log-likelihood.

Comparisons between models (``loo_compare``) are in :mod:`mlmpipe.compare`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.fileio import atomic_path, write_text_atomic
from mlmpipe.summary import format_r_matrix

ESTIMATES = ("elpd_loo", "p_loo", "looic")
POINTWISE_COLUMNS = ("obs", "elpd_loo", "p_loo", "looic", "pareto_k", "ess", "r_eff")
K_HELP = "See help('pareto-k-diagnostic') for details.\n"


def k_threshold(n_draws: int) -> float:
    """Return loo's threshold for a good Pareto k: ``min(1 - 1/log10(S), 0.7)``."""
    return float(min(1 - 1 / np.log10(n_draws), 0.7))


def r_number(value: float, digits: int = 1) -> str:
    """Return a number formatted as R's ``format(round(x, digits), nsmall = digits)`` (a scalar)."""
    if value is None or not np.isfinite(value):
        return "NA"
    text = f"{round(float(value), digits):.{digits}f}"
    return "0.0" if text == "-0.0" and digits == 1 else text


def sum_se(values: np.ndarray) -> float:
    """Return loo's standard error of a sum: ``sqrt(n * var(x))`` (``var`` with n - 1)."""
    n = len(values)
    return float(np.sqrt(n * np.var(values, ddof=1))) if n > 1 else float("nan")


@dataclass(frozen=True)
class LooResult:
    """The PSIS-LOO estimates of one model and their diagnostics."""

    model: str
    n_draws: int
    pointwise: pd.DataFrame  # POINTWISE_COLUMNS, one row per observation
    mcse_elpd_loo: float
    threshold: float

    @property
    def n_obs(self) -> int:
        """Number of observations (rows the model was fitted to)."""
        return len(self.pointwise)

    def estimates(self) -> pd.DataFrame:
        """Return ``elpd_loo``, ``p_loo`` and ``looic`` with their SEs (index: the names)."""
        rows = {
            name: (self.pointwise[name].sum(), sum_se(self.pointwise[name].to_numpy()))
            for name in ESTIMATES
        }
        return pd.DataFrame.from_dict(rows, orient="index", columns=["Estimate", "SE"])

    def k_table(self) -> pd.DataFrame:
        """Return the Pareto k table: per category its label, count, percent and min ESS."""
        k = self.pointwise["pareto_k"].to_numpy()
        ess = self.pointwise["ess"].to_numpy()
        t = self.threshold
        t_text = _threshold_text(t)
        cuts = [
            (f"(-Inf, {t_text}]", "(good)", k <= t),
            (f"({t_text}, 1]", "(bad)", (k > t) & (k <= 1)),
            ("(1, Inf)", "(very bad)", k > 1),
        ]
        rows = []
        for interval, label, mask in cuts:
            count = int(mask.sum())
            finite = ess[mask & np.isfinite(ess)]
            rows.append(
                {
                    "interval": interval,
                    "label": label,
                    "Count": count,
                    "Pct": 100 * count / len(k),
                    "Min. ESS": float(finite.min()) if finite.size else float("nan"),
                }
            )
        return pd.DataFrame(rows)

    def text(self) -> str:
        """Return the result as ``print(loo(fit))`` shows it in loo 2.6+."""
        est = self.estimates()
        shown = pd.DataFrame(
            {
                "Estimate": _format_column(est["Estimate"]),
                "SE": _format_column(est["SE"]),
            }
        )
        r_eff = self.pointwise["r_eff"].to_numpy()
        lines = [
            "",
            f"Computed from {self.n_draws} by {self.n_obs} log-likelihood matrix.",
            "",
            format_r_matrix(list(est.index), shown).rstrip("\n"),
            "------",
            f"MCSE of elpd_loo is {r_number(self.mcse_elpd_loo)}.",
            "MCSE and ESS estimates assume MCMC draws "
            f"(r_eff in [{r_number(r_eff.min())}, {r_number(r_eff.max())}]).",
            "",
        ]
        table = self.k_table()
        if table["Count"].iloc[1:].sum() == 0:
            lines.append(
                f"All Pareto k estimates are good (k < {_threshold_text(self.threshold)})."
            )
        else:
            lines.append("Pareto k diagnostic values:")
            lines.append(format_k_table(table).rstrip("\n"))
        return "\n".join(lines) + "\n" + K_HELP


def _threshold_text(t: float) -> str:
    """Format the k threshold as loo does (``round(t, 2)``: ``0.7``, ``0.67``)."""
    return f"{round(t, 2):g}"


def _format_column(values: pd.Series, digits: int = 1) -> list[str]:
    """Format a column as R's ``format(round(x, 1), nsmall = 1)``: common width, right-aligned."""
    texts = [r_number(v, digits) for v in values]
    width = max(len(t) for t in texts)
    return [t.rjust(width) for t in texts]


def format_k_table(table: pd.DataFrame) -> str:
    """Return the Pareto k table laid out as loo's ``print.pareto_k_table``."""
    counts = _format_column(table["Count"].astype(float), digits=0)
    counts = [c.replace(".", "") for c in counts]
    pct = [f"{p}%" for p in _format_column(table["Pct"])]
    ess = ["<NA>" if not np.isfinite(v) else f"{v:.0f}" for v in table["Min. ESS"]]
    cells = pd.DataFrame(
        [
            ["", label, c, p, e]
            for label, c, p, e in zip(table["label"], counts, pct, ess, strict=True)
        ],
        columns=["c0", "c1", "Count", "Pct.   ", "Min. ESS"],
    )
    rownames = list(table["interval"])
    width = max(len(r) for r in rownames)
    rownames = [r.rjust(width) for r in rownames]
    headers = [" ", " ", "Count", "Pct.   ", "Min. ESS"]
    return format_r_matrix(rownames, cells, right=False, headers=headers)


def relative_efficiency(log_lik: np.ndarray) -> np.ndarray:
    """Return each observation's relative efficiency of ``exp(log_lik)`` (loo's ``relative_eff``).

    ``log_lik`` has shape (chain, draw, obs); the ESS is ArviZ's ``ess(method="mean")``.
    """
    import arviz as az

    chains, draws, n = log_lik.shape
    lik = np.exp(log_lik - log_lik.max(axis=(0, 1), keepdims=True))
    ess = np.array([az.ess(lik[:, :, i], method="mean") for i in range(n)], dtype=float)
    return np.clip(ess / (chains * draws), 0, None)


def _log_lik_matrix(idata: Any, model: str, var_name: str | None) -> tuple[np.ndarray, Any]:
    """Return a model's log-likelihood draws, shape (chain, draw, obs), and their obs coordinate.

    Raises:
        ValueError: ``idata`` has no ``log_likelihood`` group, or the variable has other than
            one observation dimension.
    """
    if "log_likelihood" not in idata.groups():
        raise ValueError(f"model {model}: the posterior has no log_likelihood group")
    group = idata.log_likelihood
    name = var_name or str(next(iter(group.data_vars)))
    var = group[name]
    obs_dim = [d for d in var.dims if d not in ("chain", "draw")]
    if len(obs_dim) != 1:
        raise ValueError(f"model {model}: log_likelihood '{name}' must have one observation dim")
    ll = np.asarray(var.transpose("chain", "draw", obs_dim[0]).values, dtype=float)
    obs = var.coords[obs_dim[0]].values if obs_dim[0] in var.coords else np.arange(ll.shape[2])
    return ll, obs


def _psis_by_observation(flat: np.ndarray, r_eff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the PSIS log weights (draws x obs, normalised) and each observation's Pareto k.

    PSIS runs observation by observation, each with its own relative efficiency (its tail
    length depends on it), as the loo package does; ArviZ's az.loo takes one for all.
    """
    import arviz as az

    s, n = flat.shape
    lw = np.empty((s, n))
    k = np.empty(n)
    for i in range(n):
        smoothed, khat = az.psislw(-flat[:, i], reff=float(r_eff[i]))
        lw[:, i] = np.asarray(smoothed, dtype=float)
        k[i] = float(khat)
    return lw, k


def compute_loo(idata: Any, model: str = "", var_name: str | None = None) -> LooResult:
    """Return the PSIS-LOO estimates of a fitted model, observation by observation.

    Each observation's log-likelihood draws are smoothed with ArviZ's ``psislw`` given that
    observation's relative efficiency (loo's ``relative_eff``), as ``loo::loo`` does;
    ``arviz.loo`` would use one relative efficiency for all observations, which changes the
    tail length and so the Pareto k of observations whose efficiency is far from the mean.

    Pointwise: ``elpd_loo``, ``p_loo`` (``lpd - elpd_loo``), ``looic``, ``pareto_k``, ``ess``
    (the PSIS effective sample size, NA where k exceeds the threshold, as loo prints it) and
    ``r_eff``; ``obs`` is the coordinate of the observation (its row in the input data).

    Raises:
        ValueError: ``idata`` has no ``log_likelihood`` group.
    """
    from scipy.special import logsumexp

    ll, obs = _log_lik_matrix(idata, model, var_name)
    chains, draws, n = ll.shape
    s = chains * draws
    r_eff = relative_efficiency(ll)
    flat = ll.reshape(s, n)
    lpd_i = logsumexp(flat, axis=0) - np.log(s)
    lw, k = _psis_by_observation(flat, r_eff)
    elpd_i = logsumexp(lw + flat, axis=0)  # lw is normalised: log sum of weights = 0
    w = np.exp(lw)
    sum_w2 = (w**2).sum(axis=0)
    threshold = k_threshold(s)
    ess = np.where(k <= threshold, r_eff / sum_w2, np.nan)
    # MCSE of each elpd_loo_i by the delta method on log(E[lik]); NA if any k is too large
    ratio = np.exp(flat - elpd_i[None, :]) - 1.0
    var_log = (w**2 * ratio**2).sum(axis=0) / np.clip(r_eff, 1e-12, None)
    mcse = float(np.sqrt(var_log.sum())) if np.all(k <= threshold) else float("nan")

    pointwise = pd.DataFrame(
        {
            "obs": np.asarray(obs),
            "elpd_loo": elpd_i,
            "p_loo": lpd_i - elpd_i,
            "looic": -2 * elpd_i,
            "pareto_k": k,
            "ess": ess,
            "r_eff": r_eff,
        }
    )
    return LooResult(
        model=model, n_draws=s, pointwise=pointwise, mcse_elpd_loo=mcse, threshold=threshold
    )


def write_loo(
    result: LooResult,
    txt_path: str | os.PathLike[str],
    csv_path: str | os.PathLike[str],
    pointwise_path: str | os.PathLike[str],
) -> None:
    """Write the printout, the estimates with the k table (CSV) and the pointwise values (CSV).

    The estimates CSV has one row per quantity (``elpd_loo``, ``p_loo``, ``looic``, then
    ``mcse_elpd_loo`` and one row per Pareto k category with its count, percent and min ESS).
    """
    est = result.estimates().reset_index(names="quantity")
    est.insert(0, "model", result.model)
    table = result.k_table()
    k_rows = pd.DataFrame(
        {
            "model": result.model,
            "quantity": [
                f"pareto_k {i} {lab}"
                for i, lab in zip(table["interval"], table["label"], strict=True)
            ],
            "Estimate": np.nan,
            "SE": np.nan,
            "Count": table["Count"],
            "Pct": table["Pct"],
            "Min. ESS": table["Min. ESS"],
        }
    )
    mcse = pd.DataFrame(
        {
            "model": [result.model],
            "quantity": ["mcse_elpd_loo"],
            "Estimate": [result.mcse_elpd_loo],
            "SE": [np.nan],
        }
    )
    frame = pd.concat([est, mcse, k_rows], ignore_index=True)
    frame["n_draws"] = result.n_draws
    frame["n_obs"] = result.n_obs
    with atomic_path(csv_path) as tmp:
        frame.to_csv(tmp, index=False)
    with atomic_path(pointwise_path) as tmp:
        result.pointwise.to_csv(tmp, index=False)
    write_text_atomic(txt_path, result.text())
