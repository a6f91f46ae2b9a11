"""Plain JSON values from config sections, Snakemake's named lists and numpy scalars, and the
canonical JSON (and its sha256) that config hashes use."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Mapping
from typing import Any


def canonical_json(value: Any) -> str:
    """Return ``value`` as compact JSON with sorted keys: the form that config hashes use."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"))


def sha256_json(value: Any) -> str:
    """Return the sha256 of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def to_jsonable(value: Any) -> Any:
    """Return ``value`` converted to plain JSON types (paths and unknown objects as strings).

    Mappings become dicts with string keys, Snakemake's named lists become dicts of their named
    items (or lists when nothing is named), numpy scalars become Python numbers.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    names = getattr(value, "_names", None)
    if isinstance(names, dict) and isinstance(value, list):
        if names:
            return {str(k): to_jsonable(v) for k, v in named_items(value)}
        return [to_jsonable(v) for v in value]
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v) for v in items]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        with contextlib.suppress(Exception):
            return to_jsonable(item())
    return str(value)


def named_items(values: Any) -> list[tuple[str, Any]]:
    """Return ``(name, value)`` pairs of a Snakemake named list, a mapping or a plain list.

    Named entries keep their names; unnamed entries of a named list are called ``input_<i>``
    (by their position); a plain string or path is one entry called ``input``.
    """
    if values is None:
        return []
    if isinstance(values, str | os.PathLike):
        return [("input", values)]
    if isinstance(values, Mapping):
        return list(values.items())
    names = getattr(values, "_names", None)
    if isinstance(names, dict):
        covered: set[int] = set()
        pairs: list[tuple[int, str, Any]] = []
        for name, (start, end) in names.items():
            stop = start + 1 if end is None else end
            covered.update(range(start, stop))
            item = values[start] if end is None else list(values[start:end])
            pairs.append((start, str(name), item))
        for index, item in enumerate(values):
            if index not in covered:
                pairs.append((index, f"input_{index}", item))
        pairs.sort(key=lambda row: row[0])
        return [(name, value) for _, name, value in pairs]
    return [(f"input_{i}", v) for i, v in enumerate(values)]
