"""The one helper for tests that read the lecture's data set: skip with a reason that says
where the file goes, but fail in CI."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import mlm_data
import pytest
from mlm_data import REPO_ROOT


def test_without_the_file_a_developer_is_told_where_it_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(mlm_data, "MLM_CSV", tmp_path / "mlm.csv")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        mlm_data.require_mlm()
    assert "the lecture's data set is not at" in str(skipped.value)
    assert "shared/data/mlm.csv" in str(skipped.value)
    assert mlm_data.MLM_SHA256 in str(skipped.value)


def test_without_the_file_ci_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(mlm_data, "MLM_CSV", tmp_path / "mlm.csv")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set, so this is a failure"):
        mlm_data.require_mlm()


def test_with_the_file_its_path_is_returned(tmp_path, monkeypatch):
    (tmp_path / "mlm.csv").write_text("id\n1\n")
    monkeypatch.setattr(mlm_data, "MLM_CSV", tmp_path / "mlm.csv")
    monkeypatch.setenv("CI", "true")
    assert mlm_data.require_mlm() == tmp_path / "mlm.csv"


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "1 error")])
def test_the_marker_skips_or_fails_a_whole_test(tmp_path, ci, outcome):
    """Through pytest itself: a marked test in a tree whose data set is missing (in CI the
    test errors in its setup, which fails the run as a failure does)."""
    (tmp_path / "test_marked.py").write_text(textwrap.dedent("""
        import mlm_data
        from mlm_data import needs_mlm

        mlm_data.MLM_CSV = mlm_data.MLM_CSV.with_name("no-such-file.csv")

        @needs_mlm
        def test_reads_the_data():
            raise AssertionError("ran without the data set")
    """))
    (tmp_path / "conftest.py").write_text((REPO_ROOT / "tests" / "conftest.py").read_text())
    path = f"{REPO_ROOT / 'tests'}:{REPO_ROOT / 'workflow'}"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": path}
    if ci:
        env["CI"] = ci
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q",
         "-W", "ignore::pytest.PytestUnknownMarkWarning", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert outcome in result.stdout, result.stdout + result.stderr
    assert "ran without the data set" not in result.stdout
    assert "put mlm.csv (sha256" in result.stdout
