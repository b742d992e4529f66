"""A cache of each device's :class:`~nwp500.models.DeviceFeature` with an expiry
(nwp500-python 9.3.0's ``nwp500.device_info_cache``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:  # typing.ReadOnly is Python 3.13+; the annotations are never evaluated here
    from typing_extensions import ReadOnly

__all__ = ["CachedDeviceInfo", "CacheInfoResult", "MqttDeviceInfoCache"]


class CachedDeviceInfo(TypedDict):
    mac: ReadOnly[str]
    cached_at: ReadOnly[str]
    expires_at: ReadOnly[str | None]
    is_expired: ReadOnly[bool]


class CacheInfoResult(TypedDict):
    device_count: ReadOnly[int]
    update_interval_minutes: ReadOnly[float]
    devices: ReadOnly[list[CachedDeviceInfo]]


class MqttDeviceInfoCache:
    """Features per MAC address, each valid for ``update_interval_minutes`` (0 or less:
    never expires). Safe to share between tasks of one loop."""

    def __init__(self, update_interval_minutes: int = 30) -> None:
        self.update_interval_minutes = update_interval_minutes
        self._interval = timedelta(minutes=update_interval_minutes)
        self._entries: dict[str, tuple[Any, datetime]] = {}
        self._lock = asyncio.Lock()

    def is_expired(self, timestamp: datetime) -> bool:
        """Whether an entry cached at ``timestamp`` has expired."""
        if self.update_interval_minutes <= 0:
            return False
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        return datetime.now(UTC) - timestamp > self._interval

    async def get(self, device_mac: str) -> Any | None:
        """The cached features, or ``None`` when absent or expired (an expired entry is
        dropped)."""
        async with self._lock:
            entry = self._entries.get(device_mac)
            if entry is None:
                return None
            if self.is_expired(entry[1]):
                del self._entries[device_mac]
                return None
            return entry[0]

    async def set(self, device_mac: str, features: Any) -> None:
        async with self._lock:
            self._entries[device_mac] = (features, datetime.now(UTC))

    async def invalidate(self, device_mac: str) -> None:
        async with self._lock:
            self._entries.pop(device_mac, None)

    async def clear(self) -> None:
        async with self._lock:
            self._entries.clear()

    async def get_all_cached(self) -> dict[str, Any]:
        """Every unexpired entry."""
        async with self._lock:
            return {mac: f for mac, (f, at) in self._entries.items() if not self.is_expired(at)}

    async def get_cache_info(self) -> CacheInfoResult:
        async with self._lock:
            devices: list[CachedDeviceInfo] = []
            for mac, (_, at) in self._entries.items():
                expires = None if self.update_interval_minutes <= 0 else (at + self._interval).isoformat()
                devices.append(CachedDeviceInfo(mac=mac, cached_at=at.isoformat(), expires_at=expires,
                                                is_expired=self.is_expired(at)))
            return CacheInfoResult(device_count=len(self._entries),
                                   update_interval_minutes=float(self.update_interval_minutes), devices=devices)
