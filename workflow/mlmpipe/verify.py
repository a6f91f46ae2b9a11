"""The check at the start of every run: is what an earlier run left still what it wrote?

Snakemake decides what to rerun from modification times, parameters and code, so an output
changed after it was made (a truncated CmdStan CSV inside ``results/m3/fit/``, an edited
figure, a corrupted ``posterior.nc`` or compiled model) would be reused as it is. Every output
of the pipeline has a provenance record written after the output was complete
(``<output>.prov.json``, holding its sha256, or for a folder the sha256 of its files'
manifest, and the size, times and inode of each file). :func:`verify_tree` compares each
output with its record and returns what must be remade: an output not written to since its
record was (same size, mtime, ctime and inode: any write changes ctime, which no tool can set
back) is intact without being read again, any other is hashed. Before Snakemake plans a run,
:func:`discard` deletes those outputs, so the run makes them again and, as they are then
newer, everything made from them. The CmdStan the fits use
is checked too: a damaged one stops the run with the command that repairs it.

:func:`remove_temporaries` deletes what an interrupted write left behind (the ``.<name>.*.tmp``
files and folders of :mod:`mlmpipe.fileio` and the other atomic writers); it runs once
Snakemake holds the working directory's lock, so it never touches another run's files.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import sha256_file
from mlmpipe.provenance.paths import output_stat

TREES = ("data", "results")
"""The folders holding the pipeline's outputs (relative to the working directory)."""

SCRATCH_TREES = ("data", "results", "logs")
"""The folders an interrupted write may leave temporary files in."""

TOOLCHAIN_RECORD = Path("results/toolchain/cmdstan.json")

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
    if recorded.get("stat") is not None and recorded["stat"] == output_stat(output):
        return None  # not written to since its record was: no need to read it again
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


def verify_outputs(root: Path, trees: Iterable[str] = TREES) -> Verification:
    """Compare every output under ``trees`` of ``root`` that has a record with its record.

    Missing outputs are left to Snakemake, which remakes them anyway. Paths are relative
    to ``root``, as Snakemake names outputs.
    """
    found = Verification()
    for tree in trees:
        for record_file in _records(root / tree):
            output = Path(str(record_file)[: -len(".prov.json")])
            if not output.exists():
                continue
            name = output.relative_to(root).as_posix()
            why = check_output(output, record_file, name)
            if why:
                found.add(name, why)
    return found


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
    return verify_outputs(root)


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
