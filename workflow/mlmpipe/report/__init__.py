"""The course report: Quarto sources rendered by Quarto, or by our own renderer without it.

Two phases, as with Quarto's ``freeze``:

1. :func:`execute_section` runs one ``.qmd`` section's ``{python}`` cells in a Jupyter
   kernel and writes a *fragment*: a folder holding ``section.md`` (pandoc markdown with
   the cells' outputs), the figures as PNG/SVG files it references by relative name, and
   ``fragment.json`` (source, parameters, working folder, renderer, seconds taken).
2. :func:`assemble` inlines fragments into a main ``.qmd`` through include shortcodes,
   numbers cross-references and writes one self-contained HTML file (pandoc) and a PDF
   (pandoc's Typst writer, compiled with the ``typst`` package).

The ``.qmd`` subset our renderer supports (Quarto, when installed, renders the same
sources itself):

- YAML front matter. ``title`` becomes the fragment's level-1 heading (``--no-title``
  drops it); ``code-fold`` (top level or under ``format: html:``) sets the default for
  every cell; ``execute:`` may set default ``echo``, ``output``, ``eval``, ``include``
  and ``warning``. Other keys are ignored.
- ``{{< include path >}}`` on a line of its own (outside code blocks), relative to the
  including file, nested; resolved before execution, as in Quarto. Included files' front
  matter is dropped. Relative image paths in included text are rewritten to stay valid.
- ``{python}`` cells with ``#|`` options: ``label``; ``echo`` (true/false/fenced);
  ``output`` (true/false/asis: stdout as raw markdown); ``eval``; ``include`` (false runs
  the cell and shows nothing); ``fig-cap`` (with a ``fig-`` label: a numbered figure;
  the cell must show exactly one figure); ``tbl-cap`` (with a ``tbl-`` label: a
  numbered table, from a pandas DataFrame shown as the cell's result); ``code-fold``
  (true/false/show: echoed code in a ``<details>`` block headed "Code"); ``warning``
  (false hides stderr, where Python warnings go); ``tags: [parameters]``. Any other
  option is ignored with a logged warning naming it and the cell. Other engines than
  ``python`` and inline code are not supported.
- Parameters: the cell tagged ``parameters`` holds defaults; ``-P name:value`` values
  (YAML scalars) are assigned in a cell injected right after it. An unknown name fails.
- Cross-references: ``{#fig-x}`` figures, ``{#tbl-x}`` tables and ``{#sec-x}`` headings,
  referred to as ``@fig-x``, ``@tbl-x``, ``@sec-x``; numbered in document order across
  all fragments. An unknown or duplicate label fails the build (Quarto only warns).
- Callouts ``::: {.callout-note}`` (note, tip, warning, important, caution; an optional
  ``title="..."``), LaTeX math ``$...$`` / ``$$...$$`` (MathML in HTML).

Every failure is a :class:`ReportError` whose message names the file, cell, option,
parameter or reference concerned.
"""

from .assemble import assemble
from .errors import ReportError
from .execute import execute_section

__all__ = ["ReportError", "assemble", "execute_section"]
