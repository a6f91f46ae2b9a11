"""Snakemake script of rule cmdstan_toolchain: `python -m mlmpipe.toolchain --json <output>`."""

import contextlib
import sys

from mlmpipe.provenance import record_snakemake_outputs
from mlmpipe.toolchain.__main__ import main

sm = snakemake  # noqa: F821 - provided by Snakemake

with open(sm.log[0], "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
    code = main(["--json", str(sm.output[0])])
if code == 0:
    record_snakemake_outputs(sm)
sys.exit(code)
