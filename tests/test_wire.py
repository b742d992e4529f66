"""Every device command on the wire: topic and exact JSON bytes (keys, order, values,
json.dumps separators), against fixtures written from the reference's documented examples,
captured by an independent subscriber from a real broker."""

from __future__ import annotations

import asyncio
import json

import pytest

from helpers import DuckAuth, PahoObserver, fast_config, run
from nwp500 import NavienMqttClient, RangeValidationError, ParameterValidationError
from nwp500.models import Device, OtaCommitPayload, RecirculationSchedule, WeeklyReservationSchedule

MAC, AV = "04786332fca0", "5322"
DEVICE = Device.from_dict({"deviceInfo": {"macAddress": MAC, "additionalValue": AV, "deviceType": 52}, "location": {}})


def envelope(cid: str, sid: str, command: int, topic_suffix: str, extra: dict | None = None,
             response: str | None = None) -> tuple[str, str]:
    topic = f"cmd/52/navilink-{MAC}/{topic_suffix}"
    request = {"command": command, "deviceType": 52, "macAddress": MAC, "additionalValue": AV, **(extra or {})}
    body = {"clientID": cid, "sessionID": sid, "protocolVersion": 2, "request": request, "requestTopic": topic,
            "responseTopic": response or f"cmd/52/navilink-{MAC}/{cid}/res"}
    return topic, json.dumps(body)


def ctrl(mode: str, param: list) -> dict:
    return {"mode": mode, "param": param, "paramStr": ""}


# (client method, args, kwargs, expected builder(cid) -> extra fields)
CASES = [
    ("request_device_status", (), {}, lambda c: (16777219, "st", None, None)),
    ("request_device_info", (), {}, lambda c: (16777217, "st/did", None, None)),
    ("set_power", (True,), {}, lambda c: (33554434, "ctrl", ctrl("power-on", []), None)),
    ("set_power", (False,), {}, lambda c: (33554433, "ctrl", ctrl("power-off", []), None)),
    ("set_dhw_mode", (3,), {}, lambda c: (33554437, "ctrl", ctrl("dhw-mode", [3]), None)),
    ("set_dhw_mode", (5,), {"vacation_days": 7}, lambda c: (33554437, "ctrl", ctrl("dhw-mode", [5, 7]), None)),
    ("set_vacation_days", (7,), {}, lambda c: (33554437, "ctrl", ctrl("dhw-mode", [5, 7]), None)),
    ("set_dhw_temperature", (140.0,), {}, lambda c: (33554464, "ctrl", ctrl("dhw-temperature", [120]), None)),
    ("set_dhw_temperature", (95.0,), {}, lambda c: (33554464, "ctrl", ctrl("dhw-temperature", [70]), None)),
    ("enable_anti_legionella", (7,), {}, lambda c: (33554472, "ctrl", ctrl("anti-leg-on", [7]), None)),
    ("disable_anti_legionella", (), {}, lambda c: (33554471, "ctrl", ctrl("anti-leg-off", []), None)),
    ("set_tou_enabled", (True,), {}, lambda c: (33554476, "ctrl", ctrl("tou-on", []), None)),
    ("set_tou_enabled", (False,), {}, lambda c: (33554475, "ctrl", ctrl("tou-off", []), None)),
    ("enable_demand_response", (), {}, lambda c: (33554470, "ctrl", ctrl("dr-on", []), None)),
    ("disable_demand_response", (), {}, lambda c: (33554469, "ctrl", ctrl("dr-off", []), None)),
    ("reset_air_filter", (), {}, lambda c: (33554473, "ctrl", ctrl("air-filter-reset", []), None)),
    ("set_recirculation_mode", (2,), {}, lambda c: (33554445, "ctrl", ctrl("recirc-mode", [2]), None)),
    ("trigger_recirculation_hot_button", (), {}, lambda c: (33554444, "ctrl", ctrl("recirc-hotbtn", [1]), None)),
    ("request_reservations", (), {}, lambda c: (16777222, "st/rsv/rd", None, f"cmd/52/{c}/res/rsv/rd")),
    ("update_reservations", ([{"enable": 2, "week": 62, "hour": 6, "min": 30, "mode": 3, "param": 120}],),
     {"enabled": True},
     lambda c: (16777226, "ctrl/rsv/rd",
                {"reservationUse": 2, "reservation": [{"enable": 2, "week": 62, "hour": 6, "min": 30, "mode": 3, "param": 120}]},
                f"cmd/52/{c}/res/rsv/rd")),
    ("request_tou_settings", ("56496061BT22230408",), {},
     lambda c: (33554439, "ctrl/tou/rd", {"controllerSerialNumber": "56496061BT22230408"}, f"cmd/52/{c}/res/tou/rd")),
    ("configure_tou_schedule", ("SN1", [{"season": 448, "week": 62}]), {"enabled": False},
     lambda c: (33554439, "ctrl/tou/rd",
                {"controllerSerialNumber": "SN1", "reservationUse": 1, "reservation": [{"season": 448, "week": 62}]},
                f"cmd/52/{c}/res/tou/rd")),
    ("request_energy_usage", (2026, [10, 11]), {},
     lambda c: (16777225, "st/energy-usage-daily-query/rd", {"month": [10, 11], "year": 2026},
                f"cmd/52/{c}/res/energy-usage-daily-query/rd")),
    # 9.3.0's further commands: all on ctrl, answered on the per-device topic
    ("update_weekly_reservation",
     (WeeklyReservationSchedule.model_validate(
         {"reservationUse": 2, "reservation": [{"enable": 2, "week": 62, "hour": 6, "min": 30, "mode": 3, "param": 120}]}),),
     {}, lambda c: (33554438, "ctrl",
                    {"reservationUse": 2,
                     "reservation": [{"enable": 2, "week": 62, "hour": 6, "min": 30, "mode": 3, "param": 120}]}, None)),
    ("configure_reservation_water_program", (), {}, lambda c: (33554441, "ctrl", ctrl("reservation-mode", []), None)),
    ("configure_recirculation_schedule",
     (RecirculationSchedule.model_validate(
         {"schedule": [{"enable": 2, "week": 62, "startHour": 6, "startMin": 0, "endHour": 8, "endMin": 30, "mode": 3}]}),),
     {}, lambda c: (33554440, "ctrl",
                    {"schedule": [{"enable": 2, "week": 62, "startHour": 6, "startMin": 0, "endHour": 8, "endMin": 30,
                                   "mode": 3}]}, None)),
    ("check_firmware_update", (), {}, lambda c: (33554443, "ctrl", ctrl("ota-check", []), None)),
    ("commit_firmware_update", (OtaCommitPayload(sw_code=1, sw_version=184614913),), {},
     lambda c: (33554442, "ctrl", {"commitOta": {"swCode": 1, "swVersion": 184614913}}, None)),
    ("reconnect_wifi", (), {}, lambda c: (33554446, "ctrl", ctrl("wifi-reconnect", []), None)),
    ("reset_wifi", (), {}, lambda c: (33554447, "ctrl", ctrl("wifi-reset", []), None)),
    ("set_freeze_protection_temperature", (43.0,), {}, lambda c: (33554451, "ctrl", ctrl("frez-temp", [12]), None)),
    ("run_smart_diagnostic", (), {}, lambda c: (33554455, "ctrl", ctrl("smart-diagnostic", []), None)),
    ("enable_intelligent_scheduling", (), {}, lambda c: (33554468, "ctrl", ctrl("intelligent-on", []), None)),
    ("disable_intelligent_scheduling", (), {}, lambda c: (33554467, "ctrl", ctrl("intelligent-off", []), None)),
]


