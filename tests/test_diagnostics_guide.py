"""The diagnostics guide's own code, pasted unchanged, runs and does what the guide says
(TARGET §1: "code in ../seeds/nwp500-mqtt-diagnostics-guide.txt runs unchanged").

* "Diagnostics Module": record a drop and a success, export, metrics, summary.
* "Analyzing Exported Data": ``analyze_diagnostics(json_file)`` on a real export written by
  a collector that a real client fed through real drops (FaultProxy against mosquitto).
* "Quick Start / 30-Second Integration": the event hook-up against a real broker with three
  injected drops; the hand-wired collector then holds three drops with their error names
  and three "resumed" connections.

Only the guide's placeholders are supplied: ``exception`` (a ``ConnectionDropError``), and
``auth_client`` (a duck-typed auth object instead of a Navien login). The Quick Start's
endpoint is left at its default and redirected by ``NWP500_MQTT_ENDPOINT`` (TARGET §5).
"""

from __future__ import annotations

import asyncio
import json as _json
import logging
import re

import pytest

from helpers import DuckAuth, EventRecorder, fast_config, run
from nwp500 import NavienMqttClient
from nwp500.exceptions import ConnectionDropError

HANGUP = ("AWS_ERROR_MQTT_UNEXPECTED_HANGUP", 5134)
RESET = ("AWS_IO_SOCKET_CLOSED", 1051)

# ==================================================================== guide: "Analyzing Exported Data"
# ---- pasted unchanged from the guide ----
import json

def analyze_diagnostics(json_file: str) -> None:
    """Analyze exported diagnostics."""
    with open(json_file) as f:
        data = json.load(f)

    metrics = data['metrics']
    recent_drops = data['recent_drops']

    print(f"Total Drops: {metrics['total_connection_drops']}")
    print(f"Successful Reconnections: {metrics['connection_recovered']}")
    print(f"Current Uptime: {metrics['current_session_uptime_seconds']:.0f}s")

    # Analyze drop patterns
    if recent_drops:
        print("\nRecent Drops:")
        for drop in recent_drops[-5:]:
            print(
                f"  {drop['timestamp']}: "
                f"{drop['error_name']} "
                f"(duration: {drop['duration_connected_seconds']:.0f}s)"
            )

    # Check error distribution
    if data['aws_error_counts']:
        print("\nError Frequency:")
        for error, count in data['aws_error_counts'].items():
            print(f"  {error}: {count}")
# ---- end of guide code ----


def _strict(token: str):
    raise ValueError(f"non-standard JSON constant {token!r}")


# ==================================================================== (a) "Diagnostics Module"


def test_diagnostics_module_snippet(caplog) -> None:
    caplog.set_level(logging.INFO, logger="nwp500.mqtt.diagnostics")

    async def snippet():
        exception = ConnectionDropError(
            "AWS_ERROR_MQTT_UNEXPECTED_HANGUP", 5134,
            "The connection was closed unexpectedly.", "tcp_closed")
        # ---- pasted unchanged from the guide ("Diagnostics Module") ----
        from nwp500 import (
            MqttDiagnosticsCollector,
            MqttMetrics,
            ConnectionDropEvent,
            ConnectionEvent,
        )

        # Create collector
        diagnostics = MqttDiagnosticsCollector(
            max_events_retained=1000,
            enable_verbose_logging=True
        )

        # Record drop event
        await diagnostics.record_connection_drop(
            error=exception,
            active_subscriptions=10,
            queued_commands=5
        )

        # Record successful connection
        await diagnostics.record_connection_success(
            event_type='resumed',
            session_present=True,
            return_code=0
        )

        # Export metrics
        json_data = diagnostics.export_json()
        metrics = diagnostics.get_metrics()
        diagnostics.print_summary()
        # ---- end of guide code ----
        return diagnostics, json_data, metrics, MqttMetrics, ConnectionDropEvent, ConnectionEvent

    diagnostics, json_data, metrics, MqttMetrics, ConnectionDropEvent, ConnectionEvent = run(
        snippet(), timeout=10)

    assert isinstance(metrics, MqttMetrics)
    assert (metrics.total_connection_drops, metrics.connection_recovered,
            metrics.total_connections) == (1, 1, 0)
    assert metrics.connection_drops_by_error == {HANGUP[0]: 1}
    (drop,) = diagnostics.get_recent_drops()
    assert isinstance(drop, ConnectionDropEvent)
    assert (drop.error_name, drop.error_code, drop.active_subscriptions,
            drop.queued_commands) == (*HANGUP, 10, 5)
    assert drop.error_message == str(ConnectionDropError(
        *HANGUP, "The connection was closed unexpectedly.", "tcp_closed"))
    (conn,) = diagnostics.get_recent_connections()
    assert isinstance(conn, ConnectionEvent)
    assert (conn.event_type, conn.session_present, conn.return_code) == ("resumed", True, 0)
    assert conn.time_to_reconnect_seconds is not None and conn.time_to_reconnect_seconds >= 0

    data = _json.loads(json_data, parse_constant=_strict)
    assert data["metrics"]["total_connection_drops"] == 1
    assert data["aws_error_counts"] == {HANGUP[0]: 1}
    assert data["recent_drops"][0]["error_name"] == HANGUP[0]

    messages = [r.getMessage() for r in caplog.records if r.name == "nwp500.mqtt.diagnostics"]
    # verbose logging: the drop (WARNING) and the success (INFO), then the summary
    assert any(m.startswith("Connection drop recorded: error=AWS_ERROR_MQTT_UNEXPECTED_HANGUP")
               for m in messages), messages
    assert any(m.startswith("Connection success recorded: type=resumed") for m in messages)
    assert "MQTT CONNECTION DIAGNOSTICS SUMMARY" in messages
    assert "Total Connection Drops: 1" in messages
    assert "Successful Reconnections: 1" in messages
    assert f"  {HANGUP[0]}: 1" in messages


