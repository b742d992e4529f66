"""Secrets never reach logs, exception texts or reprs (TARGET §7).

A full scenario over ws:// (every attempt SigV4-signs a URL that carries the signature and
the session token): connect, subscribe, publish, a takeover drop with a quick reconnect, a
broker restart with a deep reconnect (which refreshes and rotates the credentials), a
refused upgrade (HTTP 403) and a refused TCP connect -- all with the root logger at DEBUG.
Then every record (message, arguments and traceback text), every error and the reprs are
searched for the secrets and for any signature the client can have sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import time

import pytest

from helpers import DuckAuth, EventRecorder, fast_config
from nwp500 import NavienMqttClient
from nwp500.exceptions import ConnectionDropError
from nwp500._core import presign_websocket_query

ACCESS_KEY_ID = "ASIASECRETACCESSKEY7"
SECRET_KEY = "SECRETKEY-xyz"
SESSION_TOKEN = "SESSIONTOKEN-abc"
REFRESH_TOKEN = "REFRESH-123"
ROTATED = dict(access_key_id="ASIAROTATEDACCESSKY8", secret_key="SECRETKEY-rotated-uvw",
               session_token="SESSIONTOKEN-rotated-def", refresh_token="REFRESH-rotated-456")
HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


class SecretAuth(DuckAuth):
    """A DuckAuth holding secret-looking credentials; a refresh hands out new ones."""

    def __init__(self) -> None:
        super().__init__()
        self.current_tokens.access_key_id = ACCESS_KEY_ID
        self.current_tokens.secret_key = SECRET_KEY
        self.current_tokens.session_token = SESSION_TOKEN
        self.current_tokens.refresh_token = REFRESH_TOKEN

    async def refresh_token(self, refresh_token: str):
        self._note("refresh_token", refresh_token)
        for name, value in ROTATED.items():
            setattr(self.current_tokens, name, value)
        return self.current_tokens


def secret_strings() -> list[str]:
    values = [ACCESS_KEY_ID, SECRET_KEY, SESSION_TOKEN, REFRESH_TOKEN, *ROTATED.values()]
    # Distinctive fragments too, so a truncated or re-encoded secret is still caught.
    return values + ["SECRETKEY", "SESSIONTOKEN", "REFRESH-", "ASIASECRET", "ASIAROTATED"]


def possible_signatures(authorities: list[str], t0: float, t1: float) -> set[str]:
    """Every X-Amz-Signature the client can have sent in [t0, t1] (second resolution)."""
    sigs = set()
    for when in range(int(t0) - 2, int(t1) + 3):
        for host in authorities:
            for akid, secret in ((ACCESS_KEY_ID, SECRET_KEY), (ROTATED["access_key_id"], ROTATED["secret_key"])):
                q = presign_websocket_query(host, "/mqtt", "us-east-1", akid, secret, None, when)
                sigs.add(q.rsplit("X-Amz-Signature=", 1)[1])
    return sigs


class Forbidden:
    """Answers every HTTP request with 403 (a websocket upgrade refused for stale credentials)."""

    async def __aenter__(self) -> "Forbidden":
        self.requests: list[bytes] = []
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader, writer) -> None:
        try:
            self.requests.append(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10))
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


def test_no_secret_in_logs_errors_or_reprs(ws_broker, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger, so every nwp500.* record is kept
    errors: list[BaseException] = []
    reprs: list[str] = []
    sent_signatures: list[str] = []
    authorities = [f"{ws_broker.host}:{ws_broker.ws_port}"]
    t0 = time.time()

    async def main():
        auth = SecretAuth()
        config = fast_config(ws_broker.ws_url, keep_alive_secs=30, deep_reconnect_threshold=2)
        client = NavienMqttClient(auth, config=config)
        cid = client.client_id
        rec = EventRecorder(client)
        reprs.extend([repr(client), str(client), repr(config), str(config)])

        await asyncio.wait_for(client.connect(), 15)
        topic = f"secrets/{cid}"
        await asyncio.wait_for(client.subscribe(topic, rec.message_callback()), 15)
        await asyncio.wait_for(client.publish(topic, {"n": 1}), 15)
        await rec.wait_count("message", 1)

        # Drop 1: another connection takes over the client id; attempt 1 is a quick one.
        subprocess.run(["mosquitto_pub", "-h", ws_broker.host, "-p", str(ws_broker.port), "-i", cid,
                        "-t", "secrets/kick", "-m", "x"], check=True, timeout=15, capture_output=True)
        await rec.wait_count("connection_resumed", 1, timeout=20)

        # Drop 2: the broker restarts; attempt 2 (threshold 2) is deep: refresh, new keys.
        await asyncio.to_thread(ws_broker.restart)
        await rec.wait_count("connection_resumed", 2, timeout=30)
        assert "refresh_token" in auth.names(), auth.names()
        assert auth.current_tokens.secret_key == ROTATED["secret_key"]
        await asyncio.wait_for(client.publish(topic, {"n": 2}), 15)
        await rec.wait_count("message", 2)
        reprs.extend([repr(client), repr(client.config), repr(rec.records)])
        await asyncio.wait_for(client.disconnect(), 15)

        for r in rec.of("connection_interrupted"):
            errors.append(r.args[0].error)
            reprs.append(repr(r.args[0]))
        assert len(rec.of("connection_interrupted")) == 2

        # A refused upgrade (credentials_expired) and a refused TCP connect.
        async with Forbidden() as forbidden:
            authorities.append(f"127.0.0.1:{forbidden.port}")
            c403 = NavienMqttClient(SecretAuth(), config=fast_config(f"ws://127.0.0.1:{forbidden.port}/mqtt"))
            with pytest.raises(ConnectionDropError) as info:
                await asyncio.wait_for(c403.connect(), 15)
            assert info.value.cause == "credentials_expired"
            assert forbidden.requests and b"X-Amz-Signature=" in forbidden.requests[0]
            sent_signatures.append(re.search(rb"X-Amz-Signature=([0-9a-f]{64})", forbidden.requests[0])
                                   .group(1).decode())
            errors.append(info.value)
            reprs.append(repr(c403))
            await asyncio.wait_for(c403.disconnect(), 15)
        refused = NavienMqttClient(SecretAuth(), config=fast_config(f"ws://{ws_broker.host}:9/mqtt"))
        with pytest.raises(ConnectionDropError) as info:
            await asyncio.wait_for(refused.connect(), 15)
        errors.append(info.value)
        await asyncio.wait_for(refused.disconnect(), 15)

    asyncio.run(main())
    t1 = time.time()

    # The scenario really happened.
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("nwp500")]
    assert any("Quick reconnection successful" in m for m in messages), messages
    assert any("Deep reconnection successful" in m for m in messages), messages

    signatures = possible_signatures(authorities, t0, t1)
    assert set(sent_signatures) <= signatures  # the candidate set covers what was really sent
    needles = secret_strings() + sorted(signatures)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts: list[tuple[str, str]] = []
    for record in caplog.records:
        texts.append((f"log {record.name}", record.getMessage()))
        texts.append((f"log {record.name} formatted", formatter.format(record)))  # incl. traceback
        texts.append((f"log {record.name} args", repr(record.args)))
    for err in errors:
        texts.append((f"error {type(err).__name__}", f"{err!s} {err!r} {err.args!r}"))
        if hasattr(err, "to_dict"):
            texts.append((f"error {type(err).__name__}.to_dict", repr(err.to_dict())))
        if err.__cause__ is not None:
            texts.append(("error cause", f"{err.__cause__!s} {err.__cause__!r}"))
    texts += [("repr", r) for r in reprs]

    leaks = [(where, needle) for where, text in texts for needle in needles if needle in text]
    assert not leaks, f"secrets leaked: {leaks[:10]}"
    hex_runs = [(where, m.group()) for where, text in texts for m in HEX64.finditer(text)]
    assert not hex_runs, f"64-hex-digit strings (signature-like) in output: {hex_runs[:10]}"
    assert len(caplog.records) > 10
