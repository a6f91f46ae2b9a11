"""Helpers of the fault suite (tests/test_faults_*.py): running the real pipeline in a scratch
tree, and the checks every case ends with (no partial file left, the user's message shown)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import xarray as xr

REPO = Path(__file__).resolve().parents[1]
MLM_CSV = REPO.parent / "shared" / "data" / "mlm.csv"
CONFIG = REPO / "config" / "config.yaml"
SCANNED = ("data", "results", "logs")


def pipeline_env(**extra: str) -> dict[str, str]:
    """The environment a run gets: this one, with the repository's package importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "workflow"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.update(extra)
    return env


def snakemake_command(
    workdir: Path, *args: str, data: dict | None = None, config: Iterable[str] = (),
    configfiles: Iterable[Path] = (CONFIG,), snakefile: Path = REPO / "Snakefile",
) -> list[str]:
    """The command line of a run in ``workdir`` with the repository's Snakefile and config,
    and the lecture's data as the local copy (``data`` adds to or replaces those settings;
    ``config`` adds ``key=value`` items to --config)."""
    settings = {"local_copy": str(MLM_CSV), **(data or {})}
    return [
        sys.executable, "-m", "snakemake", "--snakefile", str(snakefile),
        "--directory", str(workdir), "--configfile", *map(str, configfiles),
        "--config", "data=" + json.dumps(settings), *config, *args,
    ]  # fmt: skip


def run(
    workdir: Path, *args: str, env: dict | None = None, timeout: int = 1200, **options
) -> subprocess.CompletedProcess:
    """Run the pipeline in ``workdir`` to the end and return the finished process
    (``options`` as :func:`snakemake_command` takes them)."""
    return subprocess.run(
        snakemake_command(workdir, *args, **options), capture_output=True, text=True,
        timeout=timeout, env=env or pipeline_env(),
    )  # fmt: skip


def start(workdir: Path, *args: str, env: dict | None = None, **options) -> subprocess.Popen:
    """Start the pipeline in ``workdir`` in a process group of its own (output to files)."""
    out = (workdir.parent / f"{workdir.name}.stdout").open("w")
    err = (workdir.parent / f"{workdir.name}.stderr").open("w")
    return subprocess.Popen(
        snakemake_command(workdir, *args, **options), stdout=out, stderr=err,
        env=env or pipeline_env(), start_new_session=True,
    )  # fmt: skip


def wait_for(condition: Callable[[], bool], timeout: float = 900, what: str = "") -> None:
    """Poll ``condition`` every 0.1 s until it holds; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.1)


def interrupt(process: subprocess.Popen, how: signal.Signals) -> None:
    """Send ``how`` to the run's whole process group (Ctrl-C in a terminal reaches every
    process of the group; SIGKILL to the group is a crash), and wait for it to end."""
    os.killpg(process.pid, how)
    try:
        process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    if how == signal.SIGKILL:  # the group's stragglers die with it
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def partial_files(tree: Path, folders: Iterable[str] = SCANNED) -> list[str]:
    """Temporary names (``.<name>.*.tmp``, hidden staging folders) and zero-length files in
    ``data/``, ``results/`` and ``logs/`` of ``tree``: what an interrupted write leaves."""
    found = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(tree / folder):
            for name in [*dirnames, *filenames]:
                path = Path(dirpath) / name
                rel = path.relative_to(tree).as_posix()
                if name.startswith(".") or name.endswith(".tmp"):
                    found.append(rel)
                elif path.is_file() and path.stat().st_size == 0 and folder != "logs":
                    found.append(rel)
    return sorted(found)


def assert_no_partial_files(tree: Path) -> None:
    assert partial_files(tree) == []


def audit(tree: Path) -> subprocess.CompletedProcess:
    """``python -m mlmpipe audit results`` in ``tree``."""
    return subprocess.run(
        [sys.executable, "-m", "mlmpipe", "audit", "results"], cwd=tree, capture_output=True,
        text=True, timeout=600, env=pipeline_env(),
    )  # fmt: skip


def copy_tree(source: Path, dest: Path) -> Path:
    """A copy of a fitted tree (Snakemake's metadata included), as a case may change it."""
    shutil.copytree(source, dest, symlinks=True)
    return dest


def draws(tree: Path, model: str) -> xr.Dataset:
    """A model's posterior draws from its posterior.nc."""
    with xr.open_dataset(tree / f"results/{model}/posterior.nc", group="posterior") as data:
        return data.load()


def planned_jobs(tree: Path, *args: str) -> str:
    """What a dry run of the whole pipeline in ``tree`` would run (Snakemake's summary)."""
    result = run(tree, "--dry-run", "--cores", "2", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
