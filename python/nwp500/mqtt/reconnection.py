"""Reconnection with 9.3.0's ``MqttReconnectionHandler`` interface
(``nwp500.mqtt.reconnection``).

A ``NavienMqttClient`` reconnects by itself: its Rust session is the one reconnect
authority (backoff with jitter, quick then deep reconnects, the attempt budget). A handler
built with ``client=`` is a view of that: :attr:`is_reconnecting` and
:attr:`attempt_count` are read from the client, :meth:`reset_attempts` resets the client's
budget, and the interruption callbacks do nothing (the session already acts on them).

Built without a client, the handler drives ``reconnect_func`` itself, for code that
manages its own connection: after :meth:`on_connection_interrupted` it waits
``initial_reconnect_delay * reconnect_backoff_multiplier ** (n - 1)`` seconds (capped at
``max_reconnect_delay``, ±50 % jitter unless ``config.reconnect_jitter`` is off) before
attempt ``n``, calls ``deep_reconnect_func`` instead from attempt
``deep_reconnect_threshold`` on, stops when ``is_connected_func()`` is true, and after
``max_reconnect_attempts`` (unless negative) emits ``reconnection_failed`` with the
number of attempts through ``emit_event_func``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from .utils import MqttConnectionConfig

__all__ = ["MqttReconnectionHandler"]

_logger = logging.getLogger("nwp500.mqtt.reconnection")


class MqttReconnectionHandler:
    """Reconnects after an interruption (see the module documentation)."""

    def __init__(
        self,
        config: MqttConnectionConfig,
        is_connected_func: Callable[[], bool],
        schedule_coroutine_func: Callable[[Any], None],
        reconnect_func: Callable[[], Awaitable[None]],
        deep_reconnect_func: Callable[[], Awaitable[None]] | None = None,
        emit_event_func: Callable[..., Awaitable[Any]] | None = None,
        *,
        client: Any = None,
    ):
        self.config = config
        self._is_connected = is_connected_func
        self._schedule = schedule_coroutine_func
        self._reconnect = reconnect_func
        self._deep_reconnect = deep_reconnect_func
        self._emit = emit_event_func
        self._client = client
        self._enabled = False
        self._attempts = 0
        self._task: asyncio.Task[None] | None = None
        self._pending = False

    # -- switching --------------------------------------------------------------------------
    def enable(self) -> None:
        self._enabled = True

    def disable(self) -> None:
        self._enabled = False

    # -- state ------------------------------------------------------------------------------
    @property
    def is_reconnecting(self) -> bool:
        if self._client is not None:
            return bool(self._client.is_reconnecting)
        return self._pending or (self._task is not None and not self._task.done())

    @property
    def attempt_count(self) -> int:
        if self._client is not None:
            return int(self._client.reconnect_attempts)
        return self._attempts

    def reset_attempts(self) -> None:
        if self._client is not None:
            self._client._reset_reconnect()
        else:
            self._attempts = 0

    def reset(self) -> None:
        """Reset the attempt count; a handler of its own also forgets a finished loop."""
        self.reset_attempts()
        if self._client is None and self._task is not None and self._task.done():
            self._task = None

    # -- events -----------------------------------------------------------------------------
    def on_connection_interrupted(self, error: Exception) -> None:
        if self._client is not None:
            return  # the client's session reconnects by itself
        _logger.warning("Connection interrupted: %s", error)
        if not self._enabled or not self.config.auto_reconnect or self.is_reconnecting:
            return
        self._pending = True
        self._schedule(self._run())

    def on_connection_resumed(self, return_code: Any, session_present: Any) -> None:
        if self._client is not None:
            return
        _logger.info("Connection resumed (return code %s, session present %s)", return_code, session_present)
        self._attempts = 0

    async def cancel(self) -> None:
        """Stop a reconnect loop under way (a client's session is stopped by its
        ``disconnect()``)."""
        task, self._task = self._task, None
        self._pending = False
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    # -- the loop of a handler of its own -----------------------------------------------------
    def _delay(self, attempt: int) -> float:
        c = self.config
        delay = min(c.initial_reconnect_delay * c.reconnect_backoff_multiplier ** (attempt - 1), c.max_reconnect_delay)
        if getattr(c, "reconnect_jitter", True):
            delay *= random.uniform(0.5, 1.5)
        return float(delay)

    async def _run(self) -> None:
        self._task = asyncio.current_task()
        self._pending = False
        limit = self.config.max_reconnect_attempts
        try:
            while self._enabled and not self._is_connected():
                if 0 <= limit <= self._attempts:
                    _logger.error("Giving up after %d reconnection attempts", self._attempts)
                    if self._emit is not None:
                        result = self._emit("reconnection_failed", self._attempts)
                        if inspect.isawaitable(result):
                            await result
                    return
                self._attempts += 1
                await asyncio.sleep(self._delay(self._attempts))
                if self._is_connected() or not self._enabled:
                    return
                deep = self._deep_reconnect is not None and self._attempts >= self.config.deep_reconnect_threshold
                try:
                    await (self._deep_reconnect() if deep and self._deep_reconnect is not None else self._reconnect())
                except Exception as exc:  # noqa: BLE001 - the next attempt follows
                    _logger.warning("Reconnection attempt %d failed: %s", self._attempts, exc)
        finally:
            if self._task is asyncio.current_task():
                self._task = None
