# --- The lecture's data set (tests/mlm_data.py) -------------------------------------------
import pytest  # noqa: E402


def pytest_runtest_setup(item):
    """A test marked ``needs_mlm`` skips without the data set, or fails in CI."""
    if item.get_closest_marker("needs_mlm"):
        from mlm_data import require_mlm

        require_mlm()


# --- CmdStan toolchain ------------------------------------------------------------------


@pytest.fixture(scope="session")
def cmdstan_dir():
    """The CmdStan directory for tests, with cmdstanpy pointed at it.

    ``CMDSTAN`` (an official installation) is used as is when set; otherwise the
    project-local toolchain is built once and reused between runs (its stamp makes
    later sessions a no-op).
    """
    import os

    import cmdstanpy
    from mlmpipe.cmdstan import cmdstan_path
    from mlmpipe.toolchain import build_toolchain

    path = cmdstan_path() if os.environ.get("CMDSTAN") else build_toolchain()
    cmdstanpy.set_cmdstan_path(str(path))
    return path


# --- The tiny provenance pipeline (tests/provenance_pipeline.py) ---------------------------
@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The tiny pipeline, committed to git and run once."""
    from provenance_pipeline import build

    return build(tmp_path_factory.mktemp("pipeline"))


@pytest.fixture
def tree(built, tmp_path, monkeypatch):
    """A fresh copy of the built pipeline, as the current directory."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


@pytest.fixture(scope="session")
def fitted_tree(cmdstan_dir, tmp_path_factory):
    """A scratch directory in which the whole pipeline ran once on the lecture's data (five
    fits, tables, figures and the course report), shared by the session's slow tests.

    The Stan programs and report sources are copies, so tests may edit them.

    ``MLMPIPE_FITTED_TREE`` may name a tree an earlier session built: it is copied and
    brought up to date by the same Snakemake run (only what changed since is redone)."""
    import filecmp
    import os
    import shutil

    from mlm_data import require_mlm
    from test_end_to_end import REPO, snakemake

    require_mlm()
    workdir = tmp_path_factory.mktemp("pipeline")
    if earlier := os.environ.get("MLMPIPE_FITTED_TREE"):
        shutil.copytree(earlier, workdir, symlinks=True, dirs_exist_ok=True)
    for name in ("stan", "reports"):  # copies keep their mtimes; changed files are replaced
        for source in (REPO / name).rglob("*"):
            target = workdir / source.relative_to(REPO)
            if source.is_file() and not (target.is_file() and filecmp.cmp(source, target, False)):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    result = snakemake(workdir, "--cores", "2")  # everything, the course report included
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


# --- The fault suite (tests/test_faults_*.py, helpers in tests/faults.py) ------------------
@pytest.fixture
def fitted_copy(fitted_tree, tmp_path):
    """A copy of the session's fitted tree (Snakemake's metadata included) that a fault case
    may damage, interrupt or rerun; the shared tree itself is never changed."""
    from faults import copy_tree

    return copy_tree(fitted_tree, tmp_path / "tree")
