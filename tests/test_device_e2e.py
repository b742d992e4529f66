"""The device surface end to end against the simulated cloud: a real sign-in, a real
websocket connection with SigV4, the emulated NWP500 answering, and a Home-Assistant-shaped
lifecycle (see ../shared/reference/home-assistant-contract.md)."""

from __future__ import annotations

import asyncio
import json

import nwp500

from helpers import next_matching, run, sim_config
from nwp500 import NavienAPIClient, NavienAuthClient, NavienMqttClient, PeriodicRequestType
from nwp500.mqtt_events import MqttClientEvents


def test_status_setpoint_and_a_command_queued_through_an_outage(simulator) -> None:
    async def scenario():
        async with NavienAuthClient(simulator.email, simulator.password, base_url=simulator.api_base_url) as auth:
            device = (await NavienAPIClient(auth, base_url=simulator.api_base_url).list_devices())[0]
            client = NavienMqttClient(auth, config=sim_config(simulator))
            statuses: asyncio.Queue = asyncio.Queue()
            resumed = asyncio.Event()
            client.on("connection_resumed", lambda e: resumed.set())
            await client.connect()
            try:
                await client.subscribe_device_status(device, statuses.put_nowait)
                await client.request_device_status(device)
                status = await next_matching(statuses)
                assert status.mac_address == device.device_info.mac_address
                assert isinstance(status.dhw_temperature_setting, float)

                assert await client.set_dhw_temperature(device, 140.0) > 0
                status = await next_matching(statuses, lambda s: s.dhw_temperature_setting == 140.0)

                # Cut the link: the command goes to the offline queue and reaches the device after.
                interrupted = asyncio.Event()
                client.on("connection_interrupted", lambda e: interrupted.set())
                await asyncio.to_thread(simulator.refuse_connect)
                await asyncio.to_thread(simulator.drop)
                await asyncio.wait_for(interrupted.wait(), 10)
                assert await client.set_dhw_temperature(device, 130.0) == 0
                assert client.queued_commands_count >= 1
                await asyncio.to_thread(simulator.allow_connect)
                await asyncio.wait_for(resumed.wait(), 20)
                await client.request_device_status(device)
                status = await next_matching(statuses, lambda s: abs(s.dhw_temperature_setting - 130.1) < 0.05)
            finally:
                await client.disconnect()

    run(scenario(), timeout=120)


