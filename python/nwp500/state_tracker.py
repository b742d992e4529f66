"""Per-device state-change detection (nwp500-python 9.3.0 events).

Each device (by MAC address) has its own previous status, so two water heaters never
produce events for each other. The first status of a device only records a baseline.
After that, every new status is compared with the previous one, in this order:

1. ``temperature_changed`` — ``dhw_temperature`` differs (compared raw, reported in the
   preferred unit);
2. ``mode_changed`` — ``operation_mode`` differs;
3. ``power_changed`` — ``current_inst_power`` differs;
4. ``heating_started`` / ``heating_stopped`` — ``current_inst_power`` crosses 0;
5. ``error_detected`` — ``error_code`` becomes non-zero, or changes from one non-zero
   code to another;
6. ``error_cleared`` — ``error_code`` returns to 0 (the event carries the old code).

Each event is one frozen object from :mod:`nwp500.mqtt_events`.
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any

from .mqtt_events import (
    ErrorClearedEvent,
    ErrorDetectedEvent,
    HeatingStartedEvent,
    HeatingStoppedEvent,
    ModeChangedEvent,
    MqttClientEvents,
    PowerChangedEvent,
    TemperatureChangedEvent,
)

__all__ = ["DeviceStateTracker", "detect_changes"]

_logger = logging.getLogger("nwp500.mqtt.state_tracker")


def _raw_temperature(status: Any) -> Any:
    raw = getattr(status, "dhw_temperature_raw", None)
    return status.dhw_temperature if raw is None else raw


def detect_changes(device_mac: str, previous: Any, current: Any) -> list[tuple[str, Any]]:
    """The events that turning ``previous`` into ``current`` produces, in order, as
    ``(event_name, event_object)`` pairs. ``previous=None`` (no baseline) gives none."""
    if previous is None:
        return []
    events: list[tuple[str, Any]] = []

    if _raw_temperature(current) != _raw_temperature(previous):
        events.append((
            MqttClientEvents.TEMPERATURE_CHANGED,
            TemperatureChangedEvent(
                device_mac=device_mac,
                old_temperature=previous.dhw_temperature,
                new_temperature=current.dhw_temperature,
            ),
        ))

    if current.operation_mode != previous.operation_mode:
        events.append((
            MqttClientEvents.MODE_CHANGED,
            ModeChangedEvent(
                device_mac=device_mac, old_mode=previous.operation_mode, new_mode=current.operation_mode
            ),
        ))

    old_power, new_power = previous.current_inst_power, current.current_inst_power
    if new_power != old_power:
        events.append((
            MqttClientEvents.POWER_CHANGED,
            PowerChangedEvent(device_mac=device_mac, old_power=old_power, new_power=new_power),
        ))
    was_heating, is_heating = old_power > 0, new_power > 0
    if is_heating and not was_heating:
        events.append((
            MqttClientEvents.HEATING_STARTED, HeatingStartedEvent(device_mac=device_mac, status=current)
        ))
    elif was_heating and not is_heating:
        events.append((
            MqttClientEvents.HEATING_STOPPED, HeatingStoppedEvent(device_mac=device_mac, status=current)
        ))

    old_error, new_error = previous.error_code, current.error_code
    if new_error and new_error != old_error:
        events.append((
            MqttClientEvents.ERROR_DETECTED,
            ErrorDetectedEvent(device_mac=device_mac, error_code=new_error, status=current),
        ))
    elif not new_error and old_error:
        events.append((
            MqttClientEvents.ERROR_CLEARED, ErrorClearedEvent(device_mac=device_mac, error_code=old_error)
        ))
    return events


class DeviceStateTracker:
    """Keeps the last status of each device and reports what changed.

    ``update(mac, status)`` is synchronous and returns the events; ``process(mac,
    status)`` (as in 9.3.0) also emits them on the ``event_emitter`` given to the
    constructor. Safe to call from several threads.
    """

    def __init__(self, event_emitter: Any = None) -> None:
        self._event_emitter = event_emitter
        self._previous: dict[str, Any] = {}
        self._lock = threading.Lock()

    def update(self, device_mac: str, status: Any) -> list[tuple[str, Any]]:
        """Record ``status`` as the device's latest and return the change events
        (none for the device's first status). A status that cannot be compared is
        logged and recorded, with no events."""
        with self._lock:
            previous = self._previous.get(device_mac)
            self._previous[device_mac] = status
        try:
            return detect_changes(device_mac, previous, status)
        except (TypeError, AttributeError) as exc:
            _logger.error("Error detecting state changes: %s", exc)
            return []

    async def process(self, device_mac: str, status: Any) -> list[tuple[str, Any]]:
        """:meth:`update`, then emit each event (in order) on the event emitter."""
        events = self.update(device_mac, status)
        emitter = self._event_emitter
        if emitter is not None:
            for name, event in events:
                result = emitter.emit(name, event)
                if inspect.isawaitable(result):
                    await result
        return events

    def previous(self, device_mac: str) -> Any:
        """The last recorded status of a device, or ``None``."""
        with self._lock:
            return self._previous.get(device_mac)

    def forget(self, device_mac: str) -> None:
        """Drop one device's baseline (its next status records a new one)."""
        with self._lock:
            self._previous.pop(device_mac, None)

    def clear(self) -> None:
        """Drop every baseline."""
        with self._lock:
            self._previous.clear()
