"""Every lecture figure as the pipeline drew it on the real data, checked against the draws it
comes from and, where the lecture prints numbers, against the lecture.

Shares the session's fitted tree (conftest's `fitted_tree`: the whole pipeline run once on
the lecture's data) and only reads it. For each figure the test takes the input tables the
figure rule read (from the figure's provenance record: names, paths and sha256), rebuilds
the plot with the registry's function and the repository's config, and compares what
plotnine plots (`layer_data` of the built plot) with values computed here, independently,
from `posterior.nc` of the model that plays that part in the lecture (config `lecture`) or
from the data. A figure that plots another model's draws, another person's or stale
numbers fails.

Tolerances: values computed from the same draws agree to floating-point precision (1e-9);
comparisons with the lecture's printout allow its rounding (half the last printed digit)
plus four Monte Carlo standard errors of two independent runs, from the ESS.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
import yaml
from mlm_data import needs_mlm
from mlmpipe import posterior
from mlmpipe.figures.registry import FIGURES
from mlmpipe.figures.render import build_figure, read_table
from plotnine import geom_hline, geom_line, geom_point, geom_segment

pytestmark = [pytest.mark.slow, needs_mlm]

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
ROLES = CONFIG["lecture"]
PEOPLE = sorted(CONFIG["highlight"]["people"])
EXACT = 1e-9


@pytest.fixture(scope="module")
def tree(fitted_tree: Path) -> Path:
    return fitted_tree


def record(tree: Path, figure: str) -> dict:
    return json.loads((tree / f"results/figures/{figure}.png.prov.json").read_text())


def figure_tables(tree: Path, figure: str) -> dict[str, pd.DataFrame]:
    """The tables the figure rule read, by the registry's names, checked unchanged since."""
    tables = {}
    for entry in record(tree, figure)["inputs"]:
        if entry["name"] not in FIGURES[figure].inputs:
            continue  # the drawing code
        path = tree / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], path
        tables[entry["name"]] = read_table(path)
    assert set(tables) == set(FIGURES[figure].inputs)
    return tables


def plot_of(tree: Path, figure: str):
    return build_figure(figure, figure_tables(tree, figure), CONFIG)


def built_layers(plot, geom_type) -> list[pd.DataFrame]:
    from copy import deepcopy

    p = deepcopy(plot)
    p._build()
    return [layer.data for layer in p.layers if isinstance(layer.geom, geom_type)]


def hlines(plot) -> list[float]:
    return [float(v) for layer in plot.layers if isinstance(layer.geom, geom_hline)
            for v in layer.geom.data["yintercept"]]  # fmt: skip


def draws_of(tree: Path, role: str) -> tuple[posterior.Fit, dict]:
    """The posterior of the model playing ``role``, as flat (draws,) arrays by brms name."""
    fit = posterior.load_fit(str(tree / f"results/{ROLES[role]}/posterior.nc"))
    post = fit.idata.posterior.stack(sample=("chain", "draw"))
    return fit, post


def person_draws(post, person: int) -> np.ndarray:
    """b_Intercept + r_id[person, Intercept], draw by draw (chain-major, as the tables)."""
    r = post["r_id"].sel(id=person, term="Intercept").values
    return post["b_Intercept"].values + r


def segment_table(segments: pd.DataFrame, people: list[int]) -> pd.DataFrame:
    """(lower, upper) by (person, width) from the segments of a halfeye or gradient
    interval, whose x positions are the people in numeric order."""
    table = segments.rename(columns={".width": "width"}).copy()
    table["person"] = [people[int(round(x)) - 1] for x in table["x"]]
    table["lower"] = table[["y", "yend"]].min(axis=1)
    table["upper"] = table[["y", "yend"]].max(axis=1)
    return table.set_index(["person", "width"])[["lower", "upper"]]


def test_every_figure_was_drawn_from_its_lecture_models_tables(tree):
    """Each figure rule ran on the real tree and read the outputs made for the model its
    lecture part names (the path of every draw table carries the model)."""
    for figure, spec in FIGURES.items():
        assert (tree / f"results/figures/{figure}.png").stat().st_size > 10_000
        assert (tree / f"results/figures/{figure}.svg").is_file()
        inputs = {e["name"]: e["path"] for e in record(tree, figure)["inputs"]}
        for name, source in spec.inputs.items():
            if source.role is not None:
                assert f"{ROLES[source.role]}_" in Path(inputs[name]).name, (figure, name)


