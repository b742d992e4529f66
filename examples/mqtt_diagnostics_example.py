"""MQTT connection diagnostics: the diagnostics guide's complete working example.

    NAVIEN_EMAIL=you@example.com NAVIEN_PASSWORD=... python examples/mqtt_diagnostics_example.py

What it does (as the guide describes it):

* signs in, lists your devices, connects with the guide's hardened settings (keep-alive 60 s,
  reconnect 0.5 s .. 60 s, deep reconnect after 5 attempts, unlimited retries, a command
  queue of 200);
* records every drop and recovery twice: in the client's own collector
  (``mqtt_client.diagnostics``, which also knows each drop's cause) and in a collector fed
  by the guide's event hooks;
* exports JSON every 5 minutes (``--export-interval``) to ``mqtt_diagnostics_output/``,
  logs everything to ``mqtt_diagnostics.log``, and prints a summary and the drop-pattern
  analysis at each export and at the end;
* subscribes to each device's topics and asks for its status once (and again after every
  recovery), so you can see data flowing;
* runs for 1 hour (``--duration``); Ctrl+C stops it early, cleanly.

Without ``NAVIEN_EMAIL`` it runs against the simulated Navien cloud
(``python -m nwp500.simulator``) started in this process, injects one fault of each kind
(a close, a reset, a client-id takeover, expired credentials with a drop, a short half-open
link) about every 15 s, exports every 30 s and stops after 90 s. It points the library at
the simulator through ``NWP500_API_BASE_URL`` / ``NWP500_MQTT_ENDPOINT``, so the code path
is the same as against the real cloud.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nwp500 import (
    MqttConnectionConfig,
    MqttDiagnosticsCollector,
    NavienAPIClient,
    NavienAuthClient,
    NavienMqttClient,
)
from nwp500.exceptions import AuthenticationError, InvalidCredentialsError, Nwp500Error

STATUS_REQUEST = 16777219  # CommandCode.STATUS_REQUEST
PROTOCOL_VERSION = 2

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

log = logging.getLogger("diagnostics_example")


# -- logging -------------------------------------------------------------------------------------

class _Format(logging.Formatter):
    """The example's own lines plain; library lines with their logger name."""

    def format(self, record: logging.LogRecord) -> str:
        when = self.formatTime(record, "%H:%M:%S")
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.name == log.name:
            return f"{when}  {text}"
        return f"{when}  [{record.name}] {record.levelname.lower()}: {text}"


