"""Encoding the device's schedule fields (nwp500-python 9.3.0's ``nwp500.encoding``):
weekday and month bit fields, scaled prices, hex reservation lists, and whole reservation
entries (``build_reservation_entry``, which Home Assistant's ``set_reservation`` service
calls) and TOU periods (``build_tou_period``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._core import fahrenheit_to_half_celsius
from .exceptions import ParameterValidationError, RangeValidationError
from .models.schedule import _WEEK_BITS, decode_reservation_hex, decode_week_bitfield
from .unit_system import get_unit_system

if TYPE_CHECKING:  # annotations only (never evaluated): import nwp500 does not load decimal
    from decimal import Decimal
    from numbers import Real

__all__ = [
    "WEEKDAY_ORDER",
    "MONTH_TO_BIT",
    "build_reservation_entry",
    "build_tou_period",
    "decode_price",
    "decode_reservation_hex",
    "decode_season_bitfield",
    "decode_week_bitfield",
    "encode_price",
    "encode_season_bitfield",
    "encode_week_bitfield",
]

#: Weekday names in the device's bit order (Sunday = bit 7 ... Saturday = bit 1).
WEEKDAY_ORDER = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

#: Month (1-12) -> its bit in a TOU ``season`` field (January = bit 0).
MONTH_TO_BIT = {month: 1 << (month - 1) for month in range(1, 13)}

_DAY_BITS = {name.lower(): bit for name, bit in _WEEK_BITS}
_DAY_BITS.update({name[:3].lower(): bit for name, bit in _WEEK_BITS})
_DAY_BITS.update({name[:2].lower(): bit for name, bit in _WEEK_BITS})


def encode_season_bitfield(months: Iterable[int]) -> int:
    """Months (1 = January ... 12 = December) -> a TOU ``season`` bit field
    (``[6, 7, 8]`` -> 448).

    Raises:
        RangeValidationError: a month is outside 1-12.
    """
    field = 0
    for month in months:
        bit = MONTH_TO_BIT.get(month) if isinstance(month, int) and not isinstance(month, bool) else None
        if bit is None:
            raise RangeValidationError(f"month must be between 1 and 12, got {month!r}", field="month",
                                       value=month, min_value=1, max_value=12)
        field |= bit
    return field


def decode_season_bitfield(bitfield: int) -> list[int]:
    """A TOU ``season`` bit field -> its months, ascending (448 -> ``[6, 7, 8]``)."""
    return [month for month, bit in MONTH_TO_BIT.items() if bitfield & bit]


def _check_decimal_point(decimal_point: int) -> int:
    if not 0 <= decimal_point <= 10:
        raise RangeValidationError(f"decimal_point must be between 0 and 10, got {decimal_point}",
                                   field="decimal_point", value=decimal_point, min_value=0, max_value=10)
    return decimal_point


def encode_price(value: Real | float | Decimal, decimal_point: int) -> int:
    """A price as the device's integer with ``decimal_point`` implied decimals
    (``encode_price(12.34, 2)`` -> 1234), rounded to the nearest integer.

    Raises:
        RangeValidationError: ``decimal_point`` is outside 0-10.
    """
    scale = 10 ** _check_decimal_point(decimal_point)
    return int(round(float(value) * scale))  # type: ignore[arg-type]


def decode_price(value: int, decimal_point: int) -> float:
    """The device's integer price with ``decimal_point`` implied decimals as a float
    (``decode_price(1234, 2)`` -> 12.34).

    Raises:
        RangeValidationError: ``decimal_point`` is outside 0-10.
    """
    return value / 10 ** _check_decimal_point(decimal_point)


def encode_week_bitfield(days: Iterable[str | int] | int) -> int:
    """Weekday names (``"Monday"``, ``"mon"``, ``"MO"``, ...) or indices (0 = Monday ... 6 = Sunday) to
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


def build_tou_period(
    *,
    season_months: Iterable[int],
    week_days: Iterable[str | int],
    start_hour: int,
    start_minute: int,
    end_hour: int,
    end_minute: int,
    price_min: int | Real,
    price_max: int | Real,
    decimal_point: int,
) -> dict[str, int]:
    """One TOU period as ``configure_tou_schedule`` sends it: ``{"season", "week",
    "startHour", "startMinute", "endHour", "endMinute", "priceMin", "priceMax",
    "decimalPoint"}``. A price given as an ``int`` is taken as already encoded; any other
    number is encoded with ``decimal_point`` (:func:`encode_price`).

    Raises:
        RangeValidationError: an hour, minute, month or ``decimal_point`` is out of range.
        ParameterValidationError: an unknown weekday name.
    """
    for name, value, high in (("start_hour", start_hour, 23), ("end_hour", end_hour, 23),
                              ("start_minute", start_minute, 59), ("end_minute", end_minute, 59)):
        _check(name, value, 0, high)

    def price(value: int | Real) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return encode_price(value, decimal_point)

    return {
        "season": encode_season_bitfield(season_months),
        "week": encode_week_bitfield(week_days),
        "startHour": start_hour,
        "startMinute": start_minute,
        "endHour": end_hour,
        "endMinute": end_minute,
        "priceMin": price(price_min),
        "priceMax": price(price_max),
        "decimalPoint": _check_decimal_point(decimal_point),
    }
