"""``python -m mlmpipe stancode``: print the Stan program of a brms formula (or of a config model).

    python -m mlmpipe stancode "con ~ 1 + week + (1 | id)" --data mlm.csv \\
        --prior Intercept="normal(0, 1)" --prior sd="exponential(1)"
    python -m mlmpipe stancode "con ~ 0 + a" "a ~ 0 + id.f" --data mlm.csv   # non-linear
    python -m mlmpipe stancode --model m3 --data mlm.csv --output stan/m3.stan
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from mlmpipe.errors import MlmpipeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to ``parser``."""
    parser.add_argument(
        "formula", nargs="*", help="the brms formula (several for the non-linear form)"
    )
    parser.add_argument("--data", required=True, help="the data (CSV or parquet)")
    parser.add_argument(
        "--family",
        default="gaussian",
        help="gaussian (default), student, bernoulli, binomial or poisson",
    )
    parser.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="CLASS=PRIOR",
        help='a prior, e.g. b="normal(0, 1)" or sd_id="exponential(1)"; repeatable',
    )
    parser.add_argument(
        "--model", help="a model of the config instead of a formula (its priors too)"
    )
    parser.add_argument("--config", default="config/config.yaml", help="the config for --model")
    parser.add_argument("--output", help="write the program to this file instead of printing it")


def _read_data(path: str) -> pd.DataFrame:
    if not Path(path).is_file():
        raise MlmpipeError(f"--data {path}: no such file")
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)


def _priors(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MlmpipeError(f'--prior {item!r}: expected CLASS=PRIOR, e.g. b="normal(0, 1)"')
        out[key.strip()] = value.strip()
    return out


def _program(args: argparse.Namespace) -> str:
    from mlmpipe.formula import make_stancode
    from mlmpipe.formula.lecture import lecture_program

    data = _read_data(args.data)
    if args.model:
        import yaml

        config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
        models = config.get("models", {})
        if args.model not in models:
            raise MlmpipeError(
                f"--model {args.model}: {args.config} has no such model "
                f"(models: {', '.join(models)})"
            )
        return lecture_program(args.model, models[args.model], data)
    if not args.formula:
        raise MlmpipeError("give a formula, or --model NAME")
    formula = args.formula[0] if len(args.formula) == 1 else args.formula
    return make_stancode(formula, data, args.family, _priors(args.prior) or None)


def run(args: argparse.Namespace) -> int:
    """Print (or write) the program; a known error is one line on stderr and status 1."""
    try:
        code = _program(args)
    except MlmpipeError as err:
        print(f"mlmpipe stancode: {err}", file=sys.stderr)
        return 1
    if args.output:
        from mlmpipe.fileio import write_text_atomic

        write_text_atomic(args.output, code)
    else:
        sys.stdout.write(code)
    return 0