def test_data_trajectories_plots_the_highlighted_peoples_scores_and_lines(tree):
    data = pd.read_parquet(tree / "data/processed/mlm.parquet")
    plot = plot_of(tree, "data_trajectories")
    (points,) = built_layers(plot, geom_point)
    expected = data[data["id"].isin(PEOPLE)].dropna(subset=["week", "con"])
    assert len(points) == len(expected)
    plotted = sorted(zip(points["x"], points["y"], strict=True))
    assert plotted == sorted(zip(expected["week"], expected["con"], strict=True))
    # one least-squares line per person with two weeks or more, from their first to their
    # last week (stat_smooth(method = "lm") in the lecture)
    (lines,) = built_layers(plot, geom_line)
    ends = []
    for _, rows in expected.groupby("id"):
        if rows["week"].nunique() < 2:
            continue
        slope, intercept = np.polyfit(rows["week"], rows["con"], 1)
        ends += [(w, intercept + slope * w) for w in (rows["week"].min(), rows["week"].max())]
    assert len(lines) == len(ends)
    np.testing.assert_allclose(sorted(zip(lines["x"], lines["y"], strict=True)), sorted(ends),
                               atol=EXACT)  # fmt: skip


def test_pooling_intervals_are_quantiles_of_m1_and_m2_person_means(tree):
    """Top: no pooling (m1, b_a_id.f<id>); bottom: partial pooling (m2, b_Intercept + r_id);
    and the lecture's printed m1 estimates for people 6 and 162."""
    top, bottom = plot_of(tree, "pooling_intervals")
    m1, post1 = draws_of(tree, "no_pooling")
    _, post2 = draws_of(tree, "partial_pooling")
    people = sorted(int(p) for p in m1.levels["id.f"])
    for panel, values in (
        (top, lambda p: post1[f"b_a_id.f{p}"].values),
        (bottom, lambda p: person_draws(post2, p)),
    ):
        (segments,) = built_layers(panel, geom_segment)
        table = segment_table(segments, people)
        for person in (people[0], 6, 137, 162, people[-1]):
            for width in (0.66, 0.95):
                lo, hi = np.quantile(values(person), [(1 - width) / 2, (1 + width) / 2])
                assert table.loc[(person, width)].tolist() == pytest.approx([lo, hi], abs=EXACT)
    # the lecture: a_id.f6 0.19 [0.14, 0.25]; a_id.f162 0.39 [0.34, 0.45]
    table = segment_table(built_layers(top, geom_segment)[0], people)
    for person, lower, upper in ((6, 0.14, 0.25), (162, 0.34, 0.45)):
        x = post1[f"b_a_id.f{person}"].values.reshape(4, -1)
        bounds = table.loc[(person, 0.95)]
        for printed, prob, ours in ((lower, 0.025, bounds["lower"]),
                                    (upper, 0.975, bounds["upper"])):  # fmt: skip
            mc = float(az.mcse(x, method="quantile", prob=prob))
            assert abs(ours - printed) <= 0.005 + 4 * np.sqrt(2) * mc, (person, prob, ours)


def test_pooling_means_are_the_posterior_means_of_both_models(tree):
    plot = plot_of(tree, "pooling_means")
    m1, post1 = draws_of(tree, "no_pooling")
    _, post2 = draws_of(tree, "partial_pooling")
    table = plot.data.set_index(["model", "id"])[".epred"]
    people = sorted(int(p) for p in m1.levels["id.f"])
    for person in people:
        assert table.loc[("no pooling", person)] == pytest.approx(
            float(post1[f"b_a_id.f{person}"].mean()), abs=EXACT)
        assert table.loc[("partial pooling", person)] == pytest.approx(
            float(person_draws(post2, person).mean()), abs=EXACT)
    (points,) = built_layers(plot, geom_point)
    assert len(points) == 2 * len(people)
    no_pooling = [float(post1[f"b_a_id.f{p}"].mean()) for p in people]
    assert hlines(plot) == [pytest.approx(np.mean(no_pooling), abs=EXACT)]


def test_person_means_halfeyes_are_m2s_b_intercept_plus_r_id(tree):
    plot = plot_of(tree, "person_means")
    _, post2 = draws_of(tree, "partial_pooling")
    (segments,) = built_layers(plot, geom_segment)
    table = segment_table(segments, PEOPLE)
    for person in PEOPLE:
        for width in (0.66, 0.95):
            lo, hi = np.quantile(person_draws(post2, person), [(1 - width) / 2, (1 + width) / 2])
            assert table.loc[(person, width)].tolist() == pytest.approx([lo, hi], abs=EXACT)
    data = pd.read_parquet(tree / "data/processed/mlm.parquet")
    assert hlines(plot) == [pytest.approx(data["con"].mean(), abs=EXACT)]
    assert data["con"].mean() == pytest.approx(0.1911393, abs=5e-8)  # the lecture's precis


def test_shrinkage_plots_m2s_means_beside_the_raw_means(tree):
    plot = plot_of(tree, "shrinkage")
    _, post2 = draws_of(tree, "partial_pooling")
    data = pd.read_parquet(tree / "data/processed/mlm.parquet")
    raw = data.groupby("id")["con"].mean()
    table = plot.data.set_index(["kind", "id"])["value"]
    for person in PEOPLE:
        assert table.loc[("partial pooling", person)] == pytest.approx(
            float(person_draws(post2, person).mean()), abs=EXACT)
        assert table.loc[("raw mean", person)] == pytest.approx(raw.loc[person], abs=EXACT)


