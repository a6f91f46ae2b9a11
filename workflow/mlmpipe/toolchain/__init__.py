"""A CmdStan 2.35 assembled from packages on the Python package index.

The `httpstan` wheel ships everything CmdStan needs except its command-line
driver: the `stanc` compiler, the Stan/Stan Math/Eigen/Boost/SUNDIALS/TBB
headers and the TBB and SUNDIALS libraries.  This package adds the driver
(`toolchain/src/main.cpp`, speaking CmdStan's argument grammar and CSV format)
and a makefile that turns `model.stan` into an executable the way CmdStan
does, so that cmdstanpy drives the result as it would an official CmdStan.

`build_toolchain()` assembles the directory (idempotent; a stamp records what
it was built from). Which CmdStan a run uses, and everything else about it, is
:mod:`mlmpipe.cmdstan`'s job.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlmpipe.cmdstan import (
    CMDSTAN_VERSION,
    CmdStanError,
    cmdstan_path,
    default_home,
    describe,
)

__all__ = ["build_toolchain", "is_built", "missing_parts", "write_description"]

logger = logging.getLogger(__name__)

_SRC = Path(__file__).resolve().parent / "src"
_STAMP = ".mlmpipe-stamp"
# Driver sources copied to <dest>/src/cmdstan; the makefile goes to <dest>/makefile.
_DRIVER_FILES = (
    "main.cpp",
    "arguments.hpp",
    "io_helpers.hpp",
    "build_info.hpp",
    "run_context.hpp",
    "variational.hpp",
    "pathfinder.hpp",
)
# Optional command-line tools, compiled into <dest>/bin when their source exists.
_TOOLS = ("stansummary", "diagnose")
_MAKE_JOBS = 2


# ---------------------------------------------------------------------------
# What a build depends on: our sources, httpstan and the compiler.
# ---------------------------------------------------------------------------
def _httpstan_dir() -> Path:
    """Return the installed httpstan package directory.

    Raises:
        CmdStanError: httpstan is not installed or lacks stanc, include/ or lib/.
    """
    try:
        import httpstan
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise CmdStanError(f"httpstan is not installed: {exc}") from exc
    root = Path(httpstan.__file__).resolve().parent
    for part in ("stanc", "include/stan/model/model_header.hpp", "lib/libtbb.so.2"):
        if not (root / part).exists():
            raise CmdStanError(f"httpstan at {root} lacks {part}")
    return root


def _compiler_version(cxx: str) -> str:
    """Return the first line of ``cxx --version``.

    Raises:
        CmdStanError: the compiler cannot be run.
    """
    try:
        proc = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise CmdStanError(f"cannot run the C++ compiler {cxx!r}: {exc}") from exc
    return proc.stdout.splitlines()[0] if proc.stdout else cxx


def _source_files() -> list[Path]:
    """Return our source files that go into a build (driver, makefile, tools)."""
    names = [*_DRIVER_FILES, "makefile", *(f"{tool}.cpp" for tool in _TOOLS)]
    return [_SRC / name for name in names if (_SRC / name).is_file()]


def _signature(httpstan_dir: Path, cxx: str) -> str:
    """Return the build stamp: ``<hash of the environment> <hash of our sources>``.

    The first part covers httpstan (version and location) and the compiler; when
    it changes every object is stale.  The second covers our sources; make's own
    dependencies rebuild what they affect.
    """
    env = hashlib.sha256()
    env.update(importlib.metadata.version("httpstan").encode() + b"\0")
    env.update(str(httpstan_dir).encode() + b"\0")
    env.update(_compiler_version(cxx).encode())
    sources = hashlib.sha256()
    for path in _source_files():
        sources.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{env.hexdigest()[:32]} {sources.hexdigest()[:32]}"


_LIBRARIES = (
    "libtbb.so",
    "libtbb.so.2",
    "libsundials_cvodes.a",
    "libsundials_idas.a",
    "libsundials_kinsol.a",
    "libsundials_nvecserial.a",
)


def missing_parts(dest: Path) -> list[str]:
    """Return the parts of the project-local CmdStan at ``dest`` that are missing or broken
    (a link to nothing): its makefile, stanc, the Stan headers, the libraries every model
    links and the driver's sources. Empty when all are there."""
    parts = [
        "makefile",
        "bin/stanc",
        "include/stan/model/model_header.hpp",
        *(f"lib/{name}" for name in _LIBRARIES),
        *(f"src/cmdstan/{name}" for name in _DRIVER_FILES),
    ]
    return [part for part in parts if not (Path(dest) / part).exists()]


def _up_to_date(dest: Path, signature: str) -> bool:
    """Whether ``dest`` holds a complete build with the stamp ``signature``."""
    stamp = dest / _STAMP
    try:
        stamped = stamp.read_text().strip() == signature
    except OSError:
        return False
    return stamped and not missing_parts(dest)


