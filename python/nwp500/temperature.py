"""Temperatures in the device's raw encodings (nwp500-python 9.3.0's
``nwp500.temperature``): :class:`HalfCelsius` (0.5 °C steps), :class:`DeciCelsius`
(0.1 °C steps), :class:`RawCelsius` (half-degrees shown as whole °F by the device's
formula) and :class:`DeciCelsiusDelta` (a difference in 0.1 °C steps)."""

from __future__ import annotations

from typing import Self

from .enums import TempFormulaType
from .unit_system import celsius_to_fahrenheit, fahrenheit_to_celsius, raw_celsius_to_preferred

__all__ = ["Temperature", "HalfCelsius", "DeciCelsius", "RawCelsius", "DeciCelsiusDelta"]


class Temperature:
    """A raw device temperature; subclasses say how many raw steps make one °C."""

    #: Raw steps per degree Celsius.
    STEPS_PER_DEGREE: float = 2.0

    def __init__(self, raw_value: int | float):
        self.raw_value = raw_value

    def to_celsius(self) -> float:
        return self.raw_value / self.STEPS_PER_DEGREE

    def to_fahrenheit(self) -> float:
        return celsius_to_fahrenheit(self.to_celsius())

    def to_preferred(self, is_celsius: bool = False) -> float:
        """In °C when ``is_celsius``, else in °F."""
        return self.to_celsius() if is_celsius else self.to_fahrenheit()

    @classmethod
    def from_celsius(cls, celsius: float) -> Self:
        return cls(round(celsius * cls.STEPS_PER_DEGREE))

    @classmethod
    def from_fahrenheit(cls, fahrenheit: float) -> Self:
        return cls.from_celsius(fahrenheit_to_celsius(fahrenheit))

    @classmethod
    def from_preferred(cls, value: float, is_celsius: bool = False) -> Self:
        """From °C when ``is_celsius``, else from °F."""
        return cls.from_celsius(value) if is_celsius else cls.from_fahrenheit(value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.raw_value == other.raw_value  # type: ignore[attr-defined, no-any-return]

    def __hash__(self) -> int:
        return hash((type(self), self.raw_value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.raw_value!r})"


class HalfCelsius(Temperature):
    """Half-degrees Celsius (``dhwTemperature``: 120 = 60 °C = 140 °F)."""

    STEPS_PER_DEGREE = 2.0


class DeciCelsius(Temperature):
    """Tenths of a degree Celsius (``tankUpperTemperature``: 595 = 59.5 °C)."""

    STEPS_PER_DEGREE = 10.0


class RawCelsius(Temperature):
    """Half-degrees Celsius that the device shows as whole °F (``outsideTemperature``)."""

    STEPS_PER_DEGREE = 2.0

    def to_fahrenheit(self) -> float:
        """Rounded to the nearest whole °F."""
        return raw_celsius_to_preferred(self.raw_value, False, TempFormulaType.STANDARD)

    def to_fahrenheit_with_formula(self, formula_type: TempFormulaType) -> float:
        """Whole °F as the device computes it with ``formula_type`` (``ASYMMETRIC``:
        floor when the raw value ends in 9, ceiling otherwise; ``STANDARD``: nearest)."""
        return raw_celsius_to_preferred(self.raw_value, False, formula_type)


class DeciCelsiusDelta(Temperature):
    """A temperature difference in tenths of a degree (no +32 offset in °F)."""

    STEPS_PER_DEGREE = 10.0

    def to_fahrenheit(self) -> float:
        return self.to_celsius() * 9 / 5

    @classmethod
    def from_fahrenheit(cls, fahrenheit: float) -> Self:
        return cls.from_celsius(fahrenheit * 5 / 9)
