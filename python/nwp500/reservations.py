"""Reservation programs read back and changed with confirmation (nwp500 9.3.0's
``nwp500.reservations``).

The device keeps one list of reservations. Every change here is read, modify, write, read
back: the device's answer on the client's reservation response topic is what a change
returns, so a caller learns what the device really stored, not what was asked for. Requests
go through the client's usual command path (queued while offline, capability-checked).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._readback import read_back
from .encoding import build_reservation_entry
from .exceptions import RangeValidationError
from .models import ReservationSchedule

if TYPE_CHECKING:
    from .models import Device
    from .mqtt.client import NavienMqttClient

__all__ = ["fetch_reservations", "update_reservations_confirmed", "add_reservation", "delete_reservation",
           "update_reservation"]


async def _read_back(mqtt: NavienMqttClient, device: Device, send: Any, timeout: float) -> ReservationSchedule | None:
    """Runs ``send()`` and returns the first schedule the device answers with."""
    return await read_back(lambda cb: mqtt.subscribe_reservation_response(device, cb),
                           lambda cb: mqtt.unsubscribe_reservation_response(device, cb), send, timeout)


async def fetch_reservations(mqtt: NavienMqttClient, device: Device, *, timeout: float = 10.0) -> ReservationSchedule | None:
    """The device's reservation program, or ``None`` if it does not answer within ``timeout``."""
    return await _read_back(mqtt, device, lambda: mqtt.request_reservations(device), timeout)


async def update_reservations_confirmed(
    mqtt: NavienMqttClient,
    device: Device,
    reservations: Sequence[dict[str, Any]],
    *,
    enabled: bool = True,
    timeout: float = 10.0,
) -> ReservationSchedule | None:
    """Replaces the program with ``reservations`` (raw entries, as
    :func:`nwp500.encoding.build_reservation_entry` makes them) and returns what the device
    stored, or ``None`` if it does not answer within ``timeout``."""
    entries = [dict(r) for r in reservations]
    return await _read_back(mqtt, device, lambda: mqtt.update_reservations(device, entries, enabled=enabled), timeout)


async def _current(mqtt: NavienMqttClient, device: Device) -> ReservationSchedule:
    schedule = await fetch_reservations(mqtt, device)
    if schedule is None:
        raise TimeoutError("the device did not report its reservations")
    return schedule


def _raw(schedule: ReservationSchedule) -> list[dict[str, int]]:
    return [{k: int(getattr(e, k)) for k in ("enable", "week", "hour", "min", "mode", "param")}
            for e in schedule.reservation]


def _check_index(entries: list[dict[str, int]], index: int) -> None:
    if not 0 <= index < len(entries):
        raise RangeValidationError(f"index must be within 0..{len(entries) - 1}, got {index}", field="index",
                                   value=index, min_value=0, max_value=max(len(entries) - 1, 0))


async def add_reservation(
    mqtt: NavienMqttClient,
    device: Device,
    *,
    enabled: bool,
    days: Sequence[str | int],
    hour: int,
    minute: int,
    mode: int,
    temperature: float,
) -> None:
    """Appends one reservation (``temperature`` in the preferred unit) to the program.

    Raises:
        RangeValidationError: a value out of range (nothing is sent).
        TimeoutError: the device did not report its program.
    """
    entry = build_reservation_entry(enabled=enabled, days=days, hour=hour, minute=minute, mode_id=mode,
                                    temperature=temperature)
    schedule = await _current(mqtt, device)
    await update_reservations_confirmed(mqtt, device, [*_raw(schedule), entry], enabled=schedule.enabled)


async def delete_reservation(mqtt: NavienMqttClient, device: Device, index: int) -> None:
    """Removes the reservation at ``index`` (0-based, in the device's order).

    Raises:
        RangeValidationError: no reservation at ``index``.
        TimeoutError: the device did not report its program.
    """
    schedule = await _current(mqtt, device)
    entries = _raw(schedule)
    _check_index(entries, index)
    del entries[index]
    await update_reservations_confirmed(mqtt, device, entries, enabled=schedule.enabled)


async def update_reservation(
    mqtt: NavienMqttClient,
    device: Device,
    index: int,
    *,
    enabled: bool | None = None,
    days: Sequence[str | int] | None = None,
    hour: int | None = None,
    minute: int | None = None,
    mode: int | None = None,
    temperature: float | None = None,
) -> None:
    """Changes the given fields of the reservation at ``index``; the others keep their value.

    Raises:
        RangeValidationError: no reservation at ``index``, or a value out of range.
        TimeoutError: the device did not report its program.
    """
    schedule = await _current(mqtt, device)
    entries = _raw(schedule)
    _check_index(entries, index)
    old = schedule.reservation[index]
    entries[index] = build_reservation_entry(
        enabled=old.enabled if enabled is None else enabled,
        days=old.week if days is None else days,
        hour=old.hour if hour is None else hour,
        minute=old.min if minute is None else minute,
        mode_id=old.mode if mode is None else mode,
        temperature=old.temperature if temperature is None else temperature,
    )
    await update_reservations_confirmed(mqtt, device, entries, enabled=schedule.enabled)
