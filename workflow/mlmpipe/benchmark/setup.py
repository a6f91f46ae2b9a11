"""Setup from nothing: the virtualenv from the lock, then the CmdStan toolchain."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from mlmpipe.benchmark.timing import run


def time_setup(repo: Path, python: str = "python3.11") -> dict[str, Any]:
    """Build a virtualenv from ``requirements.lock`` (plus the project, as
    ``workflow/bootstrap`` does) and a CmdStan toolchain, each in a new temporary folder,
    and return their wall and CPU seconds. Both folders are removed afterwards.

    pip installs from its cache when the packages were downloaded before, as on a machine
    that already ran ``workflow/bootstrap``; the figure says so (``pip_cache``).

    Raises:
        BenchmarkError: a step failed.
    """
    python = shutil.which(python) or sys.executable
    with tempfile.TemporaryDirectory(prefix="mlmpipe-setup-") as scratch:
        venv = Path(scratch) / "venv"
        steps = [
            [python, "-m", "venv", str(venv)],
            [str(venv / "bin/python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "-r", str(repo / "requirements.lock")],
            [str(venv / "bin/python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "--no-deps", "-e", str(repo)],
        ]  # fmt: skip
        wall = cpu = 0.0
        for step in steps:
            timed = run(step, cwd=repo, what="setting up the virtualenv")
            wall, cpu = wall + timed.wall, cpu + timed.cpu
        toolchain = run(
            [str(venv / "bin/python"), "-m", "mlmpipe.toolchain", "--dest",
             str(Path(scratch) / "cmdstan")],
            cwd=repo, what="building the toolchain",
        )  # fmt: skip
    return {
        "virtualenv": {"wall": wall, "cpu": cpu, "pip_cache": _pip_cache_used()},
        "toolchain": {"wall": toolchain.wall, "cpu": toolchain.cpu},
    }


def _pip_cache_used() -> bool:
    """Whether pip has a cache of downloaded wheels on this machine."""
    cache = Path.home() / ".cache" / "pip"
    return cache.is_dir() and any(cache.iterdir())
