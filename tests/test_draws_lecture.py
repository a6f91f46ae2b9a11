"""m2's expected values and predictions for the lecture's three people, through the pipeline.

One Snakemake run in a scratch directory fits m2 on the real data and writes the draws
stage's selected-people tables; each printed mean and 95% bound of the lecture's
``add_epred_draws(nd, m2) %>% mean_qi()`` and ``add_predicted_draws(nd, m2) %>% mean_qi()``
must agree with ours within the lecture's rounding (half its last digit) plus three Monte
Carlo standard errors of the difference of two independent runs (sqrt(2) x our MCSE, from
ArviZ, on the chains of our draws).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
from mlm_data import MLM_CSV, require_mlm

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TABLES = {
    ".epred": ("results/draws/m2_epred_selected.parquet", "results/tables/m2_epred_selected.csv"),
    ".prediction": (
        "results/draws/m2_predicted_selected.parquet",
        "results/tables/m2_predicted_selected.csv",
    ),
}
# value column, id, lecture's mean, .lower, .upper (as printed)
LECTURE = [
    (".epred", 48, "0.213", "0.162", "0.264"),
    (".epred", 137, "0.266", "0.208", "0.323"),
    (".epred", 146, "0.205", "0.148", "0.262"),
    (".prediction", 48, "0.212", "0.108", "0.316"),
    (".prediction", 137, "0.266", "0.156", "0.375"),
    (".prediction", 146, "0.203", "0.0935", "0.311"),
]


def half_last_digit(printed: str) -> float:
    """Half a unit of the last digit R printed (``0.0935`` -> 0.00005)."""
    return 0.5 * 10 ** -len(printed.split(".")[1])


@pytest.fixture(scope="module")
def run(cmdstan_dir, tmp_path_factory) -> Path:
    """The scratch directory after the pipeline fitted m2 and wrote the selected tables."""
    require_mlm()
    workdir = tmp_path_factory.mktemp("draws")
    shutil.copytree(REPO / "stan", workdir / "stan")
    targets = [path for pair in TABLES.values() for path in pair]
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(REPO / "config" / "config.yaml"),
        "--config", "data=" + json.dumps({"local_copy": str(MLM_CSV)}),
        "--cores", "2", "--", *targets,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


@pytest.mark.parametrize(("column", "person", "mean", "lower", "upper"), LECTURE)
def test_selected_people_agree_with_the_lecture_within_monte_carlo_error(
    run, column, person, mean, lower, upper
):
    draws_path, table_path = TABLES[column]
    table = pd.read_csv(run / table_path).set_index("id")
    row = table.loc[person]
    draws = pd.read_parquet(run / draws_path)
    mine = draws[draws["id"] == person].pivot(index=".chain", columns=".iteration", values=column)
    chains = mine.to_numpy()  # (chain, draw), as ArviZ wants it
    mcse = {
        column: float(az.mcse(chains, method="mean")),
        ".lower": float(az.mcse(chains, method="quantile", prob=0.025)),
        ".upper": float(az.mcse(chains, method="quantile", prob=0.975)),
    }
    for name, printed in ((column, mean), (".lower", lower), (".upper", upper)):
        tolerance = half_last_digit(printed) + 3 * np.sqrt(2) * mcse[name]
        assert abs(row[name] - float(printed)) <= tolerance, (
            f"m2 id {person} {name}: ours {row[name]:.4f}, lecture {printed} "
            f"(tolerance {tolerance:.4f})"
        )
