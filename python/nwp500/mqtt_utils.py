"""Compatibility path: nwp500's docs say ``from nwp500.mqtt_utils import
MqttConnectionConfig``; here that works."""

from .mqtt.utils import *  # noqa: F403
from .mqtt.utils import __all__  # noqa: F401
