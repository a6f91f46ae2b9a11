"""The Stan programs recover known values from data simulated from their own model.

Each program is compiled once per test session (into a temporary build folder, as the
pipeline compiles into results/build/), then fitted to synthetic data drawn with a fixed
seed: a varying-intercept model (stan/m2.stan) and a correlated varying-slope model
(stan/m5.stan). The 95% intervals must cover the values the data were drawn from, and the
people's estimated effects must follow their true ones.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlmpipe import models, posterior, sampling, standata

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def specs() -> dict[str, models.ModelSpec]:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    return models.load_specs(config)


@pytest.fixture(scope="session")
def compiled(cmdstan_dir, tmp_path_factory):
    """Compile a program once per session; return a function giving its executable."""
    build = tmp_path_factory.mktemp("build")
    cache: dict[str, Path] = {}

    def exe(name: str) -> Path:
        if name not in cache:
            cache[name] = sampling.compile_model(
                REPO / "stan" / f"{name}.stan", build / name / name, cmdstan=cmdstan_dir
            )
        return cache[name]

    return exe


def fit_synthetic(spec, frame, exe, folder: Path, cmdstan_dir):
    """Sample ``spec``'s program on ``frame``; return the brms-named InferenceData."""
    spec = dataclasses.replace(spec, iter=1000, warmup=500, seed=20, adapt_delta=0.95)
    data = standata.build_model_data(spec, frame)
    standata.write_model_data(data, folder / "data.json", folder / "model_frame.json")
    sampling.sample_model(
        spec, exe, folder / "data.json", folder / "fit", cmdstan=cmdstan_dir, parallel_chains=2
    )
    return posterior.inference_data(data, folder / "fit")


def covers(idata, truth: dict[str, float]) -> list[str]:
    """Return the parameters whose central interval misses its true value.

    The intervals are Bonferroni-adjusted so that all of them together cover the truth with
    95% probability (each at 1 - 0.05 / number of parameters).
    """
    alpha = 0.05 / len(truth)
    missed = []
    for name, value in truth.items():
        draws = idata.posterior[name].values.reshape(-1)
        low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        if not low < value < high:
            missed.append(f"{name}: {value} outside [{low:.4f}, {high:.4f}]")
    return missed


def test_varying_intercepts_are_recovered(compiled, specs, tmp_path, cmdstan_dir):
    rng = np.random.default_rng(2024)
    people, per_person = 40, 6
    intercept, sd, sigma = 0.30, 0.15, 0.10
    effects = rng.normal(0, sd, people)
    ids = np.repeat(np.arange(1, people + 1) * 3, per_person)  # ids 3, 6, ..., not 1..n
    con = intercept + np.repeat(effects, per_person) + rng.normal(0, sigma, len(ids))
    frame = pd.DataFrame({"id": ids, "con": con})

    idata = fit_synthetic(specs["m2"], frame, compiled("m2"), tmp_path, cmdstan_dir)
    truth = {"b_Intercept": intercept, "sd_id__Intercept": sd, "sigma": sigma}
    assert covers(idata, truth) == []
    means = idata.posterior["r_id"].sel(term="Intercept").mean(("chain", "draw")).values
    assert idata.posterior["r_id"].coords["id"].values.tolist() == list(range(3, 121, 3))
    assert np.corrcoef(means, effects)[0, 1] > 0.85


def test_correlated_varying_slopes_are_recovered(compiled, specs, tmp_path, cmdstan_dir):
    rng = np.random.default_rng(7)
    people, weeks = 100, 6
    intercept, slope = 0.50, -0.05
    sds, cor, sigma = np.array([0.20, 0.08]), 0.6, 0.05
    cov = np.diag(sds) @ np.array([[1, cor], [cor, 1]]) @ np.diag(sds)
    effects = rng.multivariate_normal([0, 0], cov, people)
    ids = np.repeat(np.arange(1, people + 1), weeks)
    week = np.tile(np.arange(weeks, dtype=float), people)
    person = ids - 1
    con = (
        intercept
        + effects[person, 0]
        + (slope + effects[person, 1]) * week
        + rng.normal(0, sigma, len(ids))
    )
    week[5] = np.nan  # one row without week: dropped, as brms drops it
    frame = pd.DataFrame({"id": ids, "week": week, "con": con})

    idata = fit_synthetic(specs["m5"], frame, compiled("m5"), tmp_path, cmdstan_dir)
    assert idata.log_likelihood.sizes["obs"] == people * weeks - 1
    truth = {
        "b_Intercept": intercept,
        "b_week": slope,
        "sd_id__Intercept": sds[0],
        "sd_id__week": sds[1],
        "cor_id__Intercept__week": cor,
        "sigma": sigma,
    }
    assert covers(idata, truth) == []
    r_id = idata.posterior["r_id"].mean(("chain", "draw"))
    assert np.corrcoef(r_id.sel(term="Intercept").values, effects[:, 0])[0, 1] > 0.9
    assert np.corrcoef(r_id.sel(term="week").values, effects[:, 1])[0, 1] > 0.9
    # the temporary Intercept is the intercept at the mean week: b_Intercept + b_week * mean
    mean_week = np.nanmean(week)
    gap = idata.posterior["Intercept"] - (
        idata.posterior["b_Intercept"] + idata.posterior["b_week"] * mean_week
    )
    assert float(abs(gap).max()) < 1e-5
