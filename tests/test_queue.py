"""The offline command queue against a real broker (TARGET §4.3): bounded (drop oldest),
aged out, flushed after the resubscription, oldest first; disabled -> MqttNotConnectedError.

A message is proven absent by a sentinel: once a message published *after* the flush has
arrived, everything the flush was going to deliver on that connection has arrived too.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from helpers import DuckAuth, EventRecorder, PahoObserver, fast_config, run
from nwp500 import MqttNotConnectedError, MqttPublishError, NavienMqttClient

SENTINEL = 999


async def _go_offline(proxy, rec: EventRecorder) -> None:
    """Refuse new connections and reset the live one; returns once the drop was reported."""
    before = rec.count("connection_interrupted")
    await asyncio.to_thread(proxy.refuse, True)
    await asyncio.to_thread(proxy.reset_all)
    await rec.wait_count("connection_interrupted", before + 1, timeout=5)


async def _come_back(proxy, rec: EventRecorder) -> None:
    before = rec.count("connection_resumed")
    await asyncio.to_thread(proxy.refuse, False)
    await rec.wait_count("connection_resumed", before + 1, timeout=15)


def _numbers(rec: EventRecorder) -> list[int]:
    return [r.args[1]["n"] for r in rec.of("message")]


async def _sentinel_seen(client: NavienMqttClient, topic: str, rec: EventRecorder) -> None:
    """Publishes the sentinel and waits until it arrives (see the module docstring)."""
    await client.publish(topic, {"n": SENTINEL})
    await rec.wait_until(lambda: SENTINEL in _numbers(rec), what="the sentinel")


def test_overflow_before_first_connect_keeps_the_newest(broker, mqtt5) -> None:
    topic = "test/queue/before-connect"
    observer = PahoObserver(broker.host, broker.port, topic)

    async def scenario() -> list[int]:
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, mqtt5=mqtt5, max_queued_commands=5))
        assert [await client.publish(topic, {"n": n}) for n in range(1, 13)] == [0] * 12
        assert client.queued_commands_count == 5
        assert client.dropped_commands_count == 7
        await client.connect()
        try:
            assert client.queued_commands_count == 0
            assert await client.publish(topic, {"n": SENTINEL}) > 0
            got = await asyncio.to_thread(observer.wait_count, 6, 10)
        finally:
            await client.disconnect()
        return [json.loads(payload)["n"] for _, payload in got]

    try:
        assert run(scenario(), timeout=60) == [8, 9, 10, 11, 12, SENTINEL]
    finally:
        observer.close()


def test_overflow_while_disconnected_flushes_newest_after_resubscribe(fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()

    async def scenario() -> None:
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=mqtt5, max_queued_commands=5))
        rec = EventRecorder(client)
        topic = f"test/{client.client_id}/queue"
        at_resume: list[tuple[int, dict]] = []
        client.on("connection_resumed", lambda event: at_resume.append(
            (client.queued_commands_count, client._subscription_manager.subscriptions)))
        await client.connect()
        try:
            await client.subscribe(topic, rec.message_callback(), qos=1)
            await _go_offline(proxy, rec)
            assert [await client.publish(topic, {"n": n}) for n in range(1, 13)] == [0] * 12
            assert (client.queued_commands_count, client.dropped_commands_count) == (5, 7)
            await _come_back(proxy, rec)
            # clean_session=True: the broker forgot the subscription, so these arrive only if
            # the client resubscribed *before* flushing the queue.
            await _sentinel_seen(client, topic, rec)
        finally:
            await client.disconnect()
        assert _numbers(rec) == [8, 9, 10, 11, 12, SENTINEL]
        # 'connection_resumed' comes after the resubscription and the flush.
        assert at_resume == [(0, {topic: 1})]
        assert client.dropped_commands_count == 7

    run(scenario(), timeout=60)


def test_a_drop_returning_more_than_the_queue_holds_fails_the_oldest(fault_proxy, mqtt5) -> None:
    """Six publishes are in flight when the link drops and the queue holds three: the three
    oldest fail (their callers are not told "queued"), the three newest are queued, counted
    and delivered after the reconnect. The queue keeps the newest, as when it fills offline."""
    proxy = fault_proxy()

    async def scenario() -> None:
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            proxy.url, mqtt5=mqtt5, max_queued_commands=3, operation_timeout=30.0, keep_alive_secs=10))
        rec = EventRecorder(client)
        topic = f"test/{client.client_id}/overflow"
        await client.connect()
        try:
            await client.subscribe(topic, rec.message_callback(), qos=1)
            await asyncio.to_thread(proxy.blackhole)  # no PUBACK can come back
            pending = [asyncio.ensure_future(client.publish(topic, {"n": n})) for n in range(1, 7)]
            await asyncio.sleep(0)  # each task runs to its await: the six are submitted, in order
            # rumqttc writes requests in order: once this QoS 0 publish is written, so are the six.
            assert await client.publish(f"test/{client.client_id}/mark", {}, qos=0) == 0
            assert not any(p.done() for p in pending)
            await asyncio.to_thread(proxy.reset_all)
            results = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 10)
            for result in results[:3]:
                assert isinstance(result, MqttPublishError), results
                assert "command queue is full" in str(result)
            assert results[3:] == [0, 0, 0], results
            assert (client.queued_commands_count, client.dropped_commands_count) == (3, 3)
            await asyncio.to_thread(proxy.resume)
            await rec.wait_count("connection_resumed", 1, 20)
            await _sentinel_seen(client, topic, rec)
        finally:
            await client.disconnect()
        assert _numbers(rec) == [4, 5, 6, SENTINEL]

    run(scenario(), timeout=60)


def test_expired_commands_are_not_sent_after_reconnect(fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()
    max_age = 2.0  # > the time the reconnect takes once the proxy accepts again (<= ~1.2 s)

    async def scenario() -> None:
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            proxy.url, max_queued_command_age=max_age))
        rec = EventRecorder(client)
        topic = f"test/{client.client_id}/expiry"
        await client.connect()
        try:
            await client.subscribe(topic, rec.message_callback(), qos=1)
            await _go_offline(proxy, rec)
            for n in (1, 2, 3):
                assert await client.publish(topic, {"n": n}) == 0
            await asyncio.sleep(max_age + 0.5)  # real time must pass for 1..3 to age out
            for n in (4, 5, 6):
                assert await client.publish(topic, {"n": n}) == 0
            assert client.queued_commands_count == 6  # expired ones count until the flush
            await _come_back(proxy, rec)
            assert client.queued_commands_count == 0
            await _sentinel_seen(client, topic, rec)
        finally:
            await client.disconnect()
        assert _numbers(rec) == [4, 5, 6, SENTINEL]

    run(scenario(), timeout=60)


def test_disabled_queue_raises_when_offline(fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()

    async def scenario() -> None:
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            proxy.url, enable_command_queue=False))
        rec = EventRecorder(client)
        topic = f"test/{client.client_id}/noqueue"
        with pytest.raises(MqttNotConnectedError):
            await client.publish(topic, {"n": 0})
        await client.connect()
        try:
            await client.subscribe(topic, rec.message_callback(), qos=1)
            assert await client.publish(topic, {"n": 1}) > 0
            await _go_offline(proxy, rec)
            with pytest.raises(MqttNotConnectedError):
                await client.publish(topic, {"n": 2})
            assert client.queued_commands_count == 0
            await _come_back(proxy, rec)
            await _sentinel_seen(client, topic, rec)
        finally:
            await client.disconnect()
        assert _numbers(rec) == [1, SENTINEL]

    run(scenario(), timeout=60)


def test_clear_command_queue(broker, mqtt5) -> None:
    topic = "test/queue/cleared"
    observer = PahoObserver(broker.host, broker.port, topic)

    async def scenario() -> list[int]:
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, mqtt5=mqtt5))
        assert client.clear_command_queue() == 0
        for n in range(1, 5):
            assert await client.publish(topic, {"n": n}) == 0
        assert client.queued_commands_count == 4
        assert client.clear_command_queue() == 4
        assert client.queued_commands_count == 0
        assert client.clear_command_queue() == 0
        assert await client.publish(topic, {"n": 5}) == 0
        await client.connect()
        try:
            await client.publish(topic, {"n": SENTINEL})
            got = await asyncio.to_thread(observer.wait_count, 2, 10)
        finally:
            await client.disconnect()
        return [json.loads(payload)["n"] for _, payload in got]

    try:
        assert run(scenario(), timeout=60) == [5, SENTINEL]
    finally:
        observer.close()
