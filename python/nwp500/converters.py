"""Converters between the device's value encodings and Python values (nwp500-python
9.3.0's ``nwp500.converters``). The device records of :mod:`nwp500.models` apply the same
rules through their field descriptors; these are the plain functions."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

__all__ = [
    "device_bool_to_python",
    "device_bool_from_python",
    "device_tristate_to_python",
    "tou_override_to_python",
    "div_10",
    "energy_count_to_wh",
    "WH_PER_ENERGY_COUNT",
    "enum_validator",
]

#: Watt-hours per count of the device's energy counters.
WH_PER_ENERGY_COUNT = 4.0


def device_bool_to_python(value: Any) -> bool:
    """The device's flag (2 = on, 1 or 0 = off) as ``bool``; a ``bool`` passes through."""
    if isinstance(value, bool):
        return value
    return value == 2


def device_tristate_to_python(value: Any) -> bool | None:
    """A flag that may be unknown: 2 = ``True``, 1 = ``False``, anything else (0, null)
    = ``None``."""
    if isinstance(value, bool) or value is None:
        return value
    if value == 2:
        return True
    if value == 1:
        return False
    return None


def device_bool_from_python(value: bool) -> int:
    """``True`` -> 2, ``False`` -> 1 (the device's encoding)."""
    return 2 if value else 1


def tou_override_to_python(value: Any) -> bool:
    """``touOverrideStatus``: 1 = override active (``True``), anything else ``False``."""
    if isinstance(value, bool):
        return value
    return value == 1


def div_10(value: Any) -> float:
    """A value sent in tenths, as a float (``150`` -> ``15.0``)."""
    return float(value) / 10.0


def energy_count_to_wh(value: Any) -> float:
    """An energy counter in Wh (``value * WH_PER_ENERGY_COUNT``)."""
    return float(value) * WH_PER_ENERGY_COUNT


def enum_validator(enum_class: type[Any]) -> Callable[[Any], Any]:
    """A function turning a member, its value, its numeric text or its name into a member
    of ``enum_class`` (``ValueError`` when none fits)."""

    def validate(value: Any) -> Any:
        if isinstance(value, enum_class):
            return value
        if isinstance(value, str):
            text = value.strip()
            if issubclass(enum_class, Enum) and text in enum_class.__members__:
                return enum_class[text]
            try:
                return enum_class(int(text))
            except ValueError:
                return enum_class(text)
        return enum_class(value)

    return validate
