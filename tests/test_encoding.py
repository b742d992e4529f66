"""Reservation entries as Home Assistant's set_reservation service builds them."""

import pytest

from nwp500 import RangeValidationError, reset_unit_system, set_unit_system
from nwp500.models import decode_week_bitfield
from nwp500.encoding import build_reservation_entry, encode_week_bitfield


def test_entry_in_fahrenheit_with_ha_keywords() -> None:
    entry = build_reservation_entry(enabled=True, days=["Monday", "Friday"], hour=6, minute=30, mode_id=3,
                                    temperature=140.0, temperature_min=95.0, temperature_max=150.0)
    assert entry == {"enable": 2, "week": 64 | 4, "hour": 6, "min": 30, "mode": 3, "param": 120}
    assert decode_week_bitfield(entry["week"]) == ["Monday", "Friday"]


def test_entry_in_metric() -> None:
    set_unit_system("metric")
    try:
        entry = build_reservation_entry(enabled=False, days=[6], hour=0, minute=0, mode_id=1, temperature=60.0)
    finally:
        reset_unit_system()
    assert entry["param"] == 120 and entry["enable"] == 1 and entry["week"] == 128


@pytest.mark.parametrize("kwargs", [{"hour": 24}, {"minute": 60}, {"mode_id": 7}, {"temperature": 151.0}])
def test_out_of_range_values_are_refused(kwargs) -> None:
    values = dict(enabled=True, days=["Sunday"], hour=6, minute=0, mode_id=3, temperature=120.0) | kwargs
    with pytest.raises(RangeValidationError):
        build_reservation_entry(**values)


def test_week_round_trip() -> None:
    assert encode_week_bitfield(["sun", "sat"]) == 128 | 2
    assert encode_week_bitfield(0b1111100) == 0b1111100
