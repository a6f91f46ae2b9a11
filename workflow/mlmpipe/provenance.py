"""Provenance records: how every figure and table was made, beside the file and inside PNGs.

A record is a JSON document written next to an output as ``<output>.prov.json`` (for a
directory output ``results/m3/fit``, as ``results/m3/fit.prov.json``). It holds

- ``output``: the path, its sha256 and size (for a directory, the sha256 of a ``sha256sum``-style
  manifest and the list of files with their sha256; for a PNG, also ``content_sha256``, the
  sha256 of the file without its embedded provenance chunk);
- ``rule`` and ``wildcards``: the Snakemake rule that made it;
- ``inputs``: every input file with its sha256; when an input has a record of its own, that record
  is copied under ``upstream``, so the chain reaches the raw data, the Stan programs and the
  CmdStan CSVs;
- ``config``: the config sections the output depends on, and their sha256;
- ``params`` and ``sampler``: the rule's parameters (sampler settings, seeds) and, when CmdStan CSVs
  are among the inputs or outputs, the settings CmdStan itself wrote into their headers;
- ``versions``: Python, the packages the pipeline uses, Stan, stanc and CmdStan;
- ``git``: the pipeline's commit and whether the working tree was dirty;
- ``created`` (UTC, ISO 8601) and ``command``: the one command that regenerates this file alone.

PNG outputs also carry the record in an ``iTXt`` chunk with keyword ``provenance`` (compressed),
added without re-encoding the image. A file cannot contain its own sha256, so the embedded copy has
``output.sha256`` set to null and keeps ``output.content_sha256``; the sidecar has both.

Paths in records are relative to the working directory (Snakemake's, the repository root), with
forward slashes. The audit of records against the files on disk is in :mod:`mlmpipe.audit`;
PNG chunks are handled by :mod:`mlmpipe.pngtext`, and versions, git state and sampler settings
are gathered by :mod:`mlmpipe.runinfo`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import platform
import shlex
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlmpipe import pngtext
from mlmpipe.cmdstan import CmdStanError, discover, read_toolchain_record, sampler_settings
from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import sha256_file, write_text_atomic
from mlmpipe.runinfo import PACKAGES, git_state, package_versions, utc_now

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

TOOLCHAIN_JSON_NAME = "cmdstan.json"
"""An input with this file name is read as the CmdStan toolchain description."""

__all__ = [
    "PACKAGES",
    "PNG_KEY",
    "RECORD_SUFFIX",
    "RECORDED_SUFFIXES",
    "SCHEMA",
    "ProvenanceError",
    "build_record",
    "embed_png_text",
    "find_record",
    "load_record",
    "png_content_sha256",
    "read_png_record",
    "read_png_text",
    "record_path",
    "record_snakemake_outputs",
    "render_markdown",
    "source_leaves",
    "write_record",
]


class ProvenanceError(MlmpipeError, RuntimeError):
    """A record could not be written or read; the message names the file."""


# --------------------------------------------------------------------------------------------
# Paths and hashes


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
    """Return ``path`` relative to ``root`` (when inside it), with forward slashes."""
    p = Path(path)
    try:  # abspath, not resolve: a symlinked input keeps the name the pipeline gave it
        rel = os.path.relpath(os.path.abspath(p), os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return p.as_posix()
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


def sha256_path(path: str | os.PathLike[str]) -> str:
    """Return the sha256 of a file, or of the manifest of a directory's files.

    Raises FileNotFoundError naming ``path`` when it does not exist.
    """
    p = Path(path)
    if p.is_dir():
        return manifest_sha256(directory_files(p))
    if not p.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    return sha256_file(p)


def canonical_json(value: Any) -> str:
    """Return ``value`` as compact JSON with sorted keys: the form that config hashes use."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"))


def sha256_json(value: Any) -> str:
    """Return the sha256 of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def to_jsonable(value: Any) -> Any:
    """Return ``value`` converted to plain JSON types (paths and unknown objects as strings).

    Mappings become dicts with string keys, Snakemake's named lists become dicts of their named
    items (or lists when nothing is named), numpy scalars become Python numbers.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    names = getattr(value, "_names", None)
    if isinstance(names, dict) and isinstance(value, list):
        if names:
            return {str(k): to_jsonable(v) for k, v in named_items(value)}
        return [to_jsonable(v) for v in value]
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v) for v in items]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        with contextlib.suppress(Exception):
            return to_jsonable(item())
    return str(value)


