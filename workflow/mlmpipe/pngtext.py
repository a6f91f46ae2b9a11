"""Text chunks in PNG files, read and written without re-encoding the image.

A PNG is a signature followed by chunks (length, type, data, CRC). Text lives in ``tEXt``
(Latin-1), ``zTXt`` (compressed Latin-1) and ``iTXt`` (UTF-8, optionally compressed) chunks,
each starting with a keyword. :func:`embed_text` writes a compressed ``iTXt`` chunk just before
``IEND`` and keeps every other chunk byte for byte, so the pixels and the metadata other tools
wrote (matplotlib's ``Software``, the DPI) are untouched; Pillow reads the text back as
``Image.open(path).text[key]``.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import write_bytes_atomic

SIGNATURE = b"\x89PNG\r\n\x1a\n"
"""The eight bytes every PNG file starts with."""

TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
"""The chunk types that hold text."""


class PngError(MlmpipeError, ValueError):
    """A file is not a valid PNG, or a text chunk in it cannot be decoded; names the file."""


def chunks(data: bytes, path: str = "<png>") -> list[tuple[bytes, bytes]]:
    """Return the chunks of PNG bytes as ``(type, whole chunk with length and CRC)``.

    Stops at ``IEND``. Raises PngError naming ``path`` when the signature is wrong, a chunk is
    truncated or there is no ``IEND``.
    """
    if not data.startswith(SIGNATURE):
        raise PngError(f"{path}: not a PNG file (bad signature)")
    found: list[tuple[bytes, bytes]] = []
    pos = len(SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise PngError(f"{path}: truncated PNG chunk at byte {pos}")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise PngError(f"{path}: truncated PNG chunk {kind!r} at byte {pos}")
        found.append((kind, data[pos:end]))
        pos = end
        if kind == b"IEND":
            break
    if not found or found[-1][0] != b"IEND":
        raise PngError(f"{path}: PNG has no IEND chunk")
    return found


def _keyword(chunk: bytes) -> bytes:
    """Return the keyword of a text chunk (given whole, with length and CRC)."""
    return chunk[8:-4].split(b"\x00", 1)[0]


def _is_text(kind: bytes, chunk: bytes, keyword: bytes) -> bool:
    return kind in TEXT_CHUNKS and _keyword(chunk) == keyword


def _make_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def without_text(data: bytes, key: str, path: str = "<png>") -> bytes:
    """Return PNG bytes with every text chunk whose keyword is ``key`` removed.

    Raises PngError naming ``path`` when the bytes are not a valid PNG.
    """
    keyword = key.encode("latin-1")
    kept = [chunk for kind, chunk in chunks(data, path) if not _is_text(kind, chunk, keyword)]
    return SIGNATURE + b"".join(kept)


def sha256_without_text(path: str | os.PathLike[str], key: str) -> str:
    """Return the sha256 of the PNG at ``path`` with its ``key`` text chunks removed.

    Raises PngError naming the file when it is not a valid PNG, OSError when unreadable.
    """
    data = Path(path).read_bytes()
    return hashlib.sha256(without_text(data, key, os.fspath(path))).hexdigest()


def embed_text(path: str | os.PathLike[str], key: str, text: str) -> Path:
    """Put ``text`` into the PNG at ``path`` as a compressed iTXt chunk called ``key``.

    Any earlier text chunk with the same keyword is replaced; the image data and every other
    chunk are kept byte for byte. The file is rewritten atomically and keeps its permissions.
    Returns the path; raises PngError naming the file when it is not a valid PNG.
    """
    p = Path(path)
    keyword = key.encode("latin-1")
    kept = [
        chunk
        for kind, chunk in chunks(p.read_bytes(), os.fspath(path))
        if not _is_text(kind, chunk, keyword)
    ]
    # keyword NUL, compression flag 1 and method 0, empty language tag NUL, empty
    # translated keyword NUL, then the zlib-compressed UTF-8 text
    body = keyword + b"\x00\x01\x00\x00\x00" + zlib.compress(text.encode("utf-8"), 9)
    data = SIGNATURE + b"".join(kept[:-1]) + _make_chunk(b"iTXt", body) + kept[-1]
    mode = p.stat().st_mode & 0o7777
    write_bytes_atomic(p, data)
    os.chmod(p, mode)  # the temporary file was created owner-only
    return p


def read_text(path: str | os.PathLike[str], key: str) -> str | None:
    """Return the text of the first chunk called ``key`` (tEXt, zTXt or iTXt), or None.

    Raises PngError naming the file when it is not a valid PNG or the chunk cannot be decoded.
    """
    keyword = key.encode("latin-1")
    for kind, chunk in chunks(Path(path).read_bytes(), os.fspath(path)):
        if not _is_text(kind, chunk, keyword):
            continue
        rest = chunk[8:-4][len(keyword) + 1 :]
        try:
            if kind == b"tEXt":
                return rest.decode("latin-1")
            if kind == b"zTXt":
                return zlib.decompress(rest[1:]).decode("latin-1")
            compressed = rest[0] == 1
            _language, _translated, text = rest[2:].split(b"\x00", 2)
            return (zlib.decompress(text) if compressed else text).decode("utf-8")
        except (zlib.error, UnicodeDecodeError, ValueError, IndexError) as error:
            raise PngError(f"{path}: cannot decode the {key!r} text chunk: {error}") from error
    return None
