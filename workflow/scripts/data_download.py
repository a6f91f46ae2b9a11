"""Fetch mlm.csv (download or data.local_copy), verified against data.sha256."""

import logging
import sys
from pathlib import Path

from mlmpipe import data
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

root = Path(sm.scriptdir).resolve().parents[1]  # local_copy is relative to the repository root
try:
    result = data.obtain(sm.config["data"], sm.output[0], root=root)
except data.DataError as error:  # the message names the problem; no traceback
    logging.error("%s", error)
    sys.exit(str(error))
record_snakemake_outputs(
    sm,
    config_keys=("data.sha256",),
    params={"source": result.source, "attempts": result.attempts},
)
