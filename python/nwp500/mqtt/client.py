"""``NavienMqttClient``: the async MQTT client of nwp500.

The connection itself (reconnects, ping deadline, offline queue, resubscription) lives in the
Rust core, :class:`nwp500._core.MqttClientCore`. This class adds the event emitter and the
``async def`` methods with nwp500 9.3.0's names, arguments and return values.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from .._core import MqttClientCore
from ..events import EventEmitter
from ..unit_system import set_unit_system
from .control import DeviceControlMixin
from .device_subscriptions import DeviceSubscriptionsMixin
from .diagnostics import MqttDiagnosticsCollector
from .types import QoS

__all__ = ["NavienMqttClient"]

_logger = logging.getLogger("nwp500.mqtt.client")

MessageCallback = Callable[[str, dict[str, Any]], Any]


class _SubscriptionView:
    """What ``client._subscription_manager`` offers: the diagnostics guide reads
    ``len(client._subscription_manager.subscriptions)``."""

    __slots__ = ("_client",)

    def __init__(self, client: NavienMqttClient) -> None:
        self._client = client

    @property
    def subscriptions(self) -> dict[str, QoS]:
        """A copy of ``{topic: QoS}`` for every subscription the broker confirmed."""
        return {t: QoS(q) for t, q in self._client._subscriptions().items()}


class NavienMqttClient(MqttClientCore, DeviceControlMixin, DeviceSubscriptionsMixin, EventEmitter):
    """Keeps one MQTT connection to the Navien cloud (or any broker) alive.

    Construct with an authenticated auth client (anything with nwp500's ``NavienAuthClient``
    members works). Nothing connects until :meth:`connect`. Events (see
    :class:`nwp500.mqtt_events.MqttClientEvents`): ``connection_interrupted``
    (:class:`~nwp500.mqtt_events.ConnectionInterruptedEvent`), ``connection_resumed``
    (:class:`~nwp500.mqtt_events.ConnectionResumedEvent`, after *every* recovery, once
    subscriptions are restored and queued commands were sent), ``reconnection_failed``
    (the number of attempts, positionally) and, beyond 9.3.0, ``subscription_lost`` (the
    topic and an :class:`~nwp500.exceptions.MqttSubscriptionError`: the broker refused to
    restore a subscription after a reconnect, so it no longer delivers). Every listener and
    message callback runs on the asyncio loop thread that called :meth:`connect`.

    Connection state (which topics are subscribed, what is in flight, the attempt budget)
    lives in the Rust session alone; this object only reads it.

    Raises:
        MqttCredentialsError: the auth client is not signed in or holds no AWS credentials.
        ValueError: the config has an invalid value (the message names the field).
    """

    def __init__(
        self,
        auth_client: Any,
        config: Any = None,
        unit_system: Any = None,
    ) -> None:
        EventEmitter.__init__(self)
        if unit_system is not None:
            # 9.3.0: the client's unit system becomes the preferred one for decoded values.
            set_unit_system(unit_system)
        self._event_tail: asyncio.Future[None] | None = None
        self._diagnostics = MqttDiagnosticsCollector(_core=self._diagnostics_core, _endpoint=self.config.endpoint)
        self._device_state_init()

    @property
    def diagnostics(self) -> MqttDiagnosticsCollector:
        """The collector this client feeds itself: every drop with its cause, attempt number,
        active subscriptions and queued commands; every recovery (``connected``, ``resumed``,
        ``deep_reconnected``) with its time to reconnect; every attempt; every publish."""
        return self._diagnostics

    async def connect(self) -> bool:
        """Connect; returns ``True``. Idempotent while connected.

        Commands queued before the first connection are sent once it is up. A failed first
        connect raises (``ConnectionDropError`` naming the cause, or the auth client's own
        exception) and does not start reconnecting. While the client is reconnecting after a
        drop, this waits for the next scheduled attempt and returns or raises its outcome: it
        never brings an attempt forward, so the backoff holds however often it is called.
        After ``reconnection_failed`` it starts a fresh attempt budget.

        Raises:
            ConnectionDropError: the attempt failed (``.name``, ``.code``, ``.cause``).
            InvalidCredentialsError: the account refused the stored credentials.
            MqttConnectionError: :meth:`disconnect` overtook the attempt.
            ValueError: the config holds an invalid combination of values.
        """
        if self.is_connected:
            _logger.warning("Already connected")
            return True
        return await self._connect()

    async def disconnect(self) -> None:
        """Close the connection and stop reconnecting; waits until the socket is closed.

        Queued commands, subscriptions and listeners are kept for a later :meth:`connect`. A
        host monitor started on :attr:`diagnostics` stops too (a disconnected client leaves
        nothing running); start it again after a new :meth:`connect` if wanted.
        """
        self._diagnostics.stop_host_monitor()
        await self._disconnect()

    async def subscribe(
        self,
        topic: str,
        callback: MessageCallback,
        qos: QoS | int = QoS.AT_LEAST_ONCE,
    ) -> int:
        """Subscribe to ``topic`` (wildcards allowed); ``callback(topic, message_dict)`` runs
        on the loop thread for each message. Returns the SUBSCRIBE packet id, or 0 when the
        topic was already subscribed (the callback is added, no new SUBSCRIBE is sent).

        Raises:
            ValueError: ``topic`` is not a valid MQTT topic filter; nothing is sent.
            MqttNotConnectedError: not connected.
            MqttSubscriptionError: the broker refused the subscription.
            TimeoutError: no SUBACK within ``config.operation_timeout``; the request is
                withdrawn (a late grant is undone, and it is never restored).
        """
        return await self._subscribe(topic, callback, int(qos))

    async def unsubscribe(self, topic: str) -> int:
        """Unsubscribe ``topic`` and drop all its callbacks; returns the packet id."""
        return await self._unsubscribe(topic)

    async def publish(
        self,
        topic: str,
        payload: dict[str, Any] | str | bytes,
        qos: QoS | int = QoS.AT_LEAST_ONCE,
    ) -> int:
        """Publish ``payload`` (a dict is sent as JSON). Returns the packet id once the broker
        acknowledged it (QoS 1), or 0 when the client is offline and the message was queued.
        A queued message the connection drops on three times in a row while it is in flight
        is given up (logged, and counted in ``failed_commands_count``).

        A publish awaiting its PUBACK when the link drops goes back to the queue and its
        caller gets 0; if the queue has no room left, the oldest such publishes are dropped
        (counted in ``dropped_commands_count``) and their callers get ``MqttPublishError``.

        Raises:
            ValueError: ``topic`` holds a wildcard or is empty, or the payload is over AWS
                IoT's 128 KiB, or (MQTT 5) the message is over the maximum packet size the
                server announced; nothing is sent or queued.
            MqttNotConnectedError: offline with the command queue disabled.
            MqttPublishError: the link dropped before the PUBACK and the message could not
                be queued again (the queue is disabled or full, or the message was given up
                after repeated drops).
            TimeoutError: no PUBACK within ``config.operation_timeout``; the message is
                withdrawn and will not be replayed.
        """
        return await self._publish(topic, payload, int(qos))

    async def reset_reconnect(self) -> None:
        """Reset the reconnect attempt counter (the backoff starts again from the first
        delay)."""
        self._reset_reconnect()

    async def recover_connection(self) -> bool:
        """Make sure the tokens are valid and the client is connected; returns ``True``.

        While a reconnect is under way this waits for the next scheduled attempt and returns
        or raises its outcome (see :meth:`connect`).

        Raises:
            TokenRefreshError: the tokens could not be renewed.
            AuthenticationError: signing in again failed.
            ConnectionDropError: the (next) connection attempt failed.
        """
        await self.auth_client.ensure_valid_token()
        if self.is_connected:
            return True
        return await self._connect()

    @property
    def _subscription_manager(self) -> _SubscriptionView:
        return _SubscriptionView(self)

    def _deliver_event(self, event: str, *args: Any) -> None:
        # Called by the core on the loop thread. Each emit waits for the previous one, so
        # listeners see 'interrupted' before the 'resumed' that follows it even when a
        # listener awaits something.
        if event == "connection_interrupted" and self._diagnostics._on_drop_listeners:
            latest = self._diagnostics.get_recent_drops(1)
            if latest:
                self._diagnostics._notify_drop(latest[0])
        previous = self._event_tail
        self._event_tail = asyncio.ensure_future(self._emit_after(previous, event, args))

    async def _emit_after(
        self, previous: asyncio.Future[None] | None, event: str, args: tuple[Any, ...]
    ) -> None:
        if previous is not None and not previous.done():
            try:
                await previous
            except BaseException:  # noqa: BLE001 - an earlier emit's failure is its own
                pass
        await self.emit(event, *args)
