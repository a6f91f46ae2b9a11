"""A ``.qmd`` section as front matter, markdown text and ``{python}`` cells with options."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ReportError
from .includes import FenceTracker, resolve_includes, split_front_matter

log = logging.getLogger("mlmpipe.report")

CELL_OPEN_RE = re.compile(r"^(`{3,})\s*\{\s*([A-Za-z0-9_+-]+)([^}]*)\}\s*$")
OPTION_RE = re.compile(r"^#\|\s?(.*)$")

SUPPORTED_OPTIONS = frozenset(
    {"label", "echo", "output", "eval", "include", "fig-cap", "tbl-cap", "code-fold",
     "warning", "tags"}
)
# Options that may also be set for the whole document under ``execute:`` in front matter.
DOCUMENT_OPTIONS = ("echo", "output", "eval", "include", "warning")


@dataclass
class Cell:
    """One ``{python}`` cell: its code (without ``#|`` lines), options and origin."""

    number: int
    code: str
    options: dict[str, Any]
    option_lines: list[str]
    line: int
    source: Path

    @property
    def label(self) -> str | None:
        """The cell's ``label`` option, if any."""
        label = self.options.get("label")
        return str(label) if label is not None else None

    def describe(self) -> str:
        """Name the cell for messages: its label, or its number and first line of code."""
        if self.label:
            return f"cell '{self.label}'"
        first = next((ln.strip() for ln in self.code.splitlines() if ln.strip()), "")
        return f"cell {self.number} (line {self.line}: {first[:60]!r})"

    def option(self, name: str, defaults: dict[str, Any]) -> Any:
        """Return the cell's value of option ``name``, else the document's default."""
        return self.options.get(name, defaults.get(name))

    def has_tag(self, tag: str) -> bool:
        """True when the cell's ``tags`` option lists ``tag``."""
        tags = self.options.get("tags") or []
        return tag in (tags if isinstance(tags, list) else [tags])


@dataclass
class Document:
    """A parsed section: its path, front matter and blocks (markdown strings and cells)."""

    path: Path
    meta: dict[str, Any]
    blocks: list[str | Cell] = field(default_factory=list)

    @property
    def cells(self) -> list[Cell]:
        """The document's cells in order."""
        return [block for block in self.blocks if isinstance(block, Cell)]

    def defaults(self) -> dict[str, Any]:
        """Document-wide cell option defaults (Quarto's defaults, then front matter)."""
        values: dict[str, Any] = {"echo": True, "output": True, "eval": True,
                                  "include": True, "warning": True, "code-fold": False}
        execute = self.meta.get("execute") or {}
        if isinstance(execute, dict):
            values.update({k: execute[k] for k in DOCUMENT_OPTIONS if k in execute})
        html = (self.meta.get("format") or {}).get("html") if isinstance(
            self.meta.get("format"), dict) else None
        if isinstance(html, dict) and "code-fold" in html:
            values["code-fold"] = html["code-fold"]
        if "code-fold" in self.meta:
            values["code-fold"] = self.meta["code-fold"]
        return values


def load_yaml(text: str, where: str) -> Any:
    """Parse YAML ``text``; raises :class:`ReportError` naming ``where`` if it is invalid."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReportError(f"{where}: invalid YAML: {exc}".replace("\n", " ")) from None


def parse_cell_options(lines: list[str], source: Path, line: int) -> dict[str, Any]:
    """Return the options written as ``#|`` lines at the top of a cell."""
    if not lines:
        return {}
    options = load_yaml("\n".join(lines), f"{source}:{line}: cell options")
    if not isinstance(options, dict):
        raise ReportError(f"{source}:{line}: cell options are not 'key: value' lines")
    return options


def make_cell(body: list[str], number: int, source: Path, line: int) -> Cell:
    """Build a cell from the lines between its fences, splitting off its ``#|`` options."""
    option_lines: list[str] = []
    while len(option_lines) < len(body) and OPTION_RE.match(body[len(option_lines)]):
        option_lines.append(body[len(option_lines)])
    options = parse_cell_options(
        [OPTION_RE.match(ln).group(1) for ln in option_lines], source, line)
    cell = Cell(number, "\n".join(body[len(option_lines):]).strip("\n"), options,
                option_lines, line, source)
    for name in options:
        if name not in SUPPORTED_OPTIONS:
            log.warning("%s: %s: cell option '%s' is not supported and is ignored",
                        source, cell.describe(), name)
    return cell


def parse_blocks(body: str, source: Path, offset: int = 0) -> list[str | Cell]:
    """Split markdown ``body`` into markdown strings and :class:`Cell` objects.

    Line numbers in messages count from the start of the file (``offset`` lines of front
    matter precede ``body``), in the text after includes are resolved.
    """
    blocks: list[str | Cell] = []
    markdown: list[str] = []
    lines = body.split("\n")
    tracker = FenceTracker()
    index = 0
    while index < len(lines):
        line = lines[index]
        match = CELL_OPEN_RE.match(line) if tracker.open is None else None
        if not match:
            tracker.step(line)
            markdown.append(line)
            index += 1
            continue
        fence, engine = match.group(1), match.group(2)
        if engine != "python":
            raise ReportError(f"{source}:{offset + index + 1}: unsupported cell engine '{engine}' "
                              "(only {python} cells are executed)")
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if end == len(lines):
            raise ReportError(f"{source}:{offset + index + 1}: cell is never closed ({fence})")
        blocks.append("\n".join(markdown))
        markdown = []
        number = sum(isinstance(b, Cell) for b in blocks) + 1
        blocks.append(make_cell(lines[index + 1:end], number, source, offset + index + 1))
        index = end + 1
    blocks.append("\n".join(markdown))
    return [b for b in blocks if not (isinstance(b, str) and not b.strip())]


def read_document(path: Path, images_relative_to: Path | None) -> Document:
    """Read and parse the section at ``path``, with its includes resolved.

    Relative image paths in the text are rewritten relative to ``images_relative_to``
    (absolute when None). Raises :class:`ReportError` for a missing file, a missing
    include, invalid front matter or cell options, or a non-Python cell.
    """
    text = resolve_includes(Path(path), images_relative_to)
    yaml_text, body = split_front_matter(text, Path(path))
    meta = load_yaml(yaml_text, f"{path}: front matter") if yaml_text is not None else {}
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ReportError(f"{path}: front matter is not a YAML mapping")
    offset = text[: len(text) - len(body)].count("\n")
    return Document(Path(path), meta, parse_blocks(body, Path(path), offset))
