"""The diagnostics guide's connection monitor: ``nwp500 monitor`` and
``examples/mqtt_diagnostics_example.py`` both run this (no click here; rich only for the live
view, see :mod:`.live`).

It signs in, lists the devices, connects with the guide's hardened settings (keep-alive 60 s,
reconnect 0.5 s .. 60 s, deep reconnect after 5 attempts, unlimited retries, a command queue of
200), records every drop twice (the client's own collector, which knows each drop's cause, and a
collector fed by the guide's event hooks), polls each device's status every 30 s (and after
every recovery), appends each status to a CSV file (as nwp-cli's monitor does), and exports
JSON plus an HTML report (:mod:`.report`) every ``export_interval`` seconds and at the end.
Without an account it starts the simulated cloud in this process and injects one fault of
each kind about every 15 s (:mod:`.simulated`). :class:`MonitorState` holds what only the monitor
knows; the live view reads the connection itself from the client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

from .. import MqttConnectionConfig, MqttDiagnosticsCollector, NavienAPIClient, NavienAuthClient, NavienMqttClient
from ..config import api_base_url
from ..exceptions import AuthenticationError, InvalidCredentialsError, Nwp500Error
from . import tokens as token_store
from .exports import append_csv, export, setup_logging
from .simulated import SIMULATED_FAULTS, inject_faults, start_simulator
from .simulated import pause as _pause

__all__ = ["SIMULATED_FAULTS", "MonitorOptions", "MonitorState", "instrument", "monitor", "run_monitor", "setup_logging",
           "export"]

log = logging.getLogger("nwp500.monitor")
status_log = logging.getLogger("nwp500.monitor.status")   # one line per status (plain output only)

STATUS_PERIOD = 30.0
STATUS_CSV = "nwp500_status.csv"


@dataclass
class MonitorOptions:
    """How to run the monitor. ``duration`` 0 runs until Ctrl+C."""

    duration: float
    export_interval: float
    output_dir: Path
    csv_path: Path
    log_file: Path | None
    simulate: bool
    verbose: bool = False
    plain: bool = False
    email: str | None = None
    password: str | None = None
    unit_system: str | None = None
    store_tokens: bool = True
    #: MQTT 5 (the server names its reasons). build() defaults it: on with the simulated cloud,
    #: off with the real one (nwp500-python 9.3.0 speaks 3.1.1 there).
    mqtt5: bool = False
    faults: list[tuple[float, str, dict[str, Any], str]] = field(default_factory=lambda: list(SIMULATED_FAULTS))

    @classmethod
    def build(cls, *, duration: float | None, export_interval: float | None, output: str | None,
              log_file: str | None, simulate: bool, **rest: Any) -> MonitorOptions:
        """Defaults as the guide's example has them: 1 h and an export every 5 min against the
        real cloud, 90 s and every 30 s against the simulated one. ``output`` is the export
        directory, or (ending in ``.csv``) the status CSV as nwp-cli's ``--output`` was.

        Raises:
            ValueError: a negative duration or a non-positive export interval, or an ``output``
                or ``log_file`` that cannot be written (the message names the option).
        """
        if rest.get("mqtt5") is None:
            rest["mqtt5"] = simulate
        duration = duration if duration is not None else (90.0 if simulate else 3600.0)
        export_interval = export_interval if export_interval is not None else (30.0 if simulate else 300.0)
        if not math.isfinite(duration) or duration < 0:
            raise ValueError("--duration must be >= 0 seconds (0 = until Ctrl+C)")
        if not math.isfinite(export_interval) or export_interval <= 0:
            raise ValueError("--export-interval must be a positive number of seconds")
        out = Path(output or "mqtt_diagnostics_output")
        if out.suffix.lower() == ".csv":
            output_dir, csv_path = Path("mqtt_diagnostics_output"), out
        else:
            output_dir, csv_path = out, out / STATUS_CSV
        log_path = Path(log_file) if log_file else None
        _check_directory("--output", output_dir)
        _check_file("--output", csv_path)
        if log_path is not None:
            _check_file("--log-file", log_path)
        return cls(duration=duration, export_interval=export_interval, output_dir=output_dir, csv_path=csv_path,
                   log_file=log_path, simulate=simulate, **rest)


def _check_directory(option: str, path: Path) -> None:
    """``path`` is a directory, or can be created as one (its nearest existing ancestor is a
    writable directory)."""
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{option}: {path} exists and is not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError(f"{option}: the directory {path} is not writable")
        return
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{option}: cannot create {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{option}: cannot create {path}: {parent} is not writable")


def _check_file(option: str, path: Path) -> None:
    """``path`` is a writable file, or can be created as one (see :func:`_check_directory`;
    the log file's directory must exist already)."""
    if path.is_dir():
        raise ValueError(f"{option}: {path} is a directory")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ValueError(f"{option}: {path} is not writable")
        return
    parent = path.absolute().parent
    if option == "--log-file" and not parent.is_dir():
        raise ValueError(f"{option}: cannot create {path}: no directory {parent}")
    _check_directory(option, parent)


@dataclass
class DeviceView:
    """One device as the live view shows it."""

    label: str
    status: Any = None
    updated: float | None = None   # time.monotonic() of the last status


@dataclass
class MonitorState:
    """What only the monitor knows (read by the live view on the loop thread). The connection
    itself (up or down, drops, recoveries, reconnect attempts) is read from ``client``."""

    started: float = field(default_factory=time.monotonic)
    phase: str = "starting"
    where: str = ""
    client: Any = None
    messages_in: int = 0
    pattern: str = "insufficient_data"
    recommendation: str = ""
    devices: dict[str, DeviceView] = field(default_factory=dict)
    exports: int = 0
    last_export: str | None = None
    report_path: Path | None = None
    faults: list[str] = field(default_factory=list)


# -- device traffic ---------------------------------------------------------------------------------------

def device_label(device: Any) -> str:
    """``"NWP500 (…fca0)"``: the name and the MAC's last four digits only."""
    info = device.device_info
    return f"{info.device_name} (…{info.mac_address[-4:]})"


def _status_line(label: str, status: Any) -> str:
    unit = status.get_field_unit("dhw_temperature")
    mode = getattr(status.dhw_operation_setting, "name", status.dhw_operation_setting)
    op = getattr(status.operation_mode, "name", status.operation_mode)
    return (f"    status from {label}: tank {status.dhw_temperature:.1f}{unit} (target "
            f"{status.dhw_target_temperature_setting:.1f}{unit}), charge {status.dhw_charge_per:.0f} %, {mode}, {op}, "
            f"{status.current_inst_power:g} W")


# -- exports ------------------------------------------------------------------------------------------------

async def periodic_export(client: NavienMqttClient, hooks: MqttDiagnosticsCollector, options: MonitorOptions,
                          state: MonitorState, stop: asyncio.Event, end: float) -> None:
    """Export every ``options.export_interval`` seconds until ``stop`` (or just before the end)."""
    while not await _pause(stop, options.export_interval):
        if time.monotonic() > end - 1.0:
            return  # the final export is about to run anyway
        try:
            await export(client, hooks, options.output_dir, state)
        except OSError as exc:
            log.error("export failed: %s", exc)


# -- the monitor ----------------------------------------------------------------------------------------------

def _hardened_config(mqtt5: bool) -> MqttConnectionConfig:
    return MqttConnectionConfig(
        mqtt5=mqtt5,                  # the server says why it closes (takeover, throttling, ...)
        keep_alive_secs=60,           # 1. below typical NAT idle timeouts (default 1200)
        initial_reconnect_delay=0.5,  # 2. faster first retry
        max_reconnect_delay=60.0,
        deep_reconnect_threshold=5,   # 3. token refresh + fresh session sooner
        max_reconnect_attempts=-1,    # 4. never give up
        enable_command_queue=True,    # 5. keep commands while offline
        max_queued_commands=200,
    )


# Tasks started from event callbacks: kept here until done (the loop holds only weak references).
_BACKGROUND: set[asyncio.Task[Any]] = set()


def _spawn(coro: Awaitable[Any]) -> asyncio.Task[Any]:
    task = asyncio.ensure_future(coro)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    return task


def instrument(client: NavienMqttClient, hooks: MqttDiagnosticsCollector, state: MonitorState, devices: list[Any]) -> None:
    """Hook the client's events up: the guide's collector (``hooks``), the monitor's log lines
    and pattern, and a status request to every device after each recovery."""
    # The guide's hooks ("Phase 1: Instrument Your Code").
    client.on('connection_interrupted',
        lambda event: _spawn(
            hooks.record_connection_drop(
                error=event.error,
                active_subscriptions=len(client._subscription_manager.subscriptions),
                queued_commands=client.queued_commands_count,
            )
        )
    )
    client.on('connection_resumed',
        lambda event: _spawn(
            hooks.record_connection_success(
                event_type='resumed',
                session_present=event.session_present,
                return_code=event.return_code,
            )
        )
    )

    def on_drop(event: Any) -> None:
        err = event.error
        log.info("!!! connection dropped: %s (cause: %s)", err, getattr(err, "cause", None) or "unknown")

    def on_resume(event: Any) -> None:
        last = client.diagnostics.get_recent_connections(1)   # the client recorded it before telling us
        took = last[0].time_to_reconnect_seconds if last else None
        analysis = client.diagnostics.analyze()
        state.pattern, state.recommendation = analysis.pattern, analysis.recommendation
        log.info("+++ connection resumed after %s (session_present=%s, queued commands left: %d)",
                 f"{took:.1f} s" if took is not None else "? s", event.session_present, client.queued_commands_count)
        for device in devices:
            _spawn(_request_status(client, device))

    client.on("connection_interrupted", on_drop)
    client.on("connection_resumed", on_resume)
    client.on("reconnection_failed", lambda attempts: log.error("reconnection failed after %d attempts", attempts))


async def _request_status(client: NavienMqttClient, device: Any) -> None:
    try:
        await client.request_device_status(device)
    except Nwp500Error as exc:
        log.warning("status request for %s failed: %s", device_label(device), exc)


# One writer thread: appends stay in arrival order and never block the event loop.
_CSV_WRITER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nwp500-csv")


async def _watch_device(client: NavienMqttClient, device: Any, options: MonitorOptions, state: MonitorState) -> None:
    view = state.devices.setdefault(device.device_info.mac_address, DeviceView(device_label(device)))

    def on_message(topic: str, message: Any) -> None:
        if isinstance(message, dict) and "response" in message:   # not our own requests echoed back
            state.messages_in += 1

    def write_csv(status: Any) -> None:
        try:
            append_csv(options.csv_path, status)
        except OSError as exc:
            log.warning("status CSV not written: %s", exc)
        except Exception:  # noqa: BLE001 - runs in the executor: an error nobody logs would vanish
            log.exception("status CSV not written")

    def on_status(status: Any) -> None:
        view.status, view.updated = status, time.monotonic()
        status_log.info("%s", _status_line(view.label, status))
        _CSV_WRITER.submit(write_csv, status)  # file I/O off the loop, rows in order

    await client.subscribe_device(device, on_message)
    await client.subscribe_device_status(device, on_status)
    await client.start_periodic_requests(device, period_seconds=STATUS_PERIOD)


T = TypeVar("T")


class _Interrupted(Exception):
    """Ctrl+C (SIGINT or SIGTERM) arrived while the monitor was waiting for something."""


async def _unless_stopped(stop: asyncio.Event, awaitable: Awaitable[T]) -> T:
    """``await awaitable``, unless ``stop`` is set first: then cancel it and raise
    :class:`_Interrupted` (so a signal ends a sign-in, a connect or a subscribe at once)."""
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.ensure_future(stop.wait())
    interrupted = False
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            interrupted = True
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if interrupted:
        raise _Interrupted()
    return task.result()


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> list[signal.Signals]:
    """Set ``stop`` on the first SIGINT/SIGTERM, then give the signals back (a second Ctrl+C
    raises KeyboardInterrupt). Returns the signals handled (none off the main thread)."""
    handled: list[signal.Signals] = []

    def first_signal() -> None:
        stop.set()
        _release_signals(loop, handled)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, first_signal)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not on this platform / not main thread
            pass
    return handled


