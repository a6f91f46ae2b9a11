"""The lecture's data set: fetch it, check it, and summarise it as ``rethinking::precis`` does.

Three steps, each a Snakemake rule in ``workflow/rules/data.smk``:

1. :func:`obtain` writes ``data/raw/mlm.csv`` from the configured URL (with retries and
   exponential backoff on network errors) or from ``data.local_copy``; either way the file
   must have the configured sha256, and nothing is written under the final name unless it does.
2. :func:`read_mlm_csv` checks the columns, types, missing values and group labels of the
   raw file and :func:`write_processed` writes ``data/processed/mlm.parquet``. Every problem
   is reported with the file, the row as a spreadsheet counts it (the header is row 1, the
   first data row is row 2), the column and the offending value.
3. :func:`precis` computes the lecture's data summary (mean, sd, 5.5% and 94.5% quantiles and
   a text histogram per column, missing values dropped per column as R does) and
   :func:`format_precis` prints it as R prints the data frame.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.errors import MlmpipeError

from .fileio import atomic_path, write_text_atomic

log = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = ("id", "group", "week", "wave", "con", "dan")
"""The columns of mlm.csv, in order."""

DTYPES: dict[str, str] = {
    "id": "int64",
    "group": "string",
    "week": "float64",
    "wave": "int64",
    "con": "float64",
    "dan": "float64",
}
"""Column types of the processed data (``string`` is written to parquet as a string column)."""

INTEGER_COLUMNS = ("id", "wave")
NUMBER_COLUMNS = ("week", "con", "dan")

MAY_BE_MISSING: tuple[str, ...] = ("week", "con", "dan")
"""Columns that may hold missing values (``NA`` or an empty field, as R's ``read.csv`` reads
them). They are measurements: each model drops the rows where a variable of its formula is
missing, as brms does (the real data has three missing ``week`` values). ``id``, ``group``
and ``wave`` say whose measurement it is and when, so they must always be present."""

MISSING_TOKENS = frozenset({"NA", ""})

DEFAULT_GROUPS: tuple[str, ...] = ("CTRL", "PD")

ROW_CONVENTION = "the header is row 1"
"""How messages count rows: as a spreadsheet shows the CSV file."""

LOCAL_COPY_HINT = (
    "To use a copy of mlm.csv you already have, set data.local_copy in config/config.yaml "
    "to its path (a relative path is relative to the repository root), or pass it on the "
    "command line: workflow/bootstrap snakemake --cores 4 "
    '--config \'data={{"local_copy": "{example}"}}\'. '
    "The copy is checked against data.sha256 exactly like a download."
)


# ------------------------------------------------------------------------------------ errors


class DataError(MlmpipeError, RuntimeError):
    """Base class of the errors this module raises."""


class DownloadError(DataError):
    """Raised when the data cannot be downloaded; the message says how to supply a copy."""


class ChecksumError(DataError):
    """Raised when a downloaded or copied file does not have the configured sha256."""

    def __init__(self, source: str, expected: str, actual: str, destination: str) -> None:
        self.source, self.expected, self.actual = source, expected, actual
        super().__init__(
            f"{source}: sha256 mismatch: expected {expected}, got {actual}. "
            f"{destination} was not written. If the data set was deliberately updated, "
            "set data.sha256 in config/config.yaml to the new digest."
        )


@dataclass(frozen=True)
class Problem:
    """One problem found in a CSV file: where it is and what is wrong."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def describe(self, path: str) -> str:
        """Return the problem as one line naming the file, row, column and value."""
        where = path
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        value = "" if self.value is None else f"{self.value!r} "
        return f"{where}: {value}{self.message}"


class DataValidationError(DataError):
    """Raised when a CSV file does not have the expected content.

    ``problems`` lists every problem found (up to a limit); the message has one line each,
    naming the file, the row (the header is row 1), the column and the offending value.
    """

    def __init__(self, path: str, problems: Sequence[Problem], more: int = 0) -> None:
        self.path = path
        self.problems = list(problems)
        lines = [p.describe(path) for p in self.problems]
        if more:
            lines.append(f"... and {more} more problem{'s' if more != 1 else ''}")
        count = len(self.problems) + more
        super().__init__(
            f"{path}: {count} problem{'s' if count != 1 else ''} "
            f"(rows as a spreadsheet counts them: {ROW_CONVENTION}, the first data row is row 2)"
            ":\n  " + "\n  ".join(lines)
        )


