"""Hostile inbound payloads (issue "a connection that holds", fuzzing): not JSON, wrong types,
deep nesting, 1 MiB, invalid UTF-8 and random bytes, on a device topic and on a plain topic.
Each is logged and skipped; the client stays connected and later callbacks still run."""

from __future__ import annotations

import asyncio
import json
import random
from urllib.parse import urlsplit

from hypothesis import given, settings, strategies as st

from helpers import run
from nwp500 import MqttConnectionConfig, NavienAPIClient, NavienAuthClient, NavienMqttClient

HOSTILE = [
    b"", b"not json", b"\xff\xfe\x00garbage", b"null", b"42", b'"text"', b"[1, 2, 3]",
    b'{"response": 7}', b'{"response": {"status": "high"}}', b'{"response": {"status": [1]}}',
    b'{"response": {"status": {"dhwTemperature": "hot", "operationMode": {}}}}',
    b"[" * 100_000 + b"]" * 100_000, b'{"a": "' + b"x" * (1024 * 1024) + b'"}',
    json.dumps({"response": {"status": {k: None for k in ("dhwTemperature", "dhwUse")}}}).encode(),
]


def _publisher(sim):
    import paho.mqtt.client as paho

    url = urlsplit(sim.broker_url)
    c = paho.Client(paho.CallbackAPIVersion.VERSION2)
    c.connect(url.hostname, url.port)
    c.loop_start()
    return c


def test_hostile_payloads_are_skipped_and_the_client_carries_on(simulator):
    samples = list(HOSTILE)

    @settings(max_examples=40, derandomize=True, database=None)
    @given(st.one_of(st.binary(max_size=2048),
                     st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                                  lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                                  max_leaves=30).map(lambda v: json.dumps({"response": {"status": v}}).encode())))
    def collect(payload: bytes) -> None:
        samples.append(payload)

    collect()
    random.Random(7).shuffle(samples)
    publisher = _publisher(simulator)

    async def scenario():
        async with NavienAuthClient(simulator.email, simulator.password,
                                    base_url=simulator.api_base_url) as auth:
            device = (await NavienAPIClient(auth, base_url=simulator.api_base_url).list_devices())[0]
            client = NavienMqttClient(auth, config=MqttConnectionConfig(
                endpoint=simulator.mqtt_endpoint, keep_alive_secs=30, ping_timeout=2.0))
            statuses: asyncio.Queue = asyncio.Queue()
            plain: asyncio.Queue = asyncio.Queue()
            await client.connect()
            await client.subscribe_device_status(device, statuses.put_nowait)
            side = f"fuzz/{client.client_id}"
            await client.subscribe(side, lambda t, m: plain.put_nowait(m))
            mac = device.device_info.mac_address
            device_topics = [f"cmd/{device.device_info.device_type}/navilink-{mac}/st",
                             f"cmd/{device.device_info.device_type}/{client.client_id}/res/status/rd"]
            for i, payload in enumerate(samples):
                for topic in (*device_topics, side):
                    publisher.publish(topic, payload, qos=0)
                if i % 20 == 0:
                    await asyncio.sleep(0)
            publisher.publish(side, b'{"after": true}', qos=1)
            while (await asyncio.wait_for(plain.get(), 30)) != {"after": True}:
                pass
            await client.request_device_status(device)
            status = await asyncio.wait_for(statuses.get(), 30)
            while status.mac_address != mac:
                status = await asyncio.wait_for(statuses.get(), 30)
            assert client.is_connected
            assert client.diagnostics.get_metrics().total_connection_drops == 0
            await client.disconnect()

    try:
        run(scenario(), 120)
    finally:
        publisher.loop_stop()
        publisher.disconnect()
