# Provenance: every figure and table carries a record (<output>.prov.json, and inside PNGs),
# written by the rule that made it with mlmpipe.provenance.record_snakemake_outputs. This
# rule checks those records against the files on disk:
#   snakemake --cores 1 audit
# It has no declared output, so it runs whenever it is asked for and never triggers a rebuild.
# It writes results/audit.txt (and logs/audit.log) and fails when an output is stale, altered
# or unrecorded; the report names each one and why. Same check: python -m mlmpipe audit results


# The front page of `snakemake --report report.html`: what the workflow does, and provenance.
report: "../report/workflow.rst"


rule audit:
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/audit.log",
    run:
        from mlmpipe.provenance.audit import run_for_snakemake

        run_for_snakemake(["results"], config=config, report="results/audit.txt", log=log[0])
