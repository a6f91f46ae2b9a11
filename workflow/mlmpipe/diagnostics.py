"""Convergence checks of a fitted model, judged against the config's ``diagnostics`` thresholds.

The checks are those CmdStan's ``diagnose`` and brms's warnings make: divergent transitions,
transitions that hit the maximum tree depth, E-BFMI per chain, the largest R-hat and the
smallest bulk and tail ESS over the model's parameters (every posterior variable but
``lprior`` and ``lp__``, array elements included). A failed check is logged as a WARNING
naming the model; with ``fail_run: true`` :func:`enforce` raises instead.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import write_text_atomic

log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS: Mapping[str, Any] = {
    "max_rhat": 1.01,
    "min_bulk_ess": 400,
    "min_tail_ess": 400,
    "max_divergent": 0,
    "max_treedepth_hits": 0,
    "min_ebfmi": 0.3,
    "fail_run": False,
}

EXCLUDED = ("lprior", "lp__")
"""Posterior variables left out of the R-hat and ESS checks (functions of the parameters)."""


class DiagnosticsError(MlmpipeError, RuntimeError):
    """Raised when a model fails a convergence check and the config says to stop the run."""


@dataclass(frozen=True)
class Check:
    """One check: its value, the threshold it is judged against, and what a reader is told."""

    name: str
    value: float
    threshold: float
    ok: bool
    message: str
    variable: str | None = None
    per_chain: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the check as a JSON-ready dict."""
        out: dict[str, Any] = {
            "value": _jsonable(self.value),
            "threshold": self.threshold,
            "ok": self.ok,
            "message": self.message,
        }
        if self.variable is not None:
            out["variable"] = self.variable
        if self.per_chain:
            out["per_chain"] = [_jsonable(v) for v in self.per_chain]
        return out


def _jsonable(value: float) -> float | None:
    """Return a float, or None for NaN (JSON has no NaN)."""
    value = float(value)
    return None if np.isnan(value) else value


def _extreme(stat: Any, variables: list[str], *, largest: bool) -> tuple[float, str]:
    """Return the largest (or smallest) value of an ArviZ statistic and the element it is for."""
    best_value = -np.inf if largest else np.inf
    best_name = ""
    for name in variables:
        var = stat[name]
        values = np.asarray(var.values, dtype=float)
        if values.size == 0:
            continue
        filled = np.where(np.isnan(values), -np.inf if largest else np.inf, values)
        flat = int(np.argmax(filled) if largest else np.argmin(filled))
        value = float(values.reshape(-1)[flat])
        index = np.unravel_index(flat, values.shape) if values.ndim else ()
        better = value > best_value if largest else value < best_value
        if better or (np.isnan(value) and not best_name):
            best_value, best_name = value, _element_name_stat(name, stat[name], index)
    return best_value, best_name


def _element_name_stat(name: str, var: Any, index: tuple[int, ...]) -> str:
    """Name an element of a statistic (its dims have no chain/draw)."""
    if not index:
        return name
    labels = []
    for dim, i in zip(var.dims, index, strict=True):
        value = var.coords[dim].values[i] if dim in var.coords else i
        labels.append(str(value.item() if hasattr(value, "item") else value))
    return f"{name}[{','.join(labels)}]"


def _sampler_checks(idata: Any, limits: Mapping[str, Any], max_depth: int) -> list[Check]:
    """The sampler's checks: divergences, tree depth hits and E-BFMI per chain."""
    import arviz as az

    stats = idata.sample_stats
    n_draws = int(stats.sizes["chain"] * stats.sizes["draw"])
    divergent = int(np.asarray(stats["diverging"].values, dtype=bool).sum())
    hits = int((np.asarray(stats["tree_depth"].values) >= max_depth).sum())
    ebfmi = [float(v) for v in np.atleast_1d(az.bfmi(idata))]
    low = [i + 1 for i, v in enumerate(ebfmi) if v < limits["min_ebfmi"]]
    return [
        Check(
            "divergent",
            divergent,
            limits["max_divergent"],
            divergent <= limits["max_divergent"],
            f"{divergent} of {n_draws} ({100 * divergent / n_draws:.2g}%) transitions ended "
            "with a divergence.",
        ),
        Check(
            "treedepth",
            hits,
            limits["max_treedepth_hits"],
            hits <= limits["max_treedepth_hits"],
            f"{hits} of {n_draws} ({100 * hits / n_draws:.2g}%) transitions hit the maximum "
            f"treedepth limit of {max_depth}.",
        ),
        Check(
            "ebfmi",
            min(ebfmi),
            limits["min_ebfmi"],
            not low,
            (
                "E-BFMI satisfactory for all chains."
                if not low
                else f"Chain(s) {', '.join(map(str, low))} had an E-BFMI below "
                f"{limits['min_ebfmi']}, which suggests that HMC may have trouble exploring "
                "the target distribution."
            ),
            per_chain=ebfmi,
        ),
    ]


