"""Where the tests find the lecture's data set (../shared/data/mlm.csv) and its digest."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MLM_CSV = REPO_ROOT.parent / "shared" / "data" / "mlm.csv"
MLM_SHA256 = "c426280122e5d2ba4795bbe035b18f7e5cba3ffdd30c769ba2a44b92f05ce7eb"

needs_mlm = pytest.mark.skipif(
    not MLM_CSV.is_file(), reason=f"the lecture's data set is not at {MLM_CSV}"
)
