"""The few MQTT packets the websocket front reads or writes itself.

It reads the client's CONNECT, MQTT 3.1.1 or 5 (to learn the client id and protocol, and to
refuse it with a CONNACK on demand), writes a CONNECT/DISCONNECT pair to take a client id
over, and, to an MQTT 5 client, a server DISCONNECT that says why.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

CONNECT, CONNACK, DISCONNECT = 1, 2, 14

MQTT5 = 5  # the protocol level byte of an MQTT 5 CONNECT

RC_ACCEPTED = 0
RC_NOT_AUTHORIZED = 5

DISCONNECT_PACKET = bytes([DISCONNECT << 4, 0])


class MqttWireError(Exception):
    pass


def _encode_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet_size(buf: bytes | bytearray) -> int | None:
    """Total size of the first packet in ``buf``; ``None`` while incomplete."""
    if len(buf) < 2:
        return None
    length, mult = 0, 1
    for i in range(1, 5):
        if i >= len(buf):
            return None
        byte = buf[i]
        length += (byte & 0x7F) * mult
        if not byte & 0x80:
            total = 1 + i + length
            return total if len(buf) >= total else None
        mult *= 128
    raise MqttWireError("malformed remaining length")


@dataclass(frozen=True)
class ConnectInfo:
    client_id: str
    keep_alive: int
    clean_session: bool
    protocol_level: int
    username: str | None


def _read_str(data: bytes, pos: int) -> tuple[str, int]:
    if pos + 2 > len(data):
        raise MqttWireError("truncated string")
    (n,) = struct.unpack_from("!H", data, pos)
    end = pos + 2 + n
    if end > len(data):
        raise MqttWireError("truncated string")
    return data[pos + 2:end].decode("utf-8", "replace"), end


def _skip_properties(data: bytes, pos: int) -> int:
    """Past an MQTT 5 property block (its length is a variable byte integer)."""
    length, shift = 0, 0
    for _ in range(4):
        if pos >= len(data):
            raise MqttWireError("truncated properties")
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if pos + length > len(data):
                raise MqttWireError("truncated properties")
            return pos + length
    raise MqttWireError("malformed property length")


def parse_connect(packet: bytes) -> ConnectInfo:
    """Parse a whole CONNECT packet (as delimited by :func:`packet_size`)."""
    if not packet or packet[0] >> 4 != CONNECT:
        raise MqttWireError("first packet is not CONNECT")
    i = 1
    while packet[i] & 0x80:
        i += 1
    pos = i + 1
    name, pos = _read_str(packet, pos)
    if name not in ("MQTT", "MQIsdp") or pos + 4 > len(packet):
        raise MqttWireError(f"unexpected protocol name {name!r}")
    level, flags = packet[pos], packet[pos + 1]
    (keep_alive,) = struct.unpack_from("!H", packet, pos + 2)
    pos += 4
    if level == MQTT5:
        pos = _skip_properties(packet, pos)
    client_id, pos = _read_str(packet, pos)
    if flags & 0x04:  # will (properties), topic, message
        if level == MQTT5:
            pos = _skip_properties(packet, pos)
        _, pos = _read_str(packet, pos)
        _, pos = _read_str(packet, pos)
    username = None
    if flags & 0x80:
        username, pos = _read_str(packet, pos)
    return ConnectInfo(client_id, keep_alive, bool(flags & 0x02), level, username)


def connack(return_code: int, session_present: bool = False) -> bytes:
    return bytes([CONNACK << 4, 2, 1 if session_present else 0, return_code])


def connack_not_authorized(level: int) -> bytes:
    """A refusing CONNACK in the client's protocol: 3.1.1 return code 5, MQTT 5 reason 0x87."""
    if level == MQTT5:
        return bytes([CONNACK << 4, 3, 0, 0x87, 0])
    return connack(RC_NOT_AUTHORIZED)


def disconnect_v5(reason_code: int, reason_string: str | None = None) -> bytes:
    """An MQTT 5 DISCONNECT from a server: the reason code and, when given, the reason string
    property (0x1F)."""
    if not 0 <= reason_code <= 255:
        raise ValueError(f"reason_code must be one byte, got {reason_code}")
    props = b""
    if reason_string:
        text = reason_string.encode("utf-8")
        props = b"\x1f" + struct.pack("!H", len(text)) + text
    body = bytes([reason_code]) + _encode_length(len(props)) + props
    return bytes([DISCONNECT << 4]) + _encode_length(len(body)) + body


def build_connect(client_id: str, keep_alive: int = 60, clean_session: bool = True) -> bytes:
    cid = client_id.encode("utf-8")
    body = (struct.pack("!H", 4) + b"MQTT" + bytes([4, 0x02 if clean_session else 0])
            + struct.pack("!H", keep_alive) + struct.pack("!H", len(cid)) + cid)
    return bytes([CONNECT << 4]) + _encode_length(len(body)) + body


async def take_over(host: str, port: int, client_id: str, *, hold: float = 0.0,
                    timeout: float = 5.0) -> int:
    """Connect to the broker as ``client_id`` (so it closes the existing session with that
    id), optionally stay ``hold`` seconds, then DISCONNECT. Returns the CONNACK code."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(build_connect(client_id))
        await writer.drain()
        head = await asyncio.wait_for(reader.readexactly(4), timeout)
        if head[0] >> 4 != CONNACK:
            raise MqttWireError("broker did not answer CONNACK")
        if hold > 0:
            try:
                await asyncio.wait_for(reader.read(1), hold)  # returns early if kicked back
            except asyncio.TimeoutError:
                pass
        writer.write(DISCONNECT_PACKET)
        await writer.drain()
        return head[3]
    finally:
        writer.close()
