"""The workflow as a user drives it: `snakemake --lint`, a dry run of the whole DAG, and the
data rules run for real on the lecture's data in a scratch directory."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from mlm_data import MLM_CSV, needs_mlm
from test_precis import LECTURE_PRECIS

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = REPO_ROOT / "config" / "config.yaml"
DATA_TARGETS = ["data/processed/mlm.parquet", "results/data/precis.csv"]


def snakemake(*args: str, cwd: Path = REPO_ROOT, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run this interpreter's Snakemake on the repository's Snakefile; return the result."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO_ROOT / "Snakefile"), *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


WORKFLOW_SOURCES = ("Snakefile", "config", "stan", "workflow", "reports")


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """A copy of the workflow's sources in a scratch directory, to run as a user runs it:
    from the copy's root, with its own config and no results yet."""
    return copy_workflow(tmp_path)


def copy_workflow(tmp_path: Path) -> Path:
    """Copy the workflow's sources to ``tmp_path/workflow-copy`` and return that folder."""
    copy = tmp_path / "workflow-copy"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".snakemake", "_output")
    for name in WORKFLOW_SOURCES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, copy / name)
    return copy


def run_in_copy(copy: Path, *args: str, local_copy: Path | None = MLM_CSV, timeout: int = 600):
    """Run Snakemake in the workflow copy, the data taken from ``local_copy``."""
    config = ["--config", "data=" + json.dumps({"local_copy": str(local_copy)})] if local_copy \
        else []  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *config, *args],
        cwd=copy, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def parse_lints(text: str) -> list[tuple[str, str]]:
    """Return (where, title) for every lint in the text output of `snakemake --lint`."""
    lints: list[tuple[str, str]] = []
    where = ""
    for line in text.splitlines():
        if line.startswith("Lints for "):
            where = line[len("Lints for ") :].rstrip(":")
        elif match := re.match(r"^\s{4}\* (.+?):$", line):
            lints.append((where, match.group(1)))
    return lints


def test_snakemake_lint_finds_nothing_to_fix() -> None:
    result = snakemake("--lint", timeout=300)
    output = result.stdout + result.stderr
    lints = parse_lints(output)
    assert lints or result.returncode == 0, output  # the output format is understood
    found = [f"{where}: {title}" for where, title in lints]
    assert found == [], "snakemake --lint:\n" + "\n".join(found)
    assert result.returncode == 0, output


# The lecture parts (config `lecture`) whose models each draw-table rule runs for; a rule with
# none runs once.
DRAW_RULE_ROLES = {
    "draws_spread_heads": ["partial_pooling"],
    "draws_people_epred": ["no_pooling", "partial_pooling"],
    "draws_person_means": ["partial_pooling"],
    "draws_pooling_means": [],
    "draws_selected": ["partial_pooling"],
    "draws_new_people": ["partial_pooling"],
    "draws_trajectories": ["level1_covariate", "level2_covariate"],
}


def expected_job_counts(config: dict) -> dict[str, int]:
    """How many jobs of each rule a full run plans, from the config, the figure registry and
    the report's sources."""
    from mlmpipe.figures.registry import FIGURES

    models = len(config["models"])
    per_model = ("model_data", "compile_model", "sample_model", "posterior",
                 "report_model_section")  # fmt: skip
    sections = [p.stem for p in (REPO_ROOT / "reports/sections").glob("*.qmd")]
    counts = {rule: models for rule in per_model}
    counts |= {
        rule: len({config["lecture"][role] for role in roles}) or 1
        for rule, roles in DRAW_RULE_ROLES.items()
    }
    generated = [m for m in config["models"] if not (REPO_ROOT / f"stan/{m}.stan").is_file()]
    counts |= {"model_program": len(generated)} if generated else {}
    counts |= {
        "loo_compare": len(config["loo_compare"]),
        "figure": len(FIGURES),
        "report_section": len(sections) - 1,  # every section but the per-model one
    }
    once = ("cmdstan_toolchain", "download_data", "validate_data", "data_precis",
            "report_models_index", "report_assemble", "all")  # fmt: skip
    return counts | dict.fromkeys(once, 1)


def job_stats(plan: str) -> dict[str, int]:
    """The "Job stats" table of a dry run, as {rule: count}, and its total under "total"."""
    table = plan.split("Job stats:", 1)[1].split("Reasons:", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)}


