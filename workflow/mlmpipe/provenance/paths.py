"""Where a record lives and which files get one: record paths, output kinds, display paths
and the hash of a folder's files; also the package's error."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import sha256_file

SCHEMA = "mlmpipe-provenance/1"
"""The ``schema`` value of every record this module writes."""

RECORD_SUFFIX = ".prov.json"
"""Appended to an output's path to name its record."""

PNG_KEY = "provenance"
"""The keyword of the PNG text chunk that holds the embedded record."""

RECORDED_SUFFIXES = frozenset(
    {
        ".png", ".svg", ".pdf", ".jpg", ".jpeg",
        ".csv", ".tsv", ".txt", ".md", ".json", ".html",
        ".parquet", ".nc", ".feather",
    }
)  # fmt: skip
"""Suffixes of the files that count as figures and tables (lower case)."""


class ProvenanceError(MlmpipeError, RuntimeError):
    """A record could not be written or read; the message names the file."""


def record_path(output: str | os.PathLike[str]) -> Path:
    """Return the path of the record of ``output``: ``<output>.prov.json``.

    A trailing slash (a directory output) is dropped first, so ``results/m3/fit/`` gives
    ``results/m3/fit.prov.json``.
    """
    text = os.fspath(output).rstrip("/\\") or os.fspath(output)
    return Path(text + RECORD_SUFFIX)


def is_record(path: str | os.PathLike[str]) -> bool:
    """Return True when ``path`` names a provenance record (ends with ``.prov.json``)."""
    return os.fspath(path).endswith(RECORD_SUFFIX)


def is_recorded_kind(path: str | os.PathLike[str]) -> bool:
    """Return True when ``path`` is a figure or table by its suffix, and not a record itself."""
    return not is_record(path) and Path(path).suffix.lower() in RECORDED_SUFFIXES


def display_path(path: str | os.PathLike[str], root: str | os.PathLike[str] = ".") -> str:
    """Return ``path`` relative to ``root`` when inside it, else absolute; forward slashes.

    A record names files of the tree relative to it, so a copied or moved tree's records still
    hold; a file outside it (the repository's code under ``--directory``) keeps its place.
    """
    p = Path(path)
    try:  # abspath, not resolve: a symlinked input keeps the name the pipeline gave it
        rel = os.path.relpath(os.path.abspath(p), os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return p.as_posix()
    if rel == ".." or rel.startswith(("../", f"..{os.sep}")):
        return Path(os.path.abspath(p)).as_posix()
    return Path(rel).as_posix()


def directory_files(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """Return ``(relative path, sha256)`` for every file under the directory ``path``, sorted.

    Hidden files (a leading dot, such as the temporary files of an atomic write) are skipped.
    """
    base = Path(path)
    rows: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            rows.append((full.relative_to(base).as_posix(), sha256_file(full)))
    rows.sort()
    return rows


def manifest_sha256(files: Iterable[tuple[str, str]]) -> str:
    """Return the sha256 of a ``sha256sum``-style manifest (``<sha256>  <path>`` lines)."""
    text = "".join(f"{digest}  {name}\n" for name, digest in files)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def output_stat(path: str | os.PathLike[str]) -> list[list[Any]]:
    """Return ``[name, size, mtime_ns, ctime_ns, inode]`` for a file, or for every file of a
    folder (hidden files skipped, sorted), as a record keeps them: while they are unchanged
    the output has not been written to since (any write changes ``ctime``, which no tool can
    set back), so its hash need not be taken again."""
    base = Path(path)
    paths = [base]
    if base.is_dir():
        paths = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            paths += [Path(dirpath) / n for n in sorted(filenames) if not n.startswith(".")]
    rows = []
    for file in paths:
        st = file.stat()
        name = file.relative_to(base).as_posix() if file != base else base.name
        rows.append([name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    return rows
