"""Synthetic sampler CSV files in the layout CmdStan 2.35 writes.

The comment header follows shared/reference/cmdstan-2.35-sampler-csv-header.txt
(a real 2.35 file); then the column names (container elements as ``name.i.j``,
column-major), the adaptation block, the draws with 6 significant digits and
the timing footer.  Used by the tests of the stansummary/diagnose helpers.

Run as a script to write example files: ``python tests/stan_csv_synth.py DIR``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

SAMPLER_COLUMNS = [
    "lp__",
    "accept_stat__",
    "stepsize__",
    "treedepth__",
    "n_leapfrog__",
    "divergent__",
    "energy__",
]

_HEADER = """\
# stan_version_major = 2
# stan_version_minor = 35
# stan_version_patch = 0
# model = {model}
# start_datetime = 2026-11-26 06:30:11 UTC
# method = sample (Default)
#   sample
#     num_samples = {num_samples}{num_samples_default}
#     num_warmup = {num_warmup}{num_warmup_default}
#     save_warmup = {save_warmup}
#     thin = 1 (Default)
#     adapt
#       engaged = true (Default)
#       gamma = 0.05 (Default)
#       delta = 0.8 (Default)
#       kappa = 0.75 (Default)
#       t0 = 10 (Default)
#       init_buffer = 75 (Default)
#       term_buffer = 50 (Default)
#       window = 25 (Default)
#       save_metric = false (Default)
#     algorithm = hmc (Default)
#       hmc
#         engine = nuts (Default)
#           nuts
#             max_depth = {max_depth}{max_depth_default}
#         metric = diag_e (Default)
#         metric_file =  (Default)
#         stepsize = 1 (Default)
#         stepsize_jitter = 0 (Default)
#     num_chains = 1 (Default)
# id = {chain_id}
# data
#   file = MODELDIR/{model}.data.json
# init = 2 (Default)
# random
#   seed = {seed}
# output
#   file = OUTDIR/{model}-20261126063011_{chain_id}.csv
#   diagnostic_file =  (Default)
#   refresh = 100 (Default)
#   sig_figs = -1 (Default)
#   profile_file = profile.csv (Default)
#   save_cmdstan_config = false (Default)
# num_threads = 1 (Default)
# stanc_version = stanc3 v2.35.0
# stancflags = --filename-in-msg={model}.stan
"""


def _g6(value: float) -> str:
    """CmdStan's default output precision (sig_figs = -1): 6 significant digits."""
    return format(float(value), ".6g")


