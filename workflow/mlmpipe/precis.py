"""The lecture's data summary, as ``rethinking::precis`` computes and R prints it.

:func:`precis` computes per column the mean, sd, 5.5% and 94.5% quantiles and a text
histogram (missing values dropped per column as R does), with R's ``pretty``, ``hist`` and
``quantile`` reimplemented here; :func:`format_precis` prints it as R prints the data frame.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mlmpipe.fileio import atomic_path, write_text_atomic

log = logging.getLogger(__name__)

SPARKS = "\u2581\u2582\u2583\u2585\u2587"
"""The five bar characters of rethinking's (and Hadley Wickham's precis's) histospark."""

_DBL_EPSILON = np.finfo(float).eps
_DBL_MIN = np.finfo(float).tiny


def r_pretty(lo: float, hi: float, n: int = 5, min_n: int | None = None) -> np.ndarray:
    """Return R's ``pretty(c(lo, hi), n, min.n)``: about ``n + 1`` equally spaced round
    values (1, 2 or 5 times a power of 10 apart) covering ``[lo, hi]``.

    Follows R's ``R_pretty`` (src/appl/pretty.c) with its default biases
    (``high.u.bias = 1.5``, ``u5.bias = 2.75``, ``shrink.sml = 0.75``).
    """
    if min_n is None:
        min_n = n // 3
    h, h5, rounding_eps = 1.5, 0.5 + 1.5 * 1.5, 1e-10
    unit = _pretty_unit(_pretty_cell(lo, hi, n, min_n, h, h5), h, h5)
    ns = math.floor(lo / unit + rounding_eps)
    nu = math.ceil(hi / unit - rounding_eps)
    while ns * unit > lo + rounding_eps * unit:
        ns -= 1
    while nu * unit < hi - rounding_eps * unit:
        nu += 1
    k = int(0.5 + nu - ns)
    if k < min_n:
        k = min_n - k
        if ns >= 0:
            nu += k // 2
            ns -= k // 2 + k % 2
        else:
            ns -= k // 2
            nu += k // 2 + k % 2
        ndiv = min_n
    else:
        ndiv = k
    low, high = ns * unit, nu * unit
    breaks = _r_seq_length_out(low, high, ndiv + 1)
    if ndiv:
        delta = (high - low) / ndiv
        breaks[np.abs(breaks) < 1e-14 * delta] = 0.0
    return breaks


def _pretty_cell(lo: float, hi: float, n: int, min_n: int, h: float, h5: float) -> float:
    """Return ``R_pretty``'s first cell size: the range over ``n``, or for a tiny range a
    size from the magnitude of its ends (``shrink.sml = 0.75``); at least ``2^-20`` DBL_MIN."""
    f_min, shrink = 2.0**-20, 0.75
    dx = hi - lo
    if dx == 0 and hi == 0:
        cell, small = 1.0, True
    else:
        cell = max(abs(lo), abs(hi))
        u = 1 + (1 / (1 + h) if h5 >= 1.5 * h + 0.5 else 1.5 / (1 + h5))
        u *= max(1, n) * _DBL_EPSILON
        small = dx < cell * u * 3
    if small:
        if cell > 10:
            cell = 9 + cell / 10
        cell *= shrink
        if min_n > 1:
            cell /= min_n
    else:
        cell = dx
        if n > 1:
            cell /= n
    return max(cell, f_min * _DBL_MIN)


def _pretty_unit(cell: float, h: float, h5: float) -> float:
    """Return ``R_pretty``'s unit for ``cell``: 1, 2, 5 or 10 times a power of 10."""
    base = 10.0 ** math.floor(math.log10(cell))
    unit = base
    if 2 * base - cell < h * (cell - unit):
        unit = 2 * base
        if 5 * base - cell < h5 * (cell - unit):
            unit = 5 * base
            if 10 * base - cell < h * (cell - unit):
                unit = 10 * base
    return unit


def _r_seq_length_out(start: float, end: float, length: int) -> np.ndarray:
    """Return R's ``seq.int(start, end, length.out = length)`` (filled from both ends)."""
    out = np.empty(length)
    if length > 0:
        out[0] = start
    if length > 1:
        out[-1] = end
    if length > 2:
        by = (end - start) / (length - 1)
        for i in range(1, length - 1):
            out[i] = start + i * by if i < length // 2 else end - (length - 1 - i) * by
    return out