def _release_signals(loop: asyncio.AbstractEventLoop, handled: list[signal.Signals]) -> None:
    while handled:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(handled.pop())


async def monitor(auth_client: NavienAuthClient, options: MonitorOptions, state: MonitorState, sim: Any = None,
                  ticker: Callable[[MonitorState, asyncio.Event], Any] | None = None) -> int:
    """Run the monitor with a signed-in ``auth_client`` until the duration is over or Ctrl+C;
    ``ticker(state, stop)``, if given, runs beside it (the live view's refresh). Ctrl+C ends
    it at any point (listing the devices, connecting, subscribing included); the final export
    runs if it was connected."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = _stop_on_signals(loop, stop)
    tasks = [asyncio.create_task(ticker(state, stop))] if ticker else []
    hooks = MqttDiagnosticsCollector(enable_verbose_logging=True)   # the guide's collector
    client: NavienMqttClient | None = None
    connected = False
    try:
        devices = await _unless_stopped(stop, NavienAPIClient(auth_client).list_devices())
        log.info("%d device(s): %s", len(devices), ", ".join(device_label(d) for d in devices) or "none")
        client = NavienMqttClient(auth_client, config=_hardened_config(options.mqtt5), unit_system=options.unit_system)
        state.client = client
        instrument(client, hooks, state, devices)
        # The guide's by-hand checklist (ping, routes, DNS, retransmits, system log), automated:
        # host events land beside the drops in the exports and on the report's timeline.
        client.diagnostics.start_host_monitor()
        state.phase = "connecting"
        await _unless_stopped(stop, client.connect())
        connected = True
        state.phase = "monitoring"
        log.info("connected to MQTT as %s (keep-alive %d s)", client.client_id, client.config.keep_alive_secs)
        for device in devices:
            await _unless_stopped(stop, _watch_device(client, device, options, state))

        end = time.monotonic() + options.duration if options.duration else math.inf
        tasks.append(asyncio.create_task(periodic_export(client, hooks, options, state, stop, end)))
        if sim is not None:
            tasks.append(asyncio.create_task(inject_faults(sim, client, options.faults, state, stop)))
        log.info("monitoring %s; exports every %.0f s to %s/ (Ctrl+C to stop)",
                 f"for {options.duration:.0f} s" if options.duration else "until Ctrl+C", options.export_interval,
                 options.output_dir)
        if await _pause(stop, options.duration if options.duration else math.inf):
            log.info("stopping (interrupted)")
        else:
            log.info("stopping (%.0f s elapsed)", options.duration)
    except _Interrupted:
        log.info("stopping (interrupted)")
    finally:
        state.phase = "stopping"
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            if client is not None:
                try:
                    await client.stop_all_periodic_tasks()
                finally:
                    client.diagnostics.stop_host_monitor()
                    await client.disconnect()
        finally:
            _release_signals(loop, handled)

    code = 0
    if connected and client is not None:
        log.info("=== final report ===")
        try:
            await export(client, hooks, options.output_dir, state)
        except OSError as exc:
            log.error("final export failed: %s", exc)
            code = 1
        m = client.diagnostics.get_metrics()
        log.info("drops: %d, recoveries: %d, by error: %s", m.total_connection_drops,
                 m.connection_recovered, dict(m.connection_drops_by_error) or "none")
        for drop in client.diagnostics.get_recent_drops(0):
            log.info("  %s  %-22s %s (connected %.0f s before)", drop.timestamp, drop.cause,
                     drop.error_name, drop.duration_connected_seconds or 0.0)
    if options.log_file is not None:
        log.info("log: %s", options.log_file)
    state.phase = "done"
    return code


async def _signed_in(options: MonitorOptions, state: MonitorState, sim: Any,
                     ticker: Callable[[MonitorState, asyncio.Event], Any] | None) -> int:
    state.phase = "signing in"
    stored, email, password, base_url = None, options.email or "", options.password or "", ""
    keep = options.store_tokens and sim is None
    if sim is not None:
        email, password = sim.email, sim.password
    elif keep:
        base_url = api_base_url()
        stored, stored_email = await asyncio.to_thread(token_store.load_tokens, email or None, base_url)
        email = email or stored_email or ""
    if not email or (not password and stored is None):
        raise MonitorUsageError("NAVIEN_EMAIL and NAVIEN_PASSWORD (or --email/--password) are both needed for "
                                "the real cloud (or a stored sign-in)")
    async with NavienAuthClient(email, password, stored_tokens=stored) as auth_client:
        if keep and auth_client.current_tokens is not None:
            await asyncio.to_thread(token_store.save_tokens, auth_client.current_tokens, email, base_url)
        user = auth_client.current_user
        log.info("signed in as %s", (user.full_name if user else "") or email)
        try:
            return await monitor(auth_client, options, state, sim, ticker)
        finally:
            if keep and auth_client.current_tokens is not None:
                await asyncio.to_thread(token_store.save_tokens, auth_client.current_tokens, email, base_url)


class MonitorUsageError(Exception):
    """Nothing to sign in with (exit status 2)."""


def run_monitor(options: MonitorOptions, *, ticker: Any = None) -> int:
    """Run the whole monitor (simulated cloud included) and return the exit status; the live
    view is used when stdout is a terminal, rich is installed and ``options.plain`` is off."""
    from . import live  # rich, when installed: loaded here, off the event loop

    view = None if options.plain or ticker is not None else live.LiveView.for_terminal()
    state = MonitorState()
    setup_logging(options.log_file, options.verbose, view.log_handler() if view else None)
    code = 1
    try:
        with contextlib.ExitStack() as stack:
            sim = None
            if options.simulate:
                log.info("NAVIEN_EMAIL is not set (or --simulate given): using the simulated Navien cloud on "
                         "127.0.0.1, with one injected fault of each kind about every 15 s.")
                log.info("Set NAVIEN_EMAIL and NAVIEN_PASSWORD to monitor your real account instead.")
                sim = stack.enter_context(start_simulator())
                state.where = f"simulated cloud {sim.api_base_url.split('/api')[0]}"
                log.info("simulator: REST %s, MQTT %s", sim.api_base_url, sim.mqtt_endpoint)
            else:
                state.where = "Navien cloud"
            runner = view.ticker if view else ticker
            if view:
                stack.enter_context(view.running(state))
            code = asyncio.run(_signed_in(options, state, sim, runner))
    except KeyboardInterrupt:  # Ctrl+C before the signal handlers were installed, or a second one
        log.info("interrupted")
        code = 130
    except MonitorUsageError as exc:
        log.error("%s", exc)
        code = 2
    except InvalidCredentialsError as exc:
        log.error("sign-in refused: %s", exc)
        code = 2
    except AuthenticationError as exc:
        log.error("could not sign in: %s", exc)
    except Nwp500Error as exc:
        log.error("monitor stopped: %s", exc)
    if state.report_path is not None:
        print(f"report: {state.report_path}", flush=True)
    return code
