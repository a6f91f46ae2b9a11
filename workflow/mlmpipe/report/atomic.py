"""All-or-nothing outputs: build beside the destination, then rename into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def remove(path: Path) -> None:
    """Remove a file or folder at ``path`` if there is one."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target``.

    If the block raises, the temporary folder and any earlier ``target`` are removed, so a
    failed run leaves nothing under the final name (no stale output from an earlier run).
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~current_umask())
    try:
        yield tmp
    except BaseException:
        remove(tmp)
        remove(target)
        raise
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / "x")
    os.replace(tmp, target)
    if old is not None:
        remove(old)


@contextlib.contextmanager
def atomic_files(targets: list[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths beside ``targets``; rename all of them into place on success.

    If the block raises, the temporary files and any earlier ``targets`` are removed, so
    the outputs exist only together and only from a successful run.
    """
    tmps = []
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        os.chmod(name, 0o666 & ~current_umask())
        tmps.append(Path(name))
    try:
        yield tmps
    except BaseException:
        for path in [*tmps, *targets]:
            remove(path)
        raise
    for tmp, target in zip(tmps, targets, strict=True):
        os.replace(tmp, target)


def current_umask() -> int:
    """Return the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
