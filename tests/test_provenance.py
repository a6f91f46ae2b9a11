"""Provenance records and the audit, on a tiny real Snakemake pipeline built in a temp folder.

The pipeline mimics ours in four small steps (toolchain JSON, a "fit" that writes CmdStan-like
CSVs into a directory output, a summary table, a PNG figure), each a `script:` that ends with
`record_snakemake_outputs`. It is built once per session (a few seconds) and copied for every
test that changes a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from mlmpipe import cli, pngtext
from mlmpipe.audit import audit, config_diff, load_current_config, run_for_snakemake
from mlmpipe.cmdstan import discover as discover_cmdstan
from mlmpipe.fileio import sha256_file
from mlmpipe.provenance import (
    PACKAGES,
    SCHEMA,
    ProvenanceError,
    embed_png_text,
    load_record,
    png_content_sha256,
    read_png_record,
    read_png_text,
    record_path,
    record_snakemake_outputs,
    render_markdown,
    sha256_json,
    source_leaves,
    write_record,
)
from PIL import Image, PngImagePlugin

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
FIGURE = "results/m1/figures/plot.png"
TABLE = "results/m1/summary.csv"

SNAKEFILE = """\
configfile: "config/config.yaml"


rule all:
    input:
        "{figure}",


rule toolchain:
    output:
        "results/toolchain/cmdstan.json",
    log:
        "logs/toolchain.log",
    script:
        "step.py"


rule fit:
    input:
        data="data/raw/mlm.csv",
        stan="stan/{{model}}.stan",
        toolchain="results/toolchain/cmdstan.json",
    output:
        directory("results/{{model}}/fit"),
    params:
        seed=lambda wildcards: config["sampling"]["seed"],
    log:
        "logs/fit_{{model}}.log",
    script:
        "step.py"


rule summary:
    input:
        fit="results/{{model}}/fit",
    output:
        "results/{{model}}/summary.csv",
    log:
        "logs/summary_{{model}}.log",
    script:
        "step.py"


rule figure:
    input:
        table="results/{{model}}/summary.csv",
        data="data/raw/mlm.csv",
        code=["step.py", "Snakefile"],
    output:
        "results/{{model}}/figures/plot.png",
    log:
        "logs/figure_{{model}}.log",
    script:
        "step.py"


include: "{audit_rules}"
"""

STEP = """\
from pathlib import Path

from PIL import Image, PngImagePlugin

from mlmpipe.provenance import record_snakemake_outputs

rule = snakemake.rule
out = Path(snakemake.output[0])
out.parent.mkdir(parents=True, exist_ok=True)
keys = ()
if rule == "toolchain":
    out.write_text('{"path": "/opt/cmdstan", "version": "2.35.0", '
                   '"stanc_version": "stanc3 v2.35.0", "source": "test"}')
elif rule == "fit":
    out.mkdir(parents=True, exist_ok=True)
    for chain in (1, 2):
        header = [
            "stan_version_major = 2", "stan_version_minor = 35", "stan_version_patch = 0",
            "model = m1_model", "method = sample (Default)", "  sample",
            "    num_samples = 10", "    num_warmup = 10", "    adapt",
            "      delta = 0.8 (Default)", f"id = {chain}", "random",
            f"  seed = {snakemake.params.seed}",
        ]
        text = "".join(f"# {line}\\n" for line in header) + "lp__,b\\n-1.5,0.2\\n-1.4,0.3\\n"
        (out / f"m1-20261126063011_{chain}.csv").write_text(text)
        (out / f"m1-20261126063011_{chain - 1}-stdout.txt").write_text("sampling\\n")
    keys = ("models.{model}", "sampling")
elif rule == "summary":
    out.write_text("variable,mean\\nb,0.25\\n")
    keys = ("models.{model}",)
elif rule == "figure":
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "test")
    Image.new("RGB", (8, 6), (28, 82, 83)).save(out, pnginfo=info)
    keys = ("figures",)
Path(snakemake.log[0]).parent.mkdir(parents=True, exist_ok=True)
Path(snakemake.log[0]).write_text("done\\n")
record_snakemake_outputs(snakemake, config_keys=keys)
"""

CONFIG = """\
models:
  m1:
    formula: ["con ~ 1"]
    priors:
      b: {family: normal, mu: 0, sigma: 1}
sampling:
  chains: 2
  seed: 9
figures:
  dpi: 50
