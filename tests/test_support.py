"""Tests of the test-support code itself: real mosquitto, real sockets, real netns."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time

import pytest

from support import FaultProxy, Mosquitto, NetNamespace, TestCA
from support.broker import free_port

PINGREQ, PINGRESP = b"\xc0\x00", b"\xd0\x00"


# -- raw MQTT 3.1.1 helpers -------------------------------------------------------
def _str(s: str) -> bytes:
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet(client_id: str, username: str | None = None, password: str | None = None,
                   keepalive: int = 60) -> bytes:
    flags = 0x02 | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    body = _str("MQTT") + bytes([4, flags]) + keepalive.to_bytes(2, "big") + _str(client_id)
    if username is not None:
        body += _str(username)
    if password is not None:
        body += _str(password)
    return b"\x10" + _remaining_length(len(body)) + body


def recv_exact(sock: socket.socket, n: int, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"EOF after {buf!r}")
        buf += chunk
    return buf


def mqtt_session(host: str, port: int, client_id: str, **kw) -> socket.socket:
    """TCP connect + CONNECT; asserts an accepting CONNACK."""
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(connect_packet(client_id, **kw))
    assert recv_exact(sock, 4) == b"\x20\x02\x00\x00"
    return sock


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def run(cmd: list[str], timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def wait_until(pred, timeout: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not met within {timeout}s")
        time.sleep(0.01)


# -- broker --------------------------------------------------------------------------
def test_broker_pub_sub_with_cli(broker):
    sub = subprocess.Popen(["mosquitto_sub", "-p", str(broker.port), "-t", "t/1", "-C", "1",
                            "-i", "cli-sub", "-W", "10"], stdout=subprocess.PIPE, text=True)
    try:
        broker.wait_connected("cli-sub")
        broker.wait_for_log(r"Sending SUBACK to cli-sub")
        r = run(["mosquitto_pub", "-p", str(broker.port), "-t", "t/1", "-m", "hello", "-q", "1"])
        assert r.returncode == 0, r.stderr
        out, _ = sub.communicate(timeout=10)
        assert out.strip() == "hello"
    finally:
        sub.kill()
        sub.wait()
    assert broker.url == f"mqtt://127.0.0.1:{broker.port}"


def test_broker_restart_keeps_port(broker):
    port, pid = broker.port, broker.pid
    s = mqtt_session("127.0.0.1", port, "before-restart")  # leaves a TIME_WAIT behind
    broker.restart()
    assert broker.port == port and broker.pid != pid and broker.running
    s.settimeout(5)
    assert s.recv(1) == b""  # broker's clean shutdown closed our connection
    s.close()
    mqtt_session("127.0.0.1", port, "after-restart").close()
    assert broker.count_connections("before-restart") == 0  # log is read since last start
    assert broker.count_connections("after-restart") == 1


def test_broker_kill_and_start_again(broker):
    s = mqtt_session("127.0.0.1", broker.port, "victim")
    broker.kill()
    assert not broker.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", broker.port), timeout=2)
    s.close()
    broker.start()
    mqtt_session("127.0.0.1", broker.port, "again").close()


def test_log_parsing_live_connections_and_takeover(broker):
    a = mqtt_session("127.0.0.1", broker.port, "dev-1")
    b = mqtt_session("127.0.0.1", broker.port, "dev-2")
    assert broker.client_ids_connected() == {"dev-1": 1, "dev-2": 1}
    # same client id again: mosquitto closes the old connection (session takeover)
    a2 = mqtt_session("127.0.0.1", broker.port, "dev-1")
    a.settimeout(5)
    assert a.recv(1) == b""
    assert broker.client_ids_connected() == {"dev-1": 1, "dev-2": 1}
    assert broker.count_connections("dev-1") == 2
    b.sendall(b"\xe0\x00")  # DISCONNECT
    broker.wait_connected("dev-2", live=0)
    a2.close()  # FIN without DISCONNECT
    broker.wait_connected("dev-1", live=0)
    assert broker.client_ids_connected() == {}
    a.close()
    b.close()


def test_broker_refuses_bad_credentials(_mosquitto_installed):
    with Mosquitto(users={"alice": "s3cret"}, allow_anonymous=False) as b:
        r = run(["mosquitto_pub", "-p", str(b.port), "-t", "x", "-m", "1", "-u", "alice",
                 "-P", "wrong"])
        assert r.returncode != 0 and "not authori" in r.stderr.lower(), r.stderr
        with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
            s.sendall(connect_packet("anon"))
            assert recv_exact(s, 4) == b"\x20\x02\x00\x05"  # CONNACK: not authorized
        mqtt_session("127.0.0.1", b.port, "ok", username="alice", password="s3cret").close()
        b.wait_connected("ok", live=0)
        assert b.client_ids_connected() == {}  # refused attempts never counted
        assert b.count_connections("anon") == 0 and "alice" not in b.client_ids_connected()
        assert b.count_connections("ok") == 1


def test_tls_broker(tls_broker, test_ca):
    assert tls_broker.tls_url == f"mqtts://localhost:{tls_broker.tls_port}"
    ctx = test_ca.ssl_context()
    with socket.create_connection(("127.0.0.1", tls_broker.tls_port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(connect_packet("tls-raw"))
            assert recv_exact(s, 4) == b"\x20\x02\x00\x00"
    with socket.create_connection(("127.0.0.1", tls_broker.tls_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):  # default trust store: unknown CA
            ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
    r = run(["mosquitto_pub", "-h", "localhost", "-p", str(tls_broker.tls_port), "--cafile",
             test_ca.ca_path, "-t", "x", "-m", "1"])
    assert r.returncode == 0, r.stderr
    mqtt_session("127.0.0.1", tls_broker.port, "plain-too").close()


def test_ca_files(tmp_path):
    with TestCA(extra_dns=["broker.test"]) as ca:
        for p in (ca.ca_path, ca.cert_path, ca.key_path, ca.bundle_path):
            assert read(p).startswith("-----BEGIN")
        assert read(ca.bundle_path).startswith(read(ca.ca_path))
        assert "198.51.100.2" in ca.ip_addresses and "127.0.0.1" in ca.ip_addresses


# -- fault proxy ------------------------------------------------------------------------
def test_proxy_forwards(broker, fault_proxy):
    p = fault_proxy()
    s = mqtt_session(*p.address, "via-proxy")
    s.sendall(PINGREQ)
    assert recv_exact(s, 2) == PINGRESP
    p.wait_connections(1)
    assert p.accepted_total == 1
    assert p.bytes_up == len(connect_packet("via-proxy")) + 2 and p.bytes_down == 6
    broker.wait_connected("via-proxy")
    s.close()
    p.wait_connections(0)
    broker.wait_connected("via-proxy", live=0)


def test_proxy_blackhole_and_resume(broker, fault_proxy):
    p = fault_proxy()
    s = mqtt_session(*p.address, "bh")
    p.blackhole()
    s.sendall(PINGREQ)
    s.settimeout(0.5)
    with pytest.raises(socket.timeout):
        s.recv(2)
    s.getpeername()  # still connected, nothing closed
    # a new connection is accepted, but nothing reaches the broker
    s2 = socket.create_connection(p.address, timeout=5)
    s2.sendall(connect_packet("bh-new"))
    s2.settimeout(0.3)
    with pytest.raises(socket.timeout):
        s2.recv(4)
    p.wait_connections(2)
    assert broker.count_connections("bh-new") == 0
    p.resume()  # held data goes through now
    assert recv_exact(s, 2) == PINGRESP
    assert recv_exact(s2, 4) == b"\x20\x02\x00\x00"
    s.close()
    s2.close()


def test_proxy_reset_all(broker, fault_proxy):
    p = fault_proxy()
    s = mqtt_session(*p.address, "rst")
    broker.wait_connected("rst")
    p.reset_all()
    s.settimeout(5)
    with pytest.raises(ConnectionResetError):
        s.recv(1)
    s.close()
    assert p.connection_count() == 0
    broker.wait_connected("rst", live=0)  # upstream closed too


def test_proxy_reset_all_while_blackholed(broker, fault_proxy):
    p = fault_proxy()
    s = mqtt_session(*p.address, "rst-bh")
    p.blackhole()
    p.reset_all()
    s.settimeout(5)
    with pytest.raises(ConnectionResetError):
        s.recv(1)
    s.close()


def test_proxy_close_all(broker, fault_proxy):
    p = fault_proxy()
    s = mqtt_session(*p.address, "fin")
    p.close_all()
    s.settimeout(5)
    assert s.recv(1) == b""
    s.close()
    assert p.connection_count() == 0


def test_proxy_refuse(broker, fault_proxy):
    p = fault_proxy()
    port = p.port
    live = mqtt_session(*p.address, "survivor")
    p.refuse(True)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(p.address, timeout=2)
    live.sendall(PINGREQ)  # existing connections are untouched
    assert recv_exact(live, 2) == PINGRESP
    p.refuse(False)
    assert p.port == port
    mqtt_session(*p.address, "after-refuse").close()
    live.close()


def test_proxy_cut_every(broker, fault_proxy):
    p = fault_proxy()
    p.cut_every(0.2)
    try:
        for i in range(2):
            s = mqtt_session(*p.address, f"cut-{i}")
            s.settimeout(5)
            assert s.recv(1) == b""  # cut within the period
            s.close()
    finally:
        p.cut_every(None)
    s = mqtt_session(*p.address, "uncut")
    s.settimeout(0.5)
    with pytest.raises(socket.timeout):
        s.recv(1)
    s.close()


def test_proxy_upstream_down_resets_client(broker, fault_proxy):
    p = fault_proxy()
    broker.kill()
    s = socket.create_connection(p.address, timeout=5)
    s.settimeout(5)
    with pytest.raises(ConnectionResetError):
        s.recv(1)
    s.close()


def test_proxy_to_arbitrary_target():
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        with FaultProxy(*srv.getsockname()) as p:
            c = socket.create_connection(p.address, timeout=5)
            srv.settimeout(5)
            conn, _ = srv.accept()
            c.sendall(b"ping")
            assert recv_exact(conn, 4) == b"ping"
            conn.sendall(b"pong")
            assert recv_exact(c, 4) == b"pong"
            c.shutdown(socket.SHUT_WR)  # half-close is forwarded as EOF
            conn.settimeout(5)
            assert conn.recv(1) == b""
            conn.sendall(b"late")
            assert recv_exact(c, 4) == b"late"
            c.close()
            conn.close()


# -- network namespace + websockets broker -------------------------------------------
needs_netns = pytest.mark.skipif(not NetNamespace.available(),
                                 reason=f"netns unavailable: {NetNamespace.unavailable_reason()}")


@needs_netns
def test_netns_lifecycle():
    forward_before = read("/proc/sys/net/ipv4/ip_forward")
    ns = NetNamespace()
    try:
        assert ns.name in run(["ip", "netns", "list"]).stdout
        assert ns.ns_addr.startswith("198.51.100.") and len(ns.host_if) <= 15
        proc = ns.run(["sleep", "60"])
        assert proc.pid in ns.pids()
        assert "default" not in ns.check_output(["ip", "route"])
    finally:
        ns.delete()
    assert proc.poll() is not None
    assert ns.name not in run(["ip", "netns", "list"]).stdout
    assert ns.host_if not in run(["ip", "link"]).stdout
    assert read("/proc/sys/net/ipv4/ip_forward") == forward_before


def _ws_upgrade(sock: socket.socket, host: str) -> bytes:
    sock.sendall((f"GET /mqtt HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n").encode())
    sock.settimeout(5)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def _ws_send(sock: socket.socket, payload: bytes) -> None:
    assert len(payload) < 126
    mask = b"\x01\x02\x03\x04"
    sock.sendall(bytes([0x82, 0x80 | len(payload)]) + mask
                 + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))


def _ws_recv(sock: socket.socket) -> bytes:
    op, ln = recv_exact(sock, 2)
    assert op == 0x82 and ln < 126  # unmasked binary frame from the server
    return recv_exact(sock, ln)


@pytest.mark.slow
def test_ws_broker_in_netns(ws_broker, test_ca):
    host = ws_broker.host
    assert ws_broker.ws_url == f"ws://{host}:8080/mqtt"
    assert ws_broker.wss_url == f"wss://{host}:8443/mqtt"
    with socket.create_connection((host, 8080), timeout=5) as s:
        assert _ws_upgrade(s, f"{host}:8080").startswith(b"HTTP/1.1 101")
        _ws_send(s, connect_packet("ws-raw"))  # MQTT over the websocket
        assert _ws_recv(s) == b"\x20\x02\x00\x00"
        ws_broker.wait_connected("ws-raw")
    with socket.create_connection((host, 8443), timeout=5) as raw:
        with test_ca.ssl_context().wrap_socket(raw, server_hostname=host) as s:
            assert _ws_upgrade(s, f"{host}:8443").startswith(b"HTTP/1.1 101")
    r = run(["mosquitto_pub", "-h", host, "-p", "1883", "-t", "x", "-m", "1", "-i", "ns-pub"])
    assert r.returncode == 0, r.stderr
    assert ws_broker.count_connections("ns-pub") == 1

    pid = f"pid={ws_broker.pid},"
    inside = ws_broker.netns.check_output(["ss", "-ltnpH"])
    assert any(":8080 " in l and pid in l for l in inside.splitlines()), inside
    host_side = run(["ss", "-ltnpH"]).stdout
    assert not any(":8080 " in l and pid in l for l in host_side.splitlines()), host_side
    assert not any(pid in l for l in host_side.splitlines())


@pytest.mark.slow
def test_ws_broker_restart(ws_broker):
    pid = ws_broker.pid
    ws_broker.restart()
    assert ws_broker.pid != pid
    with socket.create_connection((ws_broker.host, 8080), timeout=5) as s:
        assert _ws_upgrade(s, ws_broker.host).startswith(b"HTTP/1.1 101")
    ws_broker.kill()
    with pytest.raises(OSError):
        socket.create_connection((ws_broker.host, 8080), timeout=2)
