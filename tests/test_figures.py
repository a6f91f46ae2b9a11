"""The lecture's figures: the data each is built from, its layers, scales and legend.

Every figure is built from small synthetic tables with the columns of the draws/tables
contract; the tests check what a reader of the figure would see (which people, how many
intervals, where the dashed line is, whether there is a legend) and that each one renders.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlmpipe.figures import (
    FIGURES,
    PALETTE,
    FigureInputError,
    build_figure,
    data_trajectories,
    expected_vs_predicted,
    m3_trajectories,
    m4_trajectories,
    new_people,
    person_means,
    pooling_intervals,
    pooling_means,
    render_figure,
    save_figure,
    shrinkage,
)
from plotnine import geom_hline, geom_line, geom_point, geom_polygon, geom_rect, geom_segment
from plotnine.composition import Compose

N_DRAWS = 200
PEOPLE = [6, 29, 34, 48, 53, 61, 66, 71, 75, 78, 80, 82, 86, 89, 93, 97, 101, 106, 112, 115]
EXTRA = [120, 129, 137, 146]
ALL_PEOPLE = PEOPLE + EXTRA
TRAJECTORY_PEOPLE = PEOPLE[::2] + EXTRA
PREDICTION_PEOPLE = [146, 137, 48]


# --------------------------------------------------------------------------------------
# Synthetic tables with the contract's columns
# --------------------------------------------------------------------------------------


def synthetic_data(seed: int = 1) -> pd.DataFrame:
    """Rows like data/processed/mlm.parquet: 1 to 4 waves per person, one missing week."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, pid in enumerate(ALL_PEOPLE):
        n = 1 + k % 4
        mu = rng.normal(0.19, 0.06)
        for wave in range(1, n + 1):
            rows.append(
                {
                    "id": pid,
                    "group": "PD" if k % 2 else "CTRL",
                    "week": float(wave - 1),
                    "wave": wave,
                    "con": mu + rng.normal(0, 0.05),
                    "dan": rng.normal(0.2, 0.06),
                }
            )
    d = pd.DataFrame(rows)
    d.loc[d.index[-1], "week"] = np.nan
    return d


def draw_index(n: int = N_DRAWS) -> pd.DataFrame:
    draw = np.arange(1, n + 1)
    return pd.DataFrame(
        {
            ".chain": (draw - 1) // (n // 4) + 1,
            ".iteration": (draw - 1) % (n // 4) + 1,
            ".draw": draw,
        }
    )


def synthetic_epred_people(seed: int, spread: float) -> pd.DataFrame:
    """Like results/draws/m{1,2}_epred_people.parquet."""
    rng = np.random.default_rng(seed)
    idx = draw_index()
    pieces = []
    for row, pid in enumerate(ALL_PEOPLE, start=1):
        piece = idx.copy()
        piece.insert(0, ".row", row)
        piece.insert(0, "id", pid)
        piece[".epred"] = rng.normal(0.15 + 0.004 * row, spread, len(piece))
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)


def synthetic_person_draws(seed: int = 3) -> pd.DataFrame:
    """Like results/draws/m2_person_means.parquet."""
    rng = np.random.default_rng(seed)
    idx = draw_index()
    b = rng.normal(0.19, 0.006, len(idx))
    pieces = []
    for pid in ALL_PEOPLE:
        piece = idx.copy()
        piece.insert(0, "term", "Intercept")
        piece.insert(0, "id", pid)
        piece["b_Intercept"] = b
        piece["r_id"] = rng.normal((pid % 7 - 3) * 0.01, 0.025, len(piece))
        piece["p_mean"] = piece["b_Intercept"] + piece["r_id"]
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)


def synthetic_person_table(data: pd.DataFrame, draws: pd.DataFrame) -> pd.DataFrame:
    """Like results/tables/m2_person_means.csv."""
    g = draws.groupby("id")["p_mean"]
    out = pd.DataFrame(
        {"p_mean": g.mean(), ".lower": g.quantile(0.025), ".upper": g.quantile(0.975)}
    ).reset_index()
    raw = data.groupby("id")["con"].agg(["mean", "size"]).reset_index()
    out = out.merge(raw.rename(columns={"mean": "raw_mean", "size": "n_obs"}), on="id")
    out[".width"], out[".point"], out[".interval"] = 0.95, "mean", "qi"
    out["no_pooling"] = out["raw_mean"] + 0.001
    return out


