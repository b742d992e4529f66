"""What every worker shares (imports neither nwp500 nor any MQTT library).

A worker is started by suite.py as ``python w_<kind>.py TASK '<json params>'``, one process
per contender per measurement, so imports, threads and RSS never mix. It reports on stdout,
one JSON object per line: events while it runs (``{"ev": "down", "t": ...}``; ``t`` is
``time.time()``, comparable across processes) and a final ``{"result": {...}}``. It reads
commands from stdin where a task needs them (``quit``).

Tasks (a worker answers ``{"result": {"na": reason}}`` to one it cannot do):

* ``publish``   connect; warm up; N sequential awaited QoS 1 publishes, then N at once.
* ``inbound``   connect; subscribe ``bench/in/0`` (QoS 0) and ``bench/in/1`` (QoS 1); say
                ``ready``; count the messages the suite's publisher sends, in a callback on
                the asyncio loop thread, reporting ``{"ev": "inbound", ...}`` per QoS.
* ``fault``     connect through a FaultProxy; subscribe ``bench/probe`` and ``bench/q/ID``;
                report ``down``/``up``/first ``probe`` after each drop/``q`` (own queued
                message back); on every drop publish one QoS 1 message to ``bench/q/ID``.
* ``idle``      connect ``clients`` clients, subscribe one topic each, settle, then report
                RSS and CPU seconds (connect, then ``idle_s`` idle).
* ``latency``   connect; ``warmup`` + ``n`` QoS 1 publishes started on a fixed schedule
                (``rate`` per second), each timed from its call to its PUBACK; report
                ``latency_result()`` over the last ``n`` (bench/latency_c.c does the same in C).
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import threading
import time

PAYLOAD = b"0123456789abcdef"  # 16 bytes, as in the field notes' loopback figures
PUB_TOPIC = "bench/pub"
IN_TOPICS = {0: "bench/in/0", 1: "bench/in/1"}
PROBE_TOPIC = "bench/probe"
WARMUP = 200

_out_lock = threading.Lock()


def emit(**obj) -> None:
    """One JSON line to the suite (thread-safe)."""
    with _out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def params() -> tuple[str, dict]:
    return sys.argv[1], (json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s() -> float:
    """User + system CPU seconds of this process, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Auth:
    """The members of nwp500's NavienAuthClient that both nwp500 and nwp500-python 6.1.1 use
    (dummy AWS keys: the local broker ignores the SigV4 signature)."""

    is_authenticated = True
    has_stored_credentials = False

    class current_tokens:  # noqa: N801 - attribute access as on AuthTokens
        access_key_id = "AKIDBENCH"
        secret_key = "bench-secret"
        session_token = None
        refresh_token = "bench-refresh"

    async def ensure_valid_token(self):
        return self.current_tokens

    async def refresh_token(self, refresh_token=None):
        return self.current_tokens

    async def re_authenticate(self):
        return self.current_tokens


class InboundCounter:
    """Counts messages per QoS on the loop thread; reports when a batch is complete.

    ``expect`` comes from the suite before it starts each batch (``n`` of its params); the
    rate is taken between the first and the last message, so connection set-up and the
    publisher's start are not part of it."""

    def __init__(self, n: dict[int, int]) -> None:
        self.n = {int(k): v for k, v in n.items()}
        self.count = {0: 0, 1: 0}
        self.first = {0: 0.0, 1: 0.0}

    def hit(self, qos: int) -> None:
        c = self.count[qos] = self.count[qos] + 1
        if c == 1:
            self.first[qos] = time.perf_counter()
        if c == self.n[qos]:
            self.report(qos)

    def report(self, qos: int) -> None:
        c = self.count[qos]
        elapsed = time.perf_counter() - self.first[qos] if c > 1 else 0.0
        emit(ev="inbound", qos=qos, count=c, rate=(c - 1) / elapsed if elapsed > 0 else 0.0)


def stdin_lines(loop, queue) -> None:
    """Feed stdin lines into an asyncio queue (reader thread); EOF sends ``quit``."""

    def pump() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.strip())
        loop.call_soon_threadsafe(queue.put_nowait, "quit")

    threading.Thread(target=pump, daemon=True).start()


async def commands(counter: InboundCounter | None = None) -> None:
    """Say ready, then obey the driver's ``flush Q`` (report a short batch) until ``quit``."""
    import asyncio

    queue: asyncio.Queue[str] = asyncio.Queue()
    stdin_lines(asyncio.get_running_loop(), queue)
    emit(ev="ready", t=time.time())
    while (line := await queue.get()) != "quit":
        if line.startswith("flush") and counter is not None:
            counter.report(int(line.split()[1]))


