# Shared helpers for every stage: the models, the parts they play in the lecture, target
# lists built from the rules' own outputs, and input functions.

import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from mlmpipe.figures.registry import FIGURES  # noqa: E402
from mlmpipe.models import load_specs, prior_families, spec_to_dict  # noqa: E402

REPOSITORY = Path(workflow.basedir)
SPECS = load_specs(config, repository=REPOSITORY)
MODELS = list(SPECS)
GENERATED = [name for name, spec in SPECS.items() if spec.generated] or ["none"]
ROLES = config["lecture"]

# The draw-table rules (draws.smk) and the lecture parts whose models each one runs for.
DRAW_RULE_ROLES = {
    "draws_spread_heads": ["partial_pooling"],
    "draws_people_epred": ["no_pooling", "partial_pooling"],
    "draws_person_means": ["partial_pooling"],
    "draws_pooling_means": [],
    "draws_selected": ["partial_pooling"],
    "draws_new_people": ["partial_pooling"],
    "draws_trajectories": ["level1_covariate", "level2_covariate"],
}


wildcard_constraints:
    model="|".join(MODELS),


def role_pattern(rule_name):
    """The `{model}` wildcard constraint of a draw-table rule: the models it runs for."""
    return "|".join(ROLES[role] for role in DRAW_RULE_ROLES[rule_name])


def upstream(rule_name, output, role=None):
    """The path of a rule's named output, for the model playing `role` in the lecture."""
    pattern = getattr(getattr(rules, rule_name).output, output)
    return expand(pattern, model=ROLES[role])[0] if role else pattern


def rule_outputs(rule_name, **wildcards):
    """Every output path of a rule, with its wildcards filled in (lists expand)."""
    return expand(list(getattr(rules, rule_name).output), **wildcards)


def data_targets():
    """The data stage's outputs."""
    return rule_outputs("validate_data") + rule_outputs("data_precis")


def model_targets():
    """Every model's fit outputs, the compiled program and CmdStan's CSVs included (so a run
    that finds one damaged, and removes it, makes it again)."""
    stages = ("model_data", "compile_model", "sample_model", "posterior")
    return [path for name in stages for path in rule_outputs(name, model=MODELS)]


def draws_targets():
    """The draw tables and their summaries, for the models the lecture's parts name."""
    targets = []
    for rule_name, roles in DRAW_RULE_ROLES.items():
        models = [ROLES[role] for role in roles]
        targets += rule_outputs(rule_name, model=models) if roles else rule_outputs(rule_name)
    return targets


def figure_targets():
    """Every figure of the registry (mlmpipe.figures.registry), as PNG and SVG."""
    return rule_outputs("figure", figure=list(FIGURES))


def figure_inputs(wildcards):
    """A figure's inputs, by the names its registry entry gives them, plus the drawing code."""
    entry = FIGURES[wildcards.figure]
    inputs = {name: upstream(src.rule, src.output, src.role) for name, src in entry.inputs.items()}
    return inputs | {"code": FIGURE_CODE}


def repository_file(path):
    """A file of the repository, relative when the working directory (`--directory`) is the
    repository, else absolute."""
    path = Path(path)
    return str(path) if path.exists() else str(REPOSITORY / path)


FIGURE_CODE = sorted(
    repository_file(p.relative_to(REPOSITORY))
    for p in (REPOSITORY / "workflow/mlmpipe/figures").glob("*.py")
)


# ----------------------------------------------------------------- fit and posterior stages


def stan_program(wildcards):
    """The model's Stan program: its config path, read from the repository when the working
    directory (`--directory`) has no such file; a generated one is the model_program rule's."""
    spec = SPECS[wildcards.model]
    return spec.stan_file if spec.generated else repository_file(spec.stan_file)


def compile_priority(wildcards, input):
    """Longer programs compile longer: they start first, so that the slowest compile does
    not end up running alone while the samplers wait for it (the size in 500-byte units)."""
    program = Path(input.stan)
    return 1 + program.stat().st_size // 500 if program.is_file() else 1


def model_spec(wildcards):
    """The model's formula, family and priors, as a plain dict (a change re-runs the job)."""
    spec = spec_to_dict(SPECS[wildcards.model])
    return {key: spec[key] for key in ("formula", "family", "priors")}


