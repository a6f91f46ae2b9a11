"""The config's Stan programs (``stan/m1.stan`` ... ``stan/m5.stan``, and
``results/<name>/model.stan`` for a model without a checked-in program), generated from it.

Each model of the config's ``models`` section gives its brms formula, family and priors (brms
strings, ``"normal(0, 1.5)"``); :func:`lecture_program` turns them into the program
:func:`mlmpipe.formula.make_stancode` writes, under a header that says what it is and which
command regenerates it. The prior keys are the config's (``b``, ``Intercept``, ``sd``,
``sigma``, ``cor`` ...), so the programs read the data names :mod:`mlmpipe.standata` writes
(``prior_b_mu``, ``prior_sd_rate`` ...); for m1 the config's ``b`` is the prior of the
non-linear parameter's coefficients ``b_a``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mlmpipe.formula import stancode
from mlmpipe.formula.model import build_model
from mlmpipe.formula.priors import PRIOR_FAMILIES, parse_prior, r_number

COMMAND = (
    "python -m mlmpipe stancode --model {name} --data ../shared/data/mlm.csv "
    "--output stan/{name}.stan"
)


def config_prior_strings(priors: Mapping[str, Any]) -> dict[str, str]:
    """Return the config's priors as brms strings, as brms prints them (``"normal(0.50,
    0.25)"`` becomes ``"normal(0.5, 0.25)"``); an older config's ``{family: normal, mu: 0,
    sigma: 1.5}`` becomes ``"normal(0, 1.5)"`` (parameters in the family's order).

    Raises:
        FormulaError: a prior string cannot be read.
    """
    out: dict[str, str] = {}
    for key, entry in priors.items():
        if isinstance(entry, str):
            spec = parse_prior(entry, key)
            out[key] = spec.text or "flat"
            continue
        family = entry["family"]
        names = PRIOR_FAMILIES[family][0]
        out[key] = f"{family}({', '.join(r_number(float(entry[p])) for p in names)})"
    return out


def model_formula(entry: Mapping[str, Any]) -> str | list[str]:
    """The config entry's formula as the API takes it (a string, or the non-linear list)."""
    formula = entry["formula"]
    formula = [formula] if isinstance(formula, str) else list(formula)
    return formula[0] if len(formula) == 1 else formula


def formula_lines(entry: Mapping[str, Any]) -> list[str]:
    """The entry's formula as a list of lines."""
    formula = entry["formula"]
    return [formula] if isinstance(formula, str) else list(formula)


def lecture_header(name: str, entry: Mapping[str, Any], output: str = "") -> str:
    """The comment that opens a generated program (``output``: where it is written, when
    not ``stan/<name>.stan``)."""
    command = COMMAND.format(name=name)
    footer = "// tests/test_formula_lecture.py fails when this file differs from what it generates."
    if output and output != f"stan/{name}.stan":
        footer = (
            "// The pipeline regenerates it when the formula, family or a prior family changes."
        )
        command = command.replace(f"stan/{name}.stan", output)
    priors = config_prior_strings(entry.get("priors") or {})
    prior_text = ", ".join(f"{k} {v}" for k, v in priors.items()) or "brms's defaults"
    return "\n".join(
        [
            f"// {name}: {entry.get('description') or 'a model of the config'} "
            f"(config/config.yaml, models.{name})",
            f"// brms: {', '.join(formula_lines(entry))}; family {entry.get('family', 'gaussian')}",
            f"// priors: {prior_text}",
            "// Generated, do not edit: the Stan code brms 2.18's make_stancode writes for this",
            "// formula (array syntax of Stan 2.33+), with each prior's parameters passed as data",
            "// (prior_*) and the pointwise log-likelihood (log_lik) added for LOO. Regenerate:",
            f"//   {command}",
            footer,
        ]
    )


def lecture_program(
    name: str, entry: Mapping[str, Any], data: pd.DataFrame, output: str = ""
) -> str:
    """Return the Stan program of the config's model ``name`` (entry ``entry``) for ``data``.

    Raises:
        FormulaError, ModelInputError: as :func:`mlmpipe.formula.make_stancode`.
    """
    model = build_model(
        model_formula(entry),
        data,
        entry.get("family", "gaussian"),
        config_prior_strings(entry.get("priors") or {}),
    )
    return stancode.generate(model, header=lecture_header(name, entry, output))
