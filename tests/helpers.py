"""Small shared helpers for the end-to-end tests (``from helpers import ...``; conftest.py
puts ``tests/`` on ``sys.path``). Real parts only: nothing here fakes a socket or a clock.

* :func:`run`            ``asyncio.run`` with an overall deadline, so a hang fails the test.
* :func:`fast_config`    ``MqttConnectionConfig`` with short keep-alive/backoff (overridable).
* :class:`DuckAuth`      duck-typed auth client; records every call (name, arg, time, thread).
* :class:`EventRecorder` records client events and messages with the thread that delivered
                         them; ``await rec.wait_until(...)`` / ``wait_count(...)`` to sync.
* :class:`AcceptClock`   ``time.monotonic()`` of every TCP connect a ``FaultProxy`` accepts.

To wait on something that is not a client event (an accept, an auth call), pass
``rec.record`` as ``notify`` to :class:`AcceptClock` / :class:`DuckAuth`: it becomes a record
(``"accept"`` / ``"auth"``) that ``wait_until`` and ``wait_count`` see.
* :class:`LoopLagProbe`  worst lateness of a 5 ms sleeper task on the running loop.
* :class:`PahoObserver`  an independent paho-mqtt subscriber on its own connection.
* :func:`sim_config`     ``MqttConnectionConfig`` for the simulated cloud's websocket endpoint.
* :func:`next_matching`  the next item of an ``asyncio.Queue`` that satisfies a predicate.
* :func:`device_session` a signed-in client connected to the simulator, with queues for the
                         device's statuses, features, typed read-backs and raw replies.

Keep this module small; test-specific logic belongs in the test files.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable

from nwp500 import MqttConnectionConfig, NavienAPIClient, NavienAuthClient, NavienMqttClient
from nwp500.enums import CommandCode

CLIENT_EVENTS = ("connection_interrupted", "connection_resumed", "reconnection_failed")


def run(coro: Awaitable[Any], timeout: float = 120.0) -> Any:
    """Run ``coro`` in a fresh event loop; fail with TimeoutError after ``timeout`` s."""

    async def main() -> Any:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(main())


def sim_config(sim: Any, **overrides: Any) -> MqttConnectionConfig:
    """A config for the simulated cloud (``sim.mqtt_endpoint``): 30 s keep-alive, 2 s ping
    deadline, 0.2..1 s backoff without jitter, 10 s operation timeout (overridable)."""
    values: dict[str, Any] = dict(endpoint=sim.mqtt_endpoint, keep_alive_secs=30, ping_timeout=2.0,
                                  initial_reconnect_delay=0.2, max_reconnect_delay=1.0, reconnect_jitter=False,
                                  operation_timeout=10.0)
    values.update(overrides)
    return MqttConnectionConfig(**values)


async def next_matching(queue: asyncio.Queue, predicate: Callable[[Any], bool] = lambda _: True,
                        timeout: float = 15.0) -> Any:
    """The next item of ``queue`` that satisfies ``predicate`` (earlier ones are dropped)."""
    async def wait() -> Any:
        while True:
            item = await queue.get()
            if predicate(item):
                return item
    return await asyncio.wait_for(wait(), timeout)


def fast_config(endpoint: str, **overrides: Any) -> MqttConnectionConfig:
    """A config for tests: 2 s keep-alive, 1 s ping deadline, 0.1..0.5 s backoff, no jitter.

    With ``mqtt5=True`` the keep-alive defaults to 5 s, the least MQTT 5 allows here (rumqttc's
    v5 client refuses less), so a silent link takes up to 6 s instead of 3 s to be noticed.
    """
    kw: dict[str, Any] = dict(
        endpoint=endpoint, keep_alive_secs=2, ping_timeout=1.0,
        initial_reconnect_delay=0.1, max_reconnect_delay=0.5, reconnect_backoff_multiplier=2.0,
        reconnect_jitter=False, deep_reconnect_threshold=3, max_reconnect_attempts=-1,
        enable_command_queue=True, max_queued_commands=100, max_queued_command_age=300.0,
        operation_timeout=5.0, client_id=None, clean_session=True, auto_reconnect=True,
    )
    if overrides.get("mqtt5") and "keep_alive_secs" not in overrides:
        kw["keep_alive_secs"] = 5
    kw.update(overrides)
    return MqttConnectionConfig(**kw)


@dataclass(frozen=True)
class AuthCall:
    name: str      # "ensure_valid_token" | "refresh_token" | "re_authenticate"
    arg: Any       # the refresh token passed to refresh_token, else None
    at: float      # time.monotonic()
    thread: int    # threading.get_ident() of the caller


class DuckAuth:
    """Stands in for ``NavienAuthClient`` (the members the MQTT client uses).

    ``refresh_token()`` rotates ``current_tokens.refresh_token`` ("refresh-0" -> "refresh-1"
    ...), so a test can check the client passed the *current* one. Set ``refresh_error`` /
    ``reauth_error`` to an exception instance to make that call raise it. ``notify`` (e.g.
    ``EventRecorder.record``) is called as ``notify("auth", call)`` after each call is noted.
    """

    def __init__(self, *, has_stored_credentials: bool = True,
                 refresh_error: BaseException | None = None,
                 reauth_error: BaseException | None = None) -> None:
        self.is_authenticated = True
        self.has_stored_credentials = has_stored_credentials
        self.refresh_error = refresh_error
        self.reauth_error = reauth_error
        self._serial = itertools.count(1)
        self.current_tokens = SimpleNamespace(
            access_key_id="AKIATESTTESTTEST", secret_key="test-secret-key",
            session_token="test-session-token", refresh_token="refresh-0")
        self.calls: list[AuthCall] = []
        self.notify: Callable[..., None] | None = None

    def _note(self, name: str, arg: Any = None) -> None:
        call = AuthCall(name, arg, time.monotonic(), threading.get_ident())
        self.calls.append(call)
        if self.notify is not None:
            self.notify("auth", call)

    def names(self) -> list[str]:
        return [c.name for c in self.calls]

    async def ensure_valid_token(self) -> Any:
        self._note("ensure_valid_token")
        return self.current_tokens

    async def refresh_token(self, refresh_token: str) -> Any:
        self._note("refresh_token", refresh_token)
        if self.refresh_error is not None:
            raise self.refresh_error
        self.current_tokens.refresh_token = f"refresh-{next(self._serial)}"
        return self.current_tokens

    async def re_authenticate(self) -> Any:
        self._note("re_authenticate")
        if self.reauth_error is not None:
            raise self.reauth_error
        return self.current_tokens


@dataclass(frozen=True)
class Record:
    event: str          # a client event name, or "message"
    args: tuple         # the listener's positional args; (topic, payload) for "message"
    thread: int         # threading.get_ident() of the delivering thread
    at: float           # time.monotonic()


class EventRecorder:
    """Records the client's events (and, via :meth:`message_callback`, messages).

    Create it inside the running loop. Recording is thread-safe (so a delivery on a wrong
    thread is recorded, not lost); waiters are woken on the loop.
    """

    def __init__(self, client: Any = None, events: Iterable[str] = CLIENT_EVENTS) -> None:
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        self.records: list[Record] = []
        self._lock = threading.Lock()
        self._waiters: list[asyncio.Future] = []
        if client is not None:
            for name in events:
                client.on(name, self._listener(name))

    def _listener(self, name: str) -> Callable[..., None]:
        return lambda *args: self.record(name, *args)

    def message_callback(self, event: str = "message") -> Callable[[str, Any], None]:
        """A ``callback(topic, message)`` for ``client.subscribe`` recording ``event``."""
        return lambda topic, message: self.record(event, topic, message)

    def record(self, event: str, *args: Any) -> None:
        with self._lock:
            self.records.append(Record(event, args, threading.get_ident(), time.monotonic()))
        try:
            self.loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    def of(self, event: str) -> list[Record]:
        with self._lock:
            return [r for r in self.records if r.event == event]

    def count(self, event: str) -> int:
        return len(self.of(event))

    def off_loop(self) -> list[Record]:
        """Records delivered on any thread other than the loop's ("accept" records come from
        the AcceptClock thread by design and are left out)."""
        with self._lock:
            return [r for r in self.records
                    if r.thread != self.loop_thread and r.event != "accept"]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0,
                         what: str = "condition") -> None:
        """Wait (re-checking after every record) until ``predicate()`` is true. The
        predicate must change only together with a record (see ``notify`` above)."""
        deadline = self.loop.time() + timeout
        while not predicate():
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{what} not met within {timeout}s; events: "
                                   f"{[r.event for r in self.records if r.event != 'message']}")
            fut = self.loop.create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_count(self, event: str, n: int, timeout: float = 10.0) -> list[Record]:
        """Wait until ``event`` was recorded at least ``n`` times; returns its records."""
        await self.wait_until(lambda: self.count(event) >= n, timeout, f"{n}x {event!r}")
        return self.of(event)


class AcceptClock:
    """Timestamps (``time.monotonic()``) of the TCP connections a ``FaultProxy`` accepts,
    read by polling ``proxy.accepted_total`` every millisecond in a daemon thread.
    ``notify`` (e.g. ``EventRecorder.record``) is called as ``notify("accept", t)`` for each."""

    def __init__(self, proxy: Any, interval: float = 0.001,
                 notify: Callable[..., None] | None = None) -> None:
        self.proxy = proxy
        self.notify = notify
        self.times: list[float] = []
        self._seen = proxy.accepted_total
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(interval,), daemon=True,
                                        name="AcceptClock")
        self._thread.start()

    def _poll(self, interval: float) -> None:
        while not self._stop.wait(interval):
            total = self.proxy.accepted_total
            now = time.monotonic()
            while self._seen < total:
                self._seen += 1
                self.times.append(now)
                if self.notify is not None:
                    self.notify("accept", now)

    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.times, self.times[1:])]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


class LoopLagProbe:
    """``async with LoopLagProbe() as probe:`` runs a task that sleeps 5 ms in a loop and
    keeps the worst lateness (``probe.max_lag``, seconds) and when it happened."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.max_lag = 0.0
        self.max_lag_at = 0.0
        self.samples = 0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(self.period)
            now = time.monotonic()
            lag = now - start - self.period
            self.samples += 1
            if lag > self.max_lag:
                self.max_lag, self.max_lag_at = lag, now

    async def __aenter__(self) -> "LoopLagProbe":
        self._task = asyncio.ensure_future(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class PahoObserver:
    """An independent subscriber (paho-mqtt, its own thread and connection).

    ``PahoObserver(host, port, topic)`` connects and returns once the SUBACK arrived;
    ``messages`` holds ``(topic, payload bytes)``; ``wait_count(n)`` blocks (use
    ``asyncio.to_thread``); ``close()`` disconnects.
    """

    host: str
    port: int
    topic: str
    qos: int = 1
    messages: list[tuple[str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        import paho.mqtt.client as paho

        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                   client_id=f"observer-{id(self):x}")
        self._client.on_connect = lambda c, u, f, rc, p: c.subscribe(self.topic, self.qos)
        self._client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect(self.host, self.port, keepalive=30)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            raise TimeoutError(f"observer not subscribed to {self.topic!r} within 10s")

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        with self._cond:
            self.messages.append((msg.topic, bytes(msg.payload)))
            self._cond.notify_all()

    def wait_count(self, n: int, timeout: float = 10.0) -> list[tuple[str, bytes]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= n, timeout):
                raise TimeoutError(f"observer got {len(self.messages)} of {n} messages")
            return list(self.messages)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class DeviceSession:
    """A connected client and its device, with a queue per thing the device sends back:
    ``statuses``, ``features``, one per typed read-back (``readbacks``: attribute name ->
    the client's ``subscribe_*`` method) and ``raw`` ``(topic, response)`` pairs of the
    client's ``res/{kind}/rd`` replies for ``raw_kinds``."""

    def __init__(self, client: Any, device: Any, readbacks: dict[str, str], raw_kinds: Iterable[str]) -> None:
        self.client, self.device = client, device
        self.statuses: asyncio.Queue = asyncio.Queue()
        self.features: asyncio.Queue = asyncio.Queue()
        self.raw: asyncio.Queue = asyncio.Queue()
        self._readbacks = dict(readbacks)
        self._raw_kinds = tuple(raw_kinds)
        for name in self._readbacks:
            setattr(self, name, asyncio.Queue())

    async def start(self) -> "DeviceSession":
        client, device = self.client, self.device
        await client.subscribe_device_status(device, self.statuses.put_nowait)
        await client.subscribe_device_feature(device, self.features.put_nowait)
        for name, method in self._readbacks.items():
            await getattr(client, method)(device, getattr(self, name).put_nowait)
        for kind in self._raw_kinds:
            await client.subscribe(f"cmd/52/{client.client_id}/res/{kind}/rd",
                                   lambda topic, message: self.raw.put_nowait((topic, message.get("response"))))
        return self

    async def status(self, command: int | None = None) -> Any:
        """The next status the device sends in answer to ``command`` (a status request by
        default)."""
        wanted = CommandCode.STATUS_REQUEST if command is None else command
        return await next_matching(self.statuses, lambda s: s.command == wanted)

    async def fresh_status(self) -> Any:
        await self.client.request_device_status(self.device)
        return await self.status()

    async def fresh_feature(self) -> Any:
        await self.client.request_device_info(self.device)
        return await next_matching(self.features)

    async def serial(self) -> str:
        return (await self.fresh_feature()).controller_serial_number


@contextlib.asynccontextmanager
async def device_session(sim: Any, readbacks: dict[str, str], raw_kinds: Iterable[str],
                         timeout: float = 15.0) -> AsyncIterator[DeviceSession]:
    """Signs in to the simulator, connects, and yields a started :class:`DeviceSession` for
    its first device; disconnects at the end."""
    async with NavienAuthClient(sim.email, sim.password, base_url=sim.api_base_url) as auth:
        device = (await NavienAPIClient(auth, base_url=sim.api_base_url).list_devices())[0]
        client = NavienMqttClient(auth, config=sim_config(sim))
        await asyncio.wait_for(client.connect(), timeout)
        try:
            yield await DeviceSession(client, device, readbacks, raw_kinds).start()
        finally:
            await client.disconnect()
