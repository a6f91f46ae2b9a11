"""m2: the first rows of spread_draws(b_Intercept, sigma, sd_id__Intercept) and of
spread_draws(r_id[id, term]), as the lecture prints them."""

import logging

from mlmpipe import draws
from mlmpipe.models import load_fit
from mlmpipe.provenance import record_snakemake_outputs

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sm = snakemake  # noqa: F821

scalars, varying = draws.spread_heads(load_fit(sm.input.posterior), rows=sm.params.rows)
draws.write_table(scalars, sm.output.spread)
draws.write_table(varying, sm.output.r_id)
record_snakemake_outputs(sm, config_keys=("draws.head_rows",))
