"""Fetching mlm.csv: a real HTTP server on 127.0.0.1, and local copies."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlm_data import MLM_SHA256, REPO_ROOT, needs_mlm
from mlmpipe import fetch

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
    result = fetch.download(server.url("/good"), GOOD_SHA256, target, retries=0)
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
    with pytest.raises(fetch.ChecksumError) as caught:
        fetch.download(server.url("/good"), expected, tmp_path / "mlm.csv", retries=3)
    message = str(caught.value)
    assert f"expected {expected}, got {GOOD_SHA256}" in message
    assert server.url("/good") in message
    assert list(tmp_path.iterdir()) == []
    assert server.requests["/good"] == 1  # a wrong file is not fetched again


def test_download_retries_server_errors_with_exponential_backoff(
    server: Server, tmp_path: Path
) -> None:
    waits: list[float] = []
    result = fetch.download(
        server.url("/flaky"), GOOD_SHA256, tmp_path / "mlm.csv", retries=3,
        backoff_seconds=0.5, sleep=waits.append,
    )  # fmt: skip
    assert server.requests["/flaky"] == 3  # 500, 500, then the file
    assert result.attempts == 3
    assert waits == [0.5, 1.0]
    assert (tmp_path / "mlm.csv").read_bytes() == GOOD_CSV


def test_download_gives_up_after_the_configured_retries(server: Server, tmp_path: Path) -> None:
    waits: list[float] = []
    with pytest.raises(fetch.DownloadError) as caught:
        fetch.download(
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
    with pytest.raises(fetch.DownloadError, match=r"1 attempt; last error: HTTP 404"):
        fetch.download(server.url("/missing"), GOOD_SHA256, tmp_path / "mlm.csv", retries=3,
                      sleep=lambda s: None)  # fmt: skip
    assert server.requests["/missing"] == 1


def test_unreachable_server_says_so_and_how_to_supply_a_local_copy(
    closed_port_url: str, tmp_path: Path
) -> None:
    with pytest.raises(fetch.DownloadError) as caught:
        fetch.download(closed_port_url, GOOD_SHA256, tmp_path / "mlm.csv", retries=1,
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
    result = fetch.obtain(
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
    with pytest.raises(fetch.ChecksumError) as caught:
        fetch.copy_local("copy.csv", GOOD_SHA256, tmp_path / "raw" / "mlm.csv", root=tmp_path)
    actual = hashlib.sha256((tmp_path / "copy.csv").read_bytes()).hexdigest()
    assert f"expected {GOOD_SHA256}, got {actual}" in str(caught.value)
    assert list((tmp_path / "raw").iterdir()) == []


def test_missing_local_copy_names_the_key_and_the_resolved_path(tmp_path: Path) -> None:
    with pytest.raises(fetch.DataError) as caught:
        fetch.copy_local("nowhere/mlm.csv", GOOD_SHA256, tmp_path / "mlm.csv", root=tmp_path)
    assert "data.local_copy: 'nowhere/mlm.csv'" in str(caught.value)
    assert str(tmp_path / "nowhere" / "mlm.csv") in str(caught.value)


@needs_mlm
def test_the_shared_copy_of_the_lecture_data_matches_the_configured_checksum(
    tmp_path: Path,
) -> None:
    result = fetch.copy_local("../shared/data/mlm.csv", MLM_SHA256, tmp_path / "mlm.csv",
                             root=REPO_ROOT)  # fmt: skip
    assert result.sha256 == MLM_SHA256
