"""The monitor's simulated cloud: started in this process when there is no account, with a
schedule of injected faults (one of each kind). Used by :mod:`.monitor` only."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from .monitor import MonitorState

__all__ = ["SIMULATED_FAULTS", "ENV_VARS", "start_simulator", "inject_faults", "pause"]

log = logging.getLogger("nwp500.monitor")

# (seconds after the first connection, simulator fault, its parameters, what it stands for).
# Irregular spacing on purpose: evenly spaced drops would read as "regular intervals".
SIMULATED_FAULTS: list[tuple[float, str, dict[str, Any], str]] = [
    (9, "drop", {}, "the server closes the connection"),
    (23, "reset", {}, "the network resets the TCP connection"),
    (33, "takeover", {}, "another client connects with our client id (over MQTT 5: reason 0x8E)"),
    (43, "disconnect", {"reason_code": 0x97, "reason": "message quota exceeded"},
     "the server throttles the client (over MQTT 5: reason 0x97 quota exceeded)"),
    (52, "expire_credentials", {"drop": True},
     "the AWS credentials expire and the connection drops (the reconnect gets HTTP 403)"),
    (66, "blackhole", {"seconds": 12.0},
     "a half-open link for 12 s: shorter than keep-alive (60 s) + ping deadline, so it should "
     "pass unnoticed"),
]
# What points the library at the simulated cloud (restored when the simulator stops).
ENV_VARS = ("NWP500_API_BASE_URL", "NWP500_MQTT_ENDPOINT")


@contextlib.contextmanager
def start_simulator() -> Iterator[Any]:
    """Start the simulated cloud in this process and point the library at it for the block;
    on the way out stop it and put the environment back as it was."""
    from ..simulator import SimulatorThread  # a tool of its own: loaded only when used (never on the loop)

    saved = {name: os.environ.get(name) for name in ENV_VARS}
    sim = SimulatorThread().start()
    try:
        os.environ["NWP500_API_BASE_URL"] = sim.api_base_url
        os.environ["NWP500_MQTT_ENDPOINT"] = sim.mqtt_endpoint
        yield sim
    finally:
        try:
            sim.stop()
            # Let the simulator's daemon threads finish their logging before going on.
            for t in threading.enumerate():
                if t is not threading.current_thread() and t.name == "nwp500-simulator":
                    t.join(5)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds``; ``True`` if ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
        return True
    except asyncio.TimeoutError:
        return False


async def inject_faults(sim: Any, client: Any, faults: list[tuple[float, str, dict[str, Any], str]],
                        state: MonitorState, stop: asyncio.Event) -> None:
    """Apply each fault of the schedule at its time (seconds after this starts)."""
    started = time.monotonic()
    for at, action, params, meaning in faults:
        if await pause(stop, started + at - time.monotonic()):
            return
        log.info(">>> simulated fault: %s (%s)", action, meaning)
        state.faults.append(action)
        try:
            await asyncio.to_thread(sim.fault, action, **params)
        except Exception as exc:  # noqa: BLE001 - a failed injection must not end the monitor
            log.warning("could not inject %s: %s", action, exc)
            continue
        if action == "blackhole" and params.get("seconds"):
            if await pause(stop, params["seconds"]):
                return
            log.info("<<< the half-open link is over; still connected: %s", client.is_connected)
