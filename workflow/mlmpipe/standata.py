"""The Stan data of a model: the rows its formula keeps, its design matrices, and its priors.

The five Stan programs in ``stan/`` read their data under the names brms gives them (``N``,
``Y``, ``K``, ``X``, ``N_1``, ``M_1``, ``J_1``, ``Z_1_1``, ``NC_1``, ``prior_only``; ``K_a``
and ``X_a`` for the non-linear parameter ``a`` of m1) plus the prior's parameters, passed as
data so that changing a prior in the config re-samples without recompiling:

============  ===============================  ==========================================
class         family fixed in the program      data
============  ===============================  ==========================================
b             normal                           ``prior_b_mu``, ``prior_b_sigma``
Intercept     normal                           ``prior_Intercept_mu``, ``prior_Intercept_sigma``
sd            exponential (half, sd >= 0)      ``prior_sd_rate``
sigma         exponential (half, sigma >= 0)   ``prior_sigma_rate``
cor           lkj (Cholesky factor)            ``prior_cor_eta``
============  ===============================  ==========================================

This module builds that data from a :class:`~mlmpipe.models.ModelSpec` and the processed
data (rows with a missing value in a formula variable dropped, as brms does), writes it as
``data.json`` with its rows-and-levels record ``model_frame.json``, and checks that a
``data.json`` is the data of a spec.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe import models
from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import write_text_atomic
from mlmpipe.models import ModelFrame, ModelSpec
from mlmpipe.validation import read_processed

#: The prior family each class has in the Stan programs, and its parameters (passed as data).
PRIOR_FAMILIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "b": ("normal", ("mu", "sigma")),
    "Intercept": ("normal", ("mu", "sigma")),
    "sd": ("exponential", ("rate",)),
    "sigma": ("exponential", ("rate",)),
    "cor": ("lkj", ("eta",)),
}

class PriorError(MlmpipeError, ValueError):
    """Raised when the config's priors do not match what a Stan program implements."""


class StanDataError(MlmpipeError, ValueError):
    """A ``data.json`` is not the Stan data of the model it is used for."""


# --------------------------------------------------------------------------- priors


def prior_classes(spec: ModelSpec) -> tuple[str, ...]:
    """Return the prior classes a model's program has, in brms's order.

    ``b`` when the model has population-level coefficients, ``Intercept`` when its formula
    has an intercept, ``sd`` when it has varying effects, ``cor`` when they are correlated,
    and always ``sigma``.
    """
    classes = []
    if spec.population:
        classes.append("b")
    if spec.intercept:
        classes.append("Intercept")
    if spec.varying is not None:
        classes.append("sd")
        if spec.varying.correlated:
            classes.append("cor")
    classes.append("sigma")
    return tuple(classes)


def prior_data(spec: ModelSpec) -> dict[str, float]:
    """Return the prior parameters as Stan data (``prior_b_mu``, ``prior_sd_rate``, ...).

    Raises:
        PriorError: a class the program has no prior for in the config, a config prior for a
            class the model does not have, a family other than the one the program
            implements, or a missing or invalid parameter.
    """
    wanted = prior_classes(spec)
    given = dict(spec.priors)
    extra = sorted(set(given) - set(wanted))
    if extra:
        raise PriorError(
            f"model {spec.name}: the config sets a prior for class(es) {', '.join(extra)}, "
            f"which {spec.stan_file} does not have (its classes: {', '.join(wanted)})"
        )
    out: dict[str, float] = {}
    for cls in wanted:
        family, params = PRIOR_FAMILIES[cls]
        if cls not in given:
            raise PriorError(
                f"model {spec.name}: the config has no prior for class '{cls}' "
                f"({spec.stan_file} expects {family}({', '.join(params)}))"
            )
        entry = given[cls]
        if entry.get("family") != family:
            raise PriorError(
                f"model {spec.name}: the prior for class '{cls}' is "
                f"{entry.get('family')!r} in the config, but {spec.stan_file} implements "
                f"{family}({', '.join(params)}); change the config's family to {family!r} or "
                "edit the Stan program"
            )
        for param in params:
            if param not in entry:
                raise PriorError(
                    f"model {spec.name}: the {family} prior for class '{cls}' has no "
                    f"'{param}' in the config"
                )
            value = float(entry[param])
            positive = param != "mu"
            if not np.isfinite(value) or (positive and value <= 0):
                raise PriorError(
                    f"model {spec.name}: the {family} prior for class '{cls}' has "
                    f"{param} = {entry[param]!r}; it must be a finite"
                    + (" positive" if positive else "")
                    + " number"
                )
            out[f"prior_{cls}_{param}"] = value
    return out


# --------------------------------------------------------------------------- model data


