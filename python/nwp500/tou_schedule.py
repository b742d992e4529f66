"""A time-of-use schedule sent and confirmed (nwp500 9.3.0's ``nwp500.tou_schedule``): the
periods go to the device, and what the device then reports on the client's TOU response topic
is returned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._readback import read_back
from .models import TOUReservationSchedule

if TYPE_CHECKING:
    from .models import Device
    from .mqtt.client import NavienMqttClient

__all__ = ["configure_tou_schedule_confirmed"]


async def configure_tou_schedule_confirmed(
    mqtt: NavienMqttClient,
    device: Device,
    controller_serial_number: str,
    periods: Sequence[dict[str, Any]],
    *,
    enabled: bool = True,
    timeout: float = 10.0,
) -> TOUReservationSchedule | None:
    """Sends ``periods`` (as :func:`nwp500.encoding.build_tou_period` makes them) for the
    controller ``controller_serial_number`` and returns the schedule the device reports back,
    or ``None`` if it does not answer within ``timeout`` seconds.

    Raises:
        ParameterValidationError: an empty serial number or no periods (nothing is sent).
    """
    rows = [dict(p) for p in periods]
    return await read_back(
        lambda cb: mqtt.subscribe_tou_response(device, cb),
        lambda cb: mqtt.unsubscribe_tou_response(device, cb),
        lambda: mqtt.configure_tou_schedule(device, controller_serial_number, rows, enabled=enabled),
        timeout,
    )
