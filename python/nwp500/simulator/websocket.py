"""RFC 6455 server side: the upgrade answer and the frame codec.

Client frames must be masked; server frames are sent unmasked. Fragmented messages
(continuation frames) are reported frame by frame: for MQTT the websocket only carries a
byte stream, so message boundaries do not matter to the bridge.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
from dataclasses import dataclass

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
CONTROL_OPS = (OP_CLOSE, OP_PING, OP_PONG)
DATA_OPS = (OP_CONT, OP_TEXT, OP_BINARY)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_TOO_BIG = 1009

MAX_FRAME = 1024 * 1024  # well above AWS IoT's 128 KiB payload limit


class WsProtocolError(Exception):
    def __init__(self, message: str, code: int = CLOSE_PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.code = code


def accept_key(client_key: str) -> str:
    digest = hashlib.sha1((client_key.strip() + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def valid_client_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key.strip(), validate=True)) == 16
    except (ValueError, TypeError):
        return False


def upgrade_problem(method: str, headers: dict[str, str]) -> tuple[int, str] | None:
    """Why a request (lower-case header names) is not a valid websocket upgrade, or ``None``."""
    if method != "GET":
        return 405, "websocket upgrade needs GET"
    if "websocket" not in headers.get("upgrade", "").lower() or \
            "upgrade" not in headers.get("connection", "").lower():
        return 400, "not a websocket upgrade"
    if headers.get("sec-websocket-version") != "13":
        return 426, "websocket version 13 only"
    if not valid_client_key(headers.get("sec-websocket-key", "")):
        return 400, "bad Sec-WebSocket-Key"
    return None


def switching_protocols(headers: dict[str, str], subprotocol: str) -> bytes:
    """The ``101`` answer; echoes ``subprotocol`` if the client offered it."""
    lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Accept: {accept_key(headers.get('sec-websocket-key', ''))}"]
    offered = [p.strip().lower() for p in headers.get("sec-websocket-protocol", "").split(",")]
    if subprotocol in offered:
        lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class Frame:
    fin: bool
    opcode: int
    payload: bytes


def _unmask(data: bytes, mask: bytes) -> bytes:
    if not data:
        return data
    n = len(data)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")


async def read_frame(reader: asyncio.StreamReader, *, require_mask: bool = True,
                     max_size: int = MAX_FRAME) -> Frame:
    """Read one frame. Raises ``asyncio.IncompleteReadError`` on EOF, or WsProtocolError."""
    b0, b1 = await reader.readexactly(2)
    fin, rsv, opcode = bool(b0 & 0x80), b0 & 0x70, b0 & 0x0F
    masked, length = bool(b1 & 0x80), b1 & 0x7F
    if rsv:
        raise WsProtocolError("reserved bits set without an extension")
    if opcode not in DATA_OPS + CONTROL_OPS:
        raise WsProtocolError(f"unknown opcode {opcode:#x}")
    if require_mask and not masked:
        raise WsProtocolError("client frame not masked")
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    if opcode in CONTROL_OPS and (length > 125 or not fin):
        raise WsProtocolError("control frame too long or fragmented")
    if length > max_size:
        raise WsProtocolError("frame too large", CLOSE_TOO_BIG)
    mask = await reader.readexactly(4) if masked else b""
    payload = await reader.readexactly(length)
    return Frame(fin, opcode, _unmask(payload, mask) if masked else payload)


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True) -> bytes:
    """One unmasked (server) frame."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(n)
    elif n < 1 << 16:
        head.append(126)
        head += struct.pack("!H", n)
    else:
        head.append(127)
        head += struct.pack("!Q", n)
    return bytes(head) + payload


def close_frame(code: int = CLOSE_NORMAL, reason: str = "") -> bytes:
    return encode_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8")[:120])


def encode_client_frame(opcode: int, payload: bytes, mask: bytes, *, fin: bool = True) -> bytes:
    """A masked (client) frame; used by the tests to speak to the front by hand."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head.append(0x80 | 126)
        head += struct.pack("!H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack("!Q", n)
    return bytes(head) + mask + _unmask(payload, mask)


class StreamState:
    """Tracks fragmentation across frames so protocol violations are caught."""

    def __init__(self) -> None:
        self.in_message = False
        self.message_opcode = 0

    def check(self, frame: Frame) -> None:
        if frame.opcode in CONTROL_OPS:
            return
        if frame.opcode == OP_CONT:
            if not self.in_message:
                raise WsProtocolError("continuation frame outside a message")
        elif self.in_message:
            raise WsProtocolError("new data frame inside a fragmented message")
        else:
            self.message_opcode = frame.opcode
        self.in_message = not frame.fin