def synthetic_pooling_means(m1: pd.DataFrame, m2: pd.DataFrame) -> pd.DataFrame:
    """Like results/tables/pooling_means.csv."""
    parts = []
    for label, draws in (("no pooling", m1), ("partial pooling", m2)):
        g = draws.groupby("id")[".epred"]
        part = pd.DataFrame(
            {".epred": g.mean(), ".lower": g.quantile(0.025), ".upper": g.quantile(0.975)}
        ).reset_index()
        part.insert(1, "model", label)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out[".width"], out[".point"], out[".interval"] = 0.95, "mean", "qi"
    return out


def synthetic_selected(column: str, ids: list[int], spread: float, seed: int) -> pd.DataFrame:
    """Like results/draws/m2_{epred,predicted}_selected.parquet and m2_epred_new_people."""
    rng = np.random.default_rng(seed)
    idx = draw_index()
    pieces = []
    for row, pid in enumerate(ids, start=1):
        piece = idx.copy()
        piece.insert(0, ".row", row)
        piece.insert(0, "id", pid)
        piece[column] = rng.normal(0.2 + 0.01 * row, spread, len(piece))
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)


def synthetic_trajectories(data: pd.DataFrame, with_group: bool) -> pd.DataFrame:
    """Like results/tables/m{3,4}_epred_trajectories.csv."""
    keys = ["id", "group", "week"] if with_group else ["id", "week"]
    d = data[data["id"].isin(TRAJECTORY_PEOPLE)].dropna(subset=["week"])
    d = d[keys].drop_duplicates().reset_index(drop=True)
    d[".row"] = np.arange(1, len(d) + 1)
    d[".epred"] = 0.18 + 0.001 * d["id"] % 0.05 - 0.002 * d["week"]
    d[".lower"], d[".upper"] = d[".epred"] - 0.05, d[".epred"] + 0.05
    d[".width"], d[".point"], d[".interval"] = 0.95, "mean", "qi"
    return d


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    data = synthetic_data()
    m1 = synthetic_epred_people(seed=2, spread=0.03)
    m2 = synthetic_epred_people(seed=4, spread=0.02)
    draws = synthetic_person_draws()
    return {
        "data": data,
        "m1_epred": m1,
        "m2_epred": m2,
        "draws": draws,
        "person_means": synthetic_person_table(data, draws),
        "pooling_means": synthetic_pooling_means(m1, m2),
        "epred_selected": synthetic_selected(".epred", PREDICTION_PEOPLE, 0.025, 5),
        "predicted_selected": synthetic_selected(".prediction", PREDICTION_PEOPLE, 0.05, 6),
        "epred_new": synthetic_selected(".epred", [230, 231, 232], 0.06, 7),
        "m3": synthetic_trajectories(data, with_group=False),
        "m4": synthetic_trajectories(data, with_group=True),
    }


@pytest.fixture(scope="module")
def config() -> dict:
    return {
        "highlight": {
            "people": PEOPLE,
            "trajectories": TRAJECTORY_PEOPLE,
            "predictions": PREDICTION_PEOPLE,
            "new_people": 3,
        },
        "figures": {"dpi": 60, "width": 5, "height": 3.5, "palette": list(PALETTE)},
    }


# --------------------------------------------------------------------------------------
# Helpers to look inside a built plot
# --------------------------------------------------------------------------------------


def built(plot):
    """Build a ggplot's data (stats computed, scales mapped) and return the copy."""
    from copy import deepcopy

    p = deepcopy(plot)
    p._build()
    return p


def layer_data(plot, geom_type) -> list[pd.DataFrame]:
    p = built(plot)
    return [layer.data for layer in p.layers if isinstance(layer.geom, geom_type)]


def legend_position(plot) -> str:
    return plot.theme.getp("legend_position")


def hline_values(plot) -> list[float]:
    return [
        float(value)
        for layer in plot.layers
        if isinstance(layer.geom, geom_hline)
        for value in layer.geom.data["yintercept"]
    ]


def hline_linetypes(plot) -> list[str]:
    return [
        layer.geom.aes_params["linetype"]
        for layer in plot.layers
        if isinstance(layer.geom, geom_hline)
    ]


