"""Obtain mlm.csv: download it (retrying network errors) or copy data.local_copy, verified.

:func:`obtain` writes ``data/raw/mlm.csv`` from the configured URL (with retries and
exponential backoff on network errors) or from ``data.local_copy``; either way the file must
have the configured sha256, and nothing is written under the final name unless it does.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import atomic_path

log = logging.getLogger(__name__)

LOCAL_COPY_HINT = (
    "To use a copy of mlm.csv you already have, set data.local_copy in config/config.yaml "
    "to its path (a relative path is relative to the repository root), or pass it on the "
    "command line: workflow/bootstrap snakemake --cores 4 "
    '--config \'data={{"local_copy": "{example}"}}\'. '
    "The copy is checked against data.sha256 exactly like a download."
)


class DataError(MlmpipeError, RuntimeError):
    """Base class of the errors of the data steps (fetching and validation)."""


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
    """Return a network error as a short phrase: ``HTTP 503 Service Unavailable``, a reason."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    return f"{type(error).__name__}: {error}"


def _retryable(error: BaseException) -> bool:
    """Return whether a failed attempt is worth retrying (see :data:`RETRY_STATUS`)."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code in RETRY_STATUS
    return isinstance(error, (urllib.error.URLError, OSError, HTTPException))


def _download_once(url: str, sha256: str, destination: Path, timeout_seconds: float) -> str:
    """Read ``url`` once into ``destination`` if its sha256 is ``sha256``; return the digest.

    Raises ChecksumError when the digest differs, and urllib's errors, OSError or
    HTTPException when the URL cannot be read.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "mlmpipe"})
    with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
        return _copy_verified(response.read, url, sha256, destination)


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
            digest = _download_once(url, sha256, destination, timeout_seconds)
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


__all__ = [
    "ChecksumError",
    "DataError",
    "DownloadError",
    "FetchResult",
    "copy_local",
    "download",
    "obtain",
]
