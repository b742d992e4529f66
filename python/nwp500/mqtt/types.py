"""Small shared types of the MQTT layer."""

from __future__ import annotations

import importlib
from enum import IntEnum
from typing import Any

__all__ = ["QoS", "to_awscrt_qos", "from_awscrt_qos"]

# awscrt is what nwp500-python speaks MQTT with; this package does not need it. Where it is
# installed (Home Assistant installs it for the ha_nwp500 integration, which imports it too)
# its QoS type is loaded here, at import, so the converters below never import anything when
# called, inside an event loop or not.
def _load_awscrt_mqtt() -> Any:
    try:
        return importlib.import_module("awscrt.mqtt")
    except ImportError:  # not installed, or a broken install: the converters say so when used
        return None


_awscrt_mqtt: Any = _load_awscrt_mqtt()


class QoS(IntEnum):
    """MQTT delivery guarantee for publish and subscribe.

    An ``IntEnum`` so that plain ints (``qos=1``) are accepted wherever a
    ``QoS`` is expected, as with ``awscrt.mqtt.QoS``.
    """

    AT_MOST_ONCE = 0
    AT_LEAST_ONCE = 1
    EXACTLY_ONCE = 2


def to_awscrt_qos(qos: QoS | int) -> Any:
    """``qos`` as ``awscrt.mqtt.QoS`` (9.3.0's converter).

    Raises:
        ImportError: awscrt is not installed (``pip install awscrt``).
        ValueError: not a QoS level.
    """
    if _awscrt_mqtt is None:
        raise ImportError("to_awscrt_qos needs awscrt, which is not installed (pip install awscrt)")
    return _awscrt_mqtt.QoS(int(QoS(int(qos))))


def from_awscrt_qos(qos: Any) -> QoS:
    """``awscrt.mqtt.QoS`` (or any int-valued QoS) as :class:`QoS`; needs no awscrt.

    Raises:
        ValueError: not a QoS level.
    """
    return QoS(int(qos))
