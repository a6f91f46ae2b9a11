"""Fault suite: the toolchain fails -- no C++ compiler, no `make`, CMDSTAN naming nothing or a
folder that is not CmdStan, a Stan program with a syntax error, a model whose every chain
rejects its initial values. Each run ends with a message quoting the underlying error and
leaves no partial file.

Each case works on a copy of the session's fitted tree; an edit to a Stan program makes the
next run compile it again."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from faults import assert_no_partial_files, pipeline_env, run

pytestmark = [pytest.mark.faults, pytest.mark.slow]

COMPILERS = re.compile(r"^(?:.*-)?(?:g\+\+|c\+\+|gcc|cc|clang\+\+|clang)(?:-[\d.]+)?$")


def path_without(tmp_path: Path, unwanted: re.Pattern[str]) -> str:
    """A PATH of one folder linking every program on the current PATH except ``unwanted``."""
    farm = tmp_path / "bin"
    farm.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            link = farm / entry.name
            if unwanted.match(entry.name) or link.exists() or not os.access(entry.path, os.X_OK):
                continue
            link.symlink_to(entry.path)
    return str(farm)


def edit_stan(tree: Path, model: str, old: str, new: str) -> None:
    program = tree / "stan" / f"{model}.stan"
    text = program.read_text()
    assert old in text
    program.write_text(text.replace(old, new, 1))


def assert_fails_with(result, *quoted: str) -> None:
    assert result.returncode != 0
    for text in quoted:
        assert text in result.stderr, result.stderr[-4000:]


def test_without_a_compiler_the_compile_fails_quoting_make(fitted_copy, tmp_path):
    edit_stan(fitted_copy, "m3", "model {", "// recompiled\nmodel {")
    env = pipeline_env(PATH=path_without(tmp_path, COMPILERS))
    result = run(fitted_copy, "--cores", "2", "results/m3/fit", env=env)
    assert_fails_with(result, "stan/m3.stan: compilation failed", "g++")
    assert re.search(r"g\+\+: (?:No such file or directory|not found|Command not found)",
                     result.stderr)  # fmt: skip
    assert_no_partial_files(fitted_copy)


def test_without_make_the_compile_fails_saying_so(fitted_copy, tmp_path):
    edit_stan(fitted_copy, "m3", "model {", "// recompiled\nmodel {")
    env = pipeline_env(PATH=path_without(tmp_path, re.compile(r"^g?make$")))
    result = run(fitted_copy, "--cores", "2", "results/m3/fit", env=env)
    assert_fails_with(result, "stan/m3.stan: compilation failed", "make")
    assert_no_partial_files(fitted_copy)


def test_cmdstan_naming_nothing_stops_before_any_job(tmp_path):
    env = pipeline_env(CMDSTAN=str(tmp_path / "nowhere"))
    result = run(tmp_path / "tree", "--cores", "2", env=env)
    assert_fails_with(
        result, f"CMDSTAN={tmp_path / 'nowhere'}: no such directory; reinstall CmdStan there, "
        "or unset CMDSTAN to use the project-local build",
    )  # fmt: skip
    assert "Building DAG of jobs" not in result.stdout + result.stderr


def test_cmdstan_naming_a_folder_that_is_not_cmdstan_stops_before_any_job(tmp_path):
    folder = tmp_path / "not-cmdstan"
    (folder / "bin").mkdir(parents=True)
    (folder / "README").write_text("not a CmdStan\n")
    result = run(tmp_path / "tree", "--cores", "2", env=pipeline_env(CMDSTAN=str(folder)))
    assert_fails_with(
        result, f"CMDSTAN={folder} is not a complete CmdStan: makefile, bin/stanc, "
        "src/cmdstan/main.cpp missing",
    )  # fmt: skip


def test_a_stan_syntax_error_is_quoted_from_stanc(fitted_copy):
    edit_stan(fitted_copy, "m4", "model {", "model {\n  real x = ;\n")
    result = run(fitted_copy, "--cores", "2", "results/m4/fit")
    assert_fails_with(result, "stan/m4.stan: compilation failed", "Syntax error in")
    assert "Error in rule compile_model" in result.stderr
    assert_no_partial_files(fitted_copy)


def test_a_model_whose_chains_reject_every_initial_value_fails_quoting_stan(fitted_copy):
    edit_stan(fitted_copy, "m2", "model {", "model {\n  target += negative_infinity();\n")
    result = run(fitted_copy, "--cores", "2", "results/m2/fit", timeout=1800)
    assert_fails_with(result, "model m2: sampling failed", "Initialization failed")
    assert "Rejecting initial value" in result.stderr or "log(0)" in result.stderr
    assert not (fitted_copy / "results/m2/fit").exists()
    assert_no_partial_files(fitted_copy)
