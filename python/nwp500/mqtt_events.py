"""Event names and typed payloads emitted by ``NavienMqttClient``.

As in nwp500-python 9.3.0, each event in :class:`MqttClientEvents` is emitted
with exactly one positional argument: a frozen event object from this module::

    def on_drop(event: ConnectionInterruptedEvent) -> None:
        print("dropped:", event.error)

    client.on(MqttClientEvents.CONNECTION_INTERRUPTED, on_drop)

The one exception is ``"reconnection_failed"``: it is emitted with a single
positional ``int`` (the number of reconnect attempts made) and has neither a
constant in :class:`MqttClientEvents` nor an event class, exactly as in 9.3.0,
so handlers written for 9.3.0 (``def on_failed(attempts: int)``) keep working.

Payload fields typed ``Any`` carry the library's model objects
(``DeviceStatus``, ``DeviceFeature``, ``CurrentOperationMode``, ``ErrorCode``);
they are left untyped here to keep this module free of model imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "MqttClientEvents",
    "ConnectionInterruptedEvent",
    "ConnectionResumedEvent",
    "StatusReceivedEvent",
    "FeatureReceivedEvent",
    "TemperatureChangedEvent",
    "ModeChangedEvent",
    "PowerChangedEvent",
    "HeatingStartedEvent",
    "HeatingStoppedEvent",
    "ErrorDetectedEvent",
    "ErrorClearedEvent",
]


class MqttClientEvents:
    """Names of the events ``NavienMqttClient`` emits.

    Each constant's value is the string to pass to ``on``/``off``/``once``.
    """

    CONNECTION_INTERRUPTED = "connection_interrupted"
    """The connection dropped; payload :class:`ConnectionInterruptedEvent`."""

    CONNECTION_RESUMED = "connection_resumed"
    """The connection recovered (quick or deep); :class:`ConnectionResumedEvent`."""

    STATUS_RECEIVED = "status_received"
    """A device status message was parsed; :class:`StatusReceivedEvent`."""

    TEMPERATURE_CHANGED = "temperature_changed"
    """The DHW temperature changed; :class:`TemperatureChangedEvent`."""

    MODE_CHANGED = "mode_changed"
    """The operation mode changed; :class:`ModeChangedEvent`."""

    POWER_CHANGED = "power_changed"
    """The instantaneous power changed; :class:`PowerChangedEvent`."""

    HEATING_STARTED = "heating_started"
    """Power went from zero to positive; :class:`HeatingStartedEvent`."""

    HEATING_STOPPED = "heating_stopped"
    """Power went from positive to zero; :class:`HeatingStoppedEvent`."""

    ERROR_DETECTED = "error_detected"
    """A new non-zero error code appeared; :class:`ErrorDetectedEvent`."""

    ERROR_CLEARED = "error_cleared"
    """The error code returned to zero; :class:`ErrorClearedEvent`."""

    FEATURE_RECEIVED = "feature_received"
    """A device feature message was parsed; :class:`FeatureReceivedEvent`."""

    @classmethod
    def get_all_events(cls) -> list[str]:
        """Return the constant *names* (e.g. ``"CONNECTION_INTERRUPTED"``).

        The names are sorted alphabetically, as 9.3.0 returns them.
        """
        return sorted(
            name
            for name, value in vars(cls).items()
            if name.isupper() and not name.startswith("_") and isinstance(value, str)
        )

    @classmethod
    def get_event_value(cls, event_name: str) -> str:
        """Map a constant name to its event string.

        Raises:
            AttributeError: If ``event_name`` is not one of the constants.
        """
        if event_name not in cls.get_all_events():
            raise AttributeError(
                f"{cls.__name__} has no event constant {event_name!r}"
            )
        value: str = getattr(cls, event_name)
        return value


@dataclass(frozen=True, slots=True)
class ConnectionInterruptedEvent:
    """Payload of ``connection_interrupted``.

    Attributes:
        error: Why the connection dropped; normally a
            :class:`nwp500.exceptions.ConnectionDropError` with ``.name``,
            ``.code``, ``.message`` and ``.cause``.
    """

    error: Exception


@dataclass(frozen=True, slots=True)
class ConnectionResumedEvent:
    """Payload of ``connection_resumed``.

    Attributes:
        return_code: MQTT CONNACK return code (0 = accepted).
        session_present: Whether the broker kept the previous session.
    """

    return_code: int
    session_present: bool


@dataclass(frozen=True, slots=True)
class StatusReceivedEvent:
    """Payload of ``status_received``: a parsed ``DeviceStatus``."""

    device_mac: str
    status: Any


@dataclass(frozen=True, slots=True)
class FeatureReceivedEvent:
    """Payload of ``feature_received``: a parsed ``DeviceFeature``."""

    device_mac: str
    feature: Any


@dataclass(frozen=True, slots=True)
class TemperatureChangedEvent:
    """Payload of ``temperature_changed``, in the preferred unit system."""

    device_mac: str
    old_temperature: float
    new_temperature: float


@dataclass(frozen=True, slots=True)
class ModeChangedEvent:
    """Payload of ``mode_changed``: ``CurrentOperationMode`` before and after."""

    device_mac: str
    old_mode: Any
    new_mode: Any


@dataclass(frozen=True, slots=True)
class PowerChangedEvent:
    """Payload of ``power_changed``: instantaneous power in watts."""

    device_mac: str
    old_power: float
    new_power: float


@dataclass(frozen=True, slots=True)
class HeatingStartedEvent:
    """Payload of ``heating_started``: the status that showed power > 0."""

    device_mac: str
    status: Any


@dataclass(frozen=True, slots=True)
class HeatingStoppedEvent:
    """Payload of ``heating_stopped``: the status that showed power <= 0."""

    device_mac: str
    status: Any


@dataclass(frozen=True, slots=True)
class ErrorDetectedEvent:
    """Payload of ``error_detected``: the new error code and its status."""

    device_mac: str
    error_code: int
    status: Any


@dataclass(frozen=True, slots=True)
class ErrorClearedEvent:
    """Payload of ``error_cleared``: the error code that was cleared."""

    device_mac: str
    error_code: int
