"""Finding the payload in a device message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["get_response_data"]

_SHORT_KEYS = {"status": "st", "feature": "did"}


def get_response_data(message: Any, key: str) -> dict[str, Any] | None:
    """The ``key`` object of a device message, looked up as 9.3.0 does:
    ``response[key]``, ``response[alt]``, ``message[key]``, ``message[alt]``, where
    ``alt`` is ``"st"`` for ``"status"`` and ``"did"`` for ``"feature"``.

    Only objects count (a non-object under one of those keys is passed over); ``None``
    when there is none, e.g. for the client's own echoed request.
    """
    if not isinstance(message, Mapping):
        return None
    keys = (key, _SHORT_KEYS[key]) if key in _SHORT_KEYS else (key,)
    response = message.get("response")
    for container in (response, message):
        if not isinstance(container, Mapping):
            continue
        for name in keys:
            value = container.get(name)
            if isinstance(value, Mapping):
                return dict(value)
    return None