def write_sampler_csv(
    path: Path,
    columns: Mapping[str, np.ndarray],
    *,
    model: str = "synth_model",
    chain_id: int = 1,
    seed: int = 1,
    num_warmup: int = 1000,
    max_depth: int = 10,
    step_size: float = 0.895517,
    warmup_seconds: float = 0.05,
    sampling_seconds: float = 0.1,
    warmup: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write one chain; ``columns`` maps CSV column names to equal-length arrays
    and must start with the seven sampler columns.  With ``warmup`` (same
    columns) the file is written as with save_warmup=1: the warmup draws come
    between the column names and the adaptation block."""
    names = list(columns)
    assert names[:7] == SAMPLER_COLUMNS, names[:7]
    draws = np.column_stack([np.asarray(columns[n], dtype=float) for n in names])
    num_samples = draws.shape[0]
    n_model = len(names) - 7
    header = _HEADER.format(
        model=model,
        num_samples=num_samples,
        num_samples_default=" (Default)" if num_samples == 1000 else "",
        num_warmup=num_warmup,
        num_warmup_default=" (Default)" if num_warmup == 1000 else "",
        max_depth=max_depth,
        max_depth_default=" (Default)" if max_depth == 10 else "",
        save_warmup="true" if warmup is not None else "false (Default)",
        chain_id=chain_id,
        seed=seed,
    )
    lines = [header.rstrip("\n"), ",".join(names)]
    if warmup is not None:
        w = np.column_stack([np.asarray(warmup[n], dtype=float) for n in names])
        lines += [",".join(_g6(v) for v in row) for row in w]
    lines.append("# Adaptation terminated")
    lines.append(f"# Step size = {_g6(step_size)}")
    lines.append("# Diagonal elements of inverse mass matrix:")
    lines.append("# " + ", ".join(_g6(0.5 + 0.01 * i) for i in range(max(n_model, 1))))
    for row in draws:
        lines.append(",".join(_g6(v) for v in row))
    total = warmup_seconds + sampling_seconds
    lines += [
        "# ",
        f"#  Elapsed Time: {_g6(warmup_seconds)} seconds (Warm-up)",
        f"#                {_g6(sampling_seconds)} seconds (Sampling)",
        f"#                {_g6(total)} seconds (Total)",
        "# ",
        "",
    ]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path


def ar1(rng: np.random.Generator, n: int, phi: float, sd: float = 1.0) -> np.ndarray:
    """Stationary AR(1) series with marginal standard deviation ``sd``."""
    innovations = rng.normal(size=n) * sd * np.sqrt(1.0 - phi**2)
    innovations[0] = rng.normal() * sd
    return lfilter([1.0], [1.0, -phi], innovations)


def make_chain(
    rng: np.random.Generator,
    n: int,
    *,
    chain: int = 0,
    shift: float = 0.0,
    n_divergent: int = 0,
    n_max_treedepth: int = 0,
    max_depth: int = 10,
    sticky_energy: bool = False,
    stuck_param: bool = False,
) -> dict[str, np.ndarray]:
    """Draws of a small model: mu (AR(1), mean 1 + chain * shift), sigma,
    theta[3] and a 2x2 matrix Sigma from a bivariate normal, plus plausible
    NUTS diagnostics.  Problems can be switched on."""
    mu = 1.0 + chain * shift + ar1(rng, n, 0.3, 2.0)
    sigma = np.exp(0.3 * ar1(rng, n, 0.2))
    theta = [ar1(rng, n, 0.1 * k) + k for k in range(3)]
    z = rng.multivariate_normal([0.0, 2.0], [[1.0, 0.6], [0.6, 1.0]], size=n)
    sigma_mat = {  # column-major, as CmdStan writes matrices
        "Sigma.1.1": z[:, 0],
        "Sigma.2.1": z[:, 1],
        "Sigma.1.2": z[:, 0] * z[:, 1],
        "Sigma.2.2": 10.0 + z[:, 1] ** 2,
    }
    sq = ((mu - 1.0 - chain * shift) / 2.0) ** 2 + sum((t - k) ** 2 for k, t in enumerate(theta))
    lp = -0.5 * sq - 3.0
    if sticky_energy:
        energy = 20.0 + np.cumsum(rng.normal(size=n)) * 0.5 + 30 * chain
    else:
        energy = -lp + rng.chisquare(5, size=n) / 2.0
    treedepth = rng.integers(2, 5, size=n).astype(float)
    if n_max_treedepth:
        treedepth[rng.choice(n, n_max_treedepth, replace=False)] = max_depth
    n_leapfrog = 2.0**treedepth - 1.0
    divergent = np.zeros(n)
    if n_divergent:
        divergent[rng.choice(n, n_divergent, replace=False)] = 1.0
    cols: dict[str, np.ndarray] = {
        "lp__": lp,
        "accept_stat__": rng.beta(8, 2, size=n),
        "stepsize__": np.full(n, 0.895517),
        "treedepth__": treedepth,
        "n_leapfrog__": n_leapfrog,
        "divergent__": divergent,
        "energy__": energy,
        "mu": mu,
        "sigma": sigma,
        "theta.1": theta[0],
        "theta.2": theta[1],
        "theta.3": theta[2],
    }
    cols.update(sigma_mat)
    if stuck_param:
        # an (almost) frozen random walk: effective sample size of a few draws
        cols["stuck"] = 100.0 * chain + np.cumsum(rng.normal(size=n)) * 1e-3
    return cols


def write_scenario(
    outdir: Path,
    name: str,
    *,
    chains: int = 4,
    draws: int = 1000,
    seed: int = 20261126,
    max_depth: int = 10,
    **problems,
) -> list[Path]:
    """Write ``chains`` files ``<name>_<k>.csv`` and return their paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(chains):
        cols = make_chain(rng, draws, chain=k, max_depth=max_depth, **problems)
        paths.append(
            write_sampler_csv(
                outdir / f"{name}_{k + 1}.csv",
                cols,
                model=f"{name}_model",
                chain_id=k + 1,
                max_depth=max_depth,
                warmup_seconds=0.031 + 0.002 * k,
                sampling_seconds=0.052 + 0.003 * k,
            )
        )
    return paths


def read_draws(paths: list[Path]) -> dict[str, np.ndarray]:
    """Draws as written (6 significant digits), ``name -> (chain, draw)``,
    with CmdStan-CSV names turned into stansummary's (``theta[1]``)."""
    per_chain = []
    names: list[str] = []
    for p in paths:
        rows = [ln for ln in Path(p).read_text().splitlines() if ln and not ln.startswith("#")]
        names = rows[0].split(",")
        per_chain.append(np.array([[float(v) for v in r.split(",")] for r in rows[1:]]))
    out = {}
    for j, n in enumerate(names):
        parts = n.split(".")
        pretty = parts[0] + ("[" + ",".join(parts[1:]) + "]" if len(parts) > 1 else "")
        out[pretty] = np.stack([c[:, j] for c in per_chain])
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "synthetic_csv")
    for p in write_scenario(target, "good"):
        print(p)
    for p in write_scenario(
        target,
        "bad",
        shift=3.0,
        n_divergent=25,
        n_max_treedepth=40,
        sticky_energy=True,
        stuck_param=True,
    ):
        print(p)
