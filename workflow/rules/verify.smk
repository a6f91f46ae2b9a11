# Before Snakemake plans the run: every output an earlier run left is compared with its
# provenance record (mlmpipe.verify). One changed since it was made -- a truncated CmdStan
# CSV, an edited figure, a corrupted posterior.nc or compiled model -- is deleted, so that
# this run makes it again, and then everything made from it. A dry run only names them. A
# damaged CmdStan stops the run with the command that repairs it. Once the run holds the
# working directory's lock, the temporary files of writes an interruption cut short go.

import sys  # noqa: E402

from mlmpipe.verify import (  # noqa: E402
    DamagedToolchainError,
    discard,
    other_run_holds_lock,
    remove_temporaries,
    verify_tree,
)

# Snakemake options that plan or inspect but run no job: damaged outputs are only named.
NO_JOB_OPTIONS = {
    "--touch", "-t", "--unlock", "--lint", "--cleanup-metadata", "--cm", "--summary", "-S",
    "--detailed-summary", "-D", "--dag", "--rulegraph", "--filegraph", "--report",
    "--list-changes", "--lc", "--list-rules", "-l", "--list-target-rules", "--lt",
    "--archive", "--delete-all-output", "--delete-temp-output", "--print-compilation",
}  # fmt: skip


def verify_outputs_before_planning():
    """Delete every damaged output (name it only in a dry run); stop on a damaged CmdStan."""
    root = Path.cwd()
    if not workflow.is_main_process or other_run_holds_lock(root):
        return  # a job elsewhere, or a second run Snakemake's lock will refuse
    try:
        found = verify_tree(root)
    except DamagedToolchainError as error:
        raise WorkflowError(str(error)) from None
    runs_jobs = not workflow.output_settings.dryrun and NO_JOB_OPTIONS.isdisjoint(sys.argv)
    outcome = "removed; this run makes it again" if runs_jobs else "a run will make it again"
    for message in found.messages:
        logger.warning(f"verify: {message}: {outcome}, and what depends on it")
    if runs_jobs:
        discard(root, found.remake)


verify_outputs_before_planning()


onstart:
    for path in remove_temporaries(Path.cwd()):
        logger.info(f"removed {path}, left by an interrupted run")
