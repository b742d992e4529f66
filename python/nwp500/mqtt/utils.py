"""Configuration and helpers of the MQTT layer (``nwp500.mqtt.utils``; also importable as
``nwp500.mqtt_utils``, the path the published docs use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._core import MqttConnectionConfig, topic_matches_pattern
from .._redact import redact, redact_mac, redact_serial, redact_topic
from ..models.response import get_response_data as _get_response_data
from .periodic_types import PeriodicRequestType
from .types import QoS

__all__ = [
    "MqttConnectionConfig",
    "PeriodicRequestType",
    "QueuedCommand",
    "get_response_data",
    "redact",
    "redact_mac",
    "redact_serial",
    "redact_topic",
    "topic_matches_pattern",
]


@dataclass
class QueuedCommand:
    """A command waiting in a :class:`~nwp500.mqtt.command_queue.MqttCommandQueue`."""

    topic: str
    payload: dict[str, Any]
    qos: QoS
    timestamp: datetime


def get_response_data(message: dict[str, Any], key: str | None) -> Any:
    """The ``key`` object of a device message (``response[key]``, ``response[alt]``,
    ``message[key]``, ``message[alt]``; ``alt`` is ``st`` for ``status``, ``did`` for
    ``feature``); with ``key=None``, the ``response`` object itself. ``None`` when absent."""
    if key is None:
        response = message.get("response") if isinstance(message, dict) else None
        return response if isinstance(response, dict) else None
    return _get_response_data(message, key)
