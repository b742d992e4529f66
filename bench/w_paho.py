"""Worker for paho-mqtt 2.x, used the way its documentation shows: ``loop_start()`` runs the
network thread, TCP_NODELAY is set in ``on_connect`` (nwp500 sets it too), subscriptions are
made in ``on_connect`` so that they come back after every reconnect, and reconnecting is
paho's own (``loop_start`` reconnects with its default 1..120 s backoff). Messages reach the
asyncio loop thread through ``call_soon_threadsafe``; JSON is decoded in the callback, as
nwp500 and nwp500-python do for theirs. See _common.py for the tasks.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import paho.mqtt.client as mqtt

from _common import (
    IN_TOPICS, PAYLOAD, PROBE_TOPIC, PUB_TOPIC, WARMUP, FaultLog, InboundCounter, cpu_s,
    commands, emit, latency_result, rss_mib, run_main, schedule,
)

INFLIGHT = 100  # nwp500's fixed in-flight window
TIMEOUT = 60.0


def make_client(p: dict, client_id: str, keep_alive: int = 60, topics=(), on_message=None,
                on_up=None, on_down=None) -> tuple[mqtt.Client, threading.Event]:
    connected = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(INFLIGHT)

    def on_connect(c, _userdata, _flags, reason_code, _props):
        if reason_code.is_failure:
            return
        c.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for topic, qos in topics:
            c.subscribe(topic, qos)
        connected.set()
        if on_up:
            on_up()

    def on_disconnect(_c, _userdata, _flags, _reason_code, _props):
        connected.clear()
        if on_down:
            on_down()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    if on_message:
        client.on_message = on_message
    client.connect(p["host"], p["port"], keepalive=keep_alive)
    client.loop_start()
    return client, connected


def close(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


# ---- tasks ---------------------------------------------------------------------------------

def publish(p: dict) -> dict:
    client, connected = make_client(p, p["id"])
    if not connected.wait(10):
        raise TimeoutError("paho did not connect")

    def sequential(k: int) -> float:
        t = time.perf_counter()
        for _ in range(k):
            info = client.publish(PUB_TOPIC, PAYLOAD, qos=1)
            info.wait_for_publish(TIMEOUT)
            if not info.is_published():
                raise RuntimeError(f"publish failed rc={info.rc}")
        return time.perf_counter() - t

    def in_flight(k: int) -> float:
        t = time.perf_counter()
        infos = [client.publish(PUB_TOPIC, PAYLOAD, qos=1) for _ in range(k)]
        for info in infos:
            info.wait_for_publish(TIMEOUT)
        elapsed = time.perf_counter() - t
        if not all(i.is_published() for i in infos):
            raise RuntimeError("a publish failed")
        return elapsed

    sequential(WARMUP)
    in_flight(WARMUP)
    n = p["n"]
    result = {"seq": n / sequential(n), "inflight": n / in_flight(n)}
    close(client)
    return result


def latency(p: dict) -> dict:
    """publish() on the main thread at each scheduled start; the clock stops in on_publish
    (PUBACK in, paho's network thread), as latency_c.c's does; no hand-off to another
    thread is timed."""
    acks: dict[int, int] = {}
    client, connected = make_client(p, p["id"])
    client.on_publish = lambda _c, _u, mid, _rc, _props: acks.__setitem__(
        mid, time.perf_counter_ns())
    if not connected.wait(10):
        raise TimeoutError("paho did not connect")
    total = p["warmup"] + p["n"]
    if total >= 65535:
        raise ValueError("message ids would wrap")
    start, lag, mids = [0] * total, [0] * total, [0] * total

    def start_one(i: int, target: int) -> None:
        t = time.perf_counter_ns()
        info = client.publish(PUB_TOPIC, PAYLOAD, qos=1)
        start[i], lag[i], mids[i] = t, t - target, info.mid

    schedule(p, start_one)
    deadline = time.monotonic() + 30
    while len(acks) < total and time.monotonic() < deadline:
        time.sleep(0.01)
    if len(acks) < total:
        raise RuntimeError(f"only {len(acks)} of {total} PUBACKs")
    close(client)
    return latency_result(start, [acks[m] - s for m, s in zip(mids, start)], lag, p["warmup"])


async def _inbound(p: dict) -> dict:
    loop = asyncio.get_running_loop()
    counter = InboundCounter(p["n"])
    qos_of = {topic: qos for qos, topic in IN_TOPICS.items()}

    def on_message(_c, _userdata, msg):  # paho's network thread
        json.loads(msg.payload)
        loop.call_soon_threadsafe(counter.hit, qos_of[msg.topic])

    topics = [(t, q) for q, t in IN_TOPICS.items()]
    subscribed = asyncio.Event()
    client, connected = make_client(p, p["id"], topics=topics, on_message=on_message)
    client.on_subscribe = lambda *a: loop.call_soon_threadsafe(subscribed.set)
    await loop.run_in_executor(None, connected.wait, 10)
    await asyncio.wait_for(subscribed.wait(), 10)
    await asyncio.sleep(0.2)  # both SUBACKs (on_subscribe fires per SUBSCRIBE)
    await commands(counter)
    close(client)
    return {}




async def _fault(p: dict) -> dict:
    log = FaultLog()
    qtopic = f"bench/q/{p['id']}"
    holder: list[mqtt.Client] = []

    def on_down():  # network thread; paho keeps QoS 1 messages published while offline
        k = log.down()
        holder[0].publish(qtopic, json.dumps({"drop": k}), qos=1)

    def on_message(_c, _userdata, msg):
        log.message(msg.topic, json.loads(msg.payload))

    client, connected = make_client(p, p["id"], keep_alive=p["keep_alive"],
                                    topics=[(PROBE_TOPIC, 1), (qtopic, 1)],
                                    on_message=on_message, on_up=log.up, on_down=on_down)
    holder.append(client)
    await asyncio.get_running_loop().run_in_executor(None, connected.wait, 10)
    await asyncio.sleep(0.2)
    await commands()
    close(client)
    return {"drops": log.drops}


def idle(p: dict) -> dict:
    cpu0 = cpu_s()
    clients = [make_client(p, f"{p['id']}-{i}", topics=[(f"bench/idle/{p['id']}/{i}", 1)])
               for i in range(p["clients"])]
    for _c, connected in clients:
        connected.wait(30)
    connect_cpu = cpu_s() - cpu0
    time.sleep(p["settle_s"])
    rss = rss_mib()
    emit(ev="idle_start", t=time.time())
    cpu1 = cpu_s()
    time.sleep(p["idle_s"])
    result = {"rss_mib": rss, "connect_cpu_s": connect_cpu, "idle_cpu_s": cpu_s() - cpu1,
              "connected": sum(1 for _c, ev in clients if ev.is_set())}
    for c, _ev in clients:
        close(c)
    return result


if __name__ == "__main__":
    run_main({"publish": publish, "latency": latency,
              "inbound": lambda p: asyncio.run(_inbound(p)),
              "fault": lambda p: asyncio.run(_fault(p)), "idle": idle})
