"""Provenance records of single outputs: built from the output, its inputs (with their own
records as ``upstream``), config, parameters and versions; written beside the output (and into
a PNG); read back."""

from __future__ import annotations

import json
import os
import platform
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlmpipe.cmdstan import CmdStanError, discover, read_toolchain_record, sampler_settings
from mlmpipe.fileio import sha256_file, write_text_atomic
from mlmpipe.runinfo import git_state, package_versions, run_context, utc_now

from .jsonable import named_items, sha256_json, to_jsonable
from .paths import (
    SCHEMA,
    ProvenanceError,
    directory_files,
    display_path,
    manifest_sha256,
    output_stat,
    record_path,
)
from .png import embed_png_text, png_content_sha256, read_png_record

TOOLCHAIN_JSON_NAME = "cmdstan.json"
"""An input with this file name is read as the CmdStan toolchain description."""


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
    """Return the Stan version: the sampler's, else an upstream record's, else None."""
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
    pipeline's git working tree (default: the current directory). ``run`` says where the job
    ran (:func:`mlmpipe.runinfo.run_context`: the executor, and on SLURM the job id and
    node); like ``created`` it describes this run, not an input. Raises FileNotFoundError
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
        # Where the job ran: not an input, so the audit never compares it.
        "run": run_context(),
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
    if out.exists():  # last: nothing writes to the output after this
        record["output"]["stat"] = output_stat(out)
    sidecar = write_text_atomic(record_path(out), json.dumps(record, indent=2) + "\n")
    os.chmod(sidecar, _default_file_mode())  # a temporary file is created owner-only
    return sidecar


def _default_file_mode() -> int:
    """Return the mode a new file gets under the current umask (0o644 under umask 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
