# --- CmdStan toolchain ------------------------------------------------------------------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def cmdstan_dir():
    """The CmdStan directory for tests, with cmdstanpy pointed at it.

    ``CMDSTAN`` (an official installation) is used as is when set; otherwise the
    project-local toolchain is built once and reused between runs (its stamp makes
    later sessions a no-op).
    """
    import os

    import cmdstanpy
    from mlmpipe.toolchain import build_toolchain, cmdstan_path

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
