"""The preferred unit system, and the conversions the device models use.

Device values arrive in metric raw units (half-degrees or tenths of a degree Celsius,
tenths of a litre per minute, litres). The models convert them when they are read:

* ``"us_customary"``: °F, GPM, gallons;
* ``"metric"``: °C, LPM, litres;
* ``None`` (the default): whatever the device itself displays (its ``temperatureType``).

The preference is **process-wide**: :func:`set_unit_system` called in one task or thread
is seen by every other one. (nwp500-python 9.3.0 kept it in a context variable, so a
preference set in Home Assistant's update task was not seen by MQTT callbacks running in
another context. Home Assistant calls ``set_unit_system`` before every update and reads
values later from other tasks, which a process-wide setting serves correctly.) Values
are converted at attribute access, so changing the preference also changes what
already-built models report.
"""

from __future__ import annotations

import math
import threading
from typing import Literal

from .enums import TemperatureType, TempFormulaType

__all__ = [
    "UnitSystemType",
    "set_unit_system",
    "get_unit_system",
    "reset_unit_system",
    "unit_system_to_temperature_type",
    "is_metric_preferred",
    "half_celsius_to_preferred",
    "deci_celsius_to_preferred",
    "deci_celsius_delta_to_preferred",
    "raw_celsius_to_preferred",
    "lpm_to_preferred",
    "liters_to_preferred",
    "celsius_to_fahrenheit",
    "fahrenheit_to_celsius",
    "preferred_to_half_celsius",
    "reservation_param_to_preferred",
    "temperature_unit",
]

UnitSystemType = Literal["metric", "us_customary"]

_VALID = ("metric", "us_customary")
_lock = threading.Lock()
_unit_system: UnitSystemType | None = None

# 1 litre = 0.264172 US gallons (the factor nwp500-python uses).
_GALLONS_PER_LITRE = 0.264172


def set_unit_system(unit_system: UnitSystemType | None) -> None:
    """Set the preferred unit system for every model value read from now on.

    Args:
        unit_system: ``"metric"`` (°C, LPM, L), ``"us_customary"`` (°F, GPM, gal), or
            ``None`` to follow each device's own ``temperatureType``.

    Raises:
        ValueError: For any other value.
    """
    global _unit_system
    if unit_system is not None and unit_system not in _VALID:
        raise ValueError(
            f"unit_system must be 'metric', 'us_customary' or None, got {unit_system!r}"
        )
    with _lock:
        _unit_system = unit_system


def get_unit_system() -> UnitSystemType | None:
    """The current preference: ``"metric"``, ``"us_customary"`` or ``None`` (auto)."""
    return _unit_system


def reset_unit_system() -> None:
    """Go back to following each device's own ``temperatureType`` (``None``)."""
    set_unit_system(None)


def unit_system_to_temperature_type(
    unit_system: UnitSystemType | None,
) -> TemperatureType | None:
    """``"metric"`` → CELSIUS, ``"us_customary"`` → FAHRENHEIT, ``None`` → ``None``."""
    if unit_system == "metric":
        return TemperatureType.CELSIUS
    if unit_system == "us_customary":
        return TemperatureType.FAHRENHEIT
    return None


def is_metric_preferred(
    override: UnitSystemType | None = None,
    temperature_type: TemperatureType | int | None = None,
) -> bool:
    """Whether values should be metric.

    Checks ``override``, then the process-wide preference, then ``temperature_type``
    (the device's own setting); with none of them set, US customary is assumed.
    """
    if override is not None:
        return override == "metric"
    preference = _unit_system
    if preference is not None:
        return preference == "metric"
    return temperature_type == TemperatureType.CELSIUS


def temperature_unit(metric: bool) -> str:
    """``"°C"`` or ``"°F"``."""
    return "°C" if metric else "°F"


# ---------------------------------------------------------------------------------------
# Conversions (raw device value → preferred unit)
# ---------------------------------------------------------------------------------------


def celsius_to_fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 + 32


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    return (fahrenheit - 32) * 5 / 9


def _tidy(value: float) -> float:
    # Raw steps are 0.5 °C or 0.1 °C, i.e. 0.9 °F or 0.18 °F: two decimals are exact and
    # drop binary noise such as 139.10000000000002.
    return round(value, 2)


def half_celsius_to_preferred(raw: float, metric: bool) -> float:
    """Half-degrees Celsius (``dhwTemperature`` 120 → 60.0 °C / 140.0 °F)."""
    celsius = raw / 2
    return _tidy(celsius if metric else celsius_to_fahrenheit(celsius))


def deci_celsius_to_preferred(raw: float, metric: bool) -> float:
    """Tenths of a degree Celsius (``tankUpperTemperature`` 595 → 59.5 °C / 139.1 °F)."""
    celsius = raw / 10
    return _tidy(celsius if metric else celsius_to_fahrenheit(celsius))


def deci_celsius_delta_to_preferred(raw: float, metric: bool) -> float:
    """A temperature *difference* in tenths of a degree: no +32 offset in Fahrenheit
    (-50 → -5.0 °C / -9.0 °F)."""
    celsius = raw / 10
    return _tidy(celsius if metric else celsius * 9 / 5)


def raw_celsius_to_preferred(
    raw: float, metric: bool, formula: TempFormulaType | int | str | None = None
) -> float:
    """Half-degrees Celsius rounded to whole Fahrenheit as the device's display does
    (``outsideTemperature``).

    ``TempFormulaType.ASYMMETRIC`` (0): floor when the raw value's last digit is 9,
    ceiling otherwise (the remainder is truncated toward zero, as the firmware does);
    anything else: round to the nearest degree.
    """
    celsius = raw / 2
    if metric:
        return float(celsius)
    fahrenheit = celsius_to_fahrenheit(celsius)
    if formula == TempFormulaType.ASYMMETRIC:
        remainder = int(math.fmod(int(raw), 10))
        return float(math.floor(fahrenheit) if remainder == 9 else math.ceil(fahrenheit))
    return float(round(fahrenheit))


def lpm_to_preferred(raw_tenths: float, metric: bool) -> float:
    """Flow in tenths of a litre per minute → LPM, or GPM rounded to 2 decimals."""
    lpm = raw_tenths / 10
    return float(lpm) if metric else round(lpm * _GALLONS_PER_LITRE, 2)


def liters_to_preferred(liters: float, metric: bool) -> float:
    """A volume in litres → litres, or US gallons rounded to 2 decimals."""
    return float(liters) if metric else round(liters * _GALLONS_PER_LITRE, 2)


# ---------------------------------------------------------------------------------------
# Conversions for commands (preferred unit → raw)
# ---------------------------------------------------------------------------------------


def preferred_to_half_celsius(value: float, metric: bool | None = None) -> int:
    """A temperature in the preferred unit → half-degrees Celsius for a command
    (140 °F → 120, 60 °C → 120). ``metric=None`` uses the process-wide preference
    (Fahrenheit when it is unset). Python's ``round`` (banker's rounding), as the
    reference library does."""
    if metric is None:
        metric = _unit_system == "metric"
    celsius = value if metric else fahrenheit_to_celsius(value)
    return int(round(celsius * 2))


def reservation_param_to_preferred(param: int, metric: bool | None = None) -> float:
    """A reservation's ``param`` (half-degrees Celsius) in the preferred unit
    (Fahrenheit unless the preference is metric)."""
    if metric is None:
        metric = _unit_system == "metric"
    return half_celsius_to_preferred(param, metric)