def named_items(values: Any) -> list[tuple[str, Any]]:
    """Return ``(name, value)`` pairs of a Snakemake named list, a mapping or a plain list.

    Named entries keep their names; unnamed entries of a named list are called ``input_<i>``
    (by their position); a plain string or path is one entry called ``input``.
    """
    if values is None:
        return []
    if isinstance(values, str | os.PathLike):
        return [("input", values)]
    if isinstance(values, Mapping):
        return list(values.items())
    names = getattr(values, "_names", None)
    if isinstance(names, dict):
        covered: set[int] = set()
        pairs: list[tuple[int, str, Any]] = []
        for name, (start, end) in names.items():
            stop = start + 1 if end is None else end
            covered.update(range(start, stop))
            item = values[start] if end is None else list(values[start:end])
            pairs.append((start, str(name), item))
        for index, item in enumerate(values):
            if index not in covered:
                pairs.append((index, f"input_{index}", item))
        pairs.sort(key=lambda row: row[0])
        return [(name, value) for _, name, value in pairs]
    return [(f"input_{i}", v) for i, v in enumerate(values)]


# --------------------------------------------------------------------------------------------
# PNG metadata (the chunk handling is in mlmpipe.pngtext)


@contextlib.contextmanager
def _png_errors() -> Iterator[None]:
    """Re-raise a PngError (an invalid PNG, named) as a ProvenanceError."""
    try:
        yield
    except pngtext.PngError as error:
        raise ProvenanceError(str(error)) from error


def png_content_sha256(path: str | os.PathLike[str]) -> str:
    """Return the sha256 of the PNG at ``path`` without its ``provenance`` chunk.

    This is the hash that the embedded record can carry (a file cannot contain its own hash).
    Raises ProvenanceError naming the file if it is not a valid PNG.
    """
    with _png_errors():
        return pngtext.sha256_without_text(path, PNG_KEY)


def embed_png_text(path: str | os.PathLike[str], text: str, key: str = PNG_KEY) -> Path:
    """Put ``text`` into the PNG at ``path`` as a compressed iTXt chunk called ``key``.

    Replaces an earlier chunk of that name; the image and other chunks are kept byte for byte,
    and the file keeps its permissions. Returns the path; raises ProvenanceError naming the file
    if it is not a valid PNG.
    """
    with _png_errors():
        return pngtext.embed_text(path, key, text)


def read_png_text(path: str | os.PathLike[str], key: str = PNG_KEY) -> str | None:
    """Return the text of the PNG chunk called ``key``, or None if absent.

    Raises ProvenanceError naming the file if it is not a valid PNG.
    """
    with _png_errors():
        return pngtext.read_text(path, key)


