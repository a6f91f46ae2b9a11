# The course report on multilevel models, from raw data to rendered report.
#   snakemake --cores 4            everything
#   snakemake --cores 4 audit      check every figure's and table's provenance
# See README.md. Rules live in workflow/rules/, one file per stage; logic in workflow/mlmpipe.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, schema="workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/toolchain.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/posterior.smk"
include: "workflow/rules/draws.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/provenance.smk"


rule all:
    input:
        all_targets(),
    default_target: True
