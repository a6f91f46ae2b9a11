"""Model frames and design matrices with R's ``model.matrix`` semantics, named as brms names them.

- Rows with a missing value in any variable of the formula are dropped (brms does so).
- ``Intercept`` (when the data has no such column) is brms's explicit intercept, a column of
  ones: ``0 + Intercept + x`` gives it a coefficient ``b_Intercept`` that is not centred.
- A variable is a factor when it is written ``factor(x)``, when it is ``x.f`` and the data has
  no column ``x.f`` (then it is the factor of column ``x``, as the lecture's
  ``id.f = as.factor(id)``), or when its column is not numeric (strings, categories,
  booleans). Levels are those of the kept rows, sorted (numerically for numbers, as R's
  ICU collation sorts text otherwise, see :func:`r_string_key`; a pandas categorical keeps
  its own order).
- Coding follows R's rule: a factor in a term is coded by treatment contrasts when the term
  without it is empty or is contained in an earlier term, and by one indicator per level
  otherwise; without an intercept, the first factor of the first term that has one gets one
  indicator per level. Columns of an interaction vary fastest in its first variable, and are
  named ``week:groupPD``; brms's renaming then drops spaces, parentheses and the like
  (``factor(h)10`` becomes ``factorh10``).

Why our own code rather than ``formulaic`` or ``formulae`` (bambi's): the criterion is matching
R's ``model.matrix`` and brms exactly, and for this subset (numeric variables, factors,
``factor(x)``, interactions, treatment contrasts) R's rules are short enough to write down
and test term by term against R (tests/test_formula_design.py). Neither library parses brms's
group-level syntax in full (``||``, ``g1/g2`` nesting, ``y | trials(n)``, the non-linear
form), so the parser had to be ours anyway; both name columns in patsy's style
(``group[T.PD]``), so every name would need translating to R's (``groupPD``,
``factorh10``, ``week:groupPD``); and the details that decide the numbers (R's full-rank rule
for which factor gets one indicator per level, the order of interaction columns, the
``x.f`` convention, levels sorted as R sorts text) would sit behind another package's
defaults, which can change with its version. Implemented here they are ~150 lines with no
new dependency, and every case checked against brms 2.18 is a test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlmpipe.formula.errors import ModelInputError
from mlmpipe.formula.parser import BrmsFormula, GroupTerm, LinearFormula, Variable

FACTOR_SUFFIX = ".f"
_RENAME = [(c, "") for c in " ()[],\"'?"] + [
    ("+", "P"),
    ("-", "M"),
    ("*", "MU"),
    ("/", "D"),
    ("^", "E"),
    ("=", "EQ"),
]


def brms_rename(name: str) -> str:
    """Return ``name`` as brms's ``rename()`` writes it (``factor(h)10`` -> ``factorh10``)."""
    for old, new in _RENAME:
        name = name.replace(old, new)
    return name


def level_label(value: object) -> str:
    """Format a factor level as R prints it (``6``, ``0.5``, ``CTRL``, ``TRUE``)."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else format(number, ".15g")
    return str(value)


# ICU's root collation (R's string order where R has ICU, as on Debian): white space and
# punctuation first, in this order, then digits, then letters ignoring case; at a tie,
# lower case before upper case.
_ICU_PUNCT = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


def r_string_key(text: str) -> tuple:
    """Return a sort key ordering strings as R's ``sort()`` does with ICU's root collation
    (``1_a`` < ``10_a``, ``a`` < ``A`` < ``ab`` < ``B``); exact for ASCII text."""
    primary = []
    for ch in text:
        if ch in _ICU_PUNCT:
            primary.append((0, _ICU_PUNCT.index(ch)))
        elif ch.isdigit():
            primary.append((1, ord(ch)))
        elif ch.isalpha():
            primary.append((2, ord(ch.lower())))
        else:
            primary.append((0, 100 + ord(ch)))
    return (primary, [ch.isupper() for ch in text])


def factor_levels(values: pd.Series) -> list[object]:
    """Return R's ``factor()`` levels of ``values`` (missing values ignored)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna())
        return [c for c in values.cat.categories if c in present]
    present = values.dropna().unique().tolist()
    if pd.api.types.is_bool_dtype(values):
        return sorted(present)
    if pd.api.types.is_numeric_dtype(values):
        return sorted(present, key=float)
    return sorted(present, key=lambda v: r_string_key(str(v)))


@dataclass(frozen=True)
class Column:
    """Where a formula variable's values come from: a data column, maybe coded as a factor."""

    column: str
    is_factor: bool
    constant: bool = False  # brms's ``0 + Intercept``: a column of ones, not in the data


