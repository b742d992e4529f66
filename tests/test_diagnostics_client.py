"""``client.diagnostics``, the collector every client feeds itself, against real faults
(TARGET §4.7, §4.8, §6; reference §7.5).

Through a FaultProxy in front of mosquitto:
* an orderly close -> ``tcp_closed`` / AWS_ERROR_MQTT_UNEXPECTED_HANGUP (5134),
* a reset          -> ``tcp_closed`` / AWS_IO_SOCKET_CLOSED (1051),
* a half-open link -> ``keepalive_timeout`` / AWS_ERROR_MQTT_TIMEOUT (5129),
and the collector counts them (drop causes, AWS error counts, per-error drops, every real
reconnect attempt, "connected" then "resumed" with the time to reconnect, publishes online
and queued offline). ``print_summary()`` logs through ``nwp500.mqtt.diagnostics`` and prints
nothing.

A broker that refuses the client (mosquitto with ``allow_anonymous false``): a first connect
raises ``ConnectionDropError(cause="not_authorized")``; refused *reconnect* attempts (the
broker restarted locked on the same port) are counted as attempts and logged with the
reason, and the eventual recovery reports how many attempts it took.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest

from helpers import DuckAuth, EventRecorder, fast_config, run
from nwp500 import NavienMqttClient
from nwp500.exceptions import ConnectionDropError

HANGUP = ("AWS_ERROR_MQTT_UNEXPECTED_HANGUP", 5134)
RESET = ("AWS_IO_SOCKET_CLOSED", 1051)
TIMEOUT = ("AWS_ERROR_MQTT_TIMEOUT", 5129)
NOT_AUTHORISED = re.compile(r"not.?authori[sz]ed", re.I)
SLACK = 0.5  # seconds: event delivery vs. the core's own timestamps


class LogTap(logging.Handler):
    """Forwards ``nwp500`` log records to an EventRecorder as ``"log"`` records, so a test
    can wait (with a deadline) for a log line."""

    def __init__(self, rec: EventRecorder) -> None:
        super().__init__(logging.DEBUG)
        self.rec = rec

    def emit(self, record: logging.LogRecord) -> None:
        self.rec.record("log", record)

    def __enter__(self) -> "LogTap":
        logging.getLogger("nwp500").addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger("nwp500").removeHandler(self)


def _logs(rec: EventRecorder, pattern: str | re.Pattern, logger: str | None = None) -> list[str]:
    rx = re.compile(pattern) if isinstance(pattern, str) else pattern
    out = []
    for r in rec.of("log"):
        record: logging.LogRecord = r.args[0]
        if (logger is None or record.name == logger) and rx.search(record.getMessage()):
            out.append(record.getMessage())
    return out


# =========================================================================== drops by cause


@pytest.mark.slow
def test_client_diagnostics_count_every_drop_by_cause(fault_proxy, caplog, capsys) -> None:
    caplog.set_level(logging.DEBUG, logger="nwp500")
    proxy = fault_proxy()
    config = fast_config(proxy.url, keep_alive_secs=2, ping_timeout=1.0,
                         deep_reconnect_threshold=100)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=config)
        diag = client.diagnostics
        assert diag is client.diagnostics  # one collector for the client's life
        rec = EventRecorder(client)
        topic = f"test/{client.client_id}/diag"
        t_connect = time.monotonic()
        await client.connect()
        queued_ids = []
        try:
            await client.subscribe(topic, rec.message_callback(), qos=1)
            for n in range(3):  # online: acknowledged publishes
                assert await client.publish(topic, {"n": n}) > 0
            await rec.wait_count("message", 3)

            await asyncio.to_thread(proxy.close_all)
            await rec.wait_count("connection_interrupted", 1, timeout=5)
            await rec.wait_count("connection_resumed", 1, timeout=10)

            await asyncio.to_thread(proxy.reset_all)
            await rec.wait_count("connection_interrupted", 2, timeout=5)
            await rec.wait_count("connection_resumed", 2, timeout=10)

            await asyncio.to_thread(proxy.blackhole)
            await rec.wait_count("connection_interrupted", 3, timeout=10)
            assert not client.is_connected
            for n in range(3, 5):  # offline: queued
                queued_ids.append(await client.publish(topic, {"n": n}))
            await asyncio.to_thread(proxy.resume)
            await rec.wait_count("connection_resumed", 3, timeout=20)
            await rec.wait_count("message", 5, timeout=10)  # the queue was flushed

            metrics = diag.get_metrics()
            drops = diag.get_recent_drops(0)
            conns = diag.get_recent_connections(0)
            export = diag.export_json()
            attempts_made = proxy.accepted_total - 1  # every attempt is one TCP connect
        finally:
            await asyncio.wait_for(client.disconnect(), 10)
        after = diag.get_metrics()
        return (t_connect, rec, queued_ids, metrics, drops, conns, export, attempts_made, after,
                diag)

    (t_connect, rec, queued_ids, metrics, drops, conns, export, attempts_made, after,
     diag) = run(scenario(), timeout=90)
    import json

    assert queued_ids == [0, 0]
    interrupted = [r.args[0].error for r in rec.of("connection_interrupted")]
    assert all(isinstance(e, ConnectionDropError) for e in interrupted)

    # Each drop, as recorded, with the cause and AWS identity of the event's error.
    expected = [("tcp_closed", *HANGUP), ("tcp_closed", *RESET), ("keepalive_timeout", *TIMEOUT)]
    assert [(d.cause, d.error_name, d.error_code) for d in drops] == expected
    assert [(e.cause, e.name, e.code) for e in interrupted] == expected
    assert [d.error_message for d in drops] == [str(e) for e in interrupted]
    assert [(d.active_subscriptions, d.queued_commands) for d in drops] == [(1, 0)] * 3

    # Session durations and times to reconnect agree with what the test observed.
    t_int = [r.at for r in rec.of("connection_interrupted")]
    t_res = [r.at for r in rec.of("connection_resumed")]
    starts = [t_connect] + t_res[:-1]
    for d, start, end in zip(drops, starts, t_int):
        assert d.duration_connected_seconds is not None
        assert (end - start) - SLACK <= d.duration_connected_seconds <= (end - start) + SLACK, (
            d, end - start)
    assert [c.event_type for c in conns] == ["connected", "resumed", "resumed", "resumed"]
    assert conns[0].time_to_reconnect_seconds is None and conns[0].attempt_number == 0
    for c, a, b in zip(conns[1:], t_int, t_res):
        assert c.time_to_reconnect_seconds is not None
        assert 0 < c.time_to_reconnect_seconds <= (b - a) + SLACK, (c, b - a)
        assert c.attempt_number >= 1

    # The aggregate counters.
    assert (metrics.total_connections, metrics.total_connection_drops,
            metrics.connection_recovered) == (1, 3, 3)
    assert metrics.connection_drops_by_error == {HANGUP[0]: 1, RESET[0]: 1, TIMEOUT[0]: 1}
    assert attempts_made >= 3
    assert metrics.total_reconnect_attempts == attempts_made, (
        metrics.total_reconnect_attempts, attempts_made)
    assert (metrics.messages_published, metrics.messages_queued) == (3, 2)
    assert sum(metrics.reconnection_attempts_distribution.values()) == 3
    assert metrics.last_drop_timestamp == drops[-1].timestamp
    assert metrics.last_successful_connect_timestamp == conns[-1].timestamp
    assert metrics.total_disconnects == 0 and after.total_disconnects == 1

    data = json.loads(export)
    assert data["drop_causes"] == {"tcp_closed": 2, "keepalive_timeout": 1}
    assert data["aws_error_counts"] == {HANGUP[0]: 1, RESET[0]: 1, TIMEOUT[0]: 1}
    assert data["metrics"]["total_reconnect_attempts"] == attempts_made

    # print_summary() logs at INFO through nwp500.mqtt.diagnostics and prints nothing.
    capsys.readouterr()
    caplog.clear()
    diag.print_summary()
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", "")
    records = [r for r in caplog.records if r.name == "nwp500.mqtt.diagnostics"]
    assert records and all(r.levelno == logging.INFO for r in records)
    lines = [r.getMessage() for r in records]
    for want in ["MQTT CONNECTION DIAGNOSTICS SUMMARY", "Total Connections: 1",
                 "Total Connection Drops: 3", "Successful Reconnections: 3",
                 f"Total Reconnection Attempts: {attempts_made}",
                 f"  {HANGUP[0]}: 1", f"  {RESET[0]}: 1", f"  {TIMEOUT[0]}: 1",
                 "Messages Published: 3", "Messages Queued: 2"]:
        assert want in lines, (want, lines)


# =========================================================================== not authorised


def test_first_connect_refused_as_not_authorized(caplog) -> None:
    from support import Mosquitto

    caplog.set_level(logging.INFO, logger="nwp500")
    with Mosquitto(allow_anonymous=False) as locked:

        async def scenario():
            client = NavienMqttClient(DuckAuth(), config=fast_config(locked.url))
            with pytest.raises(ConnectionDropError) as info:
                await client.connect()
            assert not client.is_connected and not client.is_reconnecting
            diag = client.diagnostics
            m, conns = diag.get_metrics(), diag.get_recent_connections(0)
            await asyncio.wait_for(client.disconnect(), 10)
            return info.value, m, conns

        err, m, conns = run(scenario(), timeout=30)
    assert (err.name, err.code, err.cause) == ("AWS_ERROR_MQTT_PROTOCOL_ERROR", 5130,
                                               "not_authorized"), repr(err)
    assert NOT_AUTHORISED.search(str(err)), str(err)
    # Nothing came up, so nothing connected, dropped or reconnected.
    assert (m.total_connections, m.connection_recovered, m.total_connection_drops,
            m.total_reconnect_attempts) == (0, 0, 0, 0)
    assert conns == []
    failed = [r.getMessage() for r in caplog.records
              if r.name == "nwp500.mqtt.client" and r.getMessage().startswith("Failed to connect")]
    assert failed and NOT_AUTHORISED.search(failed[0]), failed


@pytest.mark.slow
def test_reconnect_refused_as_not_authorized_is_counted_and_logged(broker, caplog) -> None:
    """The broker restarts on the same port refusing anonymous clients: every reconnect
    attempt is refused (CONNACK "not authorised") until it allows them again."""
    caplog.set_level(logging.DEBUG, logger="nwp500")
    config = fast_config(broker.url, deep_reconnect_threshold=100)
    failure_rx = re.compile(r"Reconnection attempt (\d+) \((quick|deep)\) failed: (.*)")

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=config)
        rec = EventRecorder(client)
        with LogTap(rec):
            await client.connect()
            try:
                broker.allow_anonymous = False  # written into the config on (re)start
                await asyncio.to_thread(broker.restart)
                await rec.wait_count("connection_interrupted", 1, timeout=10)
                await rec.wait_until(
                    lambda: len(_logs(rec, NOT_AUTHORISED, "nwp500.mqtt.reconnection")) >= 3,
                    timeout=20, what="3 reconnect attempts refused as not authorised")
                assert client.is_reconnecting and not client.is_connected
                during = client.diagnostics.get_metrics()
                failures_so_far = len(_logs(rec, failure_rx, "nwp500.mqtt.reconnection"))

                broker.allow_anonymous = True
                await asyncio.to_thread(broker.restart)
                await rec.wait_count("connection_resumed", 1, timeout=20)
                diag = client.diagnostics
                return (rec, during, failures_so_far, diag.get_metrics(),
                        diag.get_recent_drops(0), diag.get_recent_connections(0))
            finally:
                await asyncio.wait_for(client.disconnect(), 10)

    rec, during, failures_so_far, m, drops, conns = run(scenario(), timeout=90)
    failures = [failure_rx.search(s) for s in _logs(rec, failure_rx, "nwp500.mqtt.reconnection")]
    refused = [f for f in failures if NOT_AUTHORISED.search(f.group(3))]
    assert len(refused) >= 3, [f.group(0) for f in failures]
    for f in refused:  # the log says why: the CONNACK refusal
        assert "AWS_ERROR_MQTT_PROTOCOL_ERROR" in f.group(3), f.group(0)

    # Attempts were recorded while they failed, and none of them counted as a drop.
    assert during.total_reconnect_attempts >= failures_so_far >= 3
    assert (during.total_connection_drops, during.connection_recovered) == (1, 0)
    assert rec.count("reconnection_failed") == 0  # unlimited attempts: never gives up

    # One drop (the broker going away), one recovery that names the attempts it took.
    assert [(d.cause, d.error_name) for d in drops] == [("tcp_closed", HANGUP[0])], drops
    assert [c.event_type for c in conns] == ["connected", "resumed"]
    resumed = conns[1]
    attempt_numbers = [int(f.group(1)) for f in failures]
    assert attempt_numbers == list(range(1, len(failures) + 1)), attempt_numbers
    assert resumed.attempt_number == len(failures) + 1, (resumed, len(failures))
    assert m.total_reconnect_attempts == resumed.attempt_number
    t_drop = rec.of("connection_interrupted")[0].at
    t_back = rec.of("connection_resumed")[0].at
    assert resumed.time_to_reconnect_seconds is not None
    assert 0 < resumed.time_to_reconnect_seconds <= (t_back - t_drop) + SLACK
    assert (m.total_connection_drops, m.connection_recovered, m.total_connections) == (1, 1, 1)
