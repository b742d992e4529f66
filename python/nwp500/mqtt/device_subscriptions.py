"""Typed device subscriptions, per-device state events and periodic requests of
``NavienMqttClient`` (nwp500 9.3.0 names and semantics).

Handlers run on the asyncio loop thread. A malformed or incomplete status or feature is
logged and skipped: it never reaches the callback and never breaks the callback loop.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from typing import TYPE_CHECKING, Any, Callable

from .._core import topic_matches_pattern  # noqa: F401 - re-exported for symmetry with utils
from ..models import (
    DeviceFeature,
    DeviceStatus,
    EnergyUsageResponse,
    RecirculationSchedule,
    ReservationSchedule,
    TOUReservationSchedule,
    WeeklyReservationSchedule,
    get_response_data,
)
from ..mqtt_events import FeatureReceivedEvent, StatusReceivedEvent
from ..state_tracker import DeviceStateTracker
from .capabilities import CommandGate
from .control import _address
from .periodic import MqttPeriodicRequestManager
from .periodic_types import PeriodicRequestType
from .types import QoS

__all__ = ["DeviceSubscriptionsMixin"]

_logger = logging.getLogger("nwp500.mqtt.subscriptions")


def _call(callback: Callable[..., Any], *args: Any) -> None:
    try:
        result = callback(*args)
        if inspect.isawaitable(result):
            asyncio.ensure_future(result)
    except Exception:  # noqa: BLE001 - one callback must not break the message loop
        _logger.exception("Error in device callback")


class DeviceSubscriptionsMixin:
    """Mixed into ``NavienMqttClient``: needs ``subscribe``, ``client_id``,
    ``_deliver_event`` and the command methods."""

    if TYPE_CHECKING:
        # What the host class provides (MqttClientCore, NavienMqttClient and DeviceControlMixin),
        # as they declare it.
        @property
        def client_id(self) -> str: ...
        @property
        def is_connected(self) -> bool: ...
        def _remove_callback(self, topic: str, callback: Callable[..., Any]) -> int: ...
        def _deliver_event(self, event: str, *args: Any) -> None: ...
        async def subscribe(
            self, topic: str, callback: Callable[[str, dict[str, Any]], Any], qos: QoS | int = QoS.AT_LEAST_ONCE
        ) -> int: ...
        async def unsubscribe(self, topic: str) -> int: ...
        async def request_device_status(self, device: Any) -> int: ...
        async def request_device_info(self, device: Any) -> int: ...

    def _device_state_init(self) -> None:
        self._gate = CommandGate()
        self._tracker = DeviceStateTracker()
        # Through a weak reference: the manager must not keep a dropped client alive.
        client = weakref.ref(self)

        def is_connected() -> bool:
            live = client()
            if live is None:  # the client is gone: end the periodic task asking
                task = asyncio.current_task()
                if task is not None:
                    task.cancel()
                return False
            return live.is_connected

        async def request_info(device: Any) -> int:
            live = client()
            return 0 if live is None else await live.request_device_info(device)

        async def request_status(device: Any) -> int:
            live = client()
            return 0 if live is None else await live.request_device_status(device)

        self._periodic = MqttPeriodicRequestManager(is_connected, request_info, request_status)
        # (topic, kind, user callback) -> the wrapper registered with the core, for removal.
        self._wrappers: dict[tuple[str, str, Any], Callable[[str, dict[str, Any]], None]] = {}

    def _device_filter(self, device: Any) -> str:
        device_type, mac, _ = _address(device)
        return f"cmd/{device_type}/navilink-{mac}/#"

    def _client_response_topic(self, device: Any, kind: str) -> str:
        return f"cmd/{_address(device)[0]}/{self.client_id}/res/{kind}/rd"

    async def subscribe_device(self, device: Any, callback: Callable[[str, dict[str, Any]], Any]) -> int:
        """Every message on the device's topic tree, raw: ``callback(topic, message)``."""
        return await self.subscribe(self._device_filter(device), callback)

    async def subscribe_device_status(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """Parsed statuses: ``callback(DeviceStatus)``; also emits ``status_received`` and the
        per-device change events (``temperature_changed``, ``heating_started``, ...)."""
        mac = _address(device)[1]
        # The wrapper lives in the client's own callback table: holding the client strongly
        # would make a cycle, and a dropped client (with its bridge socket pair) would wait
        # for the garbage collector instead of going at once.
        client = weakref.ref(self)

        def on_message(topic: str, message: dict[str, Any]) -> None:
            owner = client()
            data = get_response_data(message, "status")
            if owner is None or not data:
                return  # our own request echoed back, or another kind of reply
            try:
                status = DeviceStatus.model_validate(data)
            except (ValueError, TypeError, KeyError) as exc:
                _logger.warning("Skipping malformed status: %s", exc)
                return
            status.mac_address = mac
            owner._deliver_event("status_received", StatusReceivedEvent(device_mac=mac, status=status))
            for name, event in owner._tracker.update(mac, status):
                owner._deliver_event(name, event)
            _call(callback, status)

        return await self._subscribe_wrapped(self._device_filter(device), "status", callback, on_message)

    async def _subscribe_wrapped(
        self, topic: str, kind: str, callback: Any, wrapper: Callable[[str, dict[str, Any]], None]
    ) -> int:
        """Register ``wrapper`` for ``callback``; a callback already registered for this
        topic and kind keeps its first wrapper, so it is not registered twice (returns 0, as
        9.3.0 does).

        ``_wrappers`` only maps a callback to its wrapper, for unsubscribing: whether the topic
        is subscribed is the session's to say. So the subscribe always goes through; after a
        ``subscription_lost`` it subscribes again instead of answering 0 from memory."""
        key = (topic, kind, callback)
        known = key in self._wrappers
        wrapper = self._wrappers.setdefault(key, wrapper)
        try:
            return await self.subscribe(topic, wrapper)
        except BaseException:
            if not known:
                self._wrappers.pop(key, None)
            raise

    async def _unsubscribe_wrapped(self, topic: str, kind: str, callback: Any) -> int:
        wrapper = self._wrappers.pop((topic, kind, callback), None)
        if wrapper is None:
            return 0
        if self._remove_callback(topic, wrapper) == 0 and self.is_connected:
            return await self.unsubscribe(topic)
        return 0

    async def unsubscribe_device_status(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """Withdraw one status callback; UNSUBSCRIBE only when the topic has none left."""
        return await self._unsubscribe_wrapped(self._device_filter(device), "status", callback)

    async def unsubscribe_device_feature(self, device: Any, callback: Callable[[Any], Any]) -> int:
        return await self._unsubscribe_wrapped(self._device_filter(device), "feature", callback)

    async def subscribe_device_feature(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """Parsed features: ``callback(DeviceFeature)``; also emits ``feature_received`` and
        caches the feature: its flags gate the control commands (``DeviceCapabilityError``)
        and its limits check ``set_dhw_temperature``."""
        mac = _address(device)[1]
        client = weakref.ref(self)  # no cycle through the callback table (see above)

        def on_message(topic: str, message: dict[str, Any]) -> None:
            owner = client()
            data = get_response_data(message, "feature")
            if owner is None or not data:
                return
            try:
                feature = DeviceFeature.model_validate(data)
            except (ValueError, TypeError, KeyError) as exc:
                _logger.warning("Skipping malformed feature: %s", exc)
                return
            feature.mac_address = mac
            owner._gate.remember(mac, feature, data)
            owner._deliver_event("feature_received", FeatureReceivedEvent(device_mac=mac, feature=feature))
            _call(callback, feature)

        return await self._subscribe_wrapped(self._device_filter(device), "feature", callback, on_message)

    async def _subscribe_response(self, device: Any, kind: str, model: Any, callback: Callable[[Any], Any]) -> int:
        def on_message(topic: str, message: dict[str, Any]) -> None:
            response = message.get("response") if isinstance(message, dict) else None
            if not isinstance(response, dict):
                return
            try:
                parsed = model.model_validate(response)
            except (ValueError, TypeError, KeyError) as exc:
                _logger.warning("Skipping malformed %s response: %s", kind, exc)
                return
            _call(callback, parsed)

        return await self._subscribe_wrapped(self._client_response_topic(device, kind), kind, callback, on_message)

    async def _unsubscribe_response(self, device: Any, kind: str, callback: Callable[[Any], Any]) -> None:
        await self._unsubscribe_wrapped(self._client_response_topic(device, kind), kind, callback)

    async def subscribe_energy_usage(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """Energy-usage replies: ``callback(EnergyUsageResponse)``."""
        return await self._subscribe_response(device, "energy-usage-daily-query", EnergyUsageResponse, callback)

    async def unsubscribe_energy_usage(self, device: Any, callback: Callable[[Any], Any]) -> None:
        await self._unsubscribe_response(device, "energy-usage-daily-query", callback)

    async def subscribe_reservation_response(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """Reservation read-backs: ``callback(ReservationSchedule)``."""
        return await self._subscribe_response(device, "rsv", ReservationSchedule, callback)

    async def unsubscribe_reservation_response(self, device: Any, callback: Callable[[Any], Any]) -> None:
        await self._unsubscribe_response(device, "rsv", callback)

    async def subscribe_weekly_reservation_response(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """Weekly reservation read-backs: ``callback(WeeklyReservationSchedule)``."""
        return await self._subscribe_response(device, "rsv-weekly", WeeklyReservationSchedule, callback)

    async def unsubscribe_weekly_reservation_response(self, device: Any, callback: Callable[[Any], Any]) -> None:
        await self._unsubscribe_response(device, "rsv-weekly", callback)

    async def subscribe_recirculation_schedule_response(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """Recirculation schedule read-backs: ``callback(RecirculationSchedule)``."""
        return await self._subscribe_response(device, "recirc-rsv", RecirculationSchedule, callback)

    async def unsubscribe_recirculation_schedule_response(self, device: Any, callback: Callable[[Any], Any]) -> None:
        await self._unsubscribe_response(device, "recirc-rsv", callback)

    async def subscribe_tou_response(self, device: Any, callback: Callable[[Any], Any]) -> int:
        """TOU read-backs: ``callback(TOUReservationSchedule)``."""
        return await self._subscribe_response(device, "tou", TOUReservationSchedule, callback)

    async def unsubscribe_tou_response(self, device: Any, callback: Callable[[Any], Any]) -> None:
        await self._unsubscribe_response(device, "tou", callback)

    async def ensure_device_info_cached(self, device: Any, timeout: float = 30.0) -> bool:
        """Make sure the device's features are known (requesting them if needed); ``True``
        when they are, ``False`` if none arrived within ``timeout``."""
        mac = _address(device)[1]
        if mac in self._gate:
            return True
        arrived = asyncio.get_running_loop().create_future()

        def on_feature(feature: Any) -> None:
            if not arrived.done():
                arrived.set_result(feature)

        await self.subscribe_device_feature(device, on_feature)
        try:
            await self.request_device_info(device)
            await asyncio.wait_for(asyncio.shield(arrived), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            await self._unsubscribe_wrapped(self._device_filter(device), "feature", on_feature)

    # ---- periodic requests (one MqttPeriodicRequestManager per client) ---------------------

    async def start_periodic_requests(self, device: Any, request_type: PeriodicRequestType = PeriodicRequestType.DEVICE_STATUS,
                                      period_seconds: float = 300.0) -> None:
        """Send ``request_type`` now and every ``period_seconds`` while connected (skipped while
        offline). Replaces an earlier task for the same device and type."""
        await self._periodic.start_periodic_requests(device, request_type, period_seconds)

    async def stop_periodic_requests(self, device: Any, request_type: PeriodicRequestType | None = None) -> None:
        await self._periodic.stop_periodic_requests(device, request_type)

    async def stop_all_periodic_tasks(self, _reason: str | None = None) -> None:
        """Stop every periodic task. Never raises, connected or not (Home Assistant calls it
        on teardown whatever state the client is in)."""
        await self._periodic.stop_all_periodic_tasks(_reason)
