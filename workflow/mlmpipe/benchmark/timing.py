"""Timing a command as a whole process: wall time, CPU time and peak memory (``wait4``)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlmpipe.errors import MlmpipeError


class BenchmarkError(MlmpipeError, RuntimeError):
    """A step of the benchmark failed; the message quotes the command and its output."""


@dataclass(frozen=True)
class Timed:
    """One finished process: seconds of wall and CPU time (its waited-for children included),
    the largest resident set among them, and what it printed."""

    wall: float
    cpu: float
    max_rss_mb: float
    output: str


def run(
    command: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    what: str = "",
) -> Timed:
    """Run ``command`` to completion and time it.

    Raises:
        BenchmarkError: the command could not start or exited non-zero (its output's tail
            is quoted).
    """
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"mlmpipe-bench-{os.getpid()}.log"
    started = time.perf_counter()
    with open(log, "w+", encoding="utf-8") as out:
        try:
            proc = subprocess.Popen(
                list(command), cwd=cwd, env=dict(env) if env else None,
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        except OSError as error:
            message = f"{what or command[0]}: cannot run {command[0]}: {error}"
            raise BenchmarkError(message) from error
        status, usage, peak_kb = _wait(proc.pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    log.unlink(missing_ok=True)
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise BenchmarkError(
            f"{what or command[0]} failed (exit {proc.returncode}): {' '.join(command)}\n{tail}"
        )
    return Timed(wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024, output)


def _wait(pid: int) -> tuple[int, os.struct_rusage, int]:  # type: ignore[name-defined]
    """Wait for ``pid``; return its status, its resource usage and its peak resident set in
    KiB. The peak is read from ``/proc/<pid>/status`` (``VmHWM``) while it runs: the
    ``ru_maxrss`` of ``wait4`` would count the Python process it was forked from."""
    peak, delay = 0, 0.005
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, max(peak, 0)
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as proc_status:
                for line in proc_status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_RULE = re.compile(r"^(?:local)?rule (\w+):$")
_JOBID = re.compile(r"^\s+jobid: (\d+)$")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")
_FINISHED = re.compile(r"^Finished jobid: (\d+)")


def job_spans(log_text: str) -> list[dict[str, Any]]:
    """Every finished job of a Snakemake log, from its one-second time stamps: ``job``
    (``rule (wildcards)``), ``rule``, ``start`` and ``end`` (seconds from the first stamp)."""
    now = first = None
    started: dict[str, dict[str, Any]] = {}
    spans: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for line in log_text.splitlines():
        if match := _STAMP.match(line):
            now = datetime.strptime(" ".join(match.group(1).split()), "%a %b %d %H:%M:%S %Y")
            first = first or now
        elif match := _RULE.match(line):
            current = {"rule": match.group(1), "job": match.group(1)}
        elif (match := _JOBID.match(line)) and current and now and first:
            current["start"] = (now - first).total_seconds()
            started[match.group(1)] = current
        elif (match := _WILDCARDS.match(line)) and current:
            current["job"] = f"{current['rule']} ({match.group(1)})"
        elif (match := _FINISHED.match(line)) and match.group(1) in started and now and first:
            span = started.pop(match.group(1))
            if span["rule"] != "all":
                spans.append(span | {"end": (now - first).total_seconds()})
    return spans


def slowest_jobs(log_text: str, count: int = 3) -> list[dict[str, Any]]:
    """The ``count`` longest jobs of a Snakemake log, longest first: ``{"job", "seconds"}``."""
    spans = sorted(job_spans(log_text), key=lambda s: s["start"] - s["end"])
    return [{"job": s["job"], "seconds": s["end"] - s["start"]} for s in spans[:count]]


def after_sampling(log_text: str) -> float | None:
    """Seconds from the last sampler's end to the last job's end (None when nothing was
    sampled)."""
    spans = job_spans(log_text)
    sampled = [s["end"] for s in spans if s["rule"] == "sample_model"]
    return max(s["end"] for s in spans) - max(sampled) if sampled else None


def jobs_run(log_text: str) -> list[str]:
    """The rules of the jobs a Snakemake log says were started, in order (``all`` left out)."""
    rules = [m.group(1) for m in map(_RULE.match, log_text.splitlines()) if m]
    return [rule for rule in rules if rule != "all"]
