"""The data stage: fetching mlm.csv (a real HTTP server on 127.0.0.1, and local copies),
checking it, and the lecture's precis summary."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from mlmpipe import data

REPO_ROOT = Path(__file__).resolve().parents[1]
MLM_CSV = REPO_ROOT.parent / "shared" / "data" / "mlm.csv"
MLM_SHA256 = "c426280122e5d2ba4795bbe035b18f7e5cba3ffdd30c769ba2a44b92f05ce7eb"

needs_mlm = pytest.mark.skipif(
    not MLM_CSV.is_file(), reason=f"the lecture's data set is not at {MLM_CSV}"
)

GOOD_CSV = b"id,group,week,wave,con,dan\n6,PD,0,1,0.1929,0.1619\n6,PD,1,2,0.1949,0.1677\n"
GOOD_SHA256 = hashlib.sha256(GOOD_CSV).hexdigest()


# ------------------------------------------------------------------------- HTTP server


class Server:
    """A real HTTP server on 127.0.0.1 in a thread; counts the requests per path.

    Paths: /good serves GOOD_CSV; /flaky answers 500 the first ``failures`` times, then
    GOOD_CSV; /broken always answers 500; /missing answers 404.
    """

    def __init__(self, failures: int = 2) -> None:
        self.failures = failures
        self.requests: dict[str, int] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                count = outer.requests[self.path] = outer.requests.get(self.path, 0) + 1
                if self.path == "/good" or (self.path == "/flaky" and count > outer.failures):
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(GOOD_CSV)))
                    self.end_headers()
                    self.wfile.write(GOOD_CSV)
                elif self.path == "/missing":
                    self.send_error(404, "Not Found")
                else:
                    self.send_error(500, "Internal Server Error")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mlm.csv"


# ------------------------------------------------------------------------------ download


def test_download_writes_the_verified_file(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "raw" / "mlm.csv"
    result = data.download(server.url("/good"), GOOD_SHA256, target, retries=0)
    assert target.read_bytes() == GOOD_CSV
    assert (result.sha256, result.attempts, result.source) == (
        GOOD_SHA256,
        1,
        server.url("/good"),
    )
    assert sorted(p.name for p in target.parent.iterdir()) == ["mlm.csv"]


def test_download_with_a_wrong_checksum_names_both_digests_and_leaves_nothing(
    server: Server, tmp_path: Path
) -> None:
    expected = "0" * 64
    with pytest.raises(data.ChecksumError) as caught:
        data.download(server.url("/good"), expected, tmp_path / "mlm.csv", retries=3)
    message = str(caught.value)
    assert f"expected {expected}, got {GOOD_SHA256}" in message
    assert server.url("/good") in message
    assert list(tmp_path.iterdir()) == []
    assert server.requests["/good"] == 1  # a wrong file is not fetched again


def test_download_retries_server_errors_with_exponential_backoff(
    server: Server, tmp_path: Path
) -> None:
    waits: list[float] = []
    result = data.download(
        server.url("/flaky"), GOOD_SHA256, tmp_path / "mlm.csv", retries=3,
        backoff_seconds=0.5, sleep=waits.append,
    )  # fmt: skip
    assert server.requests["/flaky"] == 3  # 500, 500, then the file
    assert result.attempts == 3
    assert waits == [0.5, 1.0]
    assert (tmp_path / "mlm.csv").read_bytes() == GOOD_CSV


def test_download_gives_up_after_the_configured_retries(server: Server, tmp_path: Path) -> None:
    waits: list[float] = []
    with pytest.raises(data.DownloadError) as caught:
        data.download(
            server.url("/broken"), GOOD_SHA256, tmp_path / "mlm.csv", retries=2,
            backoff_seconds=0.25, sleep=waits.append,
        )  # fmt: skip
    assert server.requests["/broken"] == 3
    assert waits == [0.25, 0.5]
    message = str(caught.value)
    assert "could not download" in message and "3 attempts" in message
    assert "HTTP 500" in message
    assert "data.local_copy" in message
    assert list(tmp_path.iterdir()) == []


def test_download_does_not_retry_a_missing_file(server: Server, tmp_path: Path) -> None:
    with pytest.raises(data.DownloadError, match=r"1 attempt; last error: HTTP 404"):
        data.download(server.url("/missing"), GOOD_SHA256, tmp_path / "mlm.csv", retries=3,
                      sleep=lambda s: None)  # fmt: skip
    assert server.requests["/missing"] == 1


def test_unreachable_server_says_so_and_how_to_supply_a_local_copy(
    closed_port_url: str, tmp_path: Path
) -> None:
    with pytest.raises(data.DownloadError) as caught:
        data.download(closed_port_url, GOOD_SHA256, tmp_path / "mlm.csv", retries=1,
                      backoff_seconds=0.01, timeout_seconds=5)  # fmt: skip
    message = str(caught.value)
    assert f"could not download {closed_port_url} (2 attempts" in message
    assert "Connection refused" in message
    assert "set data.local_copy in config/config.yaml" in message
    assert '--config \'data={"local_copy": ' in message
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- local copy


def test_local_copy_is_verified_and_copied(tmp_path: Path) -> None:
    (tmp_path / "copy.csv").write_bytes(GOOD_CSV)
    result = data.obtain(
        {"url": "http://127.0.0.1:9/unused", "sha256": GOOD_SHA256.upper(),
         "local_copy": "copy.csv"},
        tmp_path / "raw" / "mlm.csv",
        root=tmp_path,
    )  # fmt: skip
    assert (tmp_path / "raw" / "mlm.csv").read_bytes() == GOOD_CSV
    assert result.source == str(tmp_path / "copy.csv")


def test_local_copy_with_a_wrong_checksum_fails_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "copy.csv").write_bytes(GOOD_CSV + b"7,CTRL,0,1,0.2,0.2\n")
    (tmp_path / "raw").mkdir()
    with pytest.raises(data.ChecksumError) as caught:
        data.copy_local("copy.csv", GOOD_SHA256, tmp_path / "raw" / "mlm.csv", root=tmp_path)
    actual = hashlib.sha256((tmp_path / "copy.csv").read_bytes()).hexdigest()
    assert f"expected {GOOD_SHA256}, got {actual}" in str(caught.value)
    assert list((tmp_path / "raw").iterdir()) == []


def test_missing_local_copy_names_the_key_and_the_resolved_path(tmp_path: Path) -> None:
    with pytest.raises(data.DataError) as caught:
        data.copy_local("nowhere/mlm.csv", GOOD_SHA256, tmp_path / "mlm.csv", root=tmp_path)
    assert "data.local_copy: 'nowhere/mlm.csv'" in str(caught.value)
    assert str(tmp_path / "nowhere" / "mlm.csv") in str(caught.value)


@needs_mlm
def test_the_shared_copy_of_the_lecture_data_matches_the_configured_checksum(
    tmp_path: Path,
) -> None:
    result = data.copy_local("../shared/data/mlm.csv", MLM_SHA256, tmp_path / "mlm.csv",
                             root=REPO_ROOT)  # fmt: skip
    assert result.sha256 == MLM_SHA256


# ---------------------------------------------------------------------------- validation

HEADER = "id,group,week,wave,con,dan\n"


def _process_bad(tmp_path: Path, text: str) -> str:
    """Write ``text`` as a raw CSV, process it, and return the error message (asserting that
    nothing was written)."""
    raw = tmp_path / "raw.csv"
    raw.write_text(text, encoding="utf-8")
    out_dir = tmp_path / "processed"
    out_dir.mkdir()
    with pytest.raises(data.DataValidationError) as caught:
        data.process(raw, out_dir / "mlm.parquet")
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
    with pytest.raises(data.DataValidationError, match=r"is not UTF-8 text \(byte 41"):
        data.read_mlm_csv(raw)


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
    frame = data.process(raw, tmp_path / "mlm.parquet", groups=["CTRL", "PD"])
    back = data.read_processed(tmp_path / "mlm.parquet")
    assert back["week"].isna().tolist() == [True, True]
    schema = pq.read_schema(tmp_path / "mlm.parquet")
    assert {f.name: str(f.type) for f in schema} == {
        "id": "int64", "group": "large_string", "week": "double",
        "wave": "int64", "con": "double", "dan": "double",
    }  # fmt: skip
    assert {c: str(t) for c, t in back.dtypes.items()} == data.DTYPES
    assert frame["id"].tolist() == [6, 7]


def test_configured_group_labels_are_used(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text(HEADER + "6,treated,0,1,0.19,0.16\n", encoding="utf-8")
    frame = data.read_mlm_csv(raw, groups=["treated", "control"])
    assert frame["group"].tolist() == ["treated"]


@needs_mlm
def test_the_lecture_data_has_219_rows_of_91_people() -> None:
    frame = data.read_mlm_csv(MLM_CSV)
    assert len(frame) == 219
    assert frame["id"].nunique() == 91
    assert frame.isna().sum().to_dict() == {
        "id": 0, "group": 0, "week": 3, "wave": 0, "con": 0, "dan": 0
    }  # fmt: skip
    assert sorted(frame["group"].unique()) == ["CTRL", "PD"]


# -------------------------------------------------------------------------------- precis


def test_r_pretty_matches_r() -> None:
    # pretty(c(0, 1)); pretty(c(1, 10), 10); pretty(c(0.01, 0.4893), 10)
    assert data.r_pretty(0, 1).tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert data.r_pretty(1, 10, 10, 1).tolist() == list(range(1, 11))
    assert data.r_pretty(0.01, 0.4893, 10, 1) == pytest.approx(np.arange(0, 0.51, 0.05))
    assert data.r_pretty(6, 229, 10, 1).tolist() == list(range(0, 241, 20))


def test_histospark_counts_as_r_hist_does() -> None:
    # hist(1:10)$counts is 2 1 1 1 1 1 1 1 1: the first bin includes its left edge.
    assert data.histospark(range(1, 11)) == "▇▃▃▃▃▃▃▃▃"
    assert data.histospark([np.nan, np.nan]) == " " * 10
    # Missing values are dropped: pretty(c(1, 2), 10) gives ten bins of 0.1.
    assert data.histospark([1.0, 1.0, np.nan, 2.0]) == "▇▁▁▁▁▁▁▁▁▃"


LECTURE_PRECIS = """\
             mean          sd      5.5%      94.5%    histogram
