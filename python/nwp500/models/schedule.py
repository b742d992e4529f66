"""Reservations and TOU schedules as the device reports them, and the week bit field and
hex reservation list they are encoded in."""

from __future__ import annotations

from ..enums import DHW_OPERATION_SETTING_TEXT, DhwOperationSetting
from ..unit_system import get_unit_system, reservation_param_to_preferred
from ._fields import _Int, _NestedList
from ._model import _Model

__all__ = [
    "ReservationEntry",
    "ReservationSchedule",
    "WeeklyReservationEntry",
    "WeeklyReservationSchedule",
    "RecirculationScheduleEntry",
    "RecirculationSchedule",
    "OtaCommitPayload",
    "TOUPeriod",
    "TOUReservationSchedule",
    "decode_reservation_hex",
    "decode_week_bitfield",
]

# Week bitfield: Sunday = bit 7 (128), Monday = 64, ..., Saturday = bit 1 (2).
_WEEK_BITS = (
    ("Monday", 64),
    ("Tuesday", 32),
    ("Wednesday", 16),
    ("Thursday", 8),
    ("Friday", 4),
    ("Saturday", 2),
    ("Sunday", 128),
)


def decode_week_bitfield(bitfield: int) -> list[str]:
    """Weekday names of a reservation ``week`` bitfield, Monday first
    (Sunday = 128, Monday = 64, ..., Saturday = 2)."""
    return [name for name, bit in _WEEK_BITS if bitfield & bit]


def decode_reservation_hex(hex_string: str) -> list[dict[str, int]]:
    """Entries of a hex-encoded reservation list: 6 bytes each (enable, week, hour, min,
    mode, param); all-zero slots and a trailing partial entry are skipped.

    Raises:
        ValueError: ``text`` is not hexadecimal.
    """
    try:
        data = bytes.fromhex(hex_string.strip())
    except ValueError:
        raise ValueError(f"reservation is not valid hex: {hex_string[:40]!r}") from None
    entries = []
    for start in range(0, len(data) - len(data) % 6, 6):
        chunk = data[start : start + 6]
        if any(chunk):
            enable, week, hour, minute, mode, param = chunk
            entries.append(
                {"enable": enable, "week": week, "hour": hour, "min": minute, "mode": mode, "param": param}
            )
    return entries


class _DayProgram:
    """What every program entry shares: ``enable`` (the device's 2 = on, 1 = off) and ``week``,
    the bitfield of the days it runs on."""

    enable: int
    week: int

    @property
    def enabled(self) -> bool:
        """2 = enabled, 1 = disabled."""
        return self.enable == 2

    @property
    def days(self) -> list[str]:
        return decode_week_bitfield(self.week)


class _TimeWindow:
    """A window of the day, as ``HH:MM`` texts."""

    start_hour: int
    start_min: int
    end_hour: int
    end_min: int

    @property
    def start_time(self) -> str:
        return f"{self.start_hour:02d}:{self.start_min:02d}"

    @property
    def end_time(self) -> str:
        return f"{self.end_hour:02d}:{self.end_min:02d}"


class ReservationEntry(_DayProgram, _Model):
    """One reservation: raw protocol fields plus read-only display values."""

    enable = _Int(default=2)
    week = _Int(default=0)
    hour = _Int(default=0)
    min = _Int(default=0)
    mode = _Int(default=1)
    param = _Int(default=0)

    _extra_dump = ("enabled", "days", "time", "temperature", "unit", "mode_name")

    @property
    def time(self) -> str:
        return f"{self.hour:02d}:{self.min:02d}"

    @property
    def temperature(self) -> float:
        """``param`` (half-degrees Celsius) in the preferred unit (°F unless metric)."""
        return reservation_param_to_preferred(self.param)

    @property
    def unit(self) -> str:
        return "°C" if get_unit_system() == "metric" else "°F"

    @property
    def mode_name(self) -> str:
        try:
            return DHW_OPERATION_SETTING_TEXT[DhwOperationSetting(self.mode)]
        except (ValueError, KeyError):
            return f"Unknown ({self.mode})"

    def canonical_key(self) -> tuple[int, ...]:
        return (self.enable, self.week, self.hour, self.min, self.mode, self.param)


class ReservationSchedule(_Model):
    """A reservation read-back: ``reservationUse`` (2 = on, 1 = off) and ``reservation``,
    a list of entries or the device's hex string.

    ``model_dump()`` → ``{"reservation_use": 2, "reservation": [{"enable", "week",
    "hour", "min", "mode", "param", "enabled", "days", "time", "temperature", "unit",
    "mode_name"}, ...], "enabled": True}``.
    """

    reservation_use = _Int("reservationUse", default=0)
    reservation = _NestedList(ReservationEntry, default=list, text_decoder=decode_reservation_hex)

    _extra_dump = ("enabled",)

    @property
    def enabled(self) -> bool:
        return self.reservation_use == 2

    def canonical(self) -> tuple[bool, tuple[tuple[int, ...], ...]]:
        """``(enabled, sorted raw entry tuples)``: equal for the same program whatever
        the entry order."""
        return self.enabled, tuple(sorted(e.canonical_key() for e in self.reservation))


