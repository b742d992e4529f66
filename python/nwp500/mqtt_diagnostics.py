"""Compatibility path of nwp500 6.x and of the published docs: ``nwp500.mqtt_diagnostics``."""

from .mqtt.diagnostics import *  # noqa: F403
from .mqtt.diagnostics import __all__  # noqa: F401
