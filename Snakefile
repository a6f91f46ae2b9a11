# The course report on multilevel models, from raw data to rendered report.
#   snakemake --cores 4            everything
#   snakemake --cores 4 audit      check every figure's and table's provenance
# See README.md. Rules live in workflow/rules/, one file per stage; logic in workflow/mlmpipe.

import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from mlmpipe.config import ConfigError, check_inputs, validate_config  # noqa: E402


configfile: "config/config.yaml"


# Every run checks the config (with --config overrides) and fills in the schema's defaults
# before any rule is defined; an invalid config stops here, naming each bad key.
# The Stan programs must exist, and the people to highlight must be in the data when it is
# already here (a local copy or an earlier download); otherwise the draw tables check them.
try:
    validate_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
    check_inputs(config, repository=Path(workflow.basedir))
except ConfigError as error:
    raise WorkflowError(str(error)) from None


include: "workflow/rules/common.smk"
include: "workflow/rules/verify.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/toolchain.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/posterior.smk"
include: "workflow/rules/draws.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/provenance.smk"


rule all:
    input:
        all_targets(),
    default_target: True
