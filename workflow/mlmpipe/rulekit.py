"""What every rule script shares: logging to the rule's log, a known error turned into one line
and a non-zero exit, and the provenance records of the job's outputs.

The log's first line says where the job runs (locally, or as which SLURM job on which node).
A script under ``workflow/scripts/`` is then its few real lines::

    from mlmpipe.rulekit import rule_script

    with rule_script(snakemake, config_keys=("draws.width",)) as job:
        table = ...                      # the work, reading job.input / writing job.output
        job.record_params["ids"] = ids   # extra values for the provenance records

When the block ends normally, every figure and table among the outputs gets its record
(:func:`mlmpipe.provenance.record_snakemake_outputs`). When it raises a
:class:`~mlmpipe.errors.MlmpipeError`, the message is logged and becomes the job's one-line
error (exit status 1) with no traceback; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlmpipe.errors import MlmpipeError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass
class Job:
    """The running job: the Snakemake object's parts, and what the records should add."""

    snakemake: Any
    record_params: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # input, output, params, wildcards, config, threads, log ... of the Snakemake object
        return getattr(self.snakemake, name)


def setup_logging(snakemake: Any) -> None:
    """Send log records (and Python warnings) to the job's first ``log:`` file."""
    logs = list(getattr(snakemake, "log", None) or [])
    logging.basicConfig(
        filename=str(logs[0]) if logs else None,
        level=logging.INFO,
        format=LOG_FORMAT,
        force=True,
    )
    logging.captureWarnings(True)


@contextlib.contextmanager
def rule_script(
    snakemake: Any,
    *,
    config_keys: Iterable[str] = (),
    record: bool = True,
    all_outputs: bool = False,
) -> Iterator[Job]:
    """Run a rule script's body: log to the rule's log; on success record the outputs' provenance.

    Args:
        snakemake: the object Snakemake gives a ``script:``.
        config_keys: dotted config keys the outputs depend on (may name wildcards, as
            ``"models.{model}"``); they are copied into the records.
        record: write provenance records (False for outputs that are not figures or tables).
        all_outputs: record every output, not only figures, tables and folders.

    Exits (``SystemExit`` with the message) when the body raises a
    :class:`~mlmpipe.errors.MlmpipeError`.
    """
    setup_logging(snakemake)
    from mlmpipe.runinfo import describe_run, run_context

    logging.getLogger("mlmpipe").info("rule %s: %s", snakemake.rule, describe_run(run_context()))
    job = Job(snakemake)
    try:
        yield job
        if record:
            from mlmpipe.provenance import record_snakemake_outputs

            record_snakemake_outputs(
                snakemake,
                config_keys=config_keys,
                params=job.record_params,
                all_outputs=all_outputs,
            )
    except MlmpipeError as error:
        logging.getLogger("mlmpipe").error("%s", error)
        sys.exit(str(error))
