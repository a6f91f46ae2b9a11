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
SECRET_NAME = "MLMPIPE_FAULTS_API_TOKEN"
SECRET = f"fault-suite-secret-{os.getpid()}-3f9a2c"
"""Every run of the suite has this secret in its environment; no output or log may hold it."""


def pipeline_env(**extra: str) -> dict[str, str]:
    """The environment a run gets: this one, with the repository's package importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "workflow"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env[SECRET_NAME] = SECRET
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
                if name == ".snakemake_timestamp":  # Snakemake's mark on a directory() output
                    continue
                path = Path(dirpath) / name
                rel = path.relative_to(tree).as_posix()
                if name.startswith(".") or name.endswith(".tmp"):
                    found.append(rel)
                elif path.is_file() and path.stat().st_size == 0 and folder != "logs":
                    found.append(rel)
    return sorted(found)


def files_holding(tree: Path, text: str, folders: Iterable[str] = (*SCANNED, ".snakemake")):
    """Files under ``folders`` of ``tree`` whose bytes contain ``text``."""
    needle = text.encode()
    found = []
    for folder in folders:
        for dirpath, _, filenames in os.walk(tree / folder):
            for name in filenames:
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                    found.append(path.relative_to(tree).as_posix())
    return found


def assert_no_partial_files(tree: Path) -> None:
    """No partial file is left, and no file holds the environment's secret."""
    partial = partial_files(tree)
    assert partial == [], f"partial files left: {partial}"
    leaked = files_holding(tree, SECRET)
    assert leaked == [], f"the environment's secret is in: {leaked}"


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


def same_draws(csv: Path, other: Path) -> bool:
    """Whether two CmdStan CSVs hold the same draws (their comment lines name the run's
    temporary files and times, so only the rows are compared)."""

    def rows(path: Path) -> list[bytes]:
        return [line for line in path.read_bytes().splitlines() if not line.startswith(b"#")]

    return rows(csv) == rows(other)


def planned_jobs(tree: Path, *args: str) -> str:
    """What a dry run of the whole pipeline in ``tree`` would run (Snakemake's summary)."""
    result = run(tree, "--dry-run", "--cores", "2", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def running_samplers(tree: Path) -> list[int]:
    """Process ids of running compiled models of ``tree`` (one per chain CmdStan runs)."""
    build = (tree / "results" / "build").resolve()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            exe = Path(os.readlink(f"/proc/{entry.name}/exe"))
        except OSError:
            continue
        if exe.is_relative_to(build):
            found.append(int(entry.name))
    return found


def temporary_in(folder: Path, prefix: str) -> bool:
    """Whether an atomic write of ``prefix`` is under way in ``folder``."""
    return folder.is_dir() and any(p.name.startswith(prefix) for p in folder.iterdir())
