"""Write a model's Stan data (data.json) and its rows and levels (model_frame.json)."""

import logging

from mlmpipe import standata
from mlmpipe.models import load_specs
from mlmpipe.rulekit import rule_script
from mlmpipe.validation import read_processed

with rule_script(snakemake, config_keys=("models.{model}",)) as job:  # noqa: F821
    spec = load_specs(job.config)[job.wildcards.model]
    model_data = standata.load_model_data(spec, job.input.data)
    standata.write_model_data(model_data, job.output.data, job.output.frame)
    frame = model_data.frame
    logging.info(
        "model %s: %d of %d rows (%d dropped for a missing value in %s)",
        spec.name,
        frame.n_rows,
        frame.n_input_rows,
        frame.n_dropped,
        ", ".join(spec.columns),
    )
    gone = standata.people_dropped(model_data, read_processed(job.input.data))
    if gone:
        logging.warning(
            "model %s: %d people have no complete row and are left out: %s",
            spec.name,
            len(gone),
            ", ".join(map(str, gone)),
        )
