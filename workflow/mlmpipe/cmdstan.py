"""Everything about the CmdStan in use: where it is, its version, the pipeline's record of it
(``results/toolchain/cmdstan.json``), and a fit's CSV files with the settings in their headers.

Building the project-local CmdStan is :mod:`mlmpipe.toolchain`'s job; every other module asks
this one. Every failure here is a :class:`CmdStanError` whose message names the file or folder.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlmpipe.errors import MlmpipeError

__all__ = [
    "CMDSTAN_VERSION",
    "CmdStanError",
    "cmdstan_path",
    "default_home",
    "describe",
    "discover",
    "fit_csv_files",
    "makefile_version",
    "read_csv_header",
    "read_toolchain_record",
    "sampler_settings",
    "toolchain_folder",
    "use_cmdstan",
]

CMDSTAN_VERSION = "2.35.0"
"""The CmdStan version the project-local toolchain imitates (its makefile says so)."""

RECORD_KEYS = ("path", "version", "stanc_version", "source")
"""What the toolchain record (``results/toolchain/cmdstan.json``) holds."""

logger = logging.getLogger(__name__)


class CmdStanError(MlmpipeError, RuntimeError):
    """CmdStan is missing or unusable, or building, compiling or sampling failed; the message
    quotes the tool's own words."""


# ----------------------------------------------------------------------------- where it is


def default_home() -> Path:
    """Return the project-local CmdStan directory.

    ``MLMPIPE_CMDSTAN_HOME`` (a CmdStan directory) overrides the default
    ``<repository>/.cmdstan/cmdstan-2.35.0``.
    """
    override = os.environ.get("MLMPIPE_CMDSTAN_HOME")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / ".cmdstan" / f"cmdstan-{CMDSTAN_VERSION}"


def cmdstan_path() -> Path:
    """Return the CmdStan directory to use, and log which one it is.

    ``CMDSTAN``, if set, names an existing (e.g. official) installation and wins; otherwise the
    project-local build from :func:`default_home` is used.

    Raises:
        CmdStanError: ``CMDSTAN`` is set but is not a CmdStan directory.
    """
    env = os.environ.get("CMDSTAN")
    if env:
        path = Path(env).expanduser().resolve()
        if not (path / "makefile").is_file():
            raise CmdStanError(f"CMDSTAN={env} is not a CmdStan directory (no makefile)")
        logger.info("using the CmdStan named by CMDSTAN: %s", path)
        return path
    path = default_home()
    logger.info("using the project-local CmdStan build: %s", path)
    return path


def use_cmdstan(cmdstan: str | os.PathLike[str] | None) -> None:
    """Point cmdstanpy at the CmdStan folder ``cmdstan`` (no-op for None)."""
    if cmdstan is None:
        return
    import cmdstanpy

    cmdstanpy.set_cmdstan_path(str(cmdstan))


# ----------------------------------------------------------------------------- its version


def makefile_version(path: str | os.PathLike[str]) -> str:
    """Return ``CMDSTAN_VERSION`` from ``path/makefile``.

    Raises:
        CmdStanError: the makefile is missing or has no such line.
    """
    makefile = Path(path) / "makefile"
    try:
        text = makefile.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CmdStanError(f"{path} is not a CmdStan directory: {exc}") from exc
    match = re.search(r"^\s*CMDSTAN_VERSION\s*:?=\s*(\S+)", text, re.MULTILINE)
    if match is None:
        raise CmdStanError(f"{makefile} has no CMDSTAN_VERSION line")
    return match.group(1)


