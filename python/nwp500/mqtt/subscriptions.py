"""Subscriptions with 9.3.0's ``MqttSubscriptionManager`` interface
(``nwp500.mqtt.subscriptions``).

The subscriptions of a ``NavienMqttClient`` live in its Rust session (which topics, their
state, restoring them after every reconnect); the typed device subscriptions are methods
of the client. This manager is a view of a client: ``connection`` is a
``NavienMqttClient`` or an :class:`~nwp500.mqtt.connection.MqttConnection`; every method
goes to that client and :attr:`subscriptions` is read from it, never copied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..device_info_cache import MqttDeviceInfoCache
from ..events import EventEmitter
from ..exceptions import MqttNotConnectedError
from .types import QoS

__all__ = ["MqttSubscriptionManager"]

_logger = logging.getLogger("nwp500.mqtt.subscriptions")

MessageCallback = Callable[[str, dict[str, Any]], Any]


def _client_of(connection: Any) -> Any:
    return getattr(connection, "client", connection)


class MqttSubscriptionManager:
    """Subscribe and unsubscribe through a client (see the module documentation).

    ``event_emitter``, ``schedule_coroutine``, ``device_info_cache`` and
    ``operation_timeout`` are accepted as in 9.3.0; the client emits its own events, runs
    callbacks on its loop, caches features and applies ``config.operation_timeout``.
    """

    def __init__(
        self,
        connection: Any,
        client_id: str,
        event_emitter: EventEmitter,
        schedule_coroutine: Callable[[Any], None],
        device_info_cache: MqttDeviceInfoCache | None = None,
        operation_timeout: float = 30.0,
    ):
        self._client = _client_of(connection)
        self.client_id = client_id
        self.event_emitter = event_emitter
        self._schedule = schedule_coroutine
        self.device_info_cache = device_info_cache
        self.operation_timeout = operation_timeout

    def _require(self) -> Any:
        if self._client is None:
            raise MqttNotConnectedError("No connection")
        return self._client

    @property
    def subscriptions(self) -> dict[str, QoS]:
        """``{topic: QoS}`` of every subscription the broker confirmed (read from the client)."""
        if self._client is None:
            return {}
        return {topic: QoS(qos) for topic, qos in self._client._subscriptions().items()}

    def update_connection(self, connection: Any) -> None:
        """Point this manager at another client (or ``MqttConnection``)."""
        self._client = _client_of(connection)

    async def subscribe(self, topic: str, callback: MessageCallback, qos: QoS = QoS.AT_LEAST_ONCE) -> int:
        return int(await self._require().subscribe(topic, callback, qos))

    async def unsubscribe(self, topic: str, callback: MessageCallback | None = None) -> int:
        """Remove ``callback`` from ``topic`` (every callback when ``None``); UNSUBSCRIBE is
        sent only when none is left. Returns the packet id, or 0 when nothing was sent."""
        client = self._require()
        if callback is not None and client._remove_callback(topic, callback) > 0:
            return 0
        if not client.is_connected:
            return 0
        return int(await client.unsubscribe(topic))

    async def resubscribe_all(self) -> None:
        """Nothing to do by hand: the client's session restores every subscription after
        each reconnect, before it sends queued commands."""
        _logger.debug("resubscribe_all: the session restores subscriptions itself")

    async def subscribe_device(self, device: Any, callback: MessageCallback) -> int:
        return int(await self._require().subscribe_device(device, callback))

    async def subscribe_device_status(self, device: Any, callback: Callable[[Any], None]) -> int:
        return int(await self._require().subscribe_device_status(device, callback))

    async def unsubscribe_device_status(self, device: Any, callback: Callable[[Any], None]) -> None:
        await self._require().unsubscribe_device_status(device, callback)

    async def subscribe_device_feature(self, device: Any, callback: Callable[[Any], None]) -> int:
        return int(await self._require().subscribe_device_feature(device, callback))

    async def unsubscribe_device_feature(self, device: Any, callback: Callable[[Any], None]) -> None:
        await self._require().unsubscribe_device_feature(device, callback)

    async def subscribe_energy_usage(self, device: Any, callback: Callable[[Any], None]) -> int:
        return int(await self._require().subscribe_energy_usage(device, callback))

    async def unsubscribe_energy_usage(self, device: Any, callback: Callable[[Any], None]) -> None:
        await self._require().unsubscribe_energy_usage(device, callback)

    async def subscribe_reservation_response(self, device: Any, callback: Callable[[Any], None]) -> int:
        return int(await self._require().subscribe_reservation_response(device, callback))

    async def unsubscribe_reservation_response(self, device: Any, callback: Callable[[Any], None]) -> None:
        await self._require().unsubscribe_reservation_response(device, callback)

    async def subscribe_weekly_reservation_response(self, device: Any, callback: Callable[[Any], None]) -> int:
        return int(await self._require().subscribe_weekly_reservation_response(device, callback))

    async def unsubscribe_weekly_reservation_response(self, device: Any, callback: Callable[[Any], None]) -> None:
        await self._require().unsubscribe_weekly_reservation_response(device, callback)

    async def subscribe_recirculation_schedule_response(self, device: Any, callback: Callable[[Any], None]) -> int:
        return int(await self._require().subscribe_recirculation_schedule_response(device, callback))

    async def unsubscribe_recirculation_schedule_response(self, device: Any, callback: Callable[[Any], None]) -> None:
        await self._require().unsubscribe_recirculation_schedule_response(device, callback)

    async def subscribe_tou_response(self, device: Any, callback: Callable[[Any], None]) -> int:
        return int(await self._require().subscribe_tou_response(device, callback))

    async def unsubscribe_tou_response(self, device: Any, callback: Callable[[Any], None]) -> None:
        await self._require().unsubscribe_tou_response(device, callback)

    def clear_subscriptions(self) -> None:
        """Withdraw every subscription of the client: each topic is unsubscribed (scheduled
        with ``schedule_coroutine``; nothing is sent while offline)."""
        client = self._client
        if client is None or not client.is_connected:
            return
        for topic in list(client._subscriptions()):
            self._schedule(client.unsubscribe(topic))
