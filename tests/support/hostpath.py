"""A client's host that a test can break from outside: a network namespace whose only way to
the broker is a default route over a veth pair, whose name lookups come from its own
``/etc/hosts`` (``ip netns exec`` bind-mounts ``/etc/netns/NAME/``), and whose links, routes
and nftables rules the test changes while a client with the host monitor runs inside.

The broker is reached as ``broker.nwp500.test`` at an address from TEST-NET-1 (192.0.2.0/24)
put on the host end of the veth, so nothing outside this machine is ever addressed."""

from __future__ import annotations

import json
import os
import queue
import random
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

from nwp500.simulator.faults import FaultProxy

from .netns import NetNamespace, _ip

HOSTNAME = "broker.nwp500.test"
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host_client.py")


class HostPath:
    def __init__(self, broker_host: str, broker_port: int, interval: float = 2.0) -> None:
        self.ns = NetNamespace()
        self.etc = f"/etc/netns/{self.ns.name}"
        self.proxy: FaultProxy | None = None
        self.proc: subprocess.Popen | None = None
        self.lines: "queue.Queue[dict[str, Any]]" = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        try:
            for _ in range(20):  # an address of TEST-NET-1 nobody on this machine uses yet
                self.service_addr = f"192.0.2.{random.randint(1, 254)}"
                if _ip("addr", "add", f"{self.service_addr}/32", "dev", self.ns.host_if, check=False).returncode == 0:
                    break
            self.proxy = FaultProxy(broker_host, broker_port, listen_host=self.service_addr)
            os.makedirs(self.etc, exist_ok=True)
            self.write_hosts(True)
            with open(os.path.join(self.etc, "resolv.conf"), "w") as f:
                f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")  # no DNS server: fails at once
            self.sh("ip", "route", "add", "default", "via", self.ns.host_addr)
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            self.proc = self.ns.run([sys.executable, CLIENT, f"mqtt://{HOSTNAME}:{self.proxy.port}", str(interval)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
            threading.Thread(target=self._pump, daemon=True).start()
        except BaseException:
            self.close()
            raise

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                self.lines.put({"ev": "noise", "text": line})

    def write_hosts(self, resolvable: bool) -> None:
        """Rewrite the namespace's /etc/hosts in place (the bind mount follows the inode)."""
        with open(os.path.join(self.etc, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n" + (f"{self.service_addr} {HOSTNAME}\n" if resolvable else ""))

    def sh(self, *cmd: str) -> str:
        return self.ns.check_output(list(cmd))

    def nft(self, rules: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.ns.name, "nft", "-f", "-"], input=rules, text=True,
                       check=True, capture_output=True, timeout=20)

    def wait(self, ev: str, timeout: float = 30.0, **match: Any) -> dict[str, Any]:
        """The next line with ``ev`` (and the given fields), within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {ev!r} {match} within {timeout}s; seen: {self.seen[-15:]}")
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(item)
            if item.get("ev") == ev and all(item.get(k) == v for k, v in match.items()):
                return item

    def export(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write("export\n")
        self.proc.stdin.flush()
        return self.wait("export", 15)["data"]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        if self.proxy is not None:
            self.proxy.stop()
        self.ns.delete()
        shutil.rmtree(self.etc, ignore_errors=True)

    def __enter__(self) -> "HostPath":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