id    119.9954338 51.04319970 47.890000 209.020000 ▁▂▂▅▇▅▃▅▂▂▂▁
group         NaN          NA        NA         NA             
week    1.3981481  1.45595690  0.000000   3.000000 ▇▃▁▂▁▅▁▁▁▁▁▁
wave    1.7899543  0.79082439  1.000000   3.000000       ▇▇▁▂▁▁
con     0.1911393  0.07427626  0.083850   0.309936   ▁▂▃▇▅▃▁▁▁▁
dan     0.1946091  0.06434335  0.096652   0.296208     ▁▁▅▇▇▃▁▁
"""  # noqa: W291 - R pads the blank histogram


@needs_mlm
def test_precis_of_the_lecture_data_prints_as_in_the_lecture() -> None:
    table = data.precis(data.read_mlm_csv(MLM_CSV))
    assert data.format_precis(table) == LECTURE_PRECIS
    assert table.loc["id", "mean"] == pytest.approx(119.9954338, abs=5e-8)
    assert table.loc["id", "sd"] == pytest.approx(51.04319970, abs=5e-9)
    assert table.loc["week", ["5.5%", "94.5%"]].tolist() == [0.0, 3.0]
    assert table.loc["con", "5.5%"] == pytest.approx(0.083850, abs=5e-7)
    assert table.loc["con", "94.5%"] == pytest.approx(0.309936, abs=5e-7)
    assert table.loc["week", ["n", "missing"]].tolist() == [216, 3]


def test_precis_drops_missing_values_per_column_and_uses_r_quantiles() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, np.nan], "g": ["a", "b", "a", "b", "a"]})
    table = data.precis(frame)
    assert table.loc["x", "mean"] == 2.5
    assert table.loc["x", "sd"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    # R: quantile(1:4, c(0.055, 0.945)) is 1.165 3.835 (type 7)
    assert table.loc["x", ["5.5%", "94.5%"]].tolist() == pytest.approx([1.165, 3.835])
    assert np.isnan(table.loc["g", "mean"]) and table.loc["g", "histogram"] == " " * 10


def test_write_precis_writes_the_table_and_the_printout(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": pd.array(["a"] * 4, dtype="string")})
    data.write_precis(frame, tmp_path / "precis.csv", tmp_path / "precis.txt")
    table = pd.read_csv(tmp_path / "precis.csv", keep_default_na=False)
    assert table.columns.tolist() == [
        "variable", "mean", "sd", "5.5%", "94.5%", "histogram", "n", "missing"
    ]  # fmt: skip
    assert table["mean"].tolist() == ["2.5", "NA"]
    assert (tmp_path / "precis.txt").read_text(encoding="utf-8").splitlines()[0].split() == [
        "mean", "sd", "5.5%", "94.5%", "histogram"
    ]  # fmt: skip
