"""The base of the cloud records and the converters their fields use.

The records are plain dataclasses with the names, fields and defaults of nwp500-python
9.3.0's pydantic models, and the parts of the pydantic API that code written against it
uses:

* attribute access, ``==``, ``model_copy(update=...)``;
* ``model_dump(mode="json", by_alias=False, exclude_none=False)`` -> a plain ``dict``
  (snake_case keys; datetimes as ISO 8601 strings unless ``mode="python"``);
* ``from_dict(data)`` / ``model_validate(data)`` accepting the API's camelCase keys or the
  snake_case keys of a stored dump, ignoring keys they do not know, converting numbers
  given as strings, and raising :class:`ValueError` (never with the offending value in the
  message) when something cannot be read.

Reprs never show tokens, AWS keys or MAC addresses.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from ._base import NavienBaseModel
from ._values import NON_NUMERIC_TEXT, NOT_A_NUMBER, NumberError, safe_repr, to_camel, to_number

_R = TypeVar("_R", bound="_Record")


# -- value conversion ----------------------------------------------------------------------
# Each converter gets (value, field name) and returns the converted value or raises
# ValueError. Messages name the field and the type, never the value (it may be a secret).


def _type_error(name: str, want: str, value: Any) -> ValueError:
    return ValueError(f"{name}: expected {want}, got {type(value).__name__}")


def _number_error(name: str, want: str, value: Any, error: NumberError) -> ValueError:
    if error.kind == NOT_A_NUMBER:
        return _type_error(name, want, value)
    if error.kind == NON_NUMERIC_TEXT:
        return ValueError(f"{name}: expected {want}, got a non-numeric string")
    return ValueError(f"{name}: expected {want}, got a fractional or non-finite number")


def _as_str(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _type_error(name, "a string", value)


def _as_int(value: Any, name: str) -> int:
    try:
        return to_number(value, int)  # type: ignore[return-value]
    except NumberError as exc:
        raise _number_error(name, "an integer", value, exc) from None


def _as_float(value: Any, name: str) -> float:
    """Any number but a bool; nan and infinity are kept."""
    if isinstance(value, bool):
        raise _type_error(name, "a number", value)
    try:
        return to_number(value, float, finite=False)
    except NumberError as exc:
        raise _number_error(name, "a number", value, exc) from None


def _as_list(value: Any, name: str) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    raise _type_error(name, "a list", value)


def _as_datetime(value: Any, name: str) -> datetime:
    """ISO 8601 string (``Z`` or offset or naive), ``datetime``, or Unix seconds -> aware UTC.

    Naive values are read as UTC (9.3.0 stores UTC; older stores wrote naive times)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{name}: expected a finite timestamp")
        return datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{name}: expected an ISO 8601 date-time") from None
    else:
        raise _type_error(name, "a date-time", value)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _iso_z(dt: datetime) -> str:
    """``2026-01-02T03:04:05.123456Z`` (UTC, ``Z`` suffix)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _record_converter(cls: type[_R]):
    def convert(value: Any, name: str) -> _R:
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls.model_validate(value)
        raise _type_error(name, f"a {cls.__name__} object", value)

    return convert


def _record_list_converter(cls: type[_R]):
    one = _record_converter(cls)

    def convert(value: Any, name: str) -> list[_R]:
        return [one(item, f"{name}[{i}]") for i, item in enumerate(_as_list(value, name))]

    return convert


def _dict_list(value: Any, name: str) -> list[dict[str, Any]]:
    items = _as_list(value, name)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise _type_error(f"{name}[{i}]", "an object", item)
    return [dict(item) for item in items]


def _int_or_text(value: Any, name: str) -> int | str:
    # Zip codes arrive as numbers; keep an unexpected non-numeric one rather than fail the plan.
    try:
        return _as_int(value, name)
    except ValueError:
        return _as_str(value, name)


# -- the record base -------------------------------------------------------------------------


class _Record(NavienBaseModel):
    """Shared behaviour of the records (which are dataclasses).

    Subclasses set ``_CONVERT`` (field -> converter) and may set ``_ALIASES`` (field ->
    the API's key when it is not simply the camelCase of the field name), ``_REQUIRED``
    (fields ``model_validate`` insists on) and ``_FALLBACK_WHEN_EMPTY`` (fields whose empty
    camelCase value yields to a present snake_case one)."""

    _CONVERT: ClassVar[dict[str, Any]] = {}
    _ALIASES: ClassVar[dict[str, str]] = {}
    _REQUIRED: ClassVar[frozenset[str]] = frozenset()
    _FALLBACK_WHEN_EMPTY: ClassVar[bool] = False

    # -- reading ------------------------------------------------------------------------
    @classmethod
    def _alias(cls, name: str) -> str:
        return cls._ALIASES.get(name, to_camel(name))

    @classmethod
    def _field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]

    @classmethod
    def _read(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for the constructor from a camelCase or snake_case mapping."""
        kwargs: dict[str, Any] = {}
        for name in cls._field_names():
            alias = cls._alias(name)
            if alias in data and not (
                cls._FALLBACK_WHEN_EMPTY and not data[alias] and name in data
            ):
                value = data[alias]
            elif name in data:
                value = data[name]
            else:
                if name in cls._REQUIRED:
                    raise ValueError(f"{cls.__name__}: missing required field {alias!r}")
                continue
            if value is None:
                if name in cls._REQUIRED:
                    raise ValueError(f"{cls.__name__}: field {alias!r} must not be null")
                # Absent and null read the same for fields that are not Optional: take the
                # default rather than fail a whole response over one null.
                if not cls._nullable(name):
                    continue
                kwargs[name] = None
                continue
            convert = cls._CONVERT.get(name)
            kwargs[name] = convert(value, f"{cls.__name__}.{name}") if convert else value
        return kwargs

    @classmethod
    def _nullable(cls, name: str) -> bool:
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name == name:
                return f.default is None
        return False

    @classmethod
    def model_validate(cls: type[_R], data: Any) -> _R:
        """Build from a mapping with camelCase (API) or snake_case (stored) keys; extra keys
        are ignored. Raises :class:`ValueError` when the data cannot be read."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise _type_error(cls.__name__, "an object", data)
        return cls(**cls._read(data))

    @classmethod
    def from_dict(cls: type[_R], data: Any) -> _R:
        """Same as :meth:`model_validate`."""
        return cls.model_validate(data)

    @classmethod
    def model_construct(cls: type[_R], _fields_set: set[str] | None = None, **values: Any) -> _R:
        """Build from trusted snake_case values without converting or checking them (as
        pydantic's ``model_construct``); fields not given take their default (``None``
        for a field without one)."""
        obj = cls.__new__(cls)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            value: Any
            if f.name in values:
                value = values[f.name]
            elif f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                value = None
            object.__setattr__(obj, f.name, value)
        return obj

    # -- writing ------------------------------------------------------------------------
    def _dump_fields(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in self._field_names()]

    def model_dump(
        self, *, mode: str = "json", by_alias: bool = False, exclude_none: bool = False
    ) -> dict[str, Any]:
        """A plain ``dict`` of the fields (nested records too). ``mode="json"`` (the
        default) writes datetimes as ISO 8601 strings; ``mode="python"`` keeps them."""
        if mode not in ("json", "python"):
            raise ValueError("mode must be 'json' or 'python'")
        out: dict[str, Any] = {}
        for name, value in self._dump_fields():
            if exclude_none and value is None:
                continue
            key = self._alias(name) if by_alias else name
            out[key] = _dump_value(value, mode, by_alias, exclude_none)
        return out

    def model_copy(self: _R, *, update: Mapping[str, Any] | None = None) -> _R:
        """A shallow copy with ``update`` (snake_case field names) applied."""
        return dataclasses.replace(self, **dict(update or {}))  # type: ignore[type-var]

    # -- showing ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        return safe_repr(type(self).__name__, self._dump_fields())

    __str__ = __repr__


def _dump_value(value: Any, mode: str, by_alias: bool, exclude_none: bool) -> Any:
    if isinstance(value, _Record):
        return value.model_dump(mode=mode, by_alias=by_alias, exclude_none=exclude_none)
    if isinstance(value, datetime):
        return _iso_z(value) if mode == "json" else value
    if isinstance(value, list):
        return [_dump_value(v, mode, by_alias, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _dump_value(v, mode, by_alias, exclude_none) for k, v in value.items()}
    return value