def x_labels(plot) -> list[str]:
    p = built(plot)
    return list(p.layout.panel_scales_x[0].final_limits)


def scale_colours(plot, aesthetic: str, levels: list[str]) -> dict[str, str]:
    """The colours a built plot's ``aesthetic`` scale gives to ``levels``."""
    scale = built(plot).scales.get_scales(aesthetic)
    return dict(zip(levels, scale.map(pd.Series(levels)), strict=True))


# --------------------------------------------------------------------------------------
# data_trajectories
# --------------------------------------------------------------------------------------


def test_data_trajectories_shows_the_twenty_highlighted_people_without_a_legend(tables):
    plot = data_trajectories(tables["data"], PEOPLE)
    assert sorted(plot.data["id"].unique().tolist()) == sorted(PEOPLE)
    assert plot.data["week"].notna().all()
    assert legend_position(plot) == "none"
    assert len(plot.data["person"].cat.categories) == 20


def test_data_trajectories_draws_one_least_squares_line_per_person_with_two_weeks(tables):
    data = tables["data"]
    plot = data_trajectories(data, PEOPLE)
    (lines,) = [layer.geom.data for layer in plot.layers if isinstance(layer.geom, geom_line)]
    chosen = data[data["id"].isin(PEOPLE)].dropna(subset=["week"])
    with_two_weeks = sorted(pid for pid, g in chosen.groupby("id") if g["week"].nunique() >= 2)
    assert sorted(lines["id"].unique().tolist()) == with_two_weeks
    pid = with_two_weeks[-1]
    g = chosen[chosen["id"] == pid]
    slope, intercept = np.polyfit(g["week"], g["con"], 1)
    line = lines[lines["id"] == pid].sort_values("week")
    assert line["fit"].to_numpy() == pytest.approx(intercept + slope * line["week"].to_numpy())


def test_data_trajectories_colours_people_from_the_lecture_palette(tables):
    plot = data_trajectories(tables["data"], PEOPLE)
    p = built(plot)
    colours = set(p.layers[1].data["color"])
    assert len(colours) == 20
    assert set(PALETTE) <= colours


def test_data_trajectories_names_the_missing_people(tables):
    with pytest.raises(FigureInputError, match=r"no rows for id\(s\) \[999\]"):
        data_trajectories(tables["data"], PEOPLE[:3] + [999])


# --------------------------------------------------------------------------------------
# pooling_intervals
# --------------------------------------------------------------------------------------


def test_pooling_intervals_stacks_no_pooling_above_partial_pooling(tables):
    plot = pooling_intervals(tables["m1_epred"], tables["m2_epred"])
    assert isinstance(plot, Compose)
    top, bottom = plot
    assert top.labels.title == "no pooling"
    assert bottom.labels.title == "partial pooling"


def test_pooling_intervals_has_two_intervals_per_person_and_hides_person_labels(tables):
    top, bottom = pooling_intervals(tables["m1_epred"], tables["m2_epred"])
    for panel in (top, bottom):
        (segments,) = layer_data(panel, geom_segment)
        assert len(segments) == 2 * len(ALL_PEOPLE)
        assert sorted(segments[".width"].unique().tolist()) == [0.66, 0.95]
        (rects,) = layer_data(panel, geom_rect)
        assert rects["alpha"].max() == pytest.approx(1.0)
        p = built(panel)
        assert p.layout.panel_scales_x[0].get_breaks() == []


def test_pooling_intervals_share_the_y_range(tables):
    top, bottom = pooling_intervals(tables["m1_epred"], tables["m2_epred"])
    assert (
        built(top).layout.panel_scales_y[0].limits == built(bottom).layout.panel_scales_y[0].limits
    )


# --------------------------------------------------------------------------------------
# pooling_means
# --------------------------------------------------------------------------------------


def test_pooling_means_dashed_line_is_the_mean_of_the_no_pooling_means(tables):
    table = tables["pooling_means"]
    plot = pooling_means(table)
    expected = table.loc[table["model"] == "no pooling", ".epred"].mean()
    assert hline_values(plot) == [pytest.approx(expected)]
    assert hline_linetypes(plot) == ["dashed"]


