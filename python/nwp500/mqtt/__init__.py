"""The MQTT layer of nwp500: client, configuration, diagnostics, and 9.3.0's module paths
(``subscriptions``, ``state_tracker``, ``command_queue``, ``connection``, ``periodic``,
``reconnection``, ``control``, ``types``, ``utils``), all imported here."""

from . import (
    capabilities,
    client,
    command_queue,
    connection,
    control,
    device_subscriptions,
    diagnostics,
    periodic,
    periodic_types,
    reconnection,
    state_tracker,
    subscriptions,
    types,
    utils,
)
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
    "NavienMqttClient",
    "MqttConnectionConfig",
    "PeriodicRequestType",
    "MqttDiagnosticsCollector",
    "MqttMetrics",
    "ConnectionDropEvent",
    "ConnectionEvent",
    "QoS",
]
