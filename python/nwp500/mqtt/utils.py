"""Configuration and helpers of the MQTT layer (``nwp500.mqtt.utils``; also importable as
``nwp500.mqtt_utils``, the path the published docs use)."""

from .._core import MqttConnectionConfig, topic_matches_pattern
from .._redact import redact, redact_mac, redact_topic
from .periodic_types import PeriodicRequestType

__all__ = [
    "MqttConnectionConfig",
    "PeriodicRequestType",
    "redact",
    "redact_mac",
    "redact_topic",
    "topic_matches_pattern",
]
