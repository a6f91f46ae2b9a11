"""What a provenance record says about the run: time, git, package and CmdStan versions, the
sampler settings CmdStan wrote into its CSV headers, and where the job ran (locally, or as
which SLURM job on which node).

Everything here is best effort and cheap: git and ``stanc --version`` are run once per process,
package versions come from installed metadata, and cmdstanpy is not imported just to find
CmdStan.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.metadata
import os
import socket
import subprocess
from collections.abc import Mapping
from typing import Any

PACKAGES = (
    "mlmpipe",
    "snakemake",
    "cmdstanpy",
    "arviz",
    "plotnine",
    "matplotlib",
    "pandas",
    "numpy",
    "scipy",
    "xarray",
    "pyarrow",
)
"""The Python distributions whose versions every record lists."""

_GIT_CHANGES_LISTED = 50


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with a ``Z`` suffix, to the second."""
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=8)
def git_state(directory: str = ".") -> dict[str, Any]:
    """Return ``{"commit", "dirty", "changes"}`` for the git working tree holding ``directory``.

    ``changes`` lists up to 50 lines of ``git status --porcelain`` (modified and untracked
    files; ignored build outputs do not count). When git or the repository is missing, the commit
    and dirty flag are None and ``error`` says why. Cached per process.
    """

    def run(*args: str) -> str:
        # --no-optional-locks: never take the index lock that a concurrent commit needs
        command = ["git", "--no-optional-locks", *args]
        return subprocess.run(
            command, cwd=directory, capture_output=True, text=True, check=True, timeout=30
        ).stdout

    try:
        commit = run("rev-parse", "HEAD").strip()
        status = run("status", "--porcelain").splitlines()
    except (OSError, subprocess.SubprocessError) as error:
        message = getattr(error, "stderr", None) or str(error)
        return {"commit": None, "dirty": None, "changes": [], "error": message.strip()}
    return {
        "commit": commit,
        "dirty": bool(status),
        "changes": status[:_GIT_CHANGES_LISTED],
        "changes_total": len(status),
    }


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str | None]:
    """Return the installed version of each package in :data:`PACKAGES` (None if absent)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run_context(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return where this job runs: ``{"executor", "host", "slurm_job_id", "slurm_node"}``.

    ``executor`` is ``"slurm"`` inside a SLURM job (``SLURM_JOB_ID`` set, as SLURM sets it
    for every job and step), with the job's id and the node SLURM runs it on
    (``SLURMD_NODENAME``); otherwise ``"local"``, with both SLURM fields None. ``host`` is
    this machine's name. ``environ`` defaults to the process's environment.
    """
    env = os.environ if environ is None else environ
    job_id = env.get("SLURM_JOB_ID") or None
    return {
        "executor": "slurm" if job_id else "local",
        "host": socket.gethostname(),
        "slurm_job_id": job_id,
        "slurm_node": (env.get("SLURMD_NODENAME") or None) if job_id else None,
    }


def describe_run(context: Mapping[str, Any]) -> str:
    """Return one line naming the executor, and on SLURM the job id and node."""
    if context.get("executor") == "slurm":
        return (
            f"running as SLURM job {context['slurm_job_id']} on node {context['slurm_node']} "
            f"(host {context['host']})"
        )
    return f"running locally on host {context['host']}"
