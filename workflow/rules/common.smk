# Shared helpers for the rule files: model names, target lists, input functions.

import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from mlmpipe.models import load_specs  # noqa: E402

SPECS = load_specs(config)
MODELS = list(SPECS)


wildcard_constraints:
    model="|".join(MODELS),


def data_targets():
    """The data stage's outputs."""
    return ["data/processed/mlm.parquet", "results/data/precis.csv"]


def model_targets():
    """Every model's fit outputs."""
    return expand(
        [
            "results/{model}/posterior.nc",
            "results/{model}/summary.txt",
            "results/{model}/variables.txt",
            "results/{model}/diagnostics.json",
            "results/{model}/loo.txt",
        ],
        model=MODELS,
    )


def all_targets():
    """What `snakemake --cores 4` builds."""
    return data_targets() + model_targets()
