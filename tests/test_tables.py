"""The pipeline's draw tables (workflow/rules/draws.smk) on the lecture's data.

The posteriors are synthetic (random draws with brms names for the real people), written to
``posterior.nc`` and read back with ``load_fit`` as the rules read them; the data is the
real ``mlm.csv``. The tables must have exactly the columns the figures read.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import arviz as az

from mlm_data import MLM_CSV, needs_mlm
from mlmpipe import draws, tables
from mlmpipe.models import (
    ModelDataError,
    coefficient_names,
    load_specs,
    model_frame,
    spec_to_dict,
)
from mlmpipe.posterior import LEVELS_ATTR, SPEC_ATTR, Fit, load_fit

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
SPECS = load_specs(CONFIG)
SUMMARY = [".lower", ".upper", ".width", ".point", ".interval"]

pytestmark = needs_mlm


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(MLM_CSV)


def synthetic_posterior(name: str, data: pd.DataFrame, path: Path, n_draws: int = 40) -> Fit:
    """Write a posterior.nc of random draws with brms's names for model ``name``; load it."""
    spec = SPECS[name]
    frame = model_frame(spec, data)
    rng = np.random.default_rng(len(name) + n_draws)
    shape = (2, n_draws)
    posterior: dict[str, np.ndarray] = {}
    if spec.intercept:
        posterior["b_Intercept"] = rng.normal(0.25, 0.01, shape)
    for coefficient in coefficient_names(spec, frame.levels):
        posterior[f"b_{coefficient}"] = rng.normal(0.2, 0.05, shape)
    coords = {}
    dims = {}
    if spec.varying is not None:
        terms = list(spec.varying.terms)
        for term in terms:
            posterior[f"sd_id__{term}"] = rng.uniform(0.03, 0.08, shape)
        if spec.varying.correlated:
            posterior["cor_id__Intercept__week"] = rng.uniform(-0.5, 0.5, shape)
        ids = frame.levels["id"]
        posterior["r_id"] = rng.normal(0, 0.06, (*shape, len(ids), len(terms)))
        coords = {"id": ids, "term": terms}
        dims = {"r_id": ["id", "term"]}
    posterior["sigma"] = rng.uniform(0.04, 0.06, shape)
    idata = az.from_dict(posterior=posterior, coords=coords, dims=dims)
    idata.posterior.attrs[SPEC_ATTR] = json.dumps(spec_to_dict(spec))
    idata.posterior.attrs[LEVELS_ATTR] = json.dumps(frame.levels)
    target = path / name / "posterior.nc"
    target.parent.mkdir(parents=True)
    idata.to_netcdf(target)
    return load_fit(str(target))


@pytest.fixture(scope="module")
def fits(data, tmp_path_factory) -> dict[str, Fit]:
    root = tmp_path_factory.mktemp("results")
    return {name: synthetic_posterior(name, data, root) for name in SPECS}


def test_spread_heads_are_the_lectures_first_rows(fits):
    scalars, varying = tables.spread_heads(fits["m2"], rows=6)
    assert list(scalars.columns) == [
        ".chain",
        ".iteration",
        ".draw",
        "b_Intercept",
        "sigma",
        "sd_id__Intercept",
    ]
    assert list(varying.columns) == ["id", "term", "r_id", ".chain", ".iteration", ".draw"]
    assert varying["id"].tolist() == [6] * 6
    assert varying[".draw"].tolist() == [1, 2, 3, 4, 5, 6]


def test_people_tables_cover_every_person_of_m1_and_m2(fits):
    for name in ("m1", "m2"):
        table = tables.people_epred(fits[name])
        assert list(table.columns) == ["id", ".row", ".chain", ".iteration", ".draw", ".epred"]
        assert table["id"].nunique() == 91
        assert len(table) == 91 * 80
    m1 = tables.people_epred(fits["m1"])
    b48 = draws.draws_of(fits["m1"], "b_a_id.f48")
    assert m1.loc[m1["id"] == 48, ".epred"].to_numpy() == pytest.approx(b48)


def test_person_means_sit_beside_raw_means_and_no_pooling(fits, data):
    m1_people = tables.people_epred(fits["m1"])
    person_draws, summary = tables.person_means(fits["m2"], m1_people, data)
    assert list(person_draws.columns) == [
        "id",
        "term",
        ".chain",
        ".iteration",
        ".draw",
        "b_Intercept",
        "r_id",
        "p_mean",
    ]
    assert len(person_draws) == 91 * 80
    assert list(summary.columns) == [
        "id",
        "p_mean",
        *SUMMARY,
        "raw_mean",
        "n_obs",
        "no_pooling",
    ]
    assert len(summary) == 91
    row48 = summary.set_index("id").loc[48]
    assert row48["raw_mean"] == pytest.approx((0.2498 + 0.2323 + 0.1727) / 3)
    assert row48["n_obs"] == 3
    assert row48["no_pooling"] == pytest.approx(draws.draws_of(fits["m1"], "b_a_id.f48").mean())
    p48 = person_draws.loc[person_draws["id"] == 48, "p_mean"].to_numpy()
    assert row48["p_mean"] == pytest.approx(p48.mean())
    assert row48[".upper"] == pytest.approx(np.quantile(p48, 0.975))


