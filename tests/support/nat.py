"""A real NAT between the test process and a broker: the host reaches a router namespace over a
veth pair; the router masquerades onto a second veth into a broker namespace running
mosquitto. The router's conntrack forgets an idle established TCP flow after
``idle_timeout`` seconds and, like a home router, then drops the flow's packets silently
(``nf_conntrack_tcp_loose=0`` plus a ``ct state invalid drop`` rule) instead of passing them.

Addresses come from documentation ranges only (198.51.100.0/24 via :class:`NetNamespace`
for host<->router, 203.0.113.0/30 for router<->broker); the host route to the broker's /30
is removed at teardown, and nothing here can reach beyond this machine.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import tempfile
import time

from .netns import NetNamespace, _ip, _kill_pid

BROKER_NET = "203.0.113.0/30"
ROUTER_ADDR = "203.0.113.1"
BROKER_ADDR = "203.0.113.2"


def _in(ns: str, *cmd: str) -> None:
    subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True, capture_output=True, text=True,
                   timeout=20)


class NatPath:
    def __init__(self, idle_timeout: int) -> None:
        token = secrets.token_hex(3)
        self.router = NetNamespace()
        self.broker_ns = f"nwp500-brk-{token}"
        self.dir = tempfile.mkdtemp(prefix="nwp500-nat-")
        self.log_path = os.path.join(self.dir, "mosquitto.log")
        self._proc: subprocess.Popen | None = None
        self._route = False
        r_if, b_if = f"nwr{token}", f"nwb{token}"
        try:
            _ip("netns", "add", self.broker_ns)
            _ip("-n", self.broker_ns, "link", "set", "lo", "up")
            _ip("-n", self.router.name, "link", "add", r_if, "type", "veth", "peer", "name", b_if,
                "netns", self.broker_ns)
            _ip("-n", self.router.name, "addr", "add", f"{ROUTER_ADDR}/30", "dev", r_if)
            _ip("-n", self.router.name, "link", "set", r_if, "up")
            _ip("-n", self.broker_ns, "addr", "add", f"{BROKER_ADDR}/30", "dev", b_if)
            _ip("-n", self.broker_ns, "link", "set", b_if, "up")
            rn = self.router.name
            _in(rn, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            rules = (
                "table ip nwpnat {\n"
                "  chain outbound { type nat hook postrouting priority 100; "
                f"oifname \"{r_if}\" masquerade; }}\n"
                "}\n"
                "table ip nwpfilter {\n"
                "  chain forwarding { type filter hook forward priority 0; ct state invalid drop; }\n"
                "}\n"
            )
            subprocess.run(["ip", "netns", "exec", rn, "nft", "-f", "-"], input=rules, text=True,
                           check=True, capture_output=True, timeout=20)
            # After the nat table exists, conntrack is loaded in this namespace.
            _in(rn, "sysctl", "-qw", f"net.netfilter.nf_conntrack_tcp_timeout_established={idle_timeout}")
            _in(rn, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0")
            _ip("route", "add", BROKER_NET, "via", self.router.ns_addr)
            self._route = True
            self._start_broker()
        except BaseException:
            self.close()
            raise

    def _start_broker(self) -> None:
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"persistence false\nlog_dest file {self.log_path}\nlog_type all\nuser root\n"
                    f"allow_anonymous true\nlistener 1883 {BROKER_ADDR}\n")
        self._proc = subprocess.Popen(["ip", "netns", "exec", self.broker_ns, "mosquitto", "-c", conf],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((BROKER_ADDR, 1883), timeout=0.3):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("mosquitto behind the NAT did not come up")

    @property
    def url(self) -> str:
        return f"mqtt://{BROKER_ADDR}:1883"

    def conntrack_entries(self) -> int:
        """Established TCP flows the router's conntrack still remembers."""
        out = subprocess.run(["ip", "netns", "exec", self.router.name, "cat", "/proc/net/nf_conntrack"],
                             capture_output=True, text=True, timeout=10)
        return sum(1 for line in out.stdout.splitlines() if "ESTABLISHED" in line and "dport=1883" in line)

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            _kill_pid(self._proc.pid, self._proc)
        if self._route:
            _ip("route", "del", BROKER_NET, check=False)
            self._route = False
        _ip("netns", "del", self.broker_ns, check=False)
        self.router.delete()

    def __enter__(self) -> "NatPath":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
