"""``{{< include path >}}`` shortcodes and relative image paths, resolved as text.

Quarto resolves includes before it executes anything, by pasting the included file's text
in place of the shortcode line; paths are relative to the file that holds the shortcode, and
included files may include others. We do the same, with two additions of ours: an included
file's own YAML front matter is dropped, and relative image paths in markdown image syntax
(``![caption](path)``) are rewritten so they still point at the same file once the text is
moved (relative to a given output folder, or absolute). Shortcodes and images inside fenced
code blocks are left alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import ReportError

INCLUDE_RE = re.compile(r"^\s*\{\{<\s*include\s+(\"[^\"]+\"|'[^']+'|\S+)\s*>\}\}\s*$")
FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# ![alt](target ...): the alt text may hold one level of nested brackets.
IMAGE_RE = re.compile(r"(!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*)(<[^>]+>|[^)\s]+)")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


class FenceTracker:
    """Follow fenced code blocks line by line (a fence closes with the same character,
    at least as many of them, and nothing else on the line)."""

    def __init__(self) -> None:
        self.open: str | None = None

    def step(self, line: str) -> bool:
        """Feed one line; return True when the line is inside, opens or closes a fence."""
        match = FENCE_RE.match(line)
        if self.open is None:
            if match:
                self.open = match.group(1)
                return True
            return False
        if match and match.group(1)[0] == self.open[0] and len(match.group(1)) >= len(
            self.open
        ) and line.strip() == match.group(1):
            self.open = None
        return True


def split_front_matter(text: str, source: Path) -> tuple[str | None, str]:
    """Return ``(yaml_text, body)``; ``yaml_text`` is None when ``text`` has no front matter."""
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return None, text
    return match.group(1) or "", text[match.end():]


def is_relative_target(target: str) -> bool:
    """True for a path relative to its file (not a URL, an absolute path or an anchor)."""
    return not (
        re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target)
        or target.startswith(("/", "#", "\\"))
    )


def rewrite_images(text: str, base: Path, relative_to: Path | None) -> str:
    """Rewrite relative image targets in ``text`` (a file in folder ``base``).

    Returns the text with each relative ``![..](path)`` target made relative to
    ``relative_to``, or absolute when ``relative_to`` is None.
    """

    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        bracketed = target.startswith("<")
        path = target[1:-1] if bracketed else target
        if not is_relative_target(path):
            return match.group(0)
        resolved = (base / path).resolve()
        new = str(resolved) if relative_to is None else os.path.relpath(resolved, relative_to)
        new = Path(new).as_posix()
        return match.group(1) + (f"<{new}>" if bracketed or " " in new else new)

    tracker = FenceTracker()
    out = []
    for line in text.splitlines(keepends=True):
        out.append(line if tracker.step(line) else IMAGE_RE.sub(fix, line))
    return "".join(out)


def resolve_includes(
    path: Path, relative_to: Path | None, _stack: tuple[Path, ...] = (),
    visited: list[Path] | None = None,
) -> str:
    """Return the text of ``path`` with every include shortcode replaced by its file's text.

    The top file's front matter is kept; included files lose theirs. Image paths are
    rewritten with :func:`rewrite_images`. Every file read is appended to ``visited``
    when it is given. Raises :class:`ReportError` for a missing included file (naming it
    and the including file) and for an include cycle.
    """
    path = path.resolve()
    if visited is not None:
        visited.append(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    if _stack:
        _yaml, text = split_front_matter(text, path)
    text = rewrite_images(text, path.parent, relative_to)
    tracker = FenceTracker()
    out: list[str] = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        match = None if tracker.step(line) else INCLUDE_RE.match(line)
        if not match:
            out.append(line)
            continue
        target = (path.parent / match.group(1).strip("\"'")).resolve()
        if target in _stack or target == path:
            chain = " -> ".join(str(p) for p in (*_stack, path, target))
            raise ReportError(f"{path}:{number}: include cycle: {chain}")
        if not target.is_file():
            raise ReportError(
                f"{path}:{number}: included file {match.group(1)} not found "
                f"(looked for {target})"
            )
        included = resolve_includes(target, relative_to, (*_stack, path), visited)
        out.append(included if included.endswith("\n") else included + "\n")
    return "".join(out)


def relocate_includes(text: str, source_dir: Path, target_dir: Path) -> str:
    """Return ``text`` with every relative include path rewritten so that, read from
    ``target_dir``, it names the file it named when read from ``source_dir``.

    The pipeline assembles the report from a copy of the main document placed beside the
    fragments (``results/report/``), so that the includes name the fragments of the run's
    own working folder wherever the sources live.
    """
    lines = []
    tracker = FenceTracker()
    for line in text.splitlines(keepends=True):
        match = None if tracker.step(line) else INCLUDE_RE.match(line)
        target = match.group(1).strip("\"'") if match else None
        if target is None or not is_relative_target(target):
            lines.append(line)
            continue
        moved = os.path.relpath(os.path.normpath(source_dir / target), target_dir)
        lines.append(f"{{{{< include {Path(moved).as_posix()} >}}}}\n")
    return "".join(lines)
