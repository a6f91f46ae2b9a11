"""Measure the project-local CmdStan toolchain and print the figures.

    .venv/bin/python workflow/scripts/benchmark_toolchain.py [--dest DIR] [--keep]

1. setup: ``python -m mlmpipe.toolchain --dest <fresh dir>`` from the installed venv;
2. compile time of a small model (Bernoulli) and of a larger one (``stan/m5.stan``, brms's
   ``con ~ 1 + week + (1 + week | id)``; a built-in equivalent if the file is missing);
3. sampling time of the larger model on simulated data (4 chains, 1000 + 1000 iterations,
   in parallel processes).

The fresh directory (about 1 GB with its precompiled header) is removed afterwards unless
``--keep``.  Timings are wall-clock on a machine that may be shared; the load average is
printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]

SMALL = """
data {
  int<lower=0> N;
  array[N] int<lower=0, upper=1> y;
}
parameters {
  real<lower=0, upper=1> theta;
}
model {
  theta ~ beta(1, 1);
  y ~ bernoulli(theta);
}
"""

# Used only when stan/m5.stan is absent: the same varying-slopes model, written plainly.
VARYING_SLOPES = """
data {
  int<lower=1> N;
  vector[N] Y;
  vector[N] week;
  int<lower=1> N_1;
  array[N] int<lower=1, upper=N_1> J_1;
}
parameters {
  real Intercept;
  real b;
  real<lower=0> sigma;
  vector<lower=0>[2] sd_1;
  matrix[2, N_1] z_1;
  cholesky_factor_corr[2] L_1;
}
transformed parameters {
  matrix[N_1, 2] r_1 = transpose(diag_pre_multiply(sd_1, L_1) * z_1);
}
model {
  Y ~ normal(Intercept + r_1[J_1, 1] + (b + r_1[J_1, 2]) .* week, sigma);
  Intercept ~ normal(0, 1);
  b ~ normal(0, 1);
  sigma ~ exponential(1);
  sd_1 ~ exponential(1);
  to_vector(z_1) ~ std_normal();
  L_1 ~ lkj_corr_cholesky(1);
}
"""


def simulated_data(m5_file: bool, people: int = 60, weeks: int = 4, seed: int = 5) -> dict:
    """Data like the lecture's (confidence by person and week) for the varying-slopes model."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(1, people + 1), weeks)
    week = np.tile(np.arange(weeks, dtype=float), people)
    a = rng.normal(0.5, 0.2, people)
    b = rng.normal(0.05, 0.05, people)
    y = a[ids - 1] + b[ids - 1] * week + rng.normal(0, 0.1, ids.size)
    n = int(ids.size)
    if not m5_file:
        return {"N": n, "Y": y.tolist(), "week": week.tolist(), "N_1": people, "J_1": ids.tolist()}
    return {
        "N": n,
        "Y": y.tolist(),
        "K": 2,
        "X": np.column_stack([np.ones(n), week]).tolist(),
        "N_1": people,
        "M_1": 2,
        "J_1": ids.tolist(),
        "Z_1_1": np.ones(n).tolist(),
        "Z_1_2": week.tolist(),
        "NC_1": 1,
        "prior_only": 0,
        "prior_b_mu": 0.0,
        "prior_b_sigma": 1.0,
        "prior_Intercept_mu": 0.0,
        "prior_Intercept_sigma": 1.0,
        "prior_sd_rate": 1.0,
        "prior_cor_eta": 1.0,
        "prior_sigma_rate": 1.0,
    }


def timed(label: str, func, *args, **kwargs):
    """Run ``func`` and print how long it took; return (result, seconds)."""
    started = time.monotonic()
    result = func(*args, **kwargs)
    seconds = time.monotonic() - started
    print(f"{label:<44} {seconds:7.1f} s", flush=True)
    return result, seconds


def setup(dest: Path) -> Path:
    """Build a fresh toolchain in ``dest`` with the installed venv's Python.

    Also prints the CPU time the build used (independent of other load on the machine).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "mlmpipe.toolchain", "--dest", str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"toolchain setup failed:\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"  (setup used {cpu:.0f} s of CPU time in its compiler processes)", flush=True)
    return Path(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dest",
        type=Path,
        default=None,
        help="fresh CmdStan directory to build (default: a temporary one under .cmdstan/)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the fresh directory")
    args = parser.parse_args(argv)

    import cmdstanpy

    (REPO / ".cmdstan").mkdir(exist_ok=True)
    dest = (
        args.dest
        or Path(tempfile.mkdtemp(prefix="benchmark-", dir=REPO / ".cmdstan")) / "cmdstan-2.35.0"
    )
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"{dest} is not empty; the setup must start from a fresh directory")
    work = Path(tempfile.mkdtemp(prefix="mlmpipe-benchmark-"))
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} "
        f"at start; fresh toolchain in {dest}",
        flush=True,
    )
    figures: dict[str, float] = {}
    try:
        path, figures["setup_s"] = timed("toolchain setup (fresh directory)", setup, dest)
        cmdstanpy.set_cmdstan_path(str(path))

        small = work / "bernoulli.stan"
        small.write_text(SMALL)
        _, figures["compile_small_s"] = timed(
            "compile small model (bernoulli)", cmdstanpy.CmdStanModel, stan_file=small
        )

        m5 = REPO / "stan" / "m5.stan"
        large = work / "m5.stan"
        if m5.is_file():
            shutil.copy(m5, large)
        else:
            large.write_text(VARYING_SLOPES)
        model, figures["compile_large_s"] = timed(
            f"compile larger model ({'stan/m5.stan' if m5.is_file() else 'varying slopes'})",
            cmdstanpy.CmdStanModel,
            stan_file=large,
        )

        data = work / "m5.data.json"
        data.write_text(json.dumps(simulated_data(m5.is_file())))
        fit, figures["sample_large_s"] = timed(
            "sample larger model (4 chains x 2000 it.)",
            model.sample,
            data=str(data),
            chains=4,
            parallel_chains=4,
            seed=9,
            show_progress=False,
            output_dir=work / "fit",
        )
        print(
            f"  max R-hat {fit.summary()['R_hat'].max():.3f}, "
            f"divergences {int(fit.divergences.sum())}",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep and args.dest is None:
            shutil.rmtree(dest.parent, ignore_errors=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    targets = figures["setup_s"] < 180 and figures["compile_small_s"] < 25
    print("targets (setup < 180 s, small compile < 25 s):", "met" if targets else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
