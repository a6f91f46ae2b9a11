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
