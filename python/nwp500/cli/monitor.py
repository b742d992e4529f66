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
each kind about every 15 s. :class:`MonitorState` holds what the live view shows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from .. import MqttConnectionConfig, MqttDiagnosticsCollector, NavienAPIClient, NavienAuthClient, NavienMqttClient
from ..config import api_base_url
from ..exceptions import AuthenticationError, InvalidCredentialsError, Nwp500Error
from . import tokens as token_store
from .exports import append_csv, export, setup_logging

__all__ = ["SIMULATED_FAULTS", "MonitorOptions", "MonitorState", "instrument", "monitor", "run_monitor", "setup_logging",
           "export"]

log = logging.getLogger("nwp500.monitor")
status_log = logging.getLogger("nwp500.monitor.status")   # one line per status (plain output only)

# (seconds after the first connection, simulator fault, its parameters, what it stands for).
# Irregular spacing on purpose: evenly spaced drops would read as "regular intervals".
SIMULATED_FAULTS: list[tuple[float, str, dict[str, Any], str]] = [
    (9, "drop", {}, "the server closes the connection"),
    (23, "reset", {}, "the network resets the TCP connection"),
    (33, "takeover", {}, "another client connects with our client id"),
    (52, "expire_credentials", {"drop": True},
     "the AWS credentials expire and the connection drops (the reconnect gets HTTP 403)"),
    (66, "blackhole", {"seconds": 12.0},
     "a half-open link for 12 s: shorter than keep-alive (60 s) + ping deadline, so it should "
     "pass unnoticed"),
]
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
    faults: list[tuple[float, str, dict[str, Any], str]] = field(default_factory=lambda: list(SIMULATED_FAULTS))

    @classmethod
    def build(cls, *, duration: float | None, export_interval: float | None, output: str | None,
              log_file: str | None, simulate: bool, **rest: Any) -> MonitorOptions:
        """Defaults as the guide's example has them: 1 h and an export every 5 min against the
        real cloud, 90 s and every 30 s against the simulated one. ``output`` is the export
        directory, or (ending in ``.csv``) the status CSV as nwp-cli's ``--output`` was.

        Raises:
            ValueError: a negative duration or a non-positive export interval.
        """
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
        return cls(duration=duration, export_interval=export_interval, output_dir=output_dir, csv_path=csv_path,
                   log_file=Path(log_file) if log_file else None, simulate=simulate, **rest)


@dataclass
class DeviceView:
    """One device as the live view shows it."""

    label: str
    status: Any = None
    updated: float | None = None   # time.monotonic() of the last status


@dataclass
class MonitorState:
    """What the monitor knows right now (read by the live view on the loop thread)."""

    started: float = field(default_factory=time.monotonic)
    phase: str = "starting"
    where: str = ""
    client: Any = None
    connected_since: float | None = None
    down_since: float | None = None
    drops: Counter = field(default_factory=Counter)
    last_drop: tuple[str, str, str] | None = None        # (HH:MM:SS, cause, "NAME: message")
    recoveries: int = 0
    last_recovery_seconds: float | None = None
    messages_in: int = 0
    pattern: str = "insufficient_data"
    recommendation: str = ""
    devices: dict[str, DeviceView] = field(default_factory=dict)
    exports: int = 0
    last_export: str | None = None
    report_path: Path | None = None
    faults: list[str] = field(default_factory=list)


# -- the simulated cloud -------------------------------------------------------------------------------

def start_simulator() -> Any:
    """Start the simulated cloud in this process and point the library at it."""
    from ..simulator import SimulatorThread

    sim = SimulatorThread().start()
    os.environ["NWP500_API_BASE_URL"] = sim.api_base_url
    os.environ["NWP500_MQTT_ENDPOINT"] = sim.mqtt_endpoint
    return sim


async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``; ``True`` if ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
        return True
    except asyncio.TimeoutError:
        return False


async def inject_faults(sim: Any, client: NavienMqttClient, faults: list[tuple[float, str, dict[str, Any], str]],
                        state: MonitorState, stop: asyncio.Event) -> None:
    """Apply each fault of the schedule at its time (seconds after this starts)."""
    started = time.monotonic()
    for at, action, params, meaning in faults:
        if await _pause(stop, started + at - time.monotonic()):
            return
        log.info(">>> simulated fault: %s (%s)", action, meaning)
        state.faults.append(action)
        try:
            await asyncio.to_thread(sim.fault, action, **params)
        except Exception as exc:  # noqa: BLE001 - a failed injection must not end the monitor
            log.warning("could not inject %s: %s", action, exc)
            continue
        if action == "blackhole" and params.get("seconds"):
            if await _pause(stop, params["seconds"]):
                return
            log.info("<<< the half-open link is over; still connected: %s", client.is_connected)


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

