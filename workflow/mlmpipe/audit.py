"""Audit provenance records against the files on disk.

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
:data:`mlmpipe.provenance.RECORDED_SUFFIXES`) and every path that has a record. Logs, Snakemake's
own files, CmdStan internals (its CSV and console files, ``fit`` and ``build`` folders), README
files and the audit's own report are not outputs; files inside a recorded directory output are
audited with it.

The command line is ``python -m mlmpipe audit [PATHS...] [--json]``: exit status 0 only when
every output is ok.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlmpipe.fileio import sha256_file, write_text_atomic
from mlmpipe.provenance import (
    RECORD_SUFFIX,
    ProvenanceError,
    canonical_json,
    display_path,
    is_record,
    is_recorded_kind,
    load_record,
    lookup_config,
    manifest_sha256,
    png_content_sha256,
    read_png_record,
    record_path,
)

STATUSES = ("ok", "stale", "altered", "unrecorded", "missing", "invalid")
"""Every status an output can have, from best to worst as the summary lists them."""

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


@dataclass
class AuditEntry:
    """The audit of one output: its path (relative to the root), status, reasons, the record
    it was checked against, and what changed (paths and config keys)."""

    path: str
    status: str
    reasons: list[str] = field(default_factory=list)
    record: str | None = None
    changed: list[str] = field(default_factory=list)


@dataclass
class AuditReport:
    """The audit of many outputs. ``ok`` is True only when every entry is ok."""

    root: str
    entries: list[AuditEntry]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when every output is ok (an empty audit is ok)."""
        return all(entry.status == "ok" for entry in self.entries)

    def counts(self) -> dict[str, int]:
        """Return the number of outputs with each status (every status, zeros included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for entry in self.entries:
            counts[entry.status] = counts.get(entry.status, 0) + 1
        return counts

    def by_path(self) -> dict[str, AuditEntry]:
        """Return the entries keyed by output path."""
        return {entry.path: entry for entry in self.entries}

    def summary(self) -> str:
        """Return the one-line summary, e.g. ``12 outputs: 10 ok, 1 stale, 1 altered``."""
        counts = self.counts()
        parts = [f"{n} {status}" for status, n in counts.items() if n or status == "ok"]
        total = len(self.entries)
        verdict = "all ok" if self.ok else "NOT ok"
        noun = "output" if total == 1 else "outputs"
        return f"{total} {noun}: " + ", ".join(parts) + f" ({verdict})"

    def format_text(self) -> str:
        """Return the human-readable report: one line per output, notes, then the summary."""
        width = max((len(e.status) for e in self.entries), default=2)
        lines = []
        for entry in self.entries:
            line = f"{entry.status:<{width}}  {entry.path}"
            if entry.reasons:
                line += ": " + "; ".join(entry.reasons)
            lines.append(line)
        lines.extend(f"note: {note}" for note in self.notes)
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON types: ``ok``, ``root``, ``counts``, ``summary``,
        ``notes`` and ``outputs`` (one object per entry)."""
        return {
            "ok": self.ok,
            "root": self.root,
            "counts": self.counts(),
            "summary": self.summary(),
            "notes": list(self.notes),
            "outputs": [asdict(entry) for entry in self.entries],
        }

    def to_json(self) -> str:
        """Return :meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


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
    """Fill in the schema's defaults as the Snakefile does: with ``mlmpipe.config`` when it is
    there, else with Snakemake's validator. An invalid config is left as written (the audit
    compares it as it is; the run itself would refuse it)."""
    try:
        from mlmpipe.config import validate_config
    except ImportError:
        validate_config = None
    try:
        if validate_config is not None:
            validate_config(config, schema)
            return
        from snakemake.utils import validate

        logging.disable(logging.WARNING)  # Snakemake warns about schema versions
        validate(config, os.fspath(schema), set_default=True)
    except Exception:  # noqa: BLE001 - see the docstring
        pass
    finally:
        logging.disable(logging.NOTSET)


def _short(digest: str | None) -> str:
    return (digest or "none")[:8]


def _brief(value: Any, width: int = 60) -> str:
    """Return ``value`` as JSON, cut to ``width`` characters with an ellipsis."""
    text = json.dumps(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def config_diff(old: Any, new: Any, prefix: str = "", limit: int = 4) -> list[str]:
    """Return up to ``limit`` readable differences between two config values."""
    diffs: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(diffs) >= limit:
            return
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            for key in list(a) + [k for k in b if k not in a]:
                sub = f"{where}.{key}" if where else str(key)
                if key not in b:
                    diffs.append(f"{sub} removed")
                elif key not in a:
                    diffs.append(f"{sub} added")
                else:
                    walk(a[key], b[key], sub)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}[{index}]")
        elif canonical_json(a) != canonical_json(b):
            diffs.append(f"{where or 'value'}: {_brief(a)} -> {_brief(b)}")

    walk(old, new, prefix)
    return diffs


class _Auditor:
    """Holds the root, the current config and a cache of file hashes for one audit."""

    def __init__(self, root: Path, config: Mapping[str, Any] | None) -> None:
        self.root = root
        self.config = config
        self._hashes: dict[Path, tuple[int, int, str]] = {}

    def resolve(self, recorded: str) -> Path:
        """Return the path of a recorded (root-relative) path on disk."""
        p = Path(recorded)
        return p if p.is_absolute() else self.root / p

    def rel(self, path: Path) -> str:
        """Return ``path`` relative to the root when inside it, with forward slashes."""
        return display_path(path, self.root)

    def file_hash(self, path: Path) -> str:
        """Return the sha256 of a file, cached by size and modification time."""
        stat = path.stat()
        cached = self._hashes.get(path)
        if cached and cached[:2] == (stat.st_size, stat.st_mtime_ns):
            return cached[2]
        digest = sha256_file(path)
        self._hashes[path] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    def current(self, path: Path) -> tuple[str | None, dict[str, str]]:
        """Return (sha256 or None if missing, per-file hashes for a directory)."""
        if path.is_dir():
            files = [(name, self.file_hash(path / name)) for name, _ in _listing(path)]
            return manifest_sha256(files), dict(files)
        if path.is_file():
            return self.file_hash(path), {}
        return None, {}

    # ---------------------------------------------------------------------------------------

    def check_output(self, output: Path, record: Mapping[str, Any], embedded: bool) -> AuditEntry:
        """Return the audit of one output against its record."""
        entry = AuditEntry(
            path=self.rel(output),
            status="ok",
            record=f"{self.rel(output)} (embedded)" if embedded else self.rel(record_path(output)),
        )
        recorded = record.get("output") or {}
        if not output.exists():
            entry.status = "missing"
            entry.reasons.append("the recorded output no longer exists")
            return entry
        altered = self._altered_reasons(output, recorded, embedded)
        stale: list[str] = []
        changed: list[str] = []
        seen: set[str] = set()
        self._walk(record, reasons=stale, changed=changed, seen=seen)
        if altered:
            entry.status = "altered"
            entry.changed.append(entry.path)
        elif stale:
            entry.status = "stale"
        entry.reasons = altered + stale
        entry.changed.extend(changed)
        return entry

    def _altered_reasons(
        self, output: Path, recorded: Mapping[str, Any], embedded: bool
    ) -> list[str]:
        if embedded:
            want = recorded.get("content_sha256")
            now = png_content_sha256(output)
            if want != now:
                detail = f"{_short(want)} -> {_short(now)}"
                return [f"the image changed since it was recorded ({detail})"]
            return []
        now, files = self.current(output)
        want = recorded.get("sha256")
        if now == want:
            return []
        reasons = [f"the file changed since it was recorded ({_short(want)} -> {_short(now)})"]
        if output.is_dir():
            reasons = [
                "the folder changed since it was recorded: "
                + ", ".join(_file_changes(recorded.get("files") or [], files, self.rel(output)))
            ]
        return reasons

    def _walk(
        self,
        record: Mapping[str, Any],
        *,
        reasons: list[str],
        changed: list[str],
        seen: set[str],
    ) -> None:
        """Append a reason for every input and config section of ``record`` and of its upstream
        records that differs from what is on disk now.

        The chain is walked breadth first, so a change is named through the shortest route
        (a direct input before the same file reached through an upstream record), and once.
        """
        queue: deque[tuple[Mapping[str, Any], list[str]]] = deque([(record, [])])
        visited: set[tuple[str, str, str]] = set()
        while queue:
            current, chain = queue.popleft()
            out = current.get("output") or {}
            key = (str(out.get("path")), str(out.get("sha256")), str(current.get("created")))
            if chain and key in visited:
                continue
            visited.add(key)
            via = f", via {' > '.join(chain)}" if chain else ""
            self._check_config(current, via, reasons, changed, seen)
            for item in current.get("inputs") or []:
                path = str(item.get("path"))
                if path not in seen:
                    self._check_input(item, via, reasons, changed, seen)
                upstream = item.get("upstream")
                if isinstance(upstream, Mapping):
                    queue.append((upstream, [*chain, path]))

    def _check_input(
        self,
        item: Mapping[str, Any],
        via: str,
        reasons: list[str],
        changed: list[str],
        seen: set[str],
    ) -> None:
        path = str(item.get("path"))
        now, files = self.current(self.resolve(path))
        want = item.get("sha256")
        if now == want:
            return
        seen.add(path)
        changed.append(path)
        if now is None:
            reasons.append(f"input {path} is missing{via}")
            return
        detail = f"{_short(want)} -> {_short(now)}"
        if item.get("kind") == "directory":
            detail = ", ".join(_file_changes(item.get("files") or [], files, path))
        reasons.append(f"input {path} changed ({detail}){via}")

    def _check_config(
        self,
        record: Mapping[str, Any],
        via: str,
        reasons: list[str],
        changed: list[str],
        seen: set[str],
    ) -> None:
        if self.config is None:
            return
        sections = (record.get("config") or {}).get("sections") or {}
        for key, old in sections.items():
            try:
                new = lookup_config(self.config, key)
            except ProvenanceError:
                message = f"config {key} no longer exists"
            else:
                if canonical_json(old) == canonical_json(new):
                    continue
                message = f"config {key} changed: " + ", ".join(config_diff(old, new, key))
            if message in seen:
                continue
            seen.add(message)
            changed.append(f"config:{key}")
            reasons.append(message + via)


def _listing(path: Path) -> list[tuple[str, str]]:
    """Return ``(relative name, "")`` for each file under a folder (names only, no hashing)."""
    names = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith("."):
                names.append(((Path(dirpath) / name).relative_to(path).as_posix(), ""))
    return sorted(names)


def _file_changes(
    recorded: Sequence[Mapping[str, Any]], now: Mapping[str, str], folder: str
) -> list[str]:
    """Return readable per-file changes of a folder (changed, added, removed), at most five."""
    before = {str(f.get("path")): f.get("sha256") for f in recorded}
    notes = [f"{folder}/{n} changed" for n in sorted(before) if n in now and now[n] != before[n]]
    notes += [f"{folder}/{n} removed" for n in sorted(before) if n not in now]
    notes += [f"{folder}/{n} added" for n in sorted(now) if n not in before]
    if len(notes) > 5:
        notes = [*notes[:5], f"and {len(notes) - 5} more"]
    return notes or ["its listing changed"]


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
    auditor = _Auditor(root_path, config)
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


def _audit_one(auditor: _Auditor, output: Path) -> AuditEntry:
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
