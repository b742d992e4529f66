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


class _Link:
    def __init__(self, client_writer: asyncio.StreamWriter) -> None:
        self.cw = client_writer
        self.uw: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None

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
                await self._flowing.wait()
                if not data:  # EOF: half-close the other side
                    if not writer.is_closing() and writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                if direction == "up":
                    self.bytes_up += len(data)
                else:
                    self.bytes_down += len(data)
                await writer.drain()
        except OSError:  # reset/broken pipe on one side: reset the client side too
            await self._flowing.wait()
            reset_connection(link.cw)
            if link.uw is not None:
                link.uw.transport.abort()

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
