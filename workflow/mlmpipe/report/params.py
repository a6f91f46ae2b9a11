"""Parameters: the cell tagged ``parameters`` holds defaults; ``-P name:value`` overrides.

As in papermill and Quarto, the overrides go into a new cell placed right after the
parameters cell, so the defaults run first and the given values replace them. Values are
read as YAML scalars (``-P draws:400`` is the int 400, ``-P model:m3`` the string 'm3',
``-P fast:true`` the bool True) and written into the cell as Python literals.
"""

from __future__ import annotations

import ast
import datetime
from typing import Any

import yaml

from .errors import ReportError
from .source import Cell, Document


def parse_param_args(values: list[str] | None) -> dict[str, Any]:
    """Turn ``["name:value", ...]`` into ``{name: value}`` with YAML scalar values.

    Raises :class:`ReportError` for an item without ``:`` or with a non-scalar value.
    """
    params: dict[str, Any] = {}
    for item in values or []:
        name, sep, raw = item.partition(":")
        if not sep or not name.strip():
            raise ReportError(f"parameter {item!r} is not of the form name:value")
        params[name.strip()] = yaml_scalar(name.strip(), raw.strip())
    return params


def yaml_scalar(name: str, raw: str) -> Any:
    """Return ``raw`` read as a YAML scalar (dates become ISO strings)."""
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ReportError(f"parameter '{name}': value {raw!r} is not a scalar")
    return value


def parameter_names(cell: Cell) -> list[str]:
    """Return the names the parameters cell assigns at top level, in order.

    Raises :class:`ReportError` if the cell is not valid Python.
    """
    try:
        tree = ast.parse(cell.code)
    except SyntaxError as exc:
        raise ReportError(
            f"{cell.source}: parameters {cell.describe()} is not valid Python: {exc}"
        ) from None
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and sub.id not in names:
                    names.append(sub.id)
    return names


def inject_parameters(doc: Document, params: dict[str, Any]) -> None:
    """Insert a cell assigning ``params`` right after the document's parameters cell.

    Does nothing when ``params`` is empty. Raises :class:`ReportError` when values are
    given but no cell is tagged ``parameters``, or for a name the parameters cell does not
    define (naming it and the known ones).
    """
    if not params:
        return
    index = next((i for i, b in enumerate(doc.blocks)
                  if isinstance(b, Cell) and b.has_tag("parameters")), None)
    if index is None:
        raise ReportError(f"{doc.path}: parameters {', '.join(params)} given, but no cell "
                          "is tagged parameters (#| tags: [parameters])")
    cell = doc.blocks[index]
    known = parameter_names(cell)
    for name in params:
        if name not in known:
            raise ReportError(f"{doc.path}: unknown parameter '{name}'; the parameters "
                              f"cell defines: {', '.join(known) or 'nothing'}")
    code = "\n".join(f"{name} = {value!r}" for name, value in params.items())
    injected = Cell(cell.number, code, {"tags": ["injected-parameters"], "echo": False,
                                        "output": False}, [], cell.line, cell.source)
    doc.blocks.insert(index + 1, injected)
