"""``nwp500``: the command. ``nwp500 report FILE`` turns a diagnostics export into an HTML
report; ``nwp500 simulator`` runs the simulated Navien cloud. Bad input is one line on
stderr and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys

from .report import ReportError, load, render

USAGE_ERROR = 2


def _report(args: argparse.Namespace) -> int:
    history = load(args.file)
    out = args.output or os.path.splitext(os.path.basename(args.file))[0] + ".html"
    with open(out, "w", encoding="utf-8") as f:
        f.write(render(history))
    print(os.path.abspath(out))
    return 0


def _simulator(rest: list[str]) -> int:
    from ..simulator.__main__ import main as simulator_main  # a tool of its own, loaded on demand

    return int(simulator_main(rest) or 0)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nwp500",
        description="Keep a Navien NWP500 connected to the Navien cloud and see why it drops.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("report", help="turn a diagnostics export into a self-contained HTML report",
                       description="Reads export_json() output, an nwp500-python export, or a Home Assistant "
                                   "diagnostics download of the ha_nwp500 integration, and writes one HTML file "
                                   "(no network access needed to view it). Prints the file's path.")
    r.add_argument("file", help="the export (JSON)")
    r.add_argument("-o", "--output", help="where to write the report (default: FILE's name with .html, here)")
    sub.add_parser("simulator", help="run the simulated Navien cloud (same as python -m nwp500.simulator)",
                   add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["simulator"]:
        return _simulator(argv[1:])
    p = parser()
    args = p.parse_args(argv)  # argparse itself exits 2 with a usage line on bad arguments
    if args.command is None:
        p.print_help()
        return USAGE_ERROR
    try:
        return _report(args)
    except (ReportError, OSError) as e:
        print(f"nwp500 report: error: {e}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
