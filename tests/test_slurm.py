"""The pipeline on a real SLURM cluster: a single-node cluster started on this machine from
Debian's slurm-wlm and munge (tests/slurm_cluster.py), driven through ``profiles/slurm``.

One whole-pipeline run on the cluster, then:

- every job that is not a local rule ran as its own SLURM job: Snakemake says which SLURM job
  it submitted for which rule, the job's log begins with that job id and node, and the
  provenance record of what it made names them too;
- the draws, tables and figures equal those of the session's local run (``fitted_tree``, same
  config and seeds): byte for byte, except where a file carries when or where it was made
  (the draws of posterior.nc and CmdStan's CSVs are compared value by value, PNGs without
  their embedded record);
- the audit finds every record ok.

And two faults, each on the data stage only (``results/data/precis.csv``, two small jobs): a
job cancelled with ``scancel`` is reported and a rerun completes; a job that uses more memory
than it asked for is killed by SLURM, reported with its rule and SLURM's memory message, and
a rerun with the rule's own (larger) request completes.

Needs root and slurm-wlm/munge: skipped without them, but failing in CI (``CI`` set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import slurm_cluster
import xarray as xr
from mlmpipe.provenance import png_content_sha256
from test_end_to_end import MLM_CSV, REPO

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

PROFILE = REPO / "profiles" / "slurm"
INIT_SECONDS = 5
"""--slurm-init-seconds-before-status-checks: MinJobAge (slurm_cluster) is over 3 times this."""
LOCAL_RULES = {"download_data", "cmdstan_toolchain", "report_models_index"}
PRECIS = "results/data/precis.csv"


def _need_slurm() -> None:
    problems = []
    if os.geteuid() != 0:
        problems.append("it must run as root")
    missing = slurm_cluster.missing_commands()
    if missing:
        problems.append(f"{', '.join(missing)} missing (apt-get install slurm-wlm munge)")
    if problems:
        message = "a SLURM cluster cannot be started here: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def cluster():
    """A running single-node cluster, stopped (every daemon it started) after the module."""
    _need_slurm()
    started = slurm_cluster.start()
    yield started
    started.stop()


def snakemake_command(cluster, workdir: Path, *targets: str, options=()) -> list[str]:
    """The pipeline's command through the SLURM profile, in ``workdir``, with the local data.

    Without slurmdbd there is no sacct, so jobs are followed with squeue; the partition is
    the user's to give, here as the README says (the test cluster has no default one)."""
    return [
        sys.executable, "-m", "snakemake", *targets,
        "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(REPO / "config" / "config.yaml"),
        "--profile", str(PROFILE),
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", str(INIT_SECONDS),
        *options,
        "--config", "data=" + json.dumps({"local_copy": str(MLM_CSV)}),
        "--default-resources", f"slurm_partition={cluster.partition}",
    ]  # fmt: skip