def is_built(dest: Path | None = None) -> bool:
    """Return whether ``dest`` (default: :func:`default_home`) is built, complete (no part
    of :func:`missing_parts` gone) and up to date."""
    dest = Path(dest) if dest is not None else default_home()
    cxx = os.environ.get("CXX", "g++")
    try:
        return _up_to_date(dest, _signature(_httpstan_dir(), cxx))
    except (OSError, CmdStanError):
        return False


# ---------------------------------------------------------------------------
# Assembly.
# ---------------------------------------------------------------------------
def _atomic_symlink(target: Path, link: Path) -> None:
    """Point ``link`` at ``target``, replacing whatever was there."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target)
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp, link)


def _atomic_copy(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` unless identical (keeping mtimes for make)."""
    if dest.is_file() and dest.read_bytes() == source.read_bytes():
        return
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


@contextmanager
def _lock(dest: Path) -> Iterator[None]:
    """Hold an exclusive lock for building ``dest`` (concurrent builds wait)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{dest.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _assemble(dest: Path, httpstan_dir: Path) -> None:
    """Lay out the CmdStan directory: links to httpstan, our sources, the makefile."""
    for sub in ("bin", "lib", "src/cmdstan/tools"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    _atomic_symlink(httpstan_dir / "include", dest / "include")
    # stan/ mirrors CmdStan's tree for tools that look for stan/src or stan/lib.
    _atomic_symlink(httpstan_dir / "include" / "stan", dest / "stan")
    for lib in sorted((httpstan_dir / "lib").iterdir()):
        _atomic_symlink(lib, dest / "lib" / lib.name)
    _atomic_symlink(httpstan_dir / "stanc", dest / "bin" / "stanc")
    for name in _DRIVER_FILES:
        _atomic_copy(_SRC / name, dest / "src" / "cmdstan" / name)
    for tool in _TOOLS:
        source = _SRC / f"{tool}.cpp"
        if source.is_file():
            _atomic_copy(source, dest / "src" / "cmdstan" / "tools" / f"{tool}.cpp")
    _atomic_copy(_SRC / "makefile", dest / "makefile")


def _run(cmd: list[str], cwd: Path, what: str) -> str:
    """Run ``cmd`` in ``cwd`` and return its output.

    Raises:
        CmdStanError: the command failed; the message ends with its output.
    """
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise CmdStanError(f"{what} failed: cannot run {cmd[0]}: {exc}") from exc
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-60:])
        raise CmdStanError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return output


def build_toolchain(dest: Path | None = None, *, force: bool = False) -> Path:
    """Assemble a CmdStan 2.35 directory from httpstan and our driver sources.

    A no-op when ``dest`` already holds a complete build (see
    :func:`missing_parts`) from the same sources, httpstan
    version and compiler (unless ``force``).  Otherwise links httpstan's headers,
    libraries and stanc, copies the driver and makefile, and runs ``make build``:
    the driver object and precompiled model header for the default flags, and
    ``bin/stansummary``/``bin/diagnose`` when their sources exist.  The
    STAN_THREADS variants are built by make on first use (about a minute, once).

    Args:
        dest: the CmdStan directory to build (default: :func:`default_home`).
        force: rebuild everything even if up to date.

    Returns:
        The CmdStan directory.

    Raises:
        CmdStanError: httpstan or the compiler is missing, or a build step failed.
    """
    dest = (Path(dest) if dest is not None else default_home()).expanduser().resolve()
    httpstan_dir = _httpstan_dir()
    cxx = os.environ.get("CXX", "g++")
    signature = _signature(httpstan_dir, cxx)
    stamp = dest / _STAMP
    if not force and _up_to_date(dest, signature):
        return dest
    with _lock(dest):
        # another process may have finished the build while we waited
        if not force and _up_to_date(dest, signature):
            return dest
        started = time.monotonic()
        logger.info("building CmdStan %s in %s", CMDSTAN_VERSION, dest)
        previous = stamp.read_text().split() if stamp.is_file() else []
        if stamp.exists():
            stamp.unlink()
        _assemble(dest, httpstan_dir)
        if force or not previous or previous[0] != signature.split()[0]:
            # objects compiled against other headers or by another compiler are stale
            _run(["make", "clean-all"], dest, "cleaning the previous build")
        _run(["make", f"-j{_MAKE_JOBS}", "build"], dest, "building the CmdStan driver")
        _run([str(dest / "bin" / "stanc"), "--version"], dest, "running stanc")
        tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
        tmp.write_text(signature + "\n")
        os.replace(tmp, stamp)
        logger.info("built CmdStan in %.0f s", time.monotonic() - started)
    return dest


# ---------------------------------------------------------------------------
# The pipeline's record of the CmdStan in use.
# ---------------------------------------------------------------------------
def write_description(output: Path) -> dict[str, str]:
    """Build the project-local CmdStan unless ``CMDSTAN`` is set, then describe it.

    Writes the :func:`describe` record to ``output`` as JSON (via a temporary
    file and a rename) and returns it.

    Raises:
        CmdStanError: the build failed or the CmdStan directory is unusable.
    """
    path = cmdstan_path()
    if not os.environ.get("CMDSTAN"):
        build_toolchain(path)
    record = describe(path)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, output)
    return record
