"""The Stan data of each model, built as brms's make_standata builds it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlm_data import require_mlm
from mlmpipe import models, standata
from mlmpipe.formula import FormulaError, ModelInputError

REPO = Path(__file__).resolve().parents[1]


def spec_from(entry: dict, name: str = "t") -> models.ModelSpec:
    """A ModelSpec from a config-style entry (iter/warmup defaulted)."""
    entry = {"iter": 20, "warmup": 10, **entry}
    return models.load_specs({"models": {name: entry}})[name]


@pytest.fixture(scope="module")
def config_specs() -> dict[str, models.ModelSpec]:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    return models.load_specs(config)


@pytest.fixture
def frame() -> pd.DataFrame:
    """Three people (ids out of order), one missing week, two groups."""
    return pd.DataFrame(
        {
            "id": [10, 10, 2, 2, 33, 33, 7],
            "group": ["PD", "PD", "CTRL", "CTRL", "PD", "PD", "CTRL"],
            "week": [0.0, 1.0, 0.0, 2.0, 0.0, 1.0, np.nan],
            "con": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
        }
    )


VARYING_SLOPES = {
    "formula": "con ~ 1 + week + (1 + week | id)",
    "priors": {
        "Intercept": "normal(0, 1)",
        "b": "normal(0, 1)",
        "sd": "exponential(1)",
        "sigma": "exponential(2)",
        "cor": "lkj(1)",
    },
}


def test_rows_with_a_missing_formula_variable_are_dropped_and_counted(frame):
    data = standata.build_model_data(spec_from(VARYING_SLOPES), frame)
    assert data.stan_data["N"] == 6
    assert data.frame.n_dropped == 1
    assert data.frame_record()["dropped_rows"] == [6]
    assert data.rows == (0, 1, 2, 3, 4, 5)
    # person 7 had only the dropped row: not a level of the model
    assert data.group_levels == (2, 10, 33)
    assert data.stan_data["N_1"] == 3


def test_group_levels_are_sorted_numerically_and_index_the_rows(frame):
    data = standata.build_model_data(spec_from(VARYING_SLOPES), frame)
    assert data.stan_data["J_1"] == [2, 2, 1, 1, 3, 3]
    assert data.stan_data["Z_1_1"] == [1.0] * 6
    assert data.stan_data["Z_1_2"] == [0.0, 1.0, 0.0, 2.0, 0.0, 1.0]
    assert data.stan_data["M_1"] == 2
    assert data.stan_data["NC_1"] == 1


def test_intercept_models_get_a_column_of_ones_first_in_X(frame):
    data = standata.build_model_data(spec_from(VARYING_SLOPES), frame)
    assert data.stan_data["K"] == 2
    assert [row[0] for row in data.stan_data["X"]] == [1.0] * 6
    assert [row[1] for row in data.stan_data["X"]] == [0.0, 1.0, 0.0, 2.0, 0.0, 1.0]
    assert data.coefficients == ("week",)


def test_intercept_only_formula_has_no_population_design(frame):
    spec = spec_from(
        {
            "formula": "con ~ 1 + (1 | id)",
            "priors": {
                "Intercept": "normal(0, 1.5)",
                "sd": "exponential(1)",
                "sigma": "exponential(1)",
            },
        }
    )
    data = standata.build_model_data(spec, frame)
    assert "X" not in data.stan_data and "K" not in data.stan_data
    # con ~ 1 + (1 | id) uses no week: person 7 and its row are kept
    assert data.stan_data["N"] == 7 and data.group_levels == (2, 7, 10, 33)


def test_zero_plus_week_plus_group_codes_every_group_level(frame):
    spec = spec_from(
        {
            "formula": "con ~ 0 + week + group + (1 | id)",
            "priors": {"b": "normal(0, 1)", "sd": "exponential(1)", "sigma": "exponential(1)"},
        }
    )
    data = standata.build_model_data(spec, frame)
    assert data.coefficients == ("week", "groupCTRL", "groupPD")
    x = np.asarray(data.stan_data["X"])
    assert x[:, 1].tolist() == [0, 0, 1, 1, 0, 0]  # groupCTRL
    assert x[:, 2].tolist() == [1, 1, 0, 0, 1, 1]  # groupPD
    assert data.frame.levels["group"] == ["CTRL", "PD"]


def test_priors_are_passed_as_data(frame):
    data = standata.build_model_data(spec_from(VARYING_SLOPES), frame)
    sd = data.stan_data
    assert (sd["prior_Intercept_mu"], sd["prior_Intercept_sigma"]) == (0.0, 1.0)
    assert sd["prior_sigma_rate"] == 2.0
    assert sd["prior_cor_eta"] == 1.0
    assert sd["prior_only"] == 0


def test_another_prior_family_is_other_stan_code_with_its_parameters_as_data(frame):
    entry = json.loads(json.dumps(VARYING_SLOPES))
    entry["priors"]["sd"] = "student_t(3, 0, 2.5)"
    data = standata.build_model_data(spec_from(entry, "m5"), frame)
    sd = data.stan_data
    assert (sd["prior_sd_nu"], sd["prior_sd_mu"], sd["prior_sd_sigma"]) == (3.0, 0.0, 2.5)
    assert "prior_sd_rate" not in sd


def test_a_class_left_out_gets_brms_default_and_an_unknown_key_is_named(frame):
    entry = json.loads(json.dumps(VARYING_SLOPES))
    del entry["priors"]["cor"]
    assert standata.build_model_data(spec_from(entry), frame).stan_data["prior_cor_eta"] == 1.0
    entry = json.loads(json.dumps(VARYING_SLOPES))
    entry["priors"]["sd_group"] = "exponential(1)"
    with pytest.raises(ModelInputError, match=r"^model t: .*prior 'sd_group' matches no param"):
        standata.build_model_data(spec_from(entry), frame)


def test_a_non_positive_prior_scale_is_refused(frame):
    entry = json.loads(json.dumps(VARYING_SLOPES))
    entry["priors"]["sigma"] = "exponential(0)"
    with pytest.raises(FormulaError, match="rate must be a finite positive number"):
        standata.build_model_data(spec_from(entry), frame)


def test_data_json_holds_what_the_program_declares_in_the_pipelines_order(frame):
    data = standata.build_model_data(spec_from(VARYING_SLOPES), frame)
    assert list(data.stan_data) == [
        "N", "Y", "K", "X", "N_1", "M_1", "J_1", "Z_1_1", "Z_1_2", "NC_1", "prior_only",
        "prior_b_mu", "prior_b_sigma", "prior_Intercept_mu", "prior_Intercept_sigma",
        "prior_sd_rate", "prior_cor_eta", "prior_sigma_rate",
    ]  # fmt: skip


def test_the_lectures_models_use_219_or_216_rows_and_91_or_88_people(config_specs):
    data = pd.read_csv(require_mlm())
    counts = {}
    for name, spec in config_specs.items():
        built = standata.build_model_data(spec, data)
        levels = built.group_levels if built.group_levels else built.frame.levels["id.f"]
        counts[name] = (built.stan_data["N"], len(levels), built.frame.n_dropped)
    assert counts == {
        "m1": (219, 91, 0),
        "m2": (219, 91, 0),
        "m3": (216, 88, 3),
        "m4": (216, 88, 3),
        "m5": (216, 88, 3),
    }


def test_model_data_files_are_written(tmp_path, frame):
    data = standata.build_model_data(spec_from(VARYING_SLOPES), frame)
    standata.write_model_data(data, tmp_path / "data.json", tmp_path / "model_frame.json")
    assert json.loads((tmp_path / "data.json").read_text())["N"] == 6
    record = json.loads((tmp_path / "model_frame.json").read_text(encoding="utf-8"))
    assert record["n_rows"] == 6 and record["n_dropped"] == 1
    assert record["levels"]["id"] == [2, 10, 33]