class WeeklyReservationEntry(ReservationEntry):
    """One entry of the weekly reservation program (``RESERVATION_WEEKLY``, read back on
    ``.../res/rsv-weekly/rd``): the same six raw fields and display values as
    :class:`ReservationEntry`."""


class WeeklyReservationSchedule(_Model):
    """The weekly reservation program: ``reservationUse`` (2 = on, 1 = off) and its
    entries (a list, or the device's hex string).

    ``model_dump()`` -> ``{"reservation_use", "reservation": [...], "enabled"}``.
    """

    reservation_use = _Int("reservationUse", default=0)
    reservation = _NestedList(WeeklyReservationEntry, default=list, text_decoder=decode_reservation_hex)

    _extra_dump = ("enabled",)

    @property
    def enabled(self) -> bool:
        return self.reservation_use == 2


_RECIRC_MODE_NAMES = {1: "Always", 2: "Button", 3: "Schedule", 4: "Temperature"}


class RecirculationScheduleEntry(_DayProgram, _TimeWindow, _Model):
    """One recirculation pump window: weekdays (``week`` bits), start and end time, and
    the recirculation mode (1 always, 2 button, 3 schedule, 4 temperature)."""

    enable = _Int(default=2)
    week = _Int(default=0)
    start_hour = _Int("startHour", default=0)
    start_min = _Int("startMin", default=0, alt_keys=("startMinute",))
    end_hour = _Int("endHour", default=0)
    end_min = _Int("endMin", default=0, alt_keys=("endMinute",))
    mode = _Int(default=1)

    _extra_dump = ("enabled", "days", "start_time", "end_time", "mode_name")

    @property
    def mode_name(self) -> str:
        return _RECIRC_MODE_NAMES.get(self.mode, f"Unknown ({self.mode})")


class RecirculationSchedule(_Model):
    """The recirculation schedule (``RECIR_RESERVATION``, read back on
    ``.../res/recirc-rsv/rd``): ``schedule``, a list of windows."""

    schedule = _NestedList(RecirculationScheduleEntry, default=list)


class OtaCommitPayload(_Model):
    """What ``commit_firmware_update`` sends: the firmware code and version to install
    (``{"swCode": ..., "swVersion": ...}``, as in ``FirmwareInfo.cur_sw_code`` /
    ``downloaded_version``)."""

    sw_code = _Int("swCode")
    sw_version = _Int("swVersion")


class TOUPeriod(_TimeWindow, _Model):
    """One TOU period: months (``season`` bits), weekdays (``week`` bits), a time window
    and a price range (integers scaled by ``10 ** decimal_point``)."""

    season = _Int(default=0)
    week = _Int(default=0)
    start_hour = _Int("startHour", default=0)
    start_min = _Int("startMinute", default=0, alt_keys=("startMin",))
    end_hour = _Int("endHour", default=0)
    end_min = _Int("endMinute", default=0, alt_keys=("endMin",))
    price_min = _Int("priceMin", default=0)
    price_max = _Int("priceMax", default=0)
    decimal_point = _Int("decimalPoint", default=5)

    _extra_dump = ("start_time", "end_time", "decoded_price_min", "decoded_price_max")

    @property
    def decoded_price_min(self) -> float:
        return self.price_min / 10.0**self.decimal_point

    @property
    def decoded_price_max(self) -> float:
        return self.price_max / 10.0**self.decimal_point

    def canonical_key(self) -> tuple[int, ...]:
        return (
            self.season,
            self.week,
            self.start_hour,
            self.start_min,
            self.end_hour,
            self.end_min,
            self.price_min,
            self.price_max,
            self.decimal_point,
        )


class TOUReservationSchedule(_Model):
    """A TOU read-back (``reservationUse`` 2 = on, and the periods).

    ``model_dump()`` → ``{"reservation_use": 2, "reservation": [{"season", "week",
    "start_hour", "start_min", "end_hour", "end_min", "price_min", "price_max",
    "decimal_point", "start_time", "end_time", "decoded_price_min",
    "decoded_price_max"}, ...], "enabled": True}``.
    """

    reservation_use = _Int("reservationUse", default=0)
    reservation = _NestedList(TOUPeriod, default=list)

    _extra_dump = ("enabled",)

    @property
    def enabled(self) -> bool:
        return self.reservation_use == 2

    def canonical(self) -> tuple[bool, tuple[tuple[int, ...], ...]]:
        return self.enabled, tuple(sorted(p.canonical_key() for p in self.reservation))
