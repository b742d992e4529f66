"""The suite's machinery: the private network namespace and its brokers, worker processes,
the probe publisher, and mosquitto's C clients as contenders.

Layout (nothing listens beyond loopback and one private namespace; the namespace has no
route anywhere but to this host):

* One namespace (tests/support's NetNamespace, a veth pair in 198.51.100.0/24) holds both
  brokers. mosquitto's websockets listeners bind every interface, hence the namespace.
  - ``main``  TCP 1883 + websockets/TLS 443: measurements 1, 2 and 5. Its workers run
    *inside* the namespace (``ip netns exec``), so every contender talks to 127.0.0.1 and
    nwp500-python can use its fixed ``wss://localhost:443``.
  - ``fault`` TCP 1884 + websockets/TLS 8443: measurement 3 (it is restarted there).
    Its workers run on the host and reach it through one FaultProxy each on host
    loopback; nwp500-python's proxy listens on 127.0.0.1:443.
* The CA (tests/support's TestCA) signs ``localhost``; ``SSL_CERT_FILE`` points every worker
  at a bundle containing it.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from support import NetNamespace, TestCA, WsMosquitto  # noqa: E402

PROJECT_PY = str(ROOT / ".venv" / "bin" / "python")
REF_PY = str(HERE / ".venv-ref" / "bin" / "python")
LOG_DIR = HERE / "results" / "logs"  # workers' stderr and events of the latest run
LATENCY_C = HERE / ".build" / "latency_c"  # bench/latency_c.c, built by bench/run


class Broker(WsMosquitto):
    """WsMosquitto with chosen ports and a benchmark configuration: no per-message logging
    (``log_type all`` would cost the broker more than the clients), no queue limit (the
    default of 1000 would drop messages for a subscriber that falls behind), 100 QoS 1
    messages in flight towards each client (nwp500's own window), and TCP_NODELAY on its
    sockets: with Nagle on, the broker holds back a small ack while the previous one is
    unacknowledged and the client's delayed ACK stalls it up to 40 ms, which then dominates
    (nwp500's 1000-in-flight rate measured 16 k/s that way, 45 k/s without)."""

    def __init__(self, netns: NetNamespace, ca: TestCA, *, tcp: int, wss: int, ws: int) -> None:
        self.TCP_PORT, self.WSS_PORT, self.WS_PORT = tcp, wss, ws
        super().__init__(tls=True, ca=ca, netns=netns)

    def _write_config(self) -> None:
        lines = ["persistence false", f"log_dest file {self.log_path}", "user root",
                 *(f"log_type {t}" for t in ("error", "warning", "notice", "information",
                                              "subscribe")),
                 "allow_anonymous true", "max_queued_messages 0", "max_inflight_messages 100",
                 "set_tcp_nodelay true",
                 *self._listener_config()]
        Path(self.conf_path).write_text("\n".join(lines) + "\n")

    def wait_subscribed(self, client_id: str, topic: str, timeout: float = 10.0) -> None:
        """Wait for mosquitto's ``log_type subscribe`` line of this client and topic."""
        self.wait_for_log(rf"(?m): {re.escape(client_id)} \d {re.escape(topic)}$", timeout)


class Worker:
    """One worker process; its JSON lines are collected by a reader thread."""

    def __init__(self, label: str, argv: list[str], env: dict) -> None:
        self.label = label
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        stem = f"{label.replace(' ', '_').replace('/', '_')}-{time.time_ns()}"
        self.stderr_path, self.events_path = LOG_DIR / f"{stem}.err", LOG_DIR / f"{stem}.events"
        self._err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True, env=env, cwd="/")
        self.events: list[dict] = []
        self.result: dict | None = None
        self.eof = False
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if "result" in obj:
                self.result = obj["result"]
            self._q.put(obj)
        self._q.put(None)

    def _pump(self, timeout: float) -> bool:
        """Move one line into ``events``; False on timeout or end of output."""
        try:
            obj = self._q.get(timeout=max(timeout, 0))
        except queue.Empty:
            return False
        if obj is None:
            self.eof = True
            return False
        self.events.append(obj)
        return True

    def find(self, pred) -> dict | None:
        return next((e for e in self.events if pred(e)), None)

    def wait(self, pred, timeout: float) -> dict | None:
        """The first event (old or new) matching ``pred``, or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        self.poll()
        while (hit := self.find(pred)) is None:
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return None
            self._pump(min(left, 0.05))
        return hit

    def poll(self) -> None:
        while not self.eof and self._pump(0):
            pass

    def send(self, line: str) -> None:
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def finish(self, timeout: float = 30.0) -> dict:
        """Close stdin (``quit``) and return the result, or raise with the stderr tail."""
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        self.wait(lambda e: "result" in e, timeout)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._err.close()
        self.kill()
        if self.result is None:
            raise RuntimeError(f"{self.label}: no result (exit {self.proc.returncode}):\n"
                               f"{self.stderr_tail()}")
        return self.result

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.poll()
        if self.events and not self.events_path.exists():
            self.events_path.write_text("".join(json.dumps(e) + "\n" for e in self.events))

    def stderr_tail(self, n: int = 15) -> str:
        return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-n:])


class Prober:
    """Publishes ``{"probe": 1}`` (QoS 0) to bench/probe every ``period`` seconds over a raw
    MQTT 3.1.1 socket of its own, reconnecting ``period`` after any error, so the time a
    client's first probe arrives after a recovery is exact to ``period``."""

    def __init__(self, host: str, port: int, period: float = 0.02) -> None:
        self.addr, self.period = (host, port), period
        topic, payload = b"bench/probe", b'{"probe": 1}'
        body = len(topic).to_bytes(2, "big") + topic + payload
        self._publish = bytes([0x30, len(body)]) + body
        cid = b"bench-prober"
        var = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
        self._connect = bytes([0x10, len(var)]) + var
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with socket.create_connection(self.addr, timeout=2) as s:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    s.sendall(self._connect)
                    if s.recv(4)[:1] != b"\x20":
                        raise OSError("no CONNACK")
                    s.setblocking(False)
                    while not self._stop.wait(self.period):
                        s.sendall(self._publish)
                        try:
                            if s.recv(64) == b"":  # the broker closed the connection
                                raise OSError("closed")
                        except BlockingIOError:
                            pass
            except OSError:
                self._stop.wait(self.period)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


# ---- mosquitto's C clients as a contender -------------------------------------------------

class CClients:
    """mosquitto_pub / mosquitto_sub run inside the namespace against the main broker."""

    def __init__(self, netns: NetNamespace, broker: Broker) -> None:
        self.netns, self.broker = netns, broker
        self.base = ["ip", "netns", "exec", netns.name]
        self.conn = ["-h", "127.0.0.1", "-p", str(broker.port)]

    def _timed(self, argv: list[str], stdin: bytes | None = None) -> float:
        t = time.perf_counter()
        subprocess.run(self.base + argv, input=stdin, check=True, capture_output=True,
                       timeout=120)
        return time.perf_counter() - t

    def publish(self, n: int) -> dict:
        """QoS 1 rates as the slope between a run of ``n`` and one of ``k * n`` messages:
        process start and connect cancel out, and so does the fixed ~0.2 s that
        ``mosquitto_pub -l`` waits in its loop at end of input (it dwarfs 1000 messages)."""
        pub = ["mosquitto_pub", *self.conn, "-t", "bench/pub", "-q", "1", "--nodelay"]
        payload = "0123456789abcdef"
        seq = [*pub, "-m", payload, "--repeat"]
        seq_rate = 4 * n / (self._timed(seq + [str(5 * n)]) - self._timed(seq + [str(n)]))
        lines = (payload + "\n").encode()
        flight = [*pub, "-l", "-M", "100"]
        fl_rate = 10 * n / (self._timed(flight, lines * 20 * n) - self._timed(flight, lines * 10 * n))
        return {"seq": seq_rate, "inflight": fl_rate}

    def latency(self, p: dict) -> dict:
        """Measurement 6: bench/latency_c.c (libmosquitto, its own loop in one thread),
        answering like a worker's ``latency`` task."""
        if not LATENCY_C.exists():
            raise RuntimeError(f"{LATENCY_C} missing (bench/run builds it)")
        argv = [*self.base, str(LATENCY_C), "127.0.0.1", str(self.broker.port), str(p["rate"]),
                str(p["n"]), str(p["warmup"]), p["id"]]
        return Worker("mosquitto_C-latency", argv, dict(os.environ)).finish(60)

    def subscriber(self, topic: str, qos: int, count: int) -> subprocess.Popen:
        """mosquitto_sub printing each message's arrival time (%U) to a pipe."""
        client_id = f"bench-c-sub-{time.time_ns()}"
        proc = self.netns.run(["mosquitto_sub", *self.conn, "-i", client_id, "-t", topic,
                               "-q", str(qos), "-C", str(count), "-W", "60", "-F", "%U"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.broker.wait_subscribed(client_id, topic)
        return proc

    def publisher(self, topic: str, qos: int, lines: bytes) -> None:
        """The load of measurement 2: every line one message, 100 in flight."""
        subprocess.run(self.base + ["mosquitto_pub", *self.conn, "-t", topic, "-q", str(qos),
                                    "-l", "-M", "100", "--nodelay"],
                       input=lines, check=True, capture_output=True, timeout=120)


def proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def proc_cpu_s(pid: int) -> float:
    """CPU seconds of every thread of ``pid``, from schedstat (nanoseconds; /proc/PID/stat
    counts in 10 ms ticks, too coarse for an idle C client)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.machine())
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    distro = next((l.split("=", 1)[1].strip('"') for l in Path("/etc/os-release").read_text()
                   .splitlines() if l.startswith("PRETTY_NAME=")), "Linux")
    return (f"{os.cpu_count()} × {cpu}, {mem:.0f} GiB RAM, {distro}, kernel "
            f"{platform.release()}, CPython {platform.python_version()}")


def versions() -> str:
    ref = subprocess.run([REF_PY, "-c", "from importlib import metadata as m; print("
                          "m.version('nwp500-python'), m.version('awscrt'))"],
                         capture_output=True, text=True).stdout.split()
    mosq = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True).stdout.split()[2]
    return (f"nwp500 {metadata.version('nwp500')}, nwp500-python {ref[0]} (awscrt {ref[1]}), "
            f"paho-mqtt {metadata.version('paho-mqtt')}, aiomqtt {metadata.version('aiomqtt')}, "
            f"mosquitto {mosq}")
