"""Behaviour of the nwp500-python 9.3.0 names this package adds as thin Python faces:
records, encoders, converters, temperatures, topics, the feature cache and capability
checks, the offline queue, the periodic and reconnection helpers, and (against the
simulator) ``create_navien_clients``, the auth client's 9.3.0 properties and the MQTT
views (``MqttConnection``, ``MqttSubscriptionManager``, ``MqttDeviceController``,
``MqttReconnectionHandler`` / ``MqttCommandQueue`` bound to a client)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest

import nwp500
from helpers import run
from nwp500 import (
    AuthenticationResponse,
    ConvertedTOUPlan,
    MqttCommand,
    MqttConnectionConfig,
    MqttRequest,
    OtaCommitPayload,
    RecirculationSchedule,
    WeeklyReservationSchedule,
)
from nwp500.command_decorators import requires_capability
from nwp500.converters import (
    device_bool_from_python,
    device_bool_to_python,
    device_tristate_to_python,
    div_10,
    energy_count_to_wh,
    enum_validator,
    tou_override_to_python,
)
from nwp500.device_capabilities import MqttDeviceCapabilityChecker
from nwp500.device_info_cache import MqttDeviceInfoCache
from nwp500.encoding import (
    MONTH_TO_BIT,
    WEEKDAY_ORDER,
    build_tou_period,
    decode_price,
    decode_reservation_hex,
    decode_season_bitfield,
    encode_price,
    encode_season_bitfield,
    encode_week_bitfield,
)
from nwp500.enums import DhwOperationSetting, VolumeCode
from nwp500.exceptions import DeviceCapabilityError, RangeValidationError
from nwp500.field_factory import temperature_field
from nwp500.models import DeviceFeature, DeviceStatus, NavienBaseModel
from nwp500.mqtt.command_queue import MqttCommandQueue
from nwp500.mqtt.connection import MqttConnection
from nwp500.mqtt.control import MqttDeviceController
from nwp500.mqtt.periodic import MqttPeriodicRequestManager
from nwp500.mqtt.reconnection import MqttReconnectionHandler
from nwp500.mqtt.subscriptions import MqttSubscriptionManager
from nwp500.mqtt.types import QoS
from nwp500.temperature import DeciCelsius, DeciCelsiusDelta, HalfCelsius, RawCelsius
from nwp500.topic_builder import MqttTopicBuilder
from nwp500.utils import log_performance

# ---- records ------------------------------------------------------------------------------------

SIGN_IN_REPLY = {
    "code": 200, "msg": "SUCCESS",
    "data": {"userInfo": {"userFirstName": "Ada", "userLastName": "L", "userSeq": 7},
             "token": {"idToken": "i", "accessToken": "a", "refreshToken": "r", "authenticationExpiresIn": 3600,
                       "accessKeyId": "k", "secretKey": "s", "sessionToken": "t", "authorizationExpiresIn": 3600},
             "legal": []},
}


def test_authentication_response_reads_the_raw_sign_in_reply_and_the_flat_form():
    raw = AuthenticationResponse.model_validate(SIGN_IN_REPLY)
    assert raw.user_info.full_name == "Ada L" and raw.user_info.user_seq == 7
    assert raw.tokens.access_token == "a" and raw.tokens.session_token == "t"
    assert raw.code == 200 and raw.message == "SUCCESS"
    flat = AuthenticationResponse.model_validate(raw.model_dump())
    assert flat.tokens.access_token == "a" and flat.user_info.full_name == "Ada L"


def test_mqtt_request_and_command_dump_the_device_envelope():
    command = MqttCommand(client_id="c", session_id="s", request_topic="cmd/52/navilink-x/ctrl",
                          response_topic="cmd/52/navilink-x/c/res",
                          request=MqttRequest(command=33554434, device_type=52, mac_address="x", mode="power-on"))
    dumped = command.model_dump(by_alias=True, exclude_none=True)
    assert dumped["clientID"] == "c" and dumped["sessionID"] == "s" and dumped["protocolVersion"] == 2
    assert dumped["request"] == {"command": 33554434, "deviceType": 52, "macAddress": "x",
                                 "additionalValue": "...", "mode": "power-on", "param": [], "paramStr": ""}
    again = MqttCommand.model_validate(dumped)
    assert again == command
    assert MqttCommand.model_validate({**dumped, "request": {"other": 1}}).request == {"other": 1}
    with pytest.raises(ValueError):
        MqttRequest.model_validate({"command": 1})


def test_schedule_records_and_the_ota_payload():
    weekly = WeeklyReservationSchedule.model_validate({"reservationUse": 2, "reservation": "023e061e0478"})
    assert weekly.enabled and weekly.reservation[0].time == "06:30" and weekly.reservation[0].mode == 4
    recirc = RecirculationSchedule.model_validate(
        {"schedule": [{"enable": 2, "week": 64, "startHour": 6, "startMin": 5, "endHour": 7, "endMin": 0, "mode": 3}]})
    entry = recirc.schedule[0]
    assert (entry.enabled, entry.days, entry.start_time, entry.end_time, entry.mode_name) == \
        (True, ["Monday"], "06:05", "07:00", "Schedule")
    ota = OtaCommitPayload.model_validate({"swCode": 1, "swVersion": 184614912})
    assert ota.sw_code == 1 and ota.model_dump() == {"sw_code": 1, "sw_version": 184614912}
    assert ota.to_protocol_dict() == {"swCode": 1, "swVersion": 184614912}
    plan = ConvertedTOUPlan.model_validate({"utility": "U", "name": "P", "schedule": [
        {"season": 448, "interval": [{"week": 62, "priceMin": 10}]}]})
    assert plan.schedule[0].season == 448 and plan.schedule[0].intervals == [{"week": 62, "priceMin": 10}]
    for record in (weekly, recirc, ota, plan, AuthenticationResponse.model_validate(SIGN_IN_REPLY)):
        assert isinstance(record, NavienBaseModel)


def test_model_construct_takes_values_as_given():
    ota = OtaCommitPayload.model_construct(sw_code=3)
    assert ota.sw_code == 3 and ota.sw_version is None
    plan = ConvertedTOUPlan.model_construct(name="x")
    assert plan.name == "x" and plan.utility == "" and plan.schedule == []
    status = DeviceStatus.model_construct(dhw_temperature_raw=120)
    assert status.dhw_temperature_raw == 120
    tokens = nwp500.AuthTokens.model_construct(access_token="a")
    assert tokens.access_token == "a" and not tokens.is_expired


def test_status_energy_names_of_9_3_0():
    status = DeviceStatus.model_construct(total_energy_capacity=5000.0, available_energy_capacity=1500.0)
    assert status.full_recovery_energy == 5000.0 and status.energy_to_setpoint == 1500.0
    assert status.usable_energy == 3500.0


# ---- encoders and converters ------------------------------------------------------------------

def test_encoding_helpers():
    assert WEEKDAY_ORDER[0] == "Sunday" and MONTH_TO_BIT[1] == 1 and MONTH_TO_BIT[12] == 2048
    assert encode_season_bitfield([1, 2, 12]) == 1 + 2 + 2048
    assert decode_season_bitfield(1 + 2 + 2048) == [1, 2, 12]
    with pytest.raises(RangeValidationError):
        encode_season_bitfield([13])
    assert encode_price(12.34, 2) == 1234 and encode_price(0.5, 3) == 500 and decode_price(1234, 2) == 12.34
    with pytest.raises(RangeValidationError):
        decode_price(1, 11)
    assert encode_week_bitfield(["MO", "we", "Friday"]) == 84
    assert decode_reservation_hex("023e061e0478" + "00" * 6) == [
        {"enable": 2, "week": 62, "hour": 6, "min": 30, "mode": 4, "param": 120}]
    period = build_tou_period(season_months=[6, 7, 8], week_days=["Monday", "Friday"], start_hour=9, start_minute=0,
                              end_hour=17, end_minute=30, price_min=0.1, price_max=25, decimal_point=2)
    assert period == {"season": 32 + 64 + 128, "week": 68, "startHour": 9, "startMinute": 0, "endHour": 17,
                      "endMinute": 30, "priceMin": 10, "priceMax": 25, "decimalPoint": 2}
    with pytest.raises(RangeValidationError):
        build_tou_period(season_months=[1], week_days=[0], start_hour=24, start_minute=0, end_hour=1,
                         end_minute=0, price_min=1, price_max=1, decimal_point=0)


def test_converters_and_field_factory():
    assert device_bool_to_python(2) and not device_bool_to_python(1) and not device_bool_to_python(0)
    assert device_bool_from_python(True) == 2 and device_bool_from_python(False) == 1
    assert [device_tristate_to_python(v) for v in (0, 1, 2)] == [None, False, True]
    assert tou_override_to_python(1) and not tou_override_to_python(2)
    assert div_10(150) == 15.0 and energy_count_to_wh(10) == 40.0
    to_volume = enum_validator(VolumeCode)
    assert to_volume(int(VolumeCode.VOLUME_50)) is VolumeCode.VOLUME_50 and to_volume("VOLUME_65") is VolumeCode.VOLUME_65
    spec = temperature_field("Tank temperature", alias="tankTemp")
    assert spec.unit == "°F" and spec.alias == "tankTemp" and spec.json_schema_extra["device_class"] == "temperature"


def test_temperatures():
    assert HalfCelsius(120).to_fahrenheit() == 140.0 and HalfCelsius(120).to_celsius() == 60.0
    assert HalfCelsius.from_fahrenheit(140.0) == HalfCelsius(120)
    assert HalfCelsius.from_preferred(60.0, is_celsius=True) == HalfCelsius(120)
    assert DeciCelsius(595).to_preferred(is_celsius=True) == 59.5
    assert DeciCelsiusDelta(-50).to_fahrenheit() == -9.0 and DeciCelsiusDelta.from_fahrenheit(-9.0).raw_value == -50
    assert RawCelsius(41).to_fahrenheit() == 69.0
    assert RawCelsius(41).to_fahrenheit_with_formula(nwp500.TempFormulaType.ASYMMETRIC) == 69.0


def test_topics():
    assert MqttTopicBuilder.command_topic("52", "aabb") == "cmd/52/navilink-aabb/ctrl"
    assert MqttTopicBuilder.command_topic("52", "aabb", "st") == "cmd/52/navilink-aabb/st"
    assert MqttTopicBuilder.response_ack_topic("52", "aabb", "cid") == "cmd/52/navilink-aabb/cid/res"
    assert MqttTopicBuilder.response_topic("52", "cid", "rsv/rd") == "cmd/52/cid/res/rsv/rd"
    assert MqttTopicBuilder.event_topic("52", "aabb", "app-connection") == "evt/52/navilink-aabb/app-connection"


def test_log_performance_keeps_results_and_coroutines():
    @log_performance
    def add(a, b):
        return a + b

    @log_performance
    async def double(a):
        return 2 * a

    assert add(1, 2) == 3 and asyncio.run(double(4)) == 8 and add.__name__ == "add"


# ---- features, capabilities ----------------------------------------------------------------------

FEATURE = {
    "countryCode": 3, "modelTypeCode": 513, "controlTypeCode": 100, "volumeCode": 1, "controllerSwVersion": 1,
    "panelSwVersion": 1, "wifiSwVersion": 1, "controllerSwCode": 1, "panelSwCode": 1, "wifiSwCode": 1,
    "controllerSerialNumber": "S", "powerUse": 2, "holidayUse": 2, "programReservationUse": 2, "dhwUse": 2,
    "dhwTemperatureSettingUse": 2, "smartDiagnosticUse": 1, "wifiRssiUse": 2, "tempFormulaType": 1,
    "energyUsageUse": 2, "freezeProtectionUse": 2, "mixingValueUse": 1, "drSettingUse": 1,
    "antiLegionellaSettingUse": 2, "hpwhUse": 2, "dhwRefillUse": 1, "ecoUse": 2, "electricUse": 2,
    "heatpumpUse": 2, "energySaverUse": 2, "highDemandUse": 2, "dhwTemperatureMin": 75, "dhwTemperatureMax": 130,
    "freezeProtectionTempMin": 12, "freezeProtectionTempMax": 20,
}


def test_capability_checker():
    feature = DeviceFeature.model_validate(FEATURE)
    assert MqttDeviceCapabilityChecker.supports("power_use", feature)
    assert not MqttDeviceCapabilityChecker.supports("dr_setting_use", feature)
    with pytest.raises(DeviceCapabilityError):
        MqttDeviceCapabilityChecker.assert_supported("dr_setting_use", feature)
    with pytest.raises(ValueError):
        MqttDeviceCapabilityChecker.supports("no_such_feature", feature)
    controls = MqttDeviceCapabilityChecker.get_available_controls(feature)
    assert controls["dhw_use"] and not controls["mixing_valve_use"]
    MqttDeviceCapabilityChecker.register_capability("always_test", lambda f: True)
    try:
        assert MqttDeviceCapabilityChecker.supports("always_test", feature)
    finally:
        MqttDeviceCapabilityChecker._checks.pop("always_test")


def test_device_info_cache_expiry():
    async def scenario():
        cache = MqttDeviceInfoCache(update_interval_minutes=1)
        feature = DeviceFeature.model_validate(FEATURE)
        await cache.set("mac", feature)
        assert await cache.get("mac") is feature
        assert (await cache.get_cache_info())["device_count"] == 1
        assert await cache.get_all_cached() == {"mac": feature}
        assert cache.is_expired(datetime.now(UTC) - timedelta(minutes=2))
        cache._entries["mac"] = (feature, datetime.now(UTC) - timedelta(minutes=2))
        assert await cache.get("mac") is None
        await cache.set("a", feature)
        await cache.invalidate("a")
        assert await cache.get("a") is None
        await cache.set("b", feature)
        await cache.clear()
        assert (await cache.get_cache_info())["devices"] == []

    run(scenario(), timeout=10)


class _Device:
    class device_info:  # noqa: N801 - the shape of nwp500.Device
        mac_address = "aabbccddeeff"
        device_type = 52
        additional_value = "x"


def test_requires_capability_and_the_controller_refuse_what_the_device_cannot_do():
    sent = []

    async def publish(topic, payload, qos):
        sent.append((topic, payload, qos))
        return 7

    async def scenario():
        cache = MqttDeviceInfoCache()
        controller = MqttDeviceController("cid", "sid", publish, cache)
        assert await controller.set_power(_Device, True) == 7  # nothing cached: sent unchecked
        await cache.set("aabbccddeeff", DeviceFeature.model_validate(FEATURE))
        with pytest.raises(DeviceCapabilityError):
            await controller.enable_demand_response(_Device)
        assert await controller.set_dhw_mode(_Device, DhwOperationSetting.HEAT_PUMP) == 7
        assert sent[-1][0] == "cmd/52/navilink-aabbccddeeff/ctrl" and sent[-1][1]["clientID"] == "cid"
        assert controller.check_support("power_use", await cache.get("aabbccddeeff"))

        class Owner:
            device_info_cache = cache

            @requires_capability("dr_setting_use")
            async def dr(self, device):
                return "ran"

            @requires_capability("power_use")
            async def power(self, device):
                return "ran"

        with pytest.raises(DeviceCapabilityError):
            await Owner().dr(_Device)
        assert await Owner().power(_Device) == "ran"

    run(scenario(), timeout=10)


# ---- queue, periodic, reconnection on their own ------------------------------------------------

def test_command_queue_of_its_own():
    async def scenario():
        queue = MqttCommandQueue(MqttConnectionConfig(max_queued_commands=2, max_queued_command_age=60.0))
        for i in range(3):
            queue.enqueue("t", {"i": i}, QoS.AT_LEAST_ONCE)
        assert queue.count == 2 and queue.is_full and not queue.is_empty
        sent = []

        async def publish(topic, payload, qos):
            sent.append(payload["i"])

        assert await queue.send_all(publish, lambda: True) == (2, 0)
        assert sent == [1, 2] and queue.is_empty
        queue.enqueue("t", {"i": 9}, QoS.AT_LEAST_ONCE)
        assert queue.clear() == 1

    run(scenario(), timeout=10)


def test_periodic_manager():
    async def scenario():
        calls = []

        async def status(device):
            calls.append("status")

        async def info(device):
            calls.append("info")

        manager = MqttPeriodicRequestManager(lambda: True, info, status)
        await manager.start_periodic_device_status_requests(_Device, 0.01)
        await manager.start_periodic_device_info_requests(_Device, 0.01)
        assert manager.active_task_count == 2
        await asyncio.sleep(0.05)
        await manager.stop_periodic_device_info_requests(_Device)
        assert manager.active_task_count == 1
        await manager.stop_all_periodic_tasks("test")
        assert manager.active_task_count == 0 and "status" in calls and "info" in calls

    run(scenario(), timeout=10)


def test_reconnection_handler_of_its_own_backs_off_and_gives_up():
    async def scenario():
        attempts = []
        failed = []

        async def reconnect():
            attempts.append("quick")
            raise OSError("down")

        async def deep():
            attempts.append("deep")
            raise OSError("down")

        async def emit(event, *args):
            failed.append((event, args))

        config = MqttConnectionConfig(initial_reconnect_delay=0.01, max_reconnect_delay=0.02, reconnect_jitter=False,
                                      max_reconnect_attempts=4, deep_reconnect_threshold=3)
        loop = asyncio.get_running_loop()
        handler = MqttReconnectionHandler(config, lambda: False, loop.create_task, reconnect, deep, emit)
        handler.on_connection_interrupted(OSError("x"))  # disabled: nothing happens
        assert not handler.is_reconnecting
        handler.enable()
        handler.on_connection_interrupted(OSError("x"))
        assert handler.is_reconnecting
        for _ in range(100):
            if failed:
                break
            await asyncio.sleep(0.02)
        assert attempts == ["quick", "quick", "deep", "deep"]
        assert failed == [("reconnection_failed", (4,))] and handler.attempt_count == 4
        handler.reset()
        assert handler.attempt_count == 0 and not handler.is_reconnecting
        await handler.cancel()

    run(scenario(), timeout=10)


# ---- against the simulator ---------------------------------------------------------------------

def test_clients_and_mqtt_views_against_the_simulator(simulator, monkeypatch):
    monkeypatch.setenv("NWP500_API_BASE_URL", simulator.api_base_url)
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", simulator.mqtt_endpoint)

    async def scenario():
        auth, api, mqtt = await nwp500.create_navien_clients(simulator.email, simulator.password)
        assert isinstance(auth, nwp500.NavienAuthClient) and isinstance(api, nwp500.NavienAPIClient)
        assert isinstance(mqtt, nwp500.NavienMqttClient) and not mqtt.is_connected
        assert auth.has_valid_tokens and auth.session is None
        assert auth.auth_response is not None and auth.auth_response.tokens.access_token
        device = (await api.list_devices())[0]
        assert (await api.get_device_info(device.device_info.mac_address)).with_info(device.device_info) is not None

        connection = MqttConnection(mqtt.config, auth)
        assert connection.connection is None
        assert await connection.connect() and connection.is_connected and connection.connection is connection.client
        client = connection.client
        try:
            manager = MqttSubscriptionManager(connection, client.client_id, client, asyncio.ensure_future)
            statuses: asyncio.Queue = asyncio.Queue()
            await manager.subscribe_device_status(device, statuses.put_nowait)
            assert any("navilink-" in topic for topic in manager.subscriptions)

            controller = MqttDeviceController(client.client_id, client.session_id, client.publish)
            controller.set_ensure_device_info_callback(client.ensure_device_info_cached)
            assert await controller.request_device_status(device) > 0
            status = await asyncio.wait_for(statuses.get(), 15)
            assert isinstance(status, DeviceStatus)

            handler = MqttReconnectionHandler(client.config, lambda: client.is_connected, asyncio.ensure_future,
                                              client.recover_connection, client=client)
            assert not handler.is_reconnecting and handler.attempt_count == 0
            handler.on_connection_interrupted(OSError("ignored: the session reconnects by itself"))
            assert not handler.is_reconnecting

            queue = MqttCommandQueue(client.config, client=client)
            assert queue.count == client.queued_commands_count == 0 and queue.is_empty

            await manager.unsubscribe_device_status(device, statuses.put_nowait)

            # One callable for statuses and features: two registrations, withdrawn one by one;
            # registering it again for the same kind is a no-op (0), as in 9.3.0.
            seen: asyncio.Queue = asyncio.Queue()
            await client.subscribe_device_status(device, seen.put_nowait)
            await client.subscribe_device_feature(device, seen.put_nowait)
            assert await client.subscribe_device_status(device, seen.put_nowait) == 0
            await client.unsubscribe_device_status(device, seen.put_nowait)
            await client.request_device_info(device)
            assert isinstance(await asyncio.wait_for(seen.get(), 15), DeviceFeature)
            await client.unsubscribe_device_feature(device, seen.put_nowait)
            packet, packet_id = await connection.subscribe("test/compat", QoS.AT_LEAST_ONCE)
            assert packet["topic"] == "test/compat" and packet_id > 0
            assert await connection.unsubscribe("test/compat") > 0
        finally:
            await connection.close()
            await auth.close()
        assert not connection.is_connected

    run(scenario(), timeout=90)
    assert os.environ["NWP500_API_BASE_URL"] == simulator.api_base_url