def _hardened_config() -> MqttConnectionConfig:
    return MqttConnectionConfig(
        keep_alive_secs=60,           # 1. below typical NAT idle timeouts (default 1200)
        initial_reconnect_delay=0.5,  # 2. faster first retry
        max_reconnect_delay=60.0,
        deep_reconnect_threshold=5,   # 3. token refresh + fresh session sooner
        max_reconnect_attempts=-1,    # 4. never give up
        enable_command_queue=True,    # 5. keep commands while offline
        max_queued_commands=200,
    )


def instrument(client: NavienMqttClient, hooks: MqttDiagnosticsCollector, state: MonitorState, devices: list[Any]) -> None:
    """Hook the client's events up: the guide's collector (``hooks``), the monitor's state and
    log lines, and a status request to every device after each recovery."""
    # The guide's hooks ("Phase 1: Instrument Your Code").
    client.on('connection_interrupted',
        lambda event: asyncio.create_task(
            hooks.record_connection_drop(
                error=event.error,
                active_subscriptions=len(client._subscription_manager.subscriptions),
                queued_commands=client.queued_commands_count,
            )
        )
    )
    client.on('connection_resumed',
        lambda event: asyncio.create_task(
            hooks.record_connection_success(
                event_type='resumed',
                session_present=event.session_present,
                return_code=event.return_code,
            )
        )
    )

    def on_drop(event: Any) -> None:
        err = event.error
        cause = str(getattr(err, "cause", None) or "unknown")
        state.down_since, state.connected_since = time.monotonic(), None
        state.drops[cause] += 1
        state.last_drop = (datetime.now().strftime("%H:%M:%S"), cause, str(err))
        log.info("!!! connection dropped: %s (cause: %s)", err, cause)

    def on_resume(event: Any) -> None:
        took = time.monotonic() - state.down_since if state.down_since is not None else 0.0
        state.connected_since, state.down_since = time.monotonic(), None
        state.recoveries += 1
        state.last_recovery_seconds = took
        analysis = client.diagnostics.analyze()
        state.pattern, state.recommendation = analysis.pattern, analysis.recommendation
        log.info("+++ connection resumed after %.1f s (session_present=%s, queued commands left: %d)",
                 took, event.session_present, client.queued_commands_count)
        for device in devices:
            asyncio.create_task(_request_status(client, device))

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

    def on_status(status: Any) -> None:
        view.status, view.updated = status, time.monotonic()
        status_log.info("%s", _status_line(view.label, status))
        _CSV_WRITER.submit(write_csv, status)  # file I/O off the loop, rows in order

    await client.subscribe_device(device, on_message)
    await client.subscribe_device_status(device, on_status)
    await client.start_periodic_requests(device, period_seconds=STATUS_PERIOD)


