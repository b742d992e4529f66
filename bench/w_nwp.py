"""Worker for nwp500 (this project) and nwp500-python 6.1.1 (the reference): both import as
``nwp500`` with the same client API, so one file serves both; the suite runs it with the
project's .venv or with bench/.venv-ref. See _common.py for the tasks and the protocol.

Differences handled here: the reference's QoS is awscrt's ``mqtt.QoS`` enum, and its message
callbacks run on an awscrt thread, so they are handed to the loop with
``call_soon_threadsafe`` -- what an asyncio application has to do with it. nwp500 already
calls them on the loop thread.
"""

from __future__ import annotations

import asyncio
import time

from _common import (
    IN_TOPICS, PAYLOAD, PROBE_TOPIC, PUB_TOPIC, WARMUP, Auth, FaultLog, InboundCounter,
    cpu_s, commands, emit, paced, rss_mib, run_main,
)
from nwp500 import MqttConnectionConfig, NavienMqttClient

try:  # the reference (awscrt underneath)
    from awscrt import mqtt as _crt

    REFERENCE = True
    QOS = {0: _crt.QoS.AT_MOST_ONCE, 1: _crt.QoS.AT_LEAST_ONCE}
except ImportError:
    REFERENCE = False
    QOS = {0: 0, 1: 1}


def make_client(p: dict, client_id: str, keep_alive: int = 60) -> NavienMqttClient:
    config = MqttConnectionConfig(endpoint=p["endpoint"], client_id=client_id,
                                  keep_alive_secs=keep_alive)
    return NavienMqttClient(Auth(), config=config)


def on_loop(fn):
    """A message callback that runs ``fn`` on the asyncio loop thread."""
    if not REFERENCE:
        return fn
    loop = asyncio.get_running_loop()
    return lambda topic, msg: loop.call_soon_threadsafe(fn, topic, msg)


# ---- tasks ---------------------------------------------------------------------------------

async def publish(p: dict) -> dict:
    client = make_client(p, p["id"])
    await client.connect()
    n, qos = p["n"], QOS[1]

    async def sequential(k: int) -> float:
        t = time.perf_counter()
        for _ in range(k):
            if await client.publish(PUB_TOPIC, PAYLOAD, qos) <= 0:
                raise RuntimeError("publish queued offline")
        return time.perf_counter() - t

    async def in_flight(k: int) -> float:
        t = time.perf_counter()
        ids = await asyncio.gather(*(client.publish(PUB_TOPIC, PAYLOAD, qos) for _ in range(k)))
        elapsed = time.perf_counter() - t
        if min(ids) <= 0:
            raise RuntimeError("publish queued offline")
        return elapsed

    await sequential(WARMUP)
    await in_flight(WARMUP)
    result = {"seq": n / await sequential(n), "inflight": n / await in_flight(n)}
    await client.disconnect()
    return result


async def latency(p: dict) -> dict:
    client = make_client(p, p["id"])
    await client.connect()

    async def one() -> None:
        if await client.publish(PUB_TOPIC, PAYLOAD, QOS[1]) <= 0:
            raise RuntimeError("publish queued offline")

    result = await paced(one, p)
    await client.disconnect()
    return result


async def inbound(p: dict) -> dict:
    client = make_client(p, p["id"])
    await client.connect()
    counter = InboundCounter(p["n"])
    for qos, topic in IN_TOPICS.items():
        await client.subscribe(topic, on_loop(lambda t, m, q=qos: counter.hit(q)), QOS[qos])
    await commands(counter)
    await client.disconnect()
    return {}




async def fault(p: dict) -> dict:
    client = make_client(p, p["id"], keep_alive=p["keep_alive"])
    log = FaultLog()
    qtopic = f"bench/q/{p['id']}"

    async def on_down(*_args) -> None:
        k = log.down()
        await client.publish(qtopic, {"drop": k}, QOS[1])  # queued while offline

    client.on("connection_interrupted", on_down)
    client.on("connection_resumed", lambda *_a: log.up())
    await client.connect()
    await client.subscribe(PROBE_TOPIC, on_loop(log.message), QOS[1])
    await client.subscribe(qtopic, on_loop(log.message), QOS[1])
    await commands()
    return {"drops": log.drops}


async def idle(p: dict) -> dict:
    n = p["clients"]
    clients = [make_client(p, f"{p['id']}-{i}") for i in range(n)]
    cpu0 = cpu_s()
    await asyncio.gather(*(c.connect() for c in clients))
    await asyncio.gather(*(c.subscribe(f"bench/idle/{p['id']}/{i}", lambda t, m: None, QOS[1])
                           for i, c in enumerate(clients)))
    connect_cpu = cpu_s() - cpu0
    await asyncio.sleep(p["settle_s"])
    rss = rss_mib()
    emit(ev="idle_start", t=time.time())
    cpu1 = cpu_s()
    await asyncio.sleep(p["idle_s"])
    result = {"rss_mib": rss, "connect_cpu_s": connect_cpu, "idle_cpu_s": cpu_s() - cpu1,
              "connected": sum(1 for c in clients if c.is_connected)}
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    return result


if __name__ == "__main__":
    run_main({name: (lambda p, f=fn: asyncio.run(f(p)))
              for name, fn in {"publish": publish, "latency": latency, "inbound": inbound,
                               "fault": fault, "idle": idle}.items()})
