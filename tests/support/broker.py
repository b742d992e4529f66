"""Real mosquitto brokers for tests.

* :class:`Mosquitto` -- plain TCP (and optionally TCP+TLS) listeners on 127.0.0.1,
  on free ports chosen at first start and kept across :meth:`restart`.
* :class:`WsMosquitto` -- a broker inside a private network namespace
  (:class:`support.netns.NetNamespace`) with a websockets listener on 8080, an
  optional websockets+TLS listener on 8443 and a plain TCP listener on 1883, all
  reached from the host at the namespace address (198.51.100.2 when free).
  mosquitto's websockets listeners ignore their bind address, hence the namespace.

Both run ``mosquitto -c <tmpdir>/mosquitto.conf`` with ``user root`` and
``log_type all`` into ``<tmpdir>/mosquitto.log`` and are killed by pid: by
``stop()``/``kill()``, the context manager, ``__del__`` and an atexit hook.

Log parsing (``client_ids_connected``, ``count_connections``): mosquitto 2.0.11
has no per-client ``$SYS`` topics, so connection state is read from its log.
What the log can tell:
  * every accepted CONNECT ("New client connected from A as ID (...)") -- exact;
  * most ends of a connection: DISCONNECT received, socket closed/errored,
    keep-alive timeout, protocol error, takeover by a new connection with the same
    id ("already connected, closing old connection").
What it cannot (so live counts are best effort):
  * client ids containing whitespace (the parser takes the first token);
  * which of two simultaneous connections with one id ended (only ids are logged);
  * the exact moment a connection ends: a client killed without FIN/RST is still
    "connected" until mosquitto notices (keep-alive x 1.5);
  * connections refused by authentication never count as connected (correct), but
    their "disconnected, not authorised" line carries the attempted id, so counts
    are clamped at 0.
Only log lines written since the most recent start are considered.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections import Counter
from typing import Sequence

from .netns import NetNamespace
from .tlsca import TestCA

_live: "weakref.WeakSet[_BrokerBase]" = weakref.WeakSet()

_CONNECTED_RE = re.compile(r"New client connected from \S+ as (\S+) \(")
_GONE_RE = re.compile(
    r"Client (\S+) (?:disconnected|closed its connection|has exceeded timeout"
    r"|has been disconnected|already connected, closing old connection)"
    r"|Socket error on client (\S+), disconnecting"
    r"|Bad socket read/write on client (\S+):"
)


class AddressInUse(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _tcp_accepts(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class _BrokerBase:
    """Process, config and log handling shared by both broker kinds."""

    def __init__(self, *, ca: TestCA | None, password_file: str | None,
                 users: dict[str, str] | None, allow_anonymous: bool, extra_config: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="nwp500-mosq-")
        self.conf_path = os.path.join(self.dir, "mosquitto.conf")
        self.log_path = os.path.join(self.dir, "mosquitto.log")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self._owns_ca = False
        self.ca = ca
        self.allow_anonymous = allow_anonymous
        self.extra_config = extra_config
        self.password_file = password_file
        if users:
            self.password_file = os.path.join(self.dir, "passwd")
            for i, (user, pw) in enumerate(users.items()):
                subprocess.run(["mosquitto_passwd", "-b", *(["-c"] if i == 0 else []),
                                self.password_file, user, pw], check=True, capture_output=True)
        self._proc: subprocess.Popen | None = None
        self._log_offset = 0
        self._closed = False
        self._started_once = False
        _live.add(self)

    def _need_ca(self) -> TestCA:
        if self.ca is None:
            self.ca, self._owns_ca = TestCA(), True
        return self.ca

    # -- to be provided by subclasses --------------------------------------
    def _listener_config(self) -> list[str]:
        raise NotImplementedError

    def _popen(self, argv: Sequence[str], **kw) -> subprocess.Popen:
        return subprocess.Popen(list(argv), **kw)

    def _endpoints(self) -> list[tuple[str, int]]:
        """(host, port) pairs that must accept TCP from the test process."""
        raise NotImplementedError

    def _pick_ports(self) -> None:
        """Choose new ports after an address clash at first start (if allowed)."""
        raise AddressInUse("fixed port(s) in use")

    # -- lifecycle -----------------------------------------------------------
    def _write_config(self) -> None:
        lines = [
            "persistence false",
            f"log_dest file {self.log_path}",
            "log_type all",
            "user root",
            f"allow_anonymous {'true' if self.allow_anonymous else 'false'}",
        ]
        if self.password_file:
            lines.append(f"password_file {self.password_file}")
        lines += self._listener_config()
        if self.extra_config:
            lines.append(self.extra_config)
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _launch_once(self, timeout: float) -> None:
        self._write_config()
        self._log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        err_offset = os.path.getsize(self.stderr_path) if os.path.exists(self.stderr_path) else 0
        with open(self.stderr_path, "ab") as err:
            self._proc = self._popen(["mosquitto", "-c", self.conf_path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=err)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                with open(self.stderr_path, errors="replace") as f:
                    f.seek(err_offset)
                    text = self.log_text() + f.read()
                if "Address already in use" in text:
                    raise AddressInUse(text)
                raise RuntimeError(f"mosquitto exited with {self._proc.returncode}:\n{text}")
            if re.search(r"mosquitto version \S+ running", self.log_text()) and all(
                    _tcp_accepts(h, p) for h, p in self._endpoints()):
                return
            time.sleep(0.02)
        self.kill()
        raise TimeoutError(f"mosquitto not ready within {timeout}s:\n{self.log_text()}")

    def start(self, timeout: float = 10.0, bind_retry: float = 0.0) -> "_BrokerBase":
        """Start and wait until every listener accepts TCP (within ``timeout``).
        If the port is taken, retry for ``bind_retry`` seconds (restart uses 5 s);
        at first start auto-chosen ports are simply re-picked."""
        if self._closed:
            raise RuntimeError("broker closed")
        if self.running:
            return self
        retry_until = time.monotonic() + bind_retry
        attempts = 0
        while True:
            try:
                self._launch_once(timeout)
                self._started_once = True
                return self
            except AddressInUse:
                attempts += 1
                if not self._started_once and attempts < 20:
                    self._pick_ports()  # raises if ports were fixed by the caller
                    continue
                if time.monotonic() >= retry_until:
                    raise
                time.sleep(0.1)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, SIGKILL after ``timeout``; returns once the process is reaped."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def kill(self) -> None:
        """SIGKILL (no clean shutdown; clients see their sockets die)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def restart(self, timeout: float = 10.0) -> "_BrokerBase":
        """stop() then start() on the same port(s), retrying bind for up to 5 s."""
        self.stop()
        return self.start(timeout=timeout, bind_retry=5.0)

    def close(self) -> None:
        """Stop and remove the temp dir (and an owned CA)."""
        self.stop()
        self._closed = True
        _live.discard(self)
        shutil.rmtree(self.dir, ignore_errors=True)
        if self._owns_ca and self.ca is not None:
            self.ca.cleanup()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.kill()
        except Exception:
            pass

    # -- log -------------------------------------------------------------------
    def log_text(self, since_start: bool = True) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                if since_start:
                    f.seek(self._log_offset)
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text(since_start=False).splitlines()[-lines:])

    def wait_for_log(self, pattern: str, timeout: float = 5.0) -> re.Match:
        """Wait until regex ``pattern`` appears in the log since the last start."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log_text())
            if m:
                return m
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{pattern!r} not in broker log within {timeout}s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.02)

    def client_ids_connected(self) -> dict[str, int]:
        """Best effort: {client id: live connections} since the last start
        (see module docstring for what the log can and cannot tell)."""
        live: Counter[str] = Counter()
        for line in self.log_text().splitlines():
            m = _CONNECTED_RE.search(line)
            if m:
                live[m.group(1)] += 1
                continue
            m = _GONE_RE.search(line)
            if m:
                cid = next(g for g in m.groups() if g is not None)
                if live[cid] > 0:
                    live[cid] -= 1
        return {cid: n for cid, n in live.items() if n > 0}

    def count_connections(self, client_id: str) -> int:
        """Exact: number of accepted CONNECTs with ``client_id`` since the last start."""
        return sum(1 for m in _CONNECTED_RE.finditer(self.log_text()) if m.group(1) == client_id)

    def wait_connected(self, client_id: str, live: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``client_ids_connected().get(client_id, 0) == live``."""
        deadline = time.monotonic() + timeout
        while self.client_ids_connected().get(client_id, 0) != live:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{client_id!r} not at {live} live connection(s) after "
                                   f"{timeout}s: {self.client_ids_connected()}\n{self.log_tail()}")
            time.sleep(0.02)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pid={self.pid} running={self.running} dir={self.dir}>"


