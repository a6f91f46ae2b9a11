"""Comparisons between models (loo's ``loo_compare``) from their pointwise PSIS-LOO values.

:func:`compare` is ``loo_compare``: models sorted best first, ``elpd_diff`` and ``se_diff``
from the pointwise differences with the best model. Models fitted to different rows are
refused, since their elpd values do not estimate the same thing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import atomic_path, write_text_atomic
from mlmpipe.loo import POINTWISE_COLUMNS, r_number, sum_se
from mlmpipe.summary import format_r_matrix

COMPARE_COLUMNS = (
    "elpd_diff",
    "se_diff",
    "elpd_loo",
    "se_elpd_loo",
    "p_loo",
    "se_p_loo",
    "looic",
    "se_looic",
)


class LooCompareError(MlmpipeError, ValueError):
    """Raised when models cannot be compared (fitted to different rows, or fewer than two)."""


def read_pointwise(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a pointwise LOO CSV written by :func:`write_loo`.

    Raises:
        LooCompareError: a column of :data:`POINTWISE_COLUMNS` is missing.
    """
    frame = pd.read_csv(Path(path))
    missing = [c for c in POINTWISE_COLUMNS if c not in frame.columns]
    if missing:
        raise LooCompareError(f"{path}: pointwise LOO table lacks column(s) {', '.join(missing)}")
    return frame


def check_same_rows(pointwise: Mapping[str, pd.DataFrame]) -> None:
    """Raise :class:`LooCompareError` unless every model was fitted to the same rows.

    Rows are compared by count first, then by identity (the ``obs`` column: each row's
    position in the input data).
    """
    names = list(pointwise)
    if len(names) < 2:
        raise LooCompareError(f"a LOO comparison needs at least two models, got {names}")
    counts = {m: len(p) for m, p in pointwise.items()}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{m} ({n} rows)" for m, n in counts.items())
        raise LooCompareError(
            f"cannot compare {listed}: LOO comparisons need models fitted to the same rows "
            "(rows with a missing value in a formula variable were dropped for some models)"
        )
    reference = pointwise[names[0]]["obs"].to_numpy()
    for m in names[1:]:
        other = pointwise[m]["obs"].to_numpy()
        if not np.array_equal(np.sort(reference), np.sort(other)):
            only = sorted(set(reference.tolist()) ^ set(other.tolist()))[:5]
            raise LooCompareError(
                f"cannot compare {names[0]} and {m}: both have {len(reference)} rows but not "
                f"the same ones (rows in one model only, first: {only})"
            )


def compare(pointwise: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Return loo's ``loo_compare`` table, best model first (index: the model names).

    Columns :data:`COMPARE_COLUMNS`. ``elpd_diff`` is each model's ``elpd_loo`` minus the
    best model's, and ``se_diff`` the SE of the pointwise differences, matched by row.

    Raises:
        LooCompareError: fewer than two models, or models fitted to different rows.
    """
    check_same_rows(pointwise)
    aligned = {m: p.set_index("obs").sort_index() for m, p in pointwise.items()}
    stats = {}
    for m, p in aligned.items():
        stats[m] = {
            "elpd_loo": p["elpd_loo"].sum(),
            "se_elpd_loo": sum_se(p["elpd_loo"].to_numpy()),
            "p_loo": p["p_loo"].sum(),
            "se_p_loo": sum_se(p["p_loo"].to_numpy()),
            "looic": p["looic"].sum(),
            "se_looic": sum_se(p["looic"].to_numpy()),
        }
    order = sorted(stats, key=lambda m: -stats[m]["elpd_loo"])  # stable: ties keep input order
    best = aligned[order[0]]["elpd_loo"].to_numpy()
    rows = {}
    for m in order:
        diff = aligned[m]["elpd_loo"].to_numpy() - best
        rows[m] = {
            "elpd_diff": float(diff.sum()),
            "se_diff": 0.0 if m == order[0] else sum_se(diff),
            **stats[m],
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(COMPARE_COLUMNS))


def compare_text(table: pd.DataFrame, digits: int = 1) -> str:
    """Return ``print(loo_compare(...), simplify = FALSE)`` as loo prints it.

    Every number is formatted with one common width (R's ``format`` of a matrix) and the
    columns are left-aligned (``print(quote = FALSE)`` of a character matrix).
    """
    values = table[list(COMPARE_COLUMNS)].to_numpy(dtype=float)
    texts = [[r_number(v, digits) for v in row] for row in values]
    width = max(len(t) for row in texts for t in row)
    cells = pd.DataFrame(
        [[t.rjust(width) for t in row] for row in texts], columns=list(COMPARE_COLUMNS)
    )
    return format_r_matrix([str(m) for m in table.index], cells, right=False)


def write_compare(
    table: pd.DataFrame, csv_path: str | os.PathLike[str], txt_path: str | os.PathLike[str]
) -> None:
    """Write a comparison as CSV (column ``model`` first) and as loo's printout."""
    with atomic_path(csv_path) as tmp:
        table.reset_index(names="model").to_csv(tmp, index=False)
    write_text_atomic(txt_path, compare_text(table))


def compare_files(
    models: Sequence[str], pointwise_paths: Sequence[str | os.PathLike[str]]
) -> pd.DataFrame:
    """Read each model's pointwise LOO CSV and return :func:`compare` of them."""
    if len(models) != len(pointwise_paths):
        raise LooCompareError(
            f"{len(models)} models but {len(pointwise_paths)} pointwise LOO files"
        )
    return compare({m: read_pointwise(p) for m, p in zip(models, pointwise_paths, strict=True)})