async def monitor(auth_client: NavienAuthClient, options: MonitorOptions, state: MonitorState, sim: Any = None,
                  ticker: Callable[[MonitorState, asyncio.Event], Any] | None = None) -> int:
    """Run the monitor with a signed-in ``auth_client`` until the duration is over or Ctrl+C;
    ``ticker(state, stop)``, if given, runs beside it (the live view's refresh)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not on this platform / not main thread
            pass
    tasks = [asyncio.create_task(ticker(state, stop))] if ticker else []
    hooks = MqttDiagnosticsCollector(enable_verbose_logging=True)   # the guide's collector

    devices = await NavienAPIClient(auth_client).list_devices()
    log.info("%d device(s): %s", len(devices), ", ".join(device_label(d) for d in devices) or "none")
    client = NavienMqttClient(auth_client, config=_hardened_config(), unit_system=options.unit_system)
    state.client = client
    instrument(client, hooks, state, devices)
    # The guide's by-hand checklist (ping, routes, DNS, retransmits, system log), automated:
    # host events land beside the drops in the exports and on the report's timeline.
    client.diagnostics.start_host_monitor()
    state.phase = "connecting"
    await client.connect()
    state.connected_since = time.monotonic()
    state.phase = "monitoring"
    log.info("connected to MQTT as %s (keep-alive %d s)", client.client_id, client.config.keep_alive_secs)
    for device in devices:
        await _watch_device(client, device, options, state)

    end = time.monotonic() + options.duration if options.duration else math.inf
    tasks.append(asyncio.create_task(periodic_export(client, hooks, options, state, stop, end)))
    if sim is not None:
        tasks.append(asyncio.create_task(inject_faults(sim, client, options.faults, state, stop)))
    log.info("monitoring %s; exports every %.0f s to %s/ (Ctrl+C to stop)",
             f"for {options.duration:.0f} s" if options.duration else "until Ctrl+C", options.export_interval,
             options.output_dir)
    try:
        if await _pause(stop, options.duration if options.duration else math.inf):
            log.info("stopping (interrupted)")
        else:
            log.info("stopping (%.0f s elapsed)", options.duration)
    finally:
        state.phase = "stopping"
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.stop_all_periodic_tasks()
        client.diagnostics.stop_host_monitor()
        await client.disconnect()

    log.info("=== final report ===")
    await export(client, hooks, options.output_dir, state)
    m = client.diagnostics.get_metrics()
    log.info("drops: %d, recoveries: %d, by error: %s", m.total_connection_drops,
             m.connection_recovered, dict(m.connection_drops_by_error) or "none")
    for drop in client.diagnostics.get_recent_drops(0):
        log.info("  %s  %-22s %s (connected %.0f s before)", drop.timestamp, drop.cause,
                 drop.error_name, drop.duration_connected_seconds or 0.0)
    if options.log_file is not None:
        log.info("log: %s", options.log_file)
    state.phase = "done"
    return 0


async def _signed_in(options: MonitorOptions, state: MonitorState, sim: Any,
                     ticker: Callable[[MonitorState, asyncio.Event], Any] | None) -> int:
    state.phase = "signing in"
    stored, email, password, base_url = None, options.email or "", options.password or "", ""
    keep = options.store_tokens and sim is None
    if sim is not None:
        email, password = sim.email, sim.password
    elif keep:
        base_url = api_base_url()
        stored, _ = token_store.load_tokens(email, base_url)
    async with NavienAuthClient(email, password, stored_tokens=stored) as auth_client:
        if keep and auth_client.current_tokens is not None:
            token_store.save_tokens(auth_client.current_tokens, email, base_url)
        user = auth_client.current_user
        log.info("signed in as %s", (user.full_name if user else "") or email)
        try:
            return await monitor(auth_client, options, state, sim, ticker)
        finally:
            if keep and auth_client.current_tokens is not None:
                token_store.save_tokens(auth_client.current_tokens, email, base_url)


def run_monitor(options: MonitorOptions, *, ticker: Any = None) -> int:
    """Run the whole monitor (simulated cloud included) and return the exit status; the live
    view is used when stdout is a terminal, rich is installed and ``options.plain`` is off."""
    from . import live

    view = None if options.plain or ticker is not None else live.LiveView.for_terminal()
    state = MonitorState()
    setup_logging(options.log_file, options.verbose, view.log_handler() if view else None)
    sim = None
    code = 1
    try:
        if options.simulate:
            log.info("NAVIEN_EMAIL is not set (or --simulate given): using the simulated Navien cloud on "
                     "127.0.0.1, with one injected fault of each kind about every 15 s.")
            log.info("Set NAVIEN_EMAIL and NAVIEN_PASSWORD to monitor your real account instead.")
            sim = start_simulator()
            state.where = f"simulated cloud {sim.api_base_url.split('/api')[0]}"
            log.info("simulator: REST %s, MQTT %s", sim.api_base_url, sim.mqtt_endpoint)
        elif not options.email or not options.password:
            log.error("NAVIEN_EMAIL and NAVIEN_PASSWORD (or --email/--password) are both needed for the real cloud")
            return 2
        else:
            state.where = "Navien cloud"
        runner = view.ticker if view else ticker
        if view:
            with view.running(state):
                code = asyncio.run(_signed_in(options, state, sim, runner))
        else:
            code = asyncio.run(_signed_in(options, state, sim, runner))
    except KeyboardInterrupt:  # Ctrl+C before the signal handlers were installed
        log.info("interrupted")
        code = 130
    except InvalidCredentialsError as exc:
        log.error("sign-in refused: %s", exc)
        code = 2
    except AuthenticationError as exc:
        log.error("could not sign in: %s", exc)
    except Nwp500Error as exc:
        log.error("monitor stopped: %s", exc)
    finally:
        if sim is not None:
            sim.stop()
        # Let the simulator's daemon threads finish their logging before the interpreter goes.
        for t in threading.enumerate():
            if t is not threading.current_thread() and t.name == "nwp500-simulator":
                t.join(5)
    if state.report_path is not None:
        print(f"report: {state.report_path}", flush=True)
    return code
