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

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

# Each submodule's ``__all__``, spelled out so that reading one record does not load the
# others (``nwp500.auth`` needs the three auth records, not the device status decoder).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "auth": ("UserInfo", "AuthTokens", "AuthenticationResponse"),
    "device": ("DeviceInfo", "Location", "Device", "FirmwareInfo", "TOUSchedule", "TOUInfo"),
    "status": ("DeviceStatus",),
    "feature": ("DeviceFeature",),
    "energy": ("EnergyUsageDay", "EnergyUsageTotal", "MonthlyEnergyData", "EnergyUsageResponse"),
    "schedule": ("ReservationEntry", "ReservationSchedule", "TOUPeriod", "TOUReservationSchedule",
                 "decode_reservation_hex", "decode_week_bitfield"),
    "response": ("get_response_data",),
}
_HOME = {name: f".{module}" for module, names in _EXPORTS.items() for name in names}
_HOME["EXPIRY_MARGIN"] = ".auth"  # public in the earlier single-module nwp500/models.py

# What ``nwp500.device_models`` exports.
_DEVICE_RECORDS = [name for module in ("status", "feature", "energy", "schedule", "response")
                   for name in _EXPORTS[module]]

__all__ = [name for names in _EXPORTS.values() for name in names]

__getattr__, __dir__ = attach(__name__, _HOME, __all__)

if TYPE_CHECKING:
    from .auth import EXPIRY_MARGIN, AuthenticationResponse, AuthTokens, UserInfo
    from .device import Device, DeviceInfo, FirmwareInfo, Location, TOUInfo, TOUSchedule
    from .energy import EnergyUsageDay, EnergyUsageResponse, EnergyUsageTotal, MonthlyEnergyData
    from .feature import DeviceFeature
    from .response import get_response_data
    from .schedule import (
        ReservationEntry, ReservationSchedule, TOUPeriod, TOUReservationSchedule, decode_reservation_hex,
        decode_week_bitfield,
    )
    from .status import DeviceStatus
