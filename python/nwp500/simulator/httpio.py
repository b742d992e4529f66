"""Minimal HTTP/1.1 on asyncio streams: read one request, write one response.

Just enough for the simulator's REST API, its control endpoint and the websocket upgrade:
request line + headers, ``Content-Length`` or chunked bodies, keep-alive. No TLS, no
pipelining beyond reading requests one after another on a connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit

_log = logging.getLogger("nwp500.simulator.http")

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024


class HttpError(Exception):
    """A request the server cannot accept; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, first value of each (``+`` and ``%xx`` decoded)."""
        out: dict[str, str] = {}
        for key, value in parse_qsl(self.raw_query, keep_blank_values=True):
            out.setdefault(key, value)
        return out

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def keep_alive(self) -> bool:
        conn = self.header("connection").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    def json(self) -> Any:
        """The body as JSON; an empty body is ``{}``. Raises :class:`HttpError` (400)."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HttpError(400, f"body is not JSON: {exc}") from None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False

    def encode(self, keep_alive: bool) -> bytes:
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Status"
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        headers = {"Server": "nwp500-simulator", "Content-Length": str(len(self.body))}
        if self.body or self.status >= 200:
            headers["Content-Type"] = self.content_type
        headers.update(self.headers)
        headers["Connection"] = "keep-alive" if keep_alive and not self.close else "close"
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def json_response(status: int, obj: Any, **kw: Any) -> Response:
    return Response(status, json.dumps(obj).encode("utf-8"), "application/json", **kw)


def text_response(status: int, text: str, **kw: Any) -> Response:
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8", **kw)


async def read_head(reader: asyncio.StreamReader) -> tuple[str, str, str, dict[str, str]] | None:
    """Read a request line and headers. ``None`` on a clean EOF before any byte."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise HttpError(400, "connection closed inside the request head") from None
    except asyncio.LimitOverrunError:
        raise HttpError(431, "request head too large") from None
    if len(raw) > MAX_HEADER_BYTES:
        raise HttpError(431, "request head too large")
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    while lines and not lines[0]:  # tolerate stray CRLF between requests
        lines.pop(0)
    try:
        method, target, version = lines[0].split(" ")
    except (ValueError, IndexError):
        raise HttpError(400, "malformed request line") from None
    if not version.startswith("HTTP/1."):
        raise HttpError(505, "HTTP/1.x only")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or name != name.strip():
            raise HttpError(400, "malformed header line")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return method.upper(), target, version, headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise HttpError(400, "bad chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return bytes(body)
        if len(body) + size > MAX_BODY_BYTES:
            raise HttpError(413, "body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def read_request(reader: asyncio.StreamReader, *, with_body: bool = True) -> Request | None:
    """Read one whole request (``None`` on EOF between requests)."""
    head = await read_head(reader)
    if head is None:
        return None
    method, target, version, headers = head
    req = Request(method, target, version, headers)
    if not with_body:
        return req
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            req.body = await _read_chunked(reader)
        elif headers.get("content-length"):
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise HttpError(400, "bad Content-Length") from None
            if length < 0 or length > MAX_BODY_BYTES:
                raise HttpError(413, "body too large")
            req.body = await reader.readexactly(length)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        raise HttpError(400, "connection closed inside the request body") from None
    return req


Handler = Callable[[Request], Awaitable[Response]]


class HttpServer:
    """Serves ``handler`` on 127.0.0.1 with keep-alive; ``stop()`` closes every connection."""

    def __init__(self, handler: Handler, *, name: str = "http") -> None:
        self.handler = handler
        self.name = name
        self.port = 0
        self.requests_total = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    req = await asyncio.wait_for(read_request(reader), 120)
                except HttpError as exc:
                    writer.write(json_response(exc.status, {"code": exc.status, "msg": exc.message,
                                                            "data": None}).encode(False))
                    await writer.drain()
                    return
                if req is None:
                    return
                self.requests_total += 1
                try:
                    resp = await self.handler(req)
                except HttpError as exc:
                    resp = json_response(exc.status, {"code": exc.status, "msg": exc.message, "data": None})
                except Exception as exc:  # noqa: BLE001 - answer 500, keep serving
                    _log.exception("%s: %s %s failed", self.name, req.method, req.path)
                    resp = json_response(500, {"code": 500, "msg": f"SERVER_ERROR: {exc}", "data": None},
                                         close=True)
                keep = req.keep_alive and not resp.close
                writer.write(resp.encode(keep))
                await writer.drain()
                if not keep:
                    return
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()
