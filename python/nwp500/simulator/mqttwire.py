"""The few MQTT 3.1.1 packets the websocket front reads or writes itself.

It reads the client's CONNECT (to learn the client id, and to refuse it with CONNACK 5 on
demand), and writes a CONNECT/DISCONNECT pair to take a client id over.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

CONNECT, CONNACK, DISCONNECT = 1, 2, 14

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
    client_id, pos = _read_str(packet, pos)
    if flags & 0x04:  # will topic + will message
        _, pos = _read_str(packet, pos)
        _, pos = _read_str(packet, pos)
    username = None
    if flags & 0x80:
        username, pos = _read_str(packet, pos)
    return ConnectInfo(client_id, keep_alive, bool(flags & 0x02), level, username)


def connack(return_code: int, session_present: bool = False) -> bytes:
    return bytes([CONNACK << 4, 2, 1 if session_present else 0, return_code])


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
