"""The result of an audit: one entry (status, reasons) per output, and the report as text and
as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("ok", "stale", "altered", "unrecorded", "missing", "invalid")
"""Every status an output can have, from best to worst as the summary lists them."""


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
