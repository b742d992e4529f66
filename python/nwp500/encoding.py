"""Building reservation entries the way the device stores them (nwp500 9.x
``build_reservation_entry``, which Home Assistant's ``set_reservation`` service calls)."""

from __future__ import annotations

from collections.abc import Iterable

from ._core import fahrenheit_to_half_celsius
from .exceptions import ParameterValidationError, RangeValidationError
from .models.schedule import _WEEK_BITS, decode_week_bitfield
from .unit_system import get_unit_system

__all__ = ["build_reservation_entry", "decode_week_bitfield", "encode_week_bitfield"]

_DAY_BITS = {name.lower(): bit for name, bit in _WEEK_BITS}
_DAY_BITS.update({name[:3].lower(): bit for name, bit in _WEEK_BITS})


def encode_week_bitfield(days: Iterable[str | int] | int) -> int:
    """Weekday names (``"Monday"``, ``"mon"``, ...) or indices (0 = Monday ... 6 = Sunday) to
    the device's week bitfield (Sunday = 128, Monday = 64, ..., Saturday = 2); an int passes
    through."""
    if isinstance(days, int):
        return days
    field = 0
    for day in days:
        if isinstance(day, int):
            if not 0 <= day <= 6:
                raise RangeValidationError(f"day index must be 0-6, got {day}", field="days", value=day,
                                           min_value=0, max_value=6)
            field |= _WEEK_BITS[day][1]
        else:
            bit = _DAY_BITS.get(str(day).strip().lower())
            if bit is None:
                raise ParameterValidationError(f"unknown weekday {day!r}", parameter="days", value=day)
            field |= bit
    return field


def _check(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise RangeValidationError(f"{field} must be between {low} and {high}, got {value}", field=field,
                                   value=value, min_value=low, max_value=high)
    return value


def build_reservation_entry(
    *,
    enabled: bool,
    days: Iterable[str | int] | int,
    hour: int,
    minute: int,
    mode_id: int,
    temperature: float,
    temperature_min: float | None = None,
    temperature_max: float | None = None,
) -> dict[str, int]:
    """One reservation: ``{"enable", "week", "hour", "min", "mode", "param"}``.

    ``temperature`` is in the preferred unit (°F unless the unit system is metric) and must lie
    within ``temperature_min``..``temperature_max`` when given (else 95-150 °F); ``param`` is
    half-°C as the device expects; ``enable`` uses the device's 2 = on, 1 = off.
    """
    metric = get_unit_system() == "metric"
    default_low, default_high = (35.0, 65.5) if metric else (95.0, 150.0)
    low = default_low if temperature_min is None else float(temperature_min)
    high = default_high if temperature_max is None else float(temperature_max)
    if not low <= float(temperature) <= high:
        raise RangeValidationError(f"temperature must be between {low:g} and {high:g}, got {temperature}",
                                   field="temperature", value=temperature, min_value=low, max_value=high)
    fahrenheit = float(temperature) * 9 / 5 + 32 if metric else float(temperature)
    return {
        "enable": 2 if enabled else 1,
        "week": encode_week_bitfield(days),
        "hour": _check("hour", int(hour), 0, 23),
        "min": _check("minute", int(minute), 0, 59),
        "mode": _check("mode_id", int(mode_id), 1, 6),
        "param": fahrenheit_to_half_celsius(fahrenheit),
    }
