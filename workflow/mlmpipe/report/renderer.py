"""Which renderer runs (Quarto when installed, else ours) and how it names itself."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from importlib import metadata

from .errors import ReportError

RENDERERS = ("auto", "quarto", "python")


def quarto_executable() -> str | None:
    """Return the path of ``quarto`` on PATH, or None."""
    return shutil.which("quarto")


def choose_renderer(renderer: str) -> str:
    """Return ``"quarto"`` or ``"python"`` for a requested ``auto|quarto|python``.

    ``auto`` picks Quarto when ``quarto`` is on PATH. Raises :class:`ReportError` for an
    unknown name, or for ``quarto`` when it is not installed.
    """
    if renderer not in RENDERERS:
        raise ReportError(f"unknown renderer '{renderer}' (choose from {', '.join(RENDERERS)})")
    if renderer == "python":
        return "python"
    if quarto_executable():
        return "quarto"
    if renderer == "quarto":
        raise ReportError("renderer 'quarto' requested, but quarto is not on PATH")
    return "python"


def package_version(name: str) -> str:
    """Return the installed version of distribution ``name``, or ``"?"``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


@cache
def pandoc_version() -> str:
    """Return the version of the pandoc bundled with pypandoc."""
    import pypandoc

    return pypandoc.get_pandoc_version()


@cache
def quarto_version() -> str:
    """Return ``quarto --version``'s answer. Raises :class:`ReportError` if it fails."""
    exe = quarto_executable()
    if exe is None:
        raise ReportError("quarto is not on PATH")
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ReportError(f"'quarto --version' failed: {done.stderr.strip()}")
    return done.stdout.strip()


def renderer_description(renderer: str) -> str:
    """Return the renderer's name and version for footers and records.

    ``renderer`` is ``"quarto"`` or ``"python"``; ours names the parts it is built on, e.g.
    ``mlmpipe renderer 0.1.0 (pandoc 3.9, nbclient 0.11.0, ipykernel 7.1.0, typst 0.15.0)``.
    """
    if renderer == "quarto":
        return f"Quarto {quarto_version()}"
    from mlmpipe import __version__

    parts = [f"pandoc {pandoc_version()}"] + [
        f"{name} {package_version(name)}" for name in ("nbclient", "ipykernel", "typst")]
    return f"mlmpipe renderer {__version__} ({', '.join(parts)})"
