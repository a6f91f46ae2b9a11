"""Audit provenance records against the files on disk: what an audit covers, and its commands.

Each output gets one status:

- ``ok``: the output, every input it was made from (recursively, back to the raw data and the
  Stan programs) and the config sections it depends on are as recorded;
- ``stale``: an input, reached directly or through an upstream record, or a config section has
  changed since the output was made (the reasons name which);
- ``altered``: the output itself differs from its record;
- ``unrecorded``: a figure or table with no record (beside it or, for a PNG, inside it);
- ``missing``: a record whose output is gone, or a path given to the audit that does not exist;
- ``invalid``: a record that cannot be read.

Outputs are the figures and tables under the audited folders (by suffix, see
:data:`.paths.RECORDED_SUFFIXES`) and every path that has a record. Logs, Snakemake's
own files, CmdStan internals (its CSV and console files, ``fit`` and ``build`` folders), README
files and the audit's own report are not outputs; files inside a recorded directory output are
audited with it.

The command line is ``python -m mlmpipe audit [PATHS...] [--json]``: exit status 0 only when
every output is ok.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlmpipe.config import validate_config
from mlmpipe.fileio import write_text_atomic

from .audit_checks import Auditor
from .audit_report import AuditEntry, AuditReport
from .paths import (
    RECORD_SUFFIX,
    ProvenanceError,
    is_record,
    is_recorded_kind,
    record_path,
)
from .png import read_png_record
from .records import load_record

EXCLUDED_DIRS = frozenset({"logs", "log", "benchmarks", "fit", "build", "cmdstan", "tmp"})
"""Folders under an audited tree whose files are never outputs (hidden folders neither)."""

DEFAULT_EXCLUDE = ("results/audit.txt", "results/audit.json")
"""The audit's own reports, relative to the root: never outputs."""

CMDSTAN_INTERNAL = re.compile(
    r"^.+-\d{14}(?:_\d+)?(?:-stdout\.txt|\.csv|_config\.json|-profile\.csv)$|\.hpp$"
)
"""File names that cmdstanpy and CmdStan write (``model-20261126063011_1.csv`` and friends)."""

CONFIG_FILE = "config/config.yaml"
SCHEMA_FILE = "workflow/schemas/config.schema.yaml"


