"""Cross-references on pandoc's JSON AST: number ``fig-``/``tbl-``/``sec-`` targets in
document order and turn ``@fig-x`` citations into links ("Figure 3").

Figures (``![caption](file){#fig-x}``) and tables (``: caption {#tbl-x}``) get their
number in front of the caption ("Figure 3: caption"); ``@sec-x`` refers to a heading
``{#sec-x}`` by its section number ("Section 2.1"), numbered as ``--number-sections``
numbers it. ``-@fig-x`` gives the number alone. A reference to an unknown label, or a label
defined twice, is an error (Quarto only warns). Citations of other keys stay as their text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import ReportError

KINDS = {"fig": "Figure", "tbl": "Table", "sec": "Section"}
NBSP = "\u00a0"

Node = dict[str, Any]


def walk(value: Any, visit: Callable[[Node], Any]) -> Any:
    """Apply ``visit`` to every AST element (a dict with ``"t"``) in ``value``, bottom-up.

    ``visit`` returns None to keep an element, an element to replace it, or (for elements
    inside a list) a list of elements to splice in its place. Returns the new ``value``.
    """
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            new = walk(item, visit)
            if isinstance(item, dict) and isinstance(new, list):
                out.extend(new)
            else:
                out.append(new)
        return out
    if isinstance(value, dict):
        value = {key: walk(item, visit) for key, item in value.items()}
        if "t" in value:
            replaced = visit(value)
            return value if replaced is None else replaced
    return value


def text_of(inlines: Iterable[Node]) -> str:
    """Return the plain text of a list of inline elements."""
    parts: list[str] = []

    def collect(node: Node) -> None:
        if node["t"] == "Str":
            parts.append(node["c"])
        elif node["t"] in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif node["t"] in ("Code", "Math"):
            parts.append(node["c"][-1])

    walk(list(inlines), collect)
    return "".join(parts)


def section_numbers(blocks: list[Node]) -> dict[str, str]:
    """Return ``{header id: "2.1"}`` for the numbered headings among top-level ``blocks``."""
    counters = [0] * 7
    numbers: dict[str, str] = {}
    for block in blocks:
        if block["t"] != "Header":
            continue
        level, (ident, classes, _attrs) = block["c"][0], block["c"][1]
        if "unnumbered" in classes:
            continue
        counters[level] += 1
        counters[level + 1:] = [0] * (6 - level)
        numbers[ident] = ".".join(str(n) for n in counters[1:level + 1])
    return numbers


def collect_targets(doc: Node) -> dict[str, str]:
    """Return ``{label: number}`` for every fig-/tbl-/sec- target in ``doc``, in order.

    Raises :class:`ReportError` for a label defined twice.
    """
    targets: dict[str, str] = {}
    counts = {"fig": 0, "tbl": 0}
    order: list[str] = []

    def visit(node: Node) -> None:
        if node["t"] in ("Figure", "Table"):
            ident = node["c"][0][0]
            kind = ident.split("-", 1)[0]
            if "-" in ident and kind == ("fig" if node["t"] == "Figure" else "tbl"):
                order.append(ident)

    walk(doc["blocks"], visit)
    for ident in order:
        if ident in targets:
            raise ReportError(f"cross-reference label '{ident}' is defined twice")
        kind = ident.split("-", 1)[0]
        counts[kind] += 1
        targets[ident] = str(counts[kind])
    for ident, number in section_numbers(doc["blocks"]).items():
        if ident.startswith("sec-"):
            targets[ident] = number
    return targets


def caption_prefix(node: Node, targets: dict[str, str]) -> None:
    """Put "Figure N: " / "Table N: " in front of a numbered figure's or table's caption."""
    ident = node["c"][0][0]
    if ident not in targets:
        return
    label = f"{KINDS[ident.split('-', 1)[0]]}{NBSP}{targets[ident]}:"
    blocks = node["c"][1][1]
    prefix = [{"t": "Strong", "c": [{"t": "Str", "c": label}]}, {"t": "Space"}]
    if blocks and blocks[0]["t"] in ("Plain", "Para"):
        blocks[0]["c"] = prefix + blocks[0]["c"]
    else:
        blocks.insert(0, {"t": "Plain", "c": prefix[:1]})


def resolve(doc: Node, sources: list[Path] | None = None) -> dict[str, str]:
    """Number the targets of ``doc`` and replace its cross-reference citations, in place.

    Returns ``{label: number}``. Raises :class:`ReportError` naming an unknown reference
    (and the files that mention it, among ``sources``) or a duplicate label.
    """
    targets = collect_targets(doc)

    def visit(node: Node) -> list[Node] | None:
        if node["t"] in ("Figure", "Table"):
            caption_prefix(node, targets)
        elif node["t"] == "Cite":
            return cite(node, targets, sources or [])
        return None

    doc["blocks"] = walk(doc["blocks"], visit)
    return targets


def cite(node: Node, targets: dict[str, str], sources: list[Path]) -> list[Node]:
    """Return the inlines replacing one Cite element: links for cross-references, else
    the citation's own text."""
    citations, content = node["c"]
    ids = [c["citationId"] for c in citations]
    if not any(i.split("-", 1)[0] in KINDS and "-" in i for i in ids):
        return content
    links: list[Node] = []
    for citation in citations:
        ident = citation["citationId"]
        if ident not in targets:
            where = [str(p) for p in sources if f"@{ident}" in p.read_text(encoding="utf-8")]
            raise ReportError(f"unknown cross-reference @{ident}"
                              + (f" (in {', '.join(where)})" if where else "")
                              + f": no {{#{ident}}} in the document")
        kind = KINDS[ident.split("-", 1)[0]]
        text = targets[ident] if citation["citationMode"]["t"] == "SuppressAuthor" else (
            f"{kind}{NBSP}{targets[ident]}")
        if links:
            links.append({"t": "Str", "c": ","})
            links.append({"t": "Space"})
        links.append({"t": "Link", "c": [["", ["quarto-xref"], []],
                                         [{"t": "Str", "c": text}], [f"#{ident}", ""]]})
    return links