def test_pooling_means_colours_the_two_models_and_puts_the_legend_on_top(tables):
    plot = pooling_means(tables["pooling_means"])
    assert legend_position(plot) == "top"
    assert scale_colours(plot, "color", ["no pooling", "partial pooling"]) == {
        "no pooling": "#e07a5f",
        "partial pooling": "#1c5253",
    }
    (points,) = layer_data(plot, geom_point)
    assert len(points) == 2 * len(ALL_PEOPLE)
    assert points.groupby("color")["size"].unique().apply(list).to_dict() == {
        "#e07a5f": [1.5],
        "#1c5253": [2.2],
    }


def test_pooling_means_rejects_an_unknown_model_label(tables):
    table = tables["pooling_means"].replace({"model": {"no pooling": "m1"}})
    with pytest.raises(FigureInputError, match=r"unknown model label\(s\) \['m1'\]"):
        pooling_means(table)


# --------------------------------------------------------------------------------------
# person_means and shrinkage
# --------------------------------------------------------------------------------------


def test_person_means_draws_one_halfeye_per_highlighted_person(tables):
    plot = person_means(tables["draws"], tables["data"], PEOPLE)
    assert x_labels(plot) == [str(p) for p in sorted(PEOPLE)]
    (slabs,) = layer_data(plot, geom_polygon)
    assert slabs["group"].nunique() == 20
    (segments,) = layer_data(plot, geom_segment)
    assert len(segments) == 2 * 20


def test_person_means_intervals_are_quantiles_of_b_intercept_plus_r_id(tables):
    draws = tables["draws"]
    plot = person_means(draws, tables["data"], PEOPLE)
    (segments,) = layer_data(plot, geom_segment)
    # x positions are the people in numeric order; pick the third one.
    pid = sorted(PEOPLE)[2]
    mine = segments[segments["x"] == 3].set_index(".width")
    values = draws.loc[draws["id"] == pid, "b_Intercept"] + draws.loc[draws["id"] == pid, "r_id"]
    for width in (0.66, 0.95):
        lo, hi = np.quantile(values, [(1 - width) / 2, (1 + width) / 2])
        assert mine.loc[width, "y"] == pytest.approx(lo)
        assert mine.loc[width, "yend"] == pytest.approx(hi)


def test_person_means_dashed_line_is_the_mean_of_con(tables):
    data = tables["data"]
    plot = person_means(tables["draws"], data, PEOPLE)
    assert hline_values(plot) == [pytest.approx(data["con"].mean())]
    assert hline_linetypes(plot) == ["dashed"]


def test_shrinkage_puts_partial_pooling_in_coral_beside_raw_means_in_black(tables):
    data = tables["data"]
    table = tables["person_means"]
    plot = shrinkage(table, data, PEOPLE)
    (points,) = layer_data(plot, geom_point)
    assert len(points) == 40
    assert scale_colours(plot, "color", ["partial pooling", "raw mean"]) == {
        "partial pooling": "#e07a5f",
        "raw mean": "black",
    }
    assert hline_values(plot) == [pytest.approx(data["con"].mean())]
    raw = plot.data[plot.data["kind"] == "raw mean"].set_index("id")["value"]
    expected = data[data["id"].isin(PEOPLE)].groupby("id")["con"].mean()
    pd.testing.assert_series_equal(raw.sort_index(), expected, check_names=False)
    assert legend_position(plot) == "top"


# --------------------------------------------------------------------------------------
# expected_vs_predicted and new_people
# --------------------------------------------------------------------------------------


def test_expected_vs_predicted_uses_the_first_100_draws_of_each(tables):
    plot = expected_vs_predicted(tables["epred_selected"], tables["predicted_selected"])
    assert plot.data[".draw"].max() == 100
    counts = plot.data.groupby(["person", "draw"], observed=True).size()
    assert (counts == 100).all() and len(counts) == 6


def test_expected_vs_predicted_fills_and_legend(tables):
    plot = expected_vs_predicted(
        tables["epred_selected"], tables["predicted_selected"], ids=PREDICTION_PEOPLE
    )
    assert legend_position(plot) == "top"
    assert scale_colours(plot, "fill", ["expected", "predicted"]) == {
        "expected": "#e07a5f",
        "predicted": "#1c5253",
    }
    (slabs,) = layer_data(plot, geom_polygon)
    assert set(slabs["fill"]) == {"#e07a5f", "#1c5253"}
    assert set(slabs["alpha"]) == {0.3}
    assert x_labels(plot) == ["48", "137", "146"]
    (segments,) = layer_data(plot, geom_segment)
    assert len(segments) == 3 * 2 * 2


