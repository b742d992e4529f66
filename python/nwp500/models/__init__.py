"""The records of the Navien cloud and of the device, with nwp500-python 9.3.0's names.

Cloud (REST) records, plain dataclasses with a pydantic-like API:

* :mod:`.auth`: :class:`UserInfo`, :class:`AuthTokens`, :class:`AuthenticationResponse`;
* :mod:`.device`: :class:`Device` (:class:`DeviceInfo`, :class:`Location`),
  :class:`FirmwareInfo`; :mod:`.tou`: :class:`TOUInfo` (:class:`TOUSchedule`),
  :class:`ConvertedTOUPlan`;
* :mod:`.mqtt_models`: :class:`MqttRequest`, :class:`MqttCommand` (a command envelope).

Device (MQTT) records, read from the device's own dicts, values converted to the
preferred unit when read:

* :mod:`.status`: :class:`DeviceStatus`;
* :mod:`.feature`: :class:`DeviceFeature`;
* :mod:`.energy`: :class:`EnergyUsageResponse` and its parts;
* :mod:`.schedule`: reservations (daily, weekly), recirculation schedules, TOU programs,
  :class:`OtaCommitPayload`, and the week bit field and hex reservation decoders;
* :mod:`.response`: :func:`get_response_data`, the payload of a device message.

Every record derives from :class:`NavienBaseModel`. ``nwp500.device_models`` re-exports
the device records for code that imports them from there.
"""

from __future__ import annotations

from .._core import fahrenheit_to_half_celsius
from ..unit_system import preferred_to_half_celsius, reservation_param_to_preferred
from ._base import (
    CapabilityFlag,
    ConnectionStatusField,
    DeviceBool,
    DeviceTriState,
    Div10,
    EnergyCountToWh,
    NavienBaseModel,
    TouOverride,
    TouStatus,
    VolumeCodeField,
)
from .auth import EXPIRY_MARGIN, AuthenticationResponse, AuthTokens, UserInfo
from .device import Device, DeviceInfo, FirmwareInfo, Location, TOUInfo, TOUSchedule
from .energy import EnergyUsageBase, EnergyUsageDay, EnergyUsageResponse, EnergyUsageTotal, MonthlyEnergyData
from .feature import DeviceFeature
from .mqtt_models import MqttCommand, MqttRequest
from .response import get_response_data
from .schedule import (
    OtaCommitPayload,
    RecirculationSchedule,
    RecirculationScheduleEntry,
    ReservationEntry,
    ReservationSchedule,
    TOUPeriod,
    TOUReservationSchedule,
    WeeklyReservationEntry,
    WeeklyReservationSchedule,
    decode_reservation_hex,
    decode_week_bitfield,
)
from .status import DeviceStatus
from .tou import ConvertedTOUPlan

# What ``nwp500.device_models`` exports.
_DEVICE_RECORDS = [
    "DeviceStatus", "DeviceFeature", "EnergyUsageBase", "EnergyUsageDay", "EnergyUsageTotal", "MonthlyEnergyData",
    "EnergyUsageResponse", "ReservationEntry", "ReservationSchedule", "WeeklyReservationEntry",
    "WeeklyReservationSchedule", "RecirculationScheduleEntry", "RecirculationSchedule", "OtaCommitPayload",
    "TOUPeriod", "TOUReservationSchedule", "decode_reservation_hex", "decode_week_bitfield", "get_response_data",
]

__all__ = [
    # 9.3.0's names, in its order
    "NavienBaseModel", "DeviceBool", "CapabilityFlag", "Div10", "EnergyCountToWh", "TouStatus", "TouOverride",
    "VolumeCodeField", "ConnectionStatusField", "fahrenheit_to_half_celsius", "preferred_to_half_celsius",
    "reservation_param_to_preferred", "DeviceInfo", "Location", "Device", "FirmwareInfo", "TOUSchedule",
    "ConvertedTOUPlan", "TOUInfo", "TOUPeriod", "TOUReservationSchedule", "ReservationEntry", "ReservationSchedule",
    "WeeklyReservationEntry", "WeeklyReservationSchedule", "RecirculationScheduleEntry", "RecirculationSchedule",
    "OtaCommitPayload", "DeviceStatus", "DeviceFeature", "MqttRequest", "MqttCommand", "EnergyUsageBase",
    "EnergyUsageTotal", "EnergyUsageDay", "MonthlyEnergyData", "EnergyUsageResponse",
    # ours
    "DeviceTriState", "UserInfo", "AuthTokens", "AuthenticationResponse", "EXPIRY_MARGIN",
    "decode_reservation_hex", "decode_week_bitfield", "get_response_data",
]
