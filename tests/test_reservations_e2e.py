"""The reservation and TOU helpers of 9.3.0 (``nwp500.reservations``, ``nwp500.tou_schedule``)
end to end against the simulator's emulated NWP500: every change is read back from the
device, so these tests see what the device stored."""

from __future__ import annotations

import asyncio

import pytest

from helpers import run
from nwp500 import MqttConnectionConfig, NavienAPIClient, NavienAuthClient, NavienMqttClient
from nwp500.encoding import build_reservation_entry, build_tou_period
from nwp500.exceptions import RangeValidationError
from nwp500.reservations import (
    add_reservation,
    delete_reservation,
    fetch_reservations,
    update_reservation,
    update_reservations_confirmed,
)
from nwp500.tou_schedule import configure_tou_schedule_confirmed
from nwp500.unit_system import reset_unit_system, set_unit_system


async def _session(sim):
    auth = NavienAuthClient(sim.email, sim.password, base_url=sim.api_base_url)
    await auth.sign_in()
    device = (await NavienAPIClient(auth, base_url=sim.api_base_url).list_devices())[0]
    client = NavienMqttClient(auth, config=MqttConnectionConfig(endpoint=sim.mqtt_endpoint, keep_alive_secs=30,
                                                                ping_timeout=2.0))
    await client.connect()
    return auth, device, client


def _rows(schedule):
    return [(e.enabled, sorted(e.days), e.hour, e.min, e.mode, round(e.temperature)) for e in schedule.reservation]


def test_reservations_round_trip(simulator):
    set_unit_system("us_customary")

    async def scenario():
        auth, device, client = await _session(simulator)
        try:
            await update_reservations_confirmed(client, device, [], enabled=True)
            assert _rows(await fetch_reservations(client, device)) == []

            await add_reservation(client, device, enabled=True, days=["Monday", "Friday"], hour=6, minute=30,
                                  mode=1, temperature=120.0)
            await add_reservation(client, device, enabled=False, days=["Sunday"], hour=22, minute=0,
                                  mode=3, temperature=110.0)
            schedule = await fetch_reservations(client, device)
            assert schedule.enabled
            assert _rows(schedule) == [(True, ["Friday", "Monday"], 6, 30, 1, 120),
                                       (False, ["Sunday"], 22, 0, 3, 110)]

            await update_reservation(client, device, 1, enabled=True, temperature=130.0, hour=21)
            assert _rows(await fetch_reservations(client, device))[1] == (True, ["Sunday"], 21, 0, 3, 130)

            await delete_reservation(client, device, 0)
            assert [r[2] for r in _rows(await fetch_reservations(client, device))] == [21]
            with pytest.raises(RangeValidationError):
                await delete_reservation(client, device, 5)
            with pytest.raises(RangeValidationError):
                await add_reservation(client, device, enabled=True, days=["Monday"], hour=6, minute=0,
                                      mode=1, temperature=200.0)

            entry = build_reservation_entry(enabled=True, days=["Tuesday"], hour=5, minute=15, mode_id=2,
                                            temperature=125.0)
            stored = await update_reservations_confirmed(client, device, [entry], enabled=False)
            assert not stored.enabled and _rows(stored) == [(True, ["Tuesday"], 5, 15, 2, 125)]
        finally:
            await client.disconnect()

    try:
        run(scenario(), 90)
    finally:
        reset_unit_system()


def test_tou_schedule_is_confirmed_by_the_device(simulator):
    async def scenario():
        auth, device, client = await _session(simulator)
        try:
            features = []
            await client.subscribe_device_feature(device, features.append)
            await client.request_device_info(device)
            while not features:
                await asyncio.sleep(0.05)
            serial = features[0].controller_serial_number
            periods = [
                build_tou_period(season_months=range(1, 13), week_days=["Monday", "Tuesday"], start_hour=0,
                                 start_minute=0, end_hour=13, end_minute=59, price_min=0.10, price_max=0.12,
                                 decimal_point=2),
                build_tou_period(season_months=[6, 7, 8], week_days=["Saturday"], start_hour=14, start_minute=0,
                                 end_hour=20, end_minute=59, price_min=0.30, price_max=0.45, decimal_point=2),
            ]
            schedule = await configure_tou_schedule_confirmed(client, device, serial, periods, enabled=True)
            assert schedule is not None and schedule.enabled
            assert [(p.start_hour, p.end_hour) for p in schedule.reservation] == [(0, 13), (14, 20)]
            # Another controller's serial: the device keeps its schedule, and the read-back says so.
            unchanged = await configure_tou_schedule_confirmed(client, device, "NOT-THIS-ONE", periods[:1],
                                                               enabled=False)
            assert unchanged.canonical() == schedule.canonical()
        finally:
            await client.disconnect()

    run(scenario(), 90)
