"""The command gate on its own (``nwp500.mqtt.capabilities``): which flag each command needs
and what counts as the device saying "cannot". End to end, against the simulated device, in
``test_device_commands_e2e.py``."""

from __future__ import annotations

import pytest

from nwp500.exceptions import DeviceCapabilityError
from nwp500.models import DeviceFeature
from nwp500.mqtt.capabilities import CommandGate, required_capability
from nwp500.simulator.devicestate import initial_feature

MAC = "04786332fca0"


def gate_for(changes: dict) -> CommandGate:
    """A gate that knows a stock NWP500 feature payload with ``changes`` (camelCase keys; a
    snake_case key turns the payload into a stored ``model_dump()`` with that change)."""
    payload = initial_feature("SN")
    if any("_" in key for key in changes):
        payload = DeviceFeature.model_validate(payload).model_dump()
    payload.update(changes)
    gate = CommandGate()
    gate.remember(MAC, DeviceFeature.model_validate(payload), payload)
    return gate


def test_required_flags_per_command_and_mode() -> None:
    assert required_capability("set_power") == ["power_use"]
    assert required_capability("set_dhw_mode", mode_id=1) == ["dhw_use", "heatpump_use"]
    assert required_capability("set_dhw_mode", mode_id=5) == ["dhw_use", "holiday_use"]
    assert required_capability("set_dhw_mode", mode_id=6) == ["dhw_use"]      # power off: no mode flag
    assert required_capability("request_device_status") == []
    # 9.3.0's further commands: gated as 9.3.0 gates them, the rest not at all
    assert required_capability("update_weekly_reservation") == ["program_reservation_use"]
    assert required_capability("configure_reservation_water_program") == ["program_reservation_use"]
    assert required_capability("configure_recirculation_schedule") == ["recirc_reservation_use"]
    assert required_capability("set_freeze_protection_temperature") == ["freeze_protection_use"]
    for ungated in ("check_firmware_update", "commit_firmware_update", "reconnect_wifi", "reset_wifi",
                    "run_smart_diagnostic", "set_intelligent_scheduling"):
        assert required_capability(ungated) == [], ungated


@pytest.mark.parametrize("payload", [
    {"recirculationUse": 1},            # the device's "no"
    {"recirculation_use": False},       # a stored snake_case dump
])
def test_a_reported_no_refuses(payload) -> None:
    with pytest.raises(DeviceCapabilityError) as err:
        gate_for(payload).check(MAC, "set_recirculation_mode", mode=2)
    assert err.value.feature_name == "recirculation_use"
    assert "set_recirculation_mode" in str(err.value)


@pytest.mark.parametrize("payload", [
    {},                                 # not sent at all (the NWP500 never sends it)
    {"recirculationUse": None},         # null
    {"recirculationUse": 0},            # the device's "unknown"
    {"recirculationUse": 2},            # yes
    {"recirculation_use": True},
])
def test_unknown_or_yes_lets_the_command_through(payload) -> None:
    gate_for(payload).check(MAC, "set_recirculation_mode", mode=2)


@pytest.mark.parametrize("value,refused", [(1, True), (2, False), (3, False), (4, False), (0, False)])
def test_set_point_control_is_an_enum(value, refused) -> None:
    gate = gate_for({"dhwTemperatureSettingUse": value})
    if refused:
        with pytest.raises(DeviceCapabilityError):
            gate.check(MAC, "set_dhw_temperature")
    else:
        gate.check(MAC, "set_dhw_temperature")


def test_no_features_known_checks_nothing() -> None:
    CommandGate().check(MAC, "set_recirculation_mode", mode=2)
    gate = gate_for({"heatpumpUse": 1})
    gate.check("aabbccddeeff", "set_dhw_mode", mode_id=1)      # another device
    gate.check(MAC, "set_dhw_mode", mode_id=3)                 # a mode it did not rule out
    with pytest.raises(DeviceCapabilityError):
        gate.check(MAC, "set_dhw_mode", mode_id=1)
