# Fit stage: per model, the Stan data (rows with a missing formula variable dropped), the
# compiled program (built under results/build/, never beside stan/*.stan) and the CmdStan
# CSVs. A model's program is compiled from its own Stan file only, so editing stan/m3.stan
# refits m3 alone; a prior is data, so changing one re-samples without recompiling.
# A model without a checked-in stan/<name>.stan gets its program generated from its formula
# (results/<name>/model.stan), again only when the formula, family or a prior's family changes.
# Input functions (stan_program, model_spec, model_structure, sampler_settings): common.smk.

rule model_data:
    input:
        data=rules.validate_data.output.parquet,
    output:
        data="results/{model}/data.json",
        frame="results/{model}/model_frame.json",
    params:
        spec=model_spec,
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/fit/{model}_data.log",
    script:
        "../scripts/model_data.py"


rule model_program:
    input:
        data=rules.validate_data.output.parquet,
    output:
        stan="results/{model}/model.stan",
    params:
        structure=model_structure,
    wildcard_constraints:
        model="|".join(GENERATED),
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/fit/{model}_program.log",
    script:
        "../scripts/model_program.py"


rule compile_model:
    input:
        stan=stan_program,
        toolchain=rules.cmdstan_toolchain.output[0],
    output:
        exe="results/build/{model}/{model}",
    priority: compile_priority
    threads: 1
    resources:
        mem_mb=4500,
        runtime=20,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/fit/{model}_compile.log",
    script:
        "../scripts/compile_model.py"


rule sample_model:
    input:
        exe=rules.compile_model.output.exe,
        stan=stan_program,  # recorded in the fit's provenance beside the executable
        data=rules.model_data.output.data,
        toolchain=rules.cmdstan_toolchain.output[0],
    output:
        fit=directory("results/{model}/fit"),
    params:
        sampler=sampler_settings,
    threads: lambda wildcards: SPECS[wildcards.model].chains  # one per chain
    resources:
        cpus_per_task=lambda wildcards: SPECS[wildcards.model].chains,
        mem_mb=600,
        runtime=10,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/fit/{model}_sample.log",
    script:
        "../scripts/sample_model.py"