# ------------------------------------------------------------------------------ fetching


@dataclass(frozen=True)
class FetchResult:
    """Where the data came from and what was written."""

    path: Path
    source: str
    sha256: str
    attempts: int


RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth retrying; any other HTTP error fails at once."""


def resolve_local_copy(local_copy: str | os.PathLike[str], root: str | os.PathLike[str]) -> Path:
    """Return ``local_copy`` as an absolute path, a relative one taken relative to ``root``."""
    path = Path(local_copy).expanduser()
    return path if path.is_absolute() else Path(root) / path


def _copy_verified(
    read: Callable[[int], bytes], source: str, sha256: str, destination: Path
) -> str:
    """Stream ``read`` into a temporary file beside ``destination``; rename it onto
    ``destination`` only if its sha256 is ``sha256``. Returns the digest; raises
    ChecksumError (leaving nothing behind) when it differs."""
    digest = hashlib.sha256()
    with atomic_path(destination) as tmp:
        with open(tmp, "wb") as handle:
            for block in iter(lambda: read(1 << 16), b""):
                digest.update(block)
                handle.write(block)
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ChecksumError(source, sha256.lower(), actual, str(destination))
    return actual


def copy_local(
    local_copy: str | os.PathLike[str],
    sha256: str,
    destination: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] = ".",
) -> FetchResult:
    """Copy the file ``local_copy`` to ``destination`` if it has the sha256 ``sha256``.

    A relative ``local_copy`` is taken relative to ``root`` (the repository root). Returns a
    FetchResult. Raises DataError when the file does not exist and ChecksumError when its
    digest differs; in both cases ``destination`` is not written.
    """
    source = resolve_local_copy(local_copy, root)
    if not source.is_file():
        raise DataError(
            f"data.local_copy: {os.fspath(local_copy)!r} (resolved to {source}) is not a file. "
            "A relative path is relative to the repository root."
        )
    with open(source, "rb") as handle:
        digest = _copy_verified(handle.read, str(source), sha256, Path(destination))
    log.info("copied %s to %s (sha256 %s)", source, destination, digest)
    return FetchResult(Path(destination), str(source), digest, attempts=1)


def _describe_network_error(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    return f"{type(error).__name__}: {error}"


def _retryable(error: BaseException) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code in RETRY_STATUS
    return isinstance(error, (urllib.error.URLError, OSError, HTTPException))


def download(
    url: str,
    sha256: str,
    destination: str | os.PathLike[str],
    *,
    retries: int = 3,
    backoff_seconds: float = 1.0,
    timeout_seconds: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Download ``url`` to ``destination`` and check that its sha256 is ``sha256``.

    Network errors (no connection, timeouts, HTTP 408/425/429/5xx) are retried up to
    ``retries`` times, waiting ``backoff_seconds``, then twice as long before each later
    retry. The file is written to a temporary path and renamed only when complete and
    verified. Returns a FetchResult with the number of attempts made.

    Raises:
        DownloadError: the URL could not be read after every attempt (or gave an HTTP error
            not worth retrying, such as 404); the message quotes the last error and says how
            to supply a local copy instead.
        ChecksumError: the file arrived but its digest differs (not retried); nothing is
            written.
    """
    destination = Path(destination)
    attempts = 0
    last: BaseException | None = None
    for attempt in range(retries + 1):
        attempts = attempt + 1
        if attempt:
            wait = backoff_seconds * 2 ** (attempt - 1)
            log.warning(
                "download of %s failed (%s); retry %d of %d in %.1f s",
                url,
                _describe_network_error(last),
                attempt,
                retries,
                wait,  # type: ignore[arg-type]
            )
            sleep(wait)
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "mlmpipe"})
            with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
                digest = _copy_verified(response.read, url, sha256, destination)
        except ChecksumError:
            raise
        except (urllib.error.URLError, OSError, HTTPException) as error:
            last = error
            if not _retryable(error):
                break
            continue
        log.info(
            "downloaded %s to %s (sha256 %s, %d attempt(s))", url, destination, digest, attempts
        )
        return FetchResult(destination, url, digest, attempts)
    raise DownloadError(
        f"could not download {url} ({attempts} attempt{'s' if attempts != 1 else ''}; "
        f"last error: {_describe_network_error(last)}). "  # type: ignore[arg-type]
        + LOCAL_COPY_HINT.format(example="path/to/mlm.csv")
    ) from last


