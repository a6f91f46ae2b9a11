"""The check at the start of every run: is what an earlier run left still what it wrote?

Snakemake decides what to rerun from modification times, parameters and code, so an output
changed after it was made (a truncated CmdStan CSV inside ``results/m3/fit/``, an edited
figure, a corrupted ``posterior.nc`` or compiled model) would be reused as it is. Every output
of the pipeline has a provenance record written after the output was complete
(``<output>.prov.json``, holding its sha256, or for a folder the sha256 of its files'
manifest). :func:`verify_tree` compares each output with its record and returns what must be
remade; before Snakemake plans a run, :func:`discard` deletes those outputs, so the run makes
them again and, as they are then newer, everything made from them. The CmdStan the fits use
is checked too: a damaged one stops the run with the command that repairs it.

:func:`remove_temporaries` deletes what an interrupted write left behind (the ``.<name>.*.tmp``
files and folders of :mod:`mlmpipe.fileio` and the other atomic writers); it runs once
Snakemake holds the working directory's lock, so it never touches another run's files.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import sha256_file, write_text_atomic

TREES = ("data", "results")
"""The folders holding the pipeline's outputs (relative to the working directory)."""

SCRATCH_TREES = ("data", "results", "logs")
"""The folders an interrupted write may leave temporary files in."""

TOOLCHAIN_RECORD = Path("results/toolchain/cmdstan.json")

VERIFIED_CACHE = Path(".snakemake/mlmpipe-verified.json")
"""What the last run found intact, with each output's :func:`fingerprint`."""

REPAIR_TOOLCHAIN = "workflow/bootstrap python -m mlmpipe.toolchain"
"""The command that rebuilds the project-local CmdStan (missing parts only)."""


class DamagedToolchainError(MlmpipeError):
    """The CmdStan the fits are compiled and run with has lost files."""


@dataclass
class Verification:
    """What :func:`verify_tree` found: outputs to remake, with one line each saying why."""

    remake: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def add(self, output: str, why: str) -> None:
        if output not in self.remake:
            self.remake.append(output)
            self.messages.append(f"{output}: {why}")


def _records(top: Path) -> Iterator[Path]:
    """Every ``.prov.json`` record under ``top`` (hidden folders skipped), sorted."""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".prov.json") and not name.startswith("."):
                yield Path(dirpath) / name


def _manifest(folder: Path) -> tuple[str, dict[str, str]]:
    from mlmpipe.provenance.paths import directory_files, manifest_sha256

    files = directory_files(folder)
    return manifest_sha256(files), dict(files)


def _folder_changes(recorded: list[dict[str, Any]], now: dict[str, str], folder: str) -> str:
    before = {str(f.get("path")): f.get("sha256") for f in recorded}
    notes = [f"{folder}/{n} changed" for n in sorted(before) if n in now and now[n] != before[n]]
    notes += [f"{folder}/{n} is missing" for n in sorted(before) if n not in now]
    notes += [f"{folder}/{n} was added" for n in sorted(now) if n not in before]
    return ", ".join(notes[:5]) or "its files changed"


def check_output(output: Path, record_file: Path, name: str = "") -> str | None:
    """Return why ``output`` (called ``name`` in messages) differs from what its record says
    was written, or None.

    A record that cannot be read counts as a difference: the output cannot be vouched for.
    """
    name = name or output.as_posix()
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
        recorded = record["output"]
        want = recorded["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"its record {name}.prov.json cannot be read"
    if output.is_dir():
        now, files = _manifest(output)
        if now != want:
            changes = _folder_changes(recorded.get("files") or [], files, name)
            return f"changed since it was made ({changes})"
        return None
    now = sha256_file(output)
    if now != want:
        return f"changed since it was made (sha256 {want[:12]} recorded, {now[:12]} now)"
    return None


def verify_outputs(
    root: Path, trees: Iterable[str] = TREES, *, cache: Path | None = None
) -> Verification:
    """Compare every output under ``trees`` of ``root`` that has a record with its record.

    Missing outputs are left to Snakemake, which remakes them anyway. Paths are relative
    to ``root``, as Snakemake names outputs.

    With ``cache`` (a JSON file), an output found intact is remembered with the
    :func:`fingerprint` of its files and record, and is not hashed again while that stays the
    same: any write to a file changes its ``ctime``, which no tool can set back, so this
    finds the damage a full check finds (a truncated file whose mtime was restored included)
    without reading 400 MB on every run.
    """
    known = _load_cache(cache)
    verified: dict[str, str] = {}
    found = Verification()
    for tree in trees:
        for record_file in _records(root / tree):
            output = Path(str(record_file)[: -len(".prov.json")])
            if not output.exists():
                continue
            name = output.relative_to(root).as_posix()
            seen = fingerprint(output, record_file) if cache is not None else None
            if seen is not None and known.get(name) == seen:
                verified[name] = seen
                continue
            why = check_output(output, record_file, name)
            if why:
                found.add(name, why)
            elif seen is not None:
                verified[name] = seen
    if cache is not None:
        _save_cache(cache, verified)
    return found


def fingerprint(output: Path, record_file: Path) -> str | None:
    """Size, mtime, ctime and inode of ``output`` (each file of a folder) and its record, as
    one string; None while one of them changed in the last two seconds (it could change again
    within the clock's resolution), so that it is checked in full."""
    paths = [record_file, output]
    if output.is_dir():
        for dirpath, dirnames, filenames in os.walk(output):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            paths += [Path(dirpath) / n for n in sorted(filenames) if not n.startswith(".")]
    recent = time.time_ns() - 2_000_000_000
    parts = []
    for path in paths:
        st = path.stat()
        if st.st_ctime_ns > recent or st.st_mtime_ns > recent:
            return None
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}")
    return "|".join(parts)


