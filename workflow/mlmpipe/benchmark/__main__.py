"""``python -m mlmpipe.benchmark``: measure setup, models, pipeline and brms; print the table.

    workflow/bootstrap python -m mlmpipe.benchmark [--data mlm.csv] [--repeats 3]
        [--skip-setup] [--skip-brms] [--keep]

Run it on a quiet machine: every figure is wall-clock time, and ratios are only meaningful
within one run. It takes about 15 minutes (5 of them brms). The table is printed and written
to ``results/benchmark/benchmark.json``; the checkout itself is not touched otherwise (the
pipeline runs in a scratch copy).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from mlmpipe.benchmark import brms, models, pipeline, setup, table
from mlmpipe.benchmark.timing import BenchmarkError
from mlmpipe.cmdstan import default_home
from mlmpipe.models import load_specs

REPO = Path(__file__).resolve().parents[3]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mlmpipe.benchmark", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", type=Path, help="a local mlm.csv (else the config's source)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each warm scenario")
    parser.add_argument("--skip-setup", action="store_true", help="do not time the setup")
    parser.add_argument("--skip-brms", action="store_true", help="do not run brms")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args(argv)
    if args.data is not None and not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: must be at least 1")
    return args


def load_config(tree: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((tree / "config/config.yaml").read_text(encoding="utf-8"))


def measure(args: argparse.Namespace, scratch: Path, found: dict[str, Any]) -> None:
    """Every measurement, in the order the module docstring of the package gives, into
    ``found`` as it is made (what was measured stays when a later step fails)."""
    say = logging.getLogger("mlmpipe.benchmark").info
    if not args.skip_setup:
        say("setup: virtualenv and toolchain from nothing")
        found["setup"] = setup.time_setup(REPO)
    tree = pipeline.scratch_copy(REPO, scratch / "tree")
    config_args = []
    if args.data:
        config_args = ["--config", f'data={{"local_copy": "{args.data.resolve()}"}}']
    say("pipeline: cold run in %s", tree)
    cold = pipeline.snakemake(tree, config_args, "the cold run")
    noop = [pipeline.snakemake(tree, config_args, "the no-op run") for _ in range(args.repeats)]
    runs = {"cold": pipeline.median_of([cold]), "no-op": pipeline.median_of(noop)}
    found["pipeline"] = runs
    specs = load_specs(load_config(tree))
    found["models"] = {}
    for name, spec in specs.items():
        say("model %s: compile and sample", name)
        found["models"][name] = models.measure_model(
            spec, REPO / spec.stan_file, tree / f"results/{name}/data.json", default_home()
        )
    say("pipeline: prior change, program edit, report stage, post-processing")
    runs |= pipeline.warm_scenarios(tree, config_args, args.repeats)
    runs["post-processing of m3"] = pipeline.post_processing(tree, config_args)
    why_not = "--skip-brms" if args.skip_brms else brms.brms_available()
    if why_not:
        found["brms_skipped"] = why_not
    else:
        say("brms: the lecture's five fits")
        found["brms"] = brms.time_brms(REPO, tree / "data/raw/mlm.csv")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    scratch = Path(tempfile.mkdtemp(prefix="mlmpipe-benchmark-"))
    found: dict[str, Any] = {"machine": table.machine()}
    status = 0
    try:
        measure(args, scratch, found)
    except BenchmarkError as error:
        print(f"benchmark: {error}\n(the figures measured before it follow)", file=sys.stderr)
        found["error"] = str(error)
        status = 1
    finally:
        if args.keep:
            print(f"scratch copy kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(table.render(found))
    print(f"\nwritten to {table.write(found, REPO)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
