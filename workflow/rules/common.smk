# Shared helpers for every stage: model names, target lists, input functions.

import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from mlmpipe.models import load_specs, spec_to_dict  # noqa: E402

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
            "results/{model}/model_frame.json",
            "results/{model}/posterior.nc",
            "results/{model}/summary.csv",
            "results/{model}/summary.txt",
            "results/{model}/variables.txt",
            "results/{model}/diagnostics.json",
            "results/{model}/diagnostics.txt",
            "results/{model}/loo.csv",
            "results/{model}/loo.txt",
        ],
        model=MODELS,
    )


FIGURE_IDS = [
    "data_trajectories",
    "pooling_intervals",
    "pooling_means",
    "person_means",
    "shrinkage",
    "expected_vs_predicted",
    "new_people",
    "m3_trajectories",
    "m4_trajectories",
]


def figure_targets():
    """Every lecture figure, as PNG and SVG (rules in figures.smk)."""
    return expand("results/figures/{figure}.{ext}", figure=FIGURE_IDS, ext=["png", "svg"])


def posterior_nc(model):
    """The posterior file of one model (written by the posterior stage)."""
    return f"results/{model}/posterior.nc"


def draws_targets():
    """The draw tables and their summaries (rules in draws.smk)."""
    return [
        "results/tables/m2_spread_draws_head.csv",
        "results/tables/m2_r_id_head.csv",
        "results/draws/m1_epred_people.parquet",
        "results/draws/m2_epred_people.parquet",
        "results/draws/m2_person_means.parquet",
        "results/tables/m2_person_means.csv",
        "results/tables/pooling_means.csv",
        "results/draws/m2_epred_selected.parquet",
        "results/draws/m2_predicted_selected.parquet",
        "results/tables/m2_epred_selected.csv",
        "results/tables/m2_predicted_selected.csv",
        "results/draws/m2_epred_new_people.parquet",
        "results/tables/m2_epred_new_people.csv",
        "results/tables/m3_epred_trajectories.csv",
        "results/tables/m4_epred_trajectories.csv",
    ]


# ----------------------------------------------------------------- fit and posterior stages

REPOSITORY = Path(workflow.basedir)


def stan_program(wildcards):
    """The model's Stan program: its config path, read from the repository when the working
    directory (`--directory`) has no such file."""
    path = Path(SPECS[wildcards.model].stan_file)
    if path.is_absolute() or path.exists():
        return str(path)
    return str(REPOSITORY / path)


def model_spec(wildcards):
    """The model's structure and priors, as a plain dict (a change re-runs the job)."""
    spec = spec_to_dict(SPECS[wildcards.model])
    keep = ("formula", "response", "intercept", "population", "nlpar", "varying", "priors")
    return {key: spec[key] for key in keep}


def sampler_settings(wildcards):
    """The model's sampler settings: chains, iter, warmup, seed, adapt_delta, max_treedepth."""
    spec = SPECS[wildcards.model]
    return {
        "chains": spec.chains,
        "iter": spec.iter,
        "warmup": spec.warmup,
        "seed": spec.seed,
        "adapt_delta": spec.adapt_delta,
        "max_treedepth": spec.max_treedepth,
    }


def loo_compare_targets():
    """The LOO comparisons of the config's `loo_compare` groups."""
    return expand(
        "results/loo/compare_{comparison}.{ext}",
        comparison=list(config.get("loo_compare") or {}),
        ext=["csv", "txt"],
    )


def all_targets():
    """What `snakemake --cores 4` builds."""
    return (
        data_targets()
        + model_targets()
        + loo_compare_targets()
        + draws_targets()
        + figure_targets()
    )
