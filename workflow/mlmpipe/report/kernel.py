"""Run a section's cells in a Jupyter kernel (nbclient driving ipykernel).

The kernel is the ``python3`` kernel of the running interpreter (jupyter_client starts
native kernelspecs with ``sys.executable``), started in the given working folder. Before
the section's cells, a set-up cell (not shown in the output) selects matplotlib's inline
backend with PNG figures and registers a ``text/markdown`` formatter that shows pandas
DataFrames as pipe tables.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .errors import ReportError
from .source import Cell

# nbclient logs a timeout as an error before raising; we report it ourselves.
QUIET_LOG = logging.getLogger("mlmpipe.report.nbclient")
QUIET_LOG.setLevel(logging.CRITICAL)

# Importing matplotlib and pandas in the set-up cell may be slow on a cold cache; it is not
# held to the (possibly small) per-cell limit of the section's own cells.
SETUP_TIMEOUT = 120

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

SETUP_CODE = r'''
def __mlmpipe_report_setup():
    import sys
    ip = get_ipython()
    try:
        import matplotlib
        ip.run_line_magic("matplotlib", "inline")
        ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
    except ImportError:
        pass
    try:
        import pandas as pd
    except ImportError:
        return sys.executable

    def frame_markdown(frame):
        shown = frame
        if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
            shown = frame.reset_index()
        return shown.to_markdown(index=False, tablefmt="pipe")

    ip.display_formatter.formatters["text/markdown"].for_type(pd.DataFrame, frame_markdown)
    return sys.executable
__mlmpipe_report_setup()
'''


def strip_ansi(text: str) -> str:
    """Return ``text`` without ANSI colour and cursor escape codes."""
    return ANSI_RE.sub("", text)


def error_traceback(cell: Any) -> str:
    """Return the ANSI-free traceback of the error output of an executed notebook cell."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
            return strip_ansi("\n".join(lines))
    return ""


def run_cells(cells: list[Cell], *, defaults: dict[str, Any], section: Path, cwd: Path,
              timeout: float) -> tuple[list[list[dict]], str]:
    """Execute ``cells`` in order in one fresh kernel started in ``cwd``.

    ``defaults`` are the document's cell option defaults (for ``eval``).
    Returns ``(outputs, executable)``: the Jupyter outputs of each cell (an empty list for
    a cell with ``eval: false``) and the kernel's ``sys.executable``. Raises
    :class:`ReportError` when a cell raises (naming ``section``, the cell and the
    traceback), when a cell runs longer than ``timeout`` seconds (the kernel is killed),
    or when the kernel dies.
    """
    notebook = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell(SETUP_CODE)
    notebook.cells = [setup] + [nbformat.v4.new_code_cell(c.code) for c in cells]
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", allow_errors=False,
        shutdown_kernel="immediate", log=QUIET_LOG, resources={"metadata": {"path": str(cwd)}})
    results: list[list[dict]] = []
    with client.setup_kernel():
        execute(client, setup, 0, None, section, max(timeout, SETUP_TIMEOUT))
        executable = setup_executable(setup)
        for index, cell in enumerate(cells, start=1):
            nb_cell = notebook.cells[index]
            if cell.option("eval", defaults) is False:
                results.append([])
                continue
            execute(client, nb_cell, index, cell, section, timeout)
            results.append([dict(o) for o in nb_cell.outputs])
    return results, executable


def setup_executable(setup: Any) -> str:
    """Return the kernel's ``sys.executable`` printed by the set-up cell's result."""
    for output in setup.outputs:
        if output.get("output_type") == "execute_result":
            return str(output["data"].get("text/plain", "")).strip("'\"")
    return ""


def execute(client: NotebookClient, nb_cell: Any, index: int, cell: Cell | None,
            section: Path, timeout: float) -> None:
    """Execute one notebook cell, turning nbclient's failures into :class:`ReportError`."""
    where = cell.describe() if cell else "the renderer's set-up cell"
    client.timeout = timeout
    try:
        client.execute_cell(nb_cell, index)
    except CellTimeoutError:
        raise ReportError(
            f"{section}: {where} was still running after the {timeout:g} s timeout; "
            "the kernel was killed") from None
    except DeadKernelError as exc:
        raise ReportError(f"{section}: the kernel died while running {where}: {exc}") from None
    except CellExecutionError as exc:
        traceback = error_traceback(nb_cell) or strip_ansi(str(exc))
        raise ReportError(f"{section}: {where} raised {exc.ename}: {exc.evalue}",
                          detail=traceback) from None