def test_expected_vs_predicted_slabs_share_one_scale_in_the_panel(tables):
    plot = expected_vs_predicted(tables["epred_selected"], tables["predicted_selected"])
    (slabs,) = layer_data(plot, geom_polygon)
    reach = (slabs["x"] - slabs["xpos"]).groupby(slabs["fill"]).max()
    assert reach.max() == pytest.approx(0.9)
    # predictions are wider, so their peak is lower than the expected values' peak
    assert reach["#1c5253"] < reach["#e07a5f"]


def test_new_people_draws_a_halfeye_for_each_new_person(tables):
    plot = new_people(tables["epred_new"])
    assert x_labels(plot) == ["230", "231", "232"]
    (slabs,) = layer_data(plot, geom_polygon)
    assert slabs["group"].nunique() == 3
    (points,) = layer_data(plot, geom_point)
    medians = tables["epred_new"].groupby("id")[".epred"].median().to_numpy()
    assert points.sort_values("x")["y"].to_numpy() == pytest.approx(medians)


# --------------------------------------------------------------------------------------
# m3 and m4 trajectories
# --------------------------------------------------------------------------------------


def test_m3_trajectories_one_colour_per_person_no_legend(tables):
    plot = m3_trajectories(tables["m3"], TRAJECTORY_PEOPLE)
    assert legend_position(plot) == "none"
    (points,) = layer_data(plot, geom_point)
    assert points.groupby("group")["color"].nunique().eq(1).all()
    assert points["color"].nunique() == len(TRAJECTORY_PEOPLE)
    assert sorted(plot.data["id"].unique()) == sorted(TRAJECTORY_PEOPLE)


def test_m4_trajectories_colours_groups_ctrl_teal_pd_coral_legend_on_top(tables):
    plot = m4_trajectories(tables["m4"], TRAJECTORY_PEOPLE)
    assert legend_position(plot) == "top"
    p = built(plot)
    colour = p.scales.get_scales("color")
    assert list(colour.map(pd.Series(["CTRL", "PD"]))) == ["#1c5253", "#e07a5f"]
    (points,) = layer_data(plot, geom_point)
    assert set(points["color"]) == {"#1c5253", "#e07a5f"}
    (lines,) = layer_data(plot, geom_line)
    assert lines["group"].nunique() == len(TRAJECTORY_PEOPLE)


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


FIGURE_INPUTS = {
    "data_trajectories": {"data": "data"},
    "pooling_intervals": {"m1_epred": "m1_epred", "m2_epred": "m2_epred"},
    "pooling_means": {"pooling_means": "pooling_means"},
    "person_means": {"draws": "draws", "data": "data"},
    "shrinkage": {"person_means": "person_means", "data": "data"},
    "expected_vs_predicted": {"epred": "epred_selected", "predicted": "predicted_selected"},
    "new_people": {"epred": "epred_new"},
    "m3_trajectories": {"trajectories": "m3"},
    "m4_trajectories": {"trajectories": "m4"},
}


def test_every_lecture_figure_is_registered():
    assert set(FIGURES) == set(FIGURE_INPUTS)


@pytest.mark.parametrize("figure_id", sorted(FIGURE_INPUTS))
def test_each_figure_renders_to_png_and_svg(figure_id, tables, config, tmp_path):
    inputs = {}
    for name, key in FIGURE_INPUTS[figure_id].items():
        path = tmp_path / f"{key}.parquet"
        tables[key].to_parquet(path)
        inputs[name] = path
    outputs = [tmp_path / f"{figure_id}.png", tmp_path / f"{figure_id}.svg"]
    written = render_figure(figure_id, inputs, outputs, config)
    assert written == outputs
    png = outputs[0].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width_px = int.from_bytes(png[16:20], "big")
    assert width_px == 5 * 60
    assert outputs[1].read_text()[:200].lstrip().startswith("<?xml")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_svg_output_is_reproducible(tables, tmp_path):
    plot = build_figure("new_people", {"epred": tables["epred_new"]}, {})
    a = save_figure(plot, tmp_path / "a.svg", width=4, height=3, dpi=72)
    b = save_figure(plot, tmp_path / "b.svg", width=4, height=3, dpi=72)
    assert a.read_bytes() == b.read_bytes()


