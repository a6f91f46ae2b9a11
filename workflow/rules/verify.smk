# Before Snakemake plans the run: every output an earlier run left is compared with its
# provenance record (mlmpipe.verify), and one that changed since it was made -- a truncated
# CmdStan CSV, an edited figure, a corrupted posterior.nc or compiled model -- is remade,
# with everything made from it, as if named with --forcerun. A damaged CmdStan stops the run
# with the command that repairs it. Once the run holds the working directory's lock, the
# temporary files of writes an interruption cut short are removed.

from mlmpipe.verify import DamagedToolchainError, remove_temporaries, verify_tree  # noqa: E402


def verify_outputs_before_planning():
    """Force the rerun of every damaged output; stop on a damaged CmdStan."""
    if not workflow.is_main_process:
        return  # jobs run elsewhere (cluster, subprocess) trust the main process's check
    try:
        found = verify_tree(Path.cwd())
    except DamagedToolchainError as error:
        raise WorkflowError(str(error)) from None
    for message in found.messages:
        logger.warning(f"verify: {message}")
    if found.remake:
        settings = workflow.dag_settings
        settings.forcerun = frozenset(settings.forcerun) | frozenset(found.remake)


verify_outputs_before_planning()


onstart:
    for path in remove_temporaries(Path.cwd()):
        logger.info(f"removed {path}, left by an interrupted run")
