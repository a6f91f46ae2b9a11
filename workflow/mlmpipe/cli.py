"""The ``mlmpipe`` command line: ``python -m mlmpipe <command> ...``.

Each subcommand lives in its own module, which provides ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status). Adding one is one line in :data:`COMMANDS`; the module
is imported only when its command runs, so a quick command never pays for a heavy one.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("mlmpipe.provenance.audit", "check provenance records against the files on disk"),
    "stancode": (
        "mlmpipe.formula.command",
        "print the Stan program of a brms formula (brms 2.18's make_stancode, priors as data)",
    ),
    "show": (
        "mlmpipe.provenance.show",
        "say how a figure or table was made (its provenance record)",
    ),
}
"""Subcommand name -> (module with ``add_arguments`` and ``run``, one-line help)."""


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser: a command name, then that command's own arguments."""
    listing = "\n".join(f"  {name:<12}{summary}" for name, (_, summary) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="mlmpipe",
        description="Tools of the multilevel-model course report pipeline.",
        epilog=f"commands:\n{listing}\n\nRun 'mlmpipe <command> --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=sorted(COMMANDS), metavar="command")
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in ``argv`` (default: ``sys.argv[1:]``) and return its exit status.

    An unknown command exits with status 2 and argparse's message, as a bad option does.
    """
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    module_name, summary = COMMANDS[args.command]
    module = importlib.import_module(module_name)
    sub = argparse.ArgumentParser(prog=f"mlmpipe {args.command}", description=summary)
    module.add_arguments(sub)
    return int(module.run(sub.parse_args(args.args)))


if __name__ == "__main__":
    sys.exit(main())
