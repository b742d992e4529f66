"""Tests of nwp500.events.EventEmitter (9.3.0 semantics) and nwp500.mqtt_events."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from nwp500.events import EventEmitter, EventListener
from nwp500.mqtt_events import (
    ConnectionInterruptedEvent,
    ConnectionResumedEvent,
    ErrorDetectedEvent,
    MqttClientEvents,
)


def test_priority_order_descending_and_stable() -> None:
    ee = EventEmitter()
    calls: list[str] = []
    ee.on("e", lambda: calls.append("low"), priority=10)
    ee.on("e", lambda: calls.append("default-1"))
    ee.on("e", lambda: calls.append("high"), priority=90)
    ee.on("e", lambda: calls.append("default-2"))
    assert asyncio.run(ee.emit("e")) == 4
    assert calls == ["high", "default-1", "default-2", "low"]


def test_sync_and_async_callbacks_and_kwargs() -> None:
    ee = EventEmitter()
    got: list[tuple[str, object, object]] = []

    def sync_cb(x: int, *, y: int) -> None:
        got.append(("sync", x, y))

    async def async_cb(x: int, *, y: int) -> None:
        await asyncio.sleep(0)
        got.append(("async", x, y))

    ee.on("e", sync_cb)
    ee.on("e", async_cb)
    assert asyncio.run(ee.emit("e", 1, y=2)) == 2
    assert got == [("sync", 1, 2), ("async", 1, 2)]


def test_emit_awaits_coroutine_returned_by_sync_callable() -> None:
    # The documented diagnostics pattern: a lambda returning a coroutine.
    ee = EventEmitter()
    done: list[object] = []

    async def record(error: object) -> None:
        await asyncio.sleep(0)
        done.append(error)

    ee.on("connection_interrupted", lambda e: record(e))
    assert asyncio.run(ee.emit("connection_interrupted", "boom")) == 1
    assert done == ["boom"]


def test_emit_runs_listeners_sequentially() -> None:
    ee = EventEmitter()
    trace: list[str] = []

    async def slow() -> None:
        trace.append("slow-start")
        await asyncio.sleep(0.01)
        trace.append("slow-end")

    ee.on("e", slow, priority=60)
    ee.on("e", lambda: trace.append("fast"))
    asyncio.run(ee.emit("e"))
    assert trace == ["slow-start", "slow-end", "fast"]


class _Handler:
    def __init__(self) -> None:
        self.calls = 0

    def handle(self, *_: object) -> None:
        self.calls += 1


def test_off_with_fresh_bound_method_uses_equality() -> None:
    ee = EventEmitter()
    h = _Handler()
    ee.on("e", h.handle)
    ee.on("e", h.handle)
    ee.on("e", lambda: None)
    assert h.handle is not h.handle  # a fresh bound method each time
    assert ee.off("e", h.handle) == 2
    assert ee.listener_count("e") == 1
    assert ee.off("e", h.handle) == 0
    assert ee.off("unknown", h.handle) == 0


def test_off_all_and_key_removed() -> None:
    ee = EventEmitter()
    ee.on("e", lambda: None)
    ee.once("e", lambda: None)
    assert ee.off("e") == 2
    assert ee.listener_count("e") == 0
    assert ee.event_names() == []


def test_once_fires_once_and_is_removed_before_call() -> None:
    ee = EventEmitter()
    seen_counts: list[int] = []
    ee.once("e", lambda: seen_counts.append(ee.listener_count("e")))
    ee.on("e", lambda: None)

    async def main() -> tuple[int, int]:
        return await ee.emit("e"), await ee.emit("e")

    assert asyncio.run(main()) == (2, 1)
    # Inside the once-callback, it was already unregistered.
    assert seen_counts == [1]
    assert ee.listener_count("e") == 1


def test_once_not_double_fired_by_concurrent_emits() -> None:
    ee = EventEmitter()
    fired: list[str] = []

    async def slow_first() -> None:
        await asyncio.sleep(0.01)

    ee.on("e", slow_first, priority=100)
    ee.once("e", lambda: fired.append("once"))

    async def main() -> list[int]:
        return list(await asyncio.gather(ee.emit("e"), ee.emit("e")))

    results = asyncio.run(main())
    assert fired == ["once"]
    assert sorted(results) == [1, 2]


def test_same_callback_once_twice_leaves_nothing() -> None:
    ee = EventEmitter()
    calls: list[int] = []

    def cb() -> None:
        calls.append(1)

    ee.once("e", cb)
    ee.once("e", cb)
    assert asyncio.run(ee.emit("e")) == 2
    assert ee.listener_count("e") == 0
    assert asyncio.run(ee.emit("e")) == 0


def test_failing_once_listener_is_still_removed() -> None:
    ee = EventEmitter()

    def bad() -> None:
        raise ValueError("nope")

    ee.once("e", bad)
    assert asyncio.run(ee.emit("e")) == 0
    assert ee.listener_count("e") == 0


def test_failing_listener_does_not_stop_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ee = EventEmitter()
    calls: list[str] = []

    def bad() -> None:
        raise RuntimeError("kaput")

    async def bad_async() -> None:
        raise KeyError("k")

    ee.on("e", bad, priority=90)
    ee.on("e", bad_async, priority=80)
    ee.on("e", lambda: calls.append("ok"))
    with caplog.at_level(logging.ERROR, logger="nwp500.events"):
        assert asyncio.run(ee.emit("e")) == 1
    assert calls == ["ok"]
    messages = [r.getMessage() for r in caplog.records if r.name == "nwp500.events"]
    assert "Error in 'e' event handler: kaput" in messages
    assert len(messages) == 2
    assert all(r.levelno == logging.ERROR for r in caplog.records)


def test_event_count_semantics() -> None:
    ee = EventEmitter()

    async def main() -> None:
        assert await ee.emit("e") == 0
        assert ee.event_count("e") == 0  # no listeners: not counted
        ee.on("e", lambda: None)
        await ee.emit("e")
        await ee.emit("e")
        assert ee.event_count("e") == 2

        def bad() -> None:
            raise ValueError

        ee.off("e")
        ee.on("e", bad)
        assert await ee.emit("e") == 0
        assert ee.event_count("e") == 3  # counted even when every listener fails

    asyncio.run(main())
    assert ee.event_count("never") == 0


def test_introspection_and_remove_all() -> None:
    ee = EventEmitter()
    ee.on("a", lambda: None)
    ee.on("a", lambda: None)
    ee.once("b", lambda: None)
    assert ee.listener_count("a") == 2
    assert sorted(ee.event_names()) == ["a", "b"]
    assert ee.remove_all_listeners("a") == 2
    assert ee.remove_all_listeners("a") == 0
    ee.on("c", lambda: None)
    assert ee.remove_all_listeners() == 2
    assert ee.event_names() == []


def test_on_rejects_non_callable() -> None:
    with pytest.raises(TypeError):
        EventEmitter().on("e", "not callable")  # type: ignore[arg-type]


def test_wait_for_returns_positional_args() -> None:
    ee = EventEmitter()

    async def main() -> tuple[object, ...]:
        waiter = asyncio.create_task(ee.wait_for("e", timeout=1.0))
        await asyncio.sleep(0)
        assert ee.listener_count("e") == 1
        await ee.emit("e", 1, "two", kw="dropped")
        return await waiter

    assert asyncio.run(main()) == (1, "two")
    assert ee.listener_count("e") == 0


def test_wait_for_timeout_removes_listener() -> None:
    ee = EventEmitter()

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await ee.wait_for("e", timeout=0.01)

    asyncio.run(main())
    assert ee.listener_count("e") == 0


def test_wait_for_cancel_removes_listener() -> None:
    ee = EventEmitter()

    async def main() -> None:
        waiter = asyncio.create_task(ee.wait_for("e"))
        await asyncio.sleep(0)
        assert ee.listener_count("e") == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert ee.listener_count("e") == 0

    asyncio.run(main())


def test_mixin_with_other_base() -> None:
    class Base:
        def __init__(self, value: int) -> None:
            self.value = value

    class Client(Base, EventEmitter):
        def __init__(self) -> None:
            Base.__init__(self, 7)
            EventEmitter.__init__(self)

    c = Client()
    got: list[int] = []
    c.on("e", got.append)
    assert asyncio.run(c.emit("e", c.value)) == 1
    assert got == [7]
    assert all(k.startswith("_ee_") for k in vars(c) if k != "value")


def test_event_listener_dataclass() -> None:
    listener = EventListener(print)
    assert (listener.once, listener.priority) == (False, 50)
    with pytest.raises(dataclasses.FrozenInstanceError):
        listener.once = True  # type: ignore[misc]
    assert not hasattr(listener, "__dict__")


def test_mqtt_client_events_registry() -> None:
    names = MqttClientEvents.get_all_events()
    assert "CONNECTION_INTERRUPTED" in names
    assert len(names) == 11
    assert MqttClientEvents.CONNECTION_INTERRUPTED == "connection_interrupted"
    assert MqttClientEvents.get_event_value("FEATURE_RECEIVED") == "feature_received"
    assert "reconnection_failed" not in {
        MqttClientEvents.get_event_value(n) for n in names
    }
    with pytest.raises(AttributeError):
        MqttClientEvents.get_event_value("RECONNECTION_FAILED")


def test_event_payloads_are_frozen_slotted() -> None:
    err = ValueError("x")
    ev = ConnectionInterruptedEvent(error=err)
    assert ev.error is err
    resumed = ConnectionResumedEvent(return_code=0, session_present=True)
    assert (resumed.return_code, resumed.session_present) == (0, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        resumed.return_code = 1  # type: ignore[misc]
    det = ErrorDetectedEvent("aabb", 7, None)
    assert not hasattr(det, "__dict__")
    assert det == ErrorDetectedEvent(device_mac="aabb", error_code=7, status=None)
