"""Fault suite: outputs damaged after a run -- a truncated or edited CmdStan CSV, a corrupted
or deleted posterior.nc, a figure edited or deleted by hand, a corrupted compiled model, a
damaged CmdStan. The next run finds each and remakes it (and what was made from it) or
stops naming the file and the command that fixes it; the audit calls edited files altered.

Each case works on its own copy of the session's fitted tree; the damage keeps the file's
modification time, so Snakemake's own checks cannot see it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import xarray as xr
from faults import (
    assert_no_partial_files,
    audit,
    draws,
    pipeline_env,
    planned_jobs,
    run,
    same_draws,
)
from mlmpipe.provenance.png import png_content_sha256

pytestmark = [pytest.mark.faults, pytest.mark.slow]


@pytest.fixture
def tree(fitted_copy: Path) -> Path:
    return fitted_copy


def damage(path: Path, change) -> None:
    """Change the file at ``path`` with ``change(bytes) -> bytes``, keeping its mtime."""
    stat = path.stat()
    path.write_bytes(change(path.read_bytes()))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def edit_first_draw(data: bytes) -> bytes:
    """A CmdStan CSV with one digit of its first draw's lp__ changed."""
    row = data.index(b"\nlp__,") + 1
    while data[row : row + 1] in (b"#", b"l"):  # the header, then the adaptation's comments
        row = data.index(b"\n", row) + 1
    digit = next(i for i in range(row, row + 20) if data[i : i + 1].isdigit())
    new = b"7" if data[digit : digit + 1] != b"7" else b"3"
    return data[:digit] + new + data[digit + 1 :]


def assert_audit_altered(tree: Path, output: str) -> None:
    result = audit(tree)
    assert result.returncode != 0
    assert re.search(rf"^\s*altered\s+{re.escape(output)}\b", result.stdout, re.M), result.stdout


