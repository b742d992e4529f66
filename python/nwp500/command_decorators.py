"""``@requires_capability``: refuse a device command the device said it cannot carry out
(nwp500-python 9.3.0's ``nwp500.command_decorators``).

Decorates an ``async def method(self, device, ...)``. Before the call it looks for the
device's features, in order: the object's ``device_info_cache`` (a
:class:`~nwp500.device_info_cache.MqttDeviceInfoCache`), then what a ``NavienMqttClient``
has received. When they are known and the device lacks ``feature``,
:class:`~nwp500.exceptions.DeviceCapabilityError` is raised and nothing is sent. When none
are known the command goes ahead unchecked (the device ignores what it cannot do), as every
``NavienMqttClient`` command does.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .device_capabilities import MqttDeviceCapabilityChecker
from .mqtt.control import _address

__all__ = ["requires_capability"]

F = TypeVar("F", bound=Callable[..., Any])


async def _known_features(owner: Any, device: Any) -> Any | None:
    mac = _address(device)[1]
    cache = getattr(owner, "device_info_cache", None)
    if cache is not None and hasattr(cache, "get"):
        found = cache.get(mac)
        if inspect.isawaitable(found):
            found = await found
        if found is not None:
            return found
    gate = getattr(owner, "_gate", None)
    if gate is not None:
        return gate.feature(mac)
    return None


def requires_capability(feature: str) -> Callable[[F], F]:
    """Check ``feature`` against the device's known features before running the command."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        async def wrapper(self: Any, device: Any, *args: Any, **kwargs: Any) -> Any:
            features = await _known_features(self, device)
            if features is not None:
                MqttDeviceCapabilityChecker.assert_supported(feature, features)
            return await func(self, device, *args, **kwargs)

        return cast(F, wrapper)

    return decorate
