"""Everything reaches Python on the asyncio loop thread, and the loop never stalls
(TARGET §7): connect, reconnects after a broker restart and a TLS handshake all run off it.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from helpers import CLIENT_EVENTS, DuckAuth, EventRecorder, LoopLagProbe, fast_config, run
from nwp500 import NavienMqttClient

MAX_LAG = 0.050  # seconds a 5 ms sleeper may be late


def _run_in_worker_thread(coro, timeout: float) -> None:
    """``run(coro)`` on a fresh non-main thread (its own loop); re-raises its exception."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            run(coro, timeout)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=target, name="test-loop-thread")
    worker.start()
    worker.join(timeout + 10)
    assert outcome, "worker thread did not finish"
    if outcome[0] is not None:
        raise outcome[0]


async def _everything_on_the_loop(proxy, mqtt5: bool) -> None:
    auth = DuckAuth()
    # Every attempt deep (refresh_token), and give up after the second one.
    client = NavienMqttClient(auth, config=fast_config(
        proxy.url, deep_reconnect_threshold=1, max_reconnect_attempts=2, mqtt5=mqtt5))
    rec = EventRecorder(client)
    auth.notify = rec.record

    def async_listener(name: str):
        async def listener(*args) -> None:
            await asyncio.sleep(0)
            rec.record(f"async {name}", *args)
        return listener

    for name in CLIENT_EVENTS:
        client.on(name, async_listener(name))

    async def async_message(topic: str, message: dict) -> None:
        await asyncio.sleep(0)
        rec.record("async message", topic, message)

    base = f"test/{client.client_id}"

    async def round_trip(n: int) -> None:
        await client.publish(f"{base}/sync", {"n": n})
        await client.publish(f"{base}/async", {"n": n})
        await rec.wait_count("message", n)
        await rec.wait_count("async message", n)

    await client.connect()
    try:
        await client.subscribe(f"{base}/sync", rec.message_callback())
        await client.subscribe(f"{base}/async", async_message)
        await round_trip(1)

        await asyncio.to_thread(proxy.reset_all)  # recovered by a deep attempt
        await rec.wait_count("async connection_resumed", 1, timeout=15)
        await round_trip(2)

        await asyncio.to_thread(proxy.refuse, True)
        await asyncio.to_thread(proxy.reset_all)  # attempt 2 fails: the limit is reached
        await rec.wait_count("async reconnection_failed", 1, timeout=15)
    finally:
        await client.disconnect()

    kinds = {r.event for r in rec.records}
    assert {"auth", "message", "async message", *CLIENT_EVENTS,
            *(f"async {name}" for name in CLIENT_EVENTS)} <= kinds, kinds
    assert {c.name for c in auth.calls} >= {"ensure_valid_token", "refresh_token"}
    assert rec.loop_thread == threading.get_ident()
    off = rec.off_loop()
    assert off == [], f"delivered off the loop thread: {[(r.event, r.thread) for r in off]}"


@pytest.mark.parametrize("where", ["main-thread", "worker-thread"])
def test_every_callback_runs_on_the_loop_thread(fault_proxy, where, mqtt5) -> None:
    proxy = fault_proxy()
    if where == "main-thread":
        run(_everything_on_the_loop(proxy, mqtt5), timeout=60)
    else:
        _run_in_worker_thread(_everything_on_the_loop(proxy, mqtt5), timeout=60)


def test_lag_probe_notices_a_blocked_loop() -> None:
    """The probe itself can fail: a 100 ms blocking call shows up."""

    async def scenario() -> float:
        async with LoopLagProbe() as probe:
            await asyncio.sleep(0.02)
            time.sleep(0.1)  # deliberately blocks the loop
            await asyncio.sleep(0.02)
        return probe.max_lag

    assert run(scenario(), timeout=10) >= 0.09


async def _lag_through_restarts(broker, mqtt5: bool, restarts: int = 3) -> LoopLagProbe:
    async with LoopLagProbe() as probe:
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, mqtt5=mqtt5))
        rec = EventRecorder(client)
        topic = f"test/{client.client_id}/lag"
        await client.connect()
        try:
            await client.subscribe(topic, rec.message_callback())
            for i in range(1, restarts + 1):
                await asyncio.to_thread(broker.kill)
                await rec.wait_count("connection_interrupted", i, timeout=10)
                await asyncio.to_thread(broker.restart)
                await rec.wait_count("connection_resumed", i, timeout=15)
                await client.publish(topic, {"n": i})
                await rec.wait_count("message", i)
        finally:
            await client.disconnect()
    assert probe.samples > 100
    return probe


def test_loop_never_lags_during_connect_and_reconnects(broker, mqtt5) -> None:
    probe = run(_lag_through_restarts(broker, mqtt5), timeout=90)
    assert probe.max_lag < MAX_LAG, f"loop was {probe.max_lag * 1000:.1f} ms late"


def test_loop_never_lags_during_tls_connect(tls_broker, test_ca, monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", test_ca.bundle_path)

    async def scenario() -> LoopLagProbe:
        async with LoopLagProbe() as probe:
            client = NavienMqttClient(DuckAuth(), config=fast_config(tls_broker.tls_url))
            rec = EventRecorder(client)
            topic = f"test/{client.client_id}/tls"
            await client.connect()
            try:
                await client.subscribe(topic, rec.message_callback())
                await client.publish(topic, {"n": 1})
                await rec.wait_count("message", 1)
                # and a TLS reconnect
                await asyncio.to_thread(tls_broker.kill)
                await rec.wait_count("connection_interrupted", 1, timeout=10)
                await asyncio.to_thread(tls_broker.restart)
                await rec.wait_count("connection_resumed", 1, timeout=15)
                await client.publish(topic, {"n": 2})
                await rec.wait_count("message", 2)
            finally:
                await client.disconnect()
        return probe

    probe = run(scenario(), timeout=60)
    assert probe.max_lag < MAX_LAG, f"loop was {probe.max_lag * 1000:.1f} ms late"
