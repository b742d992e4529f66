"""The records of the Navien cloud and of the device, with nwp500-python 9.3.0's names.

Cloud (REST) records, plain dataclasses with a pydantic-like API:

* :mod:`.auth`: :class:`UserInfo`, :class:`AuthTokens`, :class:`AuthenticationResponse`;
* :mod:`.device`: :class:`Device` (:class:`DeviceInfo`, :class:`Location`),
  :class:`FirmwareInfo`, :class:`TOUInfo` (:class:`TOUSchedule`).

Device (MQTT) records, read from the device's own dicts, values converted to the
preferred unit when read:

* :mod:`.status`: :class:`DeviceStatus`;
* :mod:`.feature`: :class:`DeviceFeature`;
* :mod:`.energy`: :class:`EnergyUsageResponse` and its parts;
* :mod:`.schedule`: :class:`ReservationSchedule`, :class:`TOUReservationSchedule`, and the
  week bit field and hex reservation decoders;
* :mod:`.response`: :func:`get_response_data`, the payload of a device message.

``nwp500.device_models`` re-exports the device records for code that imports them from
there.
"""

from . import auth, device, energy, feature, response, schedule, status
from .auth import *  # noqa: F403
from .auth import EXPIRY_MARGIN  # noqa: F401  (public in the earlier nwp500/models.py)
from .device import *  # noqa: F403
from .energy import *  # noqa: F403
from .feature import *  # noqa: F403
from .response import *  # noqa: F403
from .schedule import *  # noqa: F403
from .status import *  # noqa: F403

# What ``nwp500.device_models`` exports.
_DEVICE_RECORDS = status.__all__ + feature.__all__ + energy.__all__ + schedule.__all__ + response.__all__

__all__ = auth.__all__ + device.__all__ + _DEVICE_RECORDS