def stanc_version(path: str | os.PathLike[str]) -> str:
    """Return what ``path/bin/stanc --version`` prints.

    Raises:
        CmdStanError: stanc is missing or fails; the message quotes its output.
    """
    stanc = Path(path) / "bin" / ("stanc.exe" if os.name == "nt" else "stanc")
    try:
        proc = subprocess.run(
            [os.fspath(stanc), "--version"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise CmdStanError(f"cannot run {stanc}: {exc}") from exc
    output = (proc.stdout or proc.stderr).strip()
    if proc.returncode != 0 or not output:
        raise CmdStanError(f"{stanc} --version failed (exit {proc.returncode}): {output}")
    return output


def describe(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Describe a CmdStan directory (default: :func:`cmdstan_path`).

    Returns:
        ``path`` (absolute), ``version`` (from its makefile), ``source`` (``"project-local"``
        for :func:`default_home`, else ``"CMDSTAN"``) and ``stanc_version``.

    Raises:
        CmdStanError: the directory is not a CmdStan or its stanc does not run.
    """
    folder = Path(path).resolve() if path is not None else cmdstan_path()
    return {
        "path": str(folder),
        "version": makefile_version(folder),
        # cmdstanpy.set_cmdstan_path() exports CMDSTAN, so compare with our own build
        "source": "project-local" if folder == default_home() else "CMDSTAN",
        "stanc_version": stanc_version(folder),
    }


@functools.lru_cache(maxsize=1)
def discover() -> dict[str, Any]:
    """Return what can be found about the CmdStan this process would use, never raising.

    The directory is cmdstanpy's current one when cmdstanpy is already imported (it may have
    been set with ``set_cmdstan_path``), else ``$CMDSTAN``, else the newest ``cmdstan-*`` under
    the project's ``.cmdstan/`` or ``~/.cmdstan/``; cmdstanpy is not imported just for this.
    Keys: ``path``, ``version``, ``stanc_version``, ``source``; what cannot be found is None and
    ``error`` says why. Cached per process.
    """
    info: dict[str, Any] = {"path": None, "version": None, "stanc_version": None}
    path, info["source"] = _find()
    if path is None:
        info["error"] = "no CmdStan found (cmdstanpy, $CMDSTAN, .cmdstan/, ~/.cmdstan/)"
        return info
    info["path"] = os.fspath(path)
    with contextlib.suppress(CmdStanError):
        info["version"] = makefile_version(path)
    try:
        info["stanc_version"] = stanc_version(path)
    except CmdStanError as error:
        info["error"] = str(error)
    return info


def _find() -> tuple[Path | None, str]:
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


# ----------------------------------------------------------------------------- its record


def read_toolchain_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the toolchain record at ``path``: ``path``, ``version``, ``stanc_version`` and
    ``source`` (None when absent).

    Raises:
        CmdStanError: the file cannot be read or is not a JSON object.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CmdStanError(f"{path}: cannot read the CmdStan toolchain record: {error}") from error
    if not isinstance(data, dict):
        raise CmdStanError(f"{path}: the CmdStan toolchain record is not a JSON object")
    return {key: data.get(key) for key in RECORD_KEYS}


def toolchain_folder(path: str | os.PathLike[str]) -> Path:
    """Return the CmdStan folder the toolchain record at ``path`` names.

    Raises:
        CmdStanError: the record is unreadable, or names no existing folder.
    """
    folder = read_toolchain_record(path)["path"]
    if not folder or not Path(folder).is_dir():
        raise CmdStanError(
            f"{path}: names no existing CmdStan folder (path: {folder!r}); "
            "run `workflow/bootstrap snakemake --cores 4 --forcerun cmdstan_toolchain`"
        )
    return Path(folder)


# ----------------------------------------------------------------------------- a fit's CSVs


def _chain_order(paths: Iterable[Path]) -> list[Path]:
    """Sort CmdStan's ``<name>_<chain>.csv`` files by chain (``_10`` after ``_9``)."""
    return sorted(paths, key=lambda p: (len(p.stem), p.stem))


def fit_csv_files(fit_dir: str | os.PathLike[str]) -> list[Path]:
    """Return the CmdStan CSVs in the folder ``fit_dir``, in chain order.

    Raises:
        CmdStanError: ``fit_dir`` holds no CSV.
    """
    files = _chain_order(p for p in Path(fit_dir).glob("*.csv") if not p.name.startswith("."))
    if not files:
        raise CmdStanError(f"{fit_dir}: no CmdStan CSV files")
    return files


def _csv_files_among(path: Path) -> list[Path]:
    """The CSVs a path stands for: a folder's, in chain order, or the file itself."""
    if path.is_dir():
        return _chain_order(p for p in path.glob("*.csv") if not p.name.startswith("."))
    return [path] if path.suffix.lower() == ".csv" and path.is_file() else []


_HEADER_LEAVES = {
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


def read_csv_header(path: str | os.PathLike[str]) -> dict[str, str] | None:
    """Return the settings in the comment header of a CmdStan CSV, or None.

    Keys are readable names (``adapt_delta``, ``max_treedepth``, ``chain_id``, ``seed`` ...)
    plus ``stan_version`` (``major.minor.patch``); values are strings without CmdStan's
    ``(Default)`` marks. Returns None when the file does not start like a CmdStan CSV.
    """
    found: dict[str, str] = {}
    version: dict[str, str] = {}
    first = True
    with open(path, encoding="utf-8", errors="replace") as handle:
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
            elif key in _HEADER_LEAVES and _HEADER_LEAVES[key] not in found:
                found[_HEADER_LEAVES[key]] = value
    if first:
        return None
    if version:
        found["stan_version"] = ".".join(version.get(k, "?") for k in ("major", "minor", "patch"))
    return found


def sampler_settings(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any] | None:
    """Return the sampler settings CmdStan wrote into the CSVs among ``paths`` (files or folders).

    The result has ``settings`` (what every chain shares), ``chains`` (per CSV: ``file``, the
    path as given joined with the file's name, ``chain_id``, ``seed`` and any other setting
    that differs) and ``stan_version``; None when there is no CmdStan CSV among them.
    """
    headers: list[tuple[str, dict[str, str]]] = []
    for path in paths:
        for csv in _csv_files_among(Path(path)):
            header = read_csv_header(csv)
            if header is not None:
                headers.append((csv.as_posix(), header))
    if not headers:
        return None
    first = headers[0][1]
    keys = set().union(*(h.keys() for _, h in headers))
    common = {
        k: first[k] for k in sorted(keys) if all(h.get(k) == first.get(k) for _, h in headers)
    }
    chains = []
    for name, header in headers:
        row: dict[str, Any] = {"file": name}
        row.update({k: v for k, v in sorted(header.items()) if k not in common})
        chains.append(row)
    return {"settings": common, "chains": chains, "stan_version": common.get("stan_version")}
