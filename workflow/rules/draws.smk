# Draws stage: the lecture's tidybayes tables (spread_draws, epred/predicted draws, mean_qi),
# computed from each model's posterior.nc by mlmpipe.draws. Draw tables are parquet,
# summaries CSV; every table gets a provenance record beside it.

# posterior_nc(model) is in common.smk: Snakemake's lint wants functions there.


rule draws_spread_heads:
    input:
        posterior=posterior_nc("m2"),
    output:
        spread="results/tables/m2_spread_draws_head.csv",
        r_id="results/tables/m2_r_id_head.csv",
    params:
        rows=config["draws"]["head_rows"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/m2_spread_heads.log",
    script:
        "../scripts/draws_spread_heads.py"


rule draws_people_epred:
    input:
        posterior="results/{model}/posterior.nc",
    output:
        draws="results/draws/{model}_epred_people.parquet",
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_epred_people.log",
    wildcard_constraints:
        model="m1|m2",
    script:
        "../scripts/draws_people_epred.py"


rule draws_person_means:
    input:
        posterior=posterior_nc("m2"),
        no_pooling="results/draws/m1_epred_people.parquet",
        data="data/processed/mlm.parquet",
    output:
        draws="results/draws/m2_person_means.parquet",
        table="results/tables/m2_person_means.csv",
    params:
        width=config["draws"]["width"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/m2_person_means.log",
    script:
        "../scripts/draws_person_means.py"


rule draws_pooling_means:
    input:
        no_pooling="results/draws/m1_epred_people.parquet",
        partial_pooling="results/draws/m2_epred_people.parquet",
    output:
        table="results/tables/pooling_means.csv",
    params:
        width=config["draws"]["width"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/pooling_means.log",
    script:
        "../scripts/draws_pooling_means.py"


rule draws_selected:
    input:
        posterior=posterior_nc("m2"),
        data="data/processed/mlm.parquet",
    output:
        epred="results/draws/m2_epred_selected.parquet",
        predicted="results/draws/m2_predicted_selected.parquet",
        epred_table="results/tables/m2_epred_selected.csv",
        predicted_table="results/tables/m2_predicted_selected.csv",
    params:
        ids=config["highlight"]["predictions"],
        seed=config["draws"]["seed"],
        width=config["draws"]["width"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/m2_selected.log",
    script:
        "../scripts/draws_selected.py"


rule draws_new_people:
    input:
        posterior=posterior_nc("m2"),
        data="data/processed/mlm.parquet",
    output:
        draws="results/draws/m2_epred_new_people.parquet",
        table="results/tables/m2_epred_new_people.csv",
    params:
        new_people=config["highlight"]["new_people"],
        seed=config["draws"]["seed"],
        method=config["draws"]["sample_new_levels"],
        width=config["draws"]["width"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/m2_new_people.log",
    script:
        "../scripts/draws_new_people.py"


rule draws_trajectories:
    input:
        posterior="results/{model}/posterior.nc",
        data="data/processed/mlm.parquet",
    output:
        table="results/tables/{model}_epred_trajectories.csv",
    params:
        ids=config["highlight"]["trajectories"],
        width=config["draws"]["width"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/draws/{model}_epred_trajectories.log",
    wildcard_constraints:
        model="m3|m4",
    script:
        "../scripts/draws_trajectories.py"
