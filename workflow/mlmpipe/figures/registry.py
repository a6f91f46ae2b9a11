"""The registry of the lecture's figures: for each, the tables it reads (which rule's output,
for the model playing which part in the lecture), how it is drawn, and its caption.

The figures rule (``workflow/rules/figures.smk``) and :func:`mlmpipe.figures.render.render_figure`
both read :data:`FIGURES`, so adding a figure is one :class:`FigureSpec` here and one plotting
function in :mod:`mlmpipe.figures.plots`. This module imports no plotting library, so that
Snakemake can read it quickly when it plans a run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FIGURES", "FigureSpec", "Source"]


@dataclass(frozen=True)
class Source:
    """An input table: the named output ``output`` of the Snakemake rule ``rule``, made for the
    model that plays ``role`` in the lecture (config ``lecture``; None for a rule without a
    ``{model}`` wildcard)."""

    rule: str
    output: str
    role: str | None = None


@dataclass(frozen=True)
class FigureSpec:
    """A lecture figure: the tables it reads (by the names ``build`` uses), how it is built from
    them and the whole config, its caption, and how much taller than the configured height it
    is drawn (two stacked panels need more)."""

    id: str
    inputs: Mapping[str, Source]
    build: Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
    caption: str
    height_scale: float = 1.0


DATA = Source("validate_data", "parquet")


def _plots() -> Any:
    from mlmpipe.figures import plots

    return plots


def _palette(config: Mapping[str, Any]) -> Sequence[str]:
    from mlmpipe.figures.theme import PALETTE

    return tuple(config.get("figures", {}).get("palette") or PALETTE)


def _people(config: Mapping[str, Any], key: str, data: Any) -> list[int]:
    """The people config ``highlight.<key>`` selects among the data's ids.

    An explicit list is checked against the data; ``{count, seed}`` draws them as the draws
    stage does (:func:`mlmpipe.tables.highlighted_ids`).
    """
    from mlmpipe.tables import highlighted_ids

    try:
        entry = config["highlight"][key]
    except KeyError as exc:
        raise KeyError(f"config has no highlight.{key}") from exc
    return highlighted_ids(entry, data["id"], key=key)


def _listed(config: Mapping[str, Any], key: str) -> list[int] | None:
    """The ids of config ``highlight.<key>`` when it is an explicit list, else None.

    Tables of the draws stage already hold the people it resolved; an explicit list lets the
    figure check that the table has those people.
    """
    entry = config.get("highlight", {}).get(key)
    if isinstance(entry, list | tuple):
        return [int(v) for v in entry]
    return None


FIGURES: dict[str, FigureSpec] = {
    spec.id: spec
    for spec in (
        FigureSpec(
            "data_trajectories",
            {"data": DATA},
            lambda t, c: _plots().data_trajectories(
                t["data"], _people(c, "people", t["data"]), _palette(c)
            ),
            caption=(
                "The raw data for 20 people chosen at random: each person's conscientiousness "
                "(``con``) at each week, with that person's own least-squares line. People differ "
                "in their level far more than the lines change over the weeks, which is why the "
                "models give every person an intercept."
            ),
        ),
        FigureSpec(
            "pooling_intervals",
            {
                "m1_epred": Source("draws_people_epred", "draws", "no_pooling"),
                "m2_epred": Source("draws_people_epred", "draws", "partial_pooling"),
            },
            lambda t, c: _plots().pooling_intervals(t["m1_epred"], t["m2_epred"], _palette(c)),
            caption=(
                "Each person's expected conscientiousness (``.epred``) with its posterior "
                "intervals, under no pooling (m1, every person estimated from their own scores "
                "alone, top) and partial pooling (m2, people share information through a common "
                "distribution, bottom). Partial pooling gives narrower intervals, pulled towards "
                "the grand mean, most of all for people with few observations."
            ),
            height_scale=1.5,
        ),
        FigureSpec(
            "pooling_means",
            {"pooling_means": Source("draws_pooling_means", "table")},
            lambda t, c: _plots().pooling_means(t["pooling_means"], _palette(c)),
            caption=(
                "Posterior means of each person's expected conscientiousness under no pooling "
                "(m1) and partial pooling (m2); the dashed line is the mean of the no-pooling "
                "estimates. The partial-pooling means are shrunk towards the grand mean: the "
                "model \"remembers\" what it learnt from everyone else."
            ),
        ),
        FigureSpec(
            "person_means",
            {"draws": Source("draws_person_means", "draws", "partial_pooling"), "data": DATA},
            lambda t, c: _plots().person_means(
                t["draws"], t["data"], _people(c, "people", t["data"]), _palette(c)
            ),
            caption=(
                "Posterior distributions of the person means ``b_Intercept + r_id`` from the "
                "partial- pooling model m2, for the highlighted people; the dashed line is the "
                "sample mean of ``con``. Each person's mean is the grand intercept plus that "
                "person's deviation from it."
            ),
        ),
        FigureSpec(
            "shrinkage",
            {
                "person_means": Source("draws_person_means", "table", "partial_pooling"),
                "data": DATA,
            },
            lambda t, c: _plots().shrinkage(
                t["person_means"], t["data"], _people(c, "people", t["data"]), _palette(c)
            ),
            caption=(
                "Three approaches to pooling for the highlighted people. Black dots: no pooling, "
                "each person's observed mean from their own data alone. Dashed line: complete "
                "pooling, the mean of everyone, as if differences between people were noise. "
                "Coloured dots: partial pooling (m2), estimates regularised towards the grand "
                "mean, the less so the more observations a person has."
            ),
        ),
        FigureSpec(
            "expected_vs_predicted",
            {
                "epred": Source("draws_selected", "epred", "partial_pooling"),
                "predicted": Source("draws_selected", "predicted", "partial_pooling"),
            },
            lambda t, c: _plots().expected_vs_predicted(
                t["epred"], t["predicted"], _listed(c, "predictions"), 100, _palette(c)
            ),
            caption=(
                "For three people in the sample, the posterior of their expected value "
                "(``.epred``, the mean score the model expects for them) and of a predicted new "
                "score (``.prediction``, which adds the residual variation ``sigma``), from the "
                "first 100 draws of m2. Predictions are much wider than expected values because "
                "single scores vary around a person's mean."
            ),
        ),
        FigureSpec(
            "new_people",
            {"epred": Source("draws_new_people", "draws", "partial_pooling")},
            lambda t, c: _plots().new_people(t["epred"], _palette(c)),
            caption=(
                "Expected conscientiousness for three new people who are not in the data, from "
                "m2. A new person's intercept is uncertain in the way the model says people vary: "
                "following brms's default (``sample_new_levels = \"uncertainty\"``), each draw "
                "borrows the deviation of a randomly chosen existing person, so the distributions "
                "are as wide as the spread between people."
            ),
        ),
        FigureSpec(
            "m3_trajectories",
            {"trajectories": Source("draws_trajectories", "table", "level1_covariate")},
            lambda t, c: _plots().m3_trajectories(
                t["trajectories"], _listed(c, "trajectories"), _palette(c)
            ),
            caption=(
                "Posterior mean expected conscientiousness by week for 20 people, from m3 (``con "
                "~ 1 + week + (1 | id)``). Week is a level-1 covariate with one slope for "
                "everyone, so the lines are parallel: people differ in their intercepts but not "
                "in how they change over time."
            ),
        ),
        FigureSpec(
            "m4_trajectories",
            {"trajectories": Source("draws_trajectories", "table", "level2_covariate")},
            lambda t, c: _plots().m4_trajectories(
                t["trajectories"], _listed(c, "trajectories"), _palette(c)
            ),
            caption=(
                "Posterior mean expected conscientiousness by week for 20 people, coloured by "
                "group, from m4 (``con ~ 0 + week + group + (1 | id)``). Group is a level-2 "
                "(person-level) covariate: it shifts the intercepts of the people in each group "
                "(CTRL, PD), while the slope for week is shared."
            ),
        ),
    )
}