def load_current_config(
    root: str | os.PathLike[str] = ".", config_file: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Return the config as a run would see it now: the YAML file with the schema's defaults.

    ``config_file`` defaults to ``config/config.yaml`` under ``root``; defaults are filled in
    from ``workflow/schemas/config.schema.yaml`` when it exists (as the Snakefile's
    ``validate`` does). Raises FileNotFoundError naming the file when it does not exist, and
    ProvenanceError naming it when it is not a YAML mapping.
    """
    import yaml

    path = Path(config_file) if config_file else Path(root) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ProvenanceError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(config, dict):
        raise ProvenanceError(f"{path}: the config is not a mapping")
    schema = Path(root) / SCHEMA_FILE
    if schema.is_file():
        _fill_defaults(config, schema)
    return config


def _fill_defaults(config: dict[str, Any], schema: Path) -> None:
    """Fill in the schema's defaults as the Snakefile does (:func:`mlmpipe.config.validate_config`).

    Returns nothing; never raises: an invalid config is left as written (the audit compares it
    as it is; the run itself would refuse it).
    """
    with contextlib.suppress(Exception):  # see the docstring
        validate_config(config, schema)


def _is_candidate(path: Path, top: Path) -> bool:
    """Return True when a file under ``top`` counts as an output needing a record."""
    if not is_recorded_kind(path) or path.name.startswith("."):
        return False
    parts = path.relative_to(top).parts[:-1]
    if any(part in EXCLUDED_DIRS or part.startswith(".") for part in parts):
        return False
    if path.name.lower().startswith("readme"):  # a folder's documentation, not a result
        return False
    return not CMDSTAN_INTERNAL.search(path.name) and not path.name.endswith(".log")


def _walk_tree(top: Path) -> Iterator[Path]:
    """Yield every file under ``top``, sorted, hidden folders skipped."""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _output_of(record: Path) -> Path:
    """Return the output a record file describes (its path without ``.prov.json``)."""
    return Path(os.fspath(record)[: -len(RECORD_SUFFIX)])


def _targets(path: Path, excluded: set[str]) -> list[Path]:
    """Return the outputs that auditing ``path`` covers, sorted.

    A record stands for its output; a file stands for itself, whatever its suffix; a folder
    stands for every output with a record under it (or the folder itself, when recorded) and
    every file under it that counts as a figure or table (:func:`_is_candidate`) and is not
    inside a recorded directory output.
    """
    if is_record(path):
        return [_output_of(path)]
    if not path.is_dir():
        return [path]
    found: set[Path] = {path} if record_path(path).exists() else set()
    files = [p for p in _walk_tree(path) if os.path.abspath(p) not in excluded]
    records = [p for p in files if is_record(p)]
    found.update(_output_of(p) for p in records)
    recorded_dirs = [out for out in found if out.is_dir()]
    for p in files:
        if p in found or is_record(p) or not _is_candidate(p, path):
            continue
        if not any(d in p.parents for d in recorded_dirs):
            found.add(p)
    return sorted(found, key=os.fspath)


def audit(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] = ".",
    config: Mapping[str, Any] | None = None,
    config_file: str | os.PathLike[str] | None = None,
    exclude: Iterable[str | os.PathLike[str]] = DEFAULT_EXCLUDE,
) -> AuditReport:
    """Audit the outputs under ``paths`` (files, records, folders) against their records.

    ``paths`` are relative to the current directory (absolute ones work too); paths in the
    records are relative to ``root``, the directory the pipeline runs in. Config sections are
    compared with ``config`` when given (a Snakemake rule passes its ``config``), else with
    ``config_file`` (default ``config/config.yaml`` under ``root``, with the schema's defaults);
    when neither can be read the config is not checked and the report says so in ``notes``.
    ``exclude`` lists root-relative files that are never outputs. Returns an AuditReport with
    one entry per output, sorted by path; never raises for a bad record (its status is
    ``invalid``).
    """
    root_path = Path(root)
    notes: list[str] = []
    if config is None:
        try:
            config = load_current_config(root_path, config_file)
        except (OSError, ProvenanceError) as error:
            notes.append(f"config not checked: {error}")
    auditor = Auditor(root_path, config)
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    excluded = {os.path.abspath(root_path / p) for p in exclude}
    targets: dict[str, Path] = {}
    for given in paths:
        for output in _targets(Path(given), excluded):
            targets.setdefault(auditor.rel(output), output)
    entries = [_audit_one(auditor, output) for output in targets.values()]
    entries.sort(key=lambda e: e.path)
    return AuditReport(root=os.fspath(root), entries=entries, notes=notes)


def _audit_one(auditor: Auditor, output: Path) -> AuditEntry:
    """Return the audit of one output: against its sidecar, else the record inside a PNG.

    Never raises for a bad record: the entry is ``invalid`` and names the error.
    """
    rel = auditor.rel(output)
    sidecar = record_path(output)
    try:
        if sidecar.exists():
            return auditor.check_output(output, load_record(sidecar), embedded=False)
        if not output.exists():
            return AuditEntry(rel, "missing", ["no such file or directory, and no record"])
        if output.suffix.lower() == ".png" and output.is_file():
            embedded = read_png_record(output)
            if embedded is not None:
                entry = auditor.check_output(output, embedded, embedded=True)
                entry.reasons.insert(0, "no sidecar record; checked the record inside the PNG")
                return entry
        return AuditEntry(rel, "unrecorded", [f"no provenance record ({auditor.rel(sidecar)})"])
    except (ProvenanceError, OSError, KeyError, TypeError, ValueError) as error:
        return AuditEntry(rel, "invalid", [str(error)], record=auditor.rel(sidecar))


# --------------------------------------------------------------------------------------------
# Command line: `python -m mlmpipe audit`


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``audit`` subcommand's arguments to ``parser``."""
    parser.add_argument(
        "paths",
        nargs="*",
        default=["results"],
        help="outputs, records or folders to audit (default: results)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--root", default=".", help="the directory the pipeline runs in (default: .)"
    )
    parser.add_argument(
        "--config", dest="config_file", default=None,
        help="the config file to compare with (default: <root>/config/config.yaml)",
    )  # fmt: skip
    parser.add_argument(
        "--output", default=None, help="also write the human-readable report to this file"
    )
    parser.add_argument(
        "--exit-zero", action="store_true", help="exit with status 0 even when not all ok"
    )


def run(args: argparse.Namespace) -> int:
    """Run the audit described by parsed ``args``; print it; return the exit status.

    The status is 0 when every output is ok (or ``--exit-zero``), 1 otherwise.
    """
    exclude = list(DEFAULT_EXCLUDE)
    if args.output:
        exclude.append(os.path.relpath(args.output, args.root))
    report = audit(args.paths, root=args.root, config_file=args.config_file, exclude=exclude)
    text = report.format_text()
    if args.output:
        write_text_atomic(args.output, text)
    sys.stdout.write(report.to_json() if args.json else text)
    return 0 if report.ok or args.exit_zero else 1


def run_for_snakemake(
    paths: Sequence[str],
    *,
    config: Mapping[str, Any] | None,
    report: str | os.PathLike[str],
    log: str | os.PathLike[str] | None = None,
) -> AuditReport:
    """Audit ``paths`` from a Snakemake ``run:`` block; write the text report (and the log).

    Returns the report; raises ProvenanceError (failing the rule) when not every output is ok,
    after writing the report, so ``snakemake audit`` fails loudly and the report says why.
    """
    result = audit(paths, config=config, exclude=(*DEFAULT_EXCLUDE, os.fspath(report)))
    text = result.format_text()
    write_text_atomic(report, text)
    if log is not None:
        write_text_atomic(log, text)
    if not result.ok:
        raise ProvenanceError(f"provenance audit: {result.summary()}; see {report}")
    return result


__all__ = [
    "AuditEntry",
    "AuditReport",
    "audit",
    "add_arguments",
    "run",
    "run_for_snakemake",
    "load_current_config",
]