def r_hist_counts(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Return the counts R's ``hist(values, breaks)`` gives: right-closed bins, the lowest
    including its left edge, with R's 1e-7 fuzz on the breaks."""
    h = np.diff(breaks)
    nb = len(breaks)
    if nb > 5:
        diddle = 1e-7 * float(np.median(h))
    elif nb <= 3:
        diddle = 1e-7 * float(np.ptp(values))
    else:
        diddle = 1e-7 * float(h[h > 0].min())
    fuzzy = breaks + np.r_[-diddle, np.full(nb - 1, diddle)]
    index = np.searchsorted(fuzzy, values, side="left")  # bin i holds (fuzzy[i-1], fuzzy[i]]
    index = np.clip(index, 1, nb - 1)
    return np.bincount(index - 1, minlength=nb - 1)


def histospark(values: Sequence[float] | np.ndarray | pd.Series, width: int = 10) -> str:
    """Return rethinking's text histogram of ``values``: one of ▁▂▃▅▇ per bin of R's
    ``hist(values, breaks = width)`` (so about ``width`` bins at round breaks), the bar
    chosen by the bin's count relative to the largest in fifths. Missing and infinite
    values are dropped; with none left, ``width`` spaces."""
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return " " * width
    breaks = r_pretty(float(x.min()), float(x.max()), n=width, min_n=1)
    counts = r_hist_counts(x, breaks)
    share = counts / counts.max()
    cuts = _r_seq_length_out(0.0, 1.0, len(SPARKS) + 1)
    # R's cut(..., include.lowest = TRUE): [0, 0.2], (0.2, 0.4], ..., (0.8, 1]
    level = np.clip(np.searchsorted(cuts, share, side="left") - 1, 0, len(SPARKS) - 1)
    return "".join(SPARKS[i] for i in level)


def r_quantile(values: np.ndarray, prob: float) -> float:
    """Return R's ``quantile(values, prob, type = 7)`` of the non-missing values (NaN if none)."""
    x = np.sort(values[~np.isnan(values)])
    if x.size == 0:
        return math.nan
    return float(np.quantile(x, prob, method="linear"))


def precis(frame: pd.DataFrame, prob: float = 0.89) -> pd.DataFrame:
    """Return ``rethinking::precis(frame)``: per column the mean, sd, the ``(1-prob)/2`` and
    ``1-(1-prob)/2`` quantiles (R's type 7; ``5.5%`` and ``94.5%`` by default) and the
    histospark, missing values dropped per column. Columns that are not numeric (``group``)
    get NaN and a blank histogram, as in R. Indexed by column name; ``n`` and ``missing``
    count the values used and dropped."""
    low = (1 - prob) / 2
    high = 1 - low
    names = (_percent(low), _percent(high))
    rows = []
    for column in frame.columns:
        series = frame[column]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        x = (
            series.to_numpy(dtype=float, na_value=np.nan)
            if numeric
            else np.full(len(series), np.nan)
        )
        kept = x[~np.isnan(x)]
        rows.append(
            {
                "variable": column,
                "mean": float(kept.mean()) if kept.size else math.nan,
                "sd": float(kept.std(ddof=1)) if kept.size > 1 else math.nan,
                names[0]: r_quantile(x, low),
                names[1]: r_quantile(x, high),
                "histogram": histospark(x),
                "n": int(kept.size) if numeric else int(series.notna().sum()),
                "missing": int(series.isna().sum()),
            }
        )
    return pd.DataFrame(rows).set_index("variable")


def _percent(p: float) -> str:
    """Return ``p`` as R's ``paste(p * 100, "%")`` prints it: ``5.5%``, ``94.5%``."""
    return f"{float(f'{p * 100:.15g}'):g}%"


def _r_decimals(value: float, digits: int = 7) -> int:
    """Return how many decimals R's print uses to show ``value`` to ``digits`` significant
    digits, trailing zeros dropped."""
    if not math.isfinite(value) or value == 0:
        return 0
    mantissa, exponent = f"{abs(value):.{digits - 1}e}".split("e")
    significant = len(mantissa.replace(".", "").rstrip("0")) or 1
    return max(0, significant - 1 - int(exponent))


def _r_format_column(values: Sequence[float], missing: Sequence[str], digits: int = 7) -> list[str]:
    """Format a numeric column as R's ``print.data.frame`` does: one number of decimals for
    the whole column (enough for ``digits`` significant digits of every value), ``NaN`` or
    ``NA`` for missing values."""
    decimals = max((_r_decimals(v, digits) for v in values if math.isfinite(v)), default=0)
    return [
        f"{v:.{decimals}f}" if math.isfinite(v) else m for v, m in zip(values, missing, strict=True)
    ]


def format_precis(table: pd.DataFrame) -> str:
    """Return the precis table as R prints it (the lecture's printout): row names
    left-aligned, every other column right-aligned, numbers with R's 7 significant digits,
    ``NaN`` for the mean and ``NA`` for the rest of a column with no numbers."""
    value_columns = [c for c in table.columns if c not in ("histogram", "n", "missing")]
    columns: dict[str, list[str]] = {}
    for column in value_columns:
        values = [float(v) for v in table[column]]
        na = "NaN" if column == "mean" else "NA"
        columns[column] = _r_format_column(values, [na] * len(values))
    columns["histogram"] = [str(h) for h in table["histogram"]]
    names = [str(i) for i in table.index]
    name_width = max(len(n) for n in names)
    widths = {c: max(len(c), *(len(v) for v in vals)) for c, vals in columns.items()}
    lines = [" " * name_width + "".join(f" {c:>{widths[c]}}" for c in columns)]
    for i, name in enumerate(names):
        cells = "".join(f" {columns[c][i]:>{widths[c]}}" for c in columns)
        lines.append(f"{name:<{name_width}}{cells}")
    return "\n".join(lines) + "\n"


def write_precis(
    frame: pd.DataFrame, csv_path: str | os.PathLike[str], text_path: str | os.PathLike[str]
) -> pd.DataFrame:
    """Compute :func:`precis` of ``frame`` and write it as a CSV table (``variable`` first,
    missing values as ``NA``) and as the lecture's printout. Returns the table."""
    table = precis(frame)
    with atomic_path(csv_path) as tmp:
        table.reset_index().to_csv(tmp, index=False, na_rep="NA")
    text = format_precis(table)
    write_text_atomic(text_path, text)
    log.info("precis of %d rows:\n%s", len(frame), text)
    return table


__all__ = ["format_precis", "histospark", "precis", "r_pretty", "write_precis"]
