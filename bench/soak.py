"""Soak: many drop/recover cycles in one process, watching for anything that grows.

``bench/soak [--clients 100] [--cycles 100]`` connects N clients (one process, one asyncio
loop) to a loopback mosquitto through one FaultProxy; each subscribes to its own topic. A
cycle cuts every link at once (FIN or RST, alternating), waits until every client has
resumed, and then has each client publish one QoS 1 message to itself and wait for it to come
back through its restored subscription. RSS, open descriptors, OS threads and Python objects
are sampled every few cycles (RSS twice: as is, and after malloc_trim, which separates memory
in use from memory the allocator freed and kept); the report gives each one's least-squares slope per 1 000
drop/recover cycles after a warm-up (the goal: flat) and writes bench/results/soak.{md,json}.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from support import Mosquitto  # noqa: E402

from nwp500 import MqttConnectionConfig, NavienMqttClient  # noqa: E402
from nwp500.simulator.faults import FaultProxy  # noqa: E402


class Auth:
    """A signed-in auth client for a broker that needs no AWS signature."""

    is_authenticated = True
    has_stored_credentials = False

    class current_tokens:  # noqa: N801 - the attribute name the client reads
        access_key_id = "AKIASOAKSOAKSOAK"
        secret_key = "soak"
        session_token = None
        refresh_token = "r"

    async def ensure_valid_token(self):
        return self.current_tokens

    async def refresh_token(self, _token):  # every 10th attempt is a deep one
        return self.current_tokens


def status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def malloc_trim() -> None:
    """Hands the allocator's free memory back to the system (glibc), where it can."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the trimmed figure equals the plain one
        pass


def sample(cycle: int) -> dict:
    gc.collect()
    rss = status("VmRSS")
    # RSS also holds memory the allocator has freed but kept; after malloc_trim what is left
    # is (close to) what is in use, which is what a leak would grow.
    malloc_trim()
    return {"cycle": cycle, "rss_kib": rss, "rss_trimmed_kib": status("VmRSS"),
            "fds": len(os.listdir("/proc/self/fd")), "threads": status("Threads"),
            "objects": len(gc.get_objects())}


def history_kib_per_1000() -> float:
    """What 1 000 drop/recover cycles add to a client's diagnostics history (one drop and one
    connection record each), measured on a collector of its own. The history is bounded
    (1 000 of each per client), so this part of the RSS slope stops once it is full."""
    from nwp500._core import DiagnosticsCore

    core = DiagnosticsCore(100_000)
    gc.collect()
    before, n = status("VmRSS"), 20_000
    for i in range(n):
        core.record_drop("AWS_ERROR_MQTT_UNEXPECTED_HANGUP",
                         "AWS_ERROR_MQTT_UNEXPECTED_HANGUP: The connection was closed unexpectedly. "
                         "(connection closed by peer)", 5134, "tcp_closed", i, 1, 0, False)
        core.record_connection("resumed", False, 0, i, False)
    grown = status("VmRSS") - before
    del core
    return grown / n * 1000


def slope_per_1000(samples: list[dict], key: str, clients: int) -> float:
    """Least-squares slope of ``key`` against drop/recover cycles (clients x cycles)."""
    xs = [s["cycle"] * clients for s in samples]
    ys = [s[key] for s in samples]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return 0.0 if var == 0 else 1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var


async def soak(clients: int, cycles: int, every: int) -> dict:
    broker = Mosquitto(extra_config="max_connections -1")
    broker.start()
    proxy = FaultProxy(broker.host, broker.port)
    config = dict(endpoint=proxy.url, keep_alive_secs=30, ping_timeout=3.0, initial_reconnect_delay=0.05,
                  max_reconnect_delay=0.5, reconnect_jitter=True, operation_timeout=20.0)
    resumed = 0
    echoes: dict[str, asyncio.Event] = {}
    made: list[NavienMqttClient] = []

    def on_resumed(_event) -> None:
        nonlocal resumed
        resumed += 1

    try:
        for _ in range(clients):
            c = NavienMqttClient(Auth(), config=MqttConnectionConfig(**config))
            c.on("connection_resumed", on_resumed)
            await c.connect()
            topic = f"soak/{c.client_id}"
            echoes[topic] = asyncio.Event()
            await c.subscribe(topic, lambda t, m: echoes[t].set())
            made.append(c)
        samples = [sample(0)]
        started = time.monotonic()
        for cycle in range(1, cycles + 1):
            target = resumed + clients
            (proxy.reset_all if cycle % 2 else proxy.close_all)()
            deadline = time.monotonic() + 60
            while resumed < target:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"cycle {cycle}: {target - resumed} clients did not resume")
                await asyncio.sleep(0.02)
            for e in echoes.values():
                e.clear()
            await asyncio.gather(*(c.publish(f"soak/{c.client_id}", {"cycle": cycle}) for c in made))
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in echoes.values())), 30)
            if cycle % every == 0:
                samples.append(sample(cycle))
                s = samples[-1]
                print(f"cycle {cycle:4d}: rss {s['rss_kib'] / 1024:.1f} MiB, fds {s['fds']}, "
                      f"threads {s['threads']}, objects {s['objects']}", flush=True)
        elapsed = time.monotonic() - started
        for c in made:
            await c.disconnect()
    finally:
        proxy.stop()
        broker.close()
    warm = [s for s in samples if s["cycle"] >= max(every, cycles // 10)]
    return {
        "clients": clients, "cycles": cycles, "drop_recover_cycles": clients * cycles,
        "seconds": round(elapsed, 1), "samples": samples,
        "slope_per_1000_cycles": {k: round(slope_per_1000(warm, k, clients), 2)
                                  for k in ("rss_kib", "rss_trimmed_kib", "fds", "threads", "objects")},
    }


def report(result: dict) -> str:
    first, last = result["samples"][0], result["samples"][-1]
    slope = result["slope_per_1000_cycles"]
    rows = [
        ("RSS (KiB)", "rss_kib"), ("RSS after malloc_trim (KiB)", "rss_trimmed_kib"),
        ("open descriptors", "fds"), ("OS threads", "threads"),
        ("Python objects", "objects"),
    ]
    lines = [
        f"# Soak: {result['drop_recover_cycles']} drop/recover cycles "
        f"({result['clients']} clients x {result['cycles']} cycles, {result['seconds']} s)",
        "",
        "| what | after connect | at the end | slope per 1 000 cycles (after warm-up) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {first[key]} | {last[key]} | {slope[key]:+} |" for name, key in rows]
    history = result["history_kib_per_1000_cycles"]
    lines += [
        "",
        f"Of the RSS slope, {history} KiB per 1 000 cycles is the diagnostics history filling up "
        "(one drop and one connection record per cycle, measured on a collector of its own; bounded "
        f"at 1 000 of each per client, which this run does not reach): {slope['rss_kib'] - history:+.1f} KiB "
        f"per 1 000 cycles is left over ({slope['rss_trimmed_kib'] - history:+.1f} KiB after malloc_trim: the "
        "rest of the plain figure is memory the allocator freed and kept).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--cycles", type=int, default=100)
    p.add_argument("--every", type=int, default=5, help="sample every N cycles")
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the per-attempt warnings would drown the report
    history = history_kib_per_1000()
    result = asyncio.run(soak(args.clients, args.cycles, args.every))
    result["history_kib_per_1000_cycles"] = round(history, 1)
    text = report(result)
    out = os.path.join(HERE, "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "soak.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(out, "soak.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
