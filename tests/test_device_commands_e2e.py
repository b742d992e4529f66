"""Every device command the client sends, end to end against the simulated cloud: a real
sign-in, the device from the REST listing, a SigV4 websocket connection, and the emulated
NWP500 applying the command. Each control command must show in the next status (the device's
reply to the command, and the reply to a fresh status request); the reservation and TOU
writes must read back, through the typed subscriptions, as what was written, in the
``model_dump()`` shape Home Assistant reads. Waits are deadlines on queues, never sleeps."""

from __future__ import annotations


import pytest

from helpers import device_session, next_matching, run
from nwp500.enums import CommandCode, DhwOperationSetting, DREvent, RecirculationMode
from nwp500.exceptions import DeviceCapabilityError, RangeValidationError
from nwp500.models import ReservationSchedule, TOUReservationSchedule
from nwp500.simulator.device import DeviceSpec

DEADLINE = 15.0


pytestmark = pytest.mark.usefixtures("device_units")


def session(sim):
    return device_session(sim, {'reservations': 'subscribe_reservation_response', 'tou': 'subscribe_tou_response'}, ('rsv', 'tou'), DEADLINE)


# -- control commands: the change is in the next status --------------------------------------------
# (name, code of the command the device answers, send(client, device), check(status) -> bool).
# Every check is false on the simulated device's initial state (asserted before sending).
CONTROLS = [
    ("set_power_off", CommandCode.POWER_OFF, lambda c, d: c.set_power(d, False),
     lambda s: s.dhw_operation_setting is DhwOperationSetting.POWER_OFF),
    ("set_dhw_mode", CommandCode.DHW_MODE, lambda c, d: c.set_dhw_mode(d, 1),
     lambda s: s.dhw_operation_setting is DhwOperationSetting.HEAT_PUMP),
    ("set_vacation_days", CommandCode.DHW_MODE, lambda c, d: c.set_vacation_days(d, 7),
     lambda s: s.dhw_operation_setting is DhwOperationSetting.VACATION
     and s.vacation_day_setting == 7 and s.vacation_day_elapsed == 0),
    ("set_dhw_temperature", CommandCode.DHW_TEMPERATURE, lambda c, d: c.set_dhw_temperature(d, 130.0),
     lambda s: s.dhw_temperature_setting_raw == 109 and s.dhw_target_temperature_setting_raw == 109
     and s.dhw_temperature_setting == pytest.approx(130.1)),
    ("disable_anti_legionella", CommandCode.ANTI_LEGIONELLA_OFF, lambda c, d: c.disable_anti_legionella(d),
     lambda s: s.anti_legionella_use is False),
    ("enable_anti_legionella", CommandCode.ANTI_LEGIONELLA_ON, lambda c, d: c.enable_anti_legionella(d, 9),
     lambda s: s.anti_legionella_use is True and s.anti_legionella_period == 9),
    ("set_tou_enabled", CommandCode.TOU_ON, lambda c, d: c.set_tou_enabled(d, True),
     lambda s: s.tou_status is True),
    ("enable_demand_response", CommandCode.DR_ON, lambda c, d: c.enable_demand_response(d),
     lambda s: s.dr_event_status is DREvent.RUN_NORMAL),
    ("reset_air_filter", CommandCode.AIR_FILTER_RESET, lambda c, d: c.reset_air_filter(d),
     lambda s: s.air_filter_alarm_elapsed == 0),
    ("set_recirculation_mode", CommandCode.RECIR_MODE, lambda c, d: c.set_recirculation_mode(d, 2),
     lambda s: s.recirc_operation_mode is RecirculationMode.BUTTON),
    ("trigger_recirculation_hot_button", CommandCode.RECIR_HOT_BTN,
     lambda c, d: c.trigger_recirculation_hot_button(d),
     lambda s: s.recirc_hot_btn_ready == 1 and s.recirc_pump_operation_status == 1
     and s.recirc_operation_busy is True),
]


@pytest.mark.parametrize("name,code,send,check", CONTROLS, ids=[c[0] for c in CONTROLS])
def test_control_command_shows_in_the_next_status(simulator, name, code, send, check) -> None:
    async def scenario():
        async with session(simulator) as s:
            before = await s.fresh_status()
            assert not check(before), f"{name}: already true before the command"
            assert await send(s.client, s.device) > 0
            reply = await s.status(code)               # the device's answer to the command
            assert check(reply), f"{name}: not applied in the reply: {reply!r}"
            after = await s.fresh_status()             # and in the next status asked for
            assert check(after), f"{name}: not applied in the next status: {after!r}"
            assert after.mac_address == s.device.device_info.mac_address

    run(scenario(), timeout=60)


