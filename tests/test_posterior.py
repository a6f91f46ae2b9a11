"""The posterior of a fit carries brms's names, as the lecture's get_variables() prints them.

CmdStan CSVs are written synthetically here (tests/stan_csv_synth.py), with every value
encoding its position, so the mapping from Stan's names to brms's is checked element by
element; the compiled programs are checked in test_models_recovery.py and the end-to-end test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlm_data import require_mlm
from mlmpipe import models, posterior, standata
from stan_csv_synth import SAMPLER_COLUMNS, write_sampler_csv

REPO = Path(__file__).resolve().parents[1]

# The people of the lecture's get_variables(m1), in brms's order; m3 to m5 lack the three
# people whose only rows have no week.
LECTURE_IDS = [
    6, 29, 34, 36, 37, 48, 53, 54, 58, 61, 66, 67, 69, 71, 74, 75, 76, 78, 79, 80, 81, 82,
    85, 86, 87, 89, 91, 92, 93, 94, 96, 97, 98, 99, 101, 102, 103, 104, 105, 106, 110, 112,
    114, 115, 116, 120, 122, 125, 127, 129, 135, 136, 137, 140, 141, 142, 143, 144, 146, 149,
    150, 152, 153, 155, 156, 159, 160, 162, 163, 165, 167, 169, 171, 174, 182, 187, 189, 190,
    193, 194, 201, 204, 205, 208, 209, 211, 214, 219, 222, 223, 229,
]  # fmt: skip
WITHOUT_WEEK = {69, 74, 102}
SAMPLER_VARIABLES = [
    "accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__", "divergent__", "energy__",
]  # fmt: skip
DRAWS = 8


@pytest.fixture(scope="module")
def specs() -> dict[str, models.ModelSpec]:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    return models.load_specs(config)


@pytest.fixture(scope="module")
def real_data() -> pd.DataFrame:
    return pd.read_csv(require_mlm())


def stan_columns(data: standata.ModelData, chain: int) -> dict[str, np.ndarray]:
    """The columns the model's Stan program writes, each value encoding its position."""
    spec = data.spec
    sd = data.stan_data
    rng = np.random.default_rng(chain)
    draw = np.arange(DRAWS, dtype=float)
    cols: dict[str, np.ndarray] = {
        "lp__": rng.normal(size=DRAWS),
        "accept_stat__": np.full(DRAWS, 0.9),
        "stepsize__": np.full(DRAWS, 0.5),
        "treedepth__": np.full(DRAWS, 3.0),
        "n_leapfrog__": np.full(DRAWS, 7.0),
        "divergent__": (draw == chain).astype(float),  # one divergence in chains 1..4 < DRAWS
        "energy__": rng.normal(size=DRAWS),
    }
    b = f"b_{spec.nlpar}" if spec.nlpar else "b"
    for k in range(1, len(data.coefficients) + 1):
        cols[f"{b}.{k}"] = 10.0 * k + draw / 100
    if spec.intercept:
        cols["Intercept"] = 0.5 + draw / 100
    cols["sigma"] = 0.05 + draw / 1000
    if spec.varying is not None:
        for k in range(1, sd["M_1"] + 1):
            cols[f"sd_1.{k}"] = 0.01 * k + draw / 1000
        for k in range(1, sd["M_1"] + 1):
            for j in range(1, sd["N_1"] + 1):
                cols[f"r_1_{k}.{j}"] = 1000.0 * k + j + draw / 10000
    cols["lprior"] = -1.0 - draw
    if spec.intercept:
        cols["b_Intercept"] = 0.4 + draw / 100
    if spec.varying is not None and spec.varying.correlated:
        cols["cor_1.1"] = -0.5 + draw / 100
    for n in range(1, sd["N"] + 1):
        cols[f"log_lik.{n}"] = -float(n) - draw / 100
    assert list(cols)[:7] == SAMPLER_COLUMNS
    return cols


def fake_fit(tmp_path: Path, data: standata.ModelData) -> Path:
    """Write four synthetic chains for ``data``'s model; return their folder."""
    folder = tmp_path / data.spec.name / "fit"
    folder.mkdir(parents=True)
    for chain in range(1, 5):
        write_sampler_csv(
            folder / f"{data.spec.name}-{chain}.csv",
            stan_columns(data, chain),
            model=data.spec.name,
            chain_id=chain,
            seed=9,
        )
    return folder


@pytest.fixture(scope="module")
def posteriors(tmp_path_factory, specs, real_data) -> dict[str, tuple[standata.ModelData, object]]:
    out = {}
    root = tmp_path_factory.mktemp("fits")
    for name, spec in specs.items():
        data = standata.build_model_data(spec, real_data)
        out[name] = (data, posterior.inference_data(data, fake_fit(root, data)))
    return out


def r_names(ids, terms=("Intercept",)):
    return [f"r_id[{i},{t}]" for t in terms for i in ids]


def test_m1_variables_are_the_lectures_100(posteriors):
    _, idata = posteriors["m1"]
    expected = (
        [f"b_a_id.f{i}" for i in LECTURE_IDS] + ["sigma", "lprior", "lp__"] + SAMPLER_VARIABLES
    )
    assert posterior.brms_variables(idata) == expected
    assert len(expected) == 100


def test_m2_has_103_variables_with_the_intercept_listed_twice(posteriors):
    _, idata = posteriors["m2"]
    variables = posterior.brms_variables(idata)
    assert len(variables) == 103
    assert variables[:5] == [
        "b_Intercept",
        "sd_id__Intercept",
        "sigma",
        "Intercept",
        "r_id[6,Intercept]",
    ]


