"""MQTT 5 (``MqttConnectionConfig(mqtt5=True)``) against a real mosquitto: the server says why
it closes the connection, and the drop carries that reason everywhere (the event's error, the
diagnostics record, the export, the log line), the client recovers, and its subscriptions
deliver again. Transport round trips over both versions are in test_transport.py."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import uuid

import pytest

from helpers import DuckAuth, EventRecorder, fast_config, run
from nwp500 import MqttConnectionConfig, NavienMqttClient
from nwp500.exceptions import ConnectionDropError

DEADLINE = 15.0


def test_a_takeover_is_named_and_the_client_recovers(broker, fault_proxy, caplog):
    """The server closes the link with DISCONNECT 0x8E (session taken over) and a reason
    string. The drop says so in the event's error, the diagnostics record, the export and the
    log line; the client reconnects, resubscribes, and receives again.

    The DISCONNECT is injected by the fault proxy in front of mosquitto: mosquitto 2.0.11
    (Debian 12's) closes a taken-over MQTT 5 connection without sending one (measured: a raw
    MQTT 5 client reads EOF, no DISCONNECT), while AWS IoT and EMQX do send it."""
    proxy = fault_proxy()
    client_id = f"mqtt5-{uuid.uuid4().hex[:8]}"
    topic = f"nwp500/test/{client_id}/in"
    config = fast_config(proxy.url, client_id=client_id, mqtt5=True, keep_alive_secs=5)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=config)
        rec = EventRecorder(client)
        received: asyncio.Queue = asyncio.Queue()
        await asyncio.wait_for(client.connect(), DEADLINE)
        try:
            await asyncio.wait_for(client.subscribe(topic, lambda t, m: received.put_nowait(m)), DEADLINE)
            assert await asyncio.to_thread(proxy.server_disconnect, 0x8E, "another client took the session") == 1
            interrupted = await rec.wait_count("connection_interrupted", 1, DEADLINE)
            await rec.wait_count("connection_resumed", 1, 20)
            await asyncio.to_thread(subprocess.run, ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port),
                                                     "-q", "1", "-t", topic, "-m", json.dumps({"after": "takeover"})],
                                    check=True, timeout=DEADLINE)
            message = await asyncio.wait_for(received.get(), DEADLINE)
            drops = client.diagnostics.get_recent_drops(0)
            export = json.loads(client.diagnostics.export_json())
        finally:
            await client.disconnect()
        return interrupted, message, drops, export

    with caplog.at_level(logging.WARNING, logger="nwp500"):
        interrupted, message, drops, export = run(scenario(), 60)
    error = interrupted[-1].args[0].error
    assert isinstance(error, ConnectionDropError)
    assert (error.name, error.code, error.cause) == ("AWS_ERROR_MQTT5_DISCONNECT_RECEIVED", 5154, "takeovered"), error
    assert (error.reason_code, error.reason_string) == (0x8E, "another client took the session")
    assert "reason 0x8E session taken over: another client took the session" in str(error)
    assert message == {"after": "takeover"}
    d = drops[0]
    assert (d.cause, d.reason_code, d.reason_string, d.error_code) == (
        "takeovered", 0x8E, "another client took the session", 5154)
    assert (export["recent_drops"][0]["reason_code"], export["recent_drops"][0]["reason_string"]) == (
        0x8E, "another client took the session")
    assert export["drop_causes"] == {"takeovered": 1}
    assert any("0x8E session taken over" in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]


# Every reason code the issue names, with the cause it must map to.
REASONS = [(0x8E, "takeovered"), (0x98, "kicked"), (0x8D, "keepalive_timeout"), (0x87, "not_authorized"),
           (0x89, "throttled"), (0x97, "throttled"), (0x96, "throttled"), (0x9F, "throttled"),
           (0x8B, "server_shutting_down"), (0x95, "packet_too_large"), (0x81, "internal_error")]


def test_every_mapped_reason_arrives_with_its_cause_code_and_string(fault_proxy):
    """One client, one server DISCONNECT per reason code (each with a reason string); every
    drop carries the cause the table gives, the code, and the string."""
    proxy = fault_proxy()
    config = fast_config(proxy.url, mqtt5=True, keep_alive_secs=5)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=config)
        rec = EventRecorder(client)
        await asyncio.wait_for(client.connect(), DEADLINE)
        try:
            for n, (code, _) in enumerate(REASONS, start=1):
                await asyncio.to_thread(proxy.server_disconnect, code, f"why {code:#x}")
                await rec.wait_count("connection_interrupted", n, DEADLINE)
                await rec.wait_count("connection_resumed", n, 20)
        finally:
            await client.disconnect()
        return [r.args[0].error for r in rec.of("connection_interrupted")]

    errors = run(scenario(), 120)
    got = [(e.reason_code, e.cause, e.reason_string, e.code) for e in errors]
    assert got == [(code, cause, f"why {code:#x}", 5154) for code, cause in REASONS]


def test_over_mqtt311_a_takeover_has_no_reason(broker):
    """The same takeover over MQTT 3.1.1: the server cannot say why, so the drop is a plain
    server-side close and the reason fields stay None."""
    client_id = f"mqtt311-{uuid.uuid4().hex[:8]}"

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, client_id=client_id,
                                                                 initial_reconnect_delay=5.0, max_reconnect_delay=5.0))
        rec = EventRecorder(client)
        await asyncio.wait_for(client.connect(), DEADLINE)
        intruder = NavienMqttClient(DuckAuth(), config=MqttConnectionConfig(
            endpoint=broker.url, client_id=client_id, auto_reconnect=False))
        try:
            await asyncio.wait_for(intruder.connect(), DEADLINE)
            interrupted = await rec.wait_count("connection_interrupted", 1, DEADLINE)
        finally:
            await intruder.disconnect()
            await client.disconnect()
        return interrupted[-1].args[0].error, client.diagnostics.get_recent_drops(1)[0]

    error, drop = run(scenario(), 60)
    assert error.cause == "tcp_closed" and error.reason_code is None and error.reason_string is None
    assert drop.reason_code is None and drop.reason_string is None


def test_mqtt5_needs_a_keep_alive_of_five_seconds():
    """rumqttc's MQTT 5 client cannot keep a shorter one: a ValueError naming the field, at
    construction, instead of a failed connection later."""
    with pytest.raises(ValueError, match="keep_alive_secs"):
        MqttConnectionConfig(endpoint="mqtt://127.0.0.1:1883", keep_alive_secs=4, ping_timeout=1.0, mqtt5=True)


@pytest.mark.parametrize("value", [-1, 2**32])
def test_session_expiry_interval_is_checked(value):
    with pytest.raises(ValueError, match="session_expiry_interval"):
        MqttConnectionConfig(session_expiry_interval=value)
    config = MqttConnectionConfig(mqtt5=True, session_expiry_interval=600)
    assert (config.mqtt5, config.session_expiry_interval) == (True, 600)
    with pytest.raises(ValueError, match="session_expiry_interval"):
        config.session_expiry_interval = value
    assert config.session_expiry_interval == 600


# -- through the simulated Navien cloud (SigV4 websocket front in front of mosquitto) ---------

async def _signed_in_client(sim, **overrides):
    from helpers import sim_config
    from nwp500 import NavienAuthClient

    auth = NavienAuthClient(sim.email, sim.password, base_url=sim.api_base_url)
    await auth.__aenter__()
    client = NavienMqttClient(auth, config=sim_config(sim, mqtt5=True, **overrides))
    return auth, client


def test_the_simulator_names_each_injected_reason_and_a_takeover(simulator):
    """The simulator's fault control sends MQTT 5 clients a server DISCONNECT with any reason
    code and string; its takeover (a second client with the same id) arrives as 0x8E, as from
    AWS IoT. Each drop carries cause, code and string; the client recovers every time."""
    async def scenario():
        auth, client = await _signed_in_client(simulator)
        rec = EventRecorder(client)
        await asyncio.wait_for(client.connect(), DEADLINE)
        try:
            for n, (code, _) in enumerate(REASONS[:4], start=1):
                result = await asyncio.to_thread(simulator.disconnect, code, f"simulated {code:#x}")
                assert result["disconnected"] == 1, result
                await rec.wait_count("connection_interrupted", n, DEADLINE)
                await rec.wait_count("connection_resumed", n, 20)
            await asyncio.to_thread(simulator.fault, "takeover")
            await rec.wait_count("connection_interrupted", 5, DEADLINE)
            await rec.wait_count("connection_resumed", 5, 20)
        finally:
            await client.disconnect()
            await auth.__aexit__(None, None, None)
        return [r.args[0].error for r in rec.of("connection_interrupted")]

    errors = run(scenario(), 120)
    got = [(e.reason_code, e.cause, e.reason_string) for e in errors]
    expected = [(code, cause, f"simulated {code:#x}") for code, cause in REASONS[:4]]
    expected.append((0x8E, "takeovered", "another client connected with this client id"))
    assert got == expected


def test_a_refused_connack_is_named_the_same_way(simulator):
    """The simulator refuses the CONNECT with reason 0x87 (not authorized): connect() raises
    a ConnectionDropError carrying AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED/5150, the code
    and the cause."""
    async def scenario():
        auth, client = await _signed_in_client(simulator, max_reconnect_attempts=0)
        await asyncio.to_thread(simulator.refuse_connect, 1)
        try:
            with pytest.raises(ConnectionDropError) as info:
                await asyncio.wait_for(client.connect(), DEADLINE)
        finally:
            await client.disconnect()
            await auth.__aexit__(None, None, None)
        return info.value

    error = run(scenario(), 60)
    assert (error.name, error.code, error.cause, error.reason_code) == (
        "AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED", 5150, "not_authorized", 0x87), repr(error)


def test_schedule_and_http_accept_a_disconnect_with_a_hex_reason():
    from nwp500.simulator.control import FaultError, parse_schedule

    (item,) = parse_schedule("30:disconnect=0x97")
    assert (item.at, item.action, item.params) == (30.0, "disconnect", {"reason_code": 0x97})
    with pytest.raises(FaultError, match="disconnect needs reason_code"):
        parse_schedule("30:disconnect")


# -- failed operations and persistent sessions --------------------------------------------------

@pytest.fixture
def acl_broker(tmp_path):
    """A mosquitto whose ACL allows anonymous clients only ``allowed/#``."""
    from support import Mosquitto

    acl = tmp_path / "acl"
    acl.write_text("topic readwrite allowed/#\n")
    broker = Mosquitto(extra_config=f"acl_file {acl}")
    broker.start()
    yield broker
    broker.stop()


