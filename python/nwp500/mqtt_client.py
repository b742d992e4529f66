"""Compatibility path of nwp500 6.x: ``from nwp500.mqtt_client import NavienMqttClient``."""

from .mqtt.client import NavienMqttClient
from .mqtt.utils import MqttConnectionConfig, PeriodicRequestType

__all__ = ["MqttConnectionConfig", "NavienMqttClient", "PeriodicRequestType"]
