"""Sample a compiled model with NUTS; CmdStan's CSVs go to results/{model}/fit/."""

import logging
import sys
import time

from mlmpipe import fitting
from mlmpipe.models import load_specs
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

spec = load_specs(sm.config)[sm.wildcards.model]
start = time.perf_counter()
try:
    cmdstan = fitting.read_toolchain(sm.input.toolchain)
    files = fitting.sample_model(
        spec,
        sm.input.exe,
        sm.input.data,
        sm.output.fit,
        cmdstan=cmdstan,
        parallel_chains=sm.threads,
    )
except fitting.FitError as error:
    logging.error("%s", error)
    sys.exit(str(error))
logging.info(
    "model %s: %d chains sampled in %.1f s: %s",
    spec.name,
    len(files),
    time.perf_counter() - start,
    ", ".join(map(str, files)),
)
record_snakemake_outputs(sm, config_keys=("models.{model}", "sampling"))
