"""Per-format rewrites of pandoc's JSON AST: callouts and folded code.

Callouts (``::: {.callout-note}``, also tip, warning, important and caution) get a title
(with ``collapse="true"``, an HTML ``<details>`` closed until clicked; the PDF shows it open):
the ``title`` attribute, else a first heading inside the callout, else the kind's name.
In HTML they become ``div.callout.callout-KIND`` with a ``div.callout-title``; in Typst a
call of the template's ``callout`` function. Echoed code marked ``code-fold="true"`` (or
``"show"``) is wrapped in ``<details>`` with the summary "Code" (open for ``show``) in HTML;
the PDF shows it unfolded.
"""

from __future__ import annotations

import html
import re

from .crossref import Node, text_of, walk

CALLOUT_KINDS = ("note", "tip", "warning", "important", "caution")


def callout_parts(node: Node) -> tuple[str, str, list[Node]] | None:
    """Return ``(kind, title, body blocks)`` for a callout Div, or None for other nodes."""
    if node["t"] != "Div":
        return None
    (_ident, classes, attrs), blocks = node["c"]
    kind = next((c.removeprefix("callout-") for c in classes
                 if c.removeprefix("callout-") in CALLOUT_KINDS and c.startswith("callout-")),
                None)
    if kind is None:
        return None
    title = dict(attrs).get("title")
    if title is None and blocks and blocks[0]["t"] == "Header":
        title = text_of(blocks[0]["c"][2])
        blocks = blocks[1:]
    return kind, title or kind.capitalize(), blocks


def html_blocks(doc: Node) -> Node:
    """Return ``doc`` with callouts and folded code rewritten for HTML (in place)."""

    def visit(node: Node) -> Node | list[Node] | None:
        parts = callout_parts(node)
        if parts and dict(node["c"][0][2]).get("collapse") == "true":
            kind, title, blocks = parts  # Quarto's collapsed callout: closed until clicked
            opening = (f'<details class="callout callout-{kind}"><summary class="callout-title">'
                       f'{html.escape(title)}</summary><div class="callout-body">')
            return [raw("html", opening), *blocks, raw("html", "</div></details>")]
        if parts:
            kind, title, blocks = parts
            head = {"t": "Div", "c": [["", ["callout-title"], []],
                                      [{"t": "Plain", "c": [{"t": "Str", "c": title}]}]]}
            body = {"t": "Div", "c": [["", ["callout-body"], []], blocks]}
            return {"t": "Div", "c": [[node["c"][0][0], ["callout", f"callout-{kind}"], []],
                                      [head, body]]}
        if node["t"] == "CodeBlock":
            fold = dict(node["c"][0][2]).get("code-fold")
            if fold in ("true", "show"):
                opening = '<details class="code-fold"' + (" open" if fold == "show" else "")
                return [raw("html", opening + "><summary>Code</summary>"), node,
                        raw("html", "</details>")]
        return None

    doc["blocks"] = walk(doc["blocks"], visit)
    return doc


def typst_blocks(doc: Node) -> Node:
    """Return ``doc`` with callouts rewritten as the Typst template's ``callout`` calls."""

    def visit(node: Node) -> list[Node] | None:
        parts = callout_parts(node)
        if not parts:
            return None
        kind, title, blocks = parts
        opening = f'#callout(kind: "{kind}", title: [{typst_escape(title)}])['
        return [raw("typst", opening), *blocks, raw("typst", "]")]

    doc["blocks"] = walk(doc["blocks"], visit)
    return doc


def raw(fmt: str, text: str) -> Node:
    """Return a RawBlock element of format ``fmt``."""
    return {"t": "RawBlock", "c": [fmt, text]}


def typst_escape(text: str) -> str:
    """Return ``text`` escaped for Typst markup (content in square brackets)."""
    return re.sub(r"([\\\[\]#*_`$<>@=/~\"'-])", r"\\\1", text)
