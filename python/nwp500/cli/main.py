"""``nwp500`` (also installed as ``nwp-cli``, and ``python -m nwp500``): the command.

``nwp500 report FILE`` turns a diagnostics export into an HTML report and ``nwp500 simulator``
runs the simulated Navien cloud; both work with the library alone. Every other command (the
nwp-cli 9.3.0 device commands and ``monitor``) needs the ``cli`` extra, click and rich
(``pip install 'nwp500[cli]'``); without it they say so in one line. Bad input is one line on
stderr and exit status 2, never a traceback; a failure of the cloud or the device is one line
and exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .report import ReportError, load, render

USAGE_ERROR = 2
EXTRA_HINT = "pip install 'nwp500[cli]'"


def _prog() -> str:
    return "nwp-cli" if os.path.basename(sys.argv[0] or "") == "nwp-cli" else "nwp500"


def report_parser() -> argparse.ArgumentParser:
    """The argument parser of ``nwp500 report``."""
    r = argparse.ArgumentParser(
        prog=f"{_prog()} report",
        description="Turn a diagnostics export into a self-contained HTML report. Reads export_json() output, "
                    "an nwp500-python export, or a Home Assistant diagnostics download of the ha_nwp500 "
                    "integration, and writes one HTML file (no network access needed to view it). Prints the "
                    "file's path.")
    r.add_argument("file", help="the export (JSON)")
    r.add_argument("-o", "--output", help="where to write the report (default: FILE's name with .html, here)")
    return r


def report_main(argv: list[str]) -> int:
    """``nwp500 report FILE [-o OUT]``: write the HTML report and print its path."""
    args = report_parser().parse_args(argv)  # argparse itself exits 2 with a usage line on bad arguments
    try:
        history = load(args.file)
        out = args.output or os.path.splitext(os.path.basename(args.file))[0] + ".html"
        with open(out, "w", encoding="utf-8") as f:
            f.write(render(history))
    except (ReportError, OSError) as e:
        print(f"{_prog()} report: error: {e}", file=sys.stderr)
        return USAGE_ERROR
    print(os.path.abspath(out))
    return 0


def _simulator(rest: list[str]) -> int:
    from ..simulator.__main__ import main as simulator_main  # a tool of its own, loaded on demand

    return int(simulator_main(rest) or 0)


def parser() -> argparse.ArgumentParser:
    """The help shown when the ``cli`` extra is not installed: what works, and how to get the rest."""
    from .._version import __version__

    p = argparse.ArgumentParser(
        prog=_prog(),
        description="Keep a Navien NWP500 connected to the Navien cloud and see why it drops.",
        epilog=f"The device commands (monitor, status, power, mode, temp, reservations, tou, energy, ...) need "
               f"click and rich: {EXTRA_HINT}")
    p.add_argument("--version", action="version", version=f"nwp500, version {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("report", help="turn a diagnostics export into a self-contained HTML report", add_help=False)
    sub.add_parser("simulator", help="run the simulated Navien cloud (same as python -m nwp500.simulator)",
                   add_help=False)
    return p


def _load_cli() -> Any:
    try:
        import click  # noqa: F401 - the extra's marker
    except ImportError:
        return None
    from .commands import cli

    return cli


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _run_click(cli: Any, argv: list[str]) -> int:
    import click

    from .session import CliError

    prog = _prog()
    try:
        rv = cli.main(args=argv, prog_name=prog, standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:  # a group without its sub-command
        print(e.ctx.get_help() if e.ctx else _one_line(e.format_message()))
        return USAGE_ERROR
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx else prog
        print(f"{where}: error: {_one_line(e.format_message())}", file=sys.stderr)
        return USAGE_ERROR
    except click.Abort:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except click.ClickException as e:
        print(f"{prog}: error: {_one_line(e.format_message())}", file=sys.stderr)
        return e.exit_code or 1
    except CliError as e:
        print(f"{e.command or prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return rv if isinstance(rv, int) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["report"]:
        return report_main(argv[1:])
    if argv[:1] == ["simulator"]:
        return _simulator(argv[1:])
    cli = _load_cli()
    if cli is None:
        if not argv or argv[0] in ("-h", "--help", "--version"):
            p = parser()
            if not argv:
                p.print_help()
                return USAGE_ERROR
            p.parse_args(argv[:1])  # prints the help or the version and exits 0
            return 0
        print(f"{_prog()}: error: '{argv[0]}' needs the command-line extra (click, rich): {EXTRA_HINT}",
              file=sys.stderr)
        return USAGE_ERROR
    if not argv:
        import click

        with click.Context(cli, info_name=_prog(), **cli.context_settings) as ctx:
            print(cli.get_help(ctx))
        return USAGE_ERROR
    return _run_click(cli, argv)


if __name__ == "__main__":
    sys.exit(main())
