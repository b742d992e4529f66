"""Private network namespaces joined to the host by a veth pair.

Used for brokers whose listeners cannot be kept on loopback (mosquitto's
websockets listeners bind every interface). Addressing: one /30 out of the
documentation range 198.51.100.0/24 per namespace, host side ``.4k+1``, namespace
side ``.4k+2``. 198.51.100.0/30 (ns side 198.51.100.2) is used when free,
otherwise a random free /30. No default route is added in the namespace and
ip_forward is never touched, so nothing in a namespace can reach, or be
reached from, anything outside this machine.
"""

from __future__ import annotations

import atexit
import fcntl
import ipaddress
import os
import random
import re
import secrets
import signal
import subprocess
import time
import weakref
from typing import Sequence

NET = ipaddress.ip_network("198.51.100.0/24")
LOCK_PATH = "/run/nwp500-netns.lock"
_live: "weakref.WeakSet[NetNamespace]" = weakref.WeakSet()
_available: tuple[bool, str] | None = None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def _kill_pid(pid: int, proc: subprocess.Popen | None = None, grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; reaps ``proc`` if given."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        if proc is not None:
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
    if proc is not None:
        try:
            proc.wait(1)
        except subprocess.TimeoutExpired:
            pass


class NetNamespace:
    """``with NetNamespace() as ns: ns.run([...])`` -- see module docstring."""

    def __init__(self) -> None:
        token = secrets.token_hex(3)
        self.name = f"nwp500-test-{token}"
        self.host_if = f"nwh{token}"      # <= 15 chars
        self.ns_if = f"nwn{token}"
        self._procs: list[subprocess.Popen] = []
        self._deleted = False
        with open(LOCK_PATH, "a") as lock:  # serialize address choice across processes
            fcntl.flock(lock, fcntl.LOCK_EX)
            subnet = self._pick_subnet()
            self.host_addr = str(subnet.network_address + 1)
            self.ns_addr = str(subnet.network_address + 2)
            self.prefixlen = subnet.prefixlen
            try:
                _ip("netns", "add", self.name)
                _live.add(self)
                _ip("-n", self.name, "link", "set", "lo", "up")
                _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if,
                    "netns", self.name)
                _ip("addr", "add", f"{self.host_addr}/30", "dev", self.host_if)
                _ip("link", "set", self.host_if, "up")
                _ip("-n", self.name, "addr", "add", f"{self.ns_addr}/30", "dev", self.ns_if)
                _ip("-n", self.name, "link", "set", self.ns_if, "up")
            except subprocess.CalledProcessError as e:
                self.delete()
                raise RuntimeError(f"creating netns {self.name} failed: {e.stderr.strip()}") from e

    @staticmethod
    def _pick_subnet() -> ipaddress.IPv4Network:
        used = set()
        out = _ip("-4", "-o", "addr", "show").stdout
        for addr in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", out):
            a = ipaddress.ip_address(addr)
            if a in NET:
                used.add(ipaddress.ip_network(f"{a}/30", strict=False))
        subnets = list(NET.subnets(new_prefix=30))
        free = [s for s in subnets if s not in used]
        if not free:
            raise RuntimeError("no free /30 left in 198.51.100.0/24")
        return free[0] if free[0] == subnets[0] else random.choice(free)

    # -- processes -------------------------------------------------------
    def run(self, cmd: Sequence[str], **popen_kwargs) -> subprocess.Popen:
        """Start ``cmd`` inside the namespace (``ip netns exec`` execs it, so the
        Popen's pid is the command's own pid). Killed by :meth:`delete`."""
        if self._deleted:
            raise RuntimeError("namespace already deleted")
        proc = subprocess.Popen(["ip", "netns", "exec", self.name, *cmd], **popen_kwargs)
        self._procs.append(proc)
        return proc

    def check_output(self, cmd: Sequence[str], timeout: float = 20) -> str:
        """Run ``cmd`` in the namespace to completion and return its stdout."""
        return subprocess.run(["ip", "netns", "exec", self.name, *cmd], capture_output=True,
                              text=True, check=True, timeout=timeout).stdout

    def pids(self) -> list[int]:
        r = _ip("netns", "pids", self.name, check=False)
        return [int(p) for p in r.stdout.split()] if r.returncode == 0 else []

    # -- teardown --------------------------------------------------------
    def delete(self) -> None:
        """Kill the processes started here (by pid), remove veth and namespace."""
        if self._deleted:
            return
        self._deleted = True
        for proc in self._procs:
            if proc.poll() is None:
                _kill_pid(proc.pid, proc)
        # Anything else still inside our private namespace was started by our tests.
        for pid in self.pids():
            _kill_pid(pid)
        _ip("link", "del", self.host_if, check=False)  # removes the peer as well
        _ip("netns", "del", self.name, check=False)
        _live.discard(self)

    close = delete

    def __enter__(self) -> "NetNamespace":
        return self

    def __exit__(self, *exc) -> None:
        self.delete()

    def __del__(self) -> None:
        try:
            self.delete()
        except Exception:
            pass

    # -- capability probe ------------------------------------------------
    @staticmethod
    def available() -> bool:
        return NetNamespace.unavailable_reason() is None

    @staticmethod
    def unavailable_reason() -> str | None:
        """None if namespaces + veth work here, else a reason for ``pytest.skip``."""
        global _available
        if _available is None:
            _available = NetNamespace._probe()
        return None if _available[0] else _available[1]

    @staticmethod
    def _probe() -> tuple[bool, str]:
        if os.geteuid() != 0:
            return False, "network namespaces need root"
        try:
            _ip("netns", "list")
        except (OSError, subprocess.SubprocessError) as e:
            return False, f"`ip netns` does not work: {e}"
        try:
            NetNamespace().delete()
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            return False, f"cannot create a netns with a veth pair: {e}"
        return True, ""


@atexit.register
def _cleanup_all() -> None:
    for ns in list(_live):
        try:
            ns.delete()
        except Exception:
            pass