class Mosquitto(_BrokerBase):
    """mosquitto on 127.0.0.1.

    ``Mosquitto(port=None, *, tls=False, ca=None, tls_port=None, password_file=None,
    users=None, allow_anonymous=True, extra_config="")``

    ``users={"name": "password"}`` writes a password file with ``mosquitto_passwd``.
    With ``allow_anonymous=False`` and no users, every CONNECT is refused with
    "not authorised" (CONNACK 5 / reason 0x87). ``tls=True`` adds a TCP+TLS
    listener with the server certificate of ``ca`` (a :class:`TestCA`; one is
    created if omitted).
    """

    def __init__(self, port: int | None = None, *, tls: bool = False, ca: TestCA | None = None,
                 tls_port: int | None = None, password_file: str | None = None,
                 users: dict[str, str] | None = None, allow_anonymous: bool = True,
                 extra_config: str = "") -> None:
        super().__init__(ca=ca, password_file=password_file, users=users,
                         allow_anonymous=allow_anonymous, extra_config=extra_config)
        self.host = "127.0.0.1"
        self.tls = tls
        if tls:
            self._need_ca()
        self._fixed_ports = port is not None or (tls and tls_port is not None)
        self._port = port or free_port()
        self._tls_port = (tls_port or free_port()) if tls else None

    def _pick_ports(self) -> None:
        if self._fixed_ports:
            raise AddressInUse(f"port {self._port}/{self._tls_port} in use")
        self._port = free_port()
        self._tls_port = free_port() if self.tls else None

    def _listener_config(self) -> list[str]:
        lines = [f"listener {self._port} {self.host}"]
        if self.tls:
            lines += [f"listener {self._tls_port} {self.host}", f"certfile {self.ca.cert_path}",
                      f"keyfile {self.ca.key_path}", f"cafile {self.ca.ca_path}"]
        return lines

    def _endpoints(self) -> list[tuple[str, int]]:
        return [(self.host, p) for p in (self._port, self._tls_port) if p]

    @property
    def port(self) -> int:
        return self._port

    @property
    def tls_port(self) -> int | None:
        return self._tls_port

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self._port}"

    @property
    def tls_url(self) -> str:
        if not self.tls:
            raise AttributeError("broker has no TLS listener (tls=False)")
        return f"mqtts://localhost:{self._tls_port}"


