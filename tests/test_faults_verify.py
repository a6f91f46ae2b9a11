"""Fault suite, the check every run starts with (mlmpipe.verify) on small trees: outputs that
differ from their records are found and named, and what interrupted writes left is removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mlmpipe import verify
from mlmpipe.provenance import write_record

pytestmark = pytest.mark.faults


@pytest.fixture
def tree(tmp_path: Path, monkeypatch) -> Path:
    """results/ with a recorded table and a recorded folder of two CSVs (as a fit is)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/m3/fit").mkdir(parents=True)
    (tmp_path / "results/m3/fit/m3-1.csv").write_text("a,b\n1,2\n")
    (tmp_path / "results/m3/fit/m3-2.csv").write_text("a,b\n3,4\n")
    (tmp_path / "results/m3/summary.csv").write_text("x\n1\n")
    for output in ("results/m3/fit", "results/m3/summary.csv"):
        write_record(output, rule="test", inputs=None, git_dir=tmp_path)
    return tmp_path


def test_an_untouched_tree_needs_nothing(tree):
    assert verify.verify_outputs(tree) == verify.Verification()


def test_outputs_not_written_to_since_their_records_are_not_read_again(tree, monkeypatch):
    def no_reading(path):
        raise AssertionError(f"{path} was hashed")

    monkeypatch.setattr(verify, "sha256_file", no_reading)
    monkeypatch.setattr(verify, "_manifest", no_reading)
    assert verify.verify_outputs(tree) == verify.Verification()


def test_a_file_rewritten_with_its_size_and_mtime_restored_is_still_named(tree):
    table = tree / "results/m3/summary.csv"
    stat = table.stat()
    table.write_text("x\n7\n")  # same size
    os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert verify.verify_outputs(tree).remake == ["results/m3/summary.csv"]


def test_a_truncated_file_in_a_recorded_folder_is_named(tree):
    csv = tree / "results/m3/fit/m3-2.csv"
    stat = csv.stat()
    csv.write_text("a,b\n3")
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    found = verify.verify_outputs(tree)
    assert found.remake == ["results/m3/fit"]
    assert found.messages == [
        "results/m3/fit: changed since it was made (results/m3/fit/m3-2.csv changed)"
    ]


def test_a_file_added_to_or_removed_from_a_folder_is_named(tree):
    (tree / "results/m3/fit/m3-1.csv").unlink()
    (tree / "results/m3/fit/m3-9.csv").write_text("a\n")
    (message,) = verify.verify_outputs(tree).messages
    assert "results/m3/fit/m3-1.csv is missing" in message
    assert "results/m3/fit/m3-9.csv was added" in message


def test_an_edited_table_and_an_unreadable_record_are_named(tree):
    (tree / "results/m3/summary.csv").write_text("x\n2\n")
    (tree / "results/m3/fit.prov.json").write_text("{not json")
    found = verify.verify_outputs(tree)
    assert found.remake == ["results/m3/fit", "results/m3/summary.csv"]
    assert "results/m3/fit: its record results/m3/fit.prov.json cannot be read" in (
        found.messages[0]
    )
    assert "results/m3/summary.csv: changed since it was made (sha256 " in found.messages[1]


def test_damaged_outputs_are_discarded_and_nothing_else(tree):
    (tree / "results/m3/fit/m3-2.csv").write_text("a,b\n")
    verify.discard(tree, verify.verify_outputs(tree).remake)
    assert not (tree / "results/m3/fit").exists()
    assert (tree / "results/m3/summary.csv").read_text() == "x\n1\n"


def test_nothing_is_judged_while_another_run_holds_the_lock(tree):
    assert not verify.other_run_holds_lock(tree)
    (tree / ".snakemake/locks").mkdir(parents=True)
    assert not verify.other_run_holds_lock(tree)
    (tree / ".snakemake/locks/0.output.lock").write_text("results/m3/fit\n")
    assert verify.other_run_holds_lock(tree)


def test_a_missing_output_is_left_to_snakemake(tree):
    (tree / "results/m3/summary.csv").unlink()
    assert verify.verify_outputs(tree).remake == []


def test_what_interrupted_writes_left_is_removed_and_nothing_else(tree):
    leftovers = [
        tree / "results/m3/.posterior.nc.k2j4.tmp",
        tree / "results/m3/.fit.x81q.tmp/run/m3-1.csv",
        tree / "logs/fit/.m3_sample.log.a1.tmp",
        tree / "data/raw/.mlm.csv.zz.tmp",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("partial")
    removed = verify.remove_temporaries(tree)
    assert [p.relative_to(tree).as_posix() for p in removed] == [
        "data/raw/.mlm.csv.zz.tmp",
        "logs/fit/.m3_sample.log.a1.tmp",
        "results/m3/.fit.x81q.tmp",
        "results/m3/.posterior.nc.k2j4.tmp",
    ]
    assert not any(p.exists() for p in leftovers)
    assert not (tree / "results/m3/.fit.x81q.tmp").exists()
    assert verify.verify_outputs(tree).remake == []
