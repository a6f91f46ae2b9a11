"""The lecture's Stan programs (``stan/m1.stan`` ... ``stan/m5.stan``), generated from the config.

Each model of the config's ``models`` section gives its brms formula and its priors (as
``{family: normal, mu: 0, sigma: 1}``); :func:`lecture_program` turns them into the program
:func:`mlmpipe.formula.make_stancode` writes, under a header that says what it is and which
command regenerates it. The prior keys are the config's (``b``, ``Intercept``, ``sd``,
``sigma``, ``cor``), so the programs read the data names :mod:`mlmpipe.standata` writes
(``prior_b_mu``, ``prior_sd_rate`` ...); for m1 the config's ``b`` is the prior of the
non-linear parameter's coefficients ``b_a``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mlmpipe.formula import stancode
from mlmpipe.formula.model import build_model
from mlmpipe.formula.priors import PRIOR_FAMILIES, r_number

COMMAND = (
    "python -m mlmpipe stancode --model {name} --data ../shared/data/mlm.csv "
    "--output stan/{name}.stan"
)


def config_prior_strings(priors: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Return the config's priors as brms strings: ``{family: normal, mu: 0, sigma: 1.5}``
    becomes ``"normal(0, 1.5)"`` (parameters in the family's order)."""
    out: dict[str, str] = {}
    for key, entry in priors.items():
        family = entry["family"]
        names = PRIOR_FAMILIES[family][0]
        out[key] = f"{family}({', '.join(r_number(float(entry[p])) for p in names)})"
    return out


def model_formula(entry: Mapping[str, Any]) -> str | list[str]:
    """The config entry's formula as the API takes it (a string, or the non-linear list)."""
    formula = list(entry["formula"])
    return formula[0] if len(formula) == 1 else formula


def lecture_header(name: str, entry: Mapping[str, Any]) -> str:
    """The comment that opens a generated lecture program."""
    priors = config_prior_strings(entry["priors"])
    prior_text = ", ".join(f"{k} {v}" for k, v in priors.items())
    return "\n".join(
        [
            f"// {name}: {entry.get('description', '')} (config/config.yaml, models.{name})",
            f"// brms: {', '.join(entry['formula'])}; family gaussian",
            f"// priors: {prior_text}",
            "// Generated, do not edit: the Stan code brms 2.18's make_stancode writes for this",
            "// formula (array syntax of Stan 2.33+), with each prior's parameters passed as data",
            "// (prior_*) and the pointwise log-likelihood (log_lik) added for LOO. Regenerate:",
            f"//   {COMMAND.format(name=name)}",
            "// tests/test_formula_lecture.py fails when this file differs from what it generates.",
        ]
    )


def lecture_program(name: str, entry: Mapping[str, Any], data: pd.DataFrame) -> str:
    """Return the Stan program of the config's model ``name`` (entry ``entry``) for ``data``.

    Raises:
        FormulaError, ModelInputError: as :func:`mlmpipe.formula.make_stancode`.
    """
    model = build_model(
        model_formula(entry), data, "gaussian", config_prior_strings(entry["priors"])
    )
    return stancode.generate(model, header=lecture_header(name, entry))
