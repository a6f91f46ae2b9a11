"""The provenance record inside a PNG."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mlmpipe import pngtext
from mlmpipe.fileio import sha256_file
from mlmpipe.provenance import (
    ProvenanceError,
    embed_png_text,
    load_record,
    png_content_sha256,
    read_png_record,
    read_png_text,
    write_record,
)
from PIL import Image, PngImagePlugin


def test_png_record_round_trip_keeps_the_image_and_its_other_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "matplotlib")
    Image.new("RGB", (5, 4), (224, 122, 95)).save("f.png", pnginfo=info)
    os.chmod("f.png", 0o640)
    pixels = Image.open("f.png").tobytes()
    Path("in.csv").write_text("a\n1\n")
    write_record("f.png", rule="plot", inputs={"table": "in.csv"}, params={"seed": 9})
    write_record("f.png", rule="plot", inputs={"table": "in.csv"}, params={"seed": 9})

    with Image.open("f.png") as image:
        image.verify()  # chunk CRCs and structure
    with Image.open("f.png") as image:
        image.load()
        assert image.tobytes() == pixels
        assert image.text["Software"] == "matplotlib"
        embedded = json.loads(image.text["provenance"])
    assert Path("f.png").read_bytes().count(b"iTXtprovenance") == 1
    assert pngtext.read_text("f.png", "Software") == "matplotlib"  # Pillow's tEXt chunk
    assert Path("f.png").stat().st_mode & 0o777 == 0o640
    umask = os.umask(0o022)
    os.umask(umask)
    assert Path("f.png.prov.json").stat().st_mode & 0o777 == 0o666 & ~umask
    sidecar = load_record("f.png.prov.json")
    assert read_png_record("f.png") == embedded
    assert embedded["output"]["sha256"] is None
    assert embedded["output"]["content_sha256"] == png_content_sha256("f.png")
    assert sidecar["output"]["sha256"] == sha256_file("f.png")
    assert embedded["inputs"] == sidecar["inputs"] and embedded["params"] == {"seed": 9}


def test_png_text_helpers_refuse_a_file_that_is_not_a_png(tmp_path: Path) -> None:
    Path(tmp_path / "fake.png").write_bytes(b"not a png")
    with pytest.raises(ProvenanceError, match="fake.png"):
        embed_png_text(tmp_path / "fake.png", "x")
    Image.new("L", (2, 2)).save(tmp_path / "plain.png")
    assert read_png_text(tmp_path / "plain.png") is None