def model_structure(wildcards):
    """What a generated program depends on: the formula, the family and each prior's family
    (a prior's values are data, so changing them regenerates nothing)."""
    spec = SPECS[wildcards.model]
    return {
        "formula": list(spec.formula),
        "family": spec.family,
        "prior_families": prior_families(spec.priors),
    }


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


def comparison_inputs(wildcards):
    """The pointwise LOO of each model of a `loo_compare` group."""
    models = config["loo_compare"][wildcards.comparison]
    return expand(rules.posterior.output.loo_pointwise, model=models)


def loo_compare_targets():
    """The LOO comparisons of the config's `loo_compare` groups."""
    return rule_outputs("loo_compare", comparison=list(config.get("loo_compare") or {}))


# ------------------------------------------------------------------------------ report stage

REPORT_SECTIONS = ["data", "pooling", "predictions", "covariates", "comparisons", "provenance"]


def _figure_files(*figures):
    return [upstream("figure", "png").format(figure=figure) for figure in figures]


def report_section_inputs(wildcards):
    """The files a cross-model section of the report reads, plus its source."""
    section = wildcards.section
    source = {"source": repository_file(f"reports/sections/{section}.qmd")}
    compare = lambda name: expand(rules.loo_compare.output, comparison=name)  # noqa: E731
    comparisons = list(config.get("loo_compare") or {})
    if section == "data":
        files = rule_outputs("data_precis") + _figure_files("data_trajectories")
    elif section == "pooling":
        files = compare(comparisons[0]) + _figure_files(
            "pooling_intervals", "pooling_means", "person_means", "shrinkage"
        )
        files += [upstream("posterior", "posterior", "partial_pooling")]
    elif section == "predictions":
        files = rule_outputs("draws_selected", model=ROLES["partial_pooling"])
        files += _figure_files("expected_vs_predicted", "new_people")
    elif section == "covariates":
        files = [upstream("draws_trajectories", "table", "level1_covariate")]
        files += _figure_files("m3_trajectories", "m4_trajectories")
    elif section == "comparisons":
        files = compare(comparisons)
    else:  # provenance: every figure and table
        files = figure_targets() + draws_targets() + rule_outputs("data_precis")
        files += loo_compare_targets()
        files += expand(rules.posterior.output.summary_csv, model=MODELS)
        files += expand(rules.posterior.output.summary_txt, model=MODELS)
    return source | {"files": files}


def report_section_params(wildcards):
    """The parameters of a cross-model section: the models playing its parts."""
    comparisons = list(config.get("loo_compare") or {})
    return {
        "data": {},
        "pooling": {
            "no_pooling": ROLES["no_pooling"],
            "partial_pooling": ROLES["partial_pooling"],
            "comparison": comparisons[0],
        },
        "predictions": {"partial_pooling": ROLES["partial_pooling"]},
        "covariates": {
            "level1_covariate": ROLES["level1_covariate"],
            "level2_covariate": ROLES["level2_covariate"],
        },
        "comparisons": {"comparisons": ",".join(comparisons)},
        "provenance": {},
    }[wildcards.section]


def model_section_inputs(wildcards):
    """The files one model's section reads: its outputs, Stan program and text."""
    files = rule_outputs("model_data", model=wildcards.model)
    files += rule_outputs("posterior", model=wildcards.model)
    text = Path("reports/models") / f"{wildcards.model}.md"
    extra = [repository_file(text)] if (REPOSITORY / text).exists() else []
    source = repository_file("reports/sections/model.qmd")
    return {"source": source, "stan": stan_program(wildcards)} | {"files": files + extra}


def model_section_params(wildcards):
    """The parameters of one model's section: the model, its lecture text if it has one, and
    its Stan program (paths that hold wherever the working folder is)."""
    text = Path("reports/models") / f"{wildcards.model}.md"
    exists = (REPOSITORY / text).exists()
    return {
        "model": wildcards.model,
        "text": repository_file(text) if exists else "",
        "stan": stan_program(wildcards),
    }


def report_targets():
    """The rendered course report."""
    return list(rules.report_assemble.output)


def all_targets():
    """What `snakemake --cores 4` builds."""
    return (
        data_targets()
        + model_targets()
        + loo_compare_targets()
        + draws_targets()
        + figure_targets()
        + report_targets()
    )
