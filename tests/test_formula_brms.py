"""mlmpipe.formula against brms 2.18 itself, case by case.

The fixtures in tests/reference/formulas/ are brms's own make_stancode, make_standata,
variables, get_prior and rstan's log density with its gradient at three unconstrained points,
for a suite of formulas, families, priors and data sets (tests/reference/brms_formulas.R made
them; README: "brms fixtures for mlmpipe.formula"). For every case this module asks
mlmpipe.formula the same questions:

- the generated program declares brms's parameters, in brms's order, with brms's types (so
  the unconstrained vector has brms's layout), has brms's blocks, declares every data entry
  brms declares with the same type (it may add ``prior_*`` entries), and brms's transformed
  parameters and generated quantities, plus ``log_lik``;
- make_standata has brms's entries with brms's dims and values (digests for the lecture's
  data set, whose values the fixtures never hold);
- variables() is brms's variables(fit), in order; get_prior() is brms's get_prior() table;
- (slow: compiles each program once) the log density with the Jacobian and its gradient at
  the same unconstrained points as rstan::log_prob, to a relative 1e-8.

A case mlmpipe.formula cannot do yet fails (an ImportError or FormulaError included): these
tests show what is not yet verified, they never skip it. Only the lecture's data set may be
missing (``needs_mlm``: skipped on a developer's machine, a failure in CI).
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from brms_formulas import (
    FIXTURES,
    SCRIPT,
    api_arguments,
    block_declarations,
    case_names,
    describe,
    index,
    nonempty_blocks,
    record,
    uses_mlm,
    value_digest,
)
from mlm_data import MLM_SHA256, needs_mlm

CASES = case_names()
RTOL = 1e-8


def case_params(cases=None):
    """One pytest param per case, the lecture's data cases marked ``needs_mlm``."""
    return [pytest.param(name, id=name, marks=[needs_mlm] if uses_mlm(name) else [])
            for name in (CASES if cases is None else cases)]  # fmt: skip


# ------------------------------------------------------------------- the fixtures themselves


def test_fixtures_were_made_by_todays_script():
    recorded = index()
    assert recorded["script_sha256"] == hashlib.sha256(SCRIPT.read_bytes()).hexdigest(), (
        "tests/reference/brms_formulas.R changed since the fixtures were made: rerun it "
        "(README: brms fixtures for mlmpipe.formula)"
    )
    assert recorded["mlm_sha256"] == MLM_SHA256
    assert recorded["brms"] == "2.18.0"
    for name, sha in recorded["data"].items():
        path = FIXTURES / "data" / f"{name}.csv"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, f"{path} was edited"
    for name in recorded["cases"]:
        assert record(name)["case"] == name
        assert record(name)["versions"]["brms"] == "2.18.0"


def test_the_suite_covers_every_feature_of_the_formula_language():
    definitions = [record(name)["definition"] for name in CASES]
    formulas = " ; ".join(" ; ".join(d["formula"]) for d in definitions)
    assert len(CASES) >= 20
    assert {d["family"] for d in definitions} == {
        "gaussian", "student", "bernoulli", "binomial", "poisson"}  # fmt: skip
    for feature in (
        "~ 1",
        "~ 0 +",
        "+ x",
        ":",
        "*",
        "(1 | g)",
        "(1 + x | g)",
        "(1 + x || g)",
        "(0 + x | g)",
        "school/class",
        "| trials(n)",
        "nl",
        "a ~ 0 + id.f",
    ):
        if feature == "nl":
            assert any(len(d["formula"]) > 1 for d in definitions)
        else:
            assert feature in formulas, feature
    assert any(not d["prior"] for d in definitions)  # brms's defaults
    assert any(d["prior"] for d in definitions)
    assert {"m1", "m2", "m3", "m4", "m5", "issue_week_by_group"} <= set(CASES)


def test_the_lecture_data_is_kept_as_digests_only():
    for name in CASES:
        if uses_mlm(name):
            for entry, described in record(name)["standata"].items():
                assert "values" not in described or described["dims"] == [], (name, entry)


