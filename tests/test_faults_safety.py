"""Fault suite: safety. Paths from the config and the command line never reach a shell
unquoted: a repository and a local copy of the data in folders whose names hold spaces and
shell metacharacters work, and run nothing they name. No output, record or log holds a
secret from the environment. (YAML tags and non-https URLs: test_faults_config.py.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from faults import (
    MLM_CSV,
    REPO,
    SECRET,
    assert_no_partial_files,
    audit,
    files_holding,
    run,
)

pytestmark = pytest.mark.faults

NASTY = "it's a \"dir\"; $(touch {marker}) & `touch {marker}` | > x"


def copy_repository(dest: Path) -> Path:
    """The repository's tracked files (the workflow, config, Stan programs, report sources)
    copied to ``dest``: a clone, without the history."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
        capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


def test_paths_with_spaces_and_metacharacters_work_and_run_nothing(tmp_path):
    marker = tmp_path / "SHELL-RAN"
    repository = copy_repository(tmp_path / NASTY.format(marker=marker) / "mlm report")
    data = tmp_path / NASTY.format(marker=marker) / "my data $HOME" / "mlm (copy).csv"
    data.parent.mkdir(parents=True)
    shutil.copyfile(MLM_CSV, data)
    result = run(
        repository, "--cores", "2", "results/data/precis.txt", "results/m3/data.json",
        "results/m5/model_frame.json", data={"local_copy": str(data)},
        snakefile=repository / "Snakefile", configfiles=[repository / "config/config.yaml"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert not marker.exists() and not (repository / "x").exists()
    assert "con" in (repository / "results/data/precis.txt").read_text()
    assert (repository / "data/raw/mlm.csv").read_bytes() == MLM_CSV.read_bytes()
    assert audit(repository).returncode == 0
    assert_no_partial_files(repository)


def test_no_output_of_the_fitted_tree_holds_the_environments_secret(fitted_copy):
    # the runs of this suite all carry the secret (faults.pipeline_env); this one remakes
    # one model's posterior, summaries, LOO and report section with it
    result = run(fitted_copy, "--cores", "2", "--forcerun", "posterior", "--",
                 "results/report/sections/model-m2")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert files_holding(fitted_copy, SECRET) == []
    assert files_holding(fitted_copy, "fault-suite-secret") == []
