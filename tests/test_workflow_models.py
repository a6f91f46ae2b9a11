"""An instructor's own model in the config: planned, checked and fitted like the lecture's.

The dry runs check what a config with an added model plans and how bad input stops it
before any job (the message names the model, the term and the column); the slow test runs
only m6's per-model targets, with few iterations, in a scratch copy of the workflow."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from mlm_data import MLM_CSV, needs_mlm
from test_workflow import copy_workflow

pytestmark = needs_mlm

M6 = {
    "formula": "con ~ 1 + week * group + (1 + week | id)",
    "family": "gaussian",
    "priors": {
        "b": "normal(0, 1)",
        "Intercept": "normal(0.2, 0.5)",
        "sd": "exponential(1)",
        "sigma": "exponential(1)",
    },  # fmt: skip
    "iter": 2000,
    "warmup": 1000,
}


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """The workflow's sources in a scratch directory, as test_workflow.py copies them."""
    return copy_workflow(tmp_path)


def add_models(copy: Path, models: dict, **sections) -> dict:
    """Add ``models`` (and replace other sections) in the copy's config; return the config."""
    path = copy / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config["models"] |= models
    config |= sections
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return config


def snakemake_in(copy: Path, *args: str, data: Path = MLM_CSV, timeout: int = 900):
    config = ["--config", "data=" + json.dumps({"local_copy": str(data)})]
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *config, *args],
        cwd=copy, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_an_added_model_gets_a_generated_program_and_every_per_model_job(workflow_copy):
    add_models(workflow_copy, {"m6": M6}, loo_compare={"m3_m6": ["m3", "m6"]})
    targets = ["results/m6/loo.csv", "results/loo/compare_m3_m6.csv",
               "results/report/sections/model-m6"]  # fmt: skip
    result = snakemake_in(workflow_copy, "--dry-run", "--cores", "4", "--", *targets)
    plan = result.stdout + result.stderr
    assert result.returncode == 0, plan[-3000:]
    outputs = ["results/m6/model.stan", "results/build/m6/m6", "results/m6/data.json",
               "results/m6/fit", "results/m6/posterior.nc", "results/m6/summary.txt"]  # fmt: skip
    for output in outputs:
        assert output in plan
    assert "rule model_program" in plan and "stan/m6.stan" not in plan


@pytest.mark.parametrize(
    ("formula", "family", "expected"),
    [
        (
            "con ~ 1 + week + log(wave) + (1 | id)",
            "gaussian",
            'config: models.m7.formula: model m7: formula "con ~ 1 + week + log(wave) + (1 | '
            "id)\": at position 17: unsupported term 'log(wave)'",
        ),
        (
            "con ~ 1 + weeks + (1 | id)",
            "gaussian",
            "config: models.m7: model m7: formula \"con ~ 1 + weeks + (1 | id)\": term 'weeks': "
            "the data has no column 'weeks'",
        ),
        (
            "con ~ 1 + week + group + (1 | id)",
            "gaussian",
            'config: models.m7: model m7: formula "con ~ 1 + week + group + (1 | id)": '
            "term 'group': factor 'group' (column 'group') has 1 level (PD) in the rows used; a "
            "factor needs at least two",
        ),
        (
            "con ~ 1 + week + (1 | id)",
            "poisson",
            "config: models.m7: model m7: formula \"con ~ 1 + week + (1 | id)\": response 'con' "
            "(column 'con') has 0.1929; it must be a whole number >= 0 for family poisson",
        ),
    ],
)
def test_bad_input_stops_the_dry_run_naming_model_term_and_column(
    workflow_copy, tmp_path, formula, family, expected
):
    data = tmp_path / "mlm-one-group.csv"  # every person in group PD
    pd.read_csv(MLM_CSV).assign(group="PD").to_csv(data, index=False)
    add_models(workflow_copy, {"m7": {"formula": formula, "family": family, "iter": 20,
                                      "warmup": 10}})  # fmt: skip
    result = snakemake_in(workflow_copy, "--dry-run", "--cores", "1", data=data, timeout=300)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert not (workflow_copy / "results").exists() and not (workflow_copy / "data").exists()


