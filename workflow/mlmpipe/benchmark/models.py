"""Per model: compile time, sampling time, ESS, ESS per second and the sampler's memory.

Each program is compiled on its own (nothing else running), from ``stan/<model>.stan`` into
a temporary folder with the project's toolchain. Its chains are then run as the pipeline runs
them (same seed, chain ids 1..chains, the config's iter, warmup, adapt_delta and
max_treedepth, the data the pipeline wrote), but each chain as its own process and only as
many at once as the machine has CPUs, so that every chain has a core: brms is given the same
(``cores`` = CPUs). ESS per second divides the smallest bulk ESS by the chains' own sampling
time (warm-up included, summed over chains, as CmdStan reports it), which does not depend on
how many chains ran at once.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from mlmpipe.benchmark.timing import BenchmarkError, Timed, run
from mlmpipe.models import ModelSpec

#: Columns of a CmdStan CSV that brms reports as parameters (brms's ``b_``, ``sd_``,
#: ``cor_``, ``sigma``, ``r_``); the R side selects the same by brms's names.
REPORTED = re.compile(r"^(b|b_\w+|sd_\d+|cor_\d+|sigma|r_\d+_\d+)(\.\d+)*$")
_ELAPSED = re.compile(r"#\s+([\d.]+) seconds \((Warm-up|Sampling)\)")


def compile_program(stan_file: Path, cmdstan: Path, folder: Path) -> tuple[Path, Timed]:
    """Compile a copy of ``stan_file`` in ``folder`` with ``make``; return the executable and
    its timing."""
    program = folder / stan_file.name
    shutil.copyfile(stan_file, program)
    exe = program.with_suffix("")
    timed = run(["make", str(exe)], cwd=cmdstan, what=f"compiling {stan_file.name}")
    return exe, timed


def chain_command(exe: Path, spec: ModelSpec, data: Path, chain: int, csv: Path) -> list[str]:
    """The CmdStan arguments cmdstanpy gives one chain of the pipeline's ``sample_model``."""
    return [
        str(exe), f"id={chain}", "random", f"seed={spec.seed}", "data", f"file={data}",
        "output", f"file={csv}", "refresh=0", "method=sample",
        f"num_samples={spec.num_samples}", f"num_warmup={spec.warmup}", "algorithm=hmc",
        "engine=nuts", f"max_depth={spec.max_treedepth}", "adapt", "engaged=1",
        f"delta={spec.adapt_delta}",
    ]  # fmt: skip


def read_chain(csv: Path) -> tuple[list[str], np.ndarray, float]:
    """Return a CmdStan CSV's column names, its draws and the chain's elapsed seconds
    (warm-up plus sampling, from the CSV's closing comments)."""
    text = csv.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    names = lines[0].split(",")
    draws = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    elapsed = sum(float(m.group(1)) for m in _ELAPSED.finditer(text))
    return names, draws, elapsed


def smallest_ess(names: list[str], chains: list[np.ndarray]) -> tuple[float, float, str]:
    """Return the smallest bulk ESS, the smallest tail ESS (ArviZ) over the reported
    parameters, and the parameter with the smallest bulk ESS."""
    import arviz as az

    stacked = np.stack(chains)  # chain, draw, column
    bulk, tail, worst = np.inf, np.inf, ""
    for j, name in enumerate(names):
        if not REPORTED.match(name):
            continue
        values = stacked[:, :, j]
        b = float(az.ess(values, method="bulk"))
        t = float(az.ess(values, method="tail"))
        if b < bulk:
            bulk, worst = b, name
        tail = min(tail, t)
    return bulk, tail, worst


def measure_model(spec: ModelSpec, stan_file: Path, data: Path, cmdstan: Path) -> dict[str, Any]:
    """Compile and sample one model as the module docstring says; return its figures.

    Raises:
        BenchmarkError: compiling or sampling failed.
    """
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix=f"mlmpipe-bench-{spec.name}-") as scratch:
        folder = Path(scratch)
        exe, compiled = compile_program(stan_file, cmdstan, folder)
        csvs = [folder / f"{spec.name}-{chain}.csv" for chain in range(1, spec.chains + 1)]

        def one_chain(chain: int) -> Timed:
            command = chain_command(exe, spec, data, chain, csvs[chain - 1])
            return run(command, cwd=folder, what=f"sampling {spec.name}, chain {chain}")

        with ThreadPoolExecutor(max_workers=min(cores, spec.chains)) as pool:
            start = os.times().elapsed
            timings = list(pool.map(one_chain, range(1, spec.chains + 1)))
            sampling_wall = os.times().elapsed - start
        read = [read_chain(csv) for csv in csvs]
    names = read[0][0]
    bulk, tail, worst = smallest_ess(names, [draws for _, draws, _ in read])
    chain_seconds = sum(elapsed for _, _, elapsed in read)
    if chain_seconds <= 0:
        raise BenchmarkError(f"{spec.name}: the CmdStan CSVs report no elapsed time")
    return {
        "compile_seconds": compiled.wall,
        "sampling_wall_seconds": sampling_wall,
        "chains_at_once": min(cores, spec.chains),
        "chain_seconds": chain_seconds,
        "ess_bulk_min": bulk,
        "ess_tail_min": tail,
        "ess_bulk_min_parameter": worst,
        "ess_bulk_per_second": bulk / chain_seconds,
        "sampler_peak_rss_mb": max(t.max_rss_mb for t in timings),
    }
