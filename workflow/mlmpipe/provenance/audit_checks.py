"""Checks of one output against its record: is the output as recorded (else ``altered``), and
is every input, reached directly or through upstream records, and every config section as it
was (else ``stale``)."""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlmpipe.fileio import sha256_file

from .audit_report import AuditEntry
from .jsonable import canonical_json
from .paths import ProvenanceError, display_path, manifest_sha256, record_path
from .png import png_content_sha256
from .snakemake import lookup_config


def _short(digest: str | None) -> str:
    """Return the first 8 characters of a digest (``none`` when there is none)."""
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


class Auditor:
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
        """Return why ``output`` differs from its recorded hash (empty when it does not)."""
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
        """Append a reason (and the path to ``changed``) when an input differs from its record."""
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
        """Append a reason for every config section of ``record`` that changed or is gone."""
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