class _NotTheSimulator(logging.Filter):
    """The simulated cloud runs its own MQTT client (the emulated device) on its own thread;
    keep its routine messages out of the monitor's story (warnings still show)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return record.threadName != "nwp500-simulator" and not record.name.startswith("nwp500.simulator")


def setup_logging(log_file: Path, verbose: bool) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(_Format())
    console.addFilter(_NotTheSimulator())
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"))
    to_file.addFilter(_NotTheSimulator())
    root.addHandler(console)
    root.addHandler(to_file)


# -- the simulated cloud ------------------------------------------------------------------------------

def start_simulator() -> Any:
    """Start the simulated cloud in this process and point the library at it."""
    from nwp500.simulator import SimulatorThread

    sim = SimulatorThread().start()
    os.environ["NWP500_API_BASE_URL"] = sim.api_base_url
    os.environ["NWP500_MQTT_ENDPOINT"] = sim.mqtt_endpoint
    return sim


async def inject_faults(sim: Any, mqtt_client: NavienMqttClient, stop: asyncio.Event) -> None:
    started = time.monotonic()
    for at, action, params, meaning in SIMULATED_FAULTS:
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, started + at - time.monotonic()))
            return
        except asyncio.TimeoutError:
            pass
        log.info(">>> simulated fault: %s (%s)", action, meaning)
        try:
            await asyncio.to_thread(sim.fault, action, **params)
        except Exception as exc:  # noqa: BLE001 - a failed injection must not end the monitor
            log.warning("could not inject %s: %s", action, exc)
            continue
        if action == "blackhole" and params.get("seconds"):
            try:
                await asyncio.wait_for(stop.wait(), params["seconds"])
                return
            except asyncio.TimeoutError:
                pass
            log.info("<<< the half-open link is over; still connected: %s", mqtt_client.is_connected)


# -- device traffic -------------------------------------------------------------------------------------

def device_label(device: Any) -> str:
    info = device.device_info
    return f"{info.device_name} (…{info.mac_address[-4:]})"


def on_device_message(topic: str, message: Any) -> None:
    """Prints device status replies (our own requests come back on the same topics; skip them)."""
    if not isinstance(message, dict):
        return
    response = message.get("response")
    if not isinstance(response, dict):
        return
    status = response.get("status") or response.get("st")
    if not isinstance(status, dict):
        return
    # Raw device units: tank temperature in half-degrees Celsius (typed decoding comes later).
    half_c = status.get("dhwTemperature")
    tank = f"{half_c / 2 * 9 / 5 + 32:.1f} °F" if isinstance(half_c, (int, float)) else "?"
    log.info("    status from …%s: tank %s, charge %s %%, operationMode %s, dhwOperationSetting %s",
             str(response.get("macAddress", ""))[-4:], tank, status.get("dhwChargePer"),
             status.get("operationMode"), status.get("dhwOperationSetting"))


async def request_status(mqtt_client: NavienMqttClient, device: Any) -> None:
    info = device.device_info
    root = f"cmd/{info.device_type}/navilink-{info.mac_address}"
    envelope = {
        "clientID": mqtt_client.client_id,
        "sessionID": mqtt_client.session_id,
        "protocolVersion": PROTOCOL_VERSION,
        "request": {
            "command": STATUS_REQUEST,
            "deviceType": info.device_type,
            "macAddress": info.mac_address,
            "additionalValue": info.additional_value,
        },
        "requestTopic": f"{root}/st",
        "responseTopic": f"{root}/{mqtt_client.client_id}/res",
    }
    try:
        await mqtt_client.publish(f"{root}/st", envelope)
    except Nwp500Error as exc:
        log.warning("status request for %s failed: %s", device_label(device), exc)


# -- exports -----------------------------------------------------------------------------------------------

def export(mqtt_client: NavienMqttClient, hooks: MqttDiagnosticsCollector, output_dir: Path) -> None:
    """Write both collectors' JSON, log the summary, print the pattern analysis."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d_%H%M%S")
    output_dir.mkdir(parents=True, exist_ok=True)
    own = output_dir / f"diagnostics_{stamp}.json"
    own.write_text(mqtt_client.diagnostics.export_json(), encoding="utf-8")
    guide = output_dir / f"guide_hooks_{stamp}.json"
    guide.write_text(hooks.export_json(), encoding="utf-8")
    log.info("--- export: %s (client's collector), %s (guide-style hooks)", own, guide)
    mqtt_client.diagnostics.print_summary()
    analysis = mqtt_client.diagnostics.analyze()
    log.info("--- drop pattern: %s", analysis.pattern)
    log.info("    likely cause:  %s", analysis.likely_cause)
    log.info("    what to do:    %s", analysis.recommendation)
    evidence = {k: v for k, v in analysis.evidence.items() if v not in (None, [], {})}
    if evidence:
        log.info("    evidence:      %s", json.dumps(evidence, default=str)[:600])


async def periodic_export(mqtt_client: NavienMqttClient, hooks: MqttDiagnosticsCollector,
                          output_dir: Path, interval: float, stop: asyncio.Event, end: float) -> None:
    while True:
        try:
            await asyncio.wait_for(stop.wait(), interval)
            return
        except asyncio.TimeoutError:
            pass
        if time.monotonic() > end - 1.0:
            return  # the final report is about to export anyway
        try:
            export(mqtt_client, hooks, output_dir)
        except OSError as exc:
            log.error("export failed: %s", exc)


# -- the monitor -------------------------------------------------------------------------------------------