class _HaManager:
    """The shape of ha_nwp500's MqttManager: bound-method listeners added with on() and
    removed with off() through fresh bound-method objects."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.resumed = asyncio.Event()

    def _on_connection_interrupted(self, event) -> None:
        self.events.append(f"interrupted:{event.error.cause}")

    def _on_connection_resumed(self, event) -> None:
        self.events.append(f"resumed:{event.return_code}:{event.session_present}")
        self.resumed.set()

    def _on_reconnection_failed(self, attempts: int) -> None:
        self.events.append(f"failed:{attempts}")


def test_home_assistant_lifecycle(simulator) -> None:
    async def scenario():
        auth = NavienAuthClient(simulator.email, simulator.password, base_url=simulator.api_base_url)
        await auth.sign_in()
        await auth.ensure_valid_token()
        # The coordinator's own construction (ha_nwp500 0.18): keywords, with the unit system.
        api = NavienAPIClient(auth_client=auth, base_url=simulator.api_base_url, unit_system="us_customary")
        device = (await api.list_devices())[0]
        client = NavienMqttClient(
            auth, config=sim_config(simulator, client_id="navien-ha-36283-abcd1234", clean_session=False), unit_system="us_customary"
        )
        ha = _HaManager()
        client.on(MqttClientEvents.CONNECTION_INTERRUPTED, ha._on_connection_interrupted)
        client.on(MqttClientEvents.CONNECTION_RESUMED, ha._on_connection_resumed)
        client.on("reconnection_failed", ha._on_reconnection_failed)
        assert await client.connect() is True

        statuses: asyncio.Queue = asyncio.Queue()
        features: asyncio.Queue = asyncio.Queue()
        schedules: list = []
        await client.subscribe_device_status(device, lambda s: statuses.put_nowait(s) if s.mac_address else None)
        await client.subscribe_device_feature(device, lambda f: features.put_nowait(f) if f.mac_address else None)
        await client.subscribe_reservation_response(device, lambda r: schedules.append(r.model_dump()))
        await client.subscribe_tou_response(device, lambda t: schedules.append(t.model_dump()))
        await client.start_periodic_requests(device, PeriodicRequestType.DEVICE_STATUS, 300.0)
        await client.start_periodic_requests(device, PeriodicRequestType.DEVICE_INFO, 1800.0)
        await asyncio.wait_for(client.request_device_status(device), 10.0)
        assert (await next_matching(statuses)).mac_address
        assert await client.ensure_device_info_cached(device) is True
        feature = await next_matching(features)

        serial = feature.controller_serial_number
        commands = [
            client.set_power(device, True),
            client.set_dhw_temperature(device, 130.0),
            client.set_dhw_mode(device, 3),
            client.set_tou_enabled(device, False),
            client.enable_anti_legionella(device, 7),
            client.disable_anti_legionella(device),
            client.update_reservations(device, [{"enable": 2, "week": 62, "hour": 6, "min": 0, "mode": 3, "param": 120}], enabled=True),
            client.request_reservations(device),
            client.configure_tou_schedule(device, controller_serial_number=serial,
                                          periods=[{"season": 448, "week": 62, "startHour": 9, "startMinute": 0,
                                                    "endHour": 17, "endMinute": 0, "priceMin": 10, "priceMax": 25,
                                                    "decimalPoint": 2}], enabled=True),
            client.request_tou_settings(device, controller_serial_number=serial),
            client.set_vacation_days(device, 3),
            client.enable_demand_response(device),
            client.disable_demand_response(device),
            client.reset_air_filter(device),
            client.set_recirculation_mode(device, 1),
            client.trigger_recirculation_hot_button(device),
        ]
        for command in commands:
            assert await command > 0
        # The schedule services' read-backs: reservations and TOU round-trip through the device.
        entry = {"enable": 2, "week": 62, "hour": 5, "min": 30, "mode": 3, "param": 110}
        stored = await nwp500.update_reservations_confirmed(client, device, [entry], enabled=True)
        assert [(e.hour, e.min, e.param) for e in stored.reservation] == [(5, 30, 110)]
        assert (await nwp500.fetch_reservations(client, device)).model_dump()["reservation"][0]["hour"] == 5
        tou = await nwp500.configure_tou_schedule_confirmed(
            client, device, serial, [{"season": 224, "week": 62, "startHour": 7, "startMinute": 0, "endHour": 9,
                                      "endMinute": 0, "priceMin": 10, "priceMax": 25, "decimalPoint": 2}])
        assert tou.enabled and [p.start_hour for p in tou.reservation] == [7]

        await asyncio.to_thread(simulator.drop)
        await asyncio.wait_for(ha.resumed.wait(), 20)
        assert ha.events[0] == "interrupted:tcp_closed" and ha.events[1].startswith("resumed:0:")
        # Subscriptions survived the outage: a fresh status still arrives.
        await asyncio.wait_for(client.request_device_status(device), 10.0)
        await next_matching(statuses)

        # The integration's diagnostics download embeds the export.
        export = json.loads(client.diagnostics.export_json())
        assert export["drop_causes"] == {"tcp_closed": 1} and export["metrics"]["total_connection_drops"] == 1

        await client.stop_all_periodic_tasks()
        assert client.off(MqttClientEvents.CONNECTION_INTERRUPTED, ha._on_connection_interrupted) == 1
        assert client.off(MqttClientEvents.CONNECTION_RESUMED, ha._on_connection_resumed) == 1
        assert client.off("reconnection_failed", ha._on_reconnection_failed) == 1
        await client.disconnect()
        assert not client.is_connected

    try:
        run(scenario(), timeout=180)
    finally:
        nwp500.reset_unit_system()


def test_stop_all_periodic_tasks_never_raises_on_a_client_that_never_connected(simulator) -> None:
    async def scenario():
        async with NavienAuthClient(simulator.email, simulator.password, base_url=simulator.api_base_url) as auth:
            client = NavienMqttClient(auth, config=sim_config(simulator))
            await client.stop_all_periodic_tasks()
            await client.disconnect()

    run(scenario(), timeout=60)


def test_api_client_takes_the_unit_system_keyword_like_9_3_0(simulator) -> None:
    """Home Assistant's coordinator builds NavienAPIClient(auth_client=..., unit_system=...);
    without the keyword its setup raised TypeError and the integration never loaded."""
    import pytest

    from nwp500 import get_unit_system, reset_unit_system

    async def scenario():
        async with NavienAuthClient(simulator.email, simulator.password, base_url=simulator.api_base_url) as auth:
            try:
                api = NavienAPIClient(auth_client=auth, base_url=simulator.api_base_url, unit_system="metric")
                assert api.unit_system == "metric" and get_unit_system() == "metric"
                device = (await api.list_devices())[0]
                assert device.device_info.mac_address
                with pytest.raises(ValueError):
                    NavienAPIClient(auth_client=auth, unit_system="imperial")
            finally:
                reset_unit_system()

    run(scenario(), 60)
