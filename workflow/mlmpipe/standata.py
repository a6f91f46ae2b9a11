"""The Stan data of a model: the rows its formula keeps, its design matrices, and its priors.

The data is :func:`mlmpipe.formula.make_standata`'s (brms's names: ``N``, ``Y``, ``K``,
``X``, ``K_a`` and ``X_a`` for a non-linear parameter ``a``, ``N_1``, ``M_1``, ``J_1``,
``Z_1_1``, ``NC_1``, ``prior_only``, ``trials`` for binomial), plus each prior's parameters
(``prior_b_mu``, ``prior_sd_rate`` ..., see :mod:`mlmpipe.formula.priors`), passed as data so
that changing a prior's values re-samples without recompiling. ``data.json`` holds the
entries the model's Stan program declares, in a fixed order: ``N``, ``Y``, ``trials``, the
population-level designs, per grouping factor ``N_i``, ``M_i``, ``J_i``, ``Z_i_k``,
``NC_i``, ``prior_only``, then the priors by class (b, Intercept, sd, cor, sigma, nu).

This module builds that data from a :class:`~mlmpipe.models.ModelSpec` and the processed
data (rows with a missing value in a formula variable dropped, as brms does), writes it as
``data.json`` with its rows-and-levels record ``model_frame.json``, and checks that a
``data.json`` is the data of a spec.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import write_text_atomic
from mlmpipe.formula import FormulaError, ModelInputError, build_model
from mlmpipe.formula import design as fdesign
from mlmpipe.formula.model import Model
from mlmpipe.formula.stancode import generate, unique_priors
from mlmpipe.formula.standata import standata as formula_standata
from mlmpipe.models import ModelFrame, ModelSpec
from mlmpipe.validation import read_processed

#: The order of the prior classes in ``data.json``.
PRIOR_ORDER = ("b", "Intercept", "sd", "cor", "sigma", "nu")


class StanDataError(MlmpipeError, ValueError):
    """A ``data.json`` is not the Stan data of the model it is used for."""


# --------------------------------------------------------------------------- the model


def formula_model(spec: ModelSpec, data: pd.DataFrame) -> Model:
    """Return the :class:`mlmpipe.formula.Model` of ``spec`` on ``data``.

    Raises:
        FormulaError, ModelInputError: as :func:`mlmpipe.formula.build_model`, the message
            starting with ``model <name>:``.
    """
    try:
        return build_model(spec.formula_arg, data, spec.family, dict(spec.priors))
    except (FormulaError, ModelInputError) as error:
        raise type(error)(f"model {spec.name}: {error}") from None


def declared_data(program: str) -> list[str]:
    """Return the names a Stan program's data block declares, in order."""
    block = program.split("\ndata {\n", 1)[1].split("\n}\n", 1)[0]
    return re.findall(r"(\w+);", block)


def _plain(value: Any) -> Any:
    """Numpy values as JSON-ready Python values (arrays as nested lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def pipeline_standata(model: Model) -> dict[str, Any]:
    """Return the Stan data of ``model`` as ``data.json`` holds it (see the module docstring):
    the entries the generated program declares, in the pipeline's order, as Python values."""
    full = formula_standata(model)
    declared = set(declared_data(generate(model)))
    names = ["N", "Y", "trials", "K", "X"]
    names += [n for p in model.nlpars for n in (f"K_{p.nlpar}", f"X_{p.nlpar}")]
    for i, g in enumerate(model.groups, 1):
        names += [f"N_{i}", f"M_{i}", f"J_{i}"]
        names += [f"Z_{i}_{k}" for k in range(1, len(g.coefs) + 1)] + [f"NC_{i}"]
    names.append("prior_only")
    rank = {cls: i for i, cls in enumerate(PRIOR_ORDER)}
    priors = sorted(unique_priors(model), key=lambda p: rank.get(p.cls, len(rank)))
    names += [n for p in priors for n in p.data_names()]
    return {n: _plain(full[n]) for n in names if n in declared and n in full}


# --------------------------------------------------------------------------- model data