# ------------------------------------------------------------- what mlmpipe.formula makes


@functools.cache
def stancode(name: str) -> str:
    from mlmpipe.formula import make_stancode

    return make_stancode(**api_arguments(name))


@functools.cache
def standata(name: str) -> dict:
    from mlmpipe.formula import make_standata

    return make_standata(**api_arguments(name))


def brms_code(name: str) -> str:
    return record(name)["stancode"]


# ------------------------------------------------------------------------- the Stan program


@pytest.mark.parametrize("name", case_params())
def test_parameters_are_brms_parameters_in_brms_order(name):
    ours = block_declarations(stancode(name)).get("parameters", {})
    theirs = block_declarations(brms_code(name)).get("parameters", {})
    assert list(ours.items()) == list(theirs.items()), (
        f"{describe(name)}: parameters (name: type)\n ours: {ours}\n brms: {theirs}"
    )


@pytest.mark.parametrize("name", case_params())
def test_program_has_brms_blocks(name):
    ours = [b for b in nonempty_blocks(stancode(name)) if b != "generated quantities"]
    theirs = [b for b in nonempty_blocks(brms_code(name)) if b != "generated quantities"]
    assert ours == theirs, f"{describe(name)}: non-empty blocks\n ours: {ours}\n brms: {theirs}"


@pytest.mark.parametrize("name", case_params())
def test_data_block_declares_brms_data_and_only_priors_besides(name):
    ours = block_declarations(stancode(name)).get("data", {})
    theirs = block_declarations(brms_code(name)).get("data", {})
    missing = {k: v for k, v in theirs.items() if k not in ours}
    different = {k: (ours[k], v) for k, v in theirs.items() if k in ours and ours[k] != v}
    extra = [k for k in ours if k not in theirs and not k.startswith("prior_")]
    assert not (missing or different or extra), (
        f"{describe(name)}: data block\n missing (brms's type): {missing}\n"
        f" different types (ours, brms's): {different}\n extra, not prior_*: {extra}"
    )


@pytest.mark.parametrize("name", case_params())
@pytest.mark.parametrize("block", ["transformed data", "transformed parameters",
                                   "generated quantities"])  # fmt: skip
def test_program_declares_what_brms_declares(name, block):
    ours = block_declarations(stancode(name)).get(block, {})
    theirs = block_declarations(brms_code(name)).get(block, {})
    missing = {k: v for k, v in theirs.items() if k not in ours}
    different = {k: (ours[k], v) for k, v in theirs.items() if k in ours and ours[k] != v}
    assert not (missing or different), (
        f"{describe(name)}: {block}\n missing (brms's type): {missing}\n"
        f" different types (ours, brms's): {different}"
    )
    if block == "generated quantities":
        assert ours.get("log_lik") in ("vector[N]", "array[N]real"), (
            f"{describe(name)}: no log_lik (vector[N]) in generated quantities: {ours}"
        )


# ------------------------------------------------------------------------------ the data


@pytest.mark.parametrize("name", case_params())
def test_standata_matches_brms(name):
    ours = standata(name)
    theirs = record(name)["standata"]
    problems = []
    missing = [k for k in theirs if k not in ours]
    extra = [k for k in ours if k not in theirs and not k.startswith("prior_")]
    if missing or extra:
        problems.append(f"missing entries: {missing}; extra entries (not prior_*): {extra}")
    for key, expected in theirs.items():
        if key not in ours:
            continue
        value = np.asarray(ours[key])
        if list(value.shape) != expected["dims"]:
            problems.append(f"{key}: dims {list(value.shape)}, brms {expected['dims']}")
            continue
        if "values" in expected:
            want = np.asarray(expected["values"], dtype=float).reshape(value.shape)
            if not np.allclose(value.astype(float), want, rtol=1e-12, atol=1e-12):
                bad = np.flatnonzero(~np.isclose(value.astype(float), want, 1e-12, 1e-12))
                problems.append(
                    f"{key}: {bad.size} values differ, first at flat index "
                    f"{bad[0]}: {value.ravel()[bad[0]]} (brms {want.ravel()[bad[0]]})"
                )
        else:
            digest = value_digest(value)
            if digest["sha256"] != expected["digest"]["sha256"]:
                problems.append(
                    f"{key}: values differ (sum {digest['sum']:.8g}, brms "
                    f"{expected['digest']['sum']:.8g}; sum of squares {digest['sumsq']:.8g}, "
                    f"brms {expected['digest']['sumsq']:.8g})"
                )
    assert not problems, f"{describe(name)}: make_standata\n " + "\n ".join(problems)


