"""A small asyncio event emitter, with nwp500-python 9.3.0 semantics.

``NavienMqttClient`` inherits from :class:`EventEmitter`, so user code writes
``client.on("connection_interrupted", handler)``. Handlers may be plain
functions or coroutine functions; whatever a handler returns is awaited when it
is awaitable, which makes ``lambda e: collector.record_connection_drop(error=e)``
work. All handlers run on the asyncio loop thread, one after the other.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["EventEmitter", "EventListener"]

_LOGGER = logging.getLogger("nwp500.events")

DEFAULT_PRIORITY = 50


@dataclass(frozen=True, slots=True)
class EventListener:
    """One registration of a callback for an event.

    Attributes:
        callback: Sync or async callable invoked with the emitted arguments.
        once: Remove the registration before its first invocation.
        priority: Higher runs first; equal priorities keep registration order.
    """

    callback: Callable[..., Any]
    once: bool = False
    priority: int = DEFAULT_PRIORITY


class EventEmitter:
    """Registry of event listeners with ordered, sequential async delivery.

    Designed to be a mixin next to a native (PyO3) base class: ``__init__``
    takes no arguments, does not call ``super().__init__()`` (the native base
    is initialised by its own ``__new__``/``__init__``), and every attribute it
    owns starts with ``_ee_`` so it cannot collide with the host class.
    Subclasses must call ``EventEmitter.__init__(self)``.
    """

    def __init__(self) -> None:
        self._ee_listeners: dict[str, list[EventListener]] = {}
        self._ee_event_counts: dict[str, int] = {}

    # --- registration -----------------------------------------------------

    def on(
        self,
        event: str,
        callback: Callable[..., Any],
        priority: int = DEFAULT_PRIORITY,
    ) -> None:
        """Call ``callback`` every time ``event`` is emitted.

        Args:
            event: Event name, e.g. ``"connection_interrupted"``.
            callback: Sync function or coroutine function.
            priority: Higher values run earlier (default 50).
        """
        self._ee_add(event, EventListener(callback, False, priority))

    def once(
        self,
        event: str,
        callback: Callable[..., Any],
        priority: int = DEFAULT_PRIORITY,
    ) -> None:
        """Like :meth:`on`, but the listener is removed before its first call."""
        self._ee_add(event, EventListener(callback, True, priority))

    def _ee_add(self, event: str, listener: EventListener) -> None:
        if not callable(listener.callback):
            raise TypeError(
                f"callback for event {event!r} must be callable, "
                f"got {type(listener.callback).__name__}"
            )
        listeners = self._ee_listeners.setdefault(event, [])
        listeners.append(listener)
        # list.sort is stable, so equal priorities keep registration order.
        listeners.sort(key=lambda item: item.priority, reverse=True)

    def off(self, event: str, callback: Callable[..., Any] | None = None) -> int:
        """Remove listeners of ``event``.

        Callbacks are compared with ``==``, so a freshly created bound method
        (``self.handler`` evaluated again) removes the earlier registration.

        Args:
            event: Event name.
            callback: The callback to remove; ``None`` removes every listener.

        Returns:
            The number of listeners removed (0 for an unknown event).
        """
        listeners = self._ee_listeners.get(event)
        if not listeners:
            return 0
        if callback is None:
            removed = len(listeners)
            del self._ee_listeners[event]
            return removed
        kept = [item for item in listeners if not item.callback == callback]
        removed = len(listeners) - len(kept)
        if kept:
            self._ee_listeners[event] = kept
        else:
            del self._ee_listeners[event]
        return removed

    def remove_all_listeners(self, event: str | None = None) -> int:
        """Remove every listener of ``event``, or of all events when ``None``.

        Returns:
            The number of listeners removed.
        """
        if event is not None:
            return len(self._ee_listeners.pop(event, ()))
        removed = sum(len(items) for items in self._ee_listeners.values())
        self._ee_listeners.clear()
        return removed

    # --- delivery ---------------------------------------------------------

    async def emit(self, event: str, *args: Any, **kwargs: Any) -> int:
        """Call every listener of ``event`` in priority order.

        Listeners run sequentially; an awaitable result is awaited before the
        next listener starts. A listener that raises is logged at ERROR on the
        ``nwp500.events`` logger and does not stop the others.

        Returns:
            The number of listeners that completed without raising. An event
            with no listeners returns 0 and does not count as emitted.
        """
        listeners = self._ee_listeners.get(event)
        if not listeners:
            return 0
        self._ee_event_counts[event] = self._ee_event_counts.get(event, 0) + 1

        snapshot = list(listeners)
        # Drop once-listeners now, in the same synchronous step as taking the
        # snapshot: an emit that starts while this one is awaiting a handler
        # then cannot see them, so they fire exactly once, and a once-handler
        # that raises is still removed.
        if any(item.once for item in snapshot):
            kept = [item for item in listeners if not item.once]
            if kept:
                self._ee_listeners[event] = kept
            else:
                del self._ee_listeners[event]

        succeeded = 0
        for listener in snapshot:
            try:
                result = listener.callback(*args, **kwargs)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                _LOGGER.error(
                    "Error in '%s' event handler: %s", event, exc, exc_info=True
                )
            else:
                succeeded += 1
        return succeeded

    async def wait_for(
        self, event: str, timeout: float | None = None
    ) -> tuple[Any, ...]:
        """Wait for the next emission of ``event``.

        Args:
            event: Event name.
            timeout: Seconds to wait; ``None`` waits forever.

        Returns:
            The positional arguments of that emission (keyword arguments are
            not included).

        Raises:
            asyncio.TimeoutError: If ``timeout`` elapses first.
        """
        future: asyncio.Future[tuple[Any, ...]] = (
            asyncio.get_running_loop().create_future()
        )

        def _resolve(*args: Any, **_kwargs: Any) -> None:
            if not future.done():
                future.set_result(args)

        self.once(event, _resolve)
        try:
            if timeout is None:
                return await future
            return await asyncio.wait_for(future, timeout)
        finally:
            # Covers timeout and cancellation; after a normal resolution the
            # once-listener is already gone and this removes nothing.
            self.off(event, _resolve)

    # --- introspection ----------------------------------------------------

    def listener_count(self, event: str) -> int:
        """Return the number of listeners currently registered for ``event``."""
        return len(self._ee_listeners.get(event, ()))

    def event_count(self, event: str) -> int:
        """Return how many times ``event`` was emitted with at least one listener."""
        return self._ee_event_counts.get(event, 0)

    def event_names(self) -> list[str]:
        """Return the events that currently have at least one listener."""
        return [name for name, items in self._ee_listeners.items() if items]