@dataclass(frozen=True)
class ModelData:
    """Everything a model is given: its Stan data and the rows and levels behind it.

    ``coefficients`` are the population-level coefficient names without ``b_`` (without the
    intercept); ``group_levels`` the first grouping factor's levels in brms's order (None
    without group-level terms); ``model`` the :class:`mlmpipe.formula.Model`.
    """

    spec: ModelSpec
    frame: ModelFrame
    stan_data: dict[str, Any]
    coefficients: tuple[str, ...]
    group_levels: tuple[Any, ...] | None
    model: Model | None = None

    @property
    def rows(self) -> tuple[int, ...]:
        """0-based positions in the input data of the rows the model is fitted to."""
        dropped = set(self.frame.dropped_rows)
        return tuple(i for i in range(self.frame.n_input_rows) if i not in dropped)

    def frame_record(self) -> dict[str, Any]:
        """Return the JSON-ready record of the rows and levels (``model_frame.json``)."""
        groups = [g.term.group for g in self.model.groups] if self.model else []
        return {
            "model": self.spec.name,
            "formula": list(self.spec.formula),
            "family": self.spec.family,
            "columns": list(self.spec.columns),
            "n_input_rows": self.frame.n_input_rows,
            "n_rows": self.frame.n_rows,
            "n_dropped": self.frame.n_dropped,
            "dropped_rows": list(self.frame.dropped_rows),
            "rows": list(self.rows),
            "levels": {k: list(v) for k, v in self.frame.levels.items()},
            "group": groups[0] if groups else None,
            "n_levels": len(self.group_levels) if self.group_levels is not None else None,
            "groups": {g: len(self.frame.levels[g]) for g in groups},
            "coefficients": list(self.coefficients),
            "priors": prior_records(self.model) if self.model else [],
        }


def prior_records(model: Model) -> list[dict[str, str]]:
    """The model's priors as brms's ``get_prior`` lists them (defaults included), as records
    with keys prior, class, coef, group, nlpar, source (:func:`mlmpipe.formula.get_prior`)."""
    from mlmpipe.formula.variables import prior_table

    return prior_table(model).to_dict(orient="records")


def _plain_levels(values: list[Any]) -> list[Any]:
    """Levels as JSON-ready values (whole floats as ints, as the data's ids are)."""
    out = []
    for v in values:
        v = _plain(v)
        out.append(int(v) if isinstance(v, float) and v.is_integer() else v)
    return out


def fitted_levels(model: Model) -> dict[str, list[Any]]:
    """Return the levels of every factor of the formula (by its label: ``id.f``, ``group``,
    ``factor(h)``) and of every grouping factor (``id``; ``g1:g2`` by its pasted labels), in
    brms's order, as the fitted rows have them."""
    kept = model.frame.data
    text = model.formula.display
    linears = [model.formula.population] if model.mu is not None else []
    linears += [model.formula.nlpars[p.nlpar] for p in model.nlpars]
    linears += [g.term.formula for g in model.groups]
    levels: dict[str, list[Any]] = {}
    for lf in linears:
        for v, term in fdesign.linear_variables(lf):
            col = fdesign.resolve(v, kept, text, term)
            if col.is_factor and not col.constant:
                levels.setdefault(v.label, _plain_levels(fdesign.factor_levels(kept[col.column])))
    for g in model.groups:
        if len(g.term.factors) == 1:
            column = fdesign.resolve(g.term.factors[0], kept, text, g.term.group).column
            levels[g.term.group] = _plain_levels(fdesign.factor_levels(kept[column]))
        else:
            levels[g.term.group] = list(g.levels)
    return levels


def model_data_of(spec: ModelSpec, model: Model) -> ModelData:
    """Return the :class:`ModelData` of ``spec`` from its built formula ``model``."""
    rows = set(model.frame.rows)
    n = model.frame.n_input_rows
    frame = ModelFrame(
        frame=model.frame.data,
        n_input_rows=n,
        dropped_rows=tuple(i for i in range(n) if i not in rows),
        levels=fitted_levels(model),
    )
    coefficients = list(model.mu.coefs) if model.mu is not None else []
    coefficients += [c for p in model.nlpars for c in p.names]
    first = model.groups[0].term.group if model.groups else None
    return ModelData(
        spec=spec,
        frame=frame,
        stan_data=pipeline_standata(model),
        coefficients=tuple(coefficients),
        group_levels=tuple(frame.levels[first]) if first else None,
        model=model,
    )


def build_model_data(spec: ModelSpec, data: pd.DataFrame) -> ModelData:
    """Return the Stan data of ``spec`` for ``data``, as brms's ``make_standata`` builds it.

    Rows with a missing value in a formula variable are dropped; factor levels are sorted as
    R's ``factor()`` sorts them; ``0 + week + group`` codes ``group`` with one indicator per
    level (``groupCTRL``, ``groupPD``). With an intercept, ``X`` has a first column of ones
    (named ``Intercept``), which the program drops when it centres the other columns.

    Raises:
        FormulaError, ModelInputError: the formula, family or priors do not fit the data
            (the message names the model, the term and the column).
    """
    return model_data_of(spec, formula_model(spec, data))


def people_dropped(model_data: ModelData, data: pd.DataFrame, column: str = "id") -> list[Any]:
    """Return the people (values of ``column`` in ``data``, sorted) none of whose rows the
    model keeps: every row of theirs misses a variable of the formula."""
    kept = set(model_data.frame.frame[column]) if column in model_data.frame.frame else set()
    return sorted(set(data[column]) - kept) if column in data else []


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
