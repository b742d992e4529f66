"""The session is the one owner of connection state (issue "a connection that holds").

Each test reproduces, against a real mosquitto behind the packet-aware fault proxy, a way the
client used to lose state when two places remembered the same fact, and checks the behaviour
that replaced it:

* a link cut during resubscription keeps every subscription (item 1), a refused restore is
  an event and not a silent hole, a timed-out subscribe is withdrawn in the session;
* connect() during an outage waits for the next scheduled attempt instead of bypassing the
  backoff, and a first connect whose restore is cut fails instead of looping (item 2);
* invalid topics and payloads are refused before the link; a message the server closes the
  connection on is given up after a few drops instead of replayed forever (item 3);
* a manual connect() after reconnection_failed starts a fresh attempt budget (item 7).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from helpers import DuckAuth, EventRecorder, PahoObserver, fast_config, run
from nwp500 import NavienMqttClient
from nwp500.exceptions import (ConnectionDropError, MqttNotConnectedError, MqttPublishError,
                               MqttSubscriptionError)
from support import Mosquitto


def _publish_from_outside(broker, topic: str, payload: bytes = b'{"n": 1}') -> None:
    import paho.mqtt.publish as publish

    publish.single(topic, payload, qos=1, hostname=broker.host, port=broker.port)


async def _delivered(rec: EventRecorder, broker, topic: str, event: str = "message") -> None:
    """Publishes to ``topic`` from an independent client until ``event`` is recorded once
    more (a retry covers the moment between SUBACK and the broker routing to us)."""
    before = rec.count(event)
    for _ in range(20):
        await asyncio.to_thread(_publish_from_outside, broker, topic)
        try:
            await rec.wait_until(lambda: rec.count(event) > before, 0.5, f"{event} on {topic}")
            return
        except TimeoutError:
            continue
    raise AssertionError(f"nothing delivered on {topic!r}")


# ---------------------------------------------------------------- item 1: subscriptions


@pytest.mark.parametrize("action", ["fin", "rst"])
def test_a_cut_during_resubscription_keeps_every_subscription(broker, fault_proxy, action, mqtt5):
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=mqtt5))
        rec = EventRecorder(client)
        await client.connect()
        topic = f"dev/{client.client_id}/st"
        assert await client.subscribe(topic, rec.message_callback()) > 0
        await _delivered(rec, broker, topic)

        # The next restore SUBSCRIBE never reaches the broker: the link dies after CONNACK
        # and before the SUBACK. The attempt after that must restore the topic.
        proxy.trip("up", "SUBSCRIBE", action)
        proxy.close_all()
        await rec.wait_count("connection_resumed", 1, 20)
        assert proxy.tripped == 1
        assert client._subscription_manager.subscriptions == {topic: 1}
        await _delivered(rec, broker, topic)
        # Subscribing again is answered from the session's table: nothing is sent.
        assert await client.subscribe(topic, rec.message_callback("again")) == 0
        await _delivered(rec, broker, topic, "again")
        assert rec.count("connection_interrupted") == 1  # the cut restore was an attempt
        await client.disconnect()

    run(scenario(), 60)


def test_a_refused_restore_is_an_event_and_the_view_agrees(broker, fault_proxy, mqtt5):
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=mqtt5))
        rec = EventRecorder(client, events=("connection_interrupted", "connection_resumed",
                                            "subscription_lost"))
        await client.connect()
        first, second = f"a/{client.client_id}", f"b/{client.client_id}"
        await client.subscribe(first, rec.message_callback("first"))
        await client.subscribe(second, rec.message_callback("second"))
        # The restore resubscribes `first`, then `second`; the broker's first answer becomes
        # a refusal.
        proxy.trip("down", "SUBACK", "refuse")
        proxy.close_all()
        (lost,) = await rec.wait_count("subscription_lost", 1, 20)
        topic, error = lost.args
        assert topic == first and isinstance(error, MqttSubscriptionError)
        await rec.wait_count("connection_resumed", 1, 20)
        assert client._subscription_manager.subscriptions == {second: 1}
        await _delivered(rec, broker, second, "second")
        # The lost topic is not half-remembered: subscribing again really subscribes.
        assert await client.subscribe(first, rec.message_callback("first")) > 0
        await _delivered(rec, broker, first, "first")
        await client.disconnect()

    run(scenario(), 60)


def test_a_timed_out_subscribe_is_withdrawn_in_the_session(broker, fault_proxy, mqtt5):
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            proxy.url, operation_timeout=1.0, keep_alive_secs=10, ping_timeout=3.0))
        rec = EventRecorder(client)
        await client.connect()
        topic = f"t/{client.client_id}"
        # The broker's SUBACK is held back past the caller's deadline, then arrives late.
        proxy.trip("down", "SUBACK", "blackhole")
        with pytest.raises(TimeoutError):
            await client.subscribe(topic, rec.message_callback())
        proxy.resume()
        # The late grant is undone: nobody wants that topic any more.
        await asyncio.to_thread(broker.wait_for_log, rf"Received UNSUBSCRIBE from {client.client_id}", 5)
        assert client._subscription_manager.subscriptions == {}
        # Nothing may restore it: a SUBSCRIBE after the reconnect would trip this rule.
        proxy.trip("up", "SUBSCRIBE", "fin")
        proxy.close_all()
        await rec.wait_count("connection_resumed", 1, 20)
        await asyncio.sleep(0.5)  # room for a (wrong) restore SUBSCRIBE to go out
        assert proxy.tripped == 1, "the withdrawn topic was resubscribed"
        proxy.clear_trips()
        assert await client.subscribe(topic, rec.message_callback()) > 0
        await _delivered(rec, broker, topic)
        await client.disconnect()

    run(scenario(), 60)


# ---------------------------------------------------------------- item 2: backoff holds


def test_connect_during_an_outage_waits_for_the_scheduled_attempt(broker, fault_proxy, mqtt5):
    proxy = fault_proxy()
    config = fast_config(proxy.url, mqtt5=mqtt5, initial_reconnect_delay=1.0, max_reconnect_delay=8.0,
                         reconnect_backoff_multiplier=2.0, deep_reconnect_threshold=100)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=config)
        rec = EventRecorder(client)
        await client.connect()
        proxy.refuse(True)
        proxy.close_all()
        await rec.wait_count("connection_interrupted", 1)
        started = time.monotonic()
        outcomes = []
        for at in (0.5, 2.0, 4.0):  # three callers during the outage
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            t0 = time.monotonic()
            with pytest.raises((ConnectionDropError, OSError, Exception)) as info:
                await asyncio.wait_for(client.connect(), 12)
            assert not isinstance(info.value, asyncio.TimeoutError), "connect() hung"
            outcomes.append(time.monotonic() - t0)
        await asyncio.sleep(max(0.0, started + 8.0 - time.monotonic()))
        attempts = client.reconnect_attempts
        # Delays 1, 2, 4, 8 s: attempts at ~1, ~3, ~7 s. The callers hasten none of them.
        assert attempts <= 4, f"{attempts} attempts in 8 s: the backoff was bypassed"
        assert all(d < 9 for d in outcomes), outcomes
        proxy.refuse(False)
        await rec.wait_count("connection_resumed", 1, 20)
        assert await client.connect() is True
        await client.disconnect()

    run(scenario(), 90)


def test_a_first_connect_whose_restore_is_cut_fails_and_does_not_loop(broker, fault_proxy, mqtt5):
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=mqtt5))
        rec = EventRecorder(client)
        await client.connect()
        topic = f"t/{client.client_id}"
        await client.subscribe(topic, rec.message_callback())
        await client.disconnect()
        accepted = proxy.accepted_total
        proxy.trip("up", "SUBSCRIBE", "fin")
        with pytest.raises(ConnectionDropError):
            await asyncio.wait_for(client.connect(), 10)
        await asyncio.sleep(1.5)
        assert not client.is_connected and not client.is_reconnecting
        assert proxy.accepted_total == accepted + 1, "the failed connect kept reconnecting"
        assert rec.count("connection_interrupted") == 0
        assert client._subscription_manager.subscriptions == {topic: 1}
        assert await asyncio.wait_for(client.connect(), 10) is True
        await _delivered(rec, broker, topic)
        await client.disconnect()

    run(scenario(), 60)


# ---------------------------------------------------------------- item 3: bad requests


@pytest.mark.parametrize("call", [
    ("publish", "a/#"), ("publish", "a/+/b"), ("publish", ""), ("publish", "a\0b"),
    ("subscribe", "a/#/b"), ("subscribe", "a/b+"), ("subscribe", ""), ("unsubscribe", "#/a"),
])
def test_an_invalid_topic_is_a_value_error_and_the_link_stays_up(broker, call, mqtt5):
    method, topic = call

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, mqtt5=mqtt5,
                                                                 max_queued_command_age=None))
        rec = EventRecorder(client)
        await client.connect()
        args = {"publish": (topic, {"x": 1}), "subscribe": (topic, rec.message_callback()),
                "unsubscribe": (topic,)}[method]
        with pytest.raises(ValueError, match="topic"):
            await getattr(client, method)(*args)
        assert await client.publish(f"ok/{client.client_id}", {"x": 1}) > 0
        assert client.is_connected and rec.count("connection_interrupted") == 0
        assert client.diagnostics.get_metrics().total_connection_drops == 0
        assert client.queued_commands_count == 0
        await client.disconnect()

    run(scenario(), 30)


def test_a_payload_over_aws_iot_limit_is_refused_before_the_link(broker, mqtt5):
    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, mqtt5=mqtt5))
        await client.connect()
        with pytest.raises(ValueError, match="131072"):
            await client.publish("t/big", b"x" * (128 * 1024 + 1))
        assert await client.publish("t/big", b"x" * (128 * 1024)) > 0
        assert client.diagnostics.get_metrics().total_connection_drops == 0
        await client.disconnect()

    run(scenario(), 30)


def test_a_message_the_server_closes_on_is_given_up_not_replayed_forever(mqtt5):
    # mosquitto disconnects a client whose packet exceeds max_packet_size: the same reaction
    # as AWS IoT to a publish its policy denies. The message must not become a drop loop.
    broker = Mosquitto(extra_config="max_packet_size 4000")
    broker.start()
    try:
        async def scenario():
            client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, mqtt5=mqtt5,
                                                                     max_queued_command_age=None))
            rec = EventRecorder(client)
            await client.connect()
            if mqtt5:
                await _refused_by_announced_limit(client, rec, broker)
                return
            assert await client.publish("t/poison", b"p" * 8000) == 0  # in flight when cut
            await rec.wait_until(lambda: client.failed_commands_count == 1, 30, "given up")
            await rec.wait_count("connection_resumed", 3, 20)
            assert client.is_connected and client.queued_commands_count == 0
            drops = client.diagnostics.get_metrics().total_connection_drops
            await asyncio.sleep(1.0)
            assert client.diagnostics.get_metrics().total_connection_drops == drops == 3
            assert await client.publish("t/fine", b"ok") > 0
            await client.disconnect()

        run(scenario(), 60)
    finally:
        broker.close()


async def _refused_by_announced_limit(client, rec: EventRecorder, broker) -> None:
    """MQTT 5: the server announces its limit in CONNACK, so an oversized message is refused
    before the link (the caller's ValueError names the limit) and one that waited in the
    offline queue is given up and counted at the flush; the link never drops."""
    published = client.diagnostics.get_metrics().messages_published
    with pytest.raises(ValueError, match="at most 4000"):
        await client.publish("t/poison", b"p" * 8000)
    assert client.is_connected and client.diagnostics.get_metrics().total_connection_drops == 0
    assert client.diagnostics.get_metrics().messages_published == published  # nothing was sent
    await client.disconnect()
    assert await client.publish("t/poison", b"p" * 8000) == 0  # queued while offline
    assert await client.publish("t/fine", b"queued") == 0
    observer = await asyncio.to_thread(PahoObserver, broker.host, broker.port, "t/fine")
    try:
        await client.connect()
        await rec.wait_until(lambda: client.failed_commands_count == 1, 10, "given up at the flush")
        await asyncio.to_thread(observer.wait_count, 1, 10)
        assert client.queued_commands_count == 0 and client.is_connected
        assert rec.count("connection_interrupted") == 0
        await client.disconnect()
    finally:
        observer.close()


# ---------------------------------------------------------------- item 7: attempt budget


def test_a_manual_connect_after_giving_up_starts_a_fresh_budget(broker, fault_proxy, mqtt5):
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=mqtt5, max_reconnect_attempts=2))
        rec = EventRecorder(client)
        await client.connect()
        proxy.refuse(True)
        proxy.close_all()
        await rec.wait_count("reconnection_failed", 1, 20)
        proxy.refuse(False)
        assert await asyncio.wait_for(client.connect(), 10) is True
        assert client.reconnect_attempts == 0
        proxy.close_all()  # a drop right away: there must be attempts again, not a give-up
        await rec.wait_count("connection_resumed", 1, 20)
        assert rec.count("reconnection_failed") == 1
        await client.disconnect()

    run(scenario(), 60)


def test_a_typed_subscription_lost_on_restore_can_be_made_again(broker, fault_proxy, mqtt5):
    """The typed subscribe_* helpers remember callback -> wrapper; that memory must not answer
    "already subscribed" for a topic the broker refused to restore."""
    from types import SimpleNamespace

    proxy = fault_proxy()
    device = SimpleNamespace(device_info=SimpleNamespace(device_type=52, mac_address="04786332fca0",
                                                         additional_value="x"))

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=mqtt5))
        rec = EventRecorder(client, events=("connection_resumed", "subscription_lost"))
        await client.connect()
        callback = rec.message_callback("schedule")
        assert await client.subscribe_reservation_response(device, callback) > 0
        assert await client.subscribe_reservation_response(device, callback) == 0  # 9.3.0: once
        proxy.trip("down", "SUBACK", "refuse")
        proxy.close_all()
        await rec.wait_count("subscription_lost", 1, 20)
        await rec.wait_count("connection_resumed", 1, 20)
        assert client._subscription_manager.subscriptions == {}
        assert await client.subscribe_reservation_response(device, callback) > 0
        assert len(client._subscription_manager.subscriptions) == 1
        await client.disconnect()

    run(scenario(), 60)


# ---------------------------------------------------------------- answers follow the state


def test_a_request_failed_by_a_drop_finds_the_drop_already_recorded(broker, fault_proxy, mqtt5):
    """With the queue disabled a publish in flight fails with the drop. When its caller wakes,
    the client must already say it is reconnecting and the drop must be in the diagnostics:
    the session answers after it has taken the drop in, not before."""
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, enable_command_queue=False,
                                                                 mqtt5=mqtt5))
        rec = EventRecorder(client)
        await client.connect()
        seen = []
        for _ in range(5):  # the order must hold every time, not once
            proxy.trip("down", "PUBACK", "fin")
            with pytest.raises(MqttPublishError, match="connection lost"):
                await client.publish(f"t/{client.client_id}", {"n": 1})
            seen.append((client.is_connected, client.is_reconnecting,
                         client.diagnostics.get_metrics().total_connection_drops))
            await rec.wait_count("connection_resumed", len(seen), 20)
        assert seen == [(False, True, n) for n in range(1, 6)], seen
        await client.disconnect()

    run(scenario(), 90)


def test_a_connect_answered_by_a_give_up_finds_reconnecting_over(broker, fault_proxy, mqtt5):
    """The account refuses the credentials on a deep reconnect attempt: reconnecting stops,
    and a connect() that was waiting for that attempt is told why -- by then the client no
    longer says it is reconnecting, and no attempt is scheduled."""
    from nwp500.exceptions import InvalidCredentialsError

    proxy = fault_proxy()
    auth = DuckAuth(refresh_error=RuntimeError("refresh failed"))

    async def scenario():
        client = NavienMqttClient(auth, config=fast_config(
            proxy.url, deep_reconnect_threshold=1, initial_reconnect_delay=0.5, max_reconnect_delay=0.5,
            mqtt5=mqtt5))
        rec = EventRecorder(client)
        await client.connect()
        auth.reauth_error = InvalidCredentialsError("the account refused the password")
        proxy.close_all()
        await rec.wait_count("connection_interrupted", 1, 10)
        with pytest.raises(InvalidCredentialsError):
            await asyncio.wait_for(client.connect(), 10)  # waits for attempt 1: deep, refused
        assert (client.is_connected, client.is_reconnecting, client.next_reconnect_in) == (False, False, None)
        await rec.wait_count("reconnection_failed", 1, 5)
        await client.disconnect()

    run(scenario(), 60)
