"""One MQTT connection with 9.3.0's ``MqttConnection`` interface
(``nwp500.mqtt.connection``).

The connection is a :class:`~nwp500.mqtt.client.NavienMqttClient` (its Rust session keeps
it alive: reconnects, resubscription, offline queue); this class adds 9.3.0's calling
conventions: ``subscribe(topic, qos, callback)`` returning ``(result, packet_id)`` and the
``on_connection_interrupted(handle, error)`` / ``on_connection_resumed(handle,
return_code, session_present)`` callbacks, where ``handle`` is :attr:`connection`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..mqtt_events import ConnectionInterruptedEvent, ConnectionResumedEvent
from .client import NavienMqttClient
from .types import QoS
from .utils import MqttConnectionConfig

__all__ = ["MqttConnection", "MqttConnectionHandle"]

#: What :attr:`MqttConnection.connection` returns: the client that holds the connection.
MqttConnectionHandle = NavienMqttClient


def _ignore(topic: str, message: dict[str, Any]) -> None:
    return None


class MqttConnection:
    """An MQTT connection to the Navien cloud (or ``config.endpoint``).

    Raises:
        MqttCredentialsError: ``auth_client`` is not signed in.
        ValueError: ``config`` holds an invalid value.
    """

    def __init__(
        self,
        config: MqttConnectionConfig,
        auth_client: Any,
        on_connection_interrupted: Callable[[MqttConnectionHandle, Exception], None] | None = None,
        on_connection_resumed: Callable[[MqttConnectionHandle, Any, Any | None], None] | None = None,
    ):
        self.config = config
        self.auth_client = auth_client
        self._client = NavienMqttClient(auth_client, config=config)
        self._on_interrupted = on_connection_interrupted
        self._on_resumed = on_connection_resumed
        self._client.on("connection_interrupted", self._interrupted)
        self._client.on("connection_resumed", self._resumed)

    async def _interrupted(self, event: ConnectionInterruptedEvent) -> None:
        if self._on_interrupted is not None:
            result = self._on_interrupted(self._client, event.error)
            if inspect.isawaitable(result):
                await result

    async def _resumed(self, event: ConnectionResumedEvent) -> None:
        if self._on_resumed is not None:
            result = self._on_resumed(self._client, event.return_code, event.session_present)
            if inspect.isawaitable(result):
                await result

    @property
    def client(self) -> NavienMqttClient:
        """The client holding the connection (subscriptions, queue, diagnostics, events)."""
        return self._client

    @property
    def is_connected(self) -> bool:
        return self._client.is_connected

    @property
    def connection(self) -> MqttConnectionHandle | None:
        """The live connection's handle (the client), or ``None`` while not connected."""
        return self._client if self._client.is_connected else None

    async def connect(self) -> bool:
        """Connect (``True``); raises as :meth:`NavienMqttClient.connect` does."""
        return await self._client.connect()

    async def disconnect(self) -> None:
        await self._client.disconnect()

    async def close(self) -> None:
        """Disconnect and stop every periodic task of the client."""
        await self._client.stop_all_periodic_tasks()
        await self._client.disconnect()

    async def subscribe(
        self, topic: str, qos: QoS, callback: Callable[..., None] | None = None
    ) -> tuple[Any, int]:
        """Subscribe; ``callback(topic, message_dict)`` runs on the loop thread for each
        message. Returns ``({"topic", "qos", "packet_id"}, packet_id)``."""
        packet_id = await self._client.subscribe(topic, callback or _ignore, QoS(qos))
        return {"topic": topic, "qos": QoS(qos), "packet_id": packet_id}, packet_id

    async def unsubscribe(self, topic: str) -> int:
        return await self._client.unsubscribe(topic)

    async def publish(self, topic: str, payload: str | dict[str, Any], qos: QoS = QoS.AT_LEAST_ONCE) -> int:
        return await self._client.publish(topic, payload, qos)
