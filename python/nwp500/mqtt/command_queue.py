"""The offline command queue (nwp500-python 9.3.0's ``nwp500.mqtt.command_queue``).

Every ``NavienMqttClient`` queues in its Rust core (bounded, drop-oldest, with a maximum
age, flushed oldest first after each reconnect, once subscriptions are restored). An
:class:`MqttCommandQueue` built with ``client=`` is a view of that queue: it reads the
count from the client and never keeps a copy. Built without a client it is a queue of its
own with the same rules, for code that drives its own connection.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .types import QoS
from .utils import MqttConnectionConfig, QueuedCommand

__all__ = ["MqttCommandQueue"]

_logger = logging.getLogger("nwp500.mqtt.command_queue")


class MqttCommandQueue:
    """Commands waiting for a connection.

    Args:
        config: ``enable_command_queue``, ``max_queued_commands`` and
            ``max_queued_command_age`` are read from it.
        client: a ``NavienMqttClient`` whose own queue this object shows.
    """

    def __init__(self, config: MqttConnectionConfig, *, client: Any = None):
        self.config = config
        self._client = client
        self._queue: deque[QueuedCommand] = deque()

    # -- state ----------------------------------------------------------------------------
    @property
    def count(self) -> int:
        if self._client is not None:
            return int(self._client.queued_commands_count)
        return len(self._queue)

    @property
    def is_empty(self) -> bool:
        return self.count == 0

    @property
    def is_full(self) -> bool:
        return self.count >= self.config.max_queued_commands

    def clear(self) -> int:
        """Drop every queued command; returns how many there were."""
        if self._client is not None:
            return int(self._client.clear_command_queue())
        dropped = len(self._queue)
        self._queue.clear()
        return dropped

    # -- queueing -------------------------------------------------------------------------
    def enqueue(self, topic: str, payload: dict[str, Any], qos: QoS) -> None:
        """Queue a command; when full, the oldest is dropped. With a client, the command is
        handed to the client (queued there while it is offline, sent when it is not)."""
        if not self.config.enable_command_queue:
            _logger.warning("Command queue disabled; dropping command for %s", topic)
            return
        if self._client is not None:
            asyncio.ensure_future(self._client.publish(topic, payload, qos))
            return
        if len(self._queue) >= self.config.max_queued_commands:
            self._queue.popleft()
            _logger.warning("Command queue full (%d); dropped the oldest command", self.config.max_queued_commands)
        self._queue.append(QueuedCommand(topic=topic, payload=payload, qos=QoS(qos), timestamp=datetime.now(UTC)))

    def _drop_expired(self) -> None:
        max_age = self.config.max_queued_command_age
        if max_age is None:
            return
        now = datetime.now(UTC)
        while self._queue and (now - self._queue[0].timestamp).total_seconds() > max_age:
            self._queue.popleft()

    async def send_all(
        self, publish_func: Callable[..., Any], is_connected_func: Callable[[], bool]
    ) -> tuple[int, int]:
        """Send the queued commands oldest first with ``publish_func(topic, payload, qos)``
        while ``is_connected_func()`` holds; returns ``(sent, failed)``. A command that fails
        goes back to the front of the queue and sending stops. Commands older than
        ``max_queued_command_age`` are dropped unsent. With a client, the client flushes its
        own queue after every reconnect: this returns ``(0, 0)``."""
        if self._client is not None:
            return 0, 0
        self._drop_expired()
        sent = failed = 0
        while self._queue and is_connected_func():
            command = self._queue.popleft()
            try:
                result = publish_func(command.topic, command.payload, command.qos)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # noqa: BLE001 - keep the command, report the failure
                _logger.warning("Sending a queued command failed: %s", exc)
                self._queue.appendleft(command)
                failed += 1
                break
            sent += 1
        return sent, failed
