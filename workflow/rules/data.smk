# Data stage: the lecture's mlm.csv, fetched and checked against data.sha256, validated and
# written as parquet, then summarised as rethinking::precis prints it. Logic: mlmpipe.fetch,
# mlmpipe.validation, mlmpipe.precis.
#
# Only the sha256 is a parameter of the download: the file is the same whether it came from
# data.url or data.local_copy, so switching between them (offline, CI) does not refit anything.


# The raw file, from data.local_copy when set, else downloaded from data.url with retries.
rule download_data:
    output:
        "data/raw/mlm.csv",
    params:
        sha256=config["data"]["sha256"],
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/data/download_data.log",
    localrule: True
    script:
        "../scripts/data_download.py"


# Columns, types, missing values and group labels checked; typed parquet for every model.
rule validate_data:
    input:
        rules.download_data.output[0],
    output:
        parquet="data/processed/mlm.parquet",
    params:
        groups=config["data"]["groups"],
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/data/validate_data.log",
    script:
        "../scripts/data_validate.py"


# The lecture's rethinking::precis(d): a table for the report and the printout as text.
rule data_precis:
    input:
        rules.validate_data.output.parquet,
    output:
        table=report(
            "results/data/precis.csv",
            caption="../report/data_precis.rst",
            category="Data",
        ),
        text="results/data/precis.txt",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/data/data_precis.log",
    script:
        "../scripts/data_precis.py"
