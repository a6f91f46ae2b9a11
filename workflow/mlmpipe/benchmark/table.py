"""The benchmark's printed table, its targets and ``results/benchmark/benchmark.json``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mlmpipe.fileio import write_text_atomic

OUTPUT = Path("results/benchmark/benchmark.json")


def targets(found: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the benchmark with its measured value and whether it holds (None when
    its figures were not measured)."""
    pipeline, models = found.get("pipeline", {}), found.get("models", {})
    brms = found.get("brms") or {}
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: float, unit: str) -> None:
        rows.append({"target": name, "value": value, "limit": limit, "unit": unit,
                     "met": None if value is None else value <= limit})  # fmt: skip

    five = brms.get("five_fits_seconds")
    cold = pipeline.get("cold", {}).get("wall")
    add("cold run through the report / brms's five fits", _ratio(cold, five), 0.3, "ratio")
    refit = (brms.get("prior_change_m3") or {}).get("total_seconds")
    prior = pipeline.get("prior change in m3", {}).get("wall")
    add("prior change in m3 / brms's refit of m3", _ratio(prior, refit), 0.2, "ratio")
    add("no-op run", pipeline.get("no-op", {}).get("wall"), 2.0, "s")
    if "m5" in models:
        add("m5 compiles", models["m5"]["compile_seconds"], 25.0, "s")
    if models:
        fastest = min(m["compile_seconds"] for m in models.values())
        add("the smallest model compiles", fastest, 8.0, "s")
    post = pipeline.get("post-processing of m3")
    noop = pipeline.get("no-op", {}).get("wall")
    add("post-processing of m3 (less the no-op)", _diff(post and post["wall"], noop), 3.0, "s")
    after = pipeline.get("cold", {}).get("after_sampling")
    add("post-sampling part of the cold run", after, 10.0, "s")
    for name, ours in models.items():
        theirs = (brms.get("models") or {}).get(name, {})
        ratio = _ratio(ours["ess_bulk_per_second"], theirs.get("ess_bulk_min") and
                       theirs["ess_bulk_min"] / theirs["chain_seconds"])  # fmt: skip
        rows.append({"target": f"{name}: ESS per second / brms's", "value": ratio,
                     "limit": 1.0, "unit": "ratio",
                     "met": None if ratio is None else ratio >= 1.0})  # fmt: skip
    toolchain = found.get("setup", {}).get("toolchain", {}).get("wall")
    add("toolchain from nothing", toolchain, 60.0, "s")
    return rows


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return ours / theirs if ours is not None and theirs else None


def _diff(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def render(found: dict[str, Any]) -> str:
    """The table a user reads: setup, models (ours beside brms's), scenarios, targets."""
    lines = [f"benchmark on {found['machine']['cpus']} CPUs, load average at the start "
             f"{found['machine']['load_at_start']:.2f}"]  # fmt: skip
    if setup := found.get("setup"):
        lines += ["", "setup from nothing        wall s   cpu s"]
        for name, row in setup.items():
            lines.append(f"  {name:<22} {row['wall']:7.1f} {row['cpu']:7.1f}")
    brms = found.get("brms") or {}
    if models := found.get("models"):
        lines += ["", "model  compile s  sampling s  chain s  min bulk ESS  min tail ESS  "
                  "ESS/s   brms compile s  brms ESS/s  ESS/s ratio  sampler RSS MB"]  # fmt: skip
        for name, m in models.items():
            b = (brms.get("models") or {}).get(name)
            b_rate = b["ess_bulk_min"] / b["chain_seconds"] if b else None
            lines.append(
                f"  {name:<5} {m['compile_seconds']:8.1f} {m['sampling_wall_seconds']:11.1f} "
                f"{m['chain_seconds']:8.1f} {m['ess_bulk_min']:13.0f} {m['ess_tail_min']:13.0f} "
                f"{m['ess_bulk_per_second']:7.0f} {_num(b and b['compile_seconds'], 15)} "
                f"{_num(b_rate, 11, 0)} {_num(_ratio(m['ess_bulk_per_second'], b_rate), 12, 2)} "
                f"{m['sampler_peak_rss_mb']:14.0f}"
            )
    if pipeline := found.get("pipeline"):
        lines += ["", "snakemake --cores 4      wall s   cpu s  jobs  compiles  slowest jobs (s)"]
        for name, row in pipeline.items():
            slow = ", ".join(f"{j['job']} {j['seconds']:.0f}" for j in row["slowest"])
            lines.append(f"  {name:<22} {row['wall']:7.1f} {row['cpu']:7.1f} {row['jobs']:5d} "
                         f"{row['compiled']:9d}  {slow}")  # fmt: skip
    if brms:
        lines += ["", f"brms {brms['brms']} (rstan {brms['rstan']}, cores = {brms['cores']}): "
                  f"five fits {brms['five_fits_seconds']:.1f} s, m3 refit with a new prior "
                  f"{brms['prior_change_m3']['total_seconds']:.1f} s"]  # fmt: skip
    elif found.get("brms_skipped"):
        lines += ["", f"brms: not run ({found['brms_skipped']})"]
    lines += ["", "target                                              measured   limit   met"]
    for row in targets(found):
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        value = "-" if row["value"] is None else f"{row['value']:.2f}"
        lines.append(f"  {row['target']:<48} {value:>9} {row['limit']:7.2f}   {met}")
    return "\n".join(lines)


def _num(value: float | None, width: int, digits: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def write(found: dict[str, Any], root: Path) -> Path:
    """Write ``found`` (with its targets) to ``results/benchmark/benchmark.json`` under
    ``root``, through a temporary file; return the path."""
    path = root / OUTPUT
    path.parent.mkdir(parents=True, exist_ok=True)
    record = found | {"targets": targets(found)}
    write_text_atomic(path, json.dumps(record, indent=2, default=str) + "\n")
    return path


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    return {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0]}
