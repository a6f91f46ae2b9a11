"""Generate the Stan program of a model without a checked-in one (results/{model}/model.stan)."""

import logging

from mlmpipe.fileio import write_text_atomic
from mlmpipe.formula import FormulaError, ModelInputError
from mlmpipe.formula.lecture import lecture_program
from mlmpipe.rulekit import rule_script
from mlmpipe.validation import read_processed

with rule_script(snakemake, config_keys=("models.{model}",), record=False) as job:  # noqa: F821
    name = job.wildcards.model
    entry = job.config["models"][name]
    try:
        code = lecture_program(name, entry, read_processed(job.input.data), job.output.stan)
    except (FormulaError, ModelInputError) as error:
        raise type(error)(f"model {name}: {error}") from None
    write_text_atomic(job.output.stan, code)
    logging.info("model %s: wrote its Stan program, %d lines", name, code.count("\n"))
