"""The AWS IoT websocket endpoint of the simulated cloud, with fault injection.

``ws://127.0.0.1:PORT/mqtt`` accepts an HTTP upgrade whose SigV4 presigned query names live
simulator-issued AWS credentials (403 otherwise), answers ``101`` with
``Sec-WebSocket-Protocol: mqtt`` and then bridges websocket binary frames to a plain TCP
connection to the loopback mosquitto. It reads the client's first MQTT packet (CONNECT) on
the way, to know the client id and to refuse the CONNECT on demand.

Faults (each returns once it has taken effect): :meth:`drop` (FIN), :meth:`reset` (RST),
:meth:`blackhole` (stop forwarding both ways, sockets stay open, data is held until
:meth:`resume`), :meth:`refuse_connect` (CONNACK 5, then close), :meth:`takeover` (a second
CONNECT with the same client id straight to the broker), :meth:`cut_every` (each connection
is closed N s after it came up) and :meth:`idle_timeout` (closed after N s without traffic,
like a NAT mapping that expires).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import struct
import time
from dataclasses import dataclass, field

from . import mqttwire, sigv4
from .httpio import HttpError, Request, Response, json_response, read_request, text_response
from .faults import reset_connection
from .tokens import CredentialStore
from .websocket import (
    CLOSE_NORMAL, CLOSE_UNSUPPORTED, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, StreamState,
    WsProtocolError, close_frame, encode_frame, read_frame, switching_protocols, upgrade_problem)

_log = logging.getLogger("nwp500.simulator.wsfront")

MAX_CONNECT_BYTES = 64 * 1024


@dataclass(eq=False)
class FrontConnection:
    id: int
    peer: str
    cw: asyncio.StreamWriter
    uw: asyncio.StreamWriter | None = None
    task: asyncio.Task | None = None
    client_id: str | None = None
    protocol_level: int = 4           # from its CONNECT: 4 = MQTT 3.1.1, 5 = MQTT 5
    state: str = "handshake"          # handshake -> bridging -> closed
    accepted_at: float = field(default_factory=time.monotonic)
    cut_base: float = 0.0             # cut_every counts from here
    last_activity: float = field(default_factory=time.monotonic)
    ending: str | None = None         # why the front closed it, if it did
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def writers(self) -> list[asyncio.StreamWriter]:
        return [w for w in (self.cw, self.uw) if w is not None]


class WsFront:
    def __init__(self, broker: tuple[str, int], store: CredentialStore, *, strict: bool = True,
                 path: str = "/mqtt", handshake_timeout: float = 10.0) -> None:
        self.broker = broker
        self.store = store
        self.strict = strict
        self.path = path
        self.handshake_timeout = handshake_timeout
        self.port = 0
        self.stats = dict(accepted=0, upgraded=0, rejected=0, refused_connects=0, dropped=0, server_disconnects=0,
                          reset=0, cut=0, idle_cut=0, taken_over=0, broker_closed=0)
        self.last_rejection: str | None = None
        self._ids = itertools.count(1)
        self._conns: set[FrontConnection] = set()
        self._server: asyncio.AbstractServer | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._blackhole_timer: asyncio.TimerHandle | None = None
        self._blackhole_until: float | None = None
        self._refuse_remaining: float = 0
        self._cut_every: float | None = None
        self._idle_timeout: float | None = None
        self._watchdog: asyncio.Task | None = None
        self._side_tasks: set[asyncio.Task] = set()

    # -- lifecycle -------------------------------------------------------------------
    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        self._watchdog = asyncio.ensure_future(self._watch())
        return self.port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for t in [self._watchdog, *self._side_tasks]:
            if t is not None:
                t.cancel()
        self.resume()
        await self._close_all("stopped", rst=False)

    # -- per connection ----------------------------------------------------------------
    async def _handle(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        peer = cw.get_extra_info("peername")
        conn = FrontConnection(next(self._ids), f"{peer[0]}:{peer[1]}" if peer else "?", cw)
        conn.task = asyncio.current_task()
        self._conns.add(conn)
        self.stats["accepted"] += 1
        try:
            await self._flowing.wait()  # a blackholed path does not answer new connections
            req = await asyncio.wait_for(read_request(cr, with_body=False), self.handshake_timeout)
            if req is None:
                return
            answer = self._check_upgrade(req)
            if answer is not None:
                cw.write(answer.encode(False))
                await cw.drain()
                return
            try:
                ur, conn.uw = await asyncio.wait_for(asyncio.open_connection(*self.broker), 5.0)
            except (OSError, asyncio.TimeoutError):
                cw.write(text_response(502, "broker unavailable", close=True).encode(False))
                await cw.drain()
                return
            cw.write(switching_protocols(req.headers, "mqtt"))
            await cw.drain()
            conn.state = "bridging"
            conn.cut_base = conn.last_activity = time.monotonic()
            self.stats["upgraded"] += 1
            await self._bridge(conn, cr, ur)
        except HttpError as exc:
            cw.write(text_response(exc.status, exc.message, close=True).encode(False))
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.CancelledError):
            pass
        finally:
            conn.state = "closed"
            for w in conn.writers():
                w.close()
            self._conns.discard(conn)
            conn.closed.set()

    def _check_upgrade(self, req: Request) -> Response | None:
        if req.path != self.path:
            return text_response(404, "not found", close=True)
        problem = upgrade_problem(req.method, req.headers)
        if problem is not None:
            status, message = problem
            extra = {"Sec-WebSocket-Version": "13"} if status == 426 else {}
            return text_response(status, message, close=True, headers=extra)
        verdict = sigv4.verify("GET", req.path, req.raw_query, req.headers,
                               self.store.aws_credentials, self.store.is_expired, strict=self.strict)
        if not verdict.ok:
            self.stats["rejected"] += 1
            self.last_rejection = verdict.reason
            _log.info("websocket upgrade refused with 403: %s", verdict.reason)
            return json_response(403, {"message": "Forbidden"}, close=True)
        return None

    async def _bridge(self, conn: FrontConnection, cr: asyncio.StreamReader,
                      ur: asyncio.StreamReader) -> None:
        up = asyncio.ensure_future(self._client_to_broker(conn, cr))
        down = asyncio.ensure_future(self._broker_to_client(conn, ur))
        try:
            done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (up, down):
                t.cancel()
            await asyncio.wait({up, down})
        for t in done:
            exc = t.exception()
            if isinstance(exc, WsProtocolError):
                conn.cw.write(close_frame(exc.code, str(exc)))
            elif isinstance(exc, OSError):  # a reset on one side: reset the client too
                reset_connection(conn.cw)

    async def _client_to_broker(self, conn: FrontConnection, cr: asyncio.StreamReader) -> None:
        assert conn.uw is not None
        state, pending, connect_seen = StreamState(), bytearray(), False
        while True:
            try:
                frame = await read_frame(cr)
            except asyncio.IncompleteReadError:  # EOF without a close frame
                await self._flowing.wait()
                return
            await self._flowing.wait()
            conn.last_activity = time.monotonic()
            state.check(frame)
            if frame.opcode == OP_PING:
                conn.cw.write(encode_frame(OP_PONG, frame.payload))
                continue
            if frame.opcode == OP_PONG:
                continue
            if frame.opcode == OP_CLOSE:
                code = struct.unpack("!H", frame.payload[:2])[0] if len(frame.payload) >= 2 else CLOSE_NORMAL
                conn.cw.write(close_frame(code))
                return
            if state.message_opcode == OP_TEXT:
                raise WsProtocolError("MQTT needs binary frames", CLOSE_UNSUPPORTED)
            data = frame.payload
            if not connect_seen:
                pending += data
                size = mqttwire.packet_size(pending)
                if size is None:
                    if len(pending) > MAX_CONNECT_BYTES:
                        raise WsProtocolError("no CONNECT in the first 64 KiB")
                    continue
                try:
                    info = mqttwire.parse_connect(bytes(pending[:size]))
                except mqttwire.MqttWireError as exc:
                    raise WsProtocolError(f"bad first packet: {exc}") from None
                conn.client_id, conn.protocol_level, connect_seen = info.client_id, info.protocol_level, True
                if self._take_refusal():
                    self.stats["refused_connects"] += 1
                    conn.ending = "refused"
                    conn.cw.write(encode_frame(OP_BINARY, mqttwire.connack_not_authorized(info.protocol_level)))
                    conn.cw.write(close_frame(CLOSE_NORMAL))
                    await conn.cw.drain()
                    return
                data, pending = bytes(pending), bytearray()
            conn.uw.write(data)
            await conn.uw.drain()

    async def _broker_to_client(self, conn: FrontConnection, ur: asyncio.StreamReader) -> None:
        while True:
            data = await ur.read(65536)
            await self._flowing.wait()
            if not data:  # the broker closed it (takeover, protocol error, ...)
                if conn.ending is None:
                    conn.ending = "broker_closed"
                    self.stats["broker_closed"] += 1
                if conn.ending == "taken_over" and conn.protocol_level == mqttwire.MQTT5:
                    # As AWS IoT does (mosquitto 2.0.11 just closes): say why, over MQTT 5.
                    packet = mqttwire.disconnect_v5(0x8E, "another client connected with this client id")
                    conn.cw.write(encode_frame(OP_BINARY, packet))
                conn.cw.write(close_frame(CLOSE_NORMAL))
                await conn.cw.drain()
                return
            conn.last_activity = time.monotonic()
            conn.cw.write(encode_frame(OP_BINARY, data))
            await conn.cw.drain()

    # -- faults ----------------------------------------------------------------------
    def _bridging(self) -> list[FrontConnection]:
        return [c for c in self._conns if c.state == "bridging"]

    async def _close_all(self, why: str, *, rst: bool, only: list[FrontConnection] | None = None) -> int:
        conns = list(self._conns) if only is None else only
        for c in conns:
            c.ending = c.ending or why
            if rst:
                reset_connection(c.cw)
            else:
                c.cw.close()
            if c.uw is not None:
                c.uw.close()
            if c.task is not None:
                c.task.cancel()
        tasks = [c.task for c in conns if c.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        closing = [asyncio.ensure_future(w.wait_closed()) for c in conns for w in c.writers()]
        if closing:
            done, pending = await asyncio.wait(closing, timeout=5)
            for f in done:
                f.exception()
            for f in pending:
                f.cancel()
        return len(conns)

    async def drop(self) -> int:
        """Close every connection in order (FIN both ways); returns how many."""
        n = await self._close_all("dropped", rst=False)
        self.stats["dropped"] += n
        return n

    async def server_disconnect(self, reason_code: int, reason: str | None = None) -> int:
        """End every bridged connection as an MQTT 5 server that says why: a DISCONNECT with
        ``reason_code`` (and ``reason``) to MQTT 5 clients, then a close; MQTT 3.1.1 clients,
        which cannot be told, are just closed. Returns how many."""
        conns = self._bridging()
        packet = mqttwire.disconnect_v5(reason_code, reason)
        for c in conns:
            if c.protocol_level == mqttwire.MQTT5:
                c.cw.write(encode_frame(OP_BINARY, packet))
        n = await self._close_all(f"disconnect 0x{reason_code:02X}", rst=False, only=conns)
        self.stats["server_disconnects"] += n
        return n

    async def reset(self) -> int:
        """Reset every client connection (RST); returns how many."""
        n = await self._close_all("reset", rst=True)
        self.stats["reset"] += n
        return n

    def blackhole(self, seconds: float | None = None) -> int:
        """Stop forwarding both ways for ``seconds`` (until :meth:`resume` if ``None``)."""
        if self._blackhole_timer is not None:
            self._blackhole_timer.cancel()
            self._blackhole_timer = None
        self._flowing.clear()
        if seconds is not None:
            self._blackhole_timer = asyncio.get_running_loop().call_later(seconds, self.resume)
            self._blackhole_until = time.time() + seconds
        else:
            self._blackhole_until = math.inf
        return len(self._conns)

    def resume(self) -> None:
        if self._blackhole_timer is not None:
            self._blackhole_timer.cancel()
            self._blackhole_timer = None
        self._blackhole_until = None
        self._flowing.set()

    def refuse_connect(self, count: int | None = None) -> None:
        """Answer the next ``count`` CONNECTs (all, if ``None``) with CONNACK 5."""
        self._refuse_remaining = math.inf if count is None else max(0, int(count))

    def allow_connect(self) -> None:
        self._refuse_remaining = 0

    def _take_refusal(self) -> bool:
        if self._refuse_remaining <= 0:
            return False
        self._refuse_remaining -= 1
        return True

    async def takeover(self, client_id: str | None = None, hold: float = 0.0) -> list[str]:
        """Connect to the broker with the client id of every bridged connection (or with
        ``client_id``), so the broker closes the original. With ``hold`` > 0 the intruder
        stays for that long in the background."""
        ids = [client_id] if client_id else sorted({c.client_id for c in self._bridging() if c.client_id})
        victims = [c for c in self._bridging() if c.client_id in ids]
        for c in victims:
            c.ending = "taken_over"
        jobs = [asyncio.ensure_future(mqttwire.take_over(*self.broker, cid, hold=hold)) for cid in ids]
        if hold > 0:
            self._side_tasks.update(jobs)
            for j in jobs:
                j.add_done_callback(self._side_tasks.discard)
            await asyncio.sleep(0)
        else:
            await asyncio.gather(*jobs, return_exceptions=True)
        if victims:  # the broker closes the original connections
            await asyncio.wait([asyncio.ensure_future(c.closed.wait()) for c in victims], timeout=5)
        self.stats["taken_over"] += len(ids)
        return ids

    def cut_every(self, seconds: float | None) -> None:
        """Close each connection ``seconds`` after it came up (``None`` stops it)."""
        self._cut_every = seconds if seconds and seconds > 0 else None
        now = time.monotonic()
        for c in self._conns:
            c.cut_base = now

    def idle_timeout(self, seconds: float | None) -> None:
        """Close a connection after ``seconds`` without traffic (``None`` stops it)."""
        self._idle_timeout = seconds if seconds and seconds > 0 else None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            if self._cut_every is None and self._idle_timeout is None:
                continue
            if not self._flowing.is_set():
                continue  # a dead path cannot send a FIN either
            now = time.monotonic()
            aged = [c for c in self._bridging()
                    if self._cut_every is not None and now - c.cut_base >= self._cut_every]
            idle = [c for c in self._bridging() if c not in aged and self._idle_timeout is not None
                    and now - c.last_activity >= self._idle_timeout]
            if aged:
                self.stats["cut"] += await self._close_all("cut", rst=False, only=aged)
            if idle:
                self.stats["idle_cut"] += await self._close_all("idle_timeout", rst=False, only=idle)

    def snapshot(self) -> dict:
        now = time.monotonic()
        until = self._blackhole_until
        return {
            "url": self.url,
            "strict_sigv4": self.strict,
            "connections": [{"id": c.id, "client_id": c.client_id, "state": c.state,
                             "age": round(now - c.accepted_at, 3)} for c in sorted(self._conns, key=lambda c: c.id)],
            "blackholed": not self._flowing.is_set(),
            "blackhole_remaining": None if until is None else
            (None if until == math.inf else round(max(0.0, until - time.time()), 3)),
            "refusing_connects": "all" if self._refuse_remaining == math.inf else int(self._refuse_remaining),
            "cut_every": self._cut_every,
            "idle_timeout": self._idle_timeout,
            "last_rejection": self.last_rejection,
            "stats": dict(self.stats),
        }
