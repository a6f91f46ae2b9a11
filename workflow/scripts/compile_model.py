"""Compile a model's Stan program with CmdStan into results/build/{model}/."""

import logging

from mlmpipe.cmdstan import toolchain_folder
from mlmpipe.rulekit import rule_script
from mlmpipe.sampling import compile_model

# The executable gets a provenance record (its sha256): a run that finds it changed remakes it.
with rule_script(snakemake, all_outputs=True) as job:  # noqa: F821
    cmdstan = toolchain_folder(job.input.toolchain)
    exe = compile_model(job.input.stan, job.output.exe, cmdstan=cmdstan)
    logging.info("compiled %s into %s with CmdStan at %s", job.input.stan, exe, cmdstan)
