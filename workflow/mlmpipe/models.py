"""Model frames and design matrices of the lecture's model shapes, named as brms names them.

A :class:`ModelSpec` (from :mod:`mlmpipe.specs`, re-exported here) is one model of the
config's ``models`` section; for the lecture's shapes it also holds their structure
(population terms, grouping factor and its terms). Any other formula's design is
:mod:`mlmpipe.formula`'s. From a lecture-shaped spec and the processed data this module
builds:

- the *model frame*: the rows with no missing value in any variable of the formula
  (brms drops such rows for that model), with the count of dropped rows;
- the *population-level design*: one column per regression coefficient, named as brms names
  the coefficient without its ``b_`` prefix (``week``, ``groupCTRL``, ``a_id.f6``);
- the *group-level design*: the grouping factor's levels in brms's order and, per term, the
  column that multiplies the varying effect (``Intercept`` is a column of ones).

Factors follow R's ``factor()``: levels sorted (numerically for numbers). A factor that is
the first term of a formula without an intercept is coded with one indicator per level
(``0 + group`` gives ``groupCTRL`` and ``groupPD``); otherwise treatment contrasts drop the
first level, as R's ``model.matrix`` does. A predictor written ``x.f`` is the factor of
column ``x``, as the lecture's ``id.f = as.factor(id)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.errors import MlmpipeError
from mlmpipe.specs import (  # noqa: F401  (re-exported: the spec is part of this module's API)
    FACTOR_SUFFIX,
    ModelSpec,
    VaryingSpec,
    formula_columns,
    load_specs,
    prior_families,
    prior_strings,
    source_column,
    spec_from_dict,
    spec_to_dict,
)


class ModelDataError(MlmpipeError, ValueError):
    """Raised when a data frame cannot be used with a model (missing column, unknown level)."""


# --------------------------------------------------------------------------- levels


def factor_levels(values: pd.Series) -> list[Any]:
    """Return the levels R's ``factor()`` gives ``values``: distinct non-missing, sorted.

    Numbers sort numerically and keep their type (ints stay ints), strings sort as text.
    """
    present = values.dropna().unique().tolist()
    if pd.api.types.is_numeric_dtype(values):
        present = [_as_plain_number(v) for v in present]
    return sorted(present)


def _as_plain_number(value: Any) -> Any:
    """Turn numpy scalars into Python ints (when integral) or floats."""
    number = float(value)
    return int(number) if number.is_integer() else number


def is_factor(spec_predictor: str, frame: pd.DataFrame) -> bool:
    """True when a predictor is coded as a factor: ``x.f`` or a non-numeric column."""
    if spec_predictor.endswith(FACTOR_SUFFIX):
        return True
    column = frame[spec_predictor]
    return not pd.api.types.is_numeric_dtype(column)


def level_label(level: Any) -> str:
    """Format a level as brms writes it inside a name (``6``, ``CTRL``)."""
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


# --------------------------------------------------------------------------- frames


@dataclass(frozen=True)
class ModelFrame:
    """The rows a model is fitted to, and what was dropped to get there."""

    frame: pd.DataFrame
    n_input_rows: int
    dropped_rows: tuple[int, ...]  # 0-based positions in the input frame
    levels: Mapping[str, list[Any]]  # factor name (as in the formula) -> levels

    @property
    def n_dropped(self) -> int:
        """How many input rows were dropped for a missing value."""
        return len(self.dropped_rows)

    @property
    def n_rows(self) -> int:
        """How many rows the model is fitted to."""
        return len(self.frame)


def check_columns(spec: ModelSpec, frame: pd.DataFrame, *, need_response: bool = True) -> None:
    """Raise :class:`ModelDataError` naming the first formula column missing from ``frame``."""
    wanted = spec.columns if need_response else spec.predictor_columns
    for column in wanted:
        if column not in frame.columns:
            have = ", ".join(map(str, frame.columns))
            raise ModelDataError(
                f"model {spec.name}: the data has no column '{column}' "
                f"(the formula needs it; columns present: {have})"
            )


def model_frame(spec: ModelSpec, data: pd.DataFrame) -> ModelFrame:
    """Return the rows of ``data`` a model is fitted to, as brms selects them.

    Rows with a missing value in any variable of the formula are dropped. Factor levels
    are taken from the kept rows (brms drops unused levels), so for m3 to m5 the grouping
    factor has 88 levels where m1 and m2 have 91.

    Raises:
        ModelDataError: a variable of the formula is not a column of ``data``, or no row is left.
    """
    check_columns(spec, data)
    columns = list(spec.columns)
    missing = data[columns].isna().any(axis=1).to_numpy()
    kept = data.loc[~missing].reset_index(drop=True)
    if kept.empty:
        raise ModelDataError(
            f"model {spec.name}: no row is left after dropping rows with a missing value in "
            f"{', '.join(columns)}"
        )
    levels: dict[str, list[Any]] = {}
    for predictor in spec.population:
        if is_factor(predictor, kept):
            levels[predictor] = factor_levels(kept[source_column(predictor)])
    if spec.varying is not None:
        levels[spec.varying.group] = factor_levels(kept[spec.varying.group])
    return ModelFrame(
        frame=kept,
        n_input_rows=len(data),
        dropped_rows=tuple(int(i) for i in np.flatnonzero(missing)),
        levels=levels,
    )


# --------------------------------------------------------------------------- designs


def _full_coded_factor(spec: ModelSpec, levels: Mapping[str, list[Any]]) -> str | None:
    """Return the factor coded with one indicator per level, if any.

    As in R's ``model.matrix``: without an intercept, the first factor of the formula gets
    an indicator for every level; every other factor gets treatment contrasts.
    """
    if spec.intercept:
        return None
    return next((p for p in spec.population if p in levels), None)


def coefficient_names(spec: ModelSpec, levels: Mapping[str, list[Any]]) -> list[str]:
    """Return the population-level coefficient names, without ``b_``, in brms's order.

    ``levels`` maps each factor predictor to its levels (as in :attr:`ModelFrame.levels`).
    The intercept is not included: brms names it separately (``Intercept``/``b_Intercept``).
    """
    prefix = f"{spec.nlpar}_" if spec.nlpar else ""
    names: list[str] = []
    full_factor = _full_coded_factor(spec, levels)
    for predictor in spec.population:
        if predictor in levels:
            full = predictor == full_factor
            kept_levels = levels[predictor] if full else levels[predictor][1:]
            names += [f"{prefix}{predictor}{level_label(v)}" for v in kept_levels]
        else:
            names.append(f"{prefix}{predictor}")
    return names


def population_design(
    spec: ModelSpec, frame: pd.DataFrame, levels: Mapping[str, list[Any]]
) -> pd.DataFrame:
    """Return the population-level design matrix of ``frame`` (no intercept column).

    Columns are named by :func:`coefficient_names`; rows follow ``frame``. Factor values
    are coded against the fitted model's ``levels``.

    Raises:
        ModelDataError: a predictor is missing from ``frame`` or has a missing value, or a
            factor value is not one of the fitted levels.
    """
    names = coefficient_names(spec, levels)
    design = pd.DataFrame(index=frame.index)
    prefix = f"{spec.nlpar}_" if spec.nlpar else ""
    full_factor = _full_coded_factor(spec, levels)
    for predictor in spec.population:
        column = source_column(predictor)
        if column not in frame.columns:
            raise ModelDataError(f"model {spec.name}: newdata has no column '{column}'")
        values = frame[column]
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise ModelDataError(
                f"model {spec.name}: column '{column}' has a missing value at row {row + 1}"
            )
        if predictor in levels:
            fitted = levels[predictor]
            labels = [level_label(v) for v in fitted]
            observed = values.map(level_label)
            unknown = sorted(set(observed) - set(labels))
            if unknown:
                raise ModelDataError(
                    f"model {spec.name}: '{column}' has level(s) {', '.join(unknown)} that the "
                    f"model was not fitted with (levels: {', '.join(labels)})"
                )
            full = predictor == full_factor
            for label in labels if full else labels[1:]:
                design[f"{prefix}{predictor}{label}"] = (observed == label).astype(float)
        else:
            design[f"{prefix}{predictor}"] = values.astype(float)
    return design[names]


def group_terms_design(spec: ModelSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Return, per varying term, the column multiplying its effect (``Intercept`` is 1).

    Raises:
        ModelDataError: the model has no varying effects, or a term's column is missing.
    """
    if spec.varying is None:
        raise ModelDataError(f"model {spec.name} has no group-level effects")
    out = pd.DataFrame(index=frame.index)
    for term in spec.varying.terms:
        if term == "Intercept":
            out[term] = 1.0
        elif term not in frame.columns:
            raise ModelDataError(f"model {spec.name}: newdata has no column '{term}'")
        else:
            out[term] = frame[term].astype(float)
    return out


def group_index(values: pd.Series, levels: Sequence[Any]) -> np.ndarray:
    """Return 1-based positions of ``values`` among ``levels`` (0 for a level not fitted)."""
    lookup = {level_label(v): i + 1 for i, v in enumerate(levels)}
    return np.array([lookup.get(level_label(v), 0) for v in values], dtype=int)
