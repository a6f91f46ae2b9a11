"""Sample a compiled model with NUTS; CmdStan's CSVs go to results/{model}/fit/."""

import logging
import time

from mlmpipe.cmdstan import toolchain_folder
from mlmpipe.models import load_specs
from mlmpipe.rulekit import rule_script
from mlmpipe.sampling import sample_model

with rule_script(snakemake, config_keys=("models.{model}", "sampling")) as job:  # noqa: F821
    spec = load_specs(job.config)[job.wildcards.model]
    start = time.perf_counter()
    files = sample_model(
        spec,
        job.input.exe,
        job.input.data,
        job.output.fit,
        cmdstan=toolchain_folder(job.input.toolchain),
        parallel_chains=job.threads,
    )
    logging.info(
        "model %s: %d chains sampled in %.1f s: %s",
        spec.name,
        len(files),
        time.perf_counter() - start,
        ", ".join(map(str, files)),
    )
