"""FaultProxy: a userspace TCP proxy with faults on demand (our netem substitute).

It listens on 127.0.0.1:<free port> and forwards each connection to (host, port).
Its asyncio loop runs in a daemon thread, so any thread -- including a test's own
asyncio loop thread -- drives it with plain synchronous calls, each returning once
the action has taken effect:

* ``blackhole()``  stop forwarding in both directions, sockets stay open (a silent,
  half-dead link). New connections are accepted but not connected upstream.
  Nothing is dropped: data (and EOF/errors) read meanwhile is held, and
* ``resume()``     delivers it and forwards again -- like a link that recovered
  before TCP gave up.
* ``reset_all()``  RST every client-side socket (SO_LINGER 0 + close), close upstreams.
* ``close_all()``  orderly FIN close of both sides of every connection.
* ``refuse(True)`` close the listening socket (connects get ECONNREFUSED);
  ``refuse(False)`` listens again on the same port.
* ``cut_every(s)`` ``close_all()`` every ``s`` seconds until ``cut_every(None)``.
* ``trip(direction, packet, action)`` packet-aware faults for plain MQTT: the next time an
  MQTT packet of that type (``"CONNACK"``, ``"SUBSCRIBE"``, ``"PUBACK"``, ``"PINGREQ"``, ...)
  crosses in ``direction`` (``"up"`` client->broker, ``"down"`` broker->client), the proxy
  ``"fin"``s, ``"rst"``s or ``"blackhole"``s that connection, ``"drop"``s just that packet,
  or (SUBACK only) ``"refuse"``s it: every return code becomes 0x80. ``after=True`` forwards
  the packet first. ``tripped`` counts the rules that fired.

Caveat: closing a socket whose receive queue still holds unread bytes makes Linux
send RST instead of FIN; the proxy keeps reading into user space, so this only
happens if a peer floods more than ~128 KiB into a blackholed connection.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time

from .mqttwire import disconnect_v5


PACKET_TYPES = {
    "CONNECT": 1, "CONNACK": 2, "PUBLISH": 3, "PUBACK": 4, "PUBREC": 5, "PUBREL": 6,
    "PUBCOMP": 7, "SUBSCRIBE": 8, "SUBACK": 9, "UNSUBSCRIBE": 10, "UNSUBACK": 11,
    "PINGREQ": 12, "PINGRESP": 13, "DISCONNECT": 14,
}


class _Frames:
    """Splits one direction of an MQTT byte stream into whole packets; gives up (``feed``
    returns None) on a stream that is not plain MQTT, such as a websocket."""

    def __init__(self) -> None:
        self.buf: bytearray | None = bytearray()

    def feed(self, data: bytes) -> list[bytes] | None:
        if self.buf is None:
            return None
        self.buf += data
        if len(self.buf) > 4 * 1024 * 1024 or self.buf[:3] == b"GET":
            self.buf = None
            return None
        out: list[bytes] = []
        while len(self.buf) >= 2:
            length, shift, i = 0, 0, 1
            while True:
                if i >= len(self.buf) or i > 4:
                    return out  # header incomplete (or garbage: keep waiting)
                byte = self.buf[i]
                length |= (byte & 0x7F) << shift
                shift += 7
                i += 1
                if not byte & 0x80:
                    break
            if len(self.buf) < i + length:
                return out
            out.append(bytes(self.buf[: i + length]))
            del self.buf[: i + length]
        return out


def _refused_suback(packet: bytes, mqtt5: bool) -> bytes:
    """The same SUBACK with every return code a refusal: 0x80 (failure) over MQTT 3.1.1, 0x87
    (not authorized, properties dropped) over MQTT 5."""
    i = 1
    while packet[i] & 0x80:
        i += 1
    head = i + 1 + 2  # fixed header, then the packet id
    if not mqtt5:
        return packet[:head] + b"\x80" * (len(packet) - head)
    pos, length, shift = head, 0, 0  # skip the property block to count the reason codes
    while True:
        byte = packet[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    codes = len(packet) - (pos + length)
    body = packet[i + 1:head] + b"\x00" + b"\x87" * codes
    return bytes([packet[0], len(body)]) + body


def _protocol_level(connect: bytes) -> int | None:
    """The protocol level of a CONNECT packet (4: MQTT 3.1.1, 5: MQTT 5), if it is one."""
    if not connect or connect[0] >> 4 != 1:
        return None
    i = 1
    while i < len(connect) and connect[i] & 0x80:
        i += 1
    at = i + 1 + 6  # past the remaining length, then the protocol name "\x00\x04MQTT"
    return connect[at] if at < len(connect) else None


class _Trip:
    def __init__(self, direction: str, packet: str, action: str, after: bool) -> None:
        if direction not in ("up", "down") or packet not in PACKET_TYPES:
            raise ValueError(f"bad trip rule: {direction} {packet}")
        if action not in ("fin", "rst", "blackhole", "drop", "refuse"):
            raise ValueError(f"bad trip action: {action}")
        if action == "refuse" and packet != "SUBACK":
            raise ValueError("'refuse' rewrites a SUBACK's return codes to 0x80 (failure)")
        self.direction, self.ptype, self.action, self.after = direction, PACKET_TYPES[packet], action, after


class _Link:
    def __init__(self, client_writer: asyncio.StreamWriter) -> None:
        self.cw = client_writer
        self.uw: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None
        self.frames = {"up": _Frames(), "down": _Frames()}
        self.level: int | None = None  # from the client's CONNECT

    def writers(self) -> list[asyncio.StreamWriter]:
        return [w for w in (self.cw, self.uw) if w is not None]


def reset_connection(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN (SO_LINGER on, timeout 0)."""
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.fileno() >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, *, listen_host: str = "127.0.0.1",
                 listen_port: int = 0, connect_timeout: float = 5.0) -> None:
        self.target = (target_host, target_port)
        self.host, self.port = listen_host, listen_port
        self.connect_timeout = connect_timeout
        self.accepted_total = 0
        self.bytes_up = 0      # client -> target
        self.bytes_down = 0    # target -> client
        self._links: set[_Link] = set()
        self._trips: list[_Trip] = []
        self.tripped = 0
        self._server: asyncio.AbstractServer | None = None
        self._cutter: asyncio.Task | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"FaultProxy->{target_host}:{target_port}")
        self._thread.start()
        self._call(self._init())

    # -- plumbing ------------------------------------------------------------
    def _call(self, coro, timeout: float = 30.0):
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("FaultProxy controls must not be called from its own loop")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _init(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        await self._listen()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        link = _Link(cw)
        link.task = asyncio.current_task()
        self._links.add(link)
        self.accepted_total += 1
        try:
            await self._flowing.wait()  # while blackholed, don't even connect upstream
            try:
                ur, link.uw = await asyncio.wait_for(asyncio.open_connection(*self.target),
                                                     self.connect_timeout)  # TCP_NODELAY is set
            except (OSError, asyncio.TimeoutError):
                reset_connection(cw)
                return
            await asyncio.gather(self._pump(cr, link.uw, "up", link),
                                 self._pump(ur, cw, "down", link))
        except asyncio.CancelledError:
            pass
        finally:
            for w in link.writers():
                w.close()
            self._links.discard(link)

    async def _pump(self, reader, writer, direction: str, link: _Link) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if direction == "up" and link.level is None:
                    link.level = _protocol_level(data)
                await self._flowing.wait()
                if not data:  # EOF: half-close the other side
                    if not writer.is_closing() and writer.can_write_eof():
                        writer.write_eof()
                    return
                # Framing is followed all along, so a rule armed mid-connection starts at a
                # packet boundary.
                packets = link.frames[direction].feed(data)
                if self._trips and packets is not None:
                    if await self._forward_packets(packets, writer, direction, link):
                        return
                    continue
                writer.write(data)
                self._count_bytes(direction, len(data))
                await writer.drain()
        except OSError:  # reset/broken pipe on one side: reset the client side too
            await self._flowing.wait()
            reset_connection(link.cw)
            if link.uw is not None:
                link.uw.transport.abort()

    def _count_bytes(self, direction: str, n: int) -> None:
        if direction == "up":
            self.bytes_up += n
        else:
            self.bytes_down += n

    async def _forward_packets(self, packets: list[bytes], writer, direction: str, link: _Link) -> bool:
        """Forwards whole packets, firing the first trip rule each one matches; True once the
        link was cut (the pump stops)."""
        for packet in packets:
            rule = next((r for r in self._trips
                         if r.direction == direction and r.ptype == packet[0] >> 4), None)
            if rule is not None:
                self._trips.remove(rule)
                self.tripped += 1
                if rule.action == "refuse":
                    packet = _refused_suback(packet, link.level == 5)
            if rule is None or rule.after or rule.action == "refuse":
                writer.write(packet)
                self._count_bytes(direction, len(packet))
                await writer.drain()
            if rule is None or rule.action in ("drop", "refuse"):
                continue
            if rule.action == "blackhole":  # held, like everything else, until resume()
                self._flowing.clear()
                await self._flowing.wait()
                if not rule.after:
                    writer.write(packet)
                    self._count_bytes(direction, len(packet))
                    await writer.drain()
                continue
            if rule.action == "rst":
                reset_connection(link.cw)
            else:
                link.cw.close()
            if link.uw is not None:
                link.uw.transport.abort()
            return True
        return False

    async def _server_disconnect(self, reason_code: int, reason_string: str | None) -> int:
        packet = disconnect_v5(reason_code, reason_string)
        links = list(self._links)
        for link in links:
            link.cw.write(packet)
            self._count_bytes("down", len(packet))
            link.cw.close()
            if link.uw is not None:
                link.uw.transport.abort()
        return len(links)

    async def _add_trip(self, trip: _Trip) -> None:
        self._trips.append(trip)

    async def _clear_trips(self) -> None:
        self._trips.clear()

    async def _terminate(self, rst: bool) -> None:
        links = list(self._links)
        for link in links:
            if rst:
                reset_connection(link.cw)
                if link.uw is not None:
                    link.uw.close()
            else:
                for w in link.writers():
                    w.close()
        # asyncio.wait, not wait_for: 3.11's wait_for can swallow a cancellation
        closing = {asyncio.ensure_future(w.wait_closed()): w for l in links for w in l.writers()}
        if closing:
            done, pending = await asyncio.wait(closing, timeout=5)
            for fut in done:
                fut.exception()  # consume ConnectionResetError etc.
            for fut in pending:  # unflushable write buffer: give up on FIN
                fut.cancel()
                closing[fut].transport.abort()
        tasks = [l.task for l in links if l.task is not None]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    async def _set_flowing(self, on: bool) -> None:
        (self._flowing.set if on else self._flowing.clear)()

    async def _refuse(self, on: bool) -> None:
        if on and self._server is not None:
            self._server.close()  # closes the listening socket right away
            self._server = None
        elif not on and self._server is None:
            await self._listen()

    async def _cut_loop(self, seconds: float) -> None:
        me = asyncio.current_task()
        while self._cutter is me:
            await asyncio.sleep(seconds)
            if self._cutter is me:
                await self._terminate(rst=False)

    async def _set_cutter(self, seconds: float | None) -> None:
        old, self._cutter = self._cutter, None
        if old is not None:
            old.cancel()
            await asyncio.wait([old])
        if seconds is not None:
            self._cutter = asyncio.ensure_future(self._cut_loop(seconds))

    async def _count(self) -> int:
        return len(self._links)

    async def _shutdown(self) -> None:
        await self._set_cutter(None)
        await self._refuse(True)
        await self._terminate(rst=True)
        rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in rest:
            t.cancel()
        if rest:
            await asyncio.wait(rest, timeout=5)

    # -- public, synchronous controls -------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def blackhole(self) -> None:
        self._call(self._set_flowing(False))

    def resume(self) -> None:
        self._call(self._set_flowing(True))

    def reset_all(self) -> None:
        self._call(self._terminate(rst=True))

    def close_all(self) -> None:
        self._call(self._terminate(rst=False))

    def refuse(self, on: bool = True) -> None:
        self._call(self._refuse(on))

    def cut_every(self, seconds: float | None) -> None:
        self._call(self._set_cutter(seconds))

    def trip(self, direction: str, packet: str, action: str = "fin", *, after: bool = False) -> None:
        """Arms a one-shot packet-aware fault (see the module docstring)."""
        self._call(self._add_trip(_Trip(direction, packet, action, after)))

    def server_disconnect(self, reason_code: int, reason_string: str | None = None) -> int:
        """Ends every connection the way an MQTT 5 server does when it says why: a DISCONNECT
        with ``reason_code`` (and the reason string, if given) to the client, then a close.
        Returns how many connections it ended. (Over MQTT 3.1.1 a client sees a malformed
        packet: only use it with MQTT 5 clients.)"""
        return self._call(self._server_disconnect(reason_code, reason_string))

    def clear_trips(self) -> None:
        self._call(self._clear_trips())

    def connection_count(self) -> int:
        """Live proxied connections (client side accepted and not yet closed)."""
        return self._call(self._count())

    def wait_connections(self, n: int, timeout: float = 5.0) -> None:
        """Wait until ``connection_count() == n`` (an accepted TCP connect becomes
        visible here only once the proxy's loop has run its handler)."""
        deadline = time.monotonic() + timeout
        while self.connection_count() != n:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self.connection_count()} connections, wanted {n}")
            time.sleep(0.01)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self._call(self._shutdown())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
