"""Worker for aiomqtt 2.x (paho-mqtt's protocol code driven by the asyncio loop itself, so
messages arrive on the loop thread with no hand-over). TCP_NODELAY through
``socket_options``, in-flight window 100 as for the others.

aiomqtt has no automatic reconnect, no resubscription and no offline queue. The ``fault``
task therefore uses the reconnect loop of aiomqtt's documentation (with a 1 s pause, the
first delay of nwp500 and nwp500-python), subscribes inside it, and keeps the message to be
sent after a drop in a list of its own: application code that the other libraries do not
need. See _common.py for the tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time

import aiomqtt

from _common import (
    IN_TOPICS, PAYLOAD, PROBE_TOPIC, PUB_TOPIC, WARMUP, FaultLog, InboundCounter, cpu_s,
    commands, emit, paced, rss_mib, run_main,
)

logging.getLogger("mqtt").setLevel(logging.ERROR)  # "N pending publish calls" warnings
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def make_client(p: dict, client_id: str, keep_alive: int = 60) -> aiomqtt.Client:
    return aiomqtt.Client(p["host"], p["port"], identifier=client_id, keepalive=keep_alive,
                          max_inflight_messages=100, socket_options=NODELAY)




async def publish(p: dict) -> dict:
    async with make_client(p, p["id"]) as client:
        async def sequential(k: int) -> float:
            t = time.perf_counter()
            for _ in range(k):
                await client.publish(PUB_TOPIC, PAYLOAD, qos=1)
            return time.perf_counter() - t

        async def in_flight(k: int) -> float:
            t = time.perf_counter()
            await asyncio.gather(*(client.publish(PUB_TOPIC, PAYLOAD, qos=1) for _ in range(k)))
            return time.perf_counter() - t

        await sequential(WARMUP)
        await in_flight(WARMUP)
        n = p["n"]
        return {"seq": n / await sequential(n), "inflight": n / await in_flight(n)}


async def latency(p: dict) -> dict:
    async with make_client(p, p["id"]) as client:
        return await paced(lambda: client.publish(PUB_TOPIC, PAYLOAD, qos=1), p)


async def inbound(p: dict) -> dict:
    counter = InboundCounter(p["n"])
    qos_of = {topic: qos for qos, topic in IN_TOPICS.items()}
    async with make_client(p, p["id"]) as client:
        for qos, topic in IN_TOPICS.items():
            await client.subscribe(topic, qos)

        async def receive() -> None:
            async for message in client.messages:
                json.loads(message.payload)
                counter.hit(qos_of[message.topic.value])

        receiver = asyncio.create_task(receive())
        await commands(counter)
        receiver.cancel()
    return {}


async def fault(p: dict) -> dict:
    log = FaultLog()
    qtopic = f"bench/q/{p['id']}"
    pending: list[int] = []  # the offline queue aiomqtt does not have

    async def session() -> None:
        online = False
        while True:
            try:
                async with make_client(p, p["id"], keep_alive=p["keep_alive"]) as client:
                    await client.subscribe(PROBE_TOPIC, 1)
                    await client.subscribe(qtopic, 1)
                    if log.drops:
                        log.up()
                    online = True
                    while pending:
                        await client.publish(qtopic, json.dumps({"drop": pending[0]}), qos=1)
                        pending.pop(0)
                    async for message in client.messages:
                        log.message(message.topic.value, json.loads(message.payload))
            except aiomqtt.MqttError:
                if online:
                    online = False
                    pending.append(log.down())
                await asyncio.sleep(1.0)

    task = asyncio.create_task(session())
    await asyncio.sleep(0.5)
    await commands()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return {"drops": log.drops}


async def idle(p: dict) -> dict:
    clients = [make_client(p, f"{p['id']}-{i}") for i in range(p["clients"])]
    cpu0 = cpu_s()
    async with contextlib.AsyncExitStack() as stack:
        await asyncio.gather(*(stack.enter_async_context(c) for c in clients))
        await asyncio.gather(*(c.subscribe(f"bench/idle/{p['id']}/{i}", 1)
                               for i, c in enumerate(clients)))
        connect_cpu = cpu_s() - cpu0
        await asyncio.sleep(p["settle_s"])
        rss = rss_mib()
        emit(ev="idle_start", t=time.time())
        cpu1 = cpu_s()
        await asyncio.sleep(p["idle_s"])
        return {"rss_mib": rss, "connect_cpu_s": connect_cpu, "idle_cpu_s": cpu_s() - cpu1,
                "connected": len(clients)}


if __name__ == "__main__":
    run_main({name: (lambda p, f=fn: asyncio.run(f(p)))
              for name, fn in {"publish": publish, "latency": latency, "inbound": inbound,
                               "fault": fault, "idle": idle}.items()})
