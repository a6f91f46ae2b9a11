"""The audit of provenance records against the files on disk, on the tiny pipeline
(tests/provenance_pipeline.py), from Python, the command line and the Snakemake rule."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mlmpipe import cli
from mlmpipe.provenance import (
    ProvenanceError,
    embed_png_text,
    read_png_text,
    record_path,
)
from mlmpipe.provenance.audit import audit, load_current_config, run_for_snakemake
from mlmpipe.provenance.audit_checks import config_diff
from PIL import Image
from provenance_pipeline import FIGURE, TABLE, run_command, run_snakemake, statuses


def test_audit_is_ok_on_a_fresh_run(tree: Path) -> None:
    report = audit(["results"], root=tree)
    assert report.ok, report.format_text()
    assert [entry.path for entry in report.entries] == [
        "results/m1/figures/plot.png",
        "results/m1/fit",
        "results/m1/summary.csv",
        "results/toolchain/cmdstan.json",
    ]
    assert report.summary() == "4 outputs: 4 ok (all ok)"


def test_editing_the_data_file_makes_its_descendants_stale_and_names_it(tree: Path) -> None:
    with open("data/raw/mlm.csv", "a") as handle:
        handle.write("34,0,0.11\n")
    report = audit(["results"], root=tree)
    entries = report.by_path()
    assert entries["results/toolchain/cmdstan.json"].status == "ok"
    for path in (FIGURE, TABLE, "results/m1/fit"):
        assert entries[path].status == "stale"
        assert "data/raw/mlm.csv" in entries[path].changed
    summary_reason = entries[TABLE].reasons[0]
    assert summary_reason.startswith("input data/raw/mlm.csv changed (")
    assert summary_reason.endswith("), via results/m1/fit")
    assert ", via" not in entries[FIGURE].reasons[0]  # a direct input of the figure


def test_editing_a_stan_program_is_named_through_the_chain(tree: Path) -> None:
    Path("stan/m1.stan").write_text("parameters { real b; }\nmodel { b ~ normal(0, 2); }\n")
    entries = audit(["results"], root=tree).by_path()
    assert entries[FIGURE].status == "stale"
    assert len(entries[FIGURE].reasons) == 1
    assert entries[FIGURE].reasons[0].startswith("input stan/m1.stan changed (")
    assert entries[FIGURE].reasons[0].endswith(", via results/m1/summary.csv > results/m1/fit")


def test_changing_a_prior_in_the_config_is_named(tree: Path) -> None:
    config = Path("config/config.yaml")
    config.write_text(config.read_text().replace("mu: 0, sigma: 1", "mu: 0, sigma: 2"))
    entries = audit(["results"], root=tree).by_path()
    assert entries["results/m1/fit"].status == "stale"
    assert entries["results/m1/fit"].reasons == [
        "config models.m1 changed: models.m1.priors.b.sigma: 1 -> 2"
    ]
    assert entries[TABLE].status == "stale" and "config:models.m1" in entries[TABLE].changed
    assert entries[FIGURE].status == "stale"
    assert entries[FIGURE].reasons[0].endswith(", via results/m1/summary.csv")
    assert entries["results/toolchain/cmdstan.json"].status == "ok"


def test_current_config_gets_the_schema_defaults_as_a_run_does(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("sampling:\n  seed: 9\n")
    schema = tmp_path / "workflow" / "schemas" / "config.schema.yaml"
    schema.parent.mkdir(parents=True)
    schema.write_text(
        '$schema: "http://json-schema.org/draft-07/schema#"\n'
        "type: object\nproperties:\n  sampling:\n    type: object\n    properties:\n"
        "      seed: {type: integer}\n      chains: {type: integer, default: 4}\n"
    )
    assert load_current_config(tmp_path) == {"sampling": {"seed": 9, "chains": 4}}


def test_config_changes_are_named_by_key_and_position() -> None:
    old = {"people": [129, 97, 223], "count": 3, "palette": ["#1c5253"]}
    new = {"people": [130, 97, 223], "count": 4, "palette": ["#1c5253", "#e07a5f"], "x": 1}
    assert config_diff(old, new, "highlight") == [
        "highlight.people[0]: 129 -> 130",
        "highlight.count: 3 -> 4",
        'highlight.palette: ["#1c5253"] -> ["#1c5253", "#e07a5f"]',
        "highlight.x added",
    ]


def test_editing_the_figure_itself_is_altered(tree: Path) -> None:
    Image.new("RGB", (8, 6), (255, 0, 0)).save(FIGURE)
    entries = audit(["results"], root=tree).by_path()
    assert entries[FIGURE].status == "altered"
    assert entries[FIGURE].reasons[0].startswith("the file changed since it was recorded")
    assert {e.status for p, e in entries.items() if p != FIGURE} == {"ok"}


def test_a_changed_cmdstan_csv_alters_the_fit_and_stales_what_follows(tree: Path) -> None:
    with open("results/m1/fit/m1-20261126063011_2.csv", "a") as handle:
        handle.write("-1.3,0.1\n")
    entries = audit(["results"], root=tree).by_path()
    assert entries["results/m1/fit"].status == "altered"
    assert "m1-20261126063011_2.csv changed" in entries["results/m1/fit"].reasons[0]
    assert entries[TABLE].status == "stale"


def test_a_missing_record_is_unrecorded_and_logs_and_cmdstan_files_are_not_outputs(
    tree: Path,
) -> None:
    Path(record_path(TABLE)).unlink()
    Path("results/extra.csv").write_text("x\n1\n")
    Path("results/m1/notes.log").write_text("log\n")
    Path("results/README.md").write_text("What is in results/\n")
    Path("results/m1/logs").mkdir()
    Path("results/m1/logs/run.txt").write_text("log\n")
    entries = audit(["results"], root=tree).by_path()
    assert entries[TABLE].status == "unrecorded"
    assert entries[TABLE].reasons == [f"no provenance record ({TABLE}.prov.json)"]
    assert entries["results/extra.csv"].status == "unrecorded"
    assert not any("logs" in p or p.endswith((".log", "README.md")) or "2026" in p for p in entries)
    # the figure keeps its own copy of the table's record, so its chain still checks out
    assert entries[FIGURE].status == "ok"


def test_a_png_without_its_sidecar_is_checked_against_its_embedded_record(tree: Path) -> None:
    Path(record_path(FIGURE)).unlink()
    entry = audit([FIGURE], root=tree).entries[0]
    assert entry.status == "ok"
    assert entry.record == f"{FIGURE} (embedded)"
    embedded = read_png_text(FIGURE)
    Image.new("RGB", (8, 6), (0, 0, 0)).save(FIGURE)
    embed_png_text(FIGURE, embedded or "")
    assert audit([FIGURE], root=tree).entries[0].status == "altered"


def test_an_unreadable_record_is_invalid_and_named(tree: Path) -> None:
    Path(record_path(TABLE)).write_text("{not json")
    entry = audit([TABLE], root=tree).entries[0]
    assert entry.status == "invalid"
    assert entry.reasons[0].startswith(f"{TABLE}.prov.json: not valid JSON")


def test_audit_takes_one_file_a_record_or_a_folder(tree: Path) -> None:
    assert statuses(tree, TABLE) == {TABLE: "ok"}
    assert statuses(tree, f"{TABLE}.prov.json") == {TABLE: "ok"}
    assert statuses(tree, "results/m1/figures") == {FIGURE: "ok"}
    Path(TABLE).unlink()
    assert statuses(tree, TABLE) == {TABLE: "missing"}
    assert statuses(tree, "results/nothing.csv") == {"results/nothing.csv": "missing"}


def test_cli_exit_status_and_json(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "results"]) == 0
    text = capsys.readouterr().out
    assert f"ok  {FIGURE}" in text
    assert text.splitlines()[-1] == "4 outputs: 4 ok (all ok)"

    Path(FIGURE).write_bytes(Path(FIGURE).read_bytes() + b"\0")
    assert cli.main(["audit", "results", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert data["counts"]["altered"] == 1 and data["counts"]["ok"] == 3
    figure = next(o for o in data["outputs"] if o["path"] == FIGURE)
    assert figure["status"] == "altered" and figure["changed"] == [FIGURE]
    assert cli.main(["audit", "results", "--exit-zero", "--output", "audit.txt"]) == 0
    assert "altered" in Path("audit.txt").read_text()


def test_python_dash_m_mlmpipe_audit_runs(tree: Path) -> None:
    result = run_command([sys.executable, "-m", "mlmpipe", "audit", TABLE, "--json"], tree)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outputs"][0]["status"] == "ok"
    unknown = run_command([sys.executable, "-m", "mlmpipe", "nonsense"], tree)
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


def test_snakemake_audit_rule_writes_the_report(tree: Path) -> None:
    run_snakemake(tree, "--cores", "1", "audit")
    assert Path("results/audit.txt").read_text().splitlines()[-1] == "4 outputs: 4 ok (all ok)"
    assert Path("logs/audit.log").read_text() == Path("results/audit.txt").read_text()


def test_the_audit_rule_fails_after_writing_what_is_wrong(tree: Path) -> None:
    Path(FIGURE).write_bytes(Path(FIGURE).read_bytes() + b"\0")
    config = load_current_config(tree)
    with pytest.raises(ProvenanceError, match="1 altered"):
        run_for_snakemake(["results"], config=config, report="results/audit.txt")
    assert f"altered  {FIGURE}" in Path("results/audit.txt").read_text()
