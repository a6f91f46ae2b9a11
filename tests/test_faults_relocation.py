"""Fault suite: relocation. A fitted tree copied (as `cp -a` copies: times kept) or moved to
another folder is up to date there: a dry run plans nothing and the audit says all ok."""

from __future__ import annotations

import shutil

import pytest
from faults import assert_no_partial_files, audit, copy_tree, planned_jobs

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def assert_up_to_date(tree) -> None:
    plan = planned_jobs(tree)
    assert "Nothing to be done" in plan, plan[-3000:]
    assert "verify:" not in plan
    result = audit(tree)
    assert result.returncode == 0, result.stdout[-3000:]
    assert_no_partial_files(tree)


def test_a_copied_tree_is_up_to_date_where_it_lands(fitted_tree, tmp_path):
    copy = copy_tree(fitted_tree, tmp_path / "elsewhere" / "a copy of the tree")
    assert_up_to_date(copy)


def test_a_moved_tree_is_up_to_date_where_it_lands(fitted_copy, tmp_path):
    moved = tmp_path / "moved" / "tree"
    moved.parent.mkdir()
    shutil.move(fitted_copy, moved)
    assert not fitted_copy.exists()
    assert_up_to_date(moved)
