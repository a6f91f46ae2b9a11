# Posterior stage: per model, one job writes the brms-named InferenceData of the fit and what
# is read from it -- brms's variable list and summary, convergence diagnostics and PSIS-LOO;
# then the LOO comparisons of the config's `loo_compare` groups.


wildcard_constraints:
    comparison="|".join(config.get("loo_compare") or {"none": []}),


rule posterior:
    # One process per model reads the CSVs once and writes everything read from the draws
    # (importing ArviZ costs more than all of this work).
    input:
        fit=rules.sample_model.output.fit,
        data=rules.validate_data.output.parquet,
        standata=rules.model_data.output.data,
    output:
        posterior="results/{model}/posterior.nc",
        variables="results/{model}/variables.txt",
        summary_csv="results/{model}/summary.csv",
        summary_txt="results/{model}/summary.txt",
        diagnostics_json="results/{model}/diagnostics.json",
        diagnostics_txt="results/{model}/diagnostics.txt",
        loo_txt="results/{model}/loo.txt",
        loo_csv="results/{model}/loo.csv",
        loo_pointwise="results/{model}/loo_pointwise.csv",
    params:
        spec=model_spec,
        sampler=sampler_settings,
        thresholds=config["diagnostics"],
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
