"""Generate the Stan program of a model without a checked-in one (results/{model}/model.stan)."""

import logging

from mlmpipe.fileio import write_text_atomic
from mlmpipe.formula import FormulaError, ModelInputError
from mlmpipe.formula.lecture import lecture_program
from mlmpipe.rulekit import rule_script
from mlmpipe.validation import read_processed

# The program gets a provenance record (its sha256): a run that finds it changed remakes it.
# No config keys: a prior's values (data) leave the program as it is, so they must not make it
# stale; the model_program rule reruns on the formula, family and prior families (params).
with rule_script(snakemake, all_outputs=True) as job:  # noqa: F821
    name = job.wildcards.model
    entry = job.config["models"][name]
    try:
        code = lecture_program(name, entry, read_processed(job.input.data), job.output.stan)
    except (FormulaError, ModelInputError) as error:
        raise type(error)(f"model {name}: {error}") from None
    write_text_atomic(job.output.stan, code)
    logging.info("model %s: wrote its Stan program, %d lines", name, code.count("\n"))
