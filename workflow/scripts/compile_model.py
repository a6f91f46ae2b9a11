"""Compile a model's Stan program with CmdStan into results/build/{model}/."""

import logging
import sys

from mlmpipe import fitting

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

try:
    cmdstan = fitting.read_toolchain(sm.input.toolchain)
    exe = fitting.compile_model(sm.input.stan, sm.output.exe, cmdstan=cmdstan)
except (FileNotFoundError, fitting.FitError) as error:
    logging.error("%s", error)
    sys.exit(str(error))
logging.info("compiled %s into %s with CmdStan at %s", sm.input.stan, exe, cmdstan)
