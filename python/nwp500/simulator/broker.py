"""The simulator's MQTT broker: a mosquitto process on 127.0.0.1 with one TCP listener.

No websockets listener (mosquitto binds those to every interface); the websocket front in
:mod:`.wsfront` bridges to this TCP port instead. The process logs to a file in its own
temporary directory, runs with ``user root`` when started as root, is stopped by pid with
deadlines, and is asked by the kernel to die with the thread that started it
(``PR_SET_PDEATHSIG``), so a crashed simulator leaves no broker behind.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

_PR_SET_PDEATHSIG = 1

try:
    _libc: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _libc = None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class BrokerError(RuntimeError):
    pass


class Broker:
    """``await Broker().start()`` ... ``await broker.stop()``; ``url`` is ``mqtt://127.0.0.1:P``."""

    def __init__(self, port: int = 0, *, executable: str = "mosquitto", log_dir: str | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.executable = executable
        self._own_dir = log_dir is None
        self.dir = log_dir or tempfile.mkdtemp(prefix="nwp500-sim-mosq-")
        os.makedirs(self.dir, exist_ok=True)
        self.conf_path = os.path.join(self.dir, "mosquitto.conf")
        self.log_path = os.path.join(self.dir, "mosquitto.log")
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _write_config(self, port: int) -> None:
        lines = ["persistence false", f"log_dest file {self.log_path}",
                 "log_type error", "log_type warning", "log_type notice", "log_type information",
                 "connection_messages true", "log_timestamp_format %Y-%m-%dT%H:%M:%S",
                 "allow_anonymous true", "set_tcp_nodelay true",
                 f"listener {port} 127.0.0.1"]
        if os.geteuid() == 0:
            lines.insert(0, "user root")
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def log_text(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    async def start(self, timeout: float = 4.0) -> "Broker":
        if shutil.which(self.executable) is None:
            raise BrokerError(f"{self.executable} not found (apt-get install mosquitto)")
        deadline = time.monotonic() + timeout
        fixed = self.port != 0
        while True:
            port = self.port if fixed else free_port()
            self._write_config(port)
            offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
            self._proc = subprocess.Popen(
                [self.executable, "-c", self.conf_path], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
                close_fds=True)
            outcome = await self._wait_ready(port, deadline)
            if outcome == "ready":
                self.port = port
                return self
            log = self.log_text()[offset:]
            if outcome == "exited" and "Address already in use" in log and not fixed \
                    and time.monotonic() < deadline:
                continue  # lost a race for the free port: pick another one
            await self.stop()
            raise BrokerError(f"mosquitto {outcome} on port {port}:\n{log[-2000:]}")

    async def _wait_ready(self, port: int, deadline: float) -> str:
        assert self._proc is not None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return "exited"
            try:
                _, w = await asyncio.wait_for(asyncio.open_connection(self.host, port), 0.5)
                w.close()
                return "ready"
            except (OSError, asyncio.TimeoutError):
                await asyncio.sleep(0.02)
        return "not ready in time"

    async def stop(self, timeout: float = 3.0) -> None:
        """SIGTERM, SIGKILL after ``timeout``; returns once the process is reaped."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if proc.poll() is None:
                proc.kill()
                deadline = time.monotonic() + 5
                while proc.poll() is None and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
        if proc.poll() is None:  # pragma: no cover - unkillable
            raise BrokerError(f"mosquitto pid {proc.pid} survived SIGKILL")

    def kill_now(self) -> None:
        """Synchronous last resort (atexit, ``__del__``): SIGKILL and reap."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass

    def cleanup(self) -> None:
        """Remove the temporary directory (config and log) if this broker created it."""
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __del__(self) -> None:
        try:
            self.kill_now()
        except Exception:
            pass
