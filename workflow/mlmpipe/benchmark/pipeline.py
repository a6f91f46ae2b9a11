"""The pipeline's scenarios, run with ``snakemake --cores 4`` in a scratch copy of the checkout.

The copy holds the checkout's files as they are (tracked and untracked, not ignored), uses
the checkout's virtualenv and CmdStan toolchain (both ready, as the issue of a cold run
assumes) and nothing else: no data, no results. The scenarios, in order:

1. ``cold``: everything, through the rendered report;
2. ``no-op``: the same command again (nothing to do);
3. ``prior change in m3``: the location of m3's Intercept prior moved in the config (a prior
   is data: m3 is sampled again, not compiled);
4. ``edit stan/m3.stan``: a comment added to the program (m3 alone is compiled again);
5. ``report stage``: every report section executed again and both outputs assembled.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlmpipe.benchmark.timing import BenchmarkError, after_sampling, jobs_run, run, slowest_jobs

REPORT_RULES = ("report_section", "report_model_section", "report_models_index")


def scratch_copy(repo: Path, dest: Path) -> Path:
    """Copy the checkout's files (``git ls-files``: tracked and untracked, not ignored) to
    ``dest`` and link its ``.venv`` and ``.cmdstan``; return ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo, capture_output=True, check=True,
    ).stdout.split(b"\0")  # fmt: skip
    for name in filter(None, (item.decode() for item in listed)):
        source = repo / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for link in (".venv", ".cmdstan"):
        if (repo / link).exists():
            (dest / link).symlink_to((repo / link).resolve())
    return dest


def snakemake(tree: Path, extra: Sequence[str], what: str) -> dict[str, Any]:
    """Run ``snakemake --cores 4`` (plus ``extra``) in ``tree``; return its wall and CPU
    seconds, the rules of the jobs it ran and its three slowest jobs."""
    command = [sys.executable, "-m", "snakemake", "--cores", "4", *extra]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    timed = run(command, cwd=tree, env=env, what=what)
    jobs = jobs_run(timed.output)
    return {
        "wall": timed.wall,
        "cpu": timed.cpu,
        "jobs": len(jobs),
        "compiled": sum(rule == "compile_model" for rule in jobs),
        "slowest": slowest_jobs(timed.output),
        "after_sampling": after_sampling(timed.output),
    }


def move_prior(config: Path, model: str = "m3", cls: str = "Intercept") -> None:
    """Move the location (first argument) of ``model``'s ``cls`` prior in ``config`` by 0.05
    (a brms prior string such as ``Intercept: "normal(0.5, 0.25)"``)."""
    text = config.read_text(encoding="utf-8")
    block = re.search(rf"\n  {model}:\n(?:    .*\n|\n)+", text)
    if block is None:
        raise BenchmarkError(f"{config}: no model {model} in its models section")
    prior = re.compile(rf"({cls}: \"\w+\()(-?[\d.]+)")
    if prior.search(block.group(0)) is None:
        raise BenchmarkError(f"{config}: model {model} has no {cls} prior with a location")
    moved = prior.sub(lambda m: f"{m.group(1)}{float(m.group(2)) + 0.05:.2f}", block.group(0))
    config.write_text(text.replace(block.group(0), moved), encoding="utf-8")


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's repeated runs: median wall and CPU, each run's wall, the slowest jobs
    of the median run."""
    ordered = sorted(runs, key=lambda r: r["wall"])
    middle = ordered[(len(ordered) - 1) // 2]
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "walls": [r["wall"] for r in runs],
        "jobs": middle["jobs"],
        "compiled": middle["compiled"],
        "slowest": middle["slowest"],
        "after_sampling": middle["after_sampling"],
    }


def warm_scenarios(tree: Path, config_args: Sequence[str], repeats: int) -> dict[str, Any]:
    """After the cold run and the no-op: scenarios 3 to 5 of the module docstring, each
    ``repeats`` times (the prior moves, and the program gets a comment, each time)."""
    found: dict[str, Any] = {}
    prior_runs = []
    for _ in range(repeats):
        move_prior(tree / "config/config.yaml")
        prior_runs.append(snakemake(tree, config_args, "the run after a prior change"))
    found["prior change in m3"] = median_of(prior_runs)
    edit_runs = []
    for count in range(repeats):
        with open(tree / "stan/m3.stan", "a", encoding="utf-8") as program:
            program.write(f"// benchmark edit {count + 1}\n")
        edit_runs.append(snakemake(tree, config_args, "the run after editing stan/m3.stan"))
    found["edit stan/m3.stan"] = median_of(edit_runs)
    report = [*config_args, "--forcerun", *REPORT_RULES]
    found["report stage"] = median_of(
        [snakemake(tree, report, "the report stage") for _ in range(repeats)]
    )
    return found


def post_processing(tree: Path, config_args: Sequence[str], model: str = "m3") -> dict[str, Any]:
    """Rerun one model's post-processing (its posterior and everything read from it: summary,
    diagnostics, LOO, its draw tables) with ``snakemake --cores 4 --forcerun posterior``."""
    names = ("summary.csv", "diagnostics.json", "loo.txt")
    targets = [f"results/{model}/{name}" for name in names]
    tables = sorted((tree / "results/tables").glob(f"{model}_*.csv"))
    targets += [str(path.relative_to(tree)) for path in tables]
    extra = [*config_args, "--forcerun", "posterior", "--", *targets]
    return snakemake(tree, extra, f"the post-processing of {model}") | {"model": model}