def resolve(variable: Variable | str, data: pd.DataFrame, formula: str, term: str) -> Column:
    """Return the data column of a variable and whether it is a factor.

    Raises:
        ModelInputError: the data has no column for the variable.
    """
    name = variable if isinstance(variable, str) else variable.name
    forced = False if isinstance(variable, str) else variable.forced_factor
    if name == "Intercept" and name not in data.columns:
        return Column(name, False, constant=True)
    if name in data.columns:
        is_factor = forced or not pd.api.types.is_numeric_dtype(data[name])
        return Column(name, is_factor or pd.api.types.is_bool_dtype(data[name]))
    if name.endswith(FACTOR_SUFFIX) and name[: -len(FACTOR_SUFFIX)] in data.columns:
        return Column(name[: -len(FACTOR_SUFFIX)], True)
    have = ", ".join(map(str, data.columns))
    raise ModelInputError(
        f"formula \"{formula}\": term '{term}': the data has no column '{name}' (columns: {have})"
    )


def linear_variables(lf: LinearFormula) -> list[tuple[Variable, str]]:
    """Return each variable of a linear formula with the label of the first term using it."""
    out: dict[str, tuple[Variable, str]] = {}
    for term in lf.terms:
        for v in term.variables:
            out.setdefault(v.label, (v, term.label))
    return list(out.values())


def formula_columns(bf: BrmsFormula, data: pd.DataFrame) -> list[str]:
    """Return the data columns a formula reads, response first, without repeats.

    Raises:
        ModelInputError: a variable (or grouping factor, or trials column) is not in the data.
    """
    text = bf.display
    cols = [resolve(bf.response, data, text, bf.response).column]
    if isinstance(bf.trials, str):
        cols.append(resolve(bf.trials, data, text, f"trials({bf.trials})").column)
    linears = [bf.population] if bf.population is not None else list(bf.nlpars.values())
    linears += [g.formula for g in bf.groups]
    for lf in linears:
        for v, term in linear_variables(lf):
            column = resolve(v, data, text, term)
            if not column.constant:
                cols.append(column.column)
    for g in bf.groups:
        cols += [resolve(f, data, text, f"| {g.group}").column for f in g.factors]
    return list(dict.fromkeys(cols))


@dataclass(frozen=True)
class ModelFrame:
    """The rows a formula is fitted to: ``data`` (index reset) and their input positions."""

    data: pd.DataFrame
    rows: tuple[int, ...]
    n_input_rows: int


def model_frame(bf: BrmsFormula, data: pd.DataFrame) -> ModelFrame:
    """Return the rows of ``data`` with no missing value in any formula variable.

    Raises:
        ModelInputError: a variable is not in the data, or no row is left.
    """
    columns = formula_columns(bf, data)
    keep = ~data[columns].isna().any(axis=1).to_numpy()
    if not keep.any():
        raise ModelInputError(
            f'formula "{bf.display}": no row is left after dropping rows with a missing '
            f"value in {', '.join(columns)}"
        )
    rows = tuple(int(i) for i in np.flatnonzero(keep))
    return ModelFrame(data.loc[keep].reset_index(drop=True), rows, len(data))


# --------------------------------------------------------------------------- matrices


def _codings(lf: LinearFormula, is_factor: dict[str, bool]) -> list[dict[str, bool]]:
    """Per term, per factor variable: True for one indicator per level, False for contrasts."""
    out: list[dict[str, bool]] = []
    for i, term in enumerate(lf.terms):
        labels = [v.label for v in term.variables]
        coding: dict[str, bool] = {}
        for label in labels:
            if not is_factor[label]:
                continue
            margin = set(labels) - {label}
            covered = not margin or any(
                margin <= {v.label for v in prev.variables} for prev in lf.terms[:i]
            )
            coding[label] = not covered
        out.append(coding)
    if not lf.intercept:
        for coding, term in zip(out, lf.terms, strict=True):
            first = next((v.label for v in term.variables if is_factor[v.label]), None)
            if first is not None:
                coding[first] = True
                break
    return out