# ----------------------------------------------------------------- variables and priors


@pytest.mark.parametrize("name", case_params())
def test_variables_are_brms_variables_in_order(name):
    from mlmpipe.formula import variables

    ours = list(variables(**api_arguments(name)))
    theirs = record(name)["variables"]
    assert ours == theirs, (
        f"{describe(name)}: variables\n missing: {[v for v in theirs if v not in ours]}\n"
        f" extra: {[v for v in ours if v not in theirs]}\n ours: {ours}\n brms: {theirs}"
    )


PRIOR_COLUMNS = ["prior", "class", "coef", "group", "nlpar", "source"]


@pytest.mark.parametrize("name", case_params())
def test_get_prior_is_brms_default_prior_table(name):
    from mlmpipe.formula import get_prior

    arguments = api_arguments(name) | {"prior": None}
    ours = get_prior(**arguments)
    missing_columns = [c for c in PRIOR_COLUMNS if c not in ours.columns]
    assert not missing_columns, f"get_prior has no columns {missing_columns}: {list(ours)}"
    ours = ours[PRIOR_COLUMNS].fillna("").astype(str)
    theirs = pd.DataFrame(record(name)["get_prior"])[PRIOR_COLUMNS]
    rows = [tuple(r) for r in ours.itertuples(index=False)]
    expected = [tuple(r) for r in theirs.itertuples(index=False)]
    # the rows as a multiset: brms's row order follows its internals, not the model
    assert sorted(rows) == sorted(expected), (
        f"{describe(name)}: get_prior ({', '.join(PRIOR_COLUMNS)}; rows in any order)\n"
        f" missing: {[r for r in expected if r not in rows]}\n"
        f" extra: {[r for r in rows if r not in expected]}\n"
        f" ours:\n{ours.to_string()}\n brms:\n{theirs.to_string()}"
    )


# ------------------------------------------------------- the log density and its gradient


@pytest.fixture(scope="session")
def compiled(cmdstan_dir, tmp_path_factory):
    """Our programs compiled once per session, by content: sha256 of the code -> executable."""
    import cmdstanpy

    folder = tmp_path_factory.mktemp("formula_programs")
    cache: dict[str, Path] = {}

    def executable(code: str) -> Path:
        key = hashlib.sha256(code.encode()).hexdigest()[:16]
        if key not in cache:
            stan_file = folder / f"p{key}.stan"
            stan_file.write_text(code)
            cache[key] = Path(cmdstanpy.CmdStanModel(stan_file=stan_file).exe_file)
        return cache[key]

    return executable


