"""A minimal HTTP/1.1 server on loopback for the REST failures the simulator does not make
(5xx, malformed bodies, silence, hang-ups)."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any, Callable

Handler = Callable[[str, str, dict[str, str], bytes], Any]


class FakeHttp:
    """A minimal HTTP/1.1 server on 127.0.0.1 in its own threads (so a library that blocked
    the event loop would time out here, not deadlock).

    ``handler(method, path, headers, body)`` returns ``(status, body_bytes, content_type)``,
    ``"silent"`` (read the request, never answer, keep the socket open) or ``"hangup"``
    (close right after reading the request). ``requests`` records what arrived:
    ``(method, path_with_query, lowercased headers, body bytes)``."""

    def __init__(self, handler: Handler | tuple | str, tls: Any = None) -> None:
        """``tls``: a :class:`~support.tlsca.TestCA` to serve HTTPS with its server certificate."""
        self._tls = None
        if tls is not None:
            import ssl

            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(tls.cert_path, tls.key_path)
        if not callable(handler):
            fixed = handler
            handler = lambda *_: fixed  # noqa: E731
        self.handler = handler
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.accepted = 0
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name="FakeHttp")
        self._thread.start()

    @property
    def url(self) -> str:
        if self._tls is not None:  # the test CA's certificate names localhost
            return f"https://localhost:{self.port}/api/v2.1"
        return f"http://127.0.0.1:{self.port}/api/v2.1"

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.accepted += 1
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.requests.append((method, target, headers, body))
            answer = self.handler(method, target, headers, body)
            if answer == "silent":
                self._stop.wait()
                return
            if answer == "hangup":
                return
            status, payload, ctype = answer
            if isinstance(payload, (dict, list)):
                payload = json.dumps(payload).encode()
            conn.sendall(
                f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n\r\n".encode() + payload)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass
