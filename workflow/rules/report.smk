# Report stage: the course report (reports/, Quarto sources). Each section is executed by its
# own job into a frozen fragment (results/report/sections/<section>/section.md + images), with
# exactly the files it reads as inputs, so a change to one model re-executes that model's
# section and the sections that read it, nothing else; the report never fits or samples.
# The assembly inlines the fragments into results/report/course-report.html and .pdf.
# Renderer: Quarto when on PATH (or report.renderer: quarto), else mlmpipe.report.
# Section inputs are in common.smk (report_section_inputs).


rule report_section:
    input:
        unpack(report_section_inputs),
    output:
        directory("results/report/sections/{section}"),
    params:
        params=report_section_params,
        label_suffix="",
        renderer=config["report"]["renderer"],
        timeout=config["report"]["timeout_seconds"],
    wildcard_constraints:
        section="|".join(REPORT_SECTIONS),
    threads: 1
    resources:
        mem_mb=1600,
        runtime=10,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/report/{section}.log",
    script:
        "../scripts/report_section.py"


rule report_model_section:
    input:
        unpack(model_section_inputs),
    output:
        directory("results/report/sections/model-{model}"),
    params:
        params=model_section_params,
        label_suffix="{model}",
        renderer=config["report"]["renderer"],
        timeout=config["report"]["timeout_seconds"],
    threads: 1
    resources:
        mem_mb=1600,
        runtime=10,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/report/model-{model}.log",
    script:
        "../scripts/report_section.py"


rule report_models_index:
    output:
        "results/report/sections/models.md",
    params:
        models=MODELS,
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/report/models_index.log",
    script:
        "../scripts/report_models_index.py"


rule report_assemble:
    input:
        main=repository_file("reports/course-report.qmd"),
        index=rules.report_models_index.output[0],
        sections=expand(rules.report_section.output[0], section=REPORT_SECTIONS),
        models=expand(rules.report_model_section.output[0], model=MODELS),
    output:
        main="results/report/course-report.qmd",
        html=report("results/report/course-report.html", category="Report"),
        pdf="results/report/course-report.pdf",
    params:
        renderer=config["report"]["renderer"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/report/assemble.log",
    script:
        "../scripts/report_assemble.py"