def _variable_columns(
    v: Variable,
    col: Column,
    frame: pd.DataFrame,
    full: bool,
    formula: str,
    term: str,
    fitted: Sequence[object] | None = None,
) -> list[tuple[str, np.ndarray]]:
    if col.constant:
        return [(v.label, np.ones(len(frame)))]
    values = frame[col.column]
    if not col.is_factor:
        return [(v.label, values.to_numpy(dtype=float))]
    labels = values.map(level_label).to_numpy()
    if fitted is not None:  # new data, coded against the fitted model's levels
        levels = list(fitted)
        unknown = sorted(set(labels) - {level_label(lv) for lv in levels})
        if unknown:
            raise ModelInputError(
                f"formula \"{formula}\": term '{term}': column '{col.column}' has level(s) "
                f"{', '.join(unknown)} the model was not fitted with (levels: "
                f"{', '.join(map(level_label, levels))})"
            )
    else:
        levels = factor_levels(values)
    if len(levels) < 2:
        raise ModelInputError(
            f"formula \"{formula}\": term '{term}': factor '{v.label}' (column "
            f"'{col.column}') has {len(levels)} level ({', '.join(map(level_label, levels))}) "
            "in the rows used; a factor needs at least two"
        )
    kept = levels if full else levels[1:]
    return [
        (f"{v.label}{level_label(lv)}", (labels == level_label(lv)).astype(float)) for lv in kept
    ]


def linear_design(
    lf: LinearFormula,
    frame: pd.DataFrame,
    formula: str,
    levels: Mapping[str, Sequence[object]] | None = None,
) -> tuple[list[str], np.ndarray]:
    """Return the column names (brms-renamed; ``Intercept`` first when there is one) and the
    design matrix (rows of ``frame``) of a linear formula, as R's ``model.matrix`` builds it.

    ``levels`` (for new data): the fitted model's factor levels by variable label; a variable
    is then a factor when it has an entry, coded against those levels.

    Raises:
        ModelInputError: a variable is missing from the data, a factor has one level, or
            (with ``levels``) a level the model was not fitted with.
    """
    columns = {v.label: resolve(v, frame, formula, term) for v, term in linear_variables(lf)}
    if levels is not None:
        columns = {
            label: Column(c.column, label in levels and not c.constant, c.constant)
            for label, c in columns.items()
        }
    is_factor = {label: c.is_factor for label, c in columns.items()}
    names: list[str] = []
    blocks: list[np.ndarray] = []
    if lf.intercept:
        names.append("Intercept")
        blocks.append(np.ones(len(frame)))
    for term, coding in zip(lf.terms, _codings(lf, is_factor), strict=True):
        cols: list[tuple[str, np.ndarray]] = [("", np.ones(len(frame)))]
        for v in term.variables:
            fitted = None if levels is None else levels.get(v.label)
            parts = _variable_columns(
                v, columns[v.label], frame, coding.get(v.label, False), formula, term.label, fitted
            )
            cols = [(f"{a}:{b}" if a else b, va * vb) for b, vb in parts for a, va in cols]
        names += [brms_rename(n) for n, _ in cols]
        blocks += [values for _, values in cols]
    matrix = np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))
    return names, matrix


@dataclass(frozen=True)
class GroupDesign:
    """The data of one group-level term: levels, 1-based index J and one Z column per coef."""

    term: GroupTerm
    levels: list[str]
    index: np.ndarray
    coefs: list[str]
    z: np.ndarray


def group_values(
    term: GroupTerm, frame: pd.DataFrame, formula: str
) -> tuple[list[str], np.ndarray]:
    """Return the grouping factor's level labels (brms's order) and each row's label.

    A single factor's levels sort as R's ``factor()`` sorts them; ``g1:g2`` pastes the labels
    with ``_`` and sorts the results as text, as brms does.
    """
    cols = [resolve(f, frame, formula, f"| {term.group}").column for f in term.factors]
    if len(cols) == 1:
        values = frame[cols[0]]
        levels = [level_label(v) for v in factor_levels(values)]
        return levels, values.map(level_label).to_numpy()
    pasted = frame[cols[0]].map(level_label)
    for c in cols[1:]:
        pasted = pasted + "_" + frame[c].map(level_label)
    return sorted(set(pasted), key=r_string_key), pasted.to_numpy()


def group_design(term: GroupTerm, frame: pd.DataFrame, formula: str) -> GroupDesign:
    """Return the :class:`GroupDesign` of ``term`` on the rows of ``frame``.

    Raises:
        ModelInputError: a variable is missing, or the term has no coefficient.
    """
    levels, labels = group_values(term, frame, formula)
    lookup = {label: i + 1 for i, label in enumerate(levels)}
    index = np.array([lookup[label] for label in labels], dtype=int)
    coefs, z = linear_design(term.formula, frame, formula)
    if not coefs:
        raise ModelInputError(
            f"formula \"{formula}\": group-level term '| {term.group}' has no coefficient"
        )
    return GroupDesign(term=term, levels=levels, index=index, coefs=coefs, z=z)


def ordered_groups(terms: Sequence[GroupTerm]) -> list[GroupTerm]:
    """Return group-level terms in brms's ID order: by grouping factor name (stable)."""
    return sorted(terms, key=lambda g: g.group)