async def monitor(email: str, password: str, args: argparse.Namespace, sim: Any | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not on this platform / not main thread
            pass

    # The guide's collector, fed by its event hooks.
    hooks = MqttDiagnosticsCollector(enable_verbose_logging=True)

    async with NavienAuthClient(email, password) as auth_client:
        log.info("signed in as %s", auth_client.current_user.full_name or email)
        devices = await NavienAPIClient(auth_client).list_devices()
        log.info("%d device(s): %s", len(devices), ", ".join(device_label(d) for d in devices) or "none")

        config = MqttConnectionConfig(
            keep_alive_secs=60,           # 1. below typical NAT idle timeouts (default 1200)
            initial_reconnect_delay=0.5,  # 2. faster first retry
            max_reconnect_delay=60.0,
            deep_reconnect_threshold=5,   # 3. token refresh + fresh session sooner
            max_reconnect_attempts=-1,    # 4. never give up
            enable_command_queue=True,    # 5. keep commands while offline
            max_queued_commands=200,
        )
        mqtt_client = NavienMqttClient(auth_client, config=config)

        # The guide's hooks ("Phase 1: Instrument Your Code").
        mqtt_client.on('connection_interrupted',
            lambda event: asyncio.create_task(
                hooks.record_connection_drop(
                    error=event.error,
                    active_subscriptions=len(mqtt_client._subscription_manager.subscriptions),
                    queued_commands=mqtt_client.queued_commands_count,
                )
            )
        )
        mqtt_client.on('connection_resumed',
            lambda event: asyncio.create_task(
                hooks.record_connection_success(
                    event_type='resumed',
                    session_present=event.session_present,
                    return_code=event.return_code,
                )
            )
        )

        # What the user sees as it happens.
        down_since: list[float] = []

        def on_drop(event: Any) -> None:
            err = event.error
            down_since.append(time.monotonic())
            log.info("!!! connection dropped: %s (cause: %s)", err, getattr(err, "cause", "?"))

        def on_resume(event: Any) -> None:
            took = time.monotonic() - down_since[-1] if down_since else 0.0
            log.info("+++ connection resumed after %.1f s (session_present=%s, queued commands left: %d)",
                     took, event.session_present, mqtt_client.queued_commands_count)
            for device in devices:
                asyncio.create_task(request_status(mqtt_client, device))

        def on_give_up(attempts: int) -> None:
            log.error("reconnection failed after %d attempts", attempts)

        mqtt_client.on("connection_interrupted", on_drop)
        mqtt_client.on("connection_resumed", on_resume)
        mqtt_client.on("reconnection_failed", on_give_up)

        await mqtt_client.connect()
        log.info("connected to MQTT as %s (keep-alive %d s)", mqtt_client.client_id, config.keep_alive_secs)
        for device in devices:
            info = device.device_info
            await mqtt_client.subscribe(f"cmd/{info.device_type}/navilink-{info.mac_address}/#",
                                        on_device_message)
            await request_status(mqtt_client, device)

        end = time.monotonic() + args.duration
        tasks = [asyncio.create_task(periodic_export(mqtt_client, hooks, args.output_dir,
                                                     args.export_interval, stop, end))]
        if sim is not None:
            tasks.append(asyncio.create_task(inject_faults(sim, mqtt_client, stop)))
        log.info("monitoring for %.0f s; exports every %.0f s to %s/ (Ctrl+C to stop)",
                 args.duration, args.export_interval, args.output_dir)
        try:
            await asyncio.wait_for(stop.wait(), args.duration)
            log.info("stopping (interrupted)")
        except asyncio.TimeoutError:
            log.info("stopping (%.0f s elapsed)", args.duration)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await mqtt_client.disconnect()

        log.info("=== final report ===")
        export(mqtt_client, hooks, args.output_dir)
        m = mqtt_client.diagnostics.get_metrics()
        log.info("drops: %d, recoveries: %d, by error: %s", m.total_connection_drops,
                 m.connection_recovered, dict(m.connection_drops_by_error) or "none")
        for drop in mqtt_client.diagnostics.get_recent_drops(0):
            log.info("  %s  %-22s %s (connected %.0f s before)", drop.timestamp, drop.cause,
                     drop.error_name, drop.duration_connected_seconds or 0.0)
        log.info("log: %s", args.log_file)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, help="seconds to run (default 3600; 90 with the simulator)")
    parser.add_argument("--export-interval", type=float,
                        help="seconds between JSON exports (default 300; 30 with the simulator)")
    parser.add_argument("--output-dir", type=Path, default=Path("mqtt_diagnostics_output"))
    parser.add_argument("--log-file", type=Path, default=Path("mqtt_diagnostics.log"))
    parser.add_argument("--simulate", action="store_true",
                        help="use the simulated cloud even if NAVIEN_EMAIL is set")
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)

    email = os.environ.get("NAVIEN_EMAIL", "").strip()
    password = os.environ.get("NAVIEN_PASSWORD", "")
    simulate = args.simulate or not email
    args.duration = args.duration if args.duration is not None else (90.0 if simulate else 3600.0)
    args.export_interval = args.export_interval if args.export_interval is not None else (30.0 if simulate else 300.0)
    if args.duration <= 0 or args.export_interval <= 0:
        parser.error("--duration and --export-interval must be positive")

    setup_logging(args.log_file, args.verbose)
    sim = None
    if simulate:
        log.info("NAVIEN_EMAIL is not set%s: using the simulated Navien cloud on 127.0.0.1, with "
                 "one injected fault of each kind about every 15 s.",
                 "" if not args.simulate else " (or --simulate given)")
        log.info("Set NAVIEN_EMAIL and NAVIEN_PASSWORD to monitor your real account instead.")
        sim = start_simulator()
        email, password = sim.email, sim.password
        log.info("simulator: REST %s, MQTT %s", sim.api_base_url, sim.mqtt_endpoint)
    elif not password:
        parser.error("NAVIEN_PASSWORD is not set")

    try:
        return asyncio.run(monitor(email, password, args, sim))
    except KeyboardInterrupt:  # Ctrl+C before the signal handlers were installed
        log.info("interrupted")
        return 130
    except InvalidCredentialsError as exc:
        log.error("sign-in refused: %s", exc)
        return 2
    except AuthenticationError as exc:
        log.error("could not sign in: %s", exc)
        return 1
    finally:
        if sim is not None:
            sim.stop()
        # Let the simulator's daemon threads finish their logging before the interpreter goes.
        for t in threading.enumerate():
            if t is not threading.current_thread() and t.name == "nwp500-simulator":
                t.join(5)


if __name__ == "__main__":
    sys.exit(main())
