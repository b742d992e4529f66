"""Kinds of periodic request ``NavienMqttClient.start_periodic_requests`` sends."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PeriodicRequestType"]


class PeriodicRequestType(StrEnum):
    """What a periodic request asks the device for.

    A ``StrEnum`` so the members compare equal to their string values, which
    callers sometimes pass directly.
    """

    DEVICE_INFO = "device_info"
    DEVICE_STATUS = "device_status"
