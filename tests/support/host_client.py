"""A client with the host monitor on, meant to run inside a network namespace
(``ip netns exec NS python host_client.py ENDPOINT``) while a test changes that namespace's
links, routes, DNS and firewall. Talks JSON lines: prints ``{"ev": "up"}``, ``{"ev": "drop",
"cause": ...}``, ``{"ev": "resumed"}``, ``{"ev": "log", "msg": ...}``; answers ``export`` on
stdin with ``{"ev": "export", "data": <export_json()>}``; ``quit`` disconnects and exits."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time


def say(**obj) -> None:
    print(json.dumps(obj), flush=True)


class Relay(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        say(ev="log", level=record.levelname, msg=record.getMessage())


class Auth:
    """A signed-in auth client for a plain broker (no AWS keys needed)."""
    is_authenticated = True
    user_email = "host-monitor@example.com"

    class current_tokens:  # noqa: N801
        access_key_id = "AKIDEXAMPLE"
        secret_key = "x"
        session_token = None
        are_aws_credentials_expired = False
        is_expired = False

    async def ensure_valid_token(self):
        return self.current_tokens

    async def refresh_token(self, refresh_token=None):
        return self.current_tokens

    async def re_authenticate(self):
        return None


async def main(endpoint: str, interval: float) -> None:
    logging.getLogger("nwp500").addHandler(Relay())
    logging.getLogger("nwp500").setLevel(logging.INFO)
    from nwp500 import MqttConnectionConfig, NavienMqttClient

    config = MqttConnectionConfig(endpoint=endpoint, client_id=f"host-monitor-{int(time.time())}",
                                  keep_alive_secs=4, ping_timeout=1.0, initial_reconnect_delay=0.3,
                                  max_reconnect_delay=1.0, reconnect_jitter=False, operation_timeout=5.0,
                                  max_reconnect_attempts=1000)
    client = NavienMqttClient(Auth(), config=config)
    client.on("connection_interrupted", lambda e: say(ev="drop", cause=e.error.cause, t=time.time()))
    client.on("connection_resumed", lambda e: say(ev="resumed", t=time.time()))
    # The journal is the whole machine's: other tests' veth links would show up in it.
    client.diagnostics.start_host_monitor(interval=interval, journal=False)
    await client.connect()
    say(ev="up", t=time.time())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "export":
            say(ev="export", data=json.loads(client.diagnostics.export_json()))
        elif line == "quit":
            break
    client.diagnostics.stop_host_monitor()
    await client.disconnect()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.0))