@pytest.mark.parametrize(
    "override",
    [
        {},
        # another config plans other counts: one model in both covariate parts, one comparison
        {"lecture": {"level2_covariate": "m3"}, "loo_compare": {"m3_m5": ["m3", "m5"]}},
        # a model of the instructor's own, whose Stan program the pipeline generates
        {"models": {"m6": {"formula": "con ~ 1 + week * group + (1 + week | id)",
                           "priors": {"b": "normal(0, 1)"}, "iter": 2000, "warmup": 1000}},
         "loo_compare": {"m3_m4_m5_m6": ["m3", "m4", "m5", "m6"]}},  # fmt: skip
    ],
    ids=["lecture-config", "other-config", "own-model"],
)
def test_dry_run_plans_the_whole_pipeline(workflow_copy: Path, override: dict) -> None:
    config = yaml.safe_load(CONFIG_FILE.read_text())
    if override:
        config["lecture"] |= override.get("lecture", {})
        config["models"] |= override.get("models", {})
        config["loo_compare"] = override["loo_compare"]
        (workflow_copy / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    result = run_in_copy(workflow_copy, "--dry-run", "--cores", "4", timeout=300)
    plan = result.stdout + result.stderr
    assert result.returncode == 0, plan[-3000:]
    stats = job_stats(plan)
    total = stats.pop("total")
    expected = expected_job_counts(config)
    assert stats == expected
    assert total == sum(expected.values())
    assert not (workflow_copy / "data" / "raw").exists()


@needs_mlm
def test_data_rules_run_on_the_lecture_data(workflow_copy: Path) -> None:
    result = run_in_copy(workflow_copy, "--cores", "2", "--", *DATA_TARGETS)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]

    frame = pd.read_parquet(workflow_copy / "data/processed/mlm.parquet")
    assert (len(frame), frame["id"].nunique()) == (219, 91)
    assert list(frame.columns) == ["id", "group", "week", "wave", "con", "dan"]
    assert int(frame["week"].isna().sum()) == 3

    precis = pd.read_csv(workflow_copy / "results/data/precis.csv", index_col="variable")
    assert precis.loc["id", "mean"] == pytest.approx(119.9954338, abs=5e-8)
    assert precis.loc["con", "sd"] == pytest.approx(0.07427626, abs=5e-9)
    assert precis.loc["id", "histogram"] == "▁▂▂▅▇▅▃▅▂▂▂▁"
    text = (workflow_copy / "results/data/precis.txt").read_text(encoding="utf-8")
    assert text == LECTURE_PRECIS

    for output in ("data/raw/mlm.csv", "data/processed/mlm.parquet", *DATA_TARGETS[1:],
                   "results/data/precis.txt"):  # fmt: skip
        assert (workflow_copy / f"{output}.prov.json").is_file(), (
            f"{output} has no provenance record"
        )
    for log in ("download_data", "validate_data", "data_precis"):
        assert (workflow_copy / f"logs/data/{log}.log").is_file()

    audit = subprocess.run(
        [sys.executable, "-m", "mlmpipe", "audit", "results"],
        cwd=workflow_copy, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "ok  results/data/precis.csv" in audit.stdout

    # The file is the same whichever way it came: going online does not redo anything.
    again = run_in_copy(workflow_copy, "--dry-run", "--", *DATA_TARGETS, local_copy=None)
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr


def test_unreachable_data_url_fails_with_a_hint_and_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"https://127.0.0.1:{port}/mlm.csv"
    result = snakemake(
        "--cores", "1", "--directory", str(tmp_path), "--configfile", str(CONFIG_FILE),
        "--config", "data=" + json.dumps({"url": url, "retries": 0}), "--", "data/raw/mlm.csv",
    )  # fmt: skip
    assert result.returncode != 0
    assert f"could not download {url} (1 attempt; last error:" in result.stderr
    assert "set data.local_copy in config/config.yaml" in result.stderr
    assert not (tmp_path / "data/raw/mlm.csv").exists()
    assert "could not download" in (tmp_path / "logs/data/download_data.log").read_text()


def test_ci_runs_the_readme_quick_start_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in quick_start.splitlines()]
    assert "workflow/bootstrap snakemake --cores 4" in commands
    assert "workflow/bootstrap pytest" in commands
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^workflow/bootstrap pytest\b", ci, re.MULTILINE)
    assert (REPO_ROOT / ".ci" / "run").stat().st_mode & 0o111
    assert (REPO_ROOT / "workflow" / "bootstrap").stat().st_mode & 0o111


@needs_mlm
def test_relative_local_copy_is_read_from_the_repository_root(workflow_copy: Path) -> None:
    shutil.copy2(MLM_CSV, workflow_copy / "mlm-offline.csv")
    result = run_in_copy(
        workflow_copy, "--cores", "1", "data/raw/mlm.csv", local_copy=Path("mlm-offline.csv")
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert (workflow_copy / "data/raw/mlm.csv").read_bytes() == MLM_CSV.read_bytes()
