"""Snakemake glue: record every figure and table a job wrote, with the config sections (named
by dotted keys, wildcards filled in) and parameters the job used."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .jsonable import named_items
from .paths import ProvenanceError, display_path, is_record, is_recorded_kind
from .records import write_record


def config_sections(
    config: Mapping[str, Any], keys: Iterable[str], wildcards: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return ``{key: value}`` for each dotted ``key`` of ``config`` (``"models.{model}"`` is
    filled in from ``wildcards`` first).

    Raises ProvenanceError naming the key when it is not in the config.
    """
    result: dict[str, Any] = {}
    fill = {k: str(v) for k, v in (wildcards or {}).items()}
    for template in keys:
        try:
            key = template.format(**fill)
        except (KeyError, IndexError) as error:
            raise ProvenanceError(f"config key {template!r}: no wildcard {error}") from error
        result[key] = lookup_config(config, key)
    return result


def lookup_config(config: Mapping[str, Any], key: str) -> Any:
    """Return the value at the dotted ``key`` of ``config``; raise ProvenanceError if absent."""
    value: Any = config
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, Mapping) and part.isdigit() and int(part) in value:
            value = value[int(part)]
        else:
            raise ProvenanceError(f"config key {key!r} not found (no {part!r})")
    return value


def _wildcards_dict(snakemake: Any) -> dict[str, Any]:
    """Return the job's wildcards as a dict (empty when it has none)."""
    wildcards = getattr(snakemake, "wildcards", None)
    return dict(named_items(wildcards)) if wildcards is not None else {}


def record_snakemake_outputs(
    snakemake: Any,
    *,
    config_keys: Iterable[str] = (),
    params: Mapping[str, Any] | None = None,
    include_directories: bool = True,
    all_outputs: bool = False,
) -> list[Path]:
    """Write a record for every figure and table among the outputs of a Snakemake job.

    Call it at the end of a ``script:`` with the ``snakemake`` object. Figures and tables are
    outputs whose suffix is in :data:`RECORDED_SUFFIXES` (never ``.prov.json`` files or the
    job's logs); with ``include_directories`` a ``directory()`` output (such as CmdStan's CSV
    folder) is recorded too, and with ``all_outputs`` every output is (a compiled Stan program,
    so that the records of the fits made with it reach its ``.stan`` file). ``config_keys``
    are dotted config keys, which may name wildcards (``"models.{model}"``); ``params`` are
    merged over the rule's ``params:``. The git commit is that of the tree holding the script
    (so a run with ``--directory`` elsewhere still names the pipeline's commit). Returns the
    record paths written. Raises ProvenanceError naming a config key that is not in the config,
    and the errors of :func:`write_record`.
    """
    wildcards = _wildcards_dict(snakemake)
    config = config_sections(getattr(snakemake, "config", {}) or {}, config_keys, wildcards)
    merged = dict(named_items(getattr(snakemake, "params", None)))
    merged.update(params or {})
    logs = {display_path(p) for p in (getattr(snakemake, "log", None) or [])}
    written: list[Path] = []
    for output in snakemake.output:
        path = Path(str(output))
        if display_path(path) in logs or is_record(path):
            continue
        if path.is_dir():
            if not include_directories:
                continue
        elif not (all_outputs or is_recorded_kind(path)):
            continue
        written.append(
            write_record(
                path,
                rule=str(snakemake.rule),
                inputs=snakemake.input,
                config=config,
                params=merged,
                wildcards=wildcards,
                git_dir=getattr(snakemake, "scriptdir", None) or ".",
            )
        )
    return written
