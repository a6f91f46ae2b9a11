# Draws stage: the lecture's tidybayes tables (spread_draws, epred/predicted draws, mean_qi),
# computed from the posterior.nc of the model playing each part (config `lecture`) by
# mlmpipe.tables. Draw tables are parquet, summaries CSV; every table gets a provenance
# record beside it. DRAW_RULE_ROLES (common.smk) says which models each rule runs for.


rule draws_spread_heads:
    input:
        posterior=rules.posterior.output.posterior,
    output:
        spread="results/tables/{model}_spread_draws_head.csv",
        r_id="results/tables/{model}_r_id_head.csv",
    params:
        rows=config["draws"]["head_rows"],
    wildcard_constraints:
        model=role_pattern("draws_spread_heads"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_spread_heads.log",
    script:
        "../scripts/draws_spread_heads.py"


rule draws_people_epred:
    input:
        posterior=rules.posterior.output.posterior,
    output:
        draws="results/draws/{model}_epred_people.parquet",
    wildcard_constraints:
        model=role_pattern("draws_people_epred"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_epred_people.log",
    script:
        "../scripts/draws_people_epred.py"


rule draws_person_means:
    input:
        posterior=rules.posterior.output.posterior,
        no_pooling=upstream("draws_people_epred", "draws", "no_pooling"),
        data=rules.validate_data.output.parquet,
    output:
        draws="results/draws/{model}_person_means.parquet",
        table="results/tables/{model}_person_means.csv",
    params:
        width=config["draws"]["width"],
    wildcard_constraints:
        model=role_pattern("draws_person_means"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_person_means.log",
    script:
        "../scripts/draws_person_means.py"


rule draws_pooling_means:
    input:
        no_pooling=upstream("draws_people_epred", "draws", "no_pooling"),
        partial_pooling=upstream("draws_people_epred", "draws", "partial_pooling"),
    output:
        table="results/tables/pooling_means.csv",
    params:
        width=config["draws"]["width"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/pooling_means.log",
    script:
        "../scripts/draws_pooling_means.py"


rule draws_selected:
    input:
        posterior=rules.posterior.output.posterior,
        data=rules.validate_data.output.parquet,
    output:
        epred="results/draws/{model}_epred_selected.parquet",
        predicted="results/draws/{model}_predicted_selected.parquet",
        epred_table="results/tables/{model}_epred_selected.csv",
        predicted_table="results/tables/{model}_predicted_selected.csv",
    params:
        ids=config["highlight"]["predictions"],
        seed=config["draws"]["seed"],
        width=config["draws"]["width"],
    wildcard_constraints:
        model=role_pattern("draws_selected"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_selected.log",
    script:
        "../scripts/draws_selected.py"


rule draws_new_people:
    input:
        posterior=rules.posterior.output.posterior,
        data=rules.validate_data.output.parquet,
    output:
        draws="results/draws/{model}_epred_new_people.parquet",
        table="results/tables/{model}_epred_new_people.csv",
    params:
        new_people=config["highlight"]["new_people"],
        seed=config["draws"]["seed"],
        method=config["draws"]["sample_new_levels"],
        width=config["draws"]["width"],
    wildcard_constraints:
        model=role_pattern("draws_new_people"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_new_people.log",
    script:
        "../scripts/draws_new_people.py"


rule draws_trajectories:
    input:
        posterior=rules.posterior.output.posterior,
        data=rules.validate_data.output.parquet,
    output:
        table="results/tables/{model}_epred_trajectories.csv",
    params:
        ids=config["highlight"]["trajectories"],
        width=config["draws"]["width"],
    wildcard_constraints:
        model=role_pattern("draws_trajectories"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_epred_trajectories.log",
    script:
        "../scripts/draws_trajectories.py"
