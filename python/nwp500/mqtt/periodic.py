"""Periodic device requests (nwp500-python 9.3.0's ``nwp500.mqtt.periodic``).

``NavienMqttClient.start_periodic_requests`` and friends run on one of these, built with
the client's ``is_connected`` and request methods; one can also be built on any other
pair of request coroutines.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from ..exceptions import Nwp500Error
from .control import _address
from .periodic_types import PeriodicRequestType

__all__ = ["MqttPeriodicRequestManager"]

_logger = logging.getLogger("nwp500.mqtt.periodic")


class MqttPeriodicRequestManager:
    """One task per (device, request type): sends the request at once and then every
    ``period_seconds`` while ``is_connected_func()`` is true; while offline the request is
    skipped (logged on the first skip and every tenth)."""

    def __init__(
        self,
        is_connected_func: Callable[[], bool],
        request_device_info_func: Callable[..., Any],
        request_device_status_func: Callable[..., Any],
    ):
        self._is_connected = is_connected_func
        self._request_info = request_device_info_func
        self._request_status = request_device_status_func
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def active_task_count(self) -> int:
        return sum(1 for task in self._tasks.values() if not task.done())

    @staticmethod
    def _key(device: Any, request_type: PeriodicRequestType) -> str:
        return f"periodic_{request_type.value}_{_address(device)[1]}"

    async def start_periodic_requests(
        self,
        device: Any,
        request_type: PeriodicRequestType = PeriodicRequestType.DEVICE_STATUS,
        period_seconds: float = 300.0,
    ) -> None:
        """Start (or restart) the task for ``device`` and ``request_type``."""
        request_type = PeriodicRequestType(request_type)
        key = self._key(device, request_type)
        await self._stop(key)
        self._tasks[key] = asyncio.create_task(self._loop(device, request_type, float(period_seconds)))

    async def _loop(self, device: Any, request_type: PeriodicRequestType, period: float) -> None:
        request = self._request_info if request_type == PeriodicRequestType.DEVICE_INFO else self._request_status
        skipped = 0
        while True:
            if self._is_connected():
                skipped = 0
                try:
                    result = request(device)
                    if inspect.isawaitable(result):
                        await result
                except (Nwp500Error, TimeoutError) as exc:
                    _logger.warning("Periodic %s request failed: %s", request_type.value, exc)
            else:
                skipped += 1
                if skipped == 1 or skipped % 10 == 0:
                    _logger.warning("Not connected; skipping periodic %s request", request_type.value)
            await asyncio.sleep(period)

    async def _stop(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def stop_periodic_requests(self, device: Any, request_type: PeriodicRequestType | None = None) -> None:
        """Stop one type for ``device``, or both when ``request_type`` is ``None``."""
        kinds = [PeriodicRequestType(request_type)] if request_type is not None else list(PeriodicRequestType)
        for kind in kinds:
            await self._stop(self._key(device, kind))

    async def stop_all_periodic_tasks(self, reason: str | None = None) -> None:
        """Stop every task; never raises."""
        if self._tasks and reason:
            _logger.info("Stopping %d periodic task(s): %s", len(self._tasks), reason)
        for key in list(self._tasks):
            await self._stop(key)

    async def start_periodic_device_info_requests(self, device: Any, period_seconds: float = 300.0) -> None:
        await self.start_periodic_requests(device, PeriodicRequestType.DEVICE_INFO, period_seconds)

    async def start_periodic_device_status_requests(self, device: Any, period_seconds: float = 300.0) -> None:
        await self.start_periodic_requests(device, PeriodicRequestType.DEVICE_STATUS, period_seconds)

    async def stop_periodic_device_info_requests(self, device: Any) -> None:
        await self.stop_periodic_requests(device, PeriodicRequestType.DEVICE_INFO)

    async def stop_periodic_device_status_requests(self, device: Any) -> None:
        await self.stop_periodic_requests(device, PeriodicRequestType.DEVICE_STATUS)