def read_png_record(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the record embedded in the PNG at ``path``, or None when it carries none.

    Raises ProvenanceError naming the file when the PNG or the embedded JSON is invalid.
    """
    text = read_png_text(path)
    if text is None:
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProvenanceError(f"{path}: embedded provenance is not valid JSON: {error}") from error
    if not isinstance(record, dict):
        raise ProvenanceError(f"{path}: embedded provenance is not a JSON object")
    return record


# --------------------------------------------------------------------------------------------
# Reading records


def load_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the record stored at ``path`` (a ``.prov.json`` file) as a dict.

    Raises FileNotFoundError when it does not exist and ProvenanceError naming the file when it
    is not a JSON object with this module's ``schema``.
    """
    p = Path(path)
    try:
        record = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProvenanceError(f"{p}: not valid JSON: {error}") from error
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise ProvenanceError(f"{p}: not a provenance record (expected schema {SCHEMA!r})")
    return record


def find_record(output: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the record of ``output``: its sidecar, else the copy embedded in a PNG, else None.

    Raises ProvenanceError naming the file when a record exists but cannot be read.
    """
    sidecar = record_path(output)
    if sidecar.exists():
        return load_record(sidecar)
    p = Path(output)
    if p.suffix.lower() == ".png" and p.is_file():
        return read_png_record(p)
    return None


# --------------------------------------------------------------------------------------------
# Building and writing records


def _describe_path(path: str | os.PathLike[str], *, name: str | None = None) -> dict[str, Any]:
    """Return ``{name?, path, kind, sha256, bytes | files}`` for an existing file or folder.

    Raises FileNotFoundError naming the path when it does not exist.
    """
    p = Path(path)
    entry: dict[str, Any] = {}
    if name is not None:
        entry["name"] = name
    entry["path"] = display_path(p)
    if p.is_dir():
        files = directory_files(p)
        entry["kind"] = "directory"
        entry["sha256"] = manifest_sha256(files)
        entry["files"] = [{"path": f, "sha256": h} for f, h in files]
    elif p.is_file():
        entry["kind"] = "file"
        entry["sha256"] = sha256_file(p)
        entry["bytes"] = p.stat().st_size
    else:
        raise FileNotFoundError(f"{path}: no such file or directory (listed as an input)")
    return entry


def _input_entries(inputs: Mapping[str, Any] | Sequence[Any] | None) -> list[dict[str, Any]]:
    """Return one entry per input path, each with its upstream record when it has one."""
    entries: list[dict[str, Any]] = []
    for name, value in named_items(inputs):
        values = [value] if isinstance(value, str | os.PathLike) else list(value)
        for item in values:
            entry = _describe_path(item, name=str(name))
            upstream = find_record(item)
            if upstream is not None:
                entry["upstream"] = upstream
            entries.append(entry)
    return entries


def _cmdstan_info(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the CmdStan description: a toolchain JSON input, else an upstream record's,
    else what is discoverable."""
    for entry in inputs:
        if entry["kind"] == "file" and Path(entry["path"]).name == TOOLCHAIN_JSON_NAME:
            try:
                return {**read_toolchain_record(entry["path"]), "file": entry["path"]}
            except CmdStanError as error:
                raise ProvenanceError(str(error)) from error
    for entry in inputs:
        upstream = entry.get("upstream") or {}
        cmdstan = (upstream.get("versions") or {}).get("cmdstan")
        if cmdstan and cmdstan.get("version"):
            return {**cmdstan, "via": entry["path"]}
    return dict(discover())


def _upstream_sampler(inputs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the first sampler description found in the inputs' upstream records, with ``via``
    naming the input it came through; None when there is none."""
    for entry in inputs:
        upstream = entry.get("upstream") or {}
        if upstream.get("sampler"):
            return {**upstream["sampler"], "via": entry["path"]}
        deeper = _upstream_sampler(upstream.get("inputs") or [])
        if deeper is not None:
            return deeper
    return None


def _stan_version(sampler: dict[str, Any] | None, inputs: list[dict[str, Any]]) -> str | None:
    if sampler and sampler.get("stan_version"):
        return str(sampler["stan_version"])
    for entry in inputs:
        version = ((entry.get("upstream") or {}).get("versions") or {}).get("stan")
        if version:
            return str(version)
    return None


def default_command(output: str | os.PathLike[str]) -> str:
    """Return the command that regenerates ``output`` alone.

    ``workflow/bootstrap snakemake --cores 1 --force <output>`` when the bootstrap wrapper is in
    the working directory, else the same without the wrapper.
    """
    prefix = "workflow/bootstrap " if Path("workflow/bootstrap").is_file() else ""
    return f"{prefix}snakemake --cores 1 --force {shlex.quote(display_path(output))}"


def build_record(
    output: str | os.PathLike[str],
    *,
    rule: str,
    inputs: Mapping[str, Any] | Sequence[Any] | None,
    config: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    command: str | None = None,
    wildcards: Mapping[str, Any] | None = None,
    git_dir: str | os.PathLike[str] = ".",
) -> dict[str, Any]:
    """Return the record of ``output`` (which must exist) without writing anything.

    ``output.sha256`` is the hash of the file as it is now; ``git_dir`` is a folder inside the
    pipeline's git working tree (default: the current directory). Raises FileNotFoundError
    naming the output or an input that does not exist, and ProvenanceError when an input's
    record is unreadable.
    """
    out = Path(output)
    if not out.exists():
        raise FileNotFoundError(f"{output}: the output to record does not exist")
    input_entries = _input_entries(inputs)
    output_entry = _describe_path(out)
    if out.suffix.lower() == ".png" and out.is_file():
        output_entry["content_sha256"] = png_content_sha256(out)
    plain_inputs = [e["path"] for e in input_entries if "upstream" not in e]
    sampler = sampler_settings([output_entry["path"], *plain_inputs])
    if sampler is None:
        sampler = _upstream_sampler(input_entries)
    sections = to_jsonable(dict(config or {}))
    return {
        "schema": SCHEMA,
        "output": output_entry,
        "rule": rule,
        "wildcards": to_jsonable(dict(wildcards or {})),
        "created": utc_now(),
        "command": command or default_command(out),
        "inputs": input_entries,
        "config": {"sections": sections, "sha256": sha256_json(sections)},
        "params": to_jsonable(dict(params or {})),
        "sampler": sampler,
        "versions": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "packages": package_versions(),
            "stan": _stan_version(sampler, input_entries),
            "cmdstan": _cmdstan_info(input_entries),
        },
        "git": git_state(os.fspath(git_dir)),
    }


def write_record(
    output: str | os.PathLike[str],
    *,
    rule: str,
    inputs: Mapping[str, Any] | Sequence[Any] | None,
    config: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    command: str | None = None,
    wildcards: Mapping[str, Any] | None = None,
    git_dir: str | os.PathLike[str] = ".",
) -> Path:
    """Write the record of ``output`` to ``<output>.prov.json`` atomically; return that path.

    ``inputs`` maps a name to a path or a list of paths (a Snakemake named list works too);
    ``config`` maps the config sections the output depends on (dotted keys such as
    ``"models.m3"`` are fine) to their values; ``params`` holds sampler settings, seeds and other
    parameters; ``command`` overrides the default regenerate command (:func:`default_command`);
    ``git_dir`` is a folder inside the pipeline's git working tree.
    A PNG output also gets the record embedded as an iTXt chunk called ``provenance`` before
    its hash is taken. Raises FileNotFoundError naming a missing output or input, and
    ProvenanceError naming a PNG that is invalid or an input record that cannot be read.
    """
    out = Path(output)
    record = build_record(
        out,
        rule=rule,
        inputs=inputs,
        config=config,
        params=params,
        command=command,
        wildcards=wildcards,
        git_dir=git_dir,
    )
    if out.suffix.lower() == ".png" and out.is_file():
        embedded = json.loads(json.dumps(record))
        embedded["output"]["sha256"] = None
        embedded["output"]["bytes"] = None
        embedded["output"]["note"] = (
            "a file cannot hold its own hash: compare content_sha256 with the sha256 of this PNG "
            "without its 'provenance' chunk; the sidecar .prov.json has the whole file's sha256"
        )
        embed_png_text(out, json.dumps(embedded, separators=(",", ":")))
        record["output"]["sha256"] = sha256_file(out)
        record["output"]["bytes"] = out.stat().st_size
    sidecar = write_text_atomic(record_path(out), json.dumps(record, indent=2) + "\n")
    os.chmod(sidecar, _default_file_mode())  # a temporary file is created owner-only
    return sidecar


def _default_file_mode() -> int:
    """Return the mode a new file gets under the current umask (0o644 under umask 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# --------------------------------------------------------------------------------------------
# Snakemake glue


def config_sections(
    config: Mapping[str, Any], keys: Iterable[str], wildcards: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return ``{key: value}`` for each dotted ``key`` of ``config`` (``"models.{model}"`` is
    filled in from ``wildcards`` first).

    Raises ProvenanceError naming the key when it is not in the config.
    """
    result: dict[str, Any] = {}
    fill = {k: str(v) for k, v in (wildcards or {}).items()}
    for template in keys:
        try:
            key = template.format(**fill)
        except (KeyError, IndexError) as error:
            raise ProvenanceError(f"config key {template!r}: no wildcard {error}") from error
        result[key] = lookup_config(config, key)
    return result


def lookup_config(config: Mapping[str, Any], key: str) -> Any:
    """Return the value at the dotted ``key`` of ``config``; raise ProvenanceError if absent."""
    value: Any = config
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, Mapping) and part.isdigit() and int(part) in value:
            value = value[int(part)]
        else:
            raise ProvenanceError(f"config key {key!r} not found (no {part!r})")
    return value


def _wildcards_dict(snakemake: Any) -> dict[str, Any]:
    wildcards = getattr(snakemake, "wildcards", None)
    return dict(named_items(wildcards)) if wildcards is not None else {}


def record_snakemake_outputs(
    snakemake: Any,
    *,
    config_keys: Iterable[str] = (),
    params: Mapping[str, Any] | None = None,
    include_directories: bool = True,
    all_outputs: bool = False,
) -> list[Path]:
    """Write a record for every figure and table among the outputs of a Snakemake job.

    Call it at the end of a ``script:`` with the ``snakemake`` object. Figures and tables are
    outputs whose suffix is in :data:`RECORDED_SUFFIXES` (never ``.prov.json`` files or the
    job's logs); with ``include_directories`` a ``directory()`` output (such as CmdStan's CSV
    folder) is recorded too, and with ``all_outputs`` every output is (a compiled Stan program,
    so that the records of the fits made with it reach its ``.stan`` file). ``config_keys``
    are dotted config keys, which may name wildcards (``"models.{model}"``); ``params`` are
    merged over the rule's ``params:``. The git commit is that of the tree holding the script
    (so a run with ``--directory`` elsewhere still names the pipeline's commit). Returns the
    record paths written. Raises ProvenanceError naming a config key that is not in the config,
    and the errors of :func:`write_record`.
    """
    wildcards = _wildcards_dict(snakemake)
    config = config_sections(getattr(snakemake, "config", {}) or {}, config_keys, wildcards)
    merged = dict(named_items(getattr(snakemake, "params", None)))
    merged.update(params or {})
    logs = {display_path(p) for p in (getattr(snakemake, "log", None) or [])}
    written: list[Path] = []
    for output in snakemake.output:
        path = Path(str(output))
        if display_path(path) in logs or is_record(path):
            continue
        if path.is_dir():
            if not include_directories:
                continue
        elif not (all_outputs or is_recorded_kind(path)):
            continue
        written.append(
            write_record(
                path,
                rule=str(snakemake.rule),
                inputs=snakemake.input,
                config=config,
                params=merged,
                wildcards=wildcards,
                git_dir=getattr(snakemake, "scriptdir", None) or ".",
            )
        )
    return written


# --------------------------------------------------------------------------------------------
# Markdown for the report


def source_leaves(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the inputs at the start of a record's chain, each once, in the order they are met.

    A source is an input without a record of its own (a Stan program, code) or whose record
    has no inputs (the downloaded data, the toolchain description).
    """
    seen: set[str] = set()
    leaves: list[dict[str, Any]] = []

    def walk(entries: Iterable[Mapping[str, Any]]) -> None:
        for entry in entries:
            upstream_inputs = (entry.get("upstream") or {}).get("inputs")
            if upstream_inputs:
                walk(upstream_inputs)
            elif entry["path"] not in seen:
                seen.add(entry["path"])
                leaves.append(dict(entry))

    walk(record.get("inputs") or [])
    return leaves


def render_markdown(
    record_or_path: Mapping[str, Any] | str | os.PathLike[str], link: str | None = None
) -> str:
    """Return a short markdown block for the report, to sit beside a figure or table.

    It names the rule, the inputs with short hashes, the raw sources the chain reaches (data,
    Stan programs), the commit, the command that regenerates the file, and links to the full
    record. ``record_or_path`` is a record, a ``.prov.json`` path, or an output path (its record
    is found); ``link`` is the link target (default: the record's path). Raises
    FileNotFoundError or ProvenanceError naming the file when no record can be read.
    """
    if isinstance(record_or_path, Mapping):
        record = dict(record_or_path)
        default_link = record_path(record["output"]["path"]).as_posix()
    else:
        p = Path(record_or_path)
        if is_record(p):
            record, default_link = load_record(p), p.as_posix()
        else:
            found = find_record(p)
            if found is None:
                raise FileNotFoundError(f"{p}: no provenance record ({record_path(p)})")
            record, default_link = found, record_path(p).as_posix()
    target = link or default_link

    def short(digest: str | None) -> str:
        return (digest or "?")[:8]

    inputs = record.get("inputs") or []
    direct = {e["path"] for e in inputs}
    listed = ", ".join(f"`{e['path']}` ({short(e.get('sha256'))})" for e in inputs) or "none"
    sources = [e for e in source_leaves(record) if e["path"] not in direct]
    git = record.get("git") or {}
    commit = (git.get("commit") or "unknown")[:10]
    state = {True: ", uncommitted changes", False: ""}.get(git.get("dirty"), ", tree state unknown")
    lines = [
        f"**Provenance.** Made by rule `{record.get('rule')}` on {record.get('created')} "
        f"at commit `{commit}`{state}; sha256 `{short(record['output'].get('sha256'))}`.",
        f"Inputs: {listed}.",
    ]
    if sources:
        lines.append(
            "Traces back to: "
            + ", ".join(f"`{e['path']}` ({short(e.get('sha256'))})" for e in sources)
            + "."
        )
    lines.append(f"Regenerate: `{record.get('command')}`.")
    lines.append(f"[Full provenance record]({target})")
    return "  \n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Command line: `python -m mlmpipe show <output>`


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``show`` subcommand's arguments to an argparse ``parser``."""
    parser.add_argument("output", help="a figure or table (or its .prov.json record)")
    parser.add_argument("--json", action="store_true", help="print the whole record as JSON")


def run(args: argparse.Namespace) -> int:
    """Print how an output was made (its record, from the sidecar or from inside a PNG).

    Returns 0, or 1 with a message on stderr naming the file when it has no readable record.
    """
    target = Path(args.output)
    try:
        if is_record(target):
            record = load_record(target)
        else:
            record = find_record(target)
            if record is None:
                raise FileNotFoundError(f"{target}: no provenance record ({record_path(target)})")
    except (OSError, ProvenanceError) as error:
        print(f"mlmpipe show: {error}", file=sys.stderr)
        return 1
    print(json.dumps(record, indent=2) if args.json else render_markdown(record), end="\n")
    return 0
