"""The footer: which renderer made the report, from which commit, when."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from .blocks import typst_escape
from .errors import ReportError

FOOTER_KEYS = ("commit", "dirty", "date")


def read_footer(path: str | Path) -> dict[str, Any]:
    """Return the footer record in the JSON file ``path``: ``commit``, ``dirty``, ``date``.

    Raises :class:`ReportError` if the file is missing, not JSON, or lacks a key.
    """
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read the footer record: {exc}") from None
    if not isinstance(record, dict):
        raise ReportError(f"{path}: the footer record is not a JSON object")
    missing = [key for key in FOOTER_KEYS if key not in record]
    if missing:
        raise ReportError(f"{path}: the footer record lacks {', '.join(missing)}")
    return record


def footer_text(renderer: str, footer: dict[str, Any] | None) -> str:
    """Return the footer sentence, e.g. "Rendered by mlmpipe renderer 0.1.0 (...) from
    commit 1a2b3c4 (with uncommitted changes) on 2026-01-31."."""
    text = f"Rendered by {renderer}"
    if footer:
        commit = str(footer.get("commit") or "unknown")
        text += f" from commit {commit[:12]}"
        if footer.get("dirty"):
            text += " (with uncommitted changes)"
        if footer.get("date"):
            text += f" on {footer['date']}"
    return text + "."


def footer_html(text: str) -> str:
    """Return the footer as an HTML ``<footer>`` element."""
    return f'<footer class="report-footer">\n<p>{html.escape(text)}</p>\n</footer>\n'


def footer_typst(text: str) -> str:
    """Return the footer as Typst markup (the template's ``report-footer`` function)."""
    return f"#report-footer[{typst_escape(text)}]\n"
