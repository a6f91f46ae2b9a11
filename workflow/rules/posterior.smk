# Posterior stage: the brms-named InferenceData of each fit, and what is read from it --
# brms's variable list and summary, convergence diagnostics, PSIS-LOO, and the LOO
# comparisons of the config's `loo_compare` groups.


wildcard_constraints:
    comparison="|".join(config.get("loo_compare") or {"none": []}),


rule posterior:
    input:
        fit=rules.sample_model.output.fit,
        data=rules.validate_data.output.parquet,
        standata=rules.model_data.output.data,
    output:
        posterior="results/{model}/posterior.nc",
        variables="results/{model}/variables.txt",
    params:
        spec=model_spec,
        sampler=sampler_settings,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/posterior/{model}_posterior.log",
    script:
        "../scripts/posterior.py"


rule model_summary:
    input:
        posterior=rules.posterior.output.posterior,
    output:
        csv="results/{model}/summary.csv",
        txt="results/{model}/summary.txt",
    params:
        sampler=sampler_settings,
    threads: 1
    resources:
        mem_mb=800,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/posterior/{model}_summary.log",
    script:
        "../scripts/model_summary.py"


rule model_diagnostics:
    input:
        posterior=rules.posterior.output.posterior,
    output:
        json="results/{model}/diagnostics.json",
        txt="results/{model}/diagnostics.txt",
    params:
        thresholds=config["diagnostics"],
        sampler=sampler_settings,
    threads: 1
    resources:
        mem_mb=800,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/posterior/{model}_diagnostics.log",
    script:
        "../scripts/model_diagnostics.py"


rule model_loo:
    input:
        posterior=rules.posterior.output.posterior,
    output:
        txt="results/{model}/loo.txt",
        csv="results/{model}/loo.csv",
        pointwise="results/{model}/loo_pointwise.csv",
    params:
        sampler=sampler_settings,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/posterior/{model}_loo.log",
    script:
        "../scripts/model_loo.py"


rule loo_compare:
    input:
        pointwise=comparison_inputs,
    output:
        csv="results/loo/compare_{comparison}.csv",
        txt="results/loo/compare_{comparison}.txt",
    params:
        models=lambda wildcards: list(config["loo_compare"][wildcards.comparison]),
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/posterior/compare_{comparison}.log",
    script:
        "../scripts/loo_compare.py"
