"""REST records of a device: ``/device/list`` entries (info and location), firmware, and
the time-of-use plan of ``/device/tou``. Reprs never show MAC addresses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._record import (
    _as_float,
    _as_int,
    _as_str,
    _dict_list,
    _int_or_text,
    _Record,
    _record_converter,
    _record_list_converter,
)

__all__ = ["DeviceInfo", "Location", "Device", "FirmwareInfo", "TOUSchedule", "TOUInfo"]


@dataclass(repr=False)
class DeviceInfo(_Record):
    """``deviceInfo`` of a device: what MQTT addressing needs (``mac_address``,
    ``device_type``, ``additional_value``) plus display fields."""

    home_seq: int = 0
    mac_address: str = ""
    additional_value: str = ""
    device_type: int = 52
    device_name: str = "Unknown"
    connected: int = 0
    install_type: str | None = None

    _CONVERT: ClassVar[dict[str, Any]] = {
        "home_seq": _as_int,
        "mac_address": _as_str,
        "additional_value": _as_str,
        "device_type": _as_int,
        "device_name": _as_str,
        "connected": _as_int,
        "install_type": _as_str,
    }


@dataclass(repr=False)
class Location(_Record):
    """``location`` of a device (all optional)."""

    state: str | None = None
    city: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None

    _CONVERT: ClassVar[dict[str, Any]] = {
        "state": _as_str,
        "city": _as_str,
        "address": _as_str,
        "latitude": _as_float,
        "longitude": _as_float,
        "altitude": _as_float,
    }


@dataclass(repr=False)
class Device(_Record):
    """One entry of ``/device/list`` (or the ``/device/info`` answer). Both ``deviceInfo``
    and ``location`` must be present; their inner fields are optional."""

    device_info: DeviceInfo
    location: Location

    _CONVERT: ClassVar[dict[str, Any]] = {
        "device_info": _record_converter(DeviceInfo),
        "location": _record_converter(Location),
    }
    _REQUIRED: ClassVar[frozenset[str]] = frozenset({"device_info", "location"})

    def with_info(self, info: DeviceInfo) -> Device:
        """A copy of this device with ``device_info`` replaced (the location is kept)."""
        return self.model_copy(update={"device_info": info})


@dataclass(repr=False)
class FirmwareInfo(_Record):
    """One entry of ``data.firmwares`` from ``/device/firmware/info``."""

    mac_address: str = ""
    additional_value: str = ""
    device_type: int = 52
    cur_sw_code: int = 0
    cur_version: int = 0
    downloaded_version: int | None = None
    device_group: str | None = None

    _CONVERT: ClassVar[dict[str, Any]] = {
        "mac_address": _as_str,
        "additional_value": _as_str,
        "device_type": _as_int,
        "cur_sw_code": _as_int,
        "cur_version": _as_int,
        "downloaded_version": _as_int,
        "device_group": _as_str,
    }


# -- time of use --------------------------------------------------------------------------------


@dataclass(repr=False)
class TOUSchedule(_Record):
    """One season of a time-of-use plan: ``season`` (month bit field) and its price
    ``intervals`` (API key ``interval``; the raw period objects)."""

    season: int = 0
    intervals: list[dict[str, Any]] = field(default_factory=list)

    _CONVERT: ClassVar[dict[str, Any]] = {"season": _as_int, "intervals": _dict_list}
    _ALIASES: ClassVar[dict[str, str]] = {"intervals": "interval"}


@dataclass(repr=False)
class TOUInfo(_Record):
    """The time-of-use plan of ``GET /device/tou``. The API nests the plan under
    ``touInfo``; this record is flat (``register_path``/``source_type`` from the top level,
    the rest from ``touInfo``)."""

    register_path: str | None = None
    source_type: str | None = None
    controller_id: str | None = None
    manufacture_id: str | None = None
    name: str | None = None
    utility: str | None = None
    zip_code: int | str | None = None
    schedule: list[TOUSchedule] = field(default_factory=list)

    _CONVERT: ClassVar[dict[str, Any]] = {
        "register_path": _as_str,
        "source_type": _as_str,
        "controller_id": _as_str,
        "manufacture_id": _as_str,
        "name": _as_str,
        "utility": _as_str,
        "zip_code": _int_or_text,
        "schedule": _record_list_converter(TOUSchedule),
    }

    @classmethod
    def model_validate(cls, data: Any) -> TOUInfo:
        if isinstance(data, Mapping):
            nested = data.get("touInfo", data.get("tou_info"))
            if isinstance(nested, Mapping):
                flat = {k: v for k, v in data.items() if k not in ("touInfo", "tou_info")}
                flat.update(nested)
                data = flat
        return super().model_validate(data)