"""


def _run(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def _snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = _run([str(SNAKEMAKE), *args], cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny pipeline, committed to git and run once."""
    root = tmp_path_factory.mktemp("pipeline")
    rules = REPO / "workflow" / "rules" / "provenance.smk"
    (root / "Snakefile").write_text(SNAKEFILE.format(figure=FIGURE, audit_rules=rules.as_posix()))
    (root / "step.py").write_text(STEP)
    (root / "config").mkdir()
    (root / "config" / "config.yaml").write_text(CONFIG)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "mlm.csv").write_text("id,week,con\n6,0,0.19\n6,1,0.2\n29,0,0.12\n")
    (root / "stan").mkdir()
    (root / "stan" / "m1.stan").write_text("parameters { real b; }\nmodel { b ~ normal(0, 1); }\n")
    (root / ".gitignore").write_text("results/\nlogs/\n.snakemake/\n")
    _run(["git", "init", "-q"], root, check=True)
    _run(["git", "add", "."], root, check=True)
    _run(["git", "-c", "commit.gpgsign=false", "commit", "-qm", "tiny pipeline"], root, check=True)
    _snakemake(root, "--cores", "1")
    return root


@pytest.fixture
def tree(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built pipeline, as the current directory."""
    copy = tmp_path / "copy"
    shutil.copytree(built, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


def _statuses(root: Path, *paths: str) -> dict[str, str]:
    report = audit(list(paths) or ["results"], root=root)
    return {entry.path: entry.status for entry in report.entries}


# ------------------------------------------------------------------------------------------
# Records


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
    git_head = _run(["git", "rev-parse", "HEAD"], tree).stdout.strip()
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


def test_record_snakemake_outputs_skips_logs_records_and_other_kinds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("t.csv", "x.pkl", "t.csv.prov.json", "job.log", "in.txt"):
        Path(name).write_text("1\n")
    job = SimpleNamespace(
        rule="demo",
        input=["in.txt"],
        output=["t.csv", "x.pkl", "t.csv.prov.json", "job.log"],
        params=[],
        wildcards=[],
        log=["job.log"],
        config={"a": {"b": 1}},
    )
    written = record_snakemake_outputs(job, config_keys=("a",))
    assert written == [Path("t.csv.prov.json")]
    assert load_record("t.csv.prov.json")["config"]["sections"] == {"a": {"b": 1}}
    assert record_snakemake_outputs(job, all_outputs=True) == [
        Path("t.csv.prov.json"),
        Path("x.pkl.prov.json"),
    ]
    with pytest.raises(ProvenanceError, match="'a.c'"):
        record_snakemake_outputs(job, config_keys=("a.c",))


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


# ------------------------------------------------------------------------------------------
# PNG metadata


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


# ------------------------------------------------------------------------------------------
# Audit


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
    assert _statuses(tree, TABLE) == {TABLE: "ok"}
    assert _statuses(tree, f"{TABLE}.prov.json") == {TABLE: "ok"}
    assert _statuses(tree, "results/m1/figures") == {FIGURE: "ok"}
    Path(TABLE).unlink()
    assert _statuses(tree, TABLE) == {TABLE: "missing"}
    assert _statuses(tree, "results/nothing.csv") == {"results/nothing.csv": "missing"}


# ------------------------------------------------------------------------------------------
# Command line and Snakemake rule


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
    result = _run([sys.executable, "-m", "mlmpipe", "audit", TABLE, "--json"], tree)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outputs"][0]["status"] == "ok"
    unknown = _run([sys.executable, "-m", "mlmpipe", "nonsense"], tree)
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


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


def test_the_recorded_command_regenerates_that_file_alone(tree: Path) -> None:
    record = load_record(record_path(FIGURE))
    Image.new("RGB", (8, 6), (255, 0, 0)).save(FIGURE)
    command = record["command"].split()
    assert command[0] == "snakemake"
    _snakemake(tree, *command[1:])
    assert set(_statuses(tree).values()) == {"ok"}
    assert load_record(record_path(FIGURE))["created"] >= record["created"]
    table_record = load_record(record_path(TABLE))
    assert table_record["created"] == record["inputs"][0]["upstream"]["created"]  # not rerun


def test_snakemake_audit_rule_writes_the_report(tree: Path) -> None:
    _snakemake(tree, "--cores", "1", "audit")
    assert Path("results/audit.txt").read_text().splitlines()[-1] == "4 outputs: 4 ok (all ok)"
    assert Path("logs/audit.log").read_text() == Path("results/audit.txt").read_text()


def test_the_audit_rule_fails_after_writing_what_is_wrong(tree: Path) -> None:
    Path(FIGURE).write_bytes(Path(FIGURE).read_bytes() + b"\0")
    config = load_current_config(tree)
    with pytest.raises(ProvenanceError, match="1 altered"):
        run_for_snakemake(["results"], config=config, report="results/audit.txt")
    assert f"altered  {FIGURE}" in Path("results/audit.txt").read_text()


# ------------------------------------------------------------------------------------------
# Markdown for the report


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
