"""Provenance records: building, writing and reading them, on the tiny pipeline
(tests/provenance_pipeline.py)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from mlmpipe.cmdstan import discover as discover_cmdstan
from mlmpipe.fileio import sha256_file
from mlmpipe.provenance import (
    PACKAGES,
    SCHEMA,
    load_record,
    png_content_sha256,
    record_path,
    sha256_json,
    source_leaves,
    write_record,
)
from mlmpipe.provenance.audit import audit
from PIL import Image
from provenance_pipeline import FIGURE, TABLE, run_command, run_snakemake, statuses


def test_record_of_a_figure_is_complete_and_its_hashes_are_right(tree: Path) -> None:
    record = load_record(record_path(FIGURE))
    expected_keys = {"schema", "output", "rule", "wildcards", "created", "command", "inputs"}
    expected_keys |= {"config", "params", "sampler", "versions", "git"}
    assert expected_keys <= set(record)
    assert record["schema"] == SCHEMA
    assert record["rule"] == "figure"
    assert record["wildcards"] == {"model": "m1"}
    assert record["output"]["path"] == FIGURE
    assert record["output"]["sha256"] == sha256_file(FIGURE)
    assert record["output"]["content_sha256"] == png_content_sha256(FIGURE)
    for entry in record["inputs"]:
        assert entry["sha256"] == sha256_file(entry["path"]), entry["path"]
    assert [(e["name"], e["path"]) for e in record["inputs"]] == [
        ("table", TABLE),
        ("data", "data/raw/mlm.csv"),
        ("code", "step.py"),
        ("code", "Snakefile"),
    ]
    assert record["config"]["sections"] == {"figures": {"dpi": 50}}
    assert record["config"]["sha256"] == sha256_json({"figures": {"dpi": 50}})
    created = dt.datetime.fromisoformat(record["created"].replace("Z", "+00:00"))
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(hours=1)
    assert record["command"] == f"snakemake --cores 1 --force {FIGURE}"
    git_head = run_command(["git", "rev-parse", "HEAD"], tree).stdout.strip()
    assert record["git"]["commit"] == git_head
    assert record["git"]["dirty"] is False
    versions = record["versions"]
    assert set(PACKAGES) <= set(versions["packages"])
    assert versions["packages"]["snakemake"] and versions["packages"]["cmdstanpy"]
    assert versions["python"].startswith("3.")


def test_chain_reaches_raw_data_stan_program_and_cmdstan_csvs(tree: Path) -> None:
    record = load_record(record_path(FIGURE))
    leaves = [entry["path"] for entry in source_leaves(record)]
    assert leaves == [
        "data/raw/mlm.csv",
        "stan/m1.stan",
        "results/toolchain/cmdstan.json",  # recorded, with no inputs of its own
        "step.py",
        "Snakefile",
    ]
    table_input = next(e for e in record["inputs"] if e["name"] == "table")
    fit_input = table_input["upstream"]["inputs"][0]
    assert fit_input["path"] == "results/m1/fit" and fit_input["kind"] == "directory"
    files = {f["path"]: f["sha256"] for f in fit_input["files"]}
    csv = "m1-20261126063011_1.csv"
    assert files[csv] == sha256_file(f"results/m1/fit/{csv}")
    fit_record = fit_input["upstream"]
    assert fit_record["rule"] == "fit"
    assert {e["path"]: e["sha256"] for e in fit_record["inputs"]}["stan/m1.stan"] == sha256_file(
        "stan/m1.stan"
    )


def test_fit_record_has_config_sampler_settings_seed_and_cmdstan(tree: Path) -> None:
    record = load_record("results/m1/fit.prov.json")
    sections = record["config"]["sections"]
    assert sections["models.m1"]["priors"]["b"] == {"family": "normal", "mu": 0, "sigma": 1}
    assert sections["sampling"] == {"chains": 2, "seed": 9}
    assert record["params"] == {"seed": 9}
    sampler = record["sampler"]
    assert sampler["settings"]["seed"] == "9"
    assert sampler["settings"]["num_samples"] == "10"
    assert sampler["settings"]["adapt_delta"] == "0.8"
    assert [c["chain_id"] for c in sampler["chains"]] == ["1", "2"]
    assert record["versions"]["stan"] == "2.35.0"
    cmdstan = record["versions"]["cmdstan"]
    assert cmdstan["version"] == "2.35.0" and cmdstan["stanc_version"] == "stanc3 v2.35.0"
    assert cmdstan["file"] == "results/toolchain/cmdstan.json"
    downstream = load_record(record_path(TABLE))
    assert downstream["sampler"]["via"] == "results/m1/fit"
    assert downstream["versions"]["cmdstan"]["version"] == "2.35.0"


def test_write_record_names_a_missing_output_or_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing.csv"):
        write_record("nothing.csv", rule="r", inputs={})
    Path("t.csv").write_text("1\n")
    with pytest.raises(FileNotFoundError, match="gone.txt"):
        write_record("t.csv", rule="r", inputs={"x": ["gone.txt"]})


def test_a_symlinked_input_keeps_the_name_the_pipeline_gave_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("shared.csv").write_text("id,con\n6,0.19\n")
    Path("data/raw").mkdir(parents=True)
    Path("data/raw/mlm.csv").symlink_to("../../shared.csv")
    Path("t.csv").write_text("1\n")
    record = load_record(write_record("t.csv", rule="r", inputs={"data": "data/raw/mlm.csv"}))
    assert record["inputs"][0]["path"] == "data/raw/mlm.csv"
    assert record["inputs"][0]["sha256"] == sha256_file("shared.csv")
    assert audit(["t.csv"]).entries[0].status == "ok"


def test_cmdstan_is_discovered_from_the_environment_when_no_toolchain_json_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "cmdstan-2.35.0"
    (home / "bin").mkdir(parents=True)
    (home / "makefile").write_text("CMDSTAN_VERSION := 2.35.0\n")
    stanc = home / "bin" / "stanc"
    stanc.write_text("#!/bin/sh\necho 'stanc3 v2.35.0 (Unix)'\n")
    stanc.chmod(0o755)
    monkeypatch.setenv("CMDSTAN", str(home))
    monkeypatch.delitem(sys.modules, "cmdstanpy", raising=False)
    discover_cmdstan.cache_clear()
    try:
        info = discover_cmdstan()
    finally:
        discover_cmdstan.cache_clear()
    assert info == {
        "path": str(home),
        "version": "2.35.0",
        "stanc_version": "stanc3 v2.35.0 (Unix)",
        "source": "discovered: $CMDSTAN",
    }


def test_the_recorded_command_regenerates_that_file_alone(tree: Path) -> None:
    record = load_record(record_path(FIGURE))
    Image.new("RGB", (8, 6), (255, 0, 0)).save(FIGURE)
    command = record["command"].split()
    assert command[0] == "snakemake"
    run_snakemake(tree, *command[1:])
    assert set(statuses(tree).values()) == {"ok"}
    assert load_record(record_path(FIGURE))["created"] >= record["created"]
    table_record = load_record(record_path(TABLE))
    assert table_record["created"] == record["inputs"][0]["upstream"]["created"]  # not rerun