# The lecture's add_epred_draws / add_predicted_draws(m2) %>% mean_qi() for 48, 137, 146.
LECTURE_SELECTED = {"expected": {48: 0.213, 137: 0.266, 146: 0.205},
                    "predicted": {48: 0.212, 137: 0.266, 146: 0.203}}  # fmt: skip


def test_expected_vs_predicted_plots_m2s_first_100_draws_for_the_three_people(tree):
    plot = plot_of(tree, "expected_vs_predicted")
    _, post2 = draws_of(tree, "partial_pooling")
    ids = sorted(CONFIG["highlight"]["predictions"])
    d = plot.data
    assert sorted(d["id"].unique()) == ids
    assert d[".draw"].max() == 100
    for person in ids:
        expected = d[(d["id"] == person) & (d["draw"] == "expected")].sort_values(".draw")
        np.testing.assert_allclose(expected["value"], person_draws(post2, person)[:100],
                                   atol=EXACT)  # fmt: skip
        predicted = d[(d["id"] == person) & (d["draw"] == "predicted")]["value"]
        sigma = float(post2["sigma"].mean())
        # predictions scatter around the expected values with the residual sd
        assert abs(predicted.mean() - expected["value"].mean()) < 4 * sigma / np.sqrt(100)
        assert 0.6 * sigma < predicted.std() < 1.6 * np.hypot(sigma, expected["value"].std())
        for kind, rows in (("expected", expected["value"]), ("predicted", predicted)):
            printed = LECTURE_SELECTED[kind][person]
            # 100 draws: the mean's MC error is the sd / 10 (two runs: x sqrt(2))
            tolerance = 0.0005 + 4 * np.sqrt(2) * rows.std() / 10
            assert abs(rows.mean() - printed) <= tolerance, (kind, person, rows.mean())
    (segments,) = built_layers(plot, geom_segment)
    assert len(segments) == 2 * 2 * len(ids)  # two widths of two kinds per person


def test_new_people_borrow_m2s_spread_of_people(tree):
    plot = plot_of(tree, "new_people")
    _, post2 = draws_of(tree, "partial_pooling")
    data = pd.read_parquet(tree / "data/processed/mlm.parquet")
    new = sorted(plot.data["id"].unique())
    assert new == [int(data["id"].max()) + k for k in (1, 2, 3)]
    (segments,) = built_layers(plot, geom_segment)
    table = segment_table(segments, new)
    b = post2["b_Intercept"].values
    spread = float(np.sqrt(b.var() + post2["sd_id__Intercept"].values.mean() ** 2))
    for person in new:
        values = plot.data.loc[plot.data["id"] == person, ".epred"]
        assert len(values) == b.size
        lo, hi = np.quantile(values, [0.025, 0.975])
        assert table.loc[(person, 0.95)].tolist() == pytest.approx([lo, hi], abs=EXACT)
        # each draw takes an existing person's deviation: centred on b_Intercept, as wide
        # as the spread of people (Monte Carlo error of 4000 draws: a few percent)
        assert abs(values.mean() - b.mean()) < 4 * spread / np.sqrt(b.size / 10)
        assert 0.8 * spread < values.std() < 1.2 * spread


@pytest.mark.parametrize(("figure", "role"), [("m3_trajectories", "level1_covariate"),
                                              ("m4_trajectories", "level2_covariate")])
def test_trajectories_are_the_covariate_models_posterior_means(tree, figure, role):
    """Each point: the mean over draws of mu = b + b_week * week + r_id for that person and
    week, from the model the lecture names; the lines are parallel (one slope for week)."""
    plot = plot_of(tree, figure)
    fit, post = draws_of(tree, role)
    (points,) = built_layers(plot, geom_point)
    d = plot.data
    assert sorted(d["id"].unique()) == sorted(CONFIG["highlight"]["trajectories"])
    data = pd.read_parquet(tree / "data/processed/mlm.parquet")
    group = data.drop_duplicates("id").set_index("id")["group"]
    for row in d.itertuples():
        person, week = int(row.id), float(row.week)
        base = (post[f"b_group{group.loc[person]}"].values if "b_groupCTRL" in post
                else post["b_Intercept"].values)  # fmt: skip
        mu = base + post["b_week"].values * week + post["r_id"].sel(
            id=person, term="Intercept").values
        assert d.loc[row.Index, ".epred"] == pytest.approx(float(mu.mean()), abs=EXACT)
    assert len(points) == len(d)
    slopes = {
        person: np.polyfit(rows["week"], rows[".epred"], 1)[0]
        for person, rows in d.groupby("id") if rows["week"].nunique() > 1
    }
    assert np.ptp(list(slopes.values())) < 1e-9  # one slope for everyone
    assert np.mean(list(slopes.values())) == pytest.approx(float(post["b_week"].mean()), abs=EXACT)