def _load_cache(cache: Path | None) -> dict[str, str]:
    if cache is None:
        return {}
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _save_cache(cache: Path, verified: dict[str, str]) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(cache, json.dumps(verified, sort_keys=True))
    except OSError:
        pass  # a read-only tree: the next run checks in full again


def toolchain_damage(folder: Path, source: str) -> str | None:
    """Return what is missing from the CmdStan at ``folder``, or None.

    The project-local build (``source`` ``"project-local"``) is checked part by part
    (:func:`mlmpipe.toolchain.missing_parts`); another CmdStan for the parts every CmdStan has.
    """
    where = f"CMDSTAN={folder}" if source == "CMDSTAN" else f"the CmdStan at {folder}"
    if source == "project-local":
        from mlmpipe.toolchain import missing_parts

        missing = missing_parts(folder)
        fix = f"repair it with `{REPAIR_TOOLCHAIN}` (it rebuilds what is missing)"
    else:
        parts = ("makefile", "bin/stanc", "src/cmdstan/main.cpp")
        missing = [p for p in parts if not (folder / p).exists()]
        fix = "reinstall CmdStan there, or unset CMDSTAN to use the project-local build"
    if not folder.is_dir():
        return f"{where}: no such directory; {fix}"
    if missing:
        return f"{where} is not a complete CmdStan: {', '.join(missing)} missing; {fix}"
    return None


def toolchains(root: Path) -> dict[Path, str]:
    """The CmdStan folders a run relies on, each with its source (``"project-local"``,
    ``"CMDSTAN"`` or ``"recorded"``): the one this run would use (``CMDSTAN``, else the
    project-local build once it has been built) and the one the toolchain record names (the
    compiled models link its libraries)."""
    from mlmpipe.cmdstan import default_home

    found: dict[Path, str] = {}
    if os.environ.get("CMDSTAN"):
        found[Path(os.environ["CMDSTAN"]).expanduser().resolve()] = "CMDSTAN"
    elif (default_home() / ".mlmpipe-stamp").is_file():
        found[default_home()] = "project-local"
    try:
        record = json.loads((root / TOOLCHAIN_RECORD).read_text(encoding="utf-8"))
        source = "project-local" if record.get("source") == "project-local" else "recorded"
        if Path(record["path"]).is_dir():  # gone with a moved tree: the fit rules say so
            found.setdefault(Path(record["path"]), source)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no record yet, or one the toolchain rule will report
    return found


def verify_tree(root: Path) -> Verification:
    """Check the outputs under ``root`` and the CmdStan they are made with.

    Raises:
        DamagedToolchainError: a CmdStan in use has lost files (the message names them and
            the command that repairs it).
    """
    for folder, source in toolchains(root).items():
        damage = toolchain_damage(folder, source)
        if damage:
            raise DamagedToolchainError(damage)
    return verify_outputs(root, cache=root / VERIFIED_CACHE)


def discard(root: Path, outputs: Iterable[str]) -> None:
    """Delete the damaged ``outputs`` (paths relative to ``root``): files and folders."""
    for name in outputs:
        path = root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def other_run_holds_lock(root: Path) -> bool:
    """Whether a Snakemake run holds the working directory's lock (its lock files exist):
    its jobs may be between writing an output and its record, so nothing is judged then."""
    locks = root / ".snakemake" / "locks"
    return locks.is_dir() and any(locks.iterdir())


def temporaries(root: Path, trees: Iterable[str] = SCRATCH_TREES) -> list[Path]:
    """The temporary files and folders of interrupted atomic writes under ``trees``: hidden
    names ending in ``.tmp`` (``.<name>.<random>.tmp``)."""
    found = []
    for tree in trees:
        for dirpath, dirnames, filenames in os.walk(root / tree):
            for name in [*dirnames, *filenames]:
                if name.startswith(".") and name.endswith(".tmp"):
                    found.append(Path(dirpath) / name)
            dirnames[:] = [d for d in dirnames if not d.endswith(".tmp")]
    return sorted(found)


def remove_temporaries(root: Path) -> list[Path]:
    """Delete :func:`temporaries` under ``root`` and return them. Call it only while holding
    the working directory's lock (Snakemake's ``onstart``)."""
    removed = temporaries(root)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed
