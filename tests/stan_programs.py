"""Small Stan programs the toolchain tests compile, and how they compile them."""

from __future__ import annotations

from pathlib import Path

import cmdstanpy

BERNOULLI = """
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
generated quantities {
  int y_rep = bernoulli_rng(theta);
  real log_lik = bernoulli_lpmf(y | theta);
}
"""
DATA = {"N": 10, "y": [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]}


def compile_program(stan_dir: Path, name: str, code: str, **kwargs) -> cmdstanpy.CmdStanModel:
    """Write ``code`` to ``stan_dir/<name>.stan`` and compile it with cmdstanpy."""
    stan_dir.mkdir(parents=True, exist_ok=True)
    stan_file = stan_dir / f"{name}.stan"
    stan_file.write_text(code)
    return cmdstanpy.CmdStanModel(stan_file=stan_file, **kwargs)