def test_pooling_means_stack_no_pooling_and_partial_pooling(fits):
    people = {
        "no pooling": tables.people_epred(fits["m1"]),
        "partial pooling": tables.people_epred(fits["m2"]),
    }
    summary = tables.pooling_means(people)
    assert list(summary.columns) == ["id", "model", ".epred", *SUMMARY]
    assert summary["model"].value_counts().to_dict() == {"no pooling": 91, "partial pooling": 91}


def test_selected_people_keep_the_configs_order_as_rows(fits):
    ids = CONFIG["highlight"]["predictions"]
    epred, predicted = tables.selected_draws(fits["m2"], ids, seed=9)
    assert list(epred.columns) == ["id", ".row", ".chain", ".iteration", ".draw", ".epred"]
    assert list(predicted.columns)[-1] == ".prediction"
    assert epred.drop_duplicates(".row")["id"].tolist() == [146, 137, 48]
    summary = draws.mean_qi(epred)
    # sorted by id as dplyr sorts groups: the lecture's 48 (.row 3), 137 (2), 146 (1)
    assert summary[["id", ".row"]].values.tolist() == [[48, 3], [137, 2], [146, 1]]
    again = tables.selected_draws(fits["m2"], ids, seed=9)[1]
    pd.testing.assert_frame_equal(predicted, again)


def test_new_people_are_numbered_after_the_largest_id(fits, data):
    table = tables.new_people_draws(fits["m2"], data, 3, seed=9)
    assert table["id"].unique().tolist() == [230, 231, 232]
    assert list(table.columns) == ["id", ".row", ".chain", ".iteration", ".draw", ".epred"]


@pytest.mark.parametrize(
    ("name", "columns"), [("m3", ["id", "week"]), ("m4", ["id", "group", "week"])]
)
def test_trajectories_summarise_each_distinct_row_of_the_highlighted_people(
    fits, data, name, columns
):
    ids = CONFIG["highlight"]["trajectories"]
    table = tables.trajectories(fits[name], data, ids)
    assert list(table.columns) == [*columns, ".row", ".epred", *SUMMARY]
    assert sorted(table["id"].unique().tolist()) == sorted(ids)
    # the 20 people have 50 distinct (id, week) rows in the data, none with a missing week
    assert len(table) == 50
    assert table[columns].drop_duplicates().shape[0] == 50


def test_trajectories_name_a_person_the_model_was_not_fitted_to(fits, data):
    # ids 69, 74 and 102 have one row each, with no week: m3 (week in the formula) drops them
    dropped = sorted(set(data["id"]) - set(tables.person_levels(fits["m3"])))
    assert dropped == [69, 74, 102]
    with pytest.raises(ModelDataError, match=f"highlighted id.*{dropped[0]}"):
        tables.trajectories(fits["m3"], data, [6, dropped[0]])


def test_highlight_accepts_a_list_or_count_and_seed(data):
    people = data["id"].unique()
    assert tables.highlighted_ids([146, 137, 48], people, key="predictions") == [146, 137, 48]
    drawn = tables.highlighted_ids({"count": 20, "seed": 114}, people, key="people")
    assert len(set(drawn)) == 20 and set(drawn) <= set(people.tolist())
    assert drawn == tables.highlighted_ids({"count": 20, "seed": 114}, people, key="people")
    with pytest.raises(ValueError, match=r"highlight.predictions: id\(s\) 999"):
        tables.highlighted_ids([146, 999], people, key="predictions")
    with pytest.raises(ValueError, match="count 500"):
        tables.highlighted_ids({"count": 500, "seed": 1}, people, key="people")


def test_write_table_writes_parquet_and_csv_atomically(tmp_path, fits):
    table = tables.people_epred(fits["m2"])
    parquet = tables.write_table(table, tmp_path / "t.parquet")
    back = pd.read_parquet(parquet)
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    csv = tables.write_table(draws.mean_qi(table), tmp_path / "t.csv")
    assert pd.read_csv(csv).columns.tolist()[:3] == ["id", ".row", ".epred"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.parquet"]
    with pytest.raises(ValueError, match="writes .parquet or .csv"):
        tables.write_table(table, tmp_path / "t.xlsx")
