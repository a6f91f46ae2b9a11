"""Phase one: execute a section into a frozen fragment (``section.md`` plus images)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import yaml

from . import quarto
from .atomic import atomic_dir
from .errors import ReportError
from .kernel import run_cells
from .outputs import OutputWriter
from .params import inject_parameters
from .renderer import choose_renderer, quarto_executable, renderer_description
from .source import Cell, Document, read_document

log = logging.getLogger("mlmpipe.report")

FRAGMENT = "section.md"
RECORD = "fragment.json"


def execute_section(source: str | Path, out_dir: str | Path,
                    params: dict[str, Any] | None = None, *, timeout: float = 600,
                    cwd: str | Path | None = None, renderer: str = "auto",
                    title_heading: bool = True) -> Path:
    """Execute the ``.qmd`` section ``source`` into the fragment folder ``out_dir``.

    ``params`` override the defaults of the cell tagged ``parameters``; ``timeout`` is the
    limit for one cell, in seconds; cells run with ``cwd`` (default: the current folder)
    as working folder; ``renderer`` is ``auto``, ``quarto`` or ``python``. With
    ``title_heading`` the front matter's ``title`` becomes the fragment's level-1 heading;
    without it, the title is dropped.

    Returns the path of ``out_dir/section.md``. The folder is built beside ``out_dir`` and
    renamed into place, so it appears complete or not at all; on failure an earlier
    ``out_dir`` is removed too. Raises :class:`ReportError` for any failure of the source,
    its parameters or its cells.
    """
    source, out_dir = Path(source).absolute(), Path(out_dir).absolute()
    cwd = Path(cwd).absolute() if cwd is not None else Path.cwd()
    params = dict(params or {})
    chosen = choose_renderer(renderer)
    started = time.monotonic()
    with atomic_dir(out_dir) as folder:
        doc = read_document(source, out_dir)
        inject_parameters(doc, params)
        if chosen == "quarto":
            quarto_fragment(doc, folder, params, cwd=cwd, timeout=timeout)
        else:
            python_fragment(doc, folder, cwd=cwd, timeout=timeout, title_heading=title_heading)
        record = {"source": str(source), "params": params, "cwd": str(cwd),
                  "renderer": renderer_description(chosen),
                  "seconds": round(time.monotonic() - started, 3)}
        (folder / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return out_dir / FRAGMENT


def python_fragment(doc: Document, folder: Path, *, cwd: Path, timeout: float,
                    title_heading: bool) -> Path:
    """Run ``doc``'s cells in a kernel and write its fragment into ``folder``; return it."""
    defaults = doc.defaults()
    outputs, executable = run_cells(doc.cells, defaults=defaults, section=doc.path, cwd=cwd,
                                    timeout=timeout)
    log.info("%s: %d cells run by %s", doc.path, len(doc.cells), executable)
    by_cell = dict(zip((id(c) for c in doc.cells), outputs, strict=True))
    writer = OutputWriter(folder, doc.path)
    parts: list[str] = []
    title = doc.meta.get("title")
    if title_heading and title:
        parts.append(f"# {' '.join(str(title).split())}")
    for block in doc.blocks:
        if isinstance(block, Cell):
            text = writer.cell_markdown(block, by_cell[id(block)], defaults)
            if text:
                parts.append(text)
        else:
            parts.append(block.strip("\n"))
    target = folder / FRAGMENT
    target.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return target


def quarto_fragment(doc: Document, folder: Path, params: dict[str, Any], *, cwd: Path,
                    timeout: float) -> Path:
    """Have Quarto execute ``doc`` and keep its markdown as the fragment; return it.

    The source is copied, includes resolved, into ``folder`` (so Quarto writes nothing
    beside the report's sources); the injected parameters travel as ``-P`` flags instead.
    """
    exe = quarto_executable()
    if exe is None:
        raise ReportError("quarto is not on PATH")
    copy = folder / "section.qmd"
    copy.write_text(source_text(doc), encoding="utf-8")
    command = quarto.execute_command(exe, copy, cwd, params)
    limit = timeout * max(1, len(doc.cells))
    quarto.run(command, cwd=folder, timeout=limit, what=str(doc.path))
    return quarto.collect_kept_markdown(folder, "section")


def source_text(doc: Document) -> str:
    """Return ``doc`` written back as ``.qmd`` text (front matter, markdown and cells),
    without the injected-parameters cell."""
    parts = []
    if doc.meta:
        parts.append("---\n" + yaml.safe_dump(doc.meta, sort_keys=False) + "---")
    for block in doc.blocks:
        if isinstance(block, Cell):
            if block.has_tag("injected-parameters"):
                continue
            parts.append("\n".join(["```{python}", *block.option_lines, block.code, "```"]))
        else:
            parts.append(block)
    return "\n\n".join(parts) + "\n"
