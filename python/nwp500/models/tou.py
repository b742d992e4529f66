"""Time-of-use records under 9.3.0's module path: the plan of ``/device/tou``
(:class:`TOUInfo`, :class:`TOUSchedule`), a plan converted from OpenEI
(:class:`ConvertedTOUPlan`), and the device's own TOU program (:class:`TOUPeriod`,
:class:`TOUReservationSchedule`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._record import _as_str, _record_list_converter, _Record
from .device import TOUInfo, TOUSchedule
from .schedule import TOUPeriod, TOUReservationSchedule

__all__ = ["TOUSchedule", "ConvertedTOUPlan", "TOUInfo", "TOUPeriod", "TOUReservationSchedule"]


@dataclass(repr=False)
class ConvertedTOUPlan(_Record):
    """One plan of ``NavienAPIClient.convert_tou``: the utility, the plan's name and its
    seasons (each a :class:`TOUSchedule` with the device's price intervals)."""

    utility: str = ""
    name: str = ""
    schedule: list[TOUSchedule] = field(default_factory=list)

    _CONVERT: ClassVar[dict[str, Any]] = {
        "utility": _as_str,
        "name": _as_str,
        "schedule": _record_list_converter(TOUSchedule),
    }