# ==================================================================== (b) "Analyzing Exported Data"


@pytest.mark.slow
def test_analyze_diagnostics_on_a_real_export(fault_proxy, tmp_path, capsys) -> None:
    proxy = fault_proxy()
    faults = ["close_all", "reset_all", "close_all"]
    expected = [HANGUP[0], RESET[0], HANGUP[0]]

    async def scenario() -> str:
        client = NavienMqttClient(DuckAuth(), config=fast_config(
            proxy.url, keep_alive_secs=30, deep_reconnect_threshold=100))
        rec = EventRecorder(client)
        await client.connect()
        try:
            for n, fault in enumerate(faults, start=1):
                await asyncio.to_thread(getattr(proxy, fault))
                await rec.wait_count("connection_interrupted", n, timeout=5)
                await rec.wait_count("connection_resumed", n, timeout=15)
            # The events the client emitted are what the collector recorded.
            assert [(r.args[0].error.name, r.args[0].error.code)
                    for r in rec.of("connection_interrupted")] == [HANGUP, RESET, HANGUP]
            return client.diagnostics.export_json()
        finally:
            await asyncio.wait_for(client.disconnect(), 10)

    export = run(scenario(), timeout=60)
    path = tmp_path / "mqtt_diagnostics.json"
    path.write_text(export)
    capsys.readouterr()  # only what analyze_diagnostics prints from here

    analyze_diagnostics(str(path))

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Total Drops: 3", out
    assert out[1] == "Successful Reconnections: 3", out
    assert re.fullmatch(r"Current Uptime: \d+s", out[2]), out
    i = out.index("Recent Drops:")
    drop_lines = out[i + 1:i + 4]
    pattern = re.compile(r"  (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*): (\S+) \(duration: (\d+)s\)")
    parsed = [pattern.fullmatch(line) for line in drop_lines]
    assert all(parsed), drop_lines
    assert [m.group(2) for m in parsed] == expected, drop_lines
    assert [m.group(1) for m in parsed] == sorted(m.group(1) for m in parsed)
    j = out.index("Error Frequency:")
    assert sorted(out[j + 1:j + 3]) == [f"  {HANGUP[0]}: 2", f"  {RESET[0]}: 1"], out
    assert len(out) == j + 3, out


# ==================================================================== (c) "Quick Start"


@pytest.mark.slow
def test_quick_start_hook_up_records_real_drops(fault_proxy, monkeypatch, caplog) -> None:
    proxy = fault_proxy()
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", proxy.url)
    caplog.set_level(logging.INFO, logger="nwp500")
    faults = ["close_all", "reset_all", "close_all"]

    async def scenario():
        auth_client = DuckAuth()
        # ---- pasted unchanged from the guide ("Quick Start / 30-Second Integration") ----
        from nwp500 import (
            NavienAuthClient,
            NavienMqttClient,
            MqttDiagnosticsCollector,
            MqttConnectionConfig,
        )

        # Create diagnostics
        diagnostics = MqttDiagnosticsCollector(enable_verbose_logging=True)

        # Connect with hardened config
        config = MqttConnectionConfig(keep_alive_secs=60)  # Reduced from 1200
        mqtt_client = NavienMqttClient(auth_client, config=config)

        # Hook events
        mqtt_client.on('connection_interrupted',
            lambda event: diagnostics.record_connection_drop(error=event.error)
        )
        mqtt_client.on('connection_resumed',
            lambda event: diagnostics.record_connection_success(
                event_type='resumed', session_present=event.session_present
            )
        )

        # Export periodically
        json_export = diagnostics.export_json()
        diagnostics.print_summary()
        # ---- end of guide code ----

        assert mqtt_client.config.endpoint == proxy.url
        _json.loads(json_export, parse_constant=_strict)
        # Registered after the guide's hooks: emit runs listeners in order and awaits each,
        # so when the recorder sees an event the guide's coroutine has completed.
        rec = EventRecorder(mqtt_client)
        await mqtt_client.connect()
        try:
            for n, fault in enumerate(faults, start=1):
                await asyncio.to_thread(getattr(proxy, fault))
                await rec.wait_count("connection_interrupted", n, timeout=5)
                await rec.wait_count("connection_resumed", n, timeout=20)
        finally:
            await asyncio.wait_for(mqtt_client.disconnect(), 10)
        return diagnostics, rec

    diagnostics, rec = run(scenario(), timeout=90)

    drops = diagnostics.get_recent_drops(0)
    assert [(d.error_name, d.error_code) for d in drops] == [HANGUP, RESET, HANGUP]
    assert [d.cause for d in drops] == ["tcp_closed"] * 3
    assert all(d.error_message and d.error_message.startswith(d.error_name) for d in drops)
    conns = diagnostics.get_recent_connections(0)
    assert [(c.event_type, c.session_present) for c in conns] == [("resumed", False)] * 3
    assert all(c.time_to_reconnect_seconds is not None and c.time_to_reconnect_seconds > 0
               for c in conns)
    m = diagnostics.get_metrics()
    assert (m.total_connection_drops, m.connection_recovered, m.total_connections) == (3, 3, 0)
    assert m.connection_drops_by_error == {HANGUP[0]: 2, RESET[0]: 1}
    assert [r.args[0].session_present for r in rec.of("connection_resumed")] == [False] * 3
    verbose = [r.getMessage() for r in caplog.records if r.name == "nwp500.mqtt.diagnostics"]
    assert sum(m.startswith("Connection drop recorded:") for m in verbose) == 3
