"""The benchmark's own logic: reading Snakemake's log, moving a prior, the targets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mlmpipe.benchmark import table
from mlmpipe.benchmark.pipeline import move_prior
from mlmpipe.benchmark.timing import BenchmarkError, after_sampling, jobs_run, slowest_jobs

REPO = Path(__file__).resolve().parents[1]

LOG = """\
[Tue Dec  1 17:48:57 2026]
rule compile_model:
    input: stan/m5.stan
    jobid: 14
    wildcards: model=m5
[Tue Dec  1 17:48:58 2026]
localrule model_data:
    jobid: 7
    wildcards: model=m3
[Tue Dec  1 17:49:02 2026]
Finished jobid: 7 (Rule: model_data)
[Tue Dec  1 17:49:20 2026]
Finished jobid: 14 (Rule: compile_model)
[Tue Dec  1 17:49:20 2026]
rule sample_model:
    jobid: 19
    wildcards: model=m5
[Tue Dec  1 17:49:29 2026]
Finished jobid: 19 (Rule: sample_model)
[Tue Dec  1 17:49:29 2026]
rule posterior:
    jobid: 21
    wildcards: model=m5
[Tue Dec  1 17:49:35 2026]
Finished jobid: 21 (Rule: posterior)
[Tue Dec  1 17:49:35 2026]
localrule all:
    jobid: 0
[Tue Dec  1 17:49:35 2026]
Finished jobid: 0 (Rule: all)
"""


def test_the_slowest_jobs_come_from_the_log_longest_first():
    assert slowest_jobs(LOG) == [
        {"job": "compile_model (model=m5)", "seconds": 23.0},
        {"job": "sample_model (model=m5)", "seconds": 9.0},
        {"job": "posterior (model=m5)", "seconds": 6.0},
    ]
    assert jobs_run(LOG) == ["compile_model", "model_data", "sample_model", "posterior"]


def test_the_post_sampling_part_runs_from_the_last_sampler_to_the_last_job():
    assert after_sampling(LOG) == 6.0
    assert after_sampling(LOG.split("rule sample_model")[0]) is None


def test_a_prior_change_moves_the_location_of_m3s_intercept_prior_only(tmp_path):
    config = tmp_path / "config.yaml"
    shutil.copy(REPO / "config/config.yaml", config)
    before = config.read_text().splitlines()
    move_prior(config)
    after = config.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        ('      Intercept: "normal(0.5, 0.25)"', '      Intercept: "normal(0.55, 0.25)"')
    ]


def test_a_config_without_the_prior_is_named(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("models:\n  m3:\n    formula: y ~ 1\n")
    with pytest.raises(BenchmarkError, match="model m3 has no Intercept prior"):
        move_prior(config)


def test_targets_compare_ours_with_brms_within_one_run():
    found = {
        "pipeline": {"cold": {"wall": 60.0, "after_sampling": 12.0}, "no-op": {"wall": 1.5}},
        "brms": {"five_fits_seconds": 200.0, "models": {}},
        "models": {},
    }
    rows = {row["target"]: row for row in table.targets(found)}
    cold = rows["cold run through the report / brms's five fits"]
    assert cold["value"] == pytest.approx(0.3) and cold["met"] is True
    assert rows["no-op run"]["met"] is True
    assert rows["post-sampling part of the cold run"]["met"] is False
    assert rows["prior change in m3 / brms's refit of m3"]["met"] is None  # not measured
