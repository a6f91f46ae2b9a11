"""Draw one lecture figure (``params.figure``) from the rule's named inputs, then record
the provenance of its PNG and SVG. The logic lives in mlmpipe.figures.render."""

import logging

from mlmpipe.figures.render import render_figure
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
render_figure(
    snakemake.params.figure,  # noqa: F821
    dict(snakemake.input.items()),  # noqa: F821
    [snakemake.output.png, snakemake.output.svg],  # noqa: F821
    snakemake.config,  # noqa: F821
)
record_snakemake_outputs(snakemake, config_keys=("figures", "highlight"))  # noqa: F821
