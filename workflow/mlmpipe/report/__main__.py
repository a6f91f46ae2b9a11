"""Command line: ``python -m mlmpipe.report execute|assemble ...``.

A known failure (:class:`ReportError`) prints one line, ``error: <message>``, then its
detail (such as a cell's traceback) when there is one, and exits with status 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ReportError
from .renderer import RENDERERS


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of both subcommands."""
    parser = argparse.ArgumentParser(prog="python -m mlmpipe.report",
                                     description="Execute report sections; assemble the report.")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="execute one .qmd section into a fragment folder")
    ex.add_argument("source", type=Path, help="the section's .qmd file")
    ex.add_argument("--out", type=Path, required=True, help="the fragment folder to write")
    ex.add_argument("-P", "--param", action="append", default=[], metavar="NAME:VALUE",
                    help="a parameter value (YAML scalar); repeatable")
    ex.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell")
    ex.add_argument("--cwd", type=Path, default=None,
                    help="working folder of the cells (default: the current folder)")
    ex.add_argument("--no-title", action="store_true",
                    help="drop the front matter's title instead of making it a heading")
    asm = sub.add_parser("assemble", help="assemble fragments into HTML and PDF")
    asm.add_argument("main", type=Path, help="the main .qmd with include shortcodes")
    asm.add_argument("--html", type=Path, required=True, help="the HTML file to write")
    asm.add_argument("--pdf", type=Path, required=True, help="the PDF file to write")
    asm.add_argument("--footer-json", type=Path, default=None,
                     help='JSON {"commit": ..., "dirty": ..., "date": ...} for the footer')
    for command in (ex, asm):
        command.add_argument("--renderer", choices=RENDERERS, default="auto",
                             help="auto: Quarto when on PATH, else ours")
        command.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    return parser


def run(args: argparse.Namespace) -> None:
    """Run the parsed command. Raises :class:`ReportError` on failure."""
    if args.command == "execute":
        from .execute import execute_section
        from .params import parse_param_args

        path = execute_section(args.source, args.out, parse_param_args(args.param),
                               timeout=args.timeout, cwd=args.cwd, renderer=args.renderer,
                               title_heading=not args.no_title)
        logging.getLogger("mlmpipe.report").info("wrote %s", path)
    else:
        from .assemble import assemble, read_footer

        footer = read_footer(args.footer_json) if args.footer_json else None
        assemble(args.main, html=args.html, pdf=args.pdf, footer=footer,
                 renderer=args.renderer)
        logging.getLogger("mlmpipe.report").info("wrote %s and %s", args.html, args.pdf)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0, or 1 after a known failure)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(name)s: %(levelname)s: %(message)s", stream=sys.stderr)
    try:
        run(args)
    except ReportError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.detail:
            print(exc.detail.rstrip("\n"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
