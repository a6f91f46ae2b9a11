"""How an output was made: the report's markdown and `python -m mlmpipe show`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from mlmpipe import cli
from mlmpipe.provenance import (
    load_record,
    record_path,
    render_markdown,
)
from provenance_pipeline import FIGURE, TABLE


def test_show_says_how_a_file_was_made_even_from_a_lone_png(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["show", TABLE]) == 0
    assert capsys.readouterr().out == render_markdown(TABLE) + "\n"
    lone = tree / "elsewhere" / "plot.png"
    lone.parent.mkdir()
    shutil.copy(FIGURE, lone)
    assert cli.main(["show", str(lone), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rule"] == "figure"
    assert cli.main(["show", "results/m1/fit/m1-20261126063011_1.csv"]) == 1
    assert "no provenance record" in capsys.readouterr().err


def test_render_markdown_names_rule_inputs_sources_command_and_links(tree: Path) -> None:
    record = load_record(record_path(FIGURE))
    text = render_markdown(FIGURE)
    assert "rule `figure`" in text
    short = record["inputs"][0]["sha256"][:8]
    assert f"`{TABLE}` ({short})" in text
    assert "Traces back to:" in text and "`stan/m1.stan`" in text
    assert f"Regenerate: `snakemake --cores 1 --force {FIGURE}`" in text
    assert text.rstrip().endswith(f"[Full provenance record]({FIGURE}.prov.json)")
    linked = render_markdown(record, link="../results/m1/figures/plot.png.prov.json")
    assert "(../results/m1/figures/plot.png.prov.json)" in linked
    assert render_markdown(f"{FIGURE}.prov.json") == text
