"""Fault suite: mlm.csv as it may really arrive -- saved by a spreadsheet (BOM, Windows line
endings, quoted numbers), joined from two files (a second header line), with extra columns,
people with one row or none usable, a group label without rows. What can be read is read
exactly as the original and what is odd is reported; what cannot is refused naming the row.

The data stage's own functions on the lecture's data, then the real pipeline's data and
model-data rules on one file with every oddity at once."""

from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
import pytest
from faults import MLM_CSV, assert_no_partial_files, run
from mlmpipe import validation

pytestmark = pytest.mark.faults

TEXT = MLM_CSV.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)
HEADER = LINES[0]


def _quoted(line: str) -> str:
    return ",".join(f'"{field}"' for field in line.rstrip("\n").split(",")) + "\n"


READABLE = {
    "utf8-bom": "\ufeff" + TEXT,
    "windows-line-endings": TEXT.replace("\n", "\r\n"),
    "quoted-numbers": HEADER + "".join(_quoted(line) for line in LINES[1:]),
    "bom-crlf-and-quotes": "\ufeff" + (HEADER + "".join(map(_quoted, LINES[1:]))).replace(
        "\n", "\r\n"
    ),
}


@pytest.mark.parametrize("variant", list(READABLE))
def test_a_spreadsheet_saved_copy_reads_exactly_as_the_original(tmp_path, variant):
    raw = tmp_path / "mlm.csv"
    raw.write_text(READABLE[variant], encoding="utf-8", newline="")
    expected = validation.read_mlm_csv(MLM_CSV)
    frame = validation.process(raw, tmp_path / "mlm.parquet")
    pd.testing.assert_frame_equal(frame, expected)
    pd.testing.assert_frame_equal(validation.read_processed(tmp_path / "mlm.parquet"), expected)


def test_a_second_header_line_is_named_by_its_row_and_nothing_is_written(tmp_path):
    raw = tmp_path / "mlm.csv"
    raw.write_text("".join([*LINES[:11], HEADER, *LINES[11:]]), encoding="utf-8")
    with pytest.raises(validation.DataValidationError) as caught:
        validation.process(raw, tmp_path / "out" / "mlm.parquet")
    assert str(caught.value) == (
        f"{raw}: 1 problem (rows as a spreadsheet counts them: the header is row 1, the first "
        f"data row is row 2):\n  {raw}, row 12: 'id,group,week,wave,con,dan' repeats the "
        "header row; delete this line"
    )
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_extra_columns_are_accepted_ignored_and_reported(tmp_path, caplog):
    raw = tmp_path / "mlm.csv"
    lines = [HEADER.rstrip("\n") + ",note,site\n"]
    lines += [line.rstrip("\n") + ",x,1\n" for line in LINES[1:]]
    raw.write_text("".join(lines), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="mlmpipe.validation"):
        frame = validation.process(raw, tmp_path / "mlm.parquet")
    assert list(frame.columns) == list(validation.COLUMNS)
    pd.testing.assert_frame_equal(frame, validation.read_mlm_csv(MLM_CSV))
    assert f"{raw}: ignoring columns note, site" in caplog.text


def _odd_but_valid_csv() -> str:
    """The lecture's data with every accepted oddity: BOM, CRLF, quotes, an extra column,
    a person (900) with one row, a person (901) whose rows all lack week."""
    rows = [line.rstrip("\n") + ",kept\n" for line in LINES[1:]]
    rows += ["900,PD,0,1,0.21,0.12,kept\n", "901,CTRL,NA,1,0.3,0.2,kept\n"]
    rows += ["901,CTRL,NA,2,0.31,0.21,kept\n"]
    text = HEADER.rstrip("\n") + ",comment\n" + "".join(map(_quoted, rows))
    return "\ufeff" + text.replace("\n", "\r\n")


def test_the_pipeline_reads_an_odd_file_and_reports_what_it_drops(tmp_path):
    raw = tmp_path / "odd copy.csv"
    raw.write_bytes(_odd_but_valid_csv().encode("utf-8"))
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    work = tmp_path / "work"
    result = run(
        work, "--cores", "2", "results/m1/data.json", "results/m3/data.json",
        "results/m4/data.json",
        data={"local_copy": str(raw), "sha256": digest, "groups": ["CTRL", "PD", "OTHER"]},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    log = (work / "logs/data/validate_data.log").read_text()
    assert "ignoring columns comment" in log
    assert "no rows for group(s) OTHER (data.groups)" in log
    m3 = (work / "logs/fit/m3_data.log").read_text()
    assert "people have no complete row and are left out: " in m3 and "901" in m3
    frames = {m: json.loads((work / f"results/{m}/model_frame.json").read_text())
              for m in ("m1", "m3", "m4")}  # fmt: skip
    assert frames["m1"]["n_rows"] == 222 and len(frames["m1"]["levels"]["id.f"]) == 93
    assert (frames["m3"]["n_rows"], frames["m3"]["n_levels"]) == (217, 89)  # 900 in, 901 out
    assert 900 in frames["m3"]["levels"]["id"] and 901 not in frames["m3"]["levels"]["id"]
    assert frames["m4"]["levels"]["group"] == ["CTRL", "PD"]  # the empty group is no level
    assert "b_groupOTHER" not in frames["m4"]["coefficients"]
    assert_no_partial_files(work)
