"""The lecture's programs stan/m1.stan ... m5.stan are what the generator writes from the config."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from mlm_data import MLM_CSV, needs_mlm
from mlmpipe import models, standata
from mlmpipe.formula import make_standata, variables
from mlmpipe.formula.lecture import COMMAND, config_prior_strings, lecture_program, model_formula

pytestmark = needs_mlm

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
LECTURE = ["m1", "m2", "m3", "m4", "m5"]


@pytest.fixture(scope="module")
def mlm() -> pd.DataFrame:
    return pd.read_csv(MLM_CSV)


@pytest.mark.parametrize("name", LECTURE)
def test_the_committed_program_is_the_generated_one(name, mlm):
    committed = (REPO / "stan" / f"{name}.stan").read_text()
    generated = lecture_program(name, CONFIG["models"][name], mlm)
    assert committed == generated, (
        f"stan/{name}.stan differs from what the generator writes; regenerate it with "
        + COMMAND.format(name=name)
    )


def test_the_configs_priors_read_as_the_lectures_brms_priors():
    assert config_prior_strings(CONFIG["models"]["m1"]["priors"]) == {
        "b": "normal(0, 1.5)",
        "sigma": "exponential(1)",
    }
    assert (
        config_prior_strings(CONFIG["models"]["m3"]["priors"])["Intercept"] == "normal(0.5, 0.25)"
    )


def data_names(program: str) -> list[str]:
    """The names the program's data block declares."""
    block = program.split("\ndata {\n", 1)[1].split("\n}\n", 1)[0]
    return re.findall(r"(\w+);", block)


@pytest.mark.parametrize("name", LECTURE)
def test_the_pipelines_stan_data_has_what_the_program_reads_with_the_generators_values(name, mlm):
    """mlmpipe.standata writes data.json for the pipeline: it gives the generated program every
    entry it declares, equal to make_standata's."""
    entry = CONFIG["models"][name]
    program = lecture_program(name, entry, mlm)
    ours = make_standata(
        model_formula(entry), mlm, "gaussian", config_prior_strings(entry["priors"])
    )
    pipeline = standata.build_model_data(models.load_specs(CONFIG)[name], mlm).stan_data
    for key in data_names(program):
        assert key in pipeline, key
        np.testing.assert_allclose(
            np.asarray(pipeline[key], float), np.asarray(ours[key], float), err_msg=key
        )


@pytest.mark.parametrize("name", LECTURE)
def test_variables_are_those_of_brms_fit_of_the_lecture_model(name, mlm):
    """tests/reference/brms_summary.csv lists every variable of brms's own fit, in its order."""
    entry = CONFIG["models"][name]
    brms = pd.read_csv(REPO / "tests" / "reference" / "brms_summary.csv")
    expected = brms.loc[brms["model"] == name, "variable"].tolist()
    ours = variables(model_formula(entry), mlm, "gaussian", config_prior_strings(entry["priors"]))
    assert ours == expected
