"""Measures one diagnostics collector in this interpreter; prints JSON. Run by
bench/suite.py (measurement 4) with either nwp500 (this project) or nwp500-python 6.1.1 installed:
both provide ``nwp500.mqtt_diagnostics.MqttDiagnosticsCollector``."""

import asyncio
import json
import sys
import time

from nwp500.mqtt_diagnostics import MqttDiagnosticsCollector


def drop_error():
    try:  # this project
        from nwp500.exceptions import ConnectionDropError

        return ConnectionDropError("AWS_ERROR_MQTT_UNEXPECTED_HANGUP", 5134, "The connection was closed unexpectedly.", "tcp_closed")
    except ImportError:  # the reference labels only awscrt errors
        from awscrt.exceptions import AwsCrtError

        return AwsCrtError(5134, "AWS_ERROR_MQTT_UNEXPECTED_HANGUP", "The connection was closed unexpectedly.")


async def measure(calls: int) -> dict:
    error = drop_error()
    collector = MqttDiagnosticsCollector()
    start = time.perf_counter()
    for i in range(calls):
        await collector.record_connection_drop(error=error, reconnect_attempt=i % 12, active_subscriptions=3, queued_commands=1)
    drop_rate = calls / (time.perf_counter() - start)

    full = MqttDiagnosticsCollector(max_events_retained=1000)
    for i in range(1000):
        await full.record_connection_drop(error=error, reconnect_attempt=i % 12)
        await full.record_connection_success(event_type="resumed", session_present=False, return_code=0)
    timings = []
    for _ in range(20):
        t = time.perf_counter()
        full.export_json()
        timings.append(time.perf_counter() - t)
    timings.sort()
    return {"drops_per_second": drop_rate, "export_json_ms": timings[len(timings) // 2] * 1000}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(int(sys.argv[1])))))
