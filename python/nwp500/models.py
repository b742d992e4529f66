"""Records of the Navien cloud: sign-in results, tokens, devices, firmware, time-of-use plans.

Plain dataclasses with the names, fields and defaults of nwp500-python 9.3.0's pydantic
models, and the parts of the pydantic API that code written against it uses:

* attribute access, ``==``, ``model_copy(update=...)``;
* ``model_dump(mode="json", by_alias=False, exclude_none=False)`` -> a plain ``dict``
  (snake_case keys; datetimes as ISO 8601 strings unless ``mode="python"``);
* ``from_dict(data)`` / ``model_validate(data)`` accepting the API's camelCase keys or the
  snake_case keys of a stored dump, ignoring keys they do not know, converting numbers
  given as strings, and raising :class:`ValueError` (never with the offending value in the
  message) when something cannot be read;
* :meth:`AuthTokens.to_dict` for token storage (``issued_at`` as ISO 8601 with ``Z``).

Reprs never show tokens, AWS keys or MAC addresses.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from ._redact import REDACTED, _is_secret_key

__all__ = [
    "UserInfo",
    "AuthTokens",
    "AuthenticationResponse",
    "DeviceInfo",
    "Location",
    "Device",
    "FirmwareInfo",
    "TOUSchedule",
    "TOUInfo",
]

#: Tokens within this margin of their expiry count as expired (as in the reference).
EXPIRY_MARGIN = timedelta(minutes=5)

_R = TypeVar("_R", bound="_Record")


def _now() -> datetime:
    return datetime.now(UTC)


def _to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# -- value conversion ----------------------------------------------------------------------
# Each converter gets (value, field name) and returns the converted value or raises
# ValueError. Messages name the field and the type, never the value (it may be a secret).


def _type_error(name: str, want: str, value: Any) -> ValueError:
    return ValueError(f"{name}: expected {want}, got {type(value).__name__}")


def _as_str(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _type_error(name, "a string", value)


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise ValueError(f"{name}: expected an integer, got a fractional or non-finite number")
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{name}: expected an integer, got a non-numeric string") from None
        return _as_int(number, name)
    raise _type_error(name, "an integer", value)


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError(f"{name}: expected a number, got a non-numeric string") from None
    raise _type_error(name, "a number", value)


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


class _Record:
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
        return cls._ALIASES.get(name, _to_camel(name))

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
        parts = []
        for name, value in self._dump_fields():
            shown = REDACTED if (value not in (None, "") and _is_secret_key(name)) else repr(value)
            parts.append(f"{name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

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


# -- authentication ---------------------------------------------------------------------------


@dataclass(repr=False)
class UserInfo(_Record):
    """The signed-in user (``data.userInfo`` of a sign-in response)."""

    user_type: str = ""
    user_first_name: str = ""
    user_last_name: str = ""
    user_status: str = ""
    user_seq: int = 0

    _CONVERT: ClassVar[dict[str, Any]] = {
        "user_type": _as_str,
        "user_first_name": _as_str,
        "user_last_name": _as_str,
        "user_status": _as_str,
        "user_seq": _as_int,
    }

    @property
    def full_name(self) -> str:
        return f"{self.user_first_name} {self.user_last_name}".strip()


_TOKEN_FIELDS = (
    "id_token",
    "access_token",
    "refresh_token",
    "authentication_expires_in",
    "access_key_id",
    "secret_key",
    "session_token",
    "authorization_expires_in",
    "issued_at",
)


@dataclass(init=False, repr=False)
class AuthTokens(_Record):
    """The JWTs of a sign-in or refresh and the temporary AWS credentials for MQTT.

    ``authentication_expires_in`` (access token) and ``authorization_expires_in`` (AWS
    credentials) are lifetimes in seconds from ``issued_at`` (timezone-aware UTC; "now" by
    default). Both count as expired five minutes early. ``aws_expires_at`` may be given to
    keep the AWS credentials' own clock when a refresh did not renew them; by default it is
    ``issued_at + authorization_expires_in`` (or ``None`` without that lifetime). It is not
    part of :meth:`to_dict` (stored tokens have the reference's nine keys).
    """

    id_token: str
    access_token: str
    refresh_token: str
    authentication_expires_in: int
    access_key_id: str | None
    secret_key: str | None
    session_token: str | None
    authorization_expires_in: int | None
    issued_at: datetime

    _CONVERT: ClassVar[dict[str, Any]] = {
        "id_token": _as_str,
        "access_token": _as_str,
        "refresh_token": _as_str,
        "authentication_expires_in": _as_int,
        "access_key_id": _as_str,
        "secret_key": _as_str,
        "session_token": _as_str,
        "authorization_expires_in": _as_int,
        "issued_at": _as_datetime,
    }
    _FALLBACK_WHEN_EMPTY: ClassVar[bool] = True

    def __init__(
        self,
        id_token: str = "",
        access_token: str = "",
        refresh_token: str = "",
        authentication_expires_in: int = 3600,
        access_key_id: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
        authorization_expires_in: int | None = None,
        issued_at: datetime | str | float | None = None,
        *,
        aws_expires_at: datetime | str | float | None = None,
    ) -> None:
        self.id_token = id_token
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.authentication_expires_in = authentication_expires_in
        self.access_key_id = access_key_id
        self.secret_key = secret_key
        self.session_token = session_token
        self.authorization_expires_in = authorization_expires_in
        self.issued_at = _now() if issued_at is None else _as_datetime(issued_at, "issued_at")
        self._aws_expires_at_override = (
            None if aws_expires_at is None else _as_datetime(aws_expires_at, "aws_expires_at")
        )

    @classmethod
    def _nullable(cls, name: str) -> bool:
        return name in ("access_key_id", "secret_key", "session_token", "authorization_expires_in")

    @classmethod
    def _field_names(cls) -> list[str]:
        return list(_TOKEN_FIELDS)

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> AuthTokens:
        kwargs = {name: getattr(self, name) for name in _TOKEN_FIELDS}
        kwargs["aws_expires_at"] = self._aws_expires_at_override
        kwargs.update(update or {})
        return AuthTokens(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """snake_case keys for storage; ``issued_at`` as ISO 8601 UTC with ``Z``. Reading it
        back with :meth:`from_dict` keeps both expiry clocks."""
        return self.model_dump(mode="json")

    # -- expiry -------------------------------------------------------------------------
    @property
    def expires_at(self) -> datetime:
        """When the access token expires (``issued_at + authentication_expires_in``)."""
        return self.issued_at + timedelta(seconds=self.authentication_expires_in)

    @property
    def aws_expires_at(self) -> datetime | None:
        """When the AWS credentials expire; ``None`` when unknown."""
        if self._aws_expires_at_override is not None:
            return self._aws_expires_at_override
        if not self.authorization_expires_in:
            return None
        return self.issued_at + timedelta(seconds=self.authorization_expires_in)

    @property
    def is_expired(self) -> bool:
        """True from five minutes before :attr:`expires_at` on (so a lifetime of 300 s or
        less counts as expired from the start)."""
        return _now() >= self.expires_at - EXPIRY_MARGIN

    @property
    def are_aws_credentials_expired(self) -> bool:
        """True from five minutes before :attr:`aws_expires_at` on; False when unknown."""
        aws = self.aws_expires_at
        if aws is None:
            return False
        return _now() >= aws - EXPIRY_MARGIN

    @property
    def time_until_expiry(self) -> timedelta:
        """``expires_at - now`` (negative once expired; the margin is not subtracted)."""
        return self.expires_at - _now()

    @property
    def bearer_token(self) -> str:
        """``"Bearer <access token>"`` (the Navien API itself wants the raw token)."""
        return f"Bearer {self.access_token}"


@dataclass(repr=False)
class AuthenticationResponse(_Record):
    """A successful sign-in: the user, the tokens, the legal notices, the API's code/msg."""

    user_info: UserInfo
    tokens: AuthTokens
    legal: list[dict[str, Any]] = field(default_factory=list)
    code: int = 200
    message: str = "SUCCESS"

    _CONVERT: ClassVar[dict[str, Any]] = {
        "user_info": _record_converter(UserInfo),
        "tokens": _record_converter(AuthTokens),
        "legal": _dict_list,
        "code": _as_int,
        "message": _as_str,
    }
    _ALIASES: ClassVar[dict[str, str]] = {"message": "msg"}
    _REQUIRED: ClassVar[frozenset[str]] = frozenset({"user_info", "tokens"})

    @classmethod
    def from_dict(cls, response_data: Any) -> AuthenticationResponse:
        """From the sign-in body ``{code, msg, data: {userInfo, token, legal}}``; missing
        parts read as empty (so a body without ``data.token`` gives empty tokens)."""
        if isinstance(response_data, cls):
            return response_data
        if not isinstance(response_data, Mapping):
            raise _type_error(cls.__name__, "an object", response_data)
        data = response_data.get("data")
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise _type_error(f"{cls.__name__}.data", "an object", data)

        def part(key: str, empty: Any) -> Any:
            value = data.get(key)
            return empty if value is None else value

        return cls.model_validate(
            {
                "code": response_data.get("code", 200),
                "msg": response_data.get("msg", "SUCCESS"),
                "userInfo": part("userInfo", {}),
                "tokens": part("token", {}),
                "legal": part("legal", []),
            }
        )


# -- devices ----------------------------------------------------------------------------------


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
