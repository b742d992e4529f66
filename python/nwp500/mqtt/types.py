"""Small shared types of the MQTT layer."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["QoS"]


class QoS(IntEnum):
    """MQTT delivery guarantee for publish and subscribe.

    An ``IntEnum`` so that plain ints (``qos=1``) are accepted wherever a
    ``QoS`` is expected, as with ``awscrt.mqtt.QoS``.
    """

    AT_MOST_ONCE = 0
    AT_LEAST_ONCE = 1
    EXACTLY_ONCE = 2
