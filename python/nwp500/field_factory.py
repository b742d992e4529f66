"""Field declarations with display metadata (nwp500-python 9.3.0's
``nwp500.field_factory``).

9.3.0 builds pydantic ``Field`` objects with these; here they return a plain
:class:`FieldSpec` that carries the same information (``description``, ``default``,
``json_schema_extra["unit_of_measurement"]``, ``device_class``, any other keyword such as
``alias``), for code that declares its own records with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["temperature_field", "signal_strength_field", "energy_field", "power_field"]


@dataclass(frozen=True)
class FieldSpec:
    """A field's description, default and metadata."""

    description: str
    default: Any = None
    alias: str | None = None
    json_schema_extra: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str | None:
        return self.json_schema_extra.get("unit_of_measurement")


def _field(description: str, unit: str, device_class: str, default: Any, kwargs: dict[str, Any]) -> FieldSpec:
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra.setdefault("unit_of_measurement", unit)
    extra.setdefault("device_class", device_class)
    alias = kwargs.pop("alias", None)
    return FieldSpec(description=description, default=default, alias=alias, json_schema_extra=extra, extra=kwargs)


def temperature_field(description: str, *, unit: str = "°F", default: Any = None, **kwargs: Any) -> Any:
    """A temperature field (device class ``temperature``)."""
    return _field(description, unit, "temperature", default, kwargs)


def signal_strength_field(description: str, *, unit: str = "dBm", default: Any = None, **kwargs: Any) -> Any:
    """A signal-strength field (device class ``signal_strength``)."""
    return _field(description, unit, "signal_strength", default, kwargs)


def energy_field(description: str, *, unit: str = "kWh", default: Any = None, **kwargs: Any) -> Any:
    """An energy field (device class ``energy``)."""
    return _field(description, unit, "energy", default, kwargs)


def power_field(description: str, *, unit: str = "W", default: Any = None, **kwargs: Any) -> Any:
    """A power field (device class ``power``)."""
    return _field(description, unit, "power", default, kwargs)
