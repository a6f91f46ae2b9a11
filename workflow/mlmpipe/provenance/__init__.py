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
forward slashes.

The package, one job per module: :mod:`.paths` (record paths, output kinds, hashes of folders),
:mod:`.jsonable` (plain JSON values and their hash), :mod:`.png` (the record inside a PNG),
:mod:`.records` (building, writing and reading records), :mod:`.snakemake` (recording a
Snakemake job's outputs), :mod:`.show` (markdown and ``python -m mlmpipe show``) and the audit
of records against the files on disk (:mod:`.audit`, :mod:`.audit_checks`,
:mod:`.audit_report`). PNG chunks are handled by :mod:`mlmpipe.pngtext`, and versions, git
state and sampler settings are gathered by :mod:`mlmpipe.runinfo`.
"""

from __future__ import annotations

from mlmpipe.runinfo import PACKAGES

from .jsonable import canonical_json, named_items, sha256_json, to_jsonable
from .paths import (
    PNG_KEY,
    RECORD_SUFFIX,
    RECORDED_SUFFIXES,
    SCHEMA,
    ProvenanceError,
    directory_files,
    display_path,
    is_record,
    is_recorded_kind,
    manifest_sha256,
    record_path,
)
from .png import embed_png_text, png_content_sha256, read_png_record, read_png_text
from .records import (
    TOOLCHAIN_JSON_NAME,
    build_record,
    default_command,
    find_record,
    load_record,
    write_record,
)
from .show import render_markdown, source_leaves
from .snakemake import config_sections, lookup_config, record_snakemake_outputs

__all__ = [
    "PACKAGES",
    "PNG_KEY",
    "RECORD_SUFFIX",
    "RECORDED_SUFFIXES",
    "SCHEMA",
    "TOOLCHAIN_JSON_NAME",
    "ProvenanceError",
    "build_record",
    "canonical_json",
    "config_sections",
    "default_command",
    "directory_files",
    "display_path",
    "embed_png_text",
    "find_record",
    "is_record",
    "is_recorded_kind",
    "load_record",
    "lookup_config",
    "manifest_sha256",
    "named_items",
    "png_content_sha256",
    "read_png_record",
    "read_png_text",
    "record_path",
    "record_snakemake_outputs",
    "render_markdown",
    "sha256_json",
    "source_leaves",
    "to_jsonable",
    "write_record",
]
