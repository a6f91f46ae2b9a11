"""A cell and its Jupyter outputs as Quarto/pandoc markdown, with images written as files.

Echoed code is a fenced block ``{.python .cell-code}`` (with ``code-fold="true"`` or
``"show"`` when folded, as in Quarto's intermediate markdown); stdout and plain-text
results are fenced blocks without a language; stderr is a fenced block of class
``cell-output-stderr``; ``text/markdown`` results (DataFrames, through the kernel's
formatter) are inlined; PNG/SVG images are written beside the markdown and referenced by
name. A ``fig-``/``tbl-`` label with its caption makes the figure/table cross-referenceable:
``![caption](fig-x.png){#fig-x}`` and a pipe table followed by ``: caption {#tbl-x}``.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from .errors import ReportError
from .kernel import strip_ansi
from .source import Cell

IMAGE_TYPES = {"image/png": "png", "image/svg+xml": "svg"}
MIME_ORDER = ("text/markdown", "image/png", "image/svg+xml", "text/plain")


def fenced(text: str, attrs: str = "") -> str:
    """Return ``text`` as a fenced code block whose fence is longer than any inside it."""
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max([3] + [n + 1 for n in runs])
    return f"{fence}{attrs}\n{text.rstrip(chr(10))}\n{fence}"


def one_line(value: Any) -> str:
    """Return a caption option as one line of markdown text."""
    return " ".join(str(value).split())


def code_block(cell: Cell, defaults: dict[str, Any]) -> str | None:
    """Return the echoed code of ``cell`` as markdown, or None when it is not echoed."""
    echo = cell.option("echo", defaults)
    if echo is False or cell.option("include", defaults) is False:
        return None
    fold = cell.option("code-fold", defaults)
    attrs = ".python .cell-code"
    if fold is True or str(fold).lower() == "true":
        attrs += ' code-fold="true"'
    elif str(fold).lower() == "show":
        attrs += ' code-fold="show"'
    if echo == "fenced":
        source = "\n".join(["```{python}", *cell.option_lines, cell.code, "```"])
        return fenced(source, "{" + attrs.replace(".python", ".markdown") + "}")
    return fenced(cell.code, "{" + attrs + "}")


class OutputWriter:
    """Turns outputs into markdown, writing images into ``folder``."""

    def __init__(self, folder: Path, section: Path) -> None:
        self.folder = folder
        self.section = section

    def cell_markdown(self, cell: Cell, outputs: list[dict], defaults: dict[str, Any]) -> str:
        """Return the markdown for ``cell``: its echoed code, then its outputs.

        Raises :class:`ReportError` when a ``fig-``/``tbl-`` label lacks its caption or
        its figure/table, or a labelled cell shows more than one figure.
        """
        parts = []
        code = code_block(cell, defaults)
        if code:
            parts.append(code)
        show = cell.option("output", defaults)
        shown = show is not False and cell.option("include", defaults) is not False
        if shown and cell.option("eval", defaults) is not False:
            parts.extend(self.outputs_markdown(cell, outputs, defaults, asis=show == "asis"))
        return "\n\n".join(parts)

    def outputs_markdown(self, cell: Cell, outputs: list[dict], defaults: dict[str, Any],
                         asis: bool) -> list[str]:
        """Return one markdown block per shown output of ``cell``."""
        label = cell.label or ""
        self.check_caption(cell, label)
        parts: list[str] = []
        figures = tables = 0
        for output in merge_streams(outputs):
            kind = output["output_type"]
            if kind == "stream":
                text = strip_ansi(output["text"])
                if output["name"] == "stderr":
                    if cell.option("warning", defaults) is not False:
                        parts.append(fenced(text, "{.cell-output-stderr}"))
                else:
                    parts.append(text.strip("\n") if asis else fenced(text))
                continue
            if kind not in ("display_data", "execute_result"):
                continue
            data = output.get("data", {})
            mime = next((m for m in MIME_ORDER if m in data), None)
            if mime in IMAGE_TYPES:
                figures += 1
                parts.append(self.image(cell, data[mime], mime, figures))
            elif mime == "text/markdown":
                text = str(data[mime]).strip("\n")
                tables += 1
                if tables == 1 and cell.options.get("tbl-cap") is not None:
                    text += self.table_caption(cell, label)
                parts.append(text)
            elif mime == "text/plain":
                parts.append(fenced(strip_ansi(str(data[mime]))))
        self.check_counts(cell, label, figures, tables)
        return parts

    def check_caption(self, cell: Cell, label: str) -> None:
        """Fail when a cross-reference label has no caption option to go with it."""
        for prefix, option in (("fig-", "fig-cap"), ("tbl-", "tbl-cap")):
            if label.startswith(prefix) and cell.options.get(option) is None:
                raise ReportError(f"{self.section}: {cell.describe()}: label '{label}' "
                                  f"needs a '{option}' option to be cross-referenced")

    def check_counts(self, cell: Cell, label: str, figures: int, tables: int) -> None:
        """Fail when a labelled figure/table cell did not produce exactly what it names."""
        if label.startswith("fig-") and figures != 1:
            raise ReportError(f"{self.section}: {cell.describe()}: label '{label}' needs "
                              f"exactly one figure, the cell showed {figures}")
        if cell.options.get("tbl-cap") is not None and tables == 0:
            raise ReportError(f"{self.section}: {cell.describe()}: 'tbl-cap' is set but "
                              "the cell showed no table")

    def image(self, cell: Cell, payload: Any, mime: str, count: int) -> str:
        """Write one image output to a file; return its markdown image."""
        label = cell.label or ""
        stem = label if label.startswith("fig-") else f"cell-{cell.number}-{count}"
        name = f"{stem}.{IMAGE_TYPES[mime]}"
        if mime == "image/png":
            (self.folder / name).write_bytes(base64.b64decode(payload))
        else:
            text = payload if isinstance(payload, str) else "".join(payload)
            (self.folder / name).write_text(text, encoding="utf-8")
        caption = cell.options.get("fig-cap")
        attrs = f"{{#{label}}}" if label.startswith("fig-") else ""
        return f"![{one_line(caption) if caption is not None else ''}]({name}){attrs}"

    @staticmethod
    def table_caption(cell: Cell, label: str) -> str:
        """Return pandoc's caption line for the cell's table."""
        attrs = f" {{#{label}}}" if label.startswith("tbl-") else ""
        return f"\n\n: {one_line(cell.options['tbl-cap'])}{attrs}"


def merge_streams(outputs: list[dict]) -> list[dict]:
    """Return ``outputs`` with consecutive stream outputs of one name joined."""
    merged: list[dict] = []
    for output in outputs:
        if (output.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1]["name"] == output["name"]):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + output["text"]}
        else:
            merged.append(dict(output))
    return merged
