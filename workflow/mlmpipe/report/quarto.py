"""The Quarto path: the same two phases, run by ``quarto render``.

Executing a section: the section (includes resolved, as Quarto would) is copied into the
fragment's temporary folder as ``section.qmd`` and rendered with

    quarto render section.qmd --to html --execute --execute-dir CWD -M keep-md:true
        [-P name:value ...]

``keep-md`` keeps the markdown Quarto writes after executing the cells and before pandoc
runs (``section.html.md``; figures under ``section_files/``): Quarto's own frozen form of
the section, with ``{#fig-}``/``{#tbl-}`` labels still unresolved (``--to markdown`` would
resolve or drop them). It becomes the fragment's ``section.md``.

Assembling: the main document (includes resolved) is rendered twice,
``--to html`` (with ``-M embed-resources:true``) and ``--to typst`` (a PDF), with our
footer passed to pandoc as ``--include-after-body``. Quarto numbers cross-references itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import ReportError


def execute_command(quarto: str, source: Path, cwd: Path, params: dict[str, object]) -> list[
        str]:
    """Return the ``quarto render`` command that executes ``source`` into kept markdown."""
    command = [quarto, "render", str(source), "--to", "html", "--execute",
               "--execute-dir", str(cwd), "-M", "keep-md:true"]
    for name, value in params.items():
        command += ["-P", f"{name}:{format_value(value)}"]
    return command


def format_value(value: object) -> str:
    """Return a parameter value as Quarto reads it back (YAML scalars)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def assemble_commands(quarto: str, main: Path, html: Path, pdf: Path, footer_html: Path,
                      footer_typst: Path) -> list[list[str]]:
    """Return the two ``quarto render`` commands that write ``html`` and ``pdf``.

    Quarto writes ``--output`` as a file name in the input's folder; the caller moves the
    results into place.
    """
    common = [quarto, "render", str(main), "-M", "toc:true", "-M", "number-sections:true"]
    return [
        [*common, "--to", "html", "--output", html.name, "-M", "embed-resources:true",
         "--include-after-body", str(footer_html)],
        [*common, "--to", "typst", "--output", pdf.name,
         "--include-after-body", str(footer_typst)],
    ]


def run(command: list[str], *, cwd: Path, timeout: float | None, what: str) -> None:
    """Run a Quarto command. Raises :class:`ReportError` with its output when it fails or
    runs longer than ``timeout`` seconds (the process is killed)."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ReportError(f"{what}: quarto was still running after {timeout:g} s and was "
                          "killed") from None
    if done.returncode != 0:
        raise ReportError(f"{what}: quarto render failed (exit {done.returncode})",
                          detail=(done.stdout + done.stderr).strip())


def collect_kept_markdown(folder: Path, stem: str) -> Path:
    """Rename Quarto's kept ``STEM.html.md`` in ``folder`` to ``section.md``; return it.

    Removes the other files Quarto left there (the copied source and the HTML). Raises
    :class:`ReportError` when Quarto kept no markdown.
    """
    kept = folder / f"{stem}.html.md"
    if not kept.is_file():
        raise ReportError(f"quarto render kept no markdown: expected {kept}")
    for leftover in (folder / f"{stem}.qmd", folder / f"{stem}.html"):
        leftover.unlink(missing_ok=True)
    target = folder / "section.md"
    kept.replace(target)
    return target