def test_a_failed_draw_leaves_no_file(tables, tmp_path):
    plot = build_figure("new_people", {"epred": tables["epred_new"]}, {})
    with pytest.raises(ValueError, match=r"cannot save a figure as 'bmp'"):
        save_figure(plot, tmp_path / "x.bmp", width=4, height=3, dpi=72)
    assert list(tmp_path.iterdir()) == []


def test_render_names_a_missing_input_file(config, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.parquet does not exist"):
        render_figure(
            "new_people", {"epred": tmp_path / "nope.parquet"}, [tmp_path / "x.png"], config
        )


# --------------------------------------------------------------------------------------
# The Snakemake rules
# --------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def _planned_figure_jobs() -> dict[str, dict[str, str]]:
    """Dry-run the whole workflow; return each planned figure job's inputs by figure id."""
    import json
    import subprocess
    import sys

    config = json.dumps({"local_copy": "/nonexistent/mlm.csv"})
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--forceall", "--config",
         f"data={config}", "--printshellcmds", "all"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    plan = result.stdout + result.stderr
    assert result.returncode == 0, plan[-3000:]
    jobs = {}
    for block in plan.split("\nrule figure:")[1:]:
        block = block.split("\n\n", 1)[0]
        inputs = re.search(r"^\s+input: (.*)$", block, re.MULTILINE).group(1).split(", ")
        figure = re.search(r"^\s+wildcards: figure=(\w+)$", block, re.MULTILINE).group(1)
        jobs[figure] = inputs
    return jobs


def test_one_rule_draws_every_registered_figure_from_its_registry_inputs():
    from mlmpipe.figures.registry import FIGURES as REGISTRY

    jobs = _planned_figure_jobs()
    assert set(jobs) == set(REGISTRY)
    roles = {"no_pooling": "m1", "partial_pooling": "m2", "level1_covariate": "m3",
             "level2_covariate": "m4"}  # fmt: skip
    for figure_id, inputs in jobs.items():
        tables = [p for p in inputs if not p.startswith("workflow/mlmpipe/figures/")]
        assert len(tables) == len(REGISTRY[figure_id].inputs), (figure_id, inputs)
        for source in REGISTRY[figure_id].inputs.values():
            model = roles.get(source.role or "", "")
            assert any(model in path for path in tables), (figure_id, source, tables)
        assert any(p.endswith("figures/plots.py") for p in inputs)


def test_every_figure_has_a_caption_for_the_snakemake_report():
    from mlmpipe.figures.registry import FIGURES as REGISTRY

    for spec in REGISTRY.values():
        assert len(spec.caption) > 80 and spec.caption.endswith("."), spec.id
    caption_template = (REPO / "workflow/report/figure.rst").read_text()
    assert "snakemake.params.caption" in caption_template


def test_highlighted_people_may_be_drawn_at_random_from_the_data(tables):
    config = {"highlight": {"people": {"count": 5, "seed": 3}}}
    plot = build_figure("data_trajectories", {"data": tables["data"]}, config)
    chosen = plot.data["id"].unique()
    assert len(chosen) == 5
    assert set(chosen) <= set(tables["data"]["id"])


def test_a_highlighted_person_missing_from_the_data_is_named(tables):
    config = {"highlight": {"people": [6, 29, 999]}}
    with pytest.raises(ValueError, match=r"highlight.people: id\(s\) 999 are not in the data"):
        build_figure("data_trajectories", {"data": tables["data"]}, config)


def test_a_table_without_a_contract_column_is_named_with_its_file(tables, config, tmp_path):
    path = tmp_path / "pooling_means.csv"
    tables["pooling_means"].drop(columns="model").to_csv(path, index=False)
    with pytest.raises(FigureInputError) as caught:
        render_figure("pooling_means", {"pooling_means": path}, [tmp_path / "x.png"], config)
    message = str(caught.value)
    assert f"pooling_means={path}" in message
    assert "missing column(s) ['model']" in message
