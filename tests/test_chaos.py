"""Chaos: seeded, reproducible fault sequences against a real mosquitto behind the packet-aware
fault proxy, with user calls running during every outage.

Each seed draws a sequence of faults -- cuts at a protocol step (after CONNACK, on SUBSCRIBE,
between PUBLISH and PUBACK, on PINGREQ, on SUBACK), FIN, RST, blackhole, refused connects --
and, during each one, concurrent publish / subscribe / unsubscribe / connect /
recover_connection calls. Invariants checked:

* no await hangs (every call has a deadline) and nothing raises a non-``Exception``;
* every publish that returned a packet id, and every queued publish (returned 0), reaches an
  independent subscriber, unless it was counted as overflowed or given up;
* every subscription delivers after every recovery;
* every ``connection_interrupted`` is followed by ``connection_resumed`` (or
  ``reconnection_failed``), and at most one proxied connection is live once recovered;
* descriptors and threads are back to their baseline after ``disconnect()``.

``NWP500_CHAOS_SEEDS="1 2 3"`` picks the seeds (``bench/chaos`` runs hundreds); a failure
names its seed in the test id, so ``-k 'seed-1234'`` replays it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import threading
import weakref

import pytest

from helpers import DuckAuth, EventRecorder, PahoObserver, fast_config, run
from nwp500 import NavienMqttClient

# (direction, packet, action, after): one protocol step each.
STEPS = [
    ("down", "CONNACK", "fin", True),    # right after the session is established
    ("up", "SUBSCRIBE", "fin", False),   # a SUBSCRIBE (a caller's or a restore) is lost
    ("down", "SUBACK", "rst", False),    # the broker's answer is lost
    ("down", "PUBACK", "fin", False),    # between PUBLISH and PUBACK
    ("up", "PUBLISH", "rst", False),     # a PUBLISH on its way
    ("up", "PINGREQ", "drop", False),    # a silent keep-alive loss (ping deadline)
]
LINK = ["fin", "rst", "blackhole", "refuse"]


def _seeds() -> list[int]:
    text = os.environ.get("NWP500_CHAOS_SEEDS")
    if text:
        return [int(s) for s in text.split()]
    return [11, 29, 4242]


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    # The loop's default executor (asyncio.to_thread, used by this test) keeps its workers.
    return sum(1 for t in threading.enumerate() if not t.name.startswith("asyncio_"))


def _fd_kinds() -> list[str]:
    kinds = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            kinds.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return sorted(kinds)


@pytest.mark.parametrize("seed", _seeds(), ids=lambda s: f"seed-{s}")
def test_chaos(broker, fault_proxy, seed, mqtt5):
    rng = random.Random(seed)
    proxy = fault_proxy()
    run(_chaos(rng, broker, proxy, seed, mqtt5), 240)


async def _chaos(rng: random.Random, broker, proxy, seed: int, mqtt5: bool) -> None:
    # The shared runtime (its threads and descriptors) starts with the first client ever made:
    # make one before taking the baseline.
    NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=mqtt5))
    gc.collect()
    await asyncio.sleep(0.1)
    fds, threads, kinds = _fds(), _threads(), _fd_kinds()
    client = NavienMqttClient(DuckAuth(), config=fast_config(
        proxy.url, operation_timeout=3.0, max_queued_commands=1000, max_queued_command_age=None))
    cid = client.client_id
    rec = EventRecorder(client)
    observer = await asyncio.to_thread(PahoObserver, broker.host, broker.port, f"out/{cid}/#")
    strays: list[BaseException] = []
    must_arrive: set[int] = set()
    counter = iter(range(1, 1_000_000))
    topics = [f"in/{cid}/{name}" for name in ("status", "feature")]

    async def call(what: str, coro) -> object:
        """A user call with a deadline; an ordinary exception is fine, anything else not."""
        try:
            return await asyncio.wait_for(coro, 20)
        except asyncio.TimeoutError:
            raise AssertionError(f"seed {seed}: {what} hung")
        except Exception as e:  # noqa: BLE001 - an error is an allowed outcome
            return e
        except BaseException as e:  # noqa: BLE001
            strays.append(e)
            raise

    async def publish() -> None:
        n = next(counter)
        result = await call("publish", client.publish(f"out/{cid}/{n}", {"n": n}))
        if isinstance(result, int):
            must_arrive.add(n)  # acknowledged (id) or queued (0): either way it must arrive

    async def churn() -> None:
        topic = f"in/{cid}/churn"
        await call("subscribe", client.subscribe(topic, rec.message_callback("churn")))
        await call("unsubscribe", client.unsubscribe(topic))

    async def user_calls() -> None:
        jobs = [publish() for _ in range(rng.randint(2, 6))]
        jobs += [rng.choice([churn, lambda: call("connect", client.connect()),
                             lambda: call("recover", client.recover_connection())])()
                 for _ in range(rng.randint(1, 3))]
        rng.shuffle(jobs)
        await asyncio.gather(*jobs)

    async def every_subscription_delivers() -> None:
        for topic in topics:
            before = rec.count(topic)
            for _ in range(40):
                await asyncio.to_thread(_publish_outside, broker, topic)
                try:
                    await rec.wait_until(lambda: rec.count(topic) > before, 0.5, topic)
                    break
                except TimeoutError:
                    continue
            else:
                raise AssertionError(f"seed {seed}: {topic} no longer delivers")

    await client.connect()
    for topic in topics:
        await client.subscribe(topic, rec.message_callback(topic))
    await every_subscription_delivers()

    for round_no in range(6):
        interrupted = rec.count("connection_interrupted")
        if rng.random() < 0.6:
            direction, packet, action, after = rng.choice(STEPS)
            proxy.trip(direction, packet, action, after=after)
            # Traffic that makes the armed step happen, and a cut for the steps that only a
            # reconnect produces (CONNACK, restore SUBSCRIBE).
            if packet in ("CONNACK", "SUBSCRIBE", "SUBACK") and rng.random() < 0.7:
                proxy.close_all()
            await user_calls()
        else:
            fault = rng.choice(LINK)
            if fault == "fin":
                proxy.close_all()
            elif fault == "rst":
                proxy.reset_all()
            elif fault == "blackhole":
                proxy.blackhole()
            else:
                proxy.refuse(True)
                proxy.close_all()
            await user_calls()
            await asyncio.sleep(rng.uniform(0.2, 2.5))
            proxy.resume()
            proxy.refuse(False)
            await user_calls()
        # Whatever happened, the client must come back on its own.
        proxy.clear_trips()
        await rec.wait_until(lambda: client.is_connected, 30, f"seed {seed} round {round_no}: recovery")
        await rec.wait_until(
            lambda: rec.count("connection_resumed") + rec.count("reconnection_failed")
            >= rec.count("connection_interrupted"), 30, f"seed {seed}: resumed after interrupted")
        assert rec.count("connection_interrupted") >= interrupted
        await every_subscription_delivers()
        await asyncio.to_thread(proxy.wait_connections, 1, 10)

    assert not strays, f"seed {seed}: non-Exception raised: {strays!r}"
    lost_allowed = client.dropped_commands_count + client.failed_commands_count
    await client.disconnect()

    def arrived() -> set[int]:
        return {json.loads(p)["n"] for _, p in observer.messages}

    deadline = asyncio.get_running_loop().time() + 15
    while len(must_arrive - arrived()) > lost_allowed and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    missing = must_arrive - arrived()
    assert len(missing) <= lost_allowed, (
        f"seed {seed}: {len(missing)} publishes never arrived ({sorted(missing)[:10]}), "
        f"{lost_allowed} counted as overflowed or given up")
    assert rec.off_loop() == [], f"seed {seed}: a callback ran off the loop thread"
    observer.close()
    alive = weakref.ref(client)
    del client, rec, observer  # paho keeps a socket pair until its client is collected
    gc.collect()
    assert alive() is None, f"seed {seed}: the client was not collected"
    # The proxy lives in this process too: its two sockets per link close after ours.
    await asyncio.to_thread(proxy.wait_connections, 0, 10)
    for _ in range(50):  # the session's end reaches the loop through the bridge
        if _fds() <= fds and _threads() <= threads:
            break
        await asyncio.sleep(0.1)
    assert _fds() <= fds, f"seed {seed}: {_fds() - fds} descriptors left: {set(_fd_kinds()) - set(kinds)}"
    assert _threads() <= threads, f"seed {seed}: threads left"


def _publish_outside(broker, topic: str) -> None:
    import paho.mqtt.publish as publish

    publish.single(topic, b'{"probe": 1}', qos=1, hostname=broker.host, port=broker.port)