def obtain(
    data_config: Mapping[str, Any],
    destination: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] = ".",
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Write the data set to ``destination`` as the ``data`` section of the config says:
    from ``local_copy`` when it is set, otherwise downloaded from ``url``.

    Returns a FetchResult; raises the errors of :func:`copy_local` and :func:`download`.
    """
    if data_config.get("local_copy"):
        return copy_local(data_config["local_copy"], data_config["sha256"], destination, root=root)
    return download(
        data_config["url"],
        data_config["sha256"],
        destination,
        retries=int(data_config.get("retries", 3)),
        backoff_seconds=float(data_config.get("backoff_seconds", 1.0)),
        timeout_seconds=float(data_config.get("timeout_seconds", 30)),
        sleep=sleep,
    )


# ---------------------------------------------------------------------------- validation

MAX_PROBLEMS = 20


def _parse_cell(column: str, text: str, groups: Sequence[str]) -> tuple[Any, str | None]:
    """Return ``(value, problem)`` for one cell; ``problem`` is None when the cell is valid."""
    if text in MISSING_TOKENS or text.strip() in MISSING_TOKENS:
        if column in MAY_BE_MISSING:
            return None, None
        return None, f"is missing; {column} must be present in every row"
    text = text.strip()
    if column == "group":
        if text not in groups:
            return (
                None,
                f"is not a known group (expected one of: {', '.join(groups)}; "
                "the labels are set by data.groups in the config)",
            )
        return text, None
    try:
        number = float(text)
    except ValueError:
        return None, "is not a number"
    if not math.isfinite(number):
        return None, "is not a finite number"
    if column in INTEGER_COLUMNS:
        if not number.is_integer():
            return None, "is not a whole number"
        return int(number), None
    return number, None


def read_mlm_csv(
    path: str | os.PathLike[str], *, groups: Sequence[str] = DEFAULT_GROUPS
) -> pd.DataFrame:
    """Read and check mlm.csv; return it as a data frame with the types of :data:`DTYPES`.

    Checks: the header names every column of :data:`COLUMNS` once (other columns are
    dropped, with a log message); every row has as many fields as the header; ``id`` and
    ``wave`` are whole numbers, ``week``, ``con`` and ``dan`` numbers, ``group`` one of
    ``groups``; only :data:`MAY_BE_MISSING` columns may be missing (``NA`` or empty);
    each person is in one group and measured at most once per wave.

    Raises DataValidationError naming the file, row (the header is row 1), column and value
    of every problem found (up to :data:`MAX_PROBLEMS`).
    """
    name = os.fspath(path)
    problems: list[Problem] = []
    more = 0

    def report(problem: Problem) -> None:
        nonlocal more
        if len(problems) < MAX_PROBLEMS:
            problems.append(problem)
        else:
            more += 1

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                raise DataValidationError(
                    name,
                    [
                        Problem(
                            None,
                            None,
                            None,
                            f"the file is empty (expected a header row: {','.join(COLUMNS)})",
                        )
                    ],
                ) from None
            header = [h.strip() for h in header]
            missing = [c for c in COLUMNS if c not in header]
            for column in missing:
                report(
                    Problem(
                        1,
                        column,
                        ",".join(header),
                        f"is the header; it has no column {column!r} "
                        f"(expected columns: {', '.join(COLUMNS)})",
                    )
                )
            for column in sorted({h for h in header if header.count(h) > 1}):
                report(
                    Problem(1, column, ",".join(header), f"is the header; {column!r} appears twice")
                )
            if problems:
                raise DataValidationError(name, problems, more)
            extra = [h for h in header if h not in COLUMNS]
            if extra:
                log.info("%s: ignoring columns %s", name, ", ".join(extra))
            positions = {c: header.index(c) for c in COLUMNS}

            records: dict[str, list[Any]] = {c: [] for c in COLUMNS}
            rows: list[int] = []
            line = 1
            for fields in reader:
                line = reader.line_num
                if not fields:
                    continue  # a blank line, as R's read.csv skips it
                if len(fields) != len(header):
                    report(
                        Problem(
                            line,
                            None,
                            ",".join(fields),
                            f"has {len(fields)} fields; the header has {len(header)}",
                        )
                    )
                    continue
                for column in COLUMNS:
                    text = fields[positions[column]]
                    value, problem = _parse_cell(column, text, groups)
                    if problem:
                        report(Problem(line, column, text, problem))
                    records[column].append(value)
                rows.append(line)
    except UnicodeDecodeError as error:
        raise DataValidationError(
            name,
            [Problem(None, None, None, f"is not UTF-8 text (byte {error.start}: {error.reason})")],
        ) from error
    except csv.Error as error:
        raise DataValidationError(
            name, [Problem(reader.line_num, None, None, f"is not valid CSV: {error}")]
        ) from error
    if not rows and not problems:
        raise DataValidationError(
            name, [Problem(None, None, None, "has a header row but no data rows")]
        )
    if problems:
        raise DataValidationError(name, problems, more)

    frame = pd.DataFrame(records)
    for problem in _consistency_problems(frame, rows):
        report(problem)
    if problems:
        raise DataValidationError(name, problems, more)
    return as_processed(frame)


def _consistency_problems(frame: pd.DataFrame, rows: Sequence[int]) -> list[Problem]:
    """Return problems across rows: a person in two groups, or measured twice in one wave."""
    problems: list[Problem] = []
    first_group: dict[int, tuple[str, int]] = {}
    seen: dict[tuple[int, int], int] = {}
    for person, group, wave, row in zip(
        frame["id"], frame["group"], frame["wave"], rows, strict=True
    ):
        earlier = first_group.setdefault(person, (group, row))
        if earlier[0] != group:
            problems.append(
                Problem(
                    row,
                    "group",
                    group,
                    f"differs from id {person}'s group {earlier[0]!r} in row "
                    f"{earlier[1]}; a person belongs to one group",
                )
            )
        key = (person, wave)
        if key in seen:
            problems.append(
                Problem(
                    row, "wave", str(wave), f"repeats id {person}'s wave {wave} of row {seen[key]}"
                )
            )
        else:
            seen[key] = row
    return problems


def as_processed(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame``'s columns :data:`COLUMNS` with the types of :data:`DTYPES`
    (missing numbers as NaN), index 0..n-1."""
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in COLUMNS:
        values = frame[column]
        if DTYPES[column] == "string":
            out[column] = pd.array(values.tolist(), dtype="string")
        elif DTYPES[column] == "float64":
            out[column] = pd.to_numeric(values, errors="raise").astype("float64")
        else:
            out[column] = values.astype("int64")
    return out


