"""Which control each device supports, read from its :class:`~nwp500.models.DeviceFeature`
(nwp500-python 9.3.0's ``nwp500.device_capabilities``; the checker lives with the MQTT
client's command gate in :mod:`nwp500.mqtt.capabilities`)."""

from __future__ import annotations

from .mqtt.capabilities import CapabilityCheckFn, MqttDeviceCapabilityChecker

__all__ = ["MqttDeviceCapabilityChecker", "CapabilityCheckFn"]