def test_a_loo_group_of_models_fitted_to_other_rows_is_refused(workflow_copy):
    add_models(workflow_copy, {}, loo_compare={"m2_m3": ["m2", "m3"]})
    result = snakemake_in(workflow_copy, "--dry-run", "--cores", "1", timeout=300)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert (
        "config: loo_compare.m2_m3: m3 is fitted to 216 rows and m2 to 219 (they differ in 3 "
        "rows, the first data row"
    ) in said
    assert "LOO compares only models fitted to the same rows" in said


def test_a_checked_in_program_of_another_formula_is_refused(workflow_copy):
    config = yaml.safe_load((workflow_copy / "config/config.yaml").read_text())
    m3 = config["models"]["m3"] | {"formula": "con ~ 1 + week + (1 + week | id)"}
    add_models(workflow_copy, {"m3": m3})
    result = snakemake_in(workflow_copy, "--dry-run", "--cores", "1", timeout=300)
    assert result.returncode != 0
    assert (
        "config: models.m3: model m3: stan/m3.stan does not declare the data and parameters of "
        "its formula, family and priors' families"
    ) in result.stdout + result.stderr
    # a prior's value is data, and a comment is the user's: the same program
    program = workflow_copy / "stan" / "m3.stan"
    program.write_text(program.read_text().replace("model {", "// edited\nmodel {", 1))
    m3 = config["models"]["m3"] | {
        "priors": {**config["models"]["m3"]["priors"], "b": "normal(0, 3)"}
    }
    add_models(workflow_copy, {"m3": m3})
    result = snakemake_in(workflow_copy, "--dry-run", "--cores", "1", timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]


@pytest.mark.slow
def test_an_added_model_is_fitted_summarised_and_reported(workflow_copy, cmdstan_dir):
    add_models(workflow_copy, {"m6": M6 | {"iter": 300, "warmup": 150, "chains": 2}})
    targets = ["results/m6/posterior.nc", "results/m6/loo.csv",
               "results/report/sections/model-m6"]  # fmt: skip
    result = snakemake_in(workflow_copy, "--cores", "2", "--", *targets, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    m6 = workflow_copy / "results" / "m6"
    program = (m6 / "model.stan").read_text()
    assert "// brms: con ~ 1 + week * group + (1 + week | id); family gaussian" in program
    assert (workflow_copy / "results/build/m6/m6").is_file()
    variables = (m6 / "variables.txt").read_text().splitlines()
    assert variables[:8] == [
        "b_Intercept", "b_week", "b_groupPD", "b_week:groupPD", "sd_id__Intercept",
        "sd_id__week", "cor_id__Intercept__week", "sigma",
    ]  # fmt: skip
    assert "r_id[6,week]" in variables
    summary = (m6 / "summary.txt").read_text()
    assert "~id (Number of levels: 88)" in summary and "week:groupPD" in summary
    assert json.loads((m6 / "model_frame.json").read_text())["n_rows"] == 216
    assert "elpd_loo" in (m6 / "loo.txt").read_text()
    section = (workflow_copy / "results/report/sections/model-m6/section.md").read_text()
    assert "`m6` models `con` with the gaussian family" in section
    assert "normal(0.2, 0.5)" in section and "student_t(3, 0, 2.5)" not in section

    # a prior's values are data: re-sampled, neither regenerated nor recompiled; a prior's
    # family is code: both
    def planned_rules(priors: dict) -> set[str]:
        add_models(workflow_copy, {"m6": M6 | {"iter": 300, "warmup": 150, "chains": 2,
                                               "priors": M6["priors"] | priors}})  # fmt: skip
        plan = snakemake_in(workflow_copy, "--dry-run", "--cores", "2", "--", *targets)
        return set(re.findall(r"^rule (\w+):", plan.stdout + plan.stderr, re.MULTILINE))

    assert planned_rules({"Intercept": "normal(0.3, 0.5)"}) == {
        "model_data", "sample_model", "posterior", "report_model_section",
    }  # fmt: skip
    assert {"model_program", "compile_model"} <= planned_rules(
        {"Intercept": "student_t(3, 0.3, 0.5)"}
    )