def test_controls_switch_back(simulator) -> None:
    """The opposite commands: power on restores the mode, TOU off, DR off, other recirculation
    modes; the hot-button run does not stop the recirculation mode set before."""
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            await c.set_dhw_mode(d, 4)
            assert (await s.status(CommandCode.DHW_MODE)).dhw_operation_setting is DhwOperationSetting.HIGH_DEMAND
            await c.set_power(d, False)
            assert (await s.status(CommandCode.POWER_OFF)).dhw_operation_setting is DhwOperationSetting.POWER_OFF
            await c.set_power(d, True)
            assert (await s.status(CommandCode.POWER_ON)).dhw_operation_setting is DhwOperationSetting.HIGH_DEMAND
            assert (await s.fresh_status()).dhw_operation_setting is DhwOperationSetting.HIGH_DEMAND

            await c.set_tou_enabled(d, True)
            assert (await s.status(CommandCode.TOU_ON)).tou_status is True
            await c.set_tou_enabled(d, False)
            assert (await s.status(CommandCode.TOU_OFF)).tou_status is False
            assert (await s.fresh_status()).tou_status is False

            await c.enable_demand_response(d)
            assert (await s.status(CommandCode.DR_ON)).dr_event_status is DREvent.RUN_NORMAL
            await c.disable_demand_response(d)
            assert (await s.status(CommandCode.DR_OFF)).dr_event_status is DREvent.UNKNOWN
            assert (await s.fresh_status()).dr_event_status is DREvent.UNKNOWN

            for mode in RecirculationMode:
                if mode is RecirculationMode.UNKNOWN:
                    continue
                await c.set_recirculation_mode(d, int(mode))
                status = await s.status(CommandCode.RECIR_MODE)
                assert status.recirc_operation_mode is mode
                # the pump runs continuously only in ALWAYS
                assert status.recirc_pump_operation_status == (1 if mode is RecirculationMode.ALWAYS else 0)
            await c.trigger_recirculation_hot_button(d)
            status = await s.status(CommandCode.RECIR_HOT_BTN)
            assert status.recirc_operation_mode is RecirculationMode.TEMPERATURE
            assert status.recirc_pump_operation_status == 1 and status.recirc_hot_btn_ready == 1

    run(scenario(), timeout=90)


def test_idle_status_decodes_sensibly(simulator) -> None:
    """Idle: nothing heating (``currentHeatUse`` 0) and the inlet sensor at 0, not a raw
    value that 9.3.0's half-°C decoding turns into hundreds of degrees."""
    async def scenario():
        async with session(simulator) as s:
            status = await s.fresh_status()
            assert status.current_inst_power == 0.0 and status.operation_busy is False
            assert int(status.current_heat_use) == 0
            assert status.current_inlet_temperature_raw == 0
            assert status.current_inlet_temperature == pytest.approx(32.0)
            assert status.heat_upper_use is False and status.comp_use is False

    run(scenario(), timeout=60)


# -- reservations ---------------------------------------------------------------------------------
# week bits: Sunday 128, Monday 64, ..., Saturday 2; param: half-°C (120 = 140 °F)
PROGRAM = [
    {"enable": 2, "week": 124, "hour": 6, "min": 30, "mode": 3, "param": 120},   # Mon-Fri 06:30
    {"enable": 2, "week": 130, "hour": 8, "min": 0, "mode": 4, "param": 110},    # Sat+Sun 08:00
    {"enable": 1, "week": 42, "hour": 22, "min": 15, "mode": 1, "param": 98},    # disabled
]


def _expected_schedule(use: int, entries: list[dict]) -> dict:
    return ReservationSchedule.model_validate({"reservationUse": use, "reservation": entries}).model_dump()