def log_prob(exe: Path, data: dict, points: list[list[float]], folder: Path) -> pd.DataFrame:
    """Our driver's ``method=log_prob`` (with the Jacobian) at the unconstrained points: one
    row per point, lp__ and the gradient (g_<name>), at CmdStan's full 18 significant digits."""
    from cmdstanpy.utils import write_stan_json

    write_stan_json(str(folder / "data.json"), data)
    (folder / "upars.json").write_text(json.dumps({"params_r": points}))
    done = subprocess.run(
        [str(exe), "method=log_prob", f"unconstrained_params={folder / 'upars.json'}",
         "jacobian=1", "data", f"file={folder / 'data.json'}",
         "output", f"file={folder / 'lp.csv'}", "sig_figs=18"],
        capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return pd.read_csv(folder / "lp.csv", comment="#")


@pytest.mark.slow
@pytest.mark.parametrize("name", case_params())
def test_log_density_and_gradient_match_rstan(name, compiled, tmp_path):
    expected = record(name)["log_prob"]
    data = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in standata(name).items()}  # fmt: skip
    table = log_prob(compiled(stancode(name)), data, [p["upars"] for p in expected], tmp_path)
    assert len(table) == len(expected)
    for i, point in enumerate(expected):
        row = table.iloc[i].to_numpy(dtype=float)
        lp, gradient = row[0], row[1:]
        want = np.asarray(point["gradient"], dtype=float)
        assert gradient.size == want.size == record(name)["num_upars"], (
            f"{describe(name)}: {gradient.size} unconstrained parameters, brms {want.size}"
        )
        assert lp == pytest.approx(point["lp"], rel=RTOL), (
            f"{describe(name)}: point {i + 1}: log density {lp!r}, rstan {point['lp']!r} "
            f"(difference {lp - point['lp']:.6g})"
        )
        close = np.isclose(gradient, want, rtol=RTOL, atol=RTOL * max(1.0, np.abs(want).max()))
        assert close.all(), f"{describe(name)}: point {i + 1}: gradient differs at " + ", ".join(
            f"{table.columns[j + 1]} {gradient[j]:.10g} (rstan {want[j]:.10g})"
            for j in np.flatnonzero(~close)[:8]
        )


# ------------------------------------------------------------ the fixtures are brms's today


def _differences(new, old, path="") -> list[str]:
    """Where two records differ; numbers in log_prob may differ by a relative 1e-10 (another
    compiler's rounding), everything else must be identical."""
    if isinstance(old, dict) and isinstance(new, dict):
        if list(new) != list(old):
            return [f"{path}: keys {list(new)} != {list(old)}"]
        return [d for k in old for d in _differences(new[k], old[k], f"{path}/{k}")]
    if isinstance(old, list) and isinstance(new, list):
        if len(new) != len(old):
            return [f"{path}: {len(new)} items != {len(old)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(new, old, strict=True))
            for d in _differences(a, b, f"{path}/{i}")
        ]
    numbers = (int, float)
    if ("/log_prob/" in path and isinstance(old, numbers) and isinstance(new, numbers)
            and not isinstance(old, bool)):  # fmt: skip
        return [] if abs(new - old) <= 1e-10 * max(1.0, abs(old)) else [f"{path}: {new} != {old}"]
    return [] if new == old else [f"{path}: {new!r} != {old!r}"]


@pytest.mark.brms
@pytest.mark.slow
def test_the_script_reproduces_the_committed_fixtures(tmp_path):
    import shutil

    from mlm_data import require_mlm

    hint = ("install R and brms 2.18 (Debian: apt-get install r-cran-brms), then from the "
            "repository root: nice Rscript tests/reference/brms_formulas.R")  # fmt: skip
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip(f"R is not installed: {hint}")
    probe = subprocess.run([rscript, "-e", "cat(as.character(packageVersion('brms')))"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"R has no brms: {hint}")
    data = require_mlm()
    command = ["nice", rscript, str(SCRIPT), "--mlm", str(data), "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=4 * 3600,
                          cwd=FIXTURES.parents[2])  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    committed = sorted(p.relative_to(FIXTURES) for p in FIXTURES.rglob("*") if p.is_file())
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert made == committed, "the script makes other files than the committed ones"
    stale = []
    for relative in committed:
        old, new = (FIXTURES / relative).read_bytes(), (tmp_path / relative).read_bytes()
        if old == new:
            continue
        if relative.suffix != ".json" or relative.name == "index.json":
            stale.append(f"{relative}: differs")
            continue
        stale += [f"{relative}{d}" for d in _differences(json.loads(new), json.loads(old))]
    assert not stale, "the committed fixtures are stale; rerun the script:\n" + "\n".join(
        stale[:40]
    )
