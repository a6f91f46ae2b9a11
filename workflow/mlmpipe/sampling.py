"""Compiling a model's Stan program and sampling it with CmdStan, through cmdstanpy.

Build outputs go to a build folder, never beside the source; the CSVs of a run are written
to a temporary folder and moved into place at the end, so a failed run leaves nothing.
Failures are :class:`~mlmpipe.cmdstan.CmdStanError` quoting CmdStan's message.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from mlmpipe.cmdstan import CmdStanError, use_cmdstan
from mlmpipe.models import ModelSpec


def compile_model(
    stan_file: str | os.PathLike[str],
    exe_file: str | os.PathLike[str],
    *,
    cmdstan: str | os.PathLike[str] | None = None,
) -> Path:
    """Compile ``stan_file`` into ``exe_file`` and return the executable's path.

    cmdstanpy writes the executable beside the program it compiles, so the program is first
    copied beside ``exe_file`` (as ``<exe stem>.stan``): build outputs stay out of ``stan/``.

    Raises:
        FileNotFoundError: ``stan_file`` does not exist.
        CmdStanError: stanc or the C++ compiler failed (their message is quoted).
    """
    import cmdstanpy

    source = Path(stan_file)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such Stan program")
    exe = Path(exe_file)
    exe.parent.mkdir(parents=True, exist_ok=True)
    copy = exe.parent / f"{exe.name}.stan"
    shutil.copyfile(source, copy)
    use_cmdstan(cmdstan)
    try:
        model = cmdstanpy.CmdStanModel(stan_file=str(copy), force_compile=True)
    except (ValueError, RuntimeError) as error:
        raise CmdStanError(f"{source}: compilation failed: {error}") from error
    built = Path(model.exe_file)
    if built.resolve() != exe.resolve():
        os.replace(built, exe)
    return exe


_CONSOLE_ERRORS = ("Rejecting initial value", "Initialization", "Error", "Exception", "error:")


def console_errors(run_dir: Path, limit: int = 12) -> list[str]:
    """Return what CmdStan said went wrong, from the console output of each chain in
    ``run_dir`` (``*-stdout.txt``): its error lines, each once, at most ``limit``."""
    lines: list[str] = []
    for stdout in sorted(run_dir.glob("*-stdout.txt")) if run_dir.is_dir() else []:
        for line in stdout.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if any(key in line for key in _CONSOLE_ERRORS) and line not in lines:
                lines.append(line)
    return lines[:limit]


def sample_model(
    spec: ModelSpec,
    exe_file: str | os.PathLike[str],
    data_json: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    cmdstan: str | os.PathLike[str] | None = None,
    parallel_chains: int = 1,
) -> list[Path]:
    """Run NUTS with the spec's chains, iter, warmup, seed, adapt_delta and max_treedepth.

    The CSVs are written to a temporary folder beside ``output_dir``, renamed
    ``<model>-<chain>.csv`` and moved into place at the end, so a failed run leaves no
    partial ``output_dir``. Returns the CSV paths, chain 1 first.

    Raises:
        CmdStanError: CmdStan failed (its message is quoted).
    """
    import cmdstanpy

    use_cmdstan(cmdstan)
    target = Path(output_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    model = cmdstanpy.CmdStanModel(exe_file=str(exe_file))
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        run_dir = staging / "run"
        try:
            fit = model.sample(
                data=str(data_json),
                chains=spec.chains,
                parallel_chains=max(1, min(parallel_chains, spec.chains)),
                iter_warmup=spec.warmup,
                iter_sampling=spec.num_samples,
                seed=spec.seed,
                adapt_delta=spec.adapt_delta,
                max_treedepth=spec.max_treedepth,
                output_dir=str(run_dir),
                show_progress=False,
                show_console=False,
            )
        except (RuntimeError, ValueError) as error:
            said = console_errors(run_dir)
            reason = "\n  ".join(said) if said else str(error)
            raise CmdStanError(f"model {spec.name}: sampling failed: {reason}") from error
        out = staging / "out"
        out.mkdir()
        paths = []
        for chain, csv in enumerate(fit.runset.csv_files, start=1):
            dest = out / f"{spec.name}-{chain}.csv"
            shutil.move(csv, dest)
            paths.append(dest)
        for chain, stdout in enumerate(fit.runset.stdout_files, start=1):
            if Path(stdout).is_file():
                shutil.move(stdout, out / f"{spec.name}-{chain}-stdout.txt")
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        _remove_staging(staging)
    return [target / p.name for p in paths]


def _remove_staging(staging: Path) -> None:
    """Delete the staging folder, again while CmdStan's chains (stopped by Ctrl-C with this
    process) or cmdstanpy's threads may still be writing into it for a moment."""
    for _ in range(50):
        shutil.rmtree(staging, ignore_errors=True)
        if not staging.exists():
            return
        time.sleep(0.1)
