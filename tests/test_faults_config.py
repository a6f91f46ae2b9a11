"""Fault suite: a bad config stops the real pipeline before any job runs, naming the key.

Each case runs `snakemake` (the repository's Snakefile and config, one value overridden with
--config as a user would) in an empty scratch directory with the lecture's data as the local
copy, and checks the message and that nothing was made."""

from __future__ import annotations

import json

import pytest
from faults import MLM_CSV, REPO, assert_no_partial_files, run

pytestmark = pytest.mark.faults

CASES = [
    pytest.param(
        ["loo_compare={'m3_m4_m5': ['m3', 'm4', 'm7']}"],
        "config: loo_compare.m3_m4_m5[2]: 'm7' is not a model (models: m1, m2, m3, m4, m5)",
        id="unknown-model-in-loo_compare",
    ),
    pytest.param(
        ["lecture={'partial_pooling': 'm9'}"],
        "config: lecture.partial_pooling: 'm9' is not a model (models: m1, m2, m3, m4, m5)",
        id="unknown-model-in-lecture",
    ),
    pytest.param(
        ["models={'m3': {'stan': 'stan/nowhere.stan'}}"],
        "config: models.m3.stan: the Stan program stan/nowhere.stan does not exist",
        id="missing-stan-file",
    ),
    pytest.param(
        ["models={'m2': {'priors': {'sd': 'exponential(-1)'}}}"],
        "config: models.m2.priors: model m2: prior sd='exponential(-1)': rate must be a finite "
        "positive number",
        id="negative-prior-rate",
    ),
    pytest.param(
        ["models={'m3': {'priors': {'b': 'normal(0, -0.5)'}}}"],
        "config: models.m3.priors: model m3: prior b='normal(0, -0.5)': sigma must be a finite "
        "positive number",
        id="negative-prior-scale",
    ),
    pytest.param(
        ["sampling={'seed': 1.5}"],
        "config: sampling.seed: '1.5' is not of type 'integer'",
        id="non-integer-seed",
    ),
    pytest.param(
        ["models={'m4': {'seed': 'nine'}}"],
        "config: models.m4.seed: 'nine' is not of type 'integer'",
        id="seed-as-word",
    ),
    pytest.param(
        ["sampling={'chains': 0}"],
        "config: sampling.chains: 0 is less than the minimum of 1",
        id="zero-chains",
    ),
    pytest.param(
        ["models={'m5': {'adapt_delta': 1}}"],
        "config: models.m5.adapt_delta: 1 is greater than or equal to the maximum of 1",
        id="adapt_delta-one",
    ),
    pytest.param(
        ["sampling={'adapt_delta': 0}"],
        "config: sampling.adapt_delta: 0 is less than or equal to the minimum of 0",
        id="adapt_delta-zero",
    ),
    pytest.param(
        ["models={'m2': {'warmup': 2000}}"],
        "config: models.m2.warmup: 2000 must be less than models.m2.iter (2000)",
        id="warmup-not-below-iter",
    ),
    pytest.param(
        ["highlight={'predictions': [146, 137, 100000]}"],
        "config: highlight.predictions[2]: id 100000 is not in the data (91 people",
        id="highlighted-id-not-in-data",
    ),
    pytest.param(
        ["highlight={'trajectories': [146, 3]}"],
        "config: highlight.trajectories[1]: id 3 is not in the data",
        id="trajectory-id-not-in-data",
    ),
]


def _as_json(override: str) -> str:
    """`key={python literal}` as Snakemake's --config wants it (JSON inside)."""
    key, _, value = override.partition("=")
    return f"{key}={json.dumps(eval(value))}"  # noqa: S307 - literals of this file only


@pytest.mark.parametrize(("overrides", "message"), CASES)
def test_a_bad_config_stops_before_any_job_naming_the_key(tmp_path, overrides, message):
    result = run(tmp_path, "--cores", "1", config=map(_as_json, overrides))
    assert result.returncode != 0
    assert "invalid configuration" in result.stderr
    assert message in result.stderr
    assert "Building DAG of jobs" not in result.stdout + result.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "data").exists()
    assert_no_partial_files(tmp_path)


def test_a_plain_http_or_file_url_is_refused_for_the_data(tmp_path):
    for url in ("http://example.org/mlm.csv", f"file://{MLM_CSV}"):
        result = run(tmp_path, "--cores", "1", data={"url": url, "local_copy": None})
        assert result.returncode != 0
        assert f"config: data.url: '{url}' does not match '^https://'" in result.stderr
    assert not (tmp_path / "data").exists()


def test_yaml_tags_that_run_code_are_refused(tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.yaml"
    evil.write_text(
        f"draws: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    result = run(tmp_path, "--cores", "1", configfiles=[REPO / "config/config.yaml", evil])
    assert result.returncode != 0
    assert "Config file is not valid JSON or YAML" in result.stderr
    assert not marker.exists()
