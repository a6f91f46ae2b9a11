"""Checking mlm.csv and the processed data it is written to."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from mlm_data import MLM_CSV, needs_mlm
from mlmpipe import validation

HEADER = "id,group,week,wave,con,dan\n"


def _process_bad(tmp_path: Path, text: str) -> str:
    """Write ``text`` as a raw CSV, process it, and return the error message (asserting that
    nothing was written)."""
    raw = tmp_path / "raw.csv"
    raw.write_text(text, encoding="utf-8")
    out_dir = tmp_path / "processed"
    out_dir.mkdir()
    with pytest.raises(validation.DataValidationError) as caught:
        validation.process(raw, out_dir / "mlm.parquet")
    assert list(out_dir.iterdir()) == []
    message = str(caught.value)
    assert message.startswith(str(raw))
    return message


def test_missing_column_is_named_with_the_header(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, "id,group,week,wave,dan\n6,PD,0,1,0.16\n")
    assert "row 1, column 'con': 'id,group,week,wave,dan' is the header; it has no column 'con'" \
        in message  # fmt: skip


def test_non_numeric_value_names_file_row_column_and_value(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "6,PD,0,1,0.19,0.16\n6,PD,1,2,abc,0.17\n")
    assert f"{tmp_path / 'raw.csv'}, row 3, column 'con': 'abc' is not a number" in message
    assert "the header is row 1, the first data row is row 2" in message


def test_missing_id_is_an_error(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "6,PD,0,1,0.19,0.16\nNA,PD,1,2,0.2,0.17\n")
    assert "row 3, column 'id': 'NA' is missing; id must be present in every row" in message


def test_fractional_id_is_an_error(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "6.5,PD,0,1,0.19,0.16\n")
    assert "row 2, column 'id': '6.5' is not a whole number" in message


def test_unknown_group_label_names_the_allowed_labels(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "6,PD,0,1,0.19,0.16\n7,XX,0,1,0.2,0.17\n")
    assert "row 3, column 'group': 'XX' is not a known group (expected one of: CTRL, PD" \
        in message  # fmt: skip
    assert "data.groups" in message


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, "")
    assert "the file is empty (expected a header row: id,group,week,wave,con,dan)" in message


def test_header_only_is_an_error(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER)
    assert "has a header row but no data rows" in message


def test_text_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_bytes(HEADER.encode() + b"6,PD,0,1,0.19,\xff\n")
    with pytest.raises(validation.DataValidationError, match=r"is not UTF-8 text \(byte 41"):
        validation.read_mlm_csv(raw)


def test_short_row_is_an_error(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "6,PD,0,1,0.19\n")
    assert "row 2: '6,PD,0,1,0.19' has 5 fields; the header has 6" in message


def test_every_problem_is_listed(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "x,PD,0,1,0.19,0.16\n6,PD,0,1,0.19,y\n")
    assert "2 problems" in message
    assert "row 2, column 'id': 'x' is not a number" in message
    assert "row 3, column 'dan': 'y' is not a number" in message


def test_a_person_in_two_groups_is_an_error(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "6,PD,0,1,0.19,0.16\n6,CTRL,1,2,0.2,0.17\n")
    assert "row 3, column 'group': 'CTRL' differs from id 6's group 'PD' in row 2" in message


def test_a_wave_measured_twice_is_an_error(tmp_path: Path) -> None:
    message = _process_bad(tmp_path, HEADER + "6,PD,0,1,0.19,0.16\n6,PD,1,1,0.2,0.17\n")
    assert "row 3, column 'wave': '1' repeats id 6's wave 1 of row 2" in message


def test_missing_week_is_allowed_and_typed(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text(HEADER + "6,PD,NA,1,0.19,0.16\n7,CTRL,,2,0.2,0.17\n", encoding="utf-8")
    frame = validation.process(raw, tmp_path / "mlm.parquet", groups=["CTRL", "PD"])
    back = validation.read_processed(tmp_path / "mlm.parquet")
    assert back["week"].isna().tolist() == [True, True]
    schema = pq.read_schema(tmp_path / "mlm.parquet")
    assert {f.name: str(f.type) for f in schema} == {
        "id": "int64", "group": "large_string", "week": "double",
        "wave": "int64", "con": "double", "dan": "double",
    }  # fmt: skip
    assert {c: str(t) for c, t in back.dtypes.items()} == validation.DTYPES
    assert frame["id"].tolist() == [6, 7]


def test_configured_group_labels_are_used(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text(HEADER + "6,treated,0,1,0.19,0.16\n", encoding="utf-8")
    frame = validation.read_mlm_csv(raw, groups=["treated", "control"])
    assert frame["group"].tolist() == ["treated"]


@needs_mlm
def test_the_lecture_data_has_219_rows_of_91_people() -> None:
    frame = validation.read_mlm_csv(MLM_CSV)
    assert len(frame) == 219
    assert frame["id"].nunique() == 91
    assert frame.isna().sum().to_dict() == {
        "id": 0, "group": 0, "week": 3, "wave": 0, "con": 0, "dan": 0
    }  # fmt: skip
    assert sorted(frame["group"].unique()) == ["CTRL", "PD"]
