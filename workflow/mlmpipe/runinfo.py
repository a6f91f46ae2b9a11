"""What a provenance record says about the run: time, git, package and CmdStan versions, and
the sampler settings CmdStan wrote into its CSV headers.

Everything here is best effort and cheap: git and ``stanc --version`` are run once per process,
package versions come from installed metadata, and cmdstanpy is not imported just to find
CmdStan.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
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


@functools.lru_cache(maxsize=1)
def discover_cmdstan() -> dict[str, Any]:
    """Return what can be found about the CmdStan this process would use.

    The directory is cmdstanpy's current one when cmdstanpy is already imported (it may have
    been set with ``set_cmdstan_path``), else ``$CMDSTAN``, else the newest ``cmdstan-*`` under
    the project's ``.cmdstan/`` or ``~/.cmdstan/``; cmdstanpy is not imported just for this.
    Keys: ``path``, ``version`` (from its makefile), ``stanc_version`` (``stanc --version``),
    ``source``; what cannot be found is None and ``error`` says why. Never raises. Cached.
    """
    info: dict[str, Any] = {"path": None, "version": None, "stanc_version": None}
    path, info["source"] = _find_cmdstan()
    if path is None:
        info["error"] = "no CmdStan found (cmdstanpy, $CMDSTAN, .cmdstan/, ~/.cmdstan/)"
        return info
    info["path"] = os.fspath(path)
    info["version"] = _cmdstan_makefile_version(path)
    stanc = path / "bin" / ("stanc.exe" if os.name == "nt" else "stanc")
    try:
        out = subprocess.run(
            [os.fspath(stanc), "--version"], capture_output=True, text=True, timeout=30
        )
        info["stanc_version"] = (out.stdout or out.stderr).strip() or None
    except (OSError, subprocess.SubprocessError) as error:
        info["error"] = f"{stanc}: {error}"
    return info


def _find_cmdstan() -> tuple[Path | None, str]:
    """Return (CmdStan directory or None, how it was found)."""
    cmdstanpy = sys.modules.get("cmdstanpy")
    if cmdstanpy is not None:
        with contextlib.suppress(Exception):
            return Path(cmdstanpy.cmdstan_path()), "discovered: cmdstanpy.cmdstan_path()"
    if os.environ.get("CMDSTAN"):
        return Path(os.environ["CMDSTAN"]), "discovered: $CMDSTAN"
    for home in (Path(".cmdstan"), Path.home() / ".cmdstan"):
        found = sorted(
            (p for p in home.glob("cmdstan-*") if (p / "makefile").is_file()),
            key=lambda p: [int(x) if x.isdigit() else 0 for x in re.split(r"[.-]", p.name)[1:]],
        )
        if found:
            return found[-1], f"discovered: newest under {home}"
    return None, "discovered: none"


def _cmdstan_makefile_version(path: Path) -> str | None:
    """Return ``CMDSTAN_VERSION`` from CmdStan's makefile, or None."""
    with contextlib.suppress(OSError):
        for line in (path / "makefile").read_text(errors="replace").splitlines():
            match = re.match(r"\s*CMDSTAN_VERSION\s*:?=\s*(\S+)", line)
            if match:
                return match.group(1)
    return None


def read_toolchain_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the CmdStan description in a toolchain JSON: ``path``, ``version``,
    ``stanc_version`` and ``source`` (None when absent).

    Raises ValueError naming the file when it cannot be read or is not a JSON object.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read the toolchain description: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the toolchain description is not a JSON object")
    return {key: data.get(key) for key in ("path", "version", "stanc_version", "source")}


# CmdStan CSV headers

_SAMPLER_LEAVES = {
    "model": "model",
    "method": "method",
    "num_samples": "num_samples",
    "num_warmup": "num_warmup",
    "save_warmup": "save_warmup",
    "thin": "thin",
    "delta": "adapt_delta",
    "max_depth": "max_treedepth",
    "metric": "metric",
    "engine": "engine",
    "algorithm": "algorithm",
    "stepsize": "stepsize",
    "stepsize_jitter": "stepsize_jitter",
    "init": "init",
    "num_chains": "num_chains",
    "num_threads": "num_threads",
    "id": "chain_id",
    "seed": "seed",
    "stanc_version": "stanc_version",
    "stancflags": "stancflags",
}


def read_cmdstan_csv_header(path: str | os.PathLike[str]) -> dict[str, str] | None:
    """Return the sampler settings in the comment header of a CmdStan CSV, or None.

    Keys are the readable names of :data:`_SAMPLER_LEAVES` plus ``stan_version``
    (``major.minor.patch``); values are strings without CmdStan's ``(Default)`` marks. Returns
    None when the file does not start like a CmdStan CSV.
    """
    found: dict[str, str] = {}
    version: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = True
        for line in handle:
            if not line.startswith("#"):
                break
            content = line[1:].strip()
            if first and not content.startswith("stan_version_major"):
                return None
            first = False
            if " = " not in content:
                if content.startswith("Adaptation terminated"):
                    break
                continue
            key, _, value = content.partition(" = ")
            key, value = key.strip(), value.replace("(Default)", "").strip()
            if key.startswith("stan_version_"):
                version[key.removeprefix("stan_version_")] = value
            elif key in _SAMPLER_LEAVES and _SAMPLER_LEAVES[key] not in found:
                found[_SAMPLER_LEAVES[key]] = value
    if first:
        return None
    if version:
        found["stan_version"] = ".".join(version.get(k, "?") for k in ("major", "minor", "patch"))
    return found


def _csv_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.csv") if not p.name.startswith("."))
    return [path] if path.suffix.lower() == ".csv" and path.is_file() else []


def sampler_settings(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any] | None:
    """Return the sampler settings CmdStan wrote into the CSVs among ``paths`` (files or folders).

    The result has ``settings`` (what every chain shares), ``chains`` (per CSV: ``file``, the
    path as given joined with the file's name, ``chain_id``, ``seed`` and any other setting
    that differs) and ``stan_version``; None when there is no CmdStan CSV among them.
    """
    headers: list[tuple[str, dict[str, str]]] = []
    for path in paths:
        for csv in _csv_files(Path(path)):
            header = read_cmdstan_csv_header(csv)
            if header is not None:
                headers.append((csv.as_posix(), header))
    if not headers:
        return None
    keys = set().union(*(h.keys() for _, h in headers))
    common = {
        k: headers[0][1][k]
        for k in sorted(keys)
        if all(h.get(k) == headers[0][1].get(k) for _, h in headers)
    }
    chains = []
    for name, header in headers:
        row: dict[str, Any] = {"file": name}
        row.update({k: v for k, v in sorted(header.items()) if k not in common})
        chains.append(row)
    return {
        "settings": common,
        "chains": chains,
        "stan_version": common.get("stan_version"),
    }
