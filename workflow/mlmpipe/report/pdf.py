"""The PDF output: pandoc's Typst writer with our template, compiled by ``typst``."""

from __future__ import annotations

import datetime
import json
import struct
import tempfile
from pathlib import Path
from typing import Any

import pypandoc
import typst

from .blocks import typst_blocks
from .crossref import Node, walk
from .errors import ReportError
from .footer import footer_typst

TEMPLATE = Path(__file__).with_name("report.typ")
# The template's text width (A4, 2.3 cm margins), in inches.
TEXT_WIDTH_IN = (21.0 - 2 * 2.3) / 2.54


def png_width_inches(path: Path) -> float | None:
    """Return a PNG's width in inches (its pixel width over its pHYs resolution, else
    96 dpi), or None when ``path`` is not a readable PNG."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width = struct.unpack(">I", data[16:20])[0]
    dpi, offset = 96.0, 8
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"pHYs" and length >= 9:
            per_x, _per_y, unit = struct.unpack(">IIB", data[offset + 8:offset + 17])
            dpi = per_x * 0.0254 if unit == 1 and per_x else dpi
            break
        if kind == b"IDAT":
            break
        offset += 12 + length
    return width / dpi


def fit_images(doc: Node) -> Node:
    """Give images wider than the text column ``width=100%`` (in place); others keep
    their natural size. Returns ``doc``."""

    def visit(node: Node) -> None:
        if node["t"] != "Image":
            return
        attrs = node["c"][0][2]
        if any(key == "width" for key, _ in attrs):
            return
        inches = png_width_inches(Path(node["c"][2][0]))
        if inches is not None and inches > TEXT_WIDTH_IN:
            attrs.append(["width", "100%"])

    walk(doc["blocks"], visit)
    return doc


def write_pdf(doc: Node, out: Path, footer: str, date: Any = None) -> Path:
    """Write ``doc`` (pandoc JSON AST, cross-references resolved) as a PDF to ``out``.

    Images are read from the absolute paths in ``doc``. ``date`` (ISO text or a date)
    becomes the PDF's creation date, so equal inputs give equal files. Returns ``out``.
    Raises :class:`ReportError` if pandoc or Typst fails.
    """
    doc = fit_images(typst_blocks(json.loads(json.dumps(doc))))
    with tempfile.TemporaryDirectory() as tmp:
        footer_file = Path(tmp) / "footer.typ"
        footer_file.write_text(footer_typst(footer), encoding="utf-8")
        source = Path(tmp) / "report.typ"
        args = ["--standalone", f"--template={TEMPLATE}", "--toc", "--toc-depth=2",
                "--number-sections", f"--include-after-body={footer_file}"]
        try:
            pypandoc.convert_text(json.dumps(doc), "typst", format="json", extra_args=args,
                                  outputfile=str(source))
        except RuntimeError as exc:
            raise ReportError(f"pandoc could not write the Typst source: {exc}") from None
        try:
            typst.compile(str(source), output=str(out), root="/", ignore_system_fonts=True,
                          timestamp=timestamp(date))
        except typst.TypstError as exc:
            raise ReportError(f"typst could not compile the PDF: {exc}") from None
    return out


def timestamp(date: Any) -> int | None:
    """Return ``date`` (ISO text, date or datetime) as Unix seconds, or None."""
    if date is None:
        return None
    if isinstance(date, str):
        try:
            date = datetime.datetime.fromisoformat(date.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(date, datetime.date) and not isinstance(date, datetime.datetime):
        date = datetime.datetime.combine(date, datetime.time(), tzinfo=datetime.UTC)
    if date.tzinfo is None:
        date = date.replace(tzinfo=datetime.UTC)
    return int(date.timestamp())
