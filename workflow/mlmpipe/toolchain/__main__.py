"""Command line: ``python -m mlmpipe.toolchain [--dest DIR] [--force] [--quiet-if-built]``.

Builds (or checks) the project-local CmdStan and prints its path; with ``--json PATH``
describes the CmdStan in use (``CMDSTAN`` if set) in PATH.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from mlmpipe.cmdstan import CmdStanError, default_home
from mlmpipe.toolchain import build_toolchain, is_built, write_description


def main(argv: list[str] | None = None) -> int:
    """Build the toolchain; return the process exit code (0 ok, 1 build failed)."""
    parser = argparse.ArgumentParser(
        prog="python -m mlmpipe.toolchain",
        description="Assemble a CmdStan 2.35 from the httpstan wheel and print its path.",
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=None,
        help=f"CmdStan directory to build (default: {default_home()})",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--quiet-if-built",
        action="store_true",
        help="print nothing when the build is already up to date",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="PATH",
        help="write a description of the CmdStan in use to PATH (uses CMDSTAN "
        "if set, else builds the project-local one)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="toolchain: %(message)s", stream=sys.stderr)

    if args.json is not None:
        try:
            record = write_description(args.json)
        except CmdStanError as exc:
            print(f"toolchain: {exc}", file=sys.stderr)
            return 1
        print(record["path"])
        return 0

    up_to_date = not args.force and is_built(args.dest)
    if up_to_date and args.quiet_if_built:
        return 0
    if not up_to_date:
        print("toolchain: building CmdStan (a few minutes, once)", file=sys.stderr)
    started = time.monotonic()
    try:
        path = build_toolchain(args.dest, force=args.force)
    except CmdStanError as exc:
        print(f"toolchain: {exc}", file=sys.stderr)
        return 1
    if not up_to_date:
        print(f"toolchain: ready in {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
