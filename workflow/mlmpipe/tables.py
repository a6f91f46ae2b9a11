"""The pipeline's draw tables (``workflow/rules/draws.smk``), built from the draws API: the
people a figure highlights, person means, the pooling comparison, predictions for chosen and
new people, trajectories, and writing a table as CSV or parquet."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.draws import epred_draws, mean_qi, predicted_draws, spread_draws
from mlmpipe.draws.core import DRAW_INDEX, GROUPS_ATTR
from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import atomic_path
from mlmpipe.models import (
    ModelDataError,
    model_frame,
    source_column,
)
from mlmpipe.posterior import Fit

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- pipeline tables
#
# The lecture's draw tables, as the rules in workflow/rules/draws.smk write them. Each
# function returns data frames; the rule's script writes them with write_table().


class HighlightError(MlmpipeError, ValueError):
    """A ``highlight`` entry of the config names people the data does not have."""


def highlighted_ids(entry: Any, available: Iterable[Any], *, key: str) -> list[int]:
    """Return the people a ``highlight`` config entry selects, in the order it gives.

    ``entry`` is an explicit list of ids (the config's default: the people R's ``sample()``
    chose in the lecture) or ``{"count": n, "seed": s}``, which draws ``n`` distinct ids
    from ``available`` (sorted) with numpy's generator seeded by ``s``. Python cannot
    reproduce R's ``sample()``, so the second form never gives the lecture's people.

    Raises:
        HighlightError: an id of the list is not in ``available`` (named), or ``count`` is
            larger than the number of people.
    """
    people = sorted({int(v) for v in available})
    if isinstance(entry, Mapping):
        count, seed = int(entry["count"]), int(entry["seed"])
        if not 1 <= count <= len(people):
            raise HighlightError(
                f"highlight.{key}: count {count} is not between 1 and the {len(people)} people"
            )
        rng = np.random.default_rng(seed)
        return [int(v) for v in rng.choice(people, size=count, replace=False)]
    ids = [int(v) for v in entry]
    unknown = [v for v in ids if v not in set(people)]
    if unknown:
        raise HighlightError(
            f"highlight.{key}: id(s) {', '.join(map(str, unknown))} are not in the data"
        )
    return ids


def person_levels(fit: Fit, column: str = "id") -> list[Any]:
    """Return the fitted levels of the factor read from data column ``column``.

    That is the grouping factor of the varying effects (m2 to m5) or a factor predictor
    such as m1's ``id.f``.

    Raises:
        ModelDataError: the model has no factor reading ``column``.
    """
    spec = fit.spec
    if spec.varying is not None and spec.varying.group == column:
        return list(fit.levels[column])
    for predictor in spec.population:
        if source_column(predictor) == column and predictor in fit.levels:
            return list(fit.levels[predictor])
    raise ModelDataError(f"model {fit.name} has no factor of column '{column}'")


def spread_heads(fit: Fit, rows: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the first ``rows`` of the lecture's two ``spread_draws`` calls.

    ``spread_draws(fit, b_Intercept, sigma, sd_id__Intercept) %>% head`` and
    ``spread_draws(fit, r_id[id, term]) %>% head``.
    """
    scalars = spread_draws(fit, "b_Intercept", "sigma", "sd_id__Intercept").head(rows)
    varying = spread_draws(fit, "r_id[id, term]").head(rows)
    return scalars, varying


