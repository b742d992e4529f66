"""A real NAT whose idle timeout is shorter than the keep-alive (tests/support/nat.py): the
silent loss is noticed by the ping deadline within keep_alive + ping_timeout and the client
recovers with its subscriptions; a keep-alive below the NAT's idle timeout holds the link."""

from __future__ import annotations

import asyncio
import time

import pytest

from helpers import DuckAuth, EventRecorder, fast_config, run
from nwp500 import NavienMqttClient
from support import NetNamespace

pytestmark = pytest.mark.slow


@pytest.fixture
def nat():
    """``nat(idle_timeout)`` builds a NAT path that forgets a flow idle that many seconds."""
    reason = NetNamespace.unavailable_reason()
    if reason:
        pytest.skip(f"a NAT needs network namespaces: {reason}")
    import shutil

    if shutil.which("nft") is None:
        pytest.skip("nftables is not installed (scripts/setup installs it)")
    from support.nat import NatPath

    paths = []

    def make(idle_timeout: float):
        paths.append(NatPath(idle_timeout=idle_timeout))
        return paths[-1]

    yield make
    for path in paths:
        path.close()


def _publish_through_nat(url: str, topic: str) -> None:
    import paho.mqtt.publish as publish

    host, port = url.removeprefix("mqtt://").split(":")
    publish.single(topic, b'{"through": "nat"}', qos=1, hostname=host, port=int(port))


def test_a_nat_that_forgets_the_flow_is_noticed_and_recovered(nat, mqtt5):
    keep_alive, ping_timeout = 8, 2.0
    nat = nat(3)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            nat.url, keep_alive_secs=keep_alive, ping_timeout=ping_timeout, mqtt5=mqtt5))
        rec = EventRecorder(client)
        await client.connect()
        topic = f"nat/{client.client_id}"
        await client.subscribe(topic, rec.message_callback())
        idle_from = time.monotonic()  # the SUBACK was the last packet on the flow
        (drop,) = await rec.wait_count("connection_interrupted", 1, keep_alive + ping_timeout + 10)
        noticed = drop.at - idle_from
        assert noticed <= keep_alive + ping_timeout + 1.0, f"silent loss noticed after {noticed:.1f} s"
        assert drop.args[0].error.cause == "keepalive_timeout"
        await rec.wait_count("connection_resumed", 1, 20)
        before = rec.count("message")
        await asyncio.to_thread(_publish_through_nat, nat.url, topic)
        await rec.wait_until(lambda: rec.count("message") > before, 10, "delivery after recovery")
        await client.disconnect()

    run(scenario(), 90)


def test_a_keep_alive_below_the_nat_idle_timeout_holds(nat, mqtt5):
    keep_alive = 5 if mqtt5 else 2  # the least each version allows here
    idle_timeout = keep_alive + 2
    nat = nat(idle_timeout)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            nat.url, keep_alive_secs=keep_alive, ping_timeout=1.0, mqtt5=mqtt5))
        rec = EventRecorder(client)
        await client.connect()
        await asyncio.sleep(3 * idle_timeout)  # three NAT idle timeouts without a message of our own
        assert rec.count("connection_interrupted") == 0
        assert nat.conntrack_entries() == 1
        await client.disconnect()

    run(scenario(), 60)
