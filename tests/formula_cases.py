"""The formula generator's cases and brms 2.18's own output for them (tests/reference/formula/).

``cases.json`` lists each case (formula, family, priors, data set); ``make_reference.R`` wrote
brms's ``make_stancode`` (``<name>.stan``), ``get_prior`` (``<name>.prior.csv``) and, for the
synthetic ``tiny.csv``, ``make_standata`` (``<name>.standata.json``). This module loads them,
and turns our program into what brms writes for the same priors (:func:`as_brms_writes_it`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from mlm_data import MLM_CSV, require_mlm

REFERENCE = Path(__file__).resolve().parent / "reference" / "formula"
CASES: list[dict[str, Any]] = json.loads((REFERENCE / "cases.json").read_text())
TINY_CSV = REFERENCE / "tiny.csv"


def case(name: str) -> dict[str, Any]:
    """The case called ``name``."""
    return next(c for c in CASES if c["name"] == name)


def case_data(c: dict[str, Any]) -> pd.DataFrame:
    """The case's data frame (the lecture's data set skips the test where it is missing)."""
    if c["data"] == "mlm":
        require_mlm()
        return pd.read_csv(MLM_CSV)
    return pd.read_csv(TINY_CSV)


def case_args(c: dict[str, Any]) -> tuple:
    """``(formula, data, family, prior)`` for the API functions."""
    formula = c["formula"][0] if len(c["formula"]) == 1 else c["formula"]
    return formula, case_data(c), c["family"], c["prior"] or None


def brms_code(name: str) -> str:
    """brms's make_stancode for the case, in today's array syntax (CmdStan 2.33+ needs it):
    ``int<lower=1> J_1[N];`` becomes ``array[N] int<lower=1> J_1;``."""
    code = (REFERENCE / f"{name}.stan").read_text().rstrip("\n") + "\n"
    code = re.sub(
        r"^(\s*)(int(?:<[^>]*>)?) (\w+)\[(\w+)\];", r"\1array[\4] \2 \3;", code, flags=re.M
    )
    code = re.sub(r"^(\s*)(vector\[\w+\]) (\w+)\[(\w+)\];", r"\1array[\4] \2 \3;", code, flags=re.M)
    return code


def r_number(value: float) -> str:
    """A number as brms writes it in Stan code (``3``, ``0.5``)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def as_brms_writes_it(code: str, standata: dict[str, Any]) -> str:
    """Our program with each prior's data replaced by its value, the prior data declarations
    and the ``log_lik`` addition removed and brms's header line: what brms writes."""
    lines = code.splitlines()
    lines[0] = "// generated with brms 2.18.0"
    lines = [ln for ln in lines if not re.match(r"\s*real(<lower=0>)? prior_\w+;", ln)]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("  vector[N] log_lik;"))
    lines = lines[:start] + lines[-1:]
    text = "\n".join(lines) + "\n"
    for name in sorted(
        (k for k in standata if k.startswith("prior_") and k != "prior_only"), key=len, reverse=True
    ):
        text = re.sub(rf"\b{name}\b", r_number(standata[name]), text)
    return text


def brms_standata(name: str) -> dict[str, Any]:
    """brms's make_standata for a tiny.csv case."""
    return json.loads((REFERENCE / f"{name}.standata.json").read_text())


def brms_prior_table(name: str) -> pd.DataFrame:
    """brms's get_prior for the case (without the user's priors, as get_prior 2.18 lists)."""
    return pd.read_csv(REFERENCE / f"{name}.prior.csv", keep_default_na=False, dtype=str)