def test_refused_subscribe_and_publish_name_their_reason_and_the_link_stays_up(acl_broker):
    """mosquitto's ACL refuses the publish with PUBACK 0x87 itself; it grants every
    subscription (2.0.11 checks its ACL on delivery), so the SUBACK 0x87 comes from the fault
    proxy rewriting the broker's SUBACK."""
    from nwp500.exceptions import MqttPublishError, MqttSubscriptionError
    from nwp500.simulator.faults import FaultProxy

    proxy = FaultProxy(acl_broker.host, acl_broker.port)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, mqtt5=True, keep_alive_secs=5))
        rec = EventRecorder(client)
        await asyncio.wait_for(client.connect(), DEADLINE)
        try:
            proxy.trip("down", "SUBACK", "refuse")
            with pytest.raises(MqttSubscriptionError) as refused_sub:
                await asyncio.wait_for(client.subscribe("forbidden/in", lambda t, m: None), DEADLINE)
            with pytest.raises(MqttPublishError) as refused_pub:
                await asyncio.wait_for(client.publish("forbidden/out", {"x": 1}), DEADLINE)
            assert await asyncio.wait_for(client.subscribe("allowed/in", lambda t, m: None), DEADLINE) > 0
            assert await asyncio.wait_for(client.publish("allowed/out", {"x": 1}), DEADLINE) > 0
            assert client.is_connected and rec.count("connection_interrupted") == 0
        finally:
            await client.disconnect()
        return refused_sub.value, refused_pub.value

    try:
        sub_error, pub_error = run(scenario(), 60)
    finally:
        proxy.stop()
    assert "0x87 not authorized" in str(sub_error), sub_error
    assert "0x87 not authorized" in str(pub_error), pub_error


