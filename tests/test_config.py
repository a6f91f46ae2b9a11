"""The configuration: config/config.yaml against workflow/schemas/config.schema.yaml, with
messages that name the key, checked on every run before any job starts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlmpipe.config import ConfigError, load_schema, validate_config

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = REPO_ROOT / "config" / "config.yaml"
SCHEMA_FILE = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"


def shipped_config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))


def problems_of(change: Callable[[dict[str, Any]], None]) -> str:
    """Return the ConfigError message for the shipped config after ``change``."""
    config = shipped_config()
    change(config)
    with pytest.raises(ConfigError) as caught:
        validate_config(config, SCHEMA_FILE)
    return str(caught.value)


def test_the_shipped_config_is_valid_and_gets_the_schema_defaults() -> None:
    config = shipped_config()
    config["data"].pop("groups", None)
    config["data"].pop("local_copy", None)
    validated = validate_config(config, SCHEMA_FILE)
    assert validated is config
    assert config["data"]["groups"] == ["CTRL", "PD"]
    assert config["data"]["local_copy"] is None


def test_every_section_of_the_config_is_described_in_the_schema() -> None:
    schema = load_schema(SCHEMA_FILE)
    assert set(shipped_config()) <= set(schema["properties"])
    for name, section in schema["properties"].items():
        assert section.get("description"), f"schema section {name} has no description"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        node[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        del node[last]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("models.m2.iter", "abc"), "config: models.m2.iter: 'abc' is not of type 'integer'"),
        (_drop("data.sha256"), "config: data.sha256: required key is missing"),
        (_set("data.sha256", "c4262801"), "config: data.sha256: 'c4262801' does not match"),
        (_set("data.url", "ftp://example.org/mlm.csv"), "config: data.url: 'ftp://"),
        (_set("data.retries", -1), "config: data.retries: -1 is less than the minimum of 0"),
        (_set("models.m2.itr", 3), "config: models.m2.itr: unknown key (expected one of: formula"),
        (_set("datas", {}), "config: datas: unknown key (expected one of: data, sampling"),
        (
            _set("models.m2.priors.sd", "foo(0, 1)"),
            "config: models.m2.priors: model m2: prior sd='foo(0, 1)': unsupported distribution "
            "'foo'",
        ),
        (
            _set("models.m2.priors.sd", "normal(0, 1, 1)"),
            "config: models.m2.priors: model m2: prior sd='normal(0, 1, 1)': normal takes 2 "
            "argument(s) (mu, sigma), not 3",
        ),
        (
            _set("models.m5.priors.cor", "lkj()"),
            "config: models.m5.priors: model m5: prior cor='lkj()': lkj takes 1 argument(s)",
        ),
        (
            _set("models.m3.priors.sigma", "exponential(0)"),
            "config: models.m3.priors: model m3: prior sigma='exponential(0)': rate must be a "
            "finite positive number",
        ),
        (
            _set("models.m3.priors.sigma", {"family": "exponential", "rate": 1}),
            "config: models.m3.priors.sigma: {'family': 'exponential', 'rate': 1} is not of type "
            "'string'",
        ),
        (
            _set("models.m3.priors.slope", "normal(0, 1)"),
            "config: models.m3.priors.slope: not a valid key",
        ),
        (
            _set("models.m3.formula", "con ~ 1 + log(week) + (1 | id)"),
            'config: models.m3.formula: model m3: formula "con ~ 1 + log(week) + (1 | id)": at '
            "position 10: unsupported term 'log(week)'",
        ),
        (
            _set("models.m3.family", "weibull"),
            "config: models.m3.family: 'weibull' is not one of ['gaussian', 'student'",
        ),
        (
            _set("models.m3.response", "con"),
            "config: models.m3.response: unknown key (expected one of: formula, family",
        ),
        (_set("sampling.adapt_delta", 1.2), "config: sampling.adapt_delta: 1.2 is greater than"),
        (_set("models.m4.warmup", 5000), "config: models.m4.warmup: 5000 must be less than"),
        (_set("loo_compare.m1_m2", ["m1", "m9"]), "config: loo_compare.m1_m2[1]: 'm9' is not a"),
        (_set("highlight.people", [6, "x"]), "config: highlight.people[1]: 'x' is not of type"),
        (_set("figures.palette", ["red"]), "config: figures.palette[0]: 'red' does not match"),
        (_set("diagnostics.fail_run", "maybe"), "config: diagnostics.fail_run: 'maybe' is not of"),
    ],
)
def test_an_invalid_config_is_reported_by_key(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    assert expected in problems_of(change)


def test_all_problems_are_reported_at_once() -> None:
    def change(config: dict[str, Any]) -> None:
        config["models"]["m2"]["iter"] = "abc"
        del config["data"]["sha256"]

    message = problems_of(change)
    assert message.startswith("invalid configuration (2 problems):")
    assert "data.sha256" in message and "models.m2.iter" in message


def test_numbers_given_as_strings_on_the_command_line_are_read_as_numbers() -> None:
    # Snakemake passes `--config 'data={"retries": 0}'` on as {"data": {"retries": "0"}}.
    config = shipped_config()
    config["data"].update(retries="0", backoff_seconds="0.5")
    config["diagnostics"]["fail_run"] = "true"
    validate_config(config, SCHEMA_FILE)
    assert (config["data"]["retries"], config["data"]["backoff_seconds"]) == (0, 0.5)
    assert config["diagnostics"]["fail_run"] is True
    assert "config: models.m2.iter: 'two' is not of type 'integer'" in problems_of(
        _set("models.m2.iter", "two")
    )


def test_defaults_never_share_a_list_between_configs() -> None:
    first, second = shipped_config(), shipped_config()
    for config in (first, second):
        config["data"].pop("groups", None)
        validate_config(config, SCHEMA_FILE)
    first["data"]["groups"].append("OTHER")
    assert second["data"]["groups"] == ["CTRL", "PD"]


def test_snakemake_stops_before_any_job_on_an_invalid_config(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "snakemake", "--cores", "1", "--snakefile",
            str(REPO_ROOT / "Snakefile"), "--directory", str(tmp_path), "--configfile",
            str(CONFIG_FILE), "--config", 'models={"m2": {"iter": "abc"}}',
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert "config: models.m2.iter: 'abc' is not of type 'integer'" in result.stderr
    assert "rule " not in result.stdout + result.stderr.split("invalid configuration")[0]
    assert not (tmp_path / "data").exists() and not (tmp_path / "results").exists()
