#!/usr/bin/env python3
"""QoS 1 publish rate: nwp500's NavienMqttClient against paho-mqtt 2.x, same local broker.

    .venv/bin/python bench/publish_rate.py [-n 2000] [--reps 5]

Starts its own mosquitto on 127.0.0.1 (tests/support/broker.py), connects one client of
each kind, and measures, for N messages of 16 bytes at QoS 1:

* sequential -- each publish awaited (nwp500: ``await client.publish``; paho:
  ``publish(...).wait_for_publish()``) before the next: one PUBLISH/PUBACK round trip each;
* in flight  -- all N started at once, then all awaited (nwp500: ``asyncio.gather``; paho:
  ``publish`` N times, then ``wait_for_publish`` on each): limited by the in-flight window
  (100 for both: nwp500's fixed window, paho's ``max_inflight_messages_set(100)``).

The contenders alternate (their order flips every repetition) so drift on the machine hits
both alike. Prints a Markdown table of min/median/max messages per second and the ratio
paho/nwp500 of the medians (> 1: paho faster). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
from importlib import metadata
import os
import platform
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import paho.mqtt.client as paho  # noqa: E402
from support import Mosquitto  # noqa: E402

from nwp500 import MqttConnectionConfig, NavienMqttClient  # noqa: E402

PAYLOAD = b"0123456789abcdef"  # 16 bytes
TOPIC = "bench/publish_rate"
INFLIGHT = 100
TIMEOUT = 60.0


class Auth:
    """The members of nwp500's NavienAuthClient the MQTT client uses (dummy AWS keys: a plain
    mqtt:// endpoint is not signed)."""

    is_authenticated = True
    has_stored_credentials = False

    class current_tokens:  # noqa: N801 - attribute-style access as on AuthTokens
        access_key_id = "AKIDBENCH"
        secret_key = "bench-secret"
        session_token = None
        refresh_token = "bench-refresh"

    async def ensure_valid_token(self):
        return self.current_tokens

    async def refresh_token(self, refresh_token):
        return self.current_tokens

    async def re_authenticate(self):
        return self.current_tokens


# ---- nwp500 ---------------------------------------------------------------------------------

async def nwp_sequential(client: NavienMqttClient, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        if await client.publish(TOPIC, PAYLOAD, qos=1) <= 0:
            raise RuntimeError("publish was queued, not sent: the client is offline")
    return time.perf_counter() - start


async def nwp_inflight(client: NavienMqttClient, n: int) -> float:
    start = time.perf_counter()
    ids = await asyncio.wait_for(asyncio.gather(*(client.publish(TOPIC, PAYLOAD, qos=1) for _ in range(n))),
                                 TIMEOUT)
    elapsed = time.perf_counter() - start
    if min(ids) <= 0:
        raise RuntimeError("a publish was queued, not sent: the client is offline")
    return elapsed


# ---- paho -----------------------------------------------------------------------------------

def paho_connect(host: str, port: int) -> paho.Client:
    connected = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-paho-{os.getpid()}")
    client.max_inflight_messages_set(INFLIGHT)

    def on_connect(c, userdata, flags, reason_code, properties):
        # nwp500 sets TCP_NODELAY on its socket; do the same here so only the clients differ.
        c.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connected.set()

    client.on_connect = on_connect
    client.connect(host, port, keepalive=60)
    client.loop_start()
    if not connected.wait(10):
        raise TimeoutError("paho did not connect within 10 s")
    return client


def _check(info: paho.MQTTMessageInfo) -> None:
    if info.rc != paho.MQTT_ERR_SUCCESS or not info.is_published():
        raise RuntimeError(f"paho publish failed: rc={info.rc}")


def paho_sequential(client: paho.Client, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        info = client.publish(TOPIC, PAYLOAD, qos=1)
        info.wait_for_publish(TIMEOUT)
        _check(info)
    return time.perf_counter() - start


def paho_inflight(client: paho.Client, n: int) -> float:
    start = time.perf_counter()
    infos = [client.publish(TOPIC, PAYLOAD, qos=1) for _ in range(n)]
    for info in infos:
        info.wait_for_publish(TIMEOUT)
    elapsed = time.perf_counter() - start
    for info in infos:
        _check(info)
    return elapsed


# ---- driver ---------------------------------------------------------------------------------

async def run(n: int, reps: int, broker: Mosquitto) -> dict[tuple[str, str], list[float]]:
    config = MqttConnectionConfig(endpoint=broker.url, client_id=f"bench-nwp500-{os.getpid()}",
                                  keep_alive_secs=60, operation_timeout=TIMEOUT)
    nwp = NavienMqttClient(Auth(), config=config)
    await nwp.connect()
    ph = paho_connect(broker.host, broker.port)
    contenders = {
        # paho's calls block; running them on the loop thread is fine here: nothing else is
        # waiting on this loop while they run, and nwp500's I/O lives on its own threads.
        "nwp500": {"sequential": lambda k: nwp_sequential(nwp, k), "in flight": lambda k: nwp_inflight(nwp, k)},
        "paho": {"sequential": lambda k: _sync(paho_sequential, ph, k),
                 "in flight": lambda k: _sync(paho_inflight, ph, k)},
    }
    rates: dict[tuple[str, str], list[float]] = {}
    try:
        # Warm-up, not measured: first-use costs (imports, allocations, TCP windows).
        for name in contenders:
            for mode in ("sequential", "in flight"):
                await contenders[name][mode](min(n, 200))
        for rep in range(reps):
            order = ["nwp500", "paho"] if rep % 2 == 0 else ["paho", "nwp500"]
            for mode in ("sequential", "in flight"):
                for name in order:
                    elapsed = await contenders[name][mode](n)
                    rates.setdefault((mode, name), []).append(n / elapsed)
                    print(f"  rep {rep + 1}/{reps} {mode:<10} {name:<6} {n / elapsed:>9.0f} msg/s",
                          file=sys.stderr, flush=True)
    finally:
        ph.disconnect()
        ph.loop_stop()
        await nwp.disconnect()
    return rates


async def _sync(fn, *args) -> float:
    return fn(*args)


def table(rates: dict[tuple[str, str], list[float]], n: int, reps: int) -> str:
    lines = [
        f"QoS 1, {len(PAYLOAD)}-byte payload, N = {n} messages, {reps} repetitions; "
        f"messages per second (higher is better).",
        "",
        "| mode | client | min | median | max |",
        "|---|---|---:|---:|---:|",
    ]
    for mode in ("sequential", "in flight"):
        for name in ("nwp500", "paho"):
            r = rates[(mode, name)]
            lines.append(f"| {mode} | {name} | {min(r):,.0f} | {statistics.median(r):,.0f} | {max(r):,.0f} |")
    lines += ["", "| mode | paho / nwp500 (medians) |", "|---|---:|"]
    for mode in ("sequential", "in flight"):
        ratio = statistics.median(rates[(mode, "paho")]) / statistics.median(rates[(mode, "nwp500")])
        lines.append(f"| {mode} | {ratio:.2f} |")
    lines += ["", f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
                  f"paho-mqtt {metadata.version('paho-mqtt')}, nwp500 {metadata.version('nwp500')}, "
                  f"local mosquitto on 127.0.0.1."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="messages per measurement (default 2000)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per contender (default 5)")
    args = parser.parse_args()
    if args.n < 1 or args.reps < 1:
        parser.error("-n and --reps must be >= 1")
    with Mosquitto() as broker:
        rates = asyncio.run(run(args.n, args.reps, broker))
    print(table(rates, args.n, args.reps))


if __name__ == "__main__":
    main()