def test_update_then_request_reservations(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert (await s.fresh_status()).program_reservation_use is False

            assert await c.update_reservations(d, PROGRAM, enabled=True) > 0
            ack = await next_matching(s.reservations)            # the device answers the write
            topic, raw = await next_matching(s.raw, lambda r: r[1].get("command") == CommandCode.RESERVATION_MANAGEMENT)
            assert topic == f"cmd/52/{c.client_id}/res/rsv/rd"
            assert ack.model_dump() == _expected_schedule(2, PROGRAM)

            assert await c.request_reservations(d) > 0
            schedule = await next_matching(s.reservations)
            topic, raw = await next_matching(s.raw, lambda r: r[1].get("command") == CommandCode.RESERVATION_READ)
            # the device's wire format: reservationUse + the entries hex-encoded, 6 bytes each
            assert raw["reservationUse"] == 2
            assert raw["reservation"] == "027c061e0378" "02820800046e" "012a160f0162"
            dump = schedule.model_dump()
            assert dump == _expected_schedule(2, PROGRAM)
            assert dump["reservation_use"] == 2 and dump["enabled"] is True
            assert [{k: e[k] for k in ("enable", "week", "hour", "min", "mode", "param")}
                    for e in dump["reservation"]] == PROGRAM
            assert dump["reservation"][0]["days"] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
            assert dump["reservation"][1]["days"] == ["Saturday", "Sunday"]
            assert dump["reservation"][0]["temperature"] == pytest.approx(140.0)
            assert schedule.canonical() == (True, tuple(sorted(tuple(e.values()) for e in PROGRAM)))
            assert (await s.fresh_status()).program_reservation_use is True

            # Home Assistant writes back the dumped entries (with their computed keys) plus a
            # new one; the device reads only its six fields.
            entries = dump["reservation"] + [{"enable": 2, "week": 64, "hour": 5, "min": 45, "mode": 2, "param": 114}]
            await c.update_reservations(d, entries, enabled=False)
            await next_matching(s.reservations)
            await c.request_reservations(d)
            schedule = await next_matching(s.reservations)
            written = PROGRAM + [entries[-1]]
            assert schedule.model_dump() == _expected_schedule(1, written)
            assert schedule.enabled is False
            assert (await s.fresh_status()).program_reservation_use is False

            # clearing the program
            await c.update_reservations(d, [], enabled=False)
            await next_matching(s.reservations)
            await c.request_reservations(d)
            assert (await next_matching(s.reservations)).model_dump() == {"reservation_use": 1, "reservation": [],
                                                                  "enabled": False}

    run(scenario(), timeout=90)


def test_an_invalid_reservation_write_changes_nothing(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            await c.update_reservations(d, PROGRAM[:1], enabled=True)
            assert (await next_matching(s.reservations)).model_dump() == _expected_schedule(2, PROGRAM[:1])
            bad = [dict(PROGRAM[1]), dict(PROGRAM[0], hour=24)]           # hour out of range
            await c.update_reservations(d, bad, enabled=False)
            assert (await next_matching(s.reservations)).model_dump() == _expected_schedule(2, PROGRAM[:1])
            await c.request_reservations(d)
            assert (await next_matching(s.reservations)).model_dump() == _expected_schedule(2, PROGRAM[:1])
            assert (await s.fresh_status()).program_reservation_use is True

    run(scenario(), timeout=60)


# -- TOU ------------------------------------------------------------------------------------------
PERIODS = [
    {"season": 448, "week": 62, "startHour": 9, "startMinute": 0, "endHour": 17, "endMinute": 0,
     "priceMin": 10, "priceMax": 25, "decimalPoint": 2},
    {"season": 4095, "week": 254, "startHour": 17, "startMinute": 30, "endHour": 21, "endMinute": 59,
     "priceMin": 31000, "priceMax": 45500, "decimalPoint": 5},
]


def _expected_tou(use: int, periods: list[dict]) -> dict:
    return TOUReservationSchedule.model_validate({"reservationUse": use, "reservation": periods}).model_dump()


def test_configure_then_request_tou_settings(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            serial = await s.serial()
            assert (await s.fresh_status()).tou_status is False

            assert await c.configure_tou_schedule(d, controller_serial_number=serial, periods=PERIODS,
                                                  enabled=True) > 0
            ack = await next_matching(s.tou)
            topic, raw = await next_matching(s.raw, lambda r: r[1].get("command") == CommandCode.TOU_RESERVATION)
            assert topic == f"cmd/52/{c.client_id}/res/tou/rd"
            assert ack.model_dump() == _expected_tou(2, PERIODS)

            assert await c.request_tou_settings(d, controller_serial_number=serial) > 0
            settings = await next_matching(s.tou)
            _, raw = await next_matching(s.raw, lambda r: r[1].get("command") == CommandCode.TOU_RESERVATION)
            assert raw["reservationUse"] == 2 and raw["reservation"] == PERIODS
            dump = settings.model_dump()
            assert dump == _expected_tou(2, PERIODS)
            assert [{k: p[k] for k in ("season", "week", "start_hour", "start_min", "end_hour", "end_min",
                                       "price_min", "price_max", "decimal_point")} for p in dump["reservation"]] == [
                {"season": 448, "week": 62, "start_hour": 9, "start_min": 0, "end_hour": 17, "end_min": 0,
                 "price_min": 10, "price_max": 25, "decimal_point": 2},
                {"season": 4095, "week": 254, "start_hour": 17, "start_min": 30, "end_hour": 21, "end_min": 59,
                 "price_min": 31000, "price_max": 45500, "decimal_point": 5}]
            assert dump["reservation"][1]["decoded_price_max"] == pytest.approx(0.455)
            assert settings.canonical() == (True, tuple(sorted(p.canonical_key() for p in ack.reservation)))
            # the device's TOU flag follows the written reservationUse
            assert (await s.fresh_status()).tou_status is True

            # disabled, one period; then set_tou_enabled(True) switches the stored schedule on
            await c.configure_tou_schedule(d, controller_serial_number=serial, periods=PERIODS[:1], enabled=False)
            assert (await next_matching(s.tou)).model_dump() == _expected_tou(1, PERIODS[:1])
            assert (await s.fresh_status()).tou_status is False
            await c.set_tou_enabled(d, True)
            assert (await s.status(CommandCode.TOU_ON)).tou_status is True
            await c.request_tou_settings(d, controller_serial_number=serial)
            assert (await next_matching(s.tou)).model_dump() == _expected_tou(2, PERIODS[:1])

    run(scenario(), timeout=90)


def test_tou_write_for_another_controller_changes_nothing(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            serial = await s.serial()
            await c.configure_tou_schedule(d, controller_serial_number=serial, periods=PERIODS[:1], enabled=True)
            assert (await next_matching(s.tou)).model_dump() == _expected_tou(2, PERIODS[:1])
            await c.configure_tou_schedule(d, controller_serial_number="00000000XX00000000", periods=PERIODS,
                                           enabled=False)
            assert (await next_matching(s.tou)).model_dump() == _expected_tou(2, PERIODS[:1])
            await c.request_tou_settings(d, controller_serial_number=serial)
            assert (await next_matching(s.tou)).model_dump() == _expected_tou(2, PERIODS[:1])
            assert (await s.fresh_status()).tou_status is True

    run(scenario(), timeout=60)


# -- capability gating: the device's own feature flags --------------------------------------------
# A model without a heat pump, vacation mode, set-point control, demand response or recirculation.
LIMITED = DeviceSpec(feature_overrides=(("heatpumpUse", 1), ("holidayUse", 1), ("dhwTemperatureSettingUse", 1),
                                        ("drSettingUse", 1), ("recirculationUse", 1)))
REFUSED = [
    ("set_dhw_mode heat pump", lambda c, d: c.set_dhw_mode(d, 1), "heatpump_use"),
    ("set_vacation_days", lambda c, d: c.set_vacation_days(d, 7), "holiday_use"),
    # "cannot" wins over "out of range": 500 °F would be a RangeValidationError otherwise
    ("set_dhw_temperature", lambda c, d: c.set_dhw_temperature(d, 500.0), "dhw_temperature_setting_use"),
    ("enable_demand_response", lambda c, d: c.enable_demand_response(d), "dr_setting_use"),
    ("set_recirculation_mode", lambda c, d: c.set_recirculation_mode(d, 3), "recirculation_use"),
    ("trigger_recirculation_hot_button", lambda c, d: c.trigger_recirculation_hot_button(d), "recirculation_use"),
]


def _handled(sim) -> int:
    return sim.state()["devices"][0]["requests_handled"]


@pytest.mark.parametrize("simulator", [{"devices": [LIMITED]}], indirect=True)
def test_commands_the_device_reports_it_cannot_do_raise_and_send_nothing(simulator) -> None:
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            # Features not known yet: nothing to check against, the command goes out.
            assert await c.set_recirculation_mode(d, 2) > 0
            assert (await s.status(CommandCode.RECIR_MODE)).recirc_operation_mode is RecirculationMode.BUTTON
            assert await c.ensure_device_info_cached(d, timeout=DEADLINE)
            handled = _handled(simulator)
            for name, send, flag in REFUSED:
                with pytest.raises(DeviceCapabilityError) as err:
                    await send(c, d)
                assert err.value.feature_name == flag, name
                assert flag in str(err.value), name
            # What the device offers still goes out, and it is the only request the device saw
            # since the features: the refused ones never left the client.
            assert await c.set_dhw_mode(d, 4) > 0
            reply = await s.status(CommandCode.DHW_MODE)
            assert reply.dhw_operation_setting is DhwOperationSetting.HIGH_DEMAND
            assert _handled(simulator) == handled + 1

    run(scenario(), timeout=60)


def test_a_flag_the_device_does_not_report_refuses_nothing(simulator) -> None:
    """The NWP500 sends no ``recirculationUse`` (the model reads it as ``False``): unknown is
    not "cannot", so recirculation commands still go out once the features are cached."""
    async def scenario():
        async with session(simulator) as s:
            c, d = s.client, s.device
            assert await c.ensure_device_info_cached(d, timeout=DEADLINE)
            assert (await next_matching(s.features)).recirculation_use is False
            assert await c.set_recirculation_mode(d, 2) > 0
            assert (await s.status(CommandCode.RECIR_MODE)).recirc_operation_mode is RecirculationMode.BUTTON
            with pytest.raises(RangeValidationError):   # a supported set-point is range-checked as before
                await c.set_dhw_temperature(d, 500.0)

    run(scenario(), timeout=60)