def people_epred(fit: Fit) -> pd.DataFrame:
    """Return ``epred_draws`` for every person the model was fitted to (newdata: ``id``)."""
    newdata = pd.DataFrame({"id": np.asarray(person_levels(fit, "id"), dtype=np.int64)})
    table = epred_draws(fit, newdata)
    log.info("model %s: %d people x %d draws", fit.name, len(newdata), len(table) // len(newdata))
    return table


def person_means(
    fit: Fit, no_pooling_people: pd.DataFrame, data: pd.DataFrame, width: float = 0.95
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return each person's mean ``b_Intercept + r_id`` as draws and as ``mean_qi``.

    As the lecture's ``spread_draws(m2, b_Intercept, r_id[id, term]) %>% mutate(p_mean =
    b_Intercept + r_id)``. The summary has, per person, ``p_mean`` with its interval, the
    raw mean of the response over the rows the model was fitted to (``raw_mean``, ``n_obs``)
    and the no-pooling estimate (``no_pooling``: the posterior mean of that person's
    ``.epred`` in ``no_pooling_people``, m1's people table).

    Returns:
        (draws: id, term, .chain, .iteration, .draw, b_Intercept, r_id, p_mean;
        summary: id, p_mean, .lower, .upper, .width, .point, .interval, raw_mean, n_obs,
        no_pooling)
    """
    draws = spread_draws(fit, "b_Intercept", "r_id[id, term]")
    draws["p_mean"] = draws["b_Intercept"] + draws["r_id"]
    draws = draws[["id", "term", *DRAW_INDEX, "b_Intercept", "r_id", "p_mean"]]
    draws.attrs[GROUPS_ATTR] = ["id", "term"]
    summary = mean_qi(draws, "p_mean", width=width).drop(columns="term")
    rows = model_frame(fit.spec, data).frame
    raw = rows.groupby("id")[fit.spec.response].agg(raw_mean="mean", n_obs="size").reset_index()
    no_pooling = no_pooling_people.groupby("id")[".epred"].mean().rename("no_pooling").reset_index()
    summary = summary.merge(raw, on="id", how="left").merge(no_pooling, on="id", how="left")
    return draws, summary


def pooling_means(tables: Mapping[str, pd.DataFrame], width: float = 0.95) -> pd.DataFrame:
    """Return ``mean_qi`` of each person's ``.epred`` per model, stacked with a ``model`` column.

    ``tables`` maps a label (``"no pooling"``, ``"partial pooling"``) to a people table of
    :func:`people_epred`. Columns: id, model, .epred, .lower, .upper, .width, .point,
    .interval.
    """
    pieces = []
    for label, table in tables.items():
        summary = mean_qi(table, ".epred", width=width, by=["id"])
        summary.insert(1, "model", label)
        pieces.append(summary)
    return pd.concat(pieces, ignore_index=True)


def selected_draws(fit: Fit, ids: Sequence[int], *, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``epred_draws`` and ``predicted_draws`` for the people ``ids`` (newdata: ``id``).

    The rows keep the order of ``ids`` (``.row`` 1 is the first id), as the lecture's
    ``nd = data.frame(id = sample_id)``.
    """
    newdata = pd.DataFrame({"id": np.asarray(ids, dtype=np.int64)})
    return epred_draws(fit, newdata, seed=seed), predicted_draws(fit, newdata, seed=seed)


def new_people_draws(
    fit: Fit, data: pd.DataFrame, count: int, *, seed: int, method: str = "uncertainty"
) -> pd.DataFrame:
    """Return ``epred_draws`` for ``count`` new people, ids ``max(data$id) + 1..count``.

    New levels are allowed and sampled with ``method`` (brms's ``sample_new_levels``).
    """
    first = int(data["id"].max()) + 1
    newdata = pd.DataFrame({"id": np.arange(first, first + count, dtype=np.int64)})
    return epred_draws(fit, newdata, allow_new_levels=True, sample_new_levels=method, seed=seed)


def trajectories(
    fit: Fit, data: pd.DataFrame, ids: Sequence[int], width: float = 0.95
) -> pd.DataFrame:
    """Return ``mean_qi`` of ``.epred`` over the distinct predictor rows of the people ``ids``.

    As the lecture's ``distinct(d, id, week) %>% filter(id %in% sample_id) %>%
    add_epred_draws(m3) %>% mean_qi()``: the distinct rows of the model's predictor columns
    (in the data's column order: ``id, week`` for m3, ``id, group, week`` for m4) among the
    rows the model was fitted to (rows with a missing value are not among them).

    Raises:
        ModelDataError: an id is not among the people the model was fitted to.
    """
    rows = model_frame(fit.spec, data).frame
    columns = [c for c in data.columns if c in fit.spec.predictor_columns]
    present = set(rows["id"].astype(int))
    absent = [i for i in ids if int(i) not in present]
    if absent:
        raise ModelDataError(
            f"model {fit.name}: highlighted id(s) {', '.join(map(str, absent))} are not "
            "among the people the model was fitted to"
        )
    newdata = rows[columns].drop_duplicates()
    newdata = newdata[newdata["id"].isin([int(i) for i in ids])].reset_index(drop=True)
    log.info("model %s: %d distinct (%s) rows", fit.name, len(newdata), ", ".join(columns))
    return mean_qi(epred_draws(fit, newdata), width=width)


def write_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` to ``path`` atomically: parquet for ``.parquet``, else CSV (no index).

    Returns the path. Raises ValueError for another suffix.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValueError(f"{target}: write_table writes .parquet or .csv files, not '{suffix}'")
    with atomic_path(target) as tmp:
        if suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
    log.info("wrote %s (%d rows)", target, len(table))
    return target
