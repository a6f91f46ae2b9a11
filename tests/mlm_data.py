"""Where the tests find the lecture's data set (../shared/data/mlm.csv) and its digest.

A test that needs the file is marked ``@needs_mlm`` (or calls ``require_mlm()`` from a
fixture). Without the file it is skipped on a developer's machine, with a reason that says
where the file goes, and fails in CI (``CI`` set), where a missing data set is a broken setup
rather than a reason to test less.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MLM_CSV = REPO_ROOT.parent / "shared" / "data" / "mlm.csv"
MLM_SHA256 = "c426280122e5d2ba4795bbe035b18f7e5cba3ffdd30c769ba2a44b92f05ce7eb"
MISSING = (
    f"the lecture's data set is not at {MLM_CSV}: put mlm.csv (sha256 {MLM_SHA256}) there, "
    "beside this repository as shared/data/mlm.csv"
)


def require_mlm() -> Path:
    """The data set's path; skip the calling test without it, or fail it in CI."""
    if MLM_CSV.is_file():
        return MLM_CSV
    if os.environ.get("CI"):
        pytest.fail(f"{MISSING} (CI is set, so this is a failure, not a skip)")
    pytest.skip(MISSING)


needs_mlm = pytest.mark.needs_mlm
"""Marks a test (or, as ``pytestmark``, a module) that reads the data set; conftest's
``pytest_runtest_setup`` calls ``require_mlm()`` for it before its fixtures run."""
