# Fit stage: per model, the Stan data (rows with a missing formula variable dropped), the
# compiled program (built under results/build/, never beside stan/*.stan) and the CmdStan
# CSVs. A model's program is compiled from its own Stan file only, so editing stan/m3.stan
# refits m3 alone; a prior is data, so changing one re-samples without recompiling.

from mlmpipe.models import spec_to_dict


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


rule model_data:
    input:
        data="data/processed/mlm.parquet",
    output:
        data="results/{model}/data.json",
        frame="results/{model}/model_frame.json",
    params:
        spec=model_spec,
    log:
        "logs/fit/{model}_data.log",
    script:
        "../scripts/model_data.py"


rule compile_model:
    input:
        stan=lambda wildcards: SPECS[wildcards.model].stan_file,
        toolchain="results/toolchain/cmdstan.json",
    output:
        exe="results/build/{model}/{model}",
    log:
        "logs/fit/{model}_compile.log",
    script:
        "../scripts/compile_model.py"


rule sample_model:
    input:
        exe="results/build/{model}/{model}",
        data="results/{model}/data.json",
        toolchain="results/toolchain/cmdstan.json",
    output:
        fit=directory("results/{model}/fit"),
    params:
        sampler=sampler_settings,
    threads: 4
    log:
        "logs/fit/{model}_sample.log",
    script:
        "../scripts/sample_model.py"