def test_every_command_on_the_wire(broker) -> None:
    observer = PahoObserver("127.0.0.1", broker.port, "#")

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url))
        await client.connect()
        try:
            for method, args, kwargs, _ in CASES:
                assert await getattr(client, method)(DEVICE, *args, **kwargs) > 0, method
            assert await client.signal_app_connection(DEVICE) > 0
        finally:
            await client.disconnect()
        return client.client_id, client.session_id

    cid, sid = run(scenario(), timeout=60)
    got = observer.wait_count(len(CASES) + 1, timeout=10)
    observer.close()
    for (method, _, _, expect), (topic, payload) in zip(CASES, got):
        command, suffix, extra, response = expect(cid)
        want_topic, want_body = envelope(cid, sid, command, suffix, extra, response)
        assert (topic, payload.decode()) == (want_topic, want_body), method
    topic, payload = got[-1]
    assert topic == f"evt/52/navilink-{MAC}/app-connection"
    body = json.loads(payload)
    assert list(body) == ["clientID", "timestamp"] and body["clientID"] == cid and body["timestamp"].endswith("Z")


def test_invalid_arguments_are_refused_before_sending(broker) -> None:
    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url))
        with pytest.raises(RangeValidationError) as hot:
            await client.set_dhw_temperature(DEVICE, 151.0)
        assert hot.value.field == "temperature"
        with pytest.raises(ParameterValidationError):
            await client.set_dhw_mode(DEVICE, 5)
        with pytest.raises(RangeValidationError):
            await client.enable_anti_legionella(DEVICE, 31)
        with pytest.raises(ParameterValidationError):
            await client.request_tou_settings(DEVICE, "")
        assert client.queued_commands_count == 0  # nothing was queued either

    run(scenario(), timeout=30)


def test_offline_commands_are_queued_and_return_zero(broker) -> None:
    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url))
        assert await client.set_power(DEVICE, True) == 0
        assert await asyncio.wait_for(client.request_device_status(DEVICE), 10) == 0
        assert client.queued_commands_count == 2

    run(scenario(), timeout=30)
