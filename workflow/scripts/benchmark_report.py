"""Measure the report stage on a fitted tree and print the figures.

    workflow/bootstrap python workflow/scripts/benchmark_report.py [--runs 3] [--model m3]

Run it in the repository after `workflow/bootstrap snakemake --cores 4` (the models fitted).
Each run times, with `snakemake --cores 4`, as separate processes:

1. every report section executed again and both outputs assembled
   (`--forcerun report_section report_model_section report_models_index`);
2. one model's section executed again and the report reassembled
   (`--forcerun report_model_section` on `results/report/sections/model-<model>`, then the
   report), as after a change to that model;
3. a no-op run (nothing to do).

It prints the minimum, median and maximum of each over the runs, with the load average, and
leaves the tree as it found it (every output rebuilt from the same inputs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def snakemake(*args: str) -> float:
    """Run Snakemake in the repository with ``args``; return the wall time in seconds."""
    command = [sys.executable, "-m", "snakemake", "--cores", "4", "--quiet", "all", *args]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each case")
    parser.add_argument("--model", default="m3", help="the model whose section is redone")
    parser.add_argument("--config", default=None, help="a --config value passed through")
    args = parser.parse_args()
    extra = ["--config", args.config] if args.config else []
    if not (REPO / "results/report/course-report.html").is_file():
        sys.exit("no report yet: run `workflow/bootstrap snakemake --cores 4` first")
    cases = {
        "all sections + assembly": [
            "--forcerun", "report_section", "report_model_section", "report_models_index",
        ],
        f"section of {args.model} + assembly": [
            "--forcerun", f"results/report/sections/model-{args.model}",
        ],
        "no-op": [],
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, case in cases.items():
            times[name].append(snakemake(*case, *extra))
    print(f"report stage, {args.runs} runs, load average {os.getloadavg()[0]:.2f}, wall seconds")
    print(f"{'case':<34} {'min':>7} {'median':>7} {'max':>7}")
    for name, values in times.items():
        print(
            f"{name:<34} {min(values):7.1f} {statistics.median(values):7.1f} {max(values):7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
