# Toolchain stage: the CmdStan every model is compiled and run with, recorded as JSON
# (path, version, source, stanc version). With CMDSTAN set that installation is used as is;
# otherwise the project-local CmdStan is assembled from the httpstan wheel (once; later runs
# only check its stamp). Logic: mlmpipe.toolchain.

import os


rule cmdstan_toolchain:
    output:
        "results/toolchain/cmdstan.json",
    params:
        # switching between CMDSTAN and the project-local build re-runs the rule
        cmdstan=os.environ.get("CMDSTAN", ""),
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/toolchain/cmdstan.log",
    localrule: True
    script:
        "../scripts/toolchain_describe.py"
