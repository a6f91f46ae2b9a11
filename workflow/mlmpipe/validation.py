"""Read and check mlm.csv, and read and write the processed data (typed parquet).

:func:`read_mlm_csv` checks the columns, types, missing values and group labels of the raw
file and :func:`write_processed` writes ``data/processed/mlm.parquet``; :func:`process` does
both. Every problem is reported with the file, the row as a spreadsheet counts it (the header
is row 1, the first data row is row 2), the column and the offending value.
:func:`read_processed` is the one reader of the processed data.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mlmpipe.fetch import DataError
from mlmpipe.fileio import atomic_path

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


class _Problems:
    """The problems found so far in one file: the first :data:`MAX_PROBLEMS` kept, the rest
    counted."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kept: list[Problem] = []
        self.more = 0

    def report(self, problem: Problem) -> None:
        """Keep ``problem``, or count it once :data:`MAX_PROBLEMS` are kept."""
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(problem)
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        """Raise DataValidationError listing the problems, if any were found."""
        if self.kept:
            raise DataValidationError(self.name, self.kept, self.more)


def _read_header(reader: Any, problems: _Problems) -> list[str]:
    """Return the header row (names stripped) after checking it names every column once.

    Raises DataValidationError when the file is empty or the header lacks or repeats a
    column of :data:`COLUMNS`. Other columns are logged as ignored.
    """
    try:
        header = next(reader)
    except StopIteration:
        raise DataValidationError(
            problems.name,
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
        problems.report(
            Problem(
                1,
                column,
                ",".join(header),
                f"is the header; it has no column {column!r} "
                f"(expected columns: {', '.join(COLUMNS)})",
            )
        )
    for column in sorted({h for h in header if header.count(h) > 1}):
        problems.report(
            Problem(1, column, ",".join(header), f"is the header; {column!r} appears twice")
        )
    problems.raise_if_any()
    extra = [h for h in header if h not in COLUMNS]
    if extra:
        log.info("%s: ignoring columns %s", problems.name, ", ".join(extra))
    return header


def _read_records(
    reader: Any, header: list[str], groups: Sequence[str], problems: _Problems
) -> tuple[dict[str, list[Any]], list[int]]:
    """Return the parsed values of every data row by column, and each row's line number.

    Blank lines are skipped, as R's read.csv does; a row with the wrong number of fields or
    an invalid cell is reported to ``problems``.
    """
    positions = {c: header.index(c) for c in COLUMNS}
    records: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    rows: list[int] = []
    for fields in reader:
        line = reader.line_num
        if not fields:
            continue  # a blank line, as R's read.csv skips it
        if [f.strip() for f in fields] == header:
            problems.report(
                Problem(line, None, ",".join(fields), "repeats the header row; delete this line")
            )
            continue
        if len(fields) != len(header):
            problems.report(
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
                problems.report(Problem(line, column, text, problem))
            records[column].append(value)
        rows.append(line)
    return records, rows


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
    problems = _Problems(name)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = _read_header(reader, problems)
            records, rows = _read_records(reader, header, groups, problems)
    except UnicodeDecodeError as error:
        raise DataValidationError(
            name,
            [Problem(None, None, None, f"is not UTF-8 text (byte {error.start}: {error.reason})")],
        ) from error
    except csv.Error as error:
        raise DataValidationError(
            name, [Problem(reader.line_num, None, None, f"is not valid CSV: {error}")]
        ) from error
    if not rows and not problems.kept:
        raise DataValidationError(
            name, [Problem(None, None, None, "has a header row but no data rows")]
        )
    problems.raise_if_any()

    frame = pd.DataFrame(records)
    for problem in _consistency_problems(frame, rows):
        problems.report(problem)
    problems.raise_if_any()
    unused = [g for g in groups if g not in set(frame["group"])]
    if unused:
        log.warning("%s: no rows for group(s) %s (data.groups)", name, ", ".join(unused))
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


__all__ = [
    "COLUMNS",
    "DTYPES",
    "MAY_BE_MISSING",
    "DataError",
    "DataValidationError",
    "Problem",
    "process",
    "read_mlm_csv",
    "read_processed",
    "write_processed",
]