class FaultLog:
    """Event bookkeeping of the ``fault`` task, shared by all workers.

    ``down()``/``up()`` are called where each library reports the drop and the recovery;
    ``message(topic, payload_dict)`` from its message callback. It reports the first probe
    after every drop and every own queued message that comes back."""

    def __init__(self) -> None:
        self.drops = 0
        self.want_probe = False

    def down(self) -> int:
        self.drops += 1
        self.want_probe = True
        emit(ev="down", t=time.time(), k=self.drops)
        return self.drops

    def up(self) -> None:
        emit(ev="up", t=time.time(), k=self.drops)

    def message(self, topic: str, msg) -> None:
        now = time.time()
        if topic == PROBE_TOPIC:
            if self.want_probe:
                self.want_probe = False
                emit(ev="probe", t=now, k=self.drops)
        elif isinstance(msg, dict) and "drop" in msg:
            emit(ev="q", t=now, k=msg["drop"])


def _pct(sorted_vals: list[int], p: float) -> int:
    """Nearest rank: the smallest value with at least ``p`` % of the sample at or below it
    (the same rule as bench/latency_c.c)."""
    return sorted_vals[max(math.ceil(p / 100 * len(sorted_vals)) - 1, 0)]


def latency_result(start: list[int], lat: list[int], lag: list[int], warmup: int) -> dict:
    """The ``latency`` task's result from per-message nanoseconds (``start``: when the
    publish was called, ``lat``: call to PUBACK, ``lag``: call behind its scheduled start),
    leaving out the first ``warmup`` messages. ``rate`` is the rate actually offered."""
    s, lat, lag = start[warmup:], sorted(lat[warmup:]), sorted(lag[warmup:])
    n = len(lat)
    return {"p50_us": _pct(lat, 50) / 1e3, "p99_us": _pct(lat, 99) / 1e3,
            "max_us": lat[-1] / 1e3, "mean_us": sum(lat) / n / 1e3, "n": n,
            "rate": (n - 1) * 1e9 / (s[-1] - s[0]) if n > 1 else 0.0,
            "lag_p99_us": _pct(lag, 99) / 1e3, "lag_max_us": lag[-1] / 1e3}


def schedule(p: dict, start_one) -> None:
    """Call ``start_one(i, target_ns)`` for i in 0..warmup+n-1 at ``target_ns`` = t0 + i /
    rate (``time.perf_counter_ns``, CLOCK_MONOTONIC). ``time.sleep`` is clock_nanosleep: tens
    of microseconds late, not whole milliseconds as asyncio's epoll timeouts. A late start
    happens at once; none is skipped, so the offered rate holds on average."""
    period = round(1e9 / p["rate"])
    t0 = time.perf_counter_ns() + 1_000_000
    for i in range(p["warmup"] + p["n"]):
        target = t0 + i * period
        delay = target - time.perf_counter_ns()
        if delay > 0:
            time.sleep(delay / 1e9)
        start_one(i, target)


async def paced(publish, p: dict) -> dict:
    """The ``latency`` task for an asyncio client: ``publish()`` returns an awaitable that
    completes when the PUBACK is in. A pacing thread runs ``schedule`` and hands each start
    to the loop (``call_soon_threadsafe``): asyncio's own timers would round every wait up to
    a whole millisecond and bunch the starts. The clock starts in the task, when the publish
    is called on the loop thread, and stops when its ``await`` returns there."""
    import asyncio

    loop = asyncio.get_running_loop()
    total = p["warmup"] + p["n"]
    start, lat, lag = [0] * total, [0] * total, [0] * total
    pending: set = set()  # done tasks are dropped at once: no garbage piles up meanwhile
    errors: list[BaseException] = []
    done = loop.create_future()

    async def one(i: int, target: int) -> None:
        t = time.perf_counter_ns()
        start[i], lag[i] = t, t - target
        await publish()
        lat[i] = time.perf_counter_ns() - t

    def finished(task) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            errors.append(task.exception())

    def begin(i: int, target: int) -> None:
        task = asyncio.ensure_future(one(i, target))
        pending.add(task)
        task.add_done_callback(finished)

    def pace() -> None:
        try:
            schedule(p, lambda i, target: loop.call_soon_threadsafe(begin, i, target))
        finally:
            loop.call_soon_threadsafe(done.set_result, None)

    threading.Thread(target=pace, daemon=True).start()
    await done
    if pending and (await asyncio.wait(set(pending), timeout=30))[1]:
        raise TimeoutError(f"{len(pending)} publishes without PUBACK after 30 s")
    if errors:
        raise errors[0]
    return latency_result(start, lat, lag, p["warmup"])


def run_main(tasks: dict) -> None:
    """Dispatch ``argv[1]`` to ``tasks``; print the result line."""
    task, p = params()
    fn = tasks.get(task)
    if fn is None:
        emit(result={"na": f"task {task} not supported"})
        return
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        prof = cProfile.Profile()
        result = prof.runcall(fn, p)
        prof.dump_stats(os.environ["BENCH_PROFILE"])
    else:
        result = fn(p)
    emit(result=result)
