"""``NavienBaseModel``, the common base of every nwp500 record (REST and device alike),
and 9.3.0's annotated field types, for code that declares or inspects records with them."""

from __future__ import annotations

from typing import Annotated

from ..converters import (
    device_bool_to_python,
    device_tristate_to_python,
    div_10,
    energy_count_to_wh,
    enum_validator,
    tou_override_to_python,
)
from ..enums import ConnectionStatus, VolumeCode

__all__ = [
    "NavienBaseModel",
    "DeviceBool",
    "DeviceTriState",
    "CapabilityFlag",
    "Div10",
    "EnergyCountToWh",
    "TouStatus",
    "TouOverride",
    "VolumeCodeField",
    "ConnectionStatusField",
]


class NavienBaseModel:
    """Base of the records: ``model_validate`` / ``from_dict`` (camelCase or snake_case
    keys), ``model_construct``, ``model_dump``, ``model_copy``; reprs without secrets."""

    __slots__ = ()


# Each type carries the converter from the device's encoding as its metadata.
DeviceBool = Annotated[bool, device_bool_to_python]
DeviceTriState = Annotated[bool | None, device_tristate_to_python]
CapabilityFlag = Annotated[bool, device_bool_to_python]
Div10 = Annotated[float, div_10]
EnergyCountToWh = Annotated[float, energy_count_to_wh]
TouStatus = Annotated[bool, bool]
TouOverride = Annotated[bool, tou_override_to_python]
VolumeCodeField = Annotated[VolumeCode, enum_validator(VolumeCode)]
ConnectionStatusField = Annotated[ConnectionStatus, enum_validator(ConnectionStatus)]
