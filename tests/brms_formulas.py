"""brms 2.18's own records of a suite of formulas (tests/reference/formulas/, made by
tests/reference/brms_formulas.R), and what the tests need to read them: the cases, their data
sets, a small reader of Stan programs' blocks and top-level declarations, and the digest the R
script writes for the lecture's data (which is never stored in full).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlm_data import MLM_CSV

REFERENCE = Path(__file__).resolve().parent / "reference"
SCRIPT = REFERENCE / "brms_formulas.R"
FIXTURES = REFERENCE / "formulas"


# ----------------------------------------------------------------------------- the cases


def index() -> dict[str, Any]:
    """``index.json``: the cases in the script's order, the sha256 of the script, of the
    lecture's data and of each synthetic data set, and the brms and rstan versions."""
    return json.loads((FIXTURES / "index.json").read_text())


def case_names() -> list[str]:
    """The recorded cases (empty before the script has run, so collection still works)."""
    path = FIXTURES / "index.json"
    return index()["cases"] if path.is_file() else []


@functools.cache
def record(name: str) -> dict[str, Any]:
    """One case's record: definition, stancode, standata, variables, log_prob, get_prior."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def uses_mlm(name: str) -> bool:
    return record(name)["definition"]["data"] == "mlm"


def dataset(name: str) -> pd.DataFrame:
    """The case's data set as the tests give it to mlmpipe.formula: the synthetic CSV the
    script wrote, or the lecture's mlm.csv (without the ``id.f`` column R adds: ``id.f`` is
    the formula's way to say "id as a factor")."""
    data = record(name)["definition"]["data"]
    path = MLM_CSV if data == "mlm" else FIXTURES / "data" / f"{data}.csv"
    return pd.read_csv(path)


def api_arguments(name: str) -> dict[str, Any]:
    """The case's keyword arguments for make_stancode, make_standata, variables, get_prior."""
    definition = record(name)["definition"]
    formula = definition["formula"]
    return {
        "formula": formula[0] if len(formula) == 1 else list(formula),
        "data": dataset(name),
        "family": definition["family"],
        "prior": dict(definition["prior"]) or None,
    }


def describe(name: str) -> str:
    """One line for messages: formula, family, priors, data set."""
    d = record(name)["definition"]
    prior = ", ".join(f"{k}={v}" for k, v in d["prior"].items()) or "brms defaults"
    return f"{' ; '.join(d['formula'])} [{d['family']}, {prior}, data {d['data']}]"


# ------------------------------------------------------------------------------- digests


def value_digest(values: Any) -> dict[str, Any]:
    """The R script's digest of one standata entry: sum, sum of squares, count, and the sha256
    of the values in row-major order, each formatted as ``%.8f`` after rounding to 1e-8 (and
    adding 0, so a negative zero prints as R prints it), joined by commas."""
    v = np.asarray(values, dtype=float).ravel(order="C")
    text = ",".join(f"{round(float(x), 8) + 0.0:.8f}" for x in v)
    return {
        "sum": float(v.sum()),
        "sumsq": float((v**2).sum()),
        "n": int(v.size),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


# ------------------------------------------------------------------------- Stan programs

BLOCKS = (
    "functions",
    "data",
    "transformed data",
    "parameters",
    "transformed parameters",
    "model",
    "generated quantities",
)
_BLOCK_START = re.compile(
    r"\b(functions|data|transformed\s+data|parameters|transformed\s+parameters|model"
    r"|generated\s+quantities)\s*\{"
)
_TYPES = (
    "int|real|complex|vector|row_vector|matrix|complex_vector|complex_row_vector|complex_matrix"
    "|simplex|unit_vector|sum_to_zero_vector|ordered|positive_ordered|cholesky_factor_corr"
    "|cholesky_factor_cov|corr_matrix|cov_matrix"
)
_DECLARATION = re.compile(rf"^(array\s*\[.*?\]\s*)?({_TYPES})\b")


def strip_comments(code: str) -> str:
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    return re.sub(r"//[^\n]*|#[^\n]*", "", code)


def _matching(code: str, start: int, open_: str = "{", close: str = "}") -> int:
    """Index of the bracket closing the one at ``start``."""
    depth = 0
    for i in range(start, len(code)):
        if code[i] == open_:
            depth += 1
        elif code[i] == close:
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced {open_}{close} in the Stan program")


def blocks(code: str) -> dict[str, str]:
    """The program's blocks, in its order, name -> body (comments removed)."""
    code = strip_comments(code)
    found: dict[str, str] = {}
    position = 0
    while match := _BLOCK_START.search(code, position):
        if code[position : match.start()].strip():
            raise ValueError(f"unexpected text between blocks: {code[position : match.start()]!r}")
        brace = match.end() - 1
        end = _matching(code, brace)
        found[re.sub(r"\s+", " ", match.group(1))] = code[brace + 1 : end]
        position = end + 1
    if code[position:].strip():
        raise ValueError(f"unexpected text after the last block: {code[position:].strip()!r}")
    return found


def nonempty_blocks(code: str) -> list[str]:
    return [name for name, body in blocks(code).items() if body.strip()]


def _top_level_statements(body: str) -> list[str]:
    """Statements at the block's top level; compound statements ({...}, loops, ifs) skipped."""
    statements, current, i = [], [], 0
    while i < len(body):
        c = body[i]
        if c == "{":
            i = _matching(body, i) + 1
            current = []  # the header (for, if, while) and its body are not declarations
            continue
        if c == "(":
            end = _matching(body, i, "(", ")")
            current.append(body[i : end + 1])
            i = end + 1
            continue
        if c == ";":
            statement = " ".join("".join(current).split())
            if statement:
                statements.append(statement)
            current = []
        else:
            current.append(c)
        i += 1
    return statements


def _split_top(text: str, sep: str) -> int:
    """Index of the first ``sep`` outside brackets, or -1."""
    depth = 0
    for i, c in enumerate(text):
        if c in "([<{":
            depth += 1
        elif c in ")]>}":
            depth -= 1
        elif c == sep and depth == 0:
            return i
    return -1


def declarations(body: str) -> dict[str, str]:
    """Top-level declarations of a block body, in order: name -> type in today's syntax,
    without spaces (``array[N] int<lower=1>``, ``vector<lower=0>[M_1]``). brms 2.18 writes
    rstan's old array syntax (``int J_1[N];``, ``vector[N_1] z_1[M_1];``), which is read as
    the same type."""
    found: dict[str, str] = {}
    for statement in _top_level_statements(body):
        if not _DECLARATION.match(statement):
            continue
        at = _split_top(statement, "=")
        head = (statement[:at] if at >= 0 else statement).strip()
        if head.endswith("]"):  # rstan's old syntax: the array's sizes follow the name
            bracket = _opening(head)
            name = re.search(r"([A-Za-z_]\w*)\s*$", head[:bracket]).group(1)
            base = head[:bracket].rstrip()[: -len(name)]
            kind = f"array[{head[bracket + 1 : -1]}] {base.strip()}"
        else:
            name = re.search(r"([A-Za-z_]\w*)$", head).group(1)
            kind = head[: -len(name)].strip()
        found[name] = re.sub(r"\s+", "", kind)
    return found


def _opening(text: str) -> int:
    """Index of the ``[`` that the final ``]`` of ``text`` closes."""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += text[i] == "]"
        depth -= text[i] == "["
        if depth == 0:
            return i
    raise ValueError(f"unbalanced [] in {text!r}")


def block_declarations(code: str) -> dict[str, dict[str, str]]:
    """Every block's top-level declarations: block -> {name: type}."""
    return {name: declarations(body) for name, body in blocks(code).items()}
