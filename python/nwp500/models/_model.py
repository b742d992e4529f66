"""The base of the device records (``DeviceStatus``, ``DeviceFeature``, energy usage,
schedules): the device's own dicts read through the field descriptors of :mod:`._fields`.

Plain Python (no pydantic), with nwp500-python 9.3.0's attribute names and converted
values:

* ``model_validate(data)`` / ``from_dict(data)`` read the device's camelCase dict
  (``response.status`` / ``response.feature``); snake_case names (as ``model_dump``
  writes them) are read too. A missing required key, a null, or a value of the wrong
  kind raises :class:`ValueError` naming the device key, e.g.
  ``DeviceStatus: missing required field 'dhwTemperature'``, so a caller can log the
  payload and skip it.
* Temperatures, flows and volumes are kept raw (``dhw_temperature_raw``) and converted
  when read (``dhw_temperature``), into the unit chosen with
  :func:`nwp500.unit_system.set_unit_system` or, when none is chosen, the device's own
  ``temperature_type``.
* Device booleans (1 = off, 2 = on) become ``bool``; enums become members of
  :mod:`nwp500.enums`. An integer the enum does not know (a firmware newer than this
  library) is kept as a plain ``int`` rather than rejecting the whole status.
* ``model_dump()`` returns snake_case keys with enums as their names, raw fields under
  ``*_raw`` and the converted values under their own names, as 9.3.0 does.
* ``get_field_unit(name)`` returns the display suffix with a leading space, as 9.3.0
  does: ``" °F"`` / ``" °C"``, ``" GPM"`` / ``" LPM"``, ``" gal"`` / ``" L"``, ``" W"``,
  ``" %"``...; ``""`` for unitless or unknown fields.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar, TypeVar

from ..enums import TemperatureType
from ..unit_system import get_unit_system
from ._base import NavienBaseModel
from ._fields import _ABSENT, _Field
from ._values import safe_repr

_M = TypeVar("_M", bound="_Model")


def _dump(value: Any, mode: str, by_alias: bool) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, _Model):
        return value.model_dump(mode=mode, by_alias=by_alias)
    if isinstance(value, list):
        return [_dump(v, mode, by_alias) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, mode, by_alias) for k, v in value.items()}
    return value


class _Model(NavienBaseModel):
    """Shared behaviour: reading, dumping, units, equality, a MAC-safe repr."""

    _fields: ClassVar[tuple[_Field, ...]] = ()
    _by_name: ClassVar[dict[str, _Field]] = {}
    _extra_dump: ClassVar[tuple[str, ...]] = ()  # read-only properties model_dump adds

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: list[_Field] = []
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, _Field) and value not in fields:
                    fields.append(value)
        cls._fields = tuple(fields)
        by_name: dict[str, _Field] = {}
        for f in fields:
            by_name[f.name] = f
            by_name[f.store] = f
        cls._by_name = by_name

    def __init__(self, **data: Any) -> None:
        self.__dict__.update(self._read(data))

    # -- reading ------------------------------------------------------------------------
    @classmethod
    def _read(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in cls._fields:
            value, python_form = _ABSENT, False
            for key in (f.key, *f.alt_keys):
                if key in data:
                    value = data[key]
                    break
            else:
                if f.store in data:
                    value, python_form = data[f.store], True
            if value is _ABSENT or value is None:
                if f.required:
                    problem = "missing required field" if value is _ABSENT else "null value for field"
                    raise ValueError(f"{cls.__name__}: {problem} {f.key!r}")
                out[f.store] = f.default_value()
                continue
            where = f"{cls.__name__}: field {f.key!r}"
            out[f.store] = f.parse_python(value, where) if python_form else f.parse(value, where)
        return out

    @classmethod
    def model_validate(cls: type[_M], data: Any) -> _M:
        """Build from the device's camelCase dict (snake_case keys are read too).

        Raises:
            ValueError: The data is not a mapping, a required key is missing or null, or
                a value cannot be read; the message names the key.
        """
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        obj = cls.__new__(cls)
        obj.__dict__.update(cls._read(data))
        return obj

    @classmethod
    def from_dict(cls: type[_M], data: Any) -> _M:
        """Same as :meth:`model_validate`."""
        return cls.model_validate(data)

    @classmethod
    def model_construct(cls: type[_M], _fields_set: set[str] | None = None, **values: Any) -> _M:
        """Build from trusted values without reading or checking them (as pydantic's
        ``model_construct``): keys are field names (``dhw_temperature``) or stored names
        (``dhw_temperature_raw``); values are kept as given; fields not given take their
        default (``None`` for a required one)."""
        obj = cls.__new__(cls)
        for f in cls._fields:
            obj.__dict__[f.store] = None if f.required else f.default_value()
        for key, value in values.items():
            known = cls._by_name.get(key)
            obj.__dict__[known.store if known is not None else key] = value
        return obj

    # -- units --------------------------------------------------------------------------
    def _is_celsius(self) -> bool:
        preference = get_unit_system()
        if preference is not None:
            return preference == "metric"
        return self.__dict__.get("temperature_type") == TemperatureType.CELSIUS

    def get_field_unit(self, field_name: str) -> str:
        """The unit suffix of a field for display, in the current unit system, with a
        leading space as nwp500-python 9.3.0 returns it (``" °F"``, ``" LPM"``,
        ``" W"``); ``""`` when the field has no unit or does not exist. Callers that
        want the bare unit use ``.strip()``."""
        f = self._by_name.get(field_name)
        if f is None:
            return ""
        metric = self._is_celsius()
        if f.unit_kind == "temperature":
            return " °C" if metric else " °F"
        if f.unit_kind == "flow_rate":
            return " LPM" if metric else " GPM"
        if f.unit_kind == "water":
            return " L" if metric else " gal"
        return f" {f.static_unit}" if f.static_unit else ""

    # -- writing ------------------------------------------------------------------------
    def model_dump(
        self,
        *,
        mode: str = "python",
        by_alias: bool = False,
        exclude_none: bool = False,
        include: set[str] | None = None,
        exclude: set[str] | None = None,
    ) -> dict[str, Any]:
        """A ``dict`` of every field (snake_case; raw values of converted fields under
        ``*_raw``) followed by the converted values, enums as their names.
        ``by_alias=True`` keys the stored fields by their device (camelCase) keys."""
        if mode not in ("python", "json"):
            raise ValueError("mode must be 'python' or 'json'")
        out: dict[str, Any] = {}
        for f in self._fields:
            out[f.key if by_alias else f.store] = _dump(self.__dict__.get(f.store), mode, by_alias)
        for f in self._fields:
            if f.converted:
                out[f.name] = getattr(self, f.name)
        for name in self._extra_dump:
            out[name] = _dump(getattr(self, name), mode, by_alias)
        if include is not None:
            out = {k: v for k, v in out.items() if k in include}
        if exclude:
            out = {k: v for k, v in out.items() if k not in exclude}
        if exclude_none:
            out = {k: v for k, v in out.items() if v is not None}
        return out

    def to_protocol_dict(self) -> dict[str, Any]:
        """The device's own form: camelCase keys, raw numbers, 1/2 booleans, enum values.
        ``model_validate(x.to_protocol_dict())`` rebuilds an equal object."""
        out: dict[str, Any] = {}
        for f in self._fields:
            stored = self.__dict__.get(f.store)
            if stored is not None:
                out[f.key] = f.to_device(stored)
        return out

    def model_copy(self: _M, *, update: Mapping[str, Any] | None = None) -> _M:
        """A shallow copy with ``update`` applied. Keys are stored names
        (``error_code``, ``dhw_temperature_raw``, ``mac_address``) and values are taken
        as they are, without conversion."""
        new = copy.copy(self)
        for key, value in (update or {}).items():
            f = self._by_name.get(key)
            new.__dict__[f.store if f is not None else key] = value
        return new

    # -- comparing and showing ------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return safe_repr(type(self).__name__, ((f.store, self.__dict__.get(f.store)) for f in self._fields))

    __str__ = __repr__