def _mixing_checks(idata: Any, limits: Mapping[str, Any]) -> list[Check]:
    """The posterior's checks: the largest rank R-hat and the smallest bulk and tail ESS."""
    import arviz as az

    variables = [str(v) for v in idata.posterior.data_vars if str(v) not in EXCLUDED]
    subset = idata.posterior[variables]
    rhat_value, rhat_var = _extreme(az.rhat(subset, method="rank"), variables, largest=True)
    rhat_ok = bool(rhat_value <= limits["max_rhat"])
    checks = [
        Check(
            "rhat",
            rhat_value,
            limits["max_rhat"],
            rhat_ok,
            f"The largest R-hat is {rhat_value:.3f}, for {rhat_var}"
            + ("." if rhat_ok else f", above {limits['max_rhat']}."),
            variable=rhat_var,
        )
    ]
    for label in ("bulk", "tail"):
        value, var = _extreme(az.ess(subset, method=label), variables, largest=False)
        limit = limits[f"min_{label}_ess"]
        ok = bool(value >= limit)
        checks.append(
            Check(
                f"{label}_ess",
                value,
                limit,
                ok,
                f"The smallest {label} ESS is {value:.0f}, for {var}"
                + ("." if ok else f", below {limit}."),
                variable=var,
            )
        )
    return checks


def check_fit(
    idata: Any, thresholds: Mapping[str, Any] | None = None, *, model: str = ""
) -> dict[str, Any]:
    """Run the convergence checks on ``idata`` and return the JSON-ready result.

    The result has ``model``, ``ok`` (every check passed), ``failed`` (names of the failed
    checks), ``checks`` (per check: value, threshold, ok, message, and the variable or the
    per-chain values), ``draws`` and ``thresholds``.

    Raises:
        ValueError: ``idata`` has no ``sample_stats`` (diverging, tree_depth, energy).
    """
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    if "sample_stats" not in idata.groups():
        raise ValueError(f"model {model}: the posterior has no sample_stats group")
    stats = idata.sample_stats
    max_depth = int(idata.posterior.attrs.get("max_treedepth", 10))
    checks = _sampler_checks(idata, limits, max_depth) + _mixing_checks(idata, limits)
    failed = [c.name for c in checks if not c.ok]
    return {
        "model": model,
        "ok": not failed,
        "failed": failed,
        "checks": {c.name: c.to_dict() for c in checks},
        "draws": int(stats.sizes["chain"] * stats.sizes["draw"]),
        "chains": int(stats.sizes["chain"]),
        "max_treedepth": max_depth,
        "thresholds": {k: limits[k] for k in DEFAULT_THRESHOLDS},
    }


def report_text(result: Mapping[str, Any]) -> str:
    """Return the checks as readable lines: one per check, failed ones marked ``FAILED``."""
    lines = [f"Convergence diagnostics for model {result['model']}:"]
    for name, check in result["checks"].items():
        mark = "ok    " if check["ok"] else "FAILED"
        lines.append(f"  [{mark}] {name}: {check['message']}")
    if result["ok"]:
        lines.append("All checks passed.")
    else:
        lines.append(f"FAILED checks: {', '.join(result['failed'])}.")
    return "\n".join(lines) + "\n"


def log_result(result: Mapping[str, Any]) -> None:
    """Log each failed check as a WARNING naming the model (INFO when all pass)."""
    if result["ok"]:
        log.info("model %s: all convergence checks passed", result["model"])
        return
    for name in result["failed"]:
        check = result["checks"][name]
        log.warning("model %s FAILED %s check: %s", result["model"], name, check["message"])


def enforce(result: Mapping[str, Any]) -> None:
    """Raise :class:`DiagnosticsError` when checks failed and ``fail_run`` is true."""
    if result["ok"] or not result["thresholds"].get("fail_run"):
        return
    details = "; ".join(f"{n}: {result['checks'][n]['message']}" for n in result["failed"])
    raise DiagnosticsError(
        f"model {result['model']} failed the convergence checks {', '.join(result['failed'])} "
        f"(diagnostics.fail_run is true): {details}"
    )


def write_diagnostics(
    result: Mapping[str, Any],
    json_path: str | os.PathLike[str],
    txt_path: str | os.PathLike[str] | None = None,
) -> None:
    """Write the result as JSON (and as :func:`report_text` to ``txt_path``)."""
    write_text_atomic(json_path, json.dumps(result, indent=1) + "\n")
    if txt_path is not None:
        write_text_atomic(txt_path, report_text(result))
