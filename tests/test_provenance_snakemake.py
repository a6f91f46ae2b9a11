"""Recording a Snakemake job's outputs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from mlmpipe.provenance import (
    ProvenanceError,
    load_record,
    record_snakemake_outputs,
)


def test_record_snakemake_outputs_skips_logs_records_and_other_kinds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("t.csv", "x.pkl", "t.csv.prov.json", "job.log", "in.txt"):
        Path(name).write_text("1\n")
    job = SimpleNamespace(
        rule="demo",
        input=["in.txt"],
        output=["t.csv", "x.pkl", "t.csv.prov.json", "job.log"],
        params=[],
        wildcards=[],
        log=["job.log"],
        config={"a": {"b": 1}},
    )
    written = record_snakemake_outputs(job, config_keys=("a",))
    assert written == [Path("t.csv.prov.json")]
    assert load_record("t.csv.prov.json")["config"]["sections"] == {"a": {"b": 1}}
    assert record_snakemake_outputs(job, all_outputs=True) == [
        Path("t.csv.prov.json"),
        Path("x.pkl.prov.json"),
    ]
    with pytest.raises(ProvenanceError, match="'a.c'"):
        record_snakemake_outputs(job, config_keys=("a.c",))