@dataclass(frozen=True)
class ModelData:
    """Everything a model is given: its Stan data and the rows and levels behind it.

    ``coefficients`` are the population-level coefficient names without ``b_`` (without the
    intercept); ``group_levels`` the grouping factor's levels in brms's order (None without
    varying effects); ``rows`` the 0-based positions, in the input data, of the rows kept.
    """

    spec: ModelSpec
    frame: ModelFrame
    stan_data: dict[str, Any]
    coefficients: tuple[str, ...]
    group_levels: tuple[Any, ...] | None

    @property
    def rows(self) -> tuple[int, ...]:
        """0-based positions in the input data of the rows the model is fitted to."""
        dropped = set(self.frame.dropped_rows)
        return tuple(i for i in range(self.frame.n_input_rows) if i not in dropped)

    def frame_record(self) -> dict[str, Any]:
        """Return the JSON-ready record of the rows and levels (``model_frame.json``)."""
        group = self.spec.varying.group if self.spec.varying else None
        return {
            "model": self.spec.name,
            "formula": list(self.spec.formula),
            "columns": list(self.spec.columns),
            "n_input_rows": self.frame.n_input_rows,
            "n_rows": self.frame.n_rows,
            "n_dropped": self.frame.n_dropped,
            "dropped_rows": list(self.frame.dropped_rows),
            "rows": list(self.rows),
            "levels": {k: list(v) for k, v in self.frame.levels.items()},
            "group": group,
            "n_levels": len(self.group_levels) if self.group_levels is not None else None,
            "coefficients": list(self.coefficients),
        }


def people_dropped(model_data: ModelData, data: pd.DataFrame, column: str = "id") -> list[Any]:
    """Return the people (values of ``column`` in ``data``, sorted) none of whose rows the
    model keeps: every row of theirs misses a variable of the formula."""
    kept = set(model_data.frame.frame[column]) if column in model_data.frame.frame else set()
    return sorted(set(data[column]) - kept) if column in data else []


def build_model_data(spec: ModelSpec, data: pd.DataFrame) -> ModelData:
    """Return the Stan data of ``spec`` for ``data``, as brms's ``make_standata`` builds it.

    Rows with a missing value in a formula variable are dropped; factor levels are sorted as
    R's ``factor()`` sorts them; ``0 + week + group`` codes ``group`` with one indicator per
    level (``groupCTRL``, ``groupPD``). With an intercept, ``X`` has a first column of ones
    (named ``Intercept``), which the program drops when it centres the other columns.

    Raises:
        ModelDataError: a formula variable is missing from ``data`` or no row is left.
        PriorError: the config's priors do not match the program (see :func:`prior_data`).
    """
    frame = models.model_frame(spec, data)
    kept = frame.frame
    design = models.population_design(spec, kept, frame.levels)
    coefficients = tuple(design.columns)
    stan: dict[str, Any] = {"N": frame.n_rows, "Y": kept[spec.response].astype(float).tolist()}
    if spec.nlpar:
        stan[f"K_{spec.nlpar}"] = design.shape[1]
        stan[f"X_{spec.nlpar}"] = design.to_numpy(dtype=float).tolist()
    elif design.shape[1]:
        # brms gives an intercept-only formula no X at all; otherwise X's first column is ones
        matrix = design.to_numpy(dtype=float)
        if spec.intercept:
            matrix = np.column_stack([np.ones(frame.n_rows), matrix])
        stan["K"] = matrix.shape[1]
        stan["X"] = matrix.tolist()
    group_levels: tuple[Any, ...] | None = None
    if spec.varying is not None:
        group = spec.varying.group
        group_levels = tuple(frame.levels[group])
        terms = models.group_terms_design(spec, kept)
        stan["N_1"] = len(group_levels)
        stan["M_1"] = len(spec.varying.terms)
        stan["J_1"] = models.group_index(kept[group], group_levels).tolist()
        for k, term in enumerate(spec.varying.terms, start=1):
            stan[f"Z_1_{k}"] = terms[term].astype(float).tolist()
        if spec.varying.correlated:
            stan["NC_1"] = len(spec.varying.terms) * (len(spec.varying.terms) - 1) // 2
    stan["prior_only"] = 0
    stan.update(prior_data(spec))
    return ModelData(
        spec=spec,
        frame=frame,
        stan_data=stan,
        coefficients=coefficients,
        group_levels=group_levels,
    )

def write_model_data(
    model_data: ModelData,
    data_json: str | os.PathLike[str],
    frame_json: str | os.PathLike[str],
) -> None:
    """Write the Stan data (``data.json``) and the rows-and-levels record (``model_frame.json``)."""
    write_text_atomic(data_json, json.dumps(model_data.stan_data, indent=1) + "\n")
    write_text_atomic(frame_json, json.dumps(model_data.frame_record(), indent=1) + "\n")

def load_model_data(spec: ModelSpec, data_path: str | os.PathLike[str]) -> ModelData:
    """Read the processed data at ``data_path`` and return :func:`build_model_data` of it."""
    return build_model_data(spec, read_processed(data_path))


def check_stan_data(model_data: ModelData, data_json: str | os.PathLike[str]) -> None:
    """Raise :class:`StanDataError` unless ``data_json`` is the Stan data of ``model_data``.

    The posterior is named from the data it is rebuilt from; this guards against a
    ``data.json`` (and so a fit) made from other data or another spec.
    """
    written = json.loads(Path(data_json).read_text(encoding="utf-8"))
    for key, value in model_data.stan_data.items():
        if key not in written:
            raise StanDataError(f"{data_json}: has no '{key}'; it was written for another model")
        same = np.array_equal(np.asarray(written[key], dtype=float), np.asarray(value, dtype=float))
        if not same:
            raise StanDataError(
                f"{data_json}: '{key}' differs from the data the posterior is built from; "
                "re-run the model_data rule"
            )