def write_processed(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` to the parquet file ``path`` atomically; return the path."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(path)


def read_processed(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the processed data at ``path`` (parquet) with the types of :data:`DTYPES`."""
    return as_processed(pd.read_parquet(path))


def process(
    raw: str | os.PathLike[str],
    processed: str | os.PathLike[str],
    *,
    groups: Sequence[str] = DEFAULT_GROUPS,
) -> pd.DataFrame:
    """Check the raw CSV ``raw`` and write it to the parquet file ``processed``.

    Returns the processed frame. Raises DataValidationError (writing nothing) when the raw
    file has a problem.
    """
    frame = read_mlm_csv(raw, groups=groups)
    write_processed(frame, processed)
    log.info(
        "%s: %d rows, %d people; missing values: %s",
        processed,
        len(frame),
        frame["id"].nunique(),
        ", ".join(f"{c} {n}" for c, n in frame.isna().sum().items() if n) or "none",
    )
    return frame


# ---------------------------------------------------------------------------------- precis

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
    h, h5, f_min, shrink, rounding_eps = 1.5, 0.5 + 1.5 * 1.5, 2.0**-20, 0.75, 1e-10
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
    cell = max(cell, f_min * _DBL_MIN)
    base = 10.0 ** math.floor(math.log10(cell))
    unit = base
    if 2 * base - cell < h * (cell - unit):
        unit = 2 * base
        if 5 * base - cell < h5 * (cell - unit):
            unit = 5 * base
            if 10 * base - cell < h * (cell - unit):
                unit = 10 * base
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


__all__ = [
    "COLUMNS",
    "DTYPES",
    "MAY_BE_MISSING",
    "ChecksumError",
    "DataError",
    "DataValidationError",
    "DownloadError",
    "FetchResult",
    "copy_local",
    "download",
    "format_precis",
    "histospark",
    "obtain",
    "precis",
    "process",
    "r_pretty",
    "read_mlm_csv",
    "read_processed",
    "write_precis",
    "write_processed",
]
