"""The envelope of a device command as records (nwp500-python 9.3.0's ``MqttRequest`` and
``MqttCommand``): ``model_dump(by_alias=True, exclude_none=True)`` gives the JSON the
device expects (``clientID``, ``sessionID``, ``protocolVersion``, ``request: {command,
deviceType, macAddress, additionalValue, ...}``, ``requestTopic``, ``responseTopic``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._record import _as_int, _as_list, _as_str, _Record, _type_error

__all__ = ["MqttRequest", "MqttCommand"]


def _numbers(value: Any, name: str) -> list[int | float]:
    out: list[int | float] = []
    for i, item in enumerate(_as_list(value, name)):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise _type_error(f"{name}[{i}]", "a number", item)
        out.append(item)
    return out


def _ints(value: Any, name: str) -> list[int]:
    return [_as_int(item, f"{name}[{i}]") for i, item in enumerate(_as_list(value, name))]


@dataclass(repr=False)
class MqttRequest(_Record):
    """The ``request`` object of a command: the command code, the device's address and the
    command's own fields (``mode``/``param``/``paramStr`` of a control command, ``month``/
    ``year`` of an energy query)."""

    command: int
    device_type: int
    mac_address: str
    additional_value: str = "..."
    mode: str | None = None
    param: list[int | float] = field(default_factory=list)
    param_str: str = ""
    month: list[int] | None = None
    year: int | None = None

    _CONVERT: ClassVar[dict[str, Any]] = {
        "command": _as_int,
        "device_type": _as_int,
        "mac_address": _as_str,
        "additional_value": _as_str,
        "mode": _as_str,
        "param": _numbers,
        "param_str": _as_str,
        "month": _ints,
        "year": _as_int,
    }
    _REQUIRED: ClassVar[frozenset[str]] = frozenset({"command", "device_type", "mac_address"})


def _request(value: Any, name: str) -> MqttRequest | dict[str, Any]:
    if isinstance(value, MqttRequest):
        return value
    if not isinstance(value, Mapping):
        raise _type_error(name, "an object", value)
    try:
        return MqttRequest.model_validate(value)
    except ValueError:
        return dict(value)  # a request of another shape is kept as given


@dataclass(repr=False)
class MqttCommand(_Record):
    """A whole command envelope as published on the device's request topic."""

    client_id: str
    session_id: str
    request_topic: str
    response_topic: str
    request: MqttRequest | dict[str, Any]
    protocol_version: int = 2

    _CONVERT: ClassVar[dict[str, Any]] = {
        "client_id": _as_str,
        "session_id": _as_str,
        "request_topic": _as_str,
        "response_topic": _as_str,
        "request": _request,
        "protocol_version": _as_int,
    }
    _ALIASES: ClassVar[dict[str, str]] = {"client_id": "clientID", "session_id": "sessionID"}
    _REQUIRED: ClassVar[frozenset[str]] = frozenset(
        {"client_id", "session_id", "request_topic", "response_topic", "request"}
    )