def run_on_slurm(cluster, workdir: Path, *targets: str, options=(), timeout=3600):
    return subprocess.run(
        snakemake_command(cluster, workdir, *targets, options=options),
        env=cluster.env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def scratch(tmp_path_factory, name: str) -> Path:
    """A scratch directory with copies of the Stan programs, as the session's fitted tree."""
    workdir = tmp_path_factory.mktemp(name)
    shutil.copytree(REPO / "stan", workdir / "stan")
    return workdir


def submitted_jobs(stderr: str) -> dict[str, dict]:
    """SLURM job id -> {rule, log, output} of every job Snakemake submitted, from its output."""
    blocks: dict[str, dict] = {}
    current = None
    for line in stderr.splitlines():
        if m := re.match(r"^(local)?rule (\w+):$", line.strip()):
            current = {"rule": m.group(2), "local": bool(m.group(1)), "log": [], "output": []}
        elif current is not None and (m := re.match(r"^(log|output): (.*)$", line.strip())):
            current[m.group(1)] = [p.strip() for p in m.group(2).split(",")]
        elif current is not None and (m := re.match(r"^jobid: (\d+)$", line.strip())):
            blocks[m.group(1)] = current
        elif m := re.match(r"^Job (\d+) has been submitted with SLURM jobid (\d+)", line):
            blocks[m.group(1)]["slurm_job_id"] = m.group(2)
    return {b["slurm_job_id"]: b for b in blocks.values() if "slurm_job_id" in b} | {
        f"local:{i}": b for i, b in blocks.items() if b["local"]
    }


@pytest.fixture(scope="module")
def slurm_tree(cluster, tmp_path_factory):
    """The whole pipeline, run once on the cluster; returns (scratch dir, Snakemake's stderr)."""
    workdir = scratch(tmp_path_factory, "slurm-pipeline")
    started = time.monotonic()
    result = run_on_slurm(cluster, workdir)
    took = time.monotonic() - started
    assert result.returncode == 0, (
        f"the pipeline on SLURM failed after {took:.0f} s:\n{result.stderr[-6000:]}\n"
        f"slurmctld: {cluster.log('slurmctld')}"
    )
    return workdir, result.stderr


def test_every_job_ran_as_its_own_slurm_job(cluster, slurm_tree):
    workdir, stderr = slurm_tree
    jobs = submitted_jobs(stderr)
    on_slurm = {i: job for i, job in jobs.items() if not job["local"]}
    assert {job["rule"] for job in jobs.values() if job["local"]} == LOCAL_RULES | {"all"}
    assert not any(job["rule"] in LOCAL_RULES for job in on_slurm.values())
    rules = {job["rule"] for job in on_slurm.values()}
    assert {"sample_model", "figure", "report_section", "report_assemble"} <= rules
    planned = int(re.search(r"^total\s+(\d+)$", stderr, re.MULTILINE).group(1))
    assert len(on_slurm) == planned - len(LOCAL_RULES) - 1  # all but the local rules and `all`
    for slurm_id, job in on_slurm.items():
        log = workdir / job["log"][0]
        first = log.read_text().splitlines()[0]
        assert f"running as SLURM job {slurm_id} on node {cluster.node}" in first, (
            f"{job['rule']} {log}: {first}"
        )


def test_records_name_the_slurm_job_and_node_that_made_each_output(cluster, slurm_tree):
    workdir, stderr = slurm_tree
    made_by = {
        path: slurm_id
        for slurm_id, job in submitted_jobs(stderr).items()
        if not job["local"]
        for path in job["output"]
    }
    records = sorted((workdir / "results").rglob("*.prov.json"))
    checked = 0
    for sidecar in records:
        output = str(sidecar.relative_to(workdir))[: -len(".prov.json")]
        run = json.loads(sidecar.read_text())["run"]
        if output in made_by:
            assert run == {
                "executor": "slurm",
                "host": run["host"],
                "slurm_job_id": made_by[output],
                "slurm_node": cluster.node,
            }, output
            checked += 1
        else:
            assert run["executor"] == "local", output  # a local rule's, e.g. the toolchain's
    assert checked >= 60


def _draws(path: Path) -> dict[str, xr.Dataset]:
    """Every group of an InferenceData file, loaded (its attributes hold a creation time)."""
    import arviz as az

    idata = az.from_netcdf(path)
    return {group: idata[group].load() for group in idata.groups()}


def _csv_draws(path: Path) -> list[str]:
    """CmdStan's CSV without its comment lines (which hold paths and timings)."""
    return [line for line in path.read_text().splitlines() if not line.startswith("#")]


def compare_outputs(local: Path, other: Path) -> list[str]:
    """The differences between two runs' results/: files only one has, and files that differ.

    Records (``*.prov.json``) hold times and executors, so they are not compared; neither are
    CmdStan's console output (``fit/*-stdout.txt``: paths and timings), the compiled programs
    (``results/build``) or the rendered report (``results/report``, which prints the
    records). Every other file must be equal byte for byte, except
    posterior.nc (value by value: it carries its creation time), CmdStan's CSVs (their
    draws: comments hold paths and timings) and PNGs (without the embedded record).
    """

    def files(root: Path) -> set[str]:
        skip = ("results/build/", "results/report/")
        return {
            str(p.relative_to(root))
            for p in (root / "results").rglob("*")
            if p.is_file()
            and not p.name.endswith((".prov.json", "-stdout.txt"))
            and not str(p.relative_to(root)).startswith(skip)
        }

    ours, theirs = files(local), files(other)
    problems = [f"only in the local run: {p}" for p in sorted(ours - theirs)]
    problems += [f"only in the SLURM run: {p}" for p in sorted(theirs - ours)]
    for name in sorted(ours & theirs):
        a, b = local / name, other / name
        if name.endswith(".nc"):
            left, right = _draws(a), _draws(b)
            same = left.keys() == right.keys() and all(left[g].equals(right[g]) for g in left)
        elif "/fit/" in name and name.endswith(".csv"):
            same = _csv_draws(a) == _csv_draws(b)
        elif name.endswith(".png"):
            same = png_content_sha256(a) == png_content_sha256(b)
        else:
            same = a.read_bytes() == b.read_bytes()
        if not same:
            problems.append(f"differs: {name}")
    return problems


def test_draws_tables_and_figures_equal_the_local_runs(slurm_tree, fitted_tree):
    workdir, _ = slurm_tree
    assert compare_outputs(fitted_tree, workdir) == []
    # the comparison sees every kind of result
    names = {p.suffix for p in (workdir / "results").rglob("*") if p.is_file()}
    assert {".nc", ".parquet", ".csv", ".png", ".svg", ".json", ".txt"} <= names


def test_posteriors_are_compared_by_value_and_one_changed_draw_shows(slurm_tree, tmp_path):
    import arviz as az

    workdir, _ = slurm_tree
    original = workdir / "results/m1/posterior.nc"
    idata = az.from_netcdf(original)
    idata.to_netcdf(str(tmp_path / "same.nc"))
    assert _draws(tmp_path / "same.nc")["posterior"].equals(_draws(original)["posterior"])
    idata.posterior["sigma"].values[0, 0] += 1e-12
    idata.to_netcdf(str(tmp_path / "changed.nc"))
    assert not _draws(tmp_path / "changed.nc")["posterior"].equals(_draws(original)["posterior"])


def test_the_slurm_runs_records_audit_clean(slurm_tree):
    workdir, _ = slurm_tree
    audit = subprocess.run(
        [sys.executable, "-m", "mlmpipe", "audit", "results"],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr[-2000:]


# ------------------------------------------------------------------------------------ faults


def test_a_cancelled_job_is_reported_and_a_rerun_completes(cluster, tmp_path):
    process = subprocess.Popen(
        snakemake_command(cluster, tmp_path, PRECIS),
        env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    cancelled = None
    try:
        deadline = time.monotonic() + 600
        while cancelled is None and time.monotonic() < deadline and process.poll() is None:
            running = [i for i in cluster.job_ids() if cluster.job_state(i) == "RUNNING"]
            if running:
                cancelled = running[0]
                cluster.run("scancel", cancelled)
            time.sleep(0.2)
        _, stderr = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    assert cancelled is not None, "no job of the run was seen running"
    assert process.returncode != 0
    rule = submitted_jobs(stderr)[cancelled]["rule"]
    assert f"Error in rule {rule}:" in stderr
    assert f"SLURM-job '{cancelled}' failed, SLURM status is: 'CANCELLED'" in stderr
    assert cluster.job_state(cancelled) == "CANCELLED"

    rerun = run_on_slurm(cluster, tmp_path, PRECIS)
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    assert (tmp_path / PRECIS).is_file()


def test_a_job_over_its_memory_request_is_killed_naming_rule_and_memory(cluster, tmp_path):
    small = run_on_slurm(
        cluster, tmp_path, PRECIS, options=["--set-resources", "validate_data:mem_mb=64"]
    )
    assert small.returncode != 0
    jobs = submitted_jobs(small.stderr)
    failed = next(i for i, job in jobs.items() if job["rule"] == "validate_data")
    assert "Error in rule validate_data:" in small.stderr
    assert f"SLURM-job '{failed}' failed, SLURM status is: 'FAILED'" in small.stderr
    # the error names the job's SLURM log, in which SLURM says it killed the job for memory
    slurm_log = re.search(rf"log: .*, (\S+/{failed}\.log) \(check log", small.stderr).group(1)
    text = Path(slurm_log).read_text()
    assert f"StepId={failed}.batch exceeded memory limit" in text
    assert re.search(r"exceeded memory limit \(\d+ > 67108864\), being killed", text)
    assert "Exceeded job memory limit" in text
    assert not (tmp_path / "data/processed/mlm.parquet").exists()

    rerun = run_on_slurm(cluster, tmp_path, PRECIS)  # the rule's own request
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    assert (tmp_path / PRECIS).is_file()
