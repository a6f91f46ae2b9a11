"""Compile a model's Stan program with CmdStan into results/build/{model}/."""

import logging

from mlmpipe.cmdstan import toolchain_folder
from mlmpipe.rulekit import rule_script
from mlmpipe.sampling import compile_model

with rule_script(snakemake, record=False) as job:  # noqa: F821
    cmdstan = toolchain_folder(job.input.toolchain)
    exe = compile_model(job.input.stan, job.output.exe, cmdstan=cmdstan)
    logging.info("compiled %s into %s with CmdStan at %s", job.input.stan, exe, cmdstan)
