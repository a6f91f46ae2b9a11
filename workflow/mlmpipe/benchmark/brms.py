"""The lecture's five fits by brms, timed by ``workflow/scripts/benchmark_brms.R``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mlmpipe.benchmark.timing import run

SCRIPT = Path("workflow/scripts/benchmark_brms.R")


def brms_available() -> str | None:
    """Return None when ``Rscript`` can load brms, else why not (for the printed table)."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (Debian: apt-get install r-cran-brms)"
    probe = subprocess.run(
        ["Rscript", "-e", "cat(as.character(packageVersion('brms')))"],
        capture_output=True, text=True,
    )  # fmt: skip
    if probe.returncode != 0:
        return "R cannot load brms (Debian: apt-get install r-cran-brms)"
    return None


def time_brms(repo: Path, data: Path) -> dict[str, Any]:
    """Run the R script on ``data`` with one core per chain (the machine's CPUs, at most
    4); return its record (see the script) plus the whole run's wall seconds.

    Raises:
        BenchmarkError: the script failed (its output's tail is quoted).
    """
    cores = min(4, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="mlmpipe-brms-") as scratch:
        out = Path(scratch) / "brms.json"
        timed = run(
            ["Rscript", str(repo / SCRIPT), "--data", str(data), "--out", str(out),
             "--cores", str(cores)],
            cwd=scratch, what="the brms fits",
        )  # fmt: skip
        record = json.loads(out.read_text(encoding="utf-8"))
    record["script_wall_seconds"] = timed.wall
    return record
