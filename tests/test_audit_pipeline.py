"""The provenance audit on the real pipeline: a full build audits clean, and after each kind
of change a user makes (a Stan program, a prior given with --config, the raw data, a figure)
exactly the outputs downstream of it are reported, as Snakemake's own DAG says.

Works on one copy of the session's fitted tree (conftest's `fitted_tree`, never edited);
each test restores the file it edits, with its modification time. The expected outputs come
from Snakemake, not from the audit: a dry run after the same change plans the jobs whose
outputs are out of date, and those outputs (the ones that carry a provenance record) are
what the audit must call stale; the edited output itself is `altered`; everything else ok.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from mlm_data import MLM_CSV, needs_mlm
from test_end_to_end import REPO, snakemake

pytestmark = [pytest.mark.slow, needs_mlm]

CONFIG_FILE = REPO / "config" / "config.yaml"
M3_PRIOR = {"m3": {"priors": {"b": "normal(0, 2)"}}}


@pytest.fixture(scope="module")
def tree(fitted_tree: Path, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("audited") / "tree"
    shutil.copytree(fitted_tree, copy, symlinks=True)
    return copy


def audit(tree: Path, config_file: Path = CONFIG_FILE) -> tuple[bool, dict[str, tuple[str, str]]]:
    """`python -m mlmpipe audit results` in the tree, against ``config_file``; return whether
    it passed and {output: (status, reasons)}. (The pipeline's `audit` rule is a run, which
    first remakes damaged outputs; the command only looks.)"""
    result = subprocess.run(
        [sys.executable, "-m", "mlmpipe", "audit", "results", "--json",
         "--config", str(config_file)],
        cwd=tree, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert (result.returncode == 0) == report["ok"], result.stderr
    entries = {e["path"]: (e["status"], "; ".join(e["reasons"])) for e in report["outputs"]}
    return report["ok"], entries


def planned_outputs(tree: Path, *config: str) -> set[str]:
    """The outputs of every job a dry run of the whole pipeline plans."""
    result = snakemake(tree, "--dry-run", "--cores", "1", *config, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = set()
    for line in result.stdout.splitlines():
        if m := re.match(r"^\s+output: (.*)$", line):
            outputs |= {path.strip() for path in m[1].split(",")}
    return outputs


@contextmanager
def edited(path: Path, change):
    """Change a file for the duration (a symlink is replaced by a copy first, so the file it
    points to is never touched), then put back its bytes and modification time."""
    original, stat, link = path.read_bytes(), path.stat(), None
    if path.is_symlink():
        link = os.readlink(path)
        path.unlink()
        path.write_bytes(original)
    try:
        change(path)
        yield
    finally:
        if link is not None:
            path.unlink()
            path.symlink_to(link)
        else:
            path.write_bytes(original)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def append(text: str):
    return lambda p: p.write_text(p.read_text() + text)


def check_exactly_downstream(tree: Path, clean: dict, *config: str, altered: str = "",
                             config_file: Path = CONFIG_FILE) -> dict:  # fmt: skip
    expected = planned_outputs(tree, *config) & set(clean)
    passed, entries = audit(tree, config_file)
    assert not passed
    assert set(entries) == set(clean)
    stale = {path for path, (status, _) in entries.items() if status == "stale"}
    changed = {path for path, (status, _) in entries.items() if status == "altered"}
    assert changed == ({altered} if altered else set())
    assert stale == expected - changed, (sorted(stale - expected), sorted(expected - stale))
    others = {p for p, (s, _) in entries.items() if s != "ok"} - stale - changed
    assert not others, others
    return entries


@pytest.fixture(scope="module")
def clean(tree: Path) -> dict:
    passed, entries = audit(tree)
    return entries if passed else pytest.fail("the fresh build does not audit clean")


def test_a_full_build_audits_clean(tree, clean):
    """Both ways a user audits: the command, and the pipeline's `audit` rule."""
    assert {status for status, _ in clean.values()} == {"ok"}
    result = snakemake(tree, "--cores", "1", "--", "audit", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    text = (tree / "results/audit.txt").read_text().splitlines()
    assert text[-1] == f"{len(clean)} outputs: {len(clean)} ok (all ok)"
    assert {line.split()[1] for line in text[:-1]} == set(clean)
    # every figure, table and fit is audited
    for expected in ("results/m3/fit", "results/figures/m3_trajectories.png",
                     "results/loo/compare_m3_m4_m5.csv", "results/tables/m2_epred_selected.csv",
                     "results/report/course-report.html"):  # fmt: skip
        assert expected in clean, expected


def test_editing_m3s_program_makes_exactly_its_descendants_stale(tree, clean):
    with edited(tree / "stan/m3.stan", append("// edited\n")):
        entries = check_exactly_downstream(tree, clean)
    assert entries["results/m3/fit"][1].startswith("input stan/m3.stan changed (")
    assert entries["results/m2/fit"][0] == "ok" and entries["results/m4/fit"][0] == "ok"
    assert entries["results/figures/m3_trajectories.png"][0] == "stale"
    assert entries["results/figures/m4_trajectories.png"][0] == "ok"
    assert entries["results/loo/compare_m3_m4_m5.csv"][0] == "stale"
    assert entries["results/loo/compare_m1_m2.csv"][0] == "ok"


def test_a_prior_given_with_config_makes_m3s_fit_and_descendants_stale(tree, clean, tmp_path):
    # one --config with every item: a second --config replaces the first's items
    config = ("--config", "data=" + json.dumps({"local_copy": str(MLM_CSV)}),
              "models=" + json.dumps(M3_PRIOR))  # fmt: skip
    changed = yaml.safe_load(CONFIG_FILE.read_text())
    changed["models"]["m3"]["priors"] |= M3_PRIOR["m3"]["priors"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(changed))
    entries = check_exactly_downstream(tree, clean, *config, config_file=tmp_path / "config.yaml")
    assert 'config models.m3 changed: models.m3.priors.b: "normal(0, 1)" -> "normal(0, 2)"' in \
        entries["results/m3/fit"][1]  # fmt: skip
    assert entries["results/m4/fit"][0] == "ok"
    assert entries["results/figures/m3_trajectories.png"][0] == "stale"


def test_editing_the_raw_data_makes_everything_from_the_data_stale(tree, clean):
    def change(path: Path) -> None:
        lines = path.read_text().splitlines()
        lines[1] = lines[1][:-1] + ("1" if lines[1][-1] != "1" else "2")  # one value
        path.write_text("\n".join(lines) + "\n")

    with edited(tree / "data/raw/mlm.csv", change):
        entries = check_exactly_downstream(tree, clean)
    assert entries["results/toolchain/cmdstan.json"][0] == "ok"
    for model in ("m1", "m2", "m3", "m4", "m5"):
        assert entries[f"results/{model}/fit"][0] == "stale"
        assert "input data/raw/mlm.csv changed (" in entries[f"results/{model}/fit"][1]


def test_editing_one_figure_marks_it_altered_and_what_reads_it_stale(tree, clean):
    figure = "results/figures/m3_trajectories.svg"
    with edited(tree / figure, append("<!-- edited -->\n")):
        entries = check_exactly_downstream(tree, clean, altered=figure)
    assert entries[figure][0] == "altered"
    assert entries["results/figures/m3_trajectories.png"][0] == "ok"
    assert entries["results/m3/fit"][0] == "ok"
