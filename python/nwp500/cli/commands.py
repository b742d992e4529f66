"""The ``nwp500`` command line (click): every nwp-cli 9.3.0 command with its arguments, plus
``monitor``, ``report`` and ``simulator``.

Needs the ``cli`` extra (``pip install 'nwp500[cli]'``: click and rich); :mod:`.main` loads
this module only for the commands that need it. Each device command signs in (or reuses the
stored tokens), takes the account's first device, does its one thing and exits; a failure is
one line on stderr (see :mod:`.main`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, Callable

import click

from .._version import __version__
from ..config import api_base_url
from . import handlers
from . import tokens as token_store
from .session import CliError, describe_error, open_session

__all__ = ["cli"]

DAYS_HELP = "Days (comma-separated: MO,TU,WE,TH,FR,SA,SU or full names)"
MODE_HELP = "Mode: 1=HP, 2=Electric, 3=EnergySaver, 4=HighDemand, 5=Vacation, 6=PowerOff"


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)  # stdout stays clean for --raw/--json
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s:%(name)s:%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("nwp500").setLevel(level)


def _run(handler: Callable[..., Any], *args: Any, mqtt: bool = True, **kwargs: Any) -> None:
    """Sign in, connect, run ``handler(session, *args, **kwargs)``, close; errors become a
    :class:`CliError` naming the command."""
    ctx = click.get_current_context()
    obj = ctx.find_root().obj or {}

    async def main() -> None:
        async with open_session(obj.get("email"), obj.get("password"), obj.get("unit_system"),
                                connect_mqtt=mqtt) as session:
            await handler(session, *args, **kwargs)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        raise CliError("interrupted", 130) from None
    except BrokenPipeError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is one line, never a traceback
        error = describe_error(exc)
        logging.getLogger("nwp500.cli").debug("%s failed", ctx.command_path, exc_info=True)
        error.command = ctx.command_path
        raise error from None


def _offline(handler: Callable[..., Any], *args: Any) -> None:
    """Run ``handler(*args)`` without signing in (commands that only ask OpenEI)."""
    ctx = click.get_current_context()
    try:
        asyncio.run(handler(*args))
    except Exception as exc:  # noqa: BLE001
        error = describe_error(exc)
        error.command = ctx.command_path
        raise error from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--email", envvar="NAVIEN_EMAIL", help="Navien account email (or NAVIEN_EMAIL)")
@click.option("--password", envvar="NAVIEN_PASSWORD", help="Navien account password (or NAVIEN_PASSWORD)")
@click.option("--unit-system", type=click.Choice(["metric", "us_customary"], case_sensitive=False),
              help="Unit system: metric (C/LPM/L) or us_customary (F/GPM/gal); default: the device's own")
@click.option("-v", "--verbose", count=True, help="Increase verbosity (-v info, -vv debug; on stderr)")
@click.version_option(version=__version__, prog_name="nwp500")
@click.pass_context
def cli(ctx: click.Context, email: str | None, password: str | None, unit_system: str | None, verbose: int) -> None:
    """Keep a Navien NWP500 water heater connected, see why it drops, and control it.

    \b
    Start here:
      nwp500 monitor           live connection monitor with drop diagnosis (simulated
                               cloud unless NAVIEN_EMAIL is set); writes an HTML report
      nwp500 report FILE       turn a diagnostics export into an HTML report
      nwp500 status            the water heater's current status

    Sign-in tokens are kept in ~/.cache/nwp500/ (XDG_CACHE_HOME) so a run does not sign in
    again. Device commands act on the account's first device.
    """
    ctx.ensure_object(dict)
    ctx.obj.update(email=email, password=password, unit_system=unit_system.lower() if unit_system else None,
                   verbose=verbose)
    _setup_logging(verbose)


_raw = click.option("--raw", is_flag=True, help="Output raw JSON response")
_json = click.option("--json", "as_json", is_flag=True, help="Output raw JSON")


@cli.command("info")
@_raw
def info(raw: bool) -> None:
    """Show device information (firmware, capabilities)."""
    _run(handlers.info, raw)


@cli.command("device-info")
@_raw
def device_info(raw: bool) -> None:
    """Show basic device info from REST API (DeviceInfo model)."""
    _run(handlers.device_info, raw, mqtt=False)


@cli.command("status")
@_raw
def status(raw: bool) -> None:
    """Show current device status (temps, mode, etc)."""
    _run(handlers.status, raw)


@cli.command("serial")
def serial() -> None:
    """Get controller serial number."""
    _run(handlers.serial)


def _control(what: str, done: str, send: Callable[[Any, Any], Any]) -> None:
    _run(handlers.control, what, done, send)


@cli.command("hot-button")
def hot_button() -> None:
    """Trigger hot button (instant hot water)."""
    _control("the answer to the hot button", "Hot button triggered", lambda m, d: m.trigger_recirculation_hot_button(d))


@cli.command("reset-filter")
def reset_filter() -> None:
    """Reset air filter maintenance timer."""
    _control("the answer to the filter reset", "Air filter timer reset", lambda m, d: m.reset_air_filter(d))


@cli.command("water-program")
def water_program() -> None:
    """Enable water program reservation scheduling mode."""
    _control("the answer to the water program", "Water program configured",
             lambda m, d: m.configure_reservation_water_program(d))


@cli.command("power")
@click.argument("state", type=click.Choice(["on", "off"], case_sensitive=False))
def power(state: str) -> None:
    """Turn device on or off."""
    on = state.lower() == "on"
    _control(f"the answer to power {state.lower()}", f"Device turned {state.lower()}", lambda m, d: m.set_power(d, on))


@cli.command("mode")
@click.argument("mode_name", type=click.Choice(list(handlers.MODES), case_sensitive=False))
def mode(mode_name: str) -> None:
    """Set operation mode."""
    _run(handlers.set_mode, mode_name.lower())


@cli.command("temp")
@click.argument("value", type=float)
def temp(value: float) -> None:
    """Set target hot water temperature (deg F, or deg C with --unit-system metric)."""
    _run(handlers.set_temperature, value)


@cli.command("vacation")
@click.argument("days", type=int)
def vacation(days: int) -> None:
    """Enable vacation mode for N days."""
    _control("the answer to vacation mode", f"Vacation days set to {days}", lambda m, d: m.set_vacation_days(d, days))


@cli.command("recirc")
@click.argument("mode_val", type=click.Choice(["1", "2", "3", "4"]), metavar="MODE")
def recirc(mode_val: str) -> None:
    """Set recirculation pump mode (1-4)."""
    _run(handlers.set_recirculation, int(mode_val))


@cli.group("reservations")
def reservations() -> None:
    """Manage reservations."""


@reservations.command("get")
@_json
def reservations_get(as_json: bool) -> None:
    """Get current reservation schedule."""
    _run(handlers.reservations_get, as_json)


@reservations.command("set")
@click.argument("json_str", metavar="JSON")
@click.option("--disabled", is_flag=True, help="Disable reservations")
def reservations_set(json_str: str, disabled: bool) -> None:
    """Set reservation schedule from JSON."""
    _run(handlers.reservations_set, json_str, not disabled)


@reservations.command("add")
@click.option("--days", required=True, help=DAYS_HELP)
@click.option("--hour", type=int, required=True, help="Hour (0-23)")
@click.option("--minute", type=int, required=True, help="Minute (0-59)")
@click.option("--mode", type=int, required=True, help=MODE_HELP)
@click.option("--temp", type=float, required=True, help="Temperature in device unit (Fahrenheit or Celsius)")
@click.option("--disabled", is_flag=True, help="Create as disabled reservation")
def reservations_add(days: str, hour: int, minute: int, mode: int, temp: float, disabled: bool) -> None:
    """Add a single reservation to the schedule."""
    _run(handlers.reservations_add, not disabled, days, hour, minute, mode, temp)


@reservations.command("delete")
@click.argument("index", type=int)
def reservations_delete(index: int) -> None:
    """Delete a reservation by its number (1-based index)."""
    _run(handlers.reservations_delete, index)


@reservations.command("update")
@click.argument("index", type=int)
@click.option("--days", default=None, help=DAYS_HELP)
@click.option("--hour", type=int, default=None, help="Hour (0-23)")
@click.option("--minute", type=int, default=None, help="Minute (0-59)")
@click.option("--mode", type=int, default=None, help=MODE_HELP)
@click.option("--temp", type=float, default=None, help="Temperature in preferred unit (Fahrenheit or Celsius)")
@click.option("--enable", is_flag=True, default=None, help="Enable")
@click.option("--disable", is_flag=True, default=None, help="Disable")
def reservations_update(index: int, days: str | None, hour: int | None, minute: int | None, mode: int | None,
                        temp: float | None, enable: bool | None, disable: bool | None) -> None:
    """Update a reservation by its number (1-based index).

    Only the specified fields are changed; others are preserved.
    """
    if enable and disable:
        raise click.UsageError("--enable and --disable exclude each other")
    enabled = True if enable else False if disable else None
    _run(handlers.reservations_update, index, enabled=enabled, days=days, hour=hour, minute=minute, mode=mode,
         temperature=temp)


@cli.group("anti-legionella")
def anti_legionella() -> None:
    """Manage Anti-Legionella disinfection settings."""


def _anti_legionella_on(period: int) -> None:
    _control("the answer to enabling Anti-Legionella", f"Anti-Legionella enabled (cycle every {period} day(s))",
             lambda m, d: m.enable_anti_legionella(d, period))


@anti_legionella.command("enable")
@click.option("--period", type=int, required=True, help="Cycle period in days (1-30)")
def anti_legionella_enable(period: int) -> None:
    """Enable Anti-Legionella disinfection cycle."""
    _anti_legionella_on(period)


@anti_legionella.command("disable")
def anti_legionella_disable() -> None:
    """Disable Anti-Legionella disinfection cycle."""
    _control("the answer to disabling Anti-Legionella", "Anti-Legionella disabled",
             lambda m, d: m.disable_anti_legionella(d))


@anti_legionella.command("status")
def anti_legionella_status() -> None:
    """Show Anti-Legionella status."""
    _run(handlers.anti_legionella_status)


@anti_legionella.command("set-period")
@click.argument("days", type=int)
def anti_legionella_set_period(days: int) -> None:
    """Set Anti-Legionella cycle period in days (1-30)."""
    _anti_legionella_on(days)


@cli.group("tou")
def tou() -> None:
    """Manage Time-of-Use settings."""


@tou.command("get")
@_json
def tou_get(as_json: bool) -> None:
    """Get current TOU schedule."""
    _run(handlers.tou_get, as_json)


@tou.command("set")
@click.argument("state", type=click.Choice(["on", "off"], case_sensitive=False))
def tou_set(state: str) -> None:
    """Enable or disable TOU pricing."""
    on = state.lower() == "on"
    _control(f"the answer to TOU {state.lower()}", f"TOU {'enabled' if on else 'disabled'}",
             lambda m, d: m.set_tou_enabled(d, on))


@tou.command("rates")
@click.argument("zip_code")
@click.option("--utility", default=None, help="Filter by utility name")
def tou_rates(zip_code: str, utility: str | None) -> None:
    """List utility rate plans for a zip code.

    Queries the OpenEI API for residential electricity rate plans.
    Requires OPENEI_API_KEY environment variable.
    """
    _offline(handlers.tou_rates, zip_code, utility)


@tou.command("plan")
@click.argument("zip_code")
@click.argument("plan_name")
@click.option("--utility", default=None, help="Filter by utility name")
@_json
def tou_plan(zip_code: str, plan_name: str, utility: str | None, as_json: bool) -> None:
    """View converted rate plan details.

    Shows decoded seasons, time intervals, and prices per kWh.
    Requires OPENEI_API_KEY environment variable.
    """
    _run(handlers.tou_plan, zip_code, plan_name, utility, as_json, mqtt=False)


@tou.command("apply")
@click.argument("zip_code")
@click.argument("plan_name")
@click.option("--utility", default=None, help="Filter by utility name")
@click.option("--enable", is_flag=True, help="Also enable TOU after applying")
def tou_apply(zip_code: str, plan_name: str, utility: str | None, enable: bool) -> None:
    """Apply a rate plan to the water heater.

    Fetches the plan from OpenEI, converts it via the Navien backend,
    and applies it to the device. Use --enable to also enable TOU mode.

    Requires OPENEI_API_KEY environment variable.
    """
    _run(handlers.tou_apply, zip_code, plan_name, utility, enable)


@cli.command("energy")
@click.option("--year", type=int, required=True, help="Year to query")
@click.option("--months", required=False, help="Comma-separated months (e.g. 1,2,3)")
@click.option("--month", type=int, required=False, help="Show daily breakdown for a specific month (1-12)")
def energy(year: int, months: str | None, month: int | None) -> None:
    """Query historical energy usage.

    Use either --months for monthly summary or --month for daily breakdown.
    """
    if month is not None:
        wanted = [month]
    elif months is not None:
        try:
            wanted = [int(m) for m in months.split(",") if m.strip()]
        except ValueError:
            raise click.BadParameter(f"{months!r} is not a comma-separated list of months", param_hint="--months")
    else:
        raise click.UsageError("Either --months (for monthly summary) or --month (for daily breakdown) required")
    if not wanted or any(not 1 <= m <= 12 for m in wanted):
        raise click.BadParameter("months must be between 1 and 12", param_hint="--month/--months")
    _run(handlers.energy, year, wanted)


@cli.command("dr")
@click.argument("action", type=click.Choice(["enable", "disable"], case_sensitive=False))
def dr(action: str) -> None:
    """Enable or disable Demand Response."""
    on = action.lower() == "enable"
    _control(f"the answer to demand response {action.lower()}",
             f"Demand response {'enabled' if on else 'disabled'}",
             lambda m, d: m.enable_demand_response(d) if on else m.disable_demand_response(d))


@cli.command("monitor")
@click.option("--duration", type=float, default=None,
              help="Seconds to run; 0 = until Ctrl+C (default 3600; 90 with the simulated cloud)")
@click.option("--export-interval", type=float, default=None,
              help="Seconds between exports (default 300; 30 with the simulated cloud)")
@click.option("-o", "--output", default=None,
              help="Directory for the exports, the HTML report and the status CSV (default "
                   "mqtt_diagnostics_output); a path ending in .csv keeps nwp-cli's meaning: the status CSV")
@click.option("--log-file", default="mqtt_diagnostics.log", show_default=True, help="Log file")
@click.option("--simulate", is_flag=True, help="Use the simulated cloud even if NAVIEN_EMAIL is set")
@click.option("--plain", is_flag=True, help="Plain log lines even on a terminal (no live view)")
@click.option("--mqtt5/--mqtt311", "mqtt5", default=None,
              help="MQTT 5, so the server says why it closes (default: on with the simulated cloud, "
                   "off with the real one)")
@click.pass_context
def monitor(ctx: click.Context, duration: float | None, export_interval: float | None, output: str | None,
            log_file: str, simulate: bool, plain: bool, mqtt5: bool | None) -> None:
    """Monitor the connection and the device live, and explain every drop.

    The diagnostics guide's monitor: hardened connection settings, every drop with its cause,
    JSON exports with the drop-pattern analysis, and at each export an HTML report (its path is
    printed). Without NAVIEN_EMAIL it runs against the simulated cloud with injected faults.
    """
    from .monitor import MonitorOptions, run_monitor

    obj = ctx.find_root().obj or {}
    if not (simulate or not obj.get("email")) and not obj.get("password"):
        # As the device commands: the stored sign-in of this account will do (read here, before
        # the event loop runs).
        if token_store.load_tokens(obj["email"].strip(), api_base_url())[0] is None:
            raise click.UsageError("monitoring the real cloud needs NAVIEN_PASSWORD (or --password) too "
                                   "(or a stored sign-in of this account)")
    try:
        options = MonitorOptions.build(duration=duration, export_interval=export_interval, output=output,
                                       log_file=log_file, simulate=simulate or not obj.get("email"),
                                       verbose=bool(obj.get("verbose")), plain=plain,
                                       email=obj.get("email"), password=obj.get("password"),
                                       unit_system=obj.get("unit_system"), mqtt5=mqtt5)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    code = run_monitor(options)
    if code:
        ctx.exit(code)


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@cli.command("report", context_settings=_PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def report(args: tuple[str, ...]) -> None:
    """Turn a diagnostics export into a self-contained HTML report (see nwp500 report --help)."""
    from .main import report_main

    code = report_main(list(args))
    if code:
        click.get_current_context().exit(code)


@cli.command("simulator", context_settings=_PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def simulator(args: tuple[str, ...]) -> None:
    """Run the simulated Navien cloud (same as python -m nwp500.simulator)."""
    from ..simulator.__main__ import main as simulator_main

    code = int(simulator_main(list(args)) or 0)
    if code:
        click.get_current_context().exit(code)
