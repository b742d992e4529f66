"""The MQTT layer of nwp500: client, configuration, event types."""

from .client import NavienMqttClient
from .periodic_types import PeriodicRequestType
from .types import QoS
from .utils import MqttConnectionConfig

__all__ = [
    "MqttConnectionConfig",
    "NavienMqttClient",
    "PeriodicRequestType",
    "QoS",
]
