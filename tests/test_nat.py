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
def nat(request):
    reason = NetNamespace.unavailable_reason()
    if reason:
        pytest.skip(f"a NAT needs network namespaces: {reason}")
    import shutil

    if shutil.which("nft") is None:
        pytest.skip("nftables is not installed (scripts/setup installs it)")
    from support.nat import NatPath

    path = NatPath(idle_timeout=request.param)
    yield path
    path.close()


def _publish_through_nat(url: str, topic: str) -> None:
    import paho.mqtt.publish as publish

    host, port = url.removeprefix("mqtt://").split(":")
    publish.single(topic, b'{"through": "nat"}', qos=1, hostname=host, port=int(port))


@pytest.mark.parametrize("nat", [3], indirect=True)
def test_a_nat_that_forgets_the_flow_is_noticed_and_recovered(nat):
    keep_alive, ping_timeout = 8, 2.0

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            nat.url, keep_alive_secs=keep_alive, ping_timeout=ping_timeout))
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


@pytest.mark.parametrize("nat", [4], indirect=True)
def test_a_keep_alive_below_the_nat_idle_timeout_holds(nat):
    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(nat.url, keep_alive_secs=2,
                                                                 ping_timeout=1.0))
        rec = EventRecorder(client)
        await client.connect()
        await asyncio.sleep(12)  # three NAT idle timeouts without a message of our own
        assert rec.count("connection_interrupted") == 0
        assert nat.conntrack_entries() == 1
        await client.disconnect()

    run(scenario(), 60)