@pytest.mark.parametrize("mqtt5", [False, True], ids=["mqtt311", "mqtt5"])
def test_a_persistent_session_keeps_what_arrived_while_away(broker, fault_proxy, mqtt5):
    """clean_session=False: a QoS 1 message published to a subscribed topic while the client
    is away (its link dropped, the reconnect held back) is delivered after it reconnects, and
    the reconnect reports session_present=True."""
    proxy = fault_proxy()
    client_id = f"persistent-{uuid.uuid4().hex[:8]}"
    topic = f"nwp500/test/{client_id}/kept"
    config = fast_config(proxy.url, client_id=client_id, clean_session=False, mqtt5=mqtt5, keep_alive_secs=5,
                         initial_reconnect_delay=0.2, max_reconnect_delay=0.5)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=config)
        rec = EventRecorder(client)
        received: asyncio.Queue = asyncio.Queue()
        await asyncio.wait_for(client.connect(), DEADLINE)
        try:
            await asyncio.wait_for(client.subscribe(topic, lambda t, m: received.put_nowait(m)), DEADLINE)
            proxy.refuse(True)      # away: no reconnect gets through
            proxy.reset_all()
            await rec.wait_count("connection_interrupted", 1, DEADLINE)
            await asyncio.to_thread(subprocess.run, ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port),
                                                     "-q", "1", "-t", topic, "-m", json.dumps({"while": "away"})],
                                    check=True, timeout=DEADLINE)
            proxy.refuse(False)
            resumed = await rec.wait_count("connection_resumed", 1, 20)
            message = await asyncio.wait_for(received.get(), DEADLINE)
        finally:
            await client.disconnect()
        return resumed[-1].args[0], message

    event, message = run(scenario(), 60)
    assert message == {"while": "away"}
    assert event.session_present is True
