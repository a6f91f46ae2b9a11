"""How an output was made, for people: a markdown block for the report and the command
``python -m mlmpipe show <output>``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .paths import ProvenanceError, is_record, record_path
from .records import find_record, load_record


def source_leaves(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the inputs at the start of a record's chain, each once, in the order they are met.

    A source is an input without a record of its own (a Stan program, code) or whose record
    has no inputs (the downloaded data, the toolchain description).
    """
    seen: set[str] = set()
    leaves: list[dict[str, Any]] = []

    def walk(entries: Iterable[Mapping[str, Any]]) -> None:
        for entry in entries:
            upstream_inputs = (entry.get("upstream") or {}).get("inputs")
            if upstream_inputs:
                walk(upstream_inputs)
            elif entry["path"] not in seen:
                seen.add(entry["path"])
                leaves.append(dict(entry))

    walk(record.get("inputs") or [])
    return leaves


def render_markdown(
    record_or_path: Mapping[str, Any] | str | os.PathLike[str], link: str | None = None
) -> str:
    """Return a short markdown block for the report, to sit beside a figure or table.

    It names the rule, the inputs with short hashes, the raw sources the chain reaches (data,
    Stan programs), the commit, the command that regenerates the file, and links to the full
    record. ``record_or_path`` is a record, a ``.prov.json`` path, or an output path (its record
    is found); ``link`` is the link target (default: the record's path). Raises
    FileNotFoundError or ProvenanceError naming the file when no record can be read.
    """
    if isinstance(record_or_path, Mapping):
        record = dict(record_or_path)
        default_link = record_path(record["output"]["path"]).as_posix()
    else:
        p = Path(record_or_path)
        if is_record(p):
            record, default_link = load_record(p), p.as_posix()
        else:
            found = find_record(p)
            if found is None:
                raise FileNotFoundError(f"{p}: no provenance record ({record_path(p)})")
            record, default_link = found, record_path(p).as_posix()
    target = link or default_link

    def short(digest: str | None) -> str:
        return (digest or "?")[:8]

    inputs = record.get("inputs") or []
    direct = {e["path"] for e in inputs}
    listed = ", ".join(f"`{e['path']}` ({short(e.get('sha256'))})" for e in inputs) or "none"
    sources = [e for e in source_leaves(record) if e["path"] not in direct]
    git = record.get("git") or {}
    commit = (git.get("commit") or "unknown")[:10]
    state = {True: ", uncommitted changes", False: ""}.get(git.get("dirty"), ", tree state unknown")
    lines = [
        f"**Provenance.** Made by rule `{record.get('rule')}` on {record.get('created')} "
        f"at commit `{commit}`{state}; sha256 `{short(record['output'].get('sha256'))}`.",
        f"Inputs: {listed}.",
    ]
    if sources:
        lines.append(
            "Traces back to: "
            + ", ".join(f"`{e['path']}` ({short(e.get('sha256'))})" for e in sources)
            + "."
        )
    lines.append(f"Regenerate: `{record.get('command')}`.")
    lines.append(f"[Full provenance record]({target})")
    return "  \n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``show`` subcommand's arguments to an argparse ``parser``."""
    parser.add_argument("output", help="a figure or table (or its .prov.json record)")
    parser.add_argument("--json", action="store_true", help="print the whole record as JSON")


def run(args: argparse.Namespace) -> int:
    """Print how an output was made (its record, from the sidecar or from inside a PNG).

    Returns 0, or 1 with a message on stderr naming the file when it has no readable record.
    """
    target = Path(args.output)
    try:
        if is_record(target):
            record = load_record(target)
        else:
            record = find_record(target)
            if record is None:
                raise FileNotFoundError(f"{target}: no provenance record ({record_path(target)})")
    except (OSError, ProvenanceError) as error:
        print(f"mlmpipe show: {error}", file=sys.stderr)
        return 1
    print(json.dumps(record, indent=2) if args.json else render_markdown(record), end="\n")
    return 0