def test_m3_and_m4_variables_are_the_lectures_lists(posteriors):
    ids = [i for i in LECTURE_IDS if i not in WITHOUT_WEEK]
    tail = ["lprior", "lp__", *SAMPLER_VARIABLES]
    m3 = ["b_Intercept", "b_week", "sd_id__Intercept", "sigma", "Intercept", *r_names(ids), *tail]
    m4 = ["b_week", "b_groupCTRL", "b_groupPD", "sd_id__Intercept", "sigma", *r_names(ids), *tail]
    assert posterior.brms_variables(posteriors["m3"][1]) == m3
    assert posterior.brms_variables(posteriors["m4"][1]) == m4
    assert len(m3) == len(m4) == 101


def test_m5_lists_every_intercept_before_every_slope(posteriors):
    ids = [i for i in LECTURE_IDS if i not in WITHOUT_WEEK]
    variables = posterior.brms_variables(posteriors["m5"][1])
    assert variables[:7] == [
        "b_Intercept", "b_week", "sd_id__Intercept", "sd_id__week",
        "cor_id__Intercept__week", "sigma", "Intercept",
    ]  # fmt: skip
    assert variables[7 : 7 + 176] == r_names(ids, ("Intercept", "week"))
    assert len(variables) == 191


def test_r_id_has_id_and_term_dims_with_the_level_labels(posteriors):
    data, idata = posteriors["m5"]
    r_id = idata.posterior["r_id"]
    assert r_id.dims == ("chain", "draw", "id", "term")
    assert r_id.coords["id"].values.tolist() == [i for i in LECTURE_IDS if i not in WITHOUT_WEEK]
    assert r_id.coords["term"].values.tolist() == ["Intercept", "week"]
    # r_1_2[j] (slope of the j-th level) was written as 2000 + j
    value = float(r_id.sel(id=29, term="week").isel(chain=0, draw=0))
    assert value == pytest.approx(2000 + 2)


def test_coefficients_map_to_brms_names_in_order(posteriors):
    _, idata = posteriors["m4"]
    first = idata.posterior.isel(chain=0, draw=0)
    assert [float(first[n]) for n in ("b_week", "b_groupCTRL", "b_groupPD")] == [10, 20, 30]
    _, m1 = posteriors["m1"]
    assert float(m1.posterior["b_a_id.f229"].isel(chain=0, draw=0)) == 910


def test_sample_stats_log_likelihood_and_observed_data(posteriors):
    data, idata = posteriors["m3"]
    stats = idata.sample_stats
    assert {
        "diverging",
        "tree_depth",
        "energy",
        "step_size",
        "n_steps",
        "acceptance_rate",
        "lp",
    } <= set(stats.data_vars)
    assert int(stats["diverging"].sum()) == 4
    ll = idata.log_likelihood["con"]
    assert ll.dims == ("chain", "draw", "obs")
    # the rows' positions in the data: rows without week are not there
    assert ll.sizes["obs"] == 216
    assert set(range(219)) - set(ll.coords["obs"].values.tolist()) == set(data.frame.dropped_rows)
    assert float(ll.isel(chain=0, draw=0, obs=0)) == -1.0
    assert idata.observed_data["con"].values.tolist() == data.stan_data["Y"]


def test_posterior_nc_reads_back_with_load_fit(tmp_path, posteriors):
    data, idata = posteriors["m4"]
    path = posterior.write_inference_data(idata, tmp_path / "posterior.nc")
    fit = posterior.load_fit(str(path))
    assert fit.spec == data.spec
    assert fit.levels["group"] == ["CTRL", "PD"]
    assert len(fit.levels["id"]) == 88
    assert json.loads(fit.idata.posterior.attrs["mlmpipe_rows"]) == list(data.rows)


def test_load_spec_reads_the_spec_without_the_draws(tmp_path, posteriors):
    data, idata = posteriors["m5"]
    path = posterior.write_inference_data(idata, tmp_path / "posterior.nc")
    assert posterior.load_spec(path) == data.spec
    with pytest.raises(FileNotFoundError, match="nope.nc: no such posterior file"):
        posterior.load_spec(tmp_path / "nope.nc")
    bare = tmp_path / "bare.nc"
    idata.posterior.attrs.pop("mlmpipe_spec")
    try:
        posterior.write_inference_data(idata, bare)
    finally:
        idata.posterior.attrs["mlmpipe_spec"] = json.dumps(models.spec_to_dict(data.spec))
    with pytest.raises(models.ModelDataError, match="has no 'mlmpipe_spec' attribute"):
        posterior.load_spec(bare)


def test_variables_txt_is_one_name_a_line(tmp_path, posteriors):
    _, idata = posteriors["m2"]
    path = posterior.write_variables(idata, tmp_path / "variables.txt")
    lines = path.read_text().splitlines()
    assert lines[0] == "b_Intercept" and lines[-1] == "energy__" and len(lines) == 103


def test_stale_stan_data_is_refused(tmp_path, posteriors, specs, real_data):
    data, _ = posteriors["m2"]
    stale = dict(data.stan_data, Y=[0.0] * data.stan_data["N"])
    (tmp_path / "data.json").write_text(json.dumps(stale))
    with pytest.raises(standata.StanDataError, match="'Y' differs from the data"):
        standata.check_stan_data(data, tmp_path / "data.json")
