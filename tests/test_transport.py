"""Every transport against a real mosquitto: mqtt://, mqtts://, ws:// and wss:// (the last two
in a private network namespace), TLS trust through SSL_CERT_FILE, and the isolation of the
websocket broker."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import uuid

import pytest

from helpers import DuckAuth
from nwp500 import MqttConnectionConfig, NavienMqttClient
from nwp500.exceptions import ConnectionDropError
from support import TestCA

# A websocket CONNECT to mosquitto takes a few hundred ms; leave plenty of room.
DEADLINE = 15.0


def make_client(endpoint: str, **overrides) -> NavienMqttClient:
    options = dict(endpoint=endpoint, client_id=f"transport-{uuid.uuid4().hex[:8]}", keep_alive_secs=30,
                   operation_timeout=10.0, initial_reconnect_delay=0.2, max_reconnect_delay=1.0)
    options.update(overrides)
    return NavienMqttClient(DuckAuth(), config=MqttConnectionConfig(**options))


async def roundtrip(client: NavienMqttClient) -> None:
    """connect, subscribe, publish, receive the own message (on the loop thread), disconnect."""
    loop = asyncio.get_running_loop()
    received: asyncio.Queue = asyncio.Queue()
    topic = f"nwp500/test/{client.client_id}/echo"
    assert await asyncio.wait_for(client.connect(), DEADLINE) is True
    assert client.is_connected
    try:
        def on_message(t: str, message: dict) -> None:
            received.put_nowait((t, message, threading.get_ident()))

        pkid = await asyncio.wait_for(client.subscribe(topic, on_message), DEADLINE)
        assert pkid > 0
        payload = {"hello": "world", "n": 42, "nested": {"ok": True}}
        assert await asyncio.wait_for(client.publish(topic, payload), DEADLINE) > 0
        got_topic, got, thread = await asyncio.wait_for(received.get(), DEADLINE)
        assert (got_topic, got) == (topic, payload)
        assert thread == threading.get_ident(), "message callback not on the loop thread"
        assert loop.is_running()
    finally:
        await asyncio.wait_for(client.disconnect(), DEADLINE)
    assert not client.is_connected


# Every transport over both protocol versions (the ``mqtt5`` fixture): MQTT 5 must do all
# that 3.1.1 does.


def test_mqtt_tcp(broker, mqtt5):
    client = make_client(broker.url, mqtt5=mqtt5)
    asyncio.run(roundtrip(client))
    assert broker.count_connections(client.client_id) == 1
    broker.wait_for_log(rf"Client {client.client_id} disconnected\.")


def test_mqtts_tls(tls_broker, test_ca, monkeypatch, mqtt5):
    monkeypatch.setenv("SSL_CERT_FILE", test_ca.bundle_path)
    client = make_client(tls_broker.tls_url, mqtt5=mqtt5)
    assert tls_broker.tls_url.startswith("mqtts://localhost:")
    asyncio.run(roundtrip(client))
    assert tls_broker.count_connections(client.client_id) == 1


def test_ws(ws_broker, mqtt5):
    client = make_client(ws_broker.ws_url, mqtt5=mqtt5)
    asyncio.run(roundtrip(client))
    assert ws_broker.count_connections(client.client_id) == 1


def test_wss(ws_broker, test_ca, monkeypatch, mqtt5):
    monkeypatch.setenv("SSL_CERT_FILE", test_ca.bundle_path)
    client = make_client(ws_broker.wss_url, mqtt5=mqtt5)
    asyncio.run(roundtrip(client))
    assert ws_broker.count_connections(client.client_id) == 1


def test_all_transports_in_one_process(broker, tls_broker, ws_broker, test_ca, monkeypatch):
    """Switching transports (and trust stores) inside one process keeps working."""
    monkeypatch.setenv("SSL_CERT_FILE", test_ca.bundle_path)

    async def main():
        for url in (broker.url, ws_broker.ws_url, tls_broker.tls_url, ws_broker.wss_url, ws_broker.url):
            await roundtrip(make_client(url))

    asyncio.run(main())


def _expect_tls_failure(endpoint: str, client: NavienMqttClient | None = None) -> ConnectionDropError:
    client = client or make_client(endpoint)

    async def main():
        with pytest.raises(ConnectionDropError) as info:
            await asyncio.wait_for(client.connect(), DEADLINE)
        assert not client.is_connected
        assert not client.is_reconnecting  # a failed first connect does not start reconnecting
        await asyncio.wait_for(client.disconnect(), DEADLINE)
        return info.value

    return asyncio.run(main())


def test_wss_with_an_unrelated_ca_is_a_tls_failure(ws_broker, monkeypatch):
    with TestCA() as stranger:
        monkeypatch.setenv("SSL_CERT_FILE", stranger.ca_path)
        client = make_client(ws_broker.wss_url)
        err = _expect_tls_failure(ws_broker.wss_url, client)
    assert err.cause == "tls_failure", repr(err)
    assert err.name and err.code and err.message
    assert str(err) == f"{err.name}: {err.message}"
    assert ws_broker.count_connections(client.client_id) == 0


def test_mqtts_with_an_unrelated_ca_is_a_tls_failure(tls_broker, monkeypatch):
    with TestCA() as stranger:
        monkeypatch.setenv("SSL_CERT_FILE", stranger.ca_path)
        err = _expect_tls_failure(tls_broker.tls_url)
    assert err.cause == "tls_failure", repr(err)


def test_trust_follows_ssl_cert_file_at_run_time(ws_broker, test_ca, monkeypatch):
    """Refused with a stranger CA, accepted once SSL_CERT_FILE names the right bundle, in one
    process (the trust store is not frozen at first use)."""
    with TestCA() as stranger:
        monkeypatch.setenv("SSL_CERT_FILE", stranger.ca_path)
        assert _expect_tls_failure(ws_broker.wss_url).cause == "tls_failure"
    monkeypatch.setenv("SSL_CERT_FILE", test_ca.bundle_path)
    asyncio.run(roundtrip(make_client(ws_broker.wss_url)))


def _refused(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2.0)
        code = s.connect_ex((host, port))
    return code == errno.ECONNREFUSED


def test_websocket_broker_is_not_reachable_on_host_loopback(ws_broker):
    # Reachable where it should be: the namespace address, over the veth pair.
    with socket.create_connection((ws_broker.host, ws_broker.ws_port), timeout=2.0):
        pass
    # mosquitto's websockets listeners bind every interface; the namespace is what keeps them
    # off the host's own interfaces.
    assert _refused("127.0.0.1", ws_broker.ws_port), "ws listener reachable on host loopback"
    assert _refused("127.0.0.1", ws_broker.wss_port), "wss listener reachable on host loopback"
    assert not ws_broker.host.startswith("127.")
