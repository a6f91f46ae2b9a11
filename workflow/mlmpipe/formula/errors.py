"""The errors of :mod:`mlmpipe.formula`: a formula that cannot be read, data that cannot be used."""

from __future__ import annotations

from mlmpipe.errors import MlmpipeError


class FormulaError(MlmpipeError, ValueError):
    """A brms formula (or prior) that cannot be read or is not supported.

    The message names the formula, the 0-based character position where the problem starts
    and what was expected there, e.g.
    ``formula "con ~ 1 + (1 | )": at position 14: expected a grouping factor after '|'``.
    """


class ModelInputError(MlmpipeError, ValueError):
    """Data that cannot be used with a model: an unknown variable, a factor with one level,
    a response the family cannot have (negative counts, values outside 0/1 ...).

    The message names the formula, the term and the column at fault.
    """
