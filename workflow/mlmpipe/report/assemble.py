"""Phase two: assemble fragments into the report's HTML and PDF."""

from __future__ import annotations

import datetime
import json
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pypandoc
import yaml

from . import quarto
from .atomic import atomic_files
from .crossref import Node, resolve
from .errors import ReportError
from .footer import footer_html, footer_text, footer_typst, read_footer
from .html import write_html
from .includes import resolve_includes, split_front_matter
from .pdf import write_pdf
from .renderer import choose_renderer, quarto_executable, renderer_description
from .source import load_yaml

__all__ = ["assemble", "read_footer"]


def assemble(main: str | Path, *, html: str | Path, pdf: str | Path,
             footer: dict[str, Any] | None = None, renderer: str = "auto") -> tuple[Path, Path]:
    """Assemble the report ``main`` (a ``.qmd`` of front matter and include shortcodes).

    Includes are resolved (nested, relative to each including file; images keep pointing at
    their files), cross-references numbered, and the document written to ``html`` (one
    offline file) and ``pdf``. ``footer`` is the record ``{"commit", "dirty", "date"}``
    named in both footers with the renderer; ``renderer`` is ``auto``, ``quarto`` or
    ``python``.

    Returns ``(html, pdf)``. Both files are written under temporary names and renamed into
    place only when both are complete; on failure neither exists afterwards. Raises
    :class:`ReportError` for a missing include, an unknown or duplicate cross-reference, or
    a failure of pandoc, Typst or Quarto.
    """
    main, html, pdf = Path(main).absolute(), Path(html).absolute(), Path(pdf).absolute()
    chosen = choose_renderer(renderer)
    visited: list[Path] = []
    text = resolve_includes(main, None, visited=visited)
    meta, body = front_matter(text, main, footer)
    sentence = footer_text(renderer_description(chosen), footer)
    with atomic_files([html, pdf]) as (html_tmp, pdf_tmp):
        if chosen == "quarto":
            quarto_assemble(main, meta, body, html_tmp, pdf_tmp, sentence)
        else:
            doc = markdown_ast(meta, body)
            resolve(doc, visited)
            # Each writer works on its own copy of the document: pandoc (HTML) and Typst
            # (PDF) run side by side.
            with ThreadPoolExecutor(max_workers=2) as pool:
                jobs = [pool.submit(write_html, doc, html_tmp, sentence),
                        pool.submit(write_pdf, doc, pdf_tmp, sentence, (footer or {}).get("date"))]
                for job in jobs:
                    job.result()
    return html, pdf


def front_matter(text: str, main: Path, footer: dict[str, Any] | None) -> tuple[
        dict[str, Any], str]:
    """Return ``(metadata, body)`` of the assembled text; ``date: today`` becomes the
    footer's date (or today's), as an ISO date."""
    yaml_text, body = split_front_matter(text, main)
    meta = (load_yaml(yaml_text, f"{main}: front matter") if yaml_text else None) or {}
    if not isinstance(meta, dict):
        raise ReportError(f"{main}: front matter is not a YAML mapping")
    if str(meta.get("date", "")).lower() == "today":
        stamp = (footer or {}).get("date") or datetime.date.today().isoformat()
        meta["date"] = str(stamp)[:10]
    return meta, body


def markdown_ast(meta: dict[str, Any], body: str) -> Node:
    """Return pandoc's JSON AST of ``body`` with ``meta`` as its metadata."""
    source = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n\n"
    try:
        return json.loads(pypandoc.convert_text(source + body, "json", format="markdown"))
    except RuntimeError as exc:
        raise ReportError(f"pandoc could not read the assembled markdown: {exc}") from None


def quarto_assemble(main: Path, meta: dict[str, Any], body: str, html: Path, pdf: Path,
                    sentence: str) -> None:
    """Render the assembled document with Quarto into ``html`` and ``pdf``."""
    exe = quarto_executable()
    if exe is None:
        raise ReportError("quarto is not on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / main.name
        source.write_text("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body,
                          encoding="utf-8")
        (folder / "footer.html").write_text(footer_html(sentence), encoding="utf-8")
        (folder / "footer.typ").write_text(footer_typst(sentence).replace(
            "#report-footer", "#block"), encoding="utf-8")
        commands = quarto.assemble_commands(exe, source, folder / "out.html",
                                            folder / "out.pdf", folder / "footer.html",
                                            folder / "footer.typ")
        for command, result, target in zip(commands, ("out.html", "out.pdf"), (html, pdf),
                                           strict=True):
            quarto.run(command, cwd=folder, timeout=None, what=str(main))
            shutil.move(folder / result, target)
