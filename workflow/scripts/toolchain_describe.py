"""Snakemake script of rule cmdstan_toolchain: `python -m mlmpipe.toolchain --json <output>`."""

import contextlib
import sys
from pathlib import Path

from mlmpipe.provenance import record_snakemake_outputs
from mlmpipe.toolchain.__main__ import main

sm = snakemake  # noqa: F821 - provided by Snakemake

with open(sm.log[0], "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
    code = main(["--json", str(sm.output[0])])
if code == 0:
    record_snakemake_outputs(sm)
else:  # the reason, quoting the tool, is in the log; the user sees it too
    lines = Path(sm.log[0]).read_text(encoding="utf-8", errors="replace").splitlines()
    start = max((i for i, line in enumerate(lines) if line.startswith("toolchain: ")), default=0)
    sys.exit("\n".join(lines[start:]) or f"the CmdStan toolchain failed; see {sm.log[0]}")
sys.exit(code)
