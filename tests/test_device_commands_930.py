"""The device commands nwp500-python 9.3.0 added (weekly reservation, water program,
recirculation schedule, firmware check/commit, Wi-Fi reconnect/reset, freeze-protection
temperature, smart diagnostic, intelligent scheduling), end to end against the simulated
cloud: a real sign-in, the device from the REST listing, a SigV4 websocket connection, and the
emulated NWP500 carrying the command out. What it did shows in its reply (status or schedule
read-back), in the next status or features asked for, and in the simulator's record of
applied commands. Capability-gated commands raise ``DeviceCapabilityError`` on a device whose
feature flags rule them out, and send nothing. Waits are deadlines on queues, never sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import device_session, next_matching, run
from nwp500.device_info_cache import MqttDeviceInfoCache
from nwp500.enums import CommandCode
from nwp500.exceptions import DeviceCapabilityError, ParameterValidationError, RangeValidationError
from nwp500.models import (
    DeviceFeature,
    OtaCommitPayload,
    RecirculationSchedule,
    RecirculationScheduleEntry,
    WeeklyReservationEntry,
    WeeklyReservationSchedule,
)
from nwp500.mqtt.control import MqttDeviceController
from nwp500.simulator.device import DeviceSpec
from nwp500.simulator.devicestate import initial_feature
from nwp500.unit_system import reset_unit_system, set_unit_system

DEADLINE = 15.0


pytestmark = pytest.mark.usefixtures("device_units")


def session(sim):
    return device_session(sim, {'weekly': 'subscribe_weekly_reservation_response', 'recirc': 'subscribe_recirculation_schedule_response'}, ('rsv-weekly', 'recirc-rsv'), DEADLINE)


def _device_state(sim) -> dict[str, Any]:
    return sim.state()["devices"][0]


def _applied(sim) -> list[list[Any]]:
    """What the emulated device carried out, oldest first: ``[command, [values]]``."""
    return _device_state(sim)["applied"]


def _handled(sim) -> int:
    return _device_state(sim)["requests_handled"]


# -- freeze-protection temperature --------------------------------------------------------------

def test_freeze_protection_temperature_changes_the_reported_threshold(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            before = await s.fresh_status()
            assert before.freeze_protection_temperature_raw == 12           # 42.8 °F

            # 46 °F = 7.8 °C -> 15.6 half-degrees -> 16
            assert await c.set_freeze_protection_temperature(d, 46.0) > 0
            reply = await s.status(CommandCode.FREZ_TEMP)
            assert reply.freeze_protection_temperature_raw == 16
            assert reply.freeze_protection_temperature == pytest.approx(46.4)
            after = await s.fresh_status()
            assert after.freeze_protection_temperature_raw == 16
            assert [CommandCode.FREZ_TEMP, [16]] in _applied(simulator)

            # in Celsius when the preference is metric: 9.5 °C -> 19
            set_unit_system("metric")
            await c.set_freeze_protection_temperature(d, 9.5)
            assert (await s.status(CommandCode.FREZ_TEMP)).freeze_protection_temperature_raw == 19
            assert _applied(simulator)[-1] == [CommandCode.FREZ_TEMP, [19]]

    run(scenario(), timeout=60)


def test_freeze_protection_temperature_out_of_range_is_refused_before_sending(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            # Features not known yet: an NWP500's own limits (42.8 .. 50 °F) apply.
            with pytest.raises(RangeValidationError) as err:
                await c.set_freeze_protection_temperature(d, 60.0)
            assert err.value.field == "temperature"
            assert await c.ensure_device_info_cached(d, timeout=DEADLINE)
            handled = _handled(simulator)
            for value in (42.0, 50.5, -10.0, 140.0):
                with pytest.raises(RangeValidationError) as err:
                    await c.set_freeze_protection_temperature(d, value)
                assert err.value.field == "temperature"
                assert err.value.min_value == pytest.approx(42.8) and err.value.max_value == pytest.approx(50.0)
            set_unit_system("metric")
            with pytest.raises(RangeValidationError) as err:
                await c.set_freeze_protection_temperature(d, 5.5)          # below 6 °C
            assert err.value.min_value == pytest.approx(6.0) and err.value.max_value == pytest.approx(10.0)
            # the limits themselves are accepted
            await c.set_freeze_protection_temperature(d, 6.0)
            assert (await s.status(CommandCode.FREZ_TEMP)).freeze_protection_temperature_raw == 12
            reset_unit_system()
            await c.set_freeze_protection_temperature(d, 50.0)
            assert (await s.status(CommandCode.FREZ_TEMP)).freeze_protection_temperature_raw == 20
            assert _handled(simulator) == handled + 2          # the refused ones never left

    run(scenario(), timeout=60)


# A model reporting other freeze-protection limits: 4 .. 16 half-°C (35.6 .. 46.4 °F).
WIDE_FREEZE = DeviceSpec(feature_overrides=(("freezeProtectionTempMin", 4), ("freezeProtectionTempMax", 16)))


@pytest.mark.parametrize("simulator", [{"devices": [WIDE_FREEZE]}], indirect=True)
def test_freeze_protection_range_is_the_devices_own(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert await c.ensure_device_info_cached(d, timeout=DEADLINE)
            await c.set_freeze_protection_temperature(d, 36.0)      # below an NWP500's 42.8 °F
            assert (await s.status(CommandCode.FREZ_TEMP)).freeze_protection_temperature_raw == 4
            with pytest.raises(RangeValidationError):
                await c.set_freeze_protection_temperature(d, 48.0)  # within an NWP500's, not this one's

    run(scenario(), timeout=60)


# -- weekly reservation ---------------------------------------------------------------------------
# week bits: Sunday 128, Monday 64, ..., Saturday 2; param: half-°C (120 = 140 °F)
WEEKLY = [
    {"enable": 2, "week": 124, "hour": 6, "min": 30, "mode": 3, "param": 120},   # Mon-Fri 06:30
    {"enable": 2, "week": 130, "hour": 8, "min": 0, "mode": 4, "param": 110},    # Sat+Sun 08:00
    {"enable": 1, "week": 42, "hour": 22, "min": 15, "mode": 1, "param": 98},    # disabled
]


def _weekly(use: int, entries: list[dict]) -> WeeklyReservationSchedule:
    return WeeklyReservationSchedule(reservation_use=use,
                                     reservation=[WeeklyReservationEntry(**e) for e in entries])


def test_update_weekly_reservation_is_stored_and_read_back(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert await c.update_weekly_reservation(d, _weekly(2, WEEKLY)) > 0
            schedule = await next_matching(s.weekly)
            topic, raw = await next_matching(s.raw, lambda r: r[1].get("command") == CommandCode.RESERVATION_WEEKLY)
            assert topic == f"cmd/52/{c.client_id}/res/rsv-weekly/rd"
            # read back like the reservation program: reservationUse + hex, 6 bytes per entry
            assert raw["reservationUse"] == 2
            assert raw["reservation"] == "027c061e0378" "02820800046e" "012a160f0162"
            dump = schedule.model_dump()
            assert dump == _weekly(2, WEEKLY).model_dump()
            assert dump["enabled"] is True
            assert [{k: e[k] for k in ("enable", "week", "hour", "min", "mode", "param")}
                    for e in dump["reservation"]] == WEEKLY
            assert dump["reservation"][0]["days"] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
            assert dump["reservation"][0]["temperature"] == pytest.approx(140.0)
            assert _applied(simulator)[-1] == [CommandCode.RESERVATION_WEEKLY, [2, 3]]
            assert _device_state(simulator)["state"]["weeklyReservations"] == 3

            # a read-back schedule (computed fields and all) can be written back; and switched off
            await c.update_weekly_reservation(d, WeeklyReservationSchedule.model_validate(
                {"reservationUse": 1, "reservation": dump["reservation"][:1]}))
            again = await next_matching(s.weekly)
            assert again.model_dump() == _weekly(1, WEEKLY[:1]).model_dump() and again.enabled is False
            assert _applied(simulator)[-1] == [CommandCode.RESERVATION_WEEKLY, [1, 1]]

    run(scenario(), timeout=60)


def test_invalid_weekly_reservation_is_refused_before_sending(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            await c.update_weekly_reservation(d, _weekly(2, WEEKLY[:1]))
            await next_matching(s.weekly)
            handled = _handled(simulator)
            for bad, field in ((_weekly(2, [dict(WEEKLY[0], hour=24)]), "hour"),
                               (_weekly(2, [WEEKLY[1], dict(WEEKLY[0], min=60)]), "min"),
                               (_weekly(2, [dict(WEEKLY[0], mode=7)]), "mode"),
                               (_weekly(0, WEEKLY), "reservation_use")):
                with pytest.raises(RangeValidationError) as err:
                    await c.update_weekly_reservation(d, bad)
                assert err.value.field == field
            assert _handled(simulator) == handled
            assert _device_state(simulator)["state"]["weeklyReservations"] == 1

    run(scenario(), timeout=60)


# -- recirculation schedule ----------------------------------------------------------------------
WINDOWS = [
    {"enable": 2, "week": 124, "startHour": 6, "startMin": 0, "endHour": 8, "endMin": 30, "mode": 3},
    {"enable": 1, "week": 130, "startHour": 17, "startMin": 15, "endHour": 21, "endMin": 45, "mode": 1},
]


def _recirc(windows: list[dict]) -> RecirculationSchedule:
    return RecirculationSchedule(schedule=[RecirculationScheduleEntry.model_validate(w) for w in windows])


def test_configure_recirculation_schedule_is_stored_and_read_back(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert await c.configure_recirculation_schedule(d, _recirc(WINDOWS)) > 0
            schedule = await next_matching(s.recirc)
            topic, raw = await next_matching(s.raw, lambda r: r[1].get("command") == CommandCode.RECIR_RESERVATION)
            assert topic == f"cmd/52/{c.client_id}/res/recirc-rsv/rd"
            assert raw["schedule"] == WINDOWS
            dump = schedule.model_dump()
            assert dump == _recirc(WINDOWS).model_dump()
            assert [(w["start_time"], w["end_time"], w["mode_name"]) for w in dump["schedule"]] == [
                ("06:00", "08:30", "Schedule"), ("17:15", "21:45", "Always")]
            assert _applied(simulator)[-1] == [CommandCode.RECIR_RESERVATION, [2]]

            with pytest.raises(RangeValidationError) as err:
                await c.configure_recirculation_schedule(d, _recirc([dict(WINDOWS[0], endHour=24)]))
            assert err.value.field == "endHour"
            with pytest.raises(RangeValidationError) as err:
                await c.configure_recirculation_schedule(d, _recirc([dict(WINDOWS[0], mode=5)]))
            assert err.value.field == "mode"

            await c.configure_recirculation_schedule(d, RecirculationSchedule())       # clearing it
            assert (await next_matching(s.recirc)).model_dump() == {"schedule": []}
            assert _device_state(simulator)["state"]["recirculationWindows"] == 0

    run(scenario(), timeout=60)


# -- firmware --------------------------------------------------------------------------------------

def test_commit_firmware_update_installs_the_version(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            feature = await s.fresh_feature()
            assert feature.controller_sw_code == 1 and feature.controller_sw_version == 184614912
            payload = OtaCommitPayload(sw_code=1, sw_version=184614913)
            assert await c.commit_firmware_update(d, payload) > 0
            await s.status(CommandCode.OTA_COMMIT)                   # answered with a status
            assert _applied(simulator)[-1] == [CommandCode.OTA_COMMIT, [1, 184614913]]
            assert (await s.fresh_feature()).controller_sw_version == 184614913

            # the Wi-Fi module (code 4), from a plain mapping
            await c.commit_firmware_update(d, {"swCode": 4, "swVersion": 34013185})
            await s.status(CommandCode.OTA_COMMIT)
            assert _applied(simulator)[-1] == [CommandCode.OTA_COMMIT, [4, 34013185]]
            assert (await s.fresh_feature()).wifi_sw_version == 34013185
            with pytest.raises(ParameterValidationError):
                await c.commit_firmware_update(d, {"swCode": 4})

    run(scenario(), timeout=60)


# -- commands the device only records ------------------------------------------------------------
RECORDED = [
    ("check_firmware_update", CommandCode.OTA_CHECK),
    ("reconnect_wifi", CommandCode.WIFI_RECONNECT),
    ("reset_wifi", CommandCode.WIFI_RESET),
    ("run_smart_diagnostic", CommandCode.SMART_DIAGNOSTIC),
    ("configure_reservation_water_program", CommandCode.RESERVATION_WATER_PROGRAM),
]


@pytest.mark.parametrize("name,code", RECORDED, ids=[r[0] for r in RECORDED])
def test_parameterless_command_reaches_the_device(simulator, name, code) -> None:
    async def scenario():
        async with session(simulator) as s:
            assert await getattr(s.client, name)(s.device) > 0
            reply = await s.status(code)                  # the device answers with a status
            assert reply.mac_address == s.device.device_info.mac_address
            assert _applied(simulator) == [[code, []]]

    run(scenario(), timeout=60)


def test_intelligent_scheduling_switches_on_and_off(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert _device_state(simulator)["state"]["intelligentUse"] == 1
            assert await c.enable_intelligent_scheduling(d) > 0
            await s.status(CommandCode.RESERVATION_INTELLIGENT_ON)
            assert _device_state(simulator)["state"]["intelligentUse"] == 2
            assert await c.disable_intelligent_scheduling(d) > 0
            await s.status(CommandCode.RESERVATION_INTELLIGENT_OFF)
            assert _device_state(simulator)["state"]["intelligentUse"] == 1
            assert _applied(simulator) == [[CommandCode.RESERVATION_INTELLIGENT_ON, []],
                                           [CommandCode.RESERVATION_INTELLIGENT_OFF, []]]

    run(scenario(), timeout=60)


# -- capability gating ----------------------------------------------------------------------------
# A model without program reservations, recirculation reservations or freeze protection.
LIMITED = DeviceSpec(feature_overrides=(("programReservationUse", 1), ("recircReservationUse", 1),
                                        ("freezeProtectionUse", 1)))
REFUSED = [
    ("update_weekly_reservation", lambda c, d: c.update_weekly_reservation(d, _weekly(2, WEEKLY)),
     "program_reservation_use"),
    ("configure_reservation_water_program", lambda c, d: c.configure_reservation_water_program(d),
     "program_reservation_use"),
    ("configure_recirculation_schedule", lambda c, d: c.configure_recirculation_schedule(d, _recirc(WINDOWS)),
     "recirc_reservation_use"),
    ("set_freeze_protection_temperature", lambda c, d: c.set_freeze_protection_temperature(d, 45.0),
     "freeze_protection_use"),
    # "cannot" wins over "out of range"
    ("set_freeze_protection_temperature 500", lambda c, d: c.set_freeze_protection_temperature(d, 500.0),
     "freeze_protection_use"),
]


@pytest.mark.parametrize("simulator", [{"devices": [LIMITED]}], indirect=True)
def test_commands_the_device_reports_it_cannot_do_raise_and_send_nothing(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert await c.ensure_device_info_cached(d, timeout=DEADLINE)
            handled = _handled(simulator)
            for name, send, flag in REFUSED:
                with pytest.raises(DeviceCapabilityError) as err:
                    await send(c, d)
                assert err.value.feature_name == flag, name
                assert flag in str(err.value), name
            # The ungated commands still go out, and are the only requests the device saw.
            assert await c.run_smart_diagnostic(d) > 0
            await s.status(CommandCode.SMART_DIAGNOSTIC)
            assert await c.enable_intelligent_scheduling(d) > 0
            await s.status(CommandCode.RESERVATION_INTELLIGENT_ON)
            assert _handled(simulator) == handled + 2
            assert _applied(simulator) == [[CommandCode.SMART_DIAGNOSTIC, []],
                                           [CommandCode.RESERVATION_INTELLIGENT_ON, []]]

    run(scenario(), timeout=60)


def test_a_recirculation_reservation_flag_the_device_does_not_report_refuses_nothing(simulator) -> None:
    """The NWP500 sends no ``recircReservationUse``: unknown is not "cannot"."""
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert await c.ensure_device_info_cached(d, timeout=DEADLINE)
            assert (await next_matching(s.features)).recirc_reservation_use is False
            assert await c.configure_recirculation_schedule(d, _recirc(WINDOWS[:1])) > 0
            assert (await next_matching(s.recirc)).model_dump() == _recirc(WINDOWS[:1]).model_dump()

    run(scenario(), timeout=60)


# -- the standalone controller (9.3.0's MqttDeviceController) ------------------------------------

def _feature(changes: dict[str, int]) -> DeviceFeature:
    return DeviceFeature.model_validate({**initial_feature("56496061BT22230408"), **changes})


def test_controller_sends_through_publish_func_and_checks_its_cache(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            mac = d.device_info.mac_address
            cache = MqttDeviceInfoCache()
            controller = MqttDeviceController(c.client_id, c.session_id, c.publish, cache)
            # nothing cached and no callback: unchecked, the default range applies
            with pytest.raises(RangeValidationError):
                await controller.set_freeze_protection_temperature(d, 40.0)
            assert await controller.set_freeze_protection_temperature(d, 44.0) > 0
            assert (await s.status(CommandCode.FREZ_TEMP)).freeze_protection_temperature_raw == 13

            await cache.set(mac, _feature({"freezeProtectionTempMin": 4}))   # 35.6 °F
            assert await controller.set_freeze_protection_temperature(d, 40.0) > 0
            # the emulated device still has its own minimum (12): it ignores 9 and reports 13
            assert (await s.status(CommandCode.FREZ_TEMP)).freeze_protection_temperature_raw == 13

            await controller.update_weekly_reservation(d, _weekly(2, WEEKLY[:2]))
            assert (await next_matching(s.weekly)).model_dump() == _weekly(2, WEEKLY[:2]).model_dump()
            await controller.commit_firmware_update(d, OtaCommitPayload(sw_code=1, sw_version=7))
            await s.status(CommandCode.OTA_COMMIT)
            assert _applied(simulator)[-1] == [CommandCode.OTA_COMMIT, [1, 7]]

            await cache.set(mac, _feature({"freezeProtectionUse": 1, "programReservationUse": 1,
                                           "recircReservationUse": 1}))
            handled = _handled(simulator)
            for send, flag in (
                    (lambda: controller.set_freeze_protection_temperature(d, 45.0), "freeze_protection_use"),
                    (lambda: controller.update_weekly_reservation(d, _weekly(2, WEEKLY)), "program_reservation_use"),
                    (lambda: controller.configure_reservation_water_program(d), "program_reservation_use"),
                    (lambda: controller.configure_recirculation_schedule(d, _recirc(WINDOWS)),
                     "recirc_reservation_use")):
                with pytest.raises(DeviceCapabilityError) as err:
                    await send()
                assert err.value.feature_name == flag
            assert await controller.reset_wifi(d) > 0
            await s.status(CommandCode.WIFI_RESET)
            assert _handled(simulator) == handled + 1

    run(scenario(), timeout=60)
