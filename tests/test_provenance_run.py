"""Where a job ran, in its provenance record's ``run`` section and the first line of its log:
locally, or as which SLURM job on which node. The section describes the run, not an input, so
the audit ignores it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

from mlmpipe.provenance import load_record, record_path, write_record
from mlmpipe.provenance.audit import audit
from mlmpipe.rulekit import rule_script
from mlmpipe.runinfo import describe_run, run_context

SLURM_ENV = {"SLURM_JOB_ID": "4711", "SLURMD_NODENAME": "node07", "PATH": "/usr/bin"}


def test_outside_slurm_the_run_is_local_with_no_job_id():
    context = run_context({"PATH": "/usr/bin"})
    assert context["executor"] == "local"
    assert context["slurm_job_id"] is None and context["slurm_node"] is None
    assert context["host"]
    assert describe_run(context) == f"running locally on host {context['host']}"


def test_in_a_slurm_job_the_run_names_the_job_id_and_node():
    context = run_context(SLURM_ENV)
    assert context["executor"] == "slurm"
    assert (context["slurm_job_id"], context["slurm_node"]) == ("4711", "node07")
    assert describe_run(context).startswith("running as SLURM job 4711 on node node07")


def test_a_node_name_without_a_job_id_is_not_a_slurm_run():
    assert run_context({"SLURMD_NODENAME": "node07"})["slurm_node"] is None


def test_the_record_of_an_output_made_in_a_slurm_job_names_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, value in SLURM_ENV.items():
        monkeypatch.setenv(name, value)
    Path("in.csv").write_text("a\n1\n")
    Path("out.csv").write_text("a\n2\n")
    write_record("out.csv", rule="step", inputs={"table": "in.csv"})
    run = load_record(record_path("out.csv"))["run"]
    assert run["executor"] == "slurm"
    assert (run["slurm_job_id"], run["slurm_node"]) == ("4711", "node07")


def test_the_audit_ignores_where_a_job_ran(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("in.csv").write_text("a\n1\n")
    Path("out.csv").write_text("a\n2\n")
    monkeypatch.setenv("SLURM_JOB_ID", "4711")
    sidecar = write_record("out.csv", rule="step", inputs={"table": "in.csv"})
    monkeypatch.delenv("SLURM_JOB_ID")
    record = json.loads(sidecar.read_text())
    record["run"] = {"executor": "elsewhere", "host": "x", "slurm_job_id": "1", "slurm_node": "y"}
    sidecar.write_text(json.dumps(record))
    entry = audit(["out.csv"]).entries[0]
    assert entry.status == "ok", entry


def test_a_rule_script_logs_where_it_runs_first(tmp_path, monkeypatch):
    for name, value in SLURM_ENV.items():
        monkeypatch.setenv(name, value)
    log = tmp_path / "step.log"
    job = SimpleNamespace(rule="step", log=[str(log)], output=[], input=[], params=None)
    with rule_script(job, record=False):
        logging.getLogger("mlmpipe").info("working")
    logging.shutdown()
    lines = log.read_text().splitlines()
    assert "rule step: running as SLURM job 4711 on node node07" in lines[0]
    assert lines[1].endswith("working")