def test_a_truncated_cmdstan_csv_is_found_and_the_fit_redone(tree, fitted_tree):
    csv = tree / "results/m3/fit/m3-2.csv"
    damage(csv, lambda data: data[: len(data) // 2])
    assert_audit_altered(tree, "results/m3/fit")
    result = run(tree, "--cores", "2", "results/m3/fit", "results/m3/posterior.nc")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        "verify: results/m3/fit: changed since it was made (results/m3/fit/m3-2.csv changed): "
        "removed; this run makes it again, and what depends on it"
    ) in result.stderr
    assert same_draws(tree / "results/m3/fit/m3-2.csv", fitted_tree / "results/m3/fit/m3-2.csv")
    xr.testing.assert_equal(draws(tree, "m3"), draws(fitted_tree, "m3"))
    assert_no_partial_files(tree)


def test_an_edited_cmdstan_csv_is_named_by_a_dry_run_and_refitted_by_a_run(tree, fitted_tree):
    csv = tree / "results/m4/fit/m4-1.csv"
    damage(csv, edit_first_draw)
    assert_audit_altered(tree, "results/m4/fit")
    plan = planned_jobs(tree)
    assert (
        "verify: results/m4/fit: changed since it was made (results/m4/fit/m4-1.csv changed): "
        "a run will make it again, and what depends on it"
    ) in plan
    assert csv.is_file()  # a dry run changes nothing
    result = run(tree, "--cores", "2", "results/m4/fit")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "removed; this run makes it again" in result.stderr
    assert same_draws(csv, fitted_tree / "results/m4/fit/m4-1.csv")
    plan = planned_jobs(tree)  # what was made from the fit follows on the next run
    for job in ("posterior", "loo_compare", "report_model_section"):
        assert f"rule {job}:" in plan
    assert "rule sample_model:" not in plan
    assert_no_partial_files(tree)


def test_a_corrupted_posterior_is_rebuilt_from_the_fit(tree, fitted_tree):
    target = tree / "results/m2/posterior.nc"
    damage(target, lambda data: data[:4096] + bytes(len(data) - 4096))
    assert_audit_altered(tree, "results/m2/posterior.nc")
    result = run(tree, "--cores", "2", "results/m2/posterior.nc")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verify: results/m2/posterior.nc: changed since it was made (sha256 " in result.stderr
    assert "rule sample_model" not in result.stdout  # the fit itself was sound
    xr.testing.assert_equal(draws(tree, "m2"), draws(fitted_tree, "m2"))
    assert_no_partial_files(tree)


def test_a_deleted_posterior_is_rebuilt_with_what_reads_it(tree):
    (tree / "results/m5/posterior.nc").unlink()
    plan = planned_jobs(tree)
    assert "rule posterior:" in plan and "model=m5" in plan
    assert "rule sample_model:" not in plan


def test_a_figure_edited_by_hand_is_redrawn(tree, fitted_tree):
    figure = tree / "results/figures/shrinkage.png"
    damage(figure, lambda data: data[:-200] + bytes(200))
    assert_audit_altered(tree, "results/figures/shrinkage.png")
    result = run(tree, "--cores", "2", "results/figures/shrinkage.png")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verify: results/figures/shrinkage.png: changed since it was made" in result.stderr
    assert png_content_sha256(figure) == png_content_sha256(
        fitted_tree / "results/figures/shrinkage.png"
    )
    report = audit(tree).stdout
    assert re.search(r"^\s*ok\s+results/figures/shrinkage.png$", report, re.M), report
    assert "rule report_section:" in planned_jobs(tree)  # the sections showing it follow
    assert_no_partial_files(tree)


def test_a_deleted_figure_is_drawn_again(tree):
    (tree / "results/figures/new_people.svg").unlink()
    plan = planned_jobs(tree)
    assert "rule figure:" in plan and "figure=new_people" in plan
    assert "rule sample_model:" not in plan and "rule posterior:" not in plan


def test_a_corrupted_compiled_model_is_compiled_again(tree, fitted_tree):
    exe = tree / "results/build/m3/m3"
    damage(exe, lambda data: data[: len(data) // 3])
    assert_audit_altered(tree, "results/build/m3/m3")
    result = run(tree, "--cores", "2", "results/build/m3/m3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verify: results/build/m3/m3: changed since it was made (sha256 " in result.stderr
    assert "rule compile_model:" in result.stdout + result.stderr
    assert exe.stat().st_size == (fitted_tree / "results/build/m3/m3").stat().st_size
    assert "rule sample_model:" in planned_jobs(tree)  # the fit follows on the next run
    assert_no_partial_files(tree)


@pytest.mark.parametrize(
    "part", ["lib/libtbb.so.2", "src/cmdstan/arguments.hpp", "include"], ids=str
)
def test_a_damaged_cmdstan_stops_the_run_naming_the_part_and_the_repair(tmp_path, part):
    from mlmpipe.cmdstan import default_home

    source = default_home()  # MLMPIPE_CMDSTAN_HOME, else the repository's .cmdstan build
    if not (source / ".mlmpipe-stamp").is_file():
        pytest.skip(f"needs the project-local CmdStan to copy ({source} is not built)")
    toolchain = tmp_path / "cmdstan-2.35.0"
    # a copy as `cp -a` makes it (links kept as links), without the precompiled header: it
    # is keyed by the folder's path, so the copy could not use it anyway
    shutil.copytree(source, toolchain, symlinks=True, ignore=shutil.ignore_patterns("precompiled"))
    damaged = toolchain / part
    assert damaged.is_symlink() or damaged.is_file()  # never a path into the shared build
    damaged.unlink()
    env = pipeline_env(MLMPIPE_CMDSTAN_HOME=str(toolchain))
    env.pop("CMDSTAN", None)  # cmdstanpy exports it in this process; the run must not see it
    result = run(tmp_path / "tree", "--cores", "2", env=env)
    assert result.returncode != 0
    expected = f"the CmdStan at {toolchain} is not a complete CmdStan: {part}"
    assert expected in result.stderr
    assert "repair it with `workflow/bootstrap python -m mlmpipe.toolchain`" in result.stderr
    assert "Building DAG of jobs" not in result.stdout + result.stderr
    from mlmpipe.toolchain import is_built

    assert not is_built(toolchain)
    shutil.rmtree(toolchain)