class WsMosquitto(_BrokerBase):
    """mosquitto inside a private network namespace, reached at ``ns_addr``.

    ``WsMosquitto(*, tls=False, ca=None, netns=None, tcp=True, password_file=None,
    users=None, allow_anonymous=True, extra_config="")``

    Listeners: websockets on 8080 (``ws_url``), websockets+TLS on 8443 with ``ca``'s
    server certificate if ``tls`` (``wss_url``), plain MQTT on 1883 if ``tcp``
    (``url``). A namespace is created (and deleted by :meth:`close`) unless one is
    passed in. ``NetNamespace.unavailable_reason()`` tells why this cannot work.
    """

    WS_PORT, WSS_PORT, TCP_PORT = 8080, 8443, 1883

    def __init__(self, *, tls: bool = False, ca: TestCA | None = None,
                 netns: NetNamespace | None = None, tcp: bool = True,
                 password_file: str | None = None, users: dict[str, str] | None = None,
                 allow_anonymous: bool = True, extra_config: str = "") -> None:
        super().__init__(ca=ca, password_file=password_file, users=users,
                         allow_anonymous=allow_anonymous, extra_config=extra_config)
        self.tls, self.tcp = tls, tcp
        if tls:
            self._need_ca()
        self._owns_ns = netns is None
        self.netns = netns or NetNamespace()
        self.host = self.netns.ns_addr

    def _popen(self, argv: Sequence[str], **kw) -> subprocess.Popen:
        return self.netns.run(argv, **kw)

    def _listener_config(self) -> list[str]:
        lines = [f"listener {self.WS_PORT}", "protocol websockets"]
        if self.tls:
            lines += [f"listener {self.WSS_PORT}", "protocol websockets",
                      f"certfile {self.ca.cert_path}", f"keyfile {self.ca.key_path}",
                      f"cafile {self.ca.ca_path}"]
        if self.tcp:
            lines += [f"listener {self.TCP_PORT}", "protocol mqtt"]
        return lines

    def _endpoints(self) -> list[tuple[str, int]]:
        ports = [self.WS_PORT] + [self.WSS_PORT] * self.tls + [self.TCP_PORT] * self.tcp
        return [(self.host, p) for p in ports]

    def close(self) -> None:
        super().close()
        if self._owns_ns:
            self.netns.delete()

    @property
    def ws_port(self) -> int:
        return self.WS_PORT

    @property
    def wss_port(self) -> int | None:
        return self.WSS_PORT if self.tls else None

    @property
    def port(self) -> int | None:
        return self.TCP_PORT if self.tcp else None

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.WS_PORT}/mqtt"

    @property
    def wss_url(self) -> str:
        if not self.tls:
            raise AttributeError("broker has no websockets+TLS listener (tls=False)")
        return f"wss://{self.host}:{self.WSS_PORT}/mqtt"

    @property
    def url(self) -> str:
        if not self.tcp:
            raise AttributeError("broker has no plain TCP listener (tcp=False)")
        return f"mqtt://{self.host}:{self.TCP_PORT}"


@atexit.register
def _kill_all() -> None:
    for broker in list(_live):
        try:
            broker.kill()
        except Exception:
            pass
