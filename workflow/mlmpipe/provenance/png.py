"""The provenance record inside a PNG: its ``provenance`` text chunk, read, written and left
out of the image's content hash (the chunks themselves are handled by :mod:`mlmpipe.pngtext`)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlmpipe import pngtext

from .paths import PNG_KEY, ProvenanceError


@contextlib.contextmanager
def _png_errors() -> Iterator[None]:
    """Re-raise a PngError (an invalid PNG, named) as a ProvenanceError."""
    try:
        yield
    except pngtext.PngError as error:
        raise ProvenanceError(str(error)) from error


def png_content_sha256(path: str | os.PathLike[str]) -> str:
    """Return the sha256 of the PNG at ``path`` without its ``provenance`` chunk.

    This is the hash that the embedded record can carry (a file cannot contain its own hash).
    Raises ProvenanceError naming the file if it is not a valid PNG.
    """
    with _png_errors():
        return pngtext.sha256_without_text(path, PNG_KEY)


def embed_png_text(path: str | os.PathLike[str], text: str, key: str = PNG_KEY) -> Path:
    """Put ``text`` into the PNG at ``path`` as a compressed iTXt chunk called ``key``.

    Replaces an earlier chunk of that name; the image and other chunks are kept byte for byte,
    and the file keeps its permissions. Returns the path; raises ProvenanceError naming the file
    if it is not a valid PNG.
    """
    with _png_errors():
        return pngtext.embed_text(path, key, text)


def read_png_text(path: str | os.PathLike[str], key: str = PNG_KEY) -> str | None:
    """Return the text of the PNG chunk called ``key``, or None if absent.

    Raises ProvenanceError naming the file if it is not a valid PNG.
    """
    with _png_errors():
        return pngtext.read_text(path, key)


def read_png_record(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the record embedded in the PNG at ``path``, or None when it carries none.

    Raises ProvenanceError naming the file when the PNG or the embedded JSON is invalid.
    """
    text = read_png_text(path)
    if text is None:
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProvenanceError(f"{path}: embedded provenance is not valid JSON: {error}") from error
    if not isinstance(record, dict):
        raise ProvenanceError(f"{path}: embedded provenance is not a JSON object")
    return record
