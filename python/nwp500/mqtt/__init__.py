"""The MQTT layer of nwp500: client, configuration, event types."""

from .client import NavienMqttClient
from .diagnostics import (
    ConnectionDropEvent,
    ConnectionEvent,
    DropPatternAnalysis,
    MqttDiagnosticsCollector,
    MqttMetrics,
)
from .periodic_types import PeriodicRequestType
from .types import QoS
from .utils import MqttConnectionConfig

__all__ = [
    "ConnectionDropEvent",
    "ConnectionEvent",
    "DropPatternAnalysis",
    "MqttDiagnosticsCollector",
    "MqttMetrics",
    "MqttConnectionConfig",
    "NavienMqttClient",
    "PeriodicRequestType",
    "QoS",
]
