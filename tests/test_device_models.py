"""Typed device data (``nwp500.models``, ``nwp500.enums``, ``nwp500.unit_system``,
``nwp500.state_tracker``): every DeviceStatus / DeviceFeature key of the reference's
Appendices A and B decoded in both unit systems, the simulator's payloads decoded too,
malformed payloads rejected with the key named, the ``st`` / ``did`` lookups, the
``model_dump`` shapes Home Assistant reads, ``get_field_unit``, and the per-device
change events. Pure Python: no broker, no network."""

from __future__ import annotations

import asyncio

import pytest

from nwp500.models import (
    DeviceFeature,
    DeviceStatus,
    EnergyUsageResponse,
    ReservationSchedule,
    TOUReservationSchedule,
    decode_reservation_hex,
    decode_week_bitfield,
    get_response_data,
)
from nwp500.enums import (
    VOLUME_CODE_TEXT,
    CommandCode,
    CurrentOperationMode,
    DHWControlTypeFlag,
    DhwOperationSetting,
    DREvent,
    ErrorCode,
    HeatSource,
    RecirculationMode,
    TemperatureType,
    TempFormulaType,
    UnitType,
    VolumeCode,
)
from nwp500.events import EventEmitter
from nwp500.mqtt_events import (
    ErrorClearedEvent,
    ErrorDetectedEvent,
    HeatingStartedEvent,
    HeatingStoppedEvent,
    ModeChangedEvent,
    PowerChangedEvent,
    TemperatureChangedEvent,
)
from nwp500.simulator import devicestate
from nwp500.state_tracker import DeviceStateTracker, detect_changes
from nwp500.unit_system import (
    get_unit_system,
    preferred_to_half_celsius,
    reset_unit_system,
    set_unit_system,
)

MAC_A = "04786332fca0"
MAC_B = "04786332fcb1"

# ---------------------------------------------------------------------------------------
# Appendix A / B key lists, by decoding (copied from the reference)
# ---------------------------------------------------------------------------------------

A_INT = """command specialFunctionStatus errorCode subErrorCode smartDiagnostic faultStatus1
faultStatus2 wifiRssi drEventStatus vacationDaySetting vacationDayElapsed antiLegionellaPeriod
programReservationType currentStatenum targetFanRpm currentFanRpm fanPwm eevStep
airFilterAlarmPeriod airFilterAlarmElapsed cumulatedOpTimeEvaFan touStatus drOverrideStatus
touOverrideStatus recircOperationMode recircPumpOperationStatus recircHotBtnReady
recircOperationReason recircErrorStatus""".split()
A_INT_OR_STR = ["tempFormulaType"]
A_FLOAT = """outsideTemperature dhwChargePer mixingRate cumulatedDhwFlowRate totalEnergyCapacity
availableEnergyCapacity currentInstPower""".split()
A_BOOL = """didReload operationBusy freezeProtectionUse dhwUse dhwUseSustained
programReservationUse ecoUse compUse eevUse evaFanUse shutOffValveUse conOvrSensorUse
wtrOvrSensorUse antiLegionellaUse antiLegionellaOperationBusy errorBuzzerUse currentHeatUse
heatUpperUse heatLowerUse scaldUse airFilterAlarmUse recircOperationBusy
recircReservationUse""".split()
A_HALF_C = """dhwTemperature dhwTemperatureSetting dhwTargetTemperatureSetting
freezeProtectionTemperature dhwTemperature2 hpUpperOnTempSetting hpUpperOffTempSetting
hpLowerOnTempSetting hpLowerOffTempSetting heUpperOnTempSetting heUpperOffTempSetting
heLowerOnTempSetting heLowerOffTempSetting heatMinOpTemperature recircTempSetting
recircTemperature recircFaucetTemperature freezeProtectionTempMin freezeProtectionTempMax""".split()
A_DIV10 = """currentInletTemperature currentDhwFlowRate hpUpperOnDiffTempSetting
hpUpperOffDiffTempSetting hpLowerOnDiffTempSetting hpLowerOffDiffTempSetting
heUpperOnDiffTempSetting heUpperOffDiffTempSetting heLowerOnTDiffempSetting
heLowerOffDiffTempSetting recircDhwFlowRate""".split()
A_DECI_C = """tankUpperTemperature tankLowerTemperature dischargeTemperature suctionTemperature
evaporatorTemperature ambientTemperature targetSuperHeat currentSuperHeat""".split()
A_ENUM = ["operationMode", "dhwOperationSetting", "temperatureType"]
A_OPTIONAL = {"operationMode", "dhwOperationSetting", "temperatureType",
              "freezeProtectionTempMin", "freezeProtectionTempMax"}
APPENDIX_A = A_INT + A_INT_OR_STR + A_FLOAT + A_BOOL + A_HALF_C + A_DIV10 + A_DECI_C + A_ENUM
A_REQUIRED = [k for k in APPENDIX_A if k not in A_OPTIONAL]

B_INT = """countryCode modelTypeCode controlTypeCode volumeCode controllerSwVersion panelSwVersion
wifiSwVersion controllerSwCode panelSwCode wifiSwCode powerUse holidayUse programReservationUse
dhwUse dhwTemperatureSettingUse smartDiagnosticUse wifiRssiUse tempFormulaType energyUsageUse
freezeProtectionUse mixingValueUse drSettingUse antiLegionellaSettingUse hpwhUse dhwRefillUse
ecoUse electricUse heatpumpUse energySaverUse highDemandUse""".split()
B_STR = ["controllerSerialNumber"]
B_HALF_C = ["dhwTemperatureMin", "dhwTemperatureMax", "freezeProtectionTempMin",
            "freezeProtectionTempMax"]
B_ENUM = ["temperatureType"]
APPENDIX_B = B_INT + B_STR + B_HALF_C + B_ENUM
B_REQUIRED = [k for k in APPENDIX_B if k != "temperatureType"]


def test_appendix_key_counts() -> None:
    assert len(APPENDIX_A) == len(set(APPENDIX_A)) == 101
    assert len(A_REQUIRED) == 96
    assert len(APPENDIX_B) == len(set(APPENDIX_B)) == 36
    assert len(B_REQUIRED) == 35


# ---------------------------------------------------------------------------------------
# Fixtures: a complete status and feature built from the appendices
# ---------------------------------------------------------------------------------------

STATUS = {
    # int
    "command": 16777219, "specialFunctionStatus": 0, "errorCode": 0, "subErrorCode": 0,
    "smartDiagnostic": 0, "faultStatus1": 0, "faultStatus2": 0, "wifiRssi": -52,
    "drEventStatus": 0, "vacationDaySetting": 0, "vacationDayElapsed": 0,
    "antiLegionellaPeriod": 7, "programReservationType": 0, "currentStatenum": 0,
    "targetFanRpm": 1100, "currentFanRpm": 1088, "fanPwm": 62, "eevStep": 180,
    "airFilterAlarmPeriod": 1000, "airFilterAlarmElapsed": 212, "cumulatedOpTimeEvaFan": 1843,
    "touStatus": 1, "drOverrideStatus": 0, "touOverrideStatus": 2, "recircOperationMode": 0,
    "recircPumpOperationStatus": 0, "recircHotBtnReady": 0, "recircOperationReason": 0,
    "recircErrorStatus": 0,
    # int or str
    "tempFormulaType": 1,
    # float
    "outsideTemperature": 30, "dhwChargePer": 95, "mixingRate": 0.0,
    "cumulatedDhwFlowRate": 1000, "totalEnergyCapacity": 1580,
    "availableEnergyCapacity": 1485, "currentInstPower": 465,
    # DeviceBool
    "didReload": 0, "operationBusy": 1, "freezeProtectionUse": 2, "dhwUse": 1,
    "dhwUseSustained": 1, "programReservationUse": 1, "ecoUse": 1, "compUse": 2, "eevUse": 2,
    "evaFanUse": 2, "shutOffValveUse": 1, "conOvrSensorUse": 1, "wtrOvrSensorUse": 1,
    "antiLegionellaUse": 2, "antiLegionellaOperationBusy": 1, "errorBuzzerUse": 2,
    "currentHeatUse": 1, "heatUpperUse": 1, "heatLowerUse": 1, "scaldUse": 1,
    "airFilterAlarmUse": 2, "recircOperationBusy": 1, "recircReservationUse": 1,
    # half-degrees Celsius
    "dhwTemperature": 119, "dhwTemperatureSetting": 120, "dhwTargetTemperatureSetting": 120,
    "freezeProtectionTemperature": 12, "dhwTemperature2": 114,
    "hpUpperOnTempSetting": 110, "hpUpperOffTempSetting": 120, "hpLowerOnTempSetting": 108,
    "hpLowerOffTempSetting": 120, "heUpperOnTempSetting": 106, "heUpperOffTempSetting": 120,
    "heLowerOnTempSetting": 104, "heLowerOffTempSetting": 120, "heatMinOpTemperature": 70,
    "recircTempSetting": 0, "recircTemperature": 0, "recircFaucetTemperature": 0,
    "freezeProtectionTempMin": 12, "freezeProtectionTempMax": 20,
    # tenths
    "currentInletTemperature": 30, "currentDhwFlowRate": 38,
    "hpUpperOnDiffTempSetting": -50, "hpUpperOffDiffTempSetting": 5,
    "hpLowerOnDiffTempSetting": -60, "hpLowerOffDiffTempSetting": 0,
    "heUpperOnDiffTempSetting": -70, "heUpperOffDiffTempSetting": 0,
    "heLowerOnTDiffempSetting": -80, "heLowerOffDiffTempSetting": 0, "recircDhwFlowRate": 0,
    # tenths of a degree Celsius
    "tankUpperTemperature": 595, "tankLowerTemperature": 521, "dischargeTemperature": 489,
    "suctionTemperature": 205, "evaporatorTemperature": 198, "ambientTemperature": 212,
    "targetSuperHeat": 50, "currentSuperHeat": 48,
    # enums
    "operationMode": 32, "dhwOperationSetting": 3, "temperatureType": 2,
}

FEATURE = {
    "countryCode": 3, "modelTypeCode": 513, "controlTypeCode": 100, "volumeCode": 65,
    "controllerSwVersion": 184614912, "panelSwVersion": 0, "wifiSwVersion": 34013184,
    "controllerSwCode": 1, "panelSwCode": 0, "wifiSwCode": 4,
    "controllerSerialNumber": "56496061BT22230408",
    "powerUse": 2, "holidayUse": 2, "programReservationUse": 2, "dhwUse": 2,
    "dhwTemperatureSettingUse": 2, "smartDiagnosticUse": 2, "wifiRssiUse": 2,
    "tempFormulaType": 1, "energyUsageUse": 2, "freezeProtectionUse": 2, "mixingValueUse": 1,
    "drSettingUse": 2, "antiLegionellaSettingUse": 2, "hpwhUse": 2, "dhwRefillUse": 2,
    "ecoUse": 2, "electricUse": 2, "heatpumpUse": 2, "energySaverUse": 2, "highDemandUse": 2,
    "dhwTemperatureMin": 70, "dhwTemperatureMax": 131,
    "freezeProtectionTempMin": 12, "freezeProtectionTempMax": 20, "temperatureType": 2,
}


@pytest.fixture(autouse=True)
def _unit_system_reset():
    reset_unit_system()
    yield
    reset_unit_system()


def test_fixtures_cover_exactly_the_appendices() -> None:
    assert set(STATUS) == set(APPENDIX_A)
    assert set(FEATURE) == set(APPENDIX_B)


def test_models_read_every_appendix_key() -> None:
    status_keys = {f.key for f in DeviceStatus._fields} | {
        k for f in DeviceStatus._fields for k in f.alt_keys}
    feature_keys = {f.key for f in DeviceFeature._fields} | {
        k for f in DeviceFeature._fields for k in f.alt_keys}
    assert set(APPENDIX_A) <= status_keys
    assert set(APPENDIX_B) <= feature_keys


def test_simulator_payloads_carry_exactly_the_appendix_keys() -> None:
    assert set(devicestate.initial_status()) == set(APPENDIX_A)
    assert set(devicestate.initial_feature("SN")) == set(APPENDIX_B)


# ---------------------------------------------------------------------------------------
# Decoding, both unit systems
# ---------------------------------------------------------------------------------------

# attribute: (us_customary value, metric value)
STATUS_UNIT_VALUES = {
    "dhw_temperature": (139.1, 59.5),
    "dhw_temperature_setting": (140.0, 60.0),
    "dhw_target_temperature_setting": (140.0, 60.0),
    "dhw_temperature2": (134.6, 57.0),
    "freeze_protection_temperature": (42.8, 6.0),
    "heat_min_op_temperature": (95.0, 35.0),
    "hp_upper_on_temp_setting": (131.0, 55.0),
    "he_lower_on_temp_setting": (125.6, 52.0),
    "recirc_temperature": (32.0, 0.0),
    "freeze_protection_temp_min": (42.8, 6.0),
    "freeze_protection_temp_max": (50.0, 10.0),
    "current_inlet_temperature": (59.0, 15.0),
    "tank_upper_temperature": (139.1, 59.5),
    "tank_lower_temperature": (125.78, 52.1),
    "discharge_temperature": (120.02, 48.9),
    "ambient_temperature": (70.16, 21.2),
    "target_super_heat": (41.0, 5.0),
    # differences: scaled, no +32
    "hp_upper_on_diff_temp_setting": (-9.0, -5.0),
    "hp_upper_off_diff_temp_setting": (0.9, 0.5),
    "he_lower_on_diff_temp_setting": (-14.4, -8.0),
    "he_lower_off_diff_temp_setting": (0.0, 0.0),
    # outsideTemperature raw 30 = 15 °C = 59 °F
    "outside_temperature": (59.0, 15.0),
    # flows (tenths of LPM) and volume (litres)
    "current_dhw_flow_rate": (1.0, 3.8),
    "recirc_dhw_flow_rate": (0.0, 0.0),
    "cumulated_dhw_flow_rate": (264.17, 1000.0),
}

STATUS_FIXED_VALUES = {
    "command": 16777219,
    "wifi_rssi": -52,
    "anti_legionella_period": 7,
    "air_filter_alarm_elapsed": 212,
    "dhw_charge_per": 95.0,
    "current_inst_power": 465.0,
    "mixing_rate": 0.0,
    "total_energy_capacity": 15800.0,
    "available_energy_capacity": 14850.0,
    "did_reload": False,
    "operation_busy": False,
    "freeze_protection_use": True,
    "comp_use": True,
    "heat_upper_use": False,
    "anti_legionella_use": True,
    "air_filter_alarm_use": True,
    "dhw_operation_busy": False,
    "tou_status": True,
    "tou_override_status": False,
    "operation_mode": CurrentOperationMode.HEAT_PUMP_MODE,
    "dhw_operation_setting": DhwOperationSetting.ENERGY_SAVER,
    "temperature_type": TemperatureType.FAHRENHEIT,
    "error_code": ErrorCode.NO_ERROR,
    "dr_event_status": DREvent.UNKNOWN,
    "recirc_operation_mode": RecirculationMode.UNKNOWN,
    "current_heat_use": HeatSource.HEATPUMP,
    "temp_formula_type": TempFormulaType.STANDARD,
    "mac_address": None,
}


@pytest.mark.parametrize("system, index", [("us_customary", 0), ("metric", 1)])
def test_status_decodes_every_key_in_both_unit_systems(system: str, index: int) -> None:
    set_unit_system(system)
    status = DeviceStatus.model_validate(STATUS)
    for name, values in STATUS_UNIT_VALUES.items():
        assert getattr(status, name) == pytest.approx(values[index], abs=1e-9), name
    for name, value in STATUS_FIXED_VALUES.items():
        got = getattr(status, name)
        assert got == value and type(got) is type(value), name
    # every key produced an attribute (none missing, none None)
    dump = status.model_dump()
    for f in DeviceStatus._fields:
        if f.key in STATUS:
            assert dump[f.store] is not None, f.key
            assert getattr(status, f.name) is not None, f.name


@pytest.mark.parametrize("system, index", [("us_customary", 0), ("metric", 1)])
def test_feature_decodes_every_key_in_both_unit_systems(system: str, index: int) -> None:
    set_unit_system(system)
    feature = DeviceFeature.model_validate(FEATURE)
    expected = {
        "dhw_temperature_min": (95.0, 35.0),
        "dhw_temperature_max": (149.9, 65.5),
        "freeze_protection_temp_min": (42.8, 6.0),
        "freeze_protection_temp_max": (50.0, 10.0),
    }
    for name, values in expected.items():
        assert getattr(feature, name) == pytest.approx(values[index], abs=1e-9), name
    assert feature.country_code == 3
    assert feature.model_type_code is UnitType.NPF
    assert feature.control_type_code == 100
    assert feature.volume_code is VolumeCode.VOLUME_50
    assert feature.controller_sw_version == 184614912
    assert feature.wifi_sw_version == 34013184
    assert feature.controller_serial_number == "56496061BT22230408"
    assert feature.dhw_temperature_setting_use is DHWControlTypeFlag.ENABLE_DOT_5_DEGREE
    assert feature.temp_formula_type is TempFormulaType.STANDARD
    assert feature.temperature_type is TemperatureType.FAHRENHEIT
    for flag in ("power_use", "holiday_use", "program_reservation_use", "dhw_use",
                 "smart_diagnostic_use", "wifi_rssi_use", "energy_usage_use",
                 "freeze_protection_use", "dr_setting_use", "anti_legionella_setting_use",
                 "hpwh_use", "dhw_refill_use", "eco_use", "electric_use", "heatpump_use",
                 "energy_saver_use", "high_demand_use"):
        assert getattr(feature, flag) is True, flag
    assert feature.mixing_valve_use is False and feature.mixing_value_use is False
    # 9.3.0-only keys absent from the device's payload take their defaults
    assert feature.recirc_sw_version == 0 and feature.recirc_model_type_code == 0
    assert feature.recirculation_use is False and feature.title24_use is False
    assert feature.recirc_temperature_min is None
    assert feature._raw_dhw_temperature_min == 70 and feature._raw_dhw_temperature_max == 131


def test_no_preference_follows_the_device_temperature_type() -> None:
    assert get_unit_system() is None
    fahrenheit = DeviceStatus.model_validate(STATUS)
    celsius = DeviceStatus.model_validate(dict(STATUS, temperatureType=1))
    assert fahrenheit.dhw_temperature_setting == 140.0
    assert celsius.dhw_temperature_setting == 60.0
    assert celsius.get_field_unit("dhw_temperature_setting") == " °C"
    # a preference overrides the device's own setting, also for objects already built
    set_unit_system("us_customary")
    assert celsius.dhw_temperature_setting == 140.0
    set_unit_system("metric")
    assert fahrenheit.dhw_temperature_setting == 60.0
    assert fahrenheit.current_dhw_flow_rate == 3.8


def test_outside_temperature_rounding_formulas() -> None:
    set_unit_system("us_customary")
    # raw 19 = 9.5 °C = 49.1 °F; raw 21 = 10.5 °C = 50.9 °F
    asym = {"tempFormulaType": 0}
    assert DeviceStatus.model_validate(dict(STATUS, outsideTemperature=19, **asym)).outside_temperature == 49.0
    assert DeviceStatus.model_validate(dict(STATUS, outsideTemperature=21, **asym)).outside_temperature == 51.0
    std = {"tempFormulaType": 1}
    assert DeviceStatus.model_validate(dict(STATUS, outsideTemperature=19, **std)).outside_temperature == 49.0
    assert DeviceStatus.model_validate(dict(STATUS, outsideTemperature=21, **std)).outside_temperature == 51.0
    assert DeviceStatus.model_validate(dict(STATUS, outsideTemperature=22, **std)).outside_temperature == 52.0
    # 6.1.1 sent it as a float; text formula types are tolerated
    status = DeviceStatus.model_validate(dict(STATUS, outsideTemperature=30.0, tempFormulaType="1"))
    assert status.outside_temperature == 59.0 and status.temp_formula_type is TempFormulaType.STANDARD
    set_unit_system("metric")
    assert DeviceStatus.model_validate(dict(STATUS, outsideTemperature=-11)).outside_temperature == -5.5


def test_optional_keys_take_their_defaults() -> None:
    data = {k: v for k, v in STATUS.items() if k not in A_OPTIONAL}
    status = DeviceStatus.model_validate(data)
    assert status.operation_mode is CurrentOperationMode.STANDBY
    assert status.dhw_operation_setting is DhwOperationSetting.ENERGY_SAVER
    assert status.temperature_type is TemperatureType.FAHRENHEIT
    assert status.freeze_protection_temp_min_raw == 12
    assert status.freeze_protection_temp_max_raw == 20
    assert status.freeze_protection_temp_min == 42.8
    assert status.freeze_protection_temp_max == 50.0
    feature = DeviceFeature.model_validate({k: v for k, v in FEATURE.items() if k != "temperatureType"})
    assert feature.temperature_type is TemperatureType.FAHRENHEIT


def test_misspelled_and_alias_keys() -> None:
    # the device's misspelling is the primary key; the correct spelling is a fallback
    fixed = {k: v for k, v in STATUS.items() if k != "heLowerOnTDiffempSetting"}
    fixed["heLowerOnDiffTempSetting"] = -30
    set_unit_system("metric")
    assert DeviceStatus.model_validate(fixed).he_lower_on_diff_temp_setting == -3.0
    assert DeviceStatus.model_validate(STATUS).he_lower_on_diff_temp_setting == -8.0
    # 9.3.0 reads mixingValveUse; the device sends mixingValueUse; both work
    valve = {k: v for k, v in FEATURE.items() if k != "mixingValueUse"}
    valve["mixingValveUse"] = 2
    assert DeviceFeature.model_validate(valve).mixing_valve_use is True


def test_unknown_enum_values_are_kept_as_ints() -> None:
    status = DeviceStatus.model_validate(dict(STATUS, operationMode=48, errorCode=123,
                                              dhwOperationSetting=9, drEventStatus=7))
    assert status.operation_mode == 48 and type(status.operation_mode) is int
    assert status.error_code == 123 and type(status.error_code) is int
    assert status.dhw_operation_setting == 9
    dump = status.model_dump()
    assert dump["operation_mode"] == 48 and dump["error_code"] == 123
    feature = DeviceFeature.model_validate(dict(FEATURE, volumeCode=99, modelTypeCode=7000))
    assert feature.volume_code == 99 and feature.model_type_code == 7000


def test_known_error_code_is_an_error_code_member() -> None:
    status = DeviceStatus.model_validate(dict(STATUS, errorCode=799))
    assert status.error_code is ErrorCode.E799_WATER_LEAK


# ---------------------------------------------------------------------------------------
# Malformed or incomplete payloads
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", A_REQUIRED)
def test_status_missing_required_key_names_it(key: str) -> None:
    data = {k: v for k, v in STATUS.items() if k != key}
    with pytest.raises(ValueError, match=f"'{key}'"):
        DeviceStatus.model_validate(data)


@pytest.mark.parametrize("key", B_REQUIRED)
def test_feature_missing_required_key_names_it(key: str) -> None:
    data = {k: v for k, v in FEATURE.items() if k != key}
    with pytest.raises(ValueError, match=f"'{key}'"):
        DeviceFeature.model_validate(data)


@pytest.mark.parametrize("key, value", [
    ("dhwTemperature", "hot"),
    ("dhwTemperature", None),
    ("errorCode", 1.5),
    ("compUse", [2]),
    ("operationMode", "running"),
    ("currentInstPower", {"w": 1}),
    ("outsideTemperature", float("nan")),
    ("heLowerOnTDiffempSetting", "x"),
])
def test_status_bad_value_names_the_key(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"DeviceStatus: .*'{key}'"):
        DeviceStatus.model_validate(dict(STATUS, **{key: value}))


def test_feature_bad_values_name_the_key() -> None:
    with pytest.raises(ValueError, match="'controllerSerialNumber'"):
        DeviceFeature.model_validate(dict(FEATURE, controllerSerialNumber=12345))
    with pytest.raises(ValueError, match="'dhwTemperatureMax'"):
        DeviceFeature.model_validate(dict(FEATURE, dhwTemperatureMax="max"))


@pytest.mark.parametrize("payload", [None, [], "status", 42])
def test_non_object_payload_is_a_value_error(payload: object) -> None:
    with pytest.raises(ValueError, match="DeviceStatus: expected an object"):
        DeviceStatus.model_validate(payload)
    with pytest.raises(ValueError, match="DeviceFeature: expected an object"):
        DeviceFeature.from_dict(payload)


def test_lenient_numbers_are_accepted() -> None:
    status = DeviceStatus.model_validate(dict(STATUS, dhwTemperature=119.0, command="16777219",
                                              wifiRssi=" -52 "))
    assert status.dhw_temperature_raw == 119 and type(status.dhw_temperature_raw) is int
    assert status.command == 16777219 and status.wifi_rssi == -52


def test_converted_attributes_are_read_only() -> None:
    status = DeviceStatus.model_validate(STATUS)
    with pytest.raises(AttributeError, match="dhw_temperature_raw"):
        status.dhw_temperature = 50.0
    status.mac_address = MAC_A  # what the MQTT client does
    assert status.mac_address == MAC_A


def test_device_models_module_still_exports_the_device_records() -> None:
    import nwp500
    import nwp500.device_models as compat
    import nwp500.models as models

    for name in compat.__all__:
        assert getattr(compat, name) is getattr(models, name), name
    assert set(compat.__all__) <= set(models.__all__)
    assert nwp500.device_models is compat and nwp500.DeviceStatus is models.DeviceStatus


# ---------------------------------------------------------------------------------------
# st / did short keys
# ---------------------------------------------------------------------------------------


def test_get_response_data_lookup_order() -> None:
    full, short, top, top_short = {"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}
    msg = {"response": {"status": full, "st": short}, "status": top, "st": top_short}
    assert get_response_data(msg, "status") == full
    msg["response"].pop("status")
    assert get_response_data(msg, "status") == short
    msg["response"].pop("st")
    assert get_response_data(msg, "status") == top
    msg.pop("status")
    assert get_response_data(msg, "status") == top_short
    msg.pop("st")
    assert get_response_data(msg, "status") is None


def test_get_response_data_feature_did_and_misses() -> None:
    assert get_response_data({"response": {"did": {"n": 1}}}, "feature") == {"n": 1}
    assert get_response_data({"did": {"n": 2}}, "feature") == {"n": 2}
    assert get_response_data({"response": {"feature": {"n": 3}, "did": {"n": 4}}}, "feature") == {"n": 3}
    # the client's own request (no response), other kinds, non-objects
    assert get_response_data({"request": {"command": 16777219}}, "status") is None
    assert get_response_data({"response": {"status": "ok"}, "st": {"n": 5}}, "status") == {"n": 5}
    assert get_response_data({"response": {"status": 0}}, "status") is None
    assert get_response_data(None, "status") is None
    assert get_response_data({"response": {"total": {}}}, "total") == {}
    assert get_response_data({"response": {"st": {"n": 6}}}, "feature") is None


def test_st_and_did_messages_decode() -> None:
    set_unit_system("us_customary")
    status = DeviceStatus.model_validate(get_response_data({"response": {"st": STATUS}}, "status"))
    feature = DeviceFeature.model_validate(get_response_data({"response": {"did": FEATURE}}, "feature"))
    assert status.dhw_temperature_setting == 140.0
    assert feature.dhw_temperature_max == 149.9


# ---------------------------------------------------------------------------------------
# get_field_unit
# ---------------------------------------------------------------------------------------

UNITS = {
    # name: (us_customary, metric)
    "dhw_temperature": (" °F", " °C"),
    "dhw_temperature_raw": (" °F", " °C"),
    "tank_upper_temperature": (" °F", " °C"),
    "outside_temperature": (" °F", " °C"),
    "current_inlet_temperature": (" °F", " °C"),
    "hp_upper_on_diff_temp_setting": (" °F", " °C"),
    "freeze_protection_temp_min": (" °F", " °C"),
    "current_dhw_flow_rate": (" GPM", " LPM"),
    "recirc_dhw_flow_rate": (" GPM", " LPM"),
    "cumulated_dhw_flow_rate": (" gal", " L"),
    "current_inst_power": (" W", " W"),
    "dhw_charge_per": (" %", " %"),
    "mixing_rate": (" %", " %"),
    "wifi_rssi": (" dBm", " dBm"),
    "total_energy_capacity": (" Wh", " Wh"),
    "vacation_day_setting": (" days", " days"),
    "air_filter_alarm_period": (" h", " h"),
    "target_fan_rpm": (" RPM", " RPM"),
    "dr_override_status": (" hours", " hours"),
    "command": ("", ""),
    "operation_mode": ("", ""),
    "comp_use": ("", ""),
    "no_such_field": ("", ""),
}


@pytest.mark.parametrize("system, index", [("us_customary", 0), ("metric", 1)])
def test_get_field_unit(system: str, index: int) -> None:
    set_unit_system(system)
    status = DeviceStatus.model_validate(STATUS)
    for name, units in UNITS.items():
        assert status.get_field_unit(name) == units[index], name
    feature = DeviceFeature.model_validate(FEATURE)
    assert feature.get_field_unit("dhw_temperature_max") == (" °F", " °C")[index]
    assert feature.get_field_unit("volume_code") == " gal"
    assert feature.get_field_unit("controller_serial_number") == ""
    # Home Assistant strips the leading space
    assert status.get_field_unit("dhw_temperature").strip() == ("°F", "°C")[index]


# ---------------------------------------------------------------------------------------
# model_dump shapes
# ---------------------------------------------------------------------------------------


def test_status_model_dump_shape() -> None:
    set_unit_system("us_customary")
    status = DeviceStatus.model_validate(STATUS)
    status.mac_address = MAC_A
    dump = status.model_dump()
    assert dump["mac_address"] == MAC_A
    assert dump["temperature_type"] == "FAHRENHEIT"
    assert dump["operation_mode"] == "HEAT_PUMP_MODE"
    assert dump["dhw_operation_setting"] == "ENERGY_SAVER"
    assert dump["error_code"] == "NO_ERROR"
    assert dump["current_heat_use"] == "HEATPUMP"
    assert dump["comp_use"] is True and dump["operation_busy"] is False
    assert dump["dhw_temperature_raw"] == 119 and dump["dhw_temperature"] == 139.1
    assert dump["tank_upper_temperature_raw"] == 595 and dump["tank_upper_temperature"] == 139.1
    assert dump["he_lower_on_diff_temp_setting_raw"] == -80
    assert dump["he_lower_on_diff_temp_setting"] == -14.4
    assert dump["total_energy_capacity"] == 15800.0
    assert all(k == k.lower() for k in dump), "snake_case keys"
    # every attribute Home Assistant reads by name is there
    for name in ("dhw_temperature", "dhw_temperature_setting", "dhw_target_temperature_setting",
                 "tank_upper_temperature", "tank_lower_temperature", "outside_temperature",
                 "current_inst_power", "dhw_charge_per", "wifi_rssi", "error_code",
                 "sub_error_code", "operation_mode", "dhw_operation_setting",
                 "vacation_day_setting", "anti_legionella_use", "anti_legionella_period",
                 "freeze_protection_temperature", "tou_status", "dr_event_status",
                 "recirc_operation_mode", "current_dhw_flow_rate", "cumulated_dhw_flow_rate",
                 "available_energy_capacity", "total_energy_capacity", "eva_fan_use",
                 "heat_upper_use", "heat_lower_use", "air_filter_alarm_elapsed"):
        assert name in dump, name
    # json mode and filters
    assert status.model_dump(mode="json") == dump
    assert status.model_dump(include={"dhw_temperature", "mac_address"}) == {
        "mac_address": MAC_A, "dhw_temperature": 139.1}
    assert "dhwTemperature" in status.model_dump(by_alias=True)


def test_dumps_round_trip() -> None:
    status = DeviceStatus.model_validate(STATUS)
    status.mac_address = MAC_A
    assert DeviceStatus.model_validate(status.model_dump()) == status
    assert DeviceStatus.model_validate(status.to_protocol_dict()) == status
    protocol = status.to_protocol_dict()
    for key, value in STATUS.items():
        if key == "didReload":  # 0 reads as off, written back as 1 (off)
            assert protocol[key] == 1
        else:
            assert protocol[key] == value, key
    feature = DeviceFeature.model_validate(FEATURE)
    assert DeviceFeature.model_validate(feature.model_dump()) == feature
    assert DeviceFeature.model_validate(feature.to_protocol_dict()) == feature


def test_feature_model_dump_shape() -> None:
    feature = DeviceFeature.model_validate(FEATURE)
    dump = feature.model_dump()
    assert dump["controller_serial_number"] == "56496061BT22230408"
    assert dump["volume_code"] == "VOLUME_50"
    assert dump["controller_sw_version"] == 184614912
    assert dump["model_type_code"] == "NPF"
    assert dump["dhw_temperature_min"] == 95.0 and dump["dhw_temperature_max"] == 149.9
    assert dump["dhw_temperature_min_raw"] == 70
    assert dump["power_use"] is True and dump["mixing_valve_use"] is False


def test_repr_hides_the_mac() -> None:
    status = DeviceStatus.model_validate(STATUS)
    status.mac_address = MAC_A
    feature = DeviceFeature.model_validate(FEATURE)
    feature.mac_address = MAC_A
    assert MAC_A not in repr(status) and "mac_address=<REDACTED>" in repr(status)
    assert MAC_A not in str(feature)


def test_reservation_schedule_from_hex_and_dump_shape() -> None:
    set_unit_system("us_customary")
    # entry 1: enabled, Mon+Wed+Fri (64+16+4 = 84), 06:30, mode 3, 140 °F; then an empty slot
    text = "025406" "1e0378" "000000000000" "013e1700" "0464"
    schedule = ReservationSchedule.model_validate({"reservationUse": 2, "reservation": text})
    assert schedule.enabled is True and len(schedule.reservation) == 2
    dump = schedule.model_dump()
    assert set(dump) == {"reservation_use", "reservation", "enabled"}
    assert dump["reservation_use"] == 2
    first = dump["reservation"][0]
    assert {k: first[k] for k in ("enable", "week", "hour", "min", "mode", "param")} == {
        "enable": 2, "week": 84, "hour": 6, "min": 30, "mode": 3, "param": 120}
    assert first["enabled"] is True
    assert first["days"] == ["Monday", "Wednesday", "Friday"]
    assert first["time"] == "06:30" and first["temperature"] == 140.0 and first["unit"] == "°F"
    assert first["mode_name"] == "Energy Saver"
    second = dump["reservation"][1]
    assert second["enabled"] is False and second["days"] == [
        "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    assert second["param"] == 100 and second["temperature"] == 122.0
    set_unit_system("metric")
    assert schedule.model_dump()["reservation"][0]["temperature"] == 60.0
    assert schedule.reservation[0].unit == "°C"


def test_reservation_schedule_from_list_and_canonical() -> None:
    entries = [{"enable": 2, "week": 2, "hour": 22, "min": 0, "mode": 1, "param": 98},
               {"enable": 1, "week": 128, "hour": 5, "min": 15, "mode": 4, "param": 120}]
    one = ReservationSchedule.model_validate({"reservationUse": 1, "reservation": entries})
    two = ReservationSchedule.model_validate({"reservationUse": 1, "reservation": entries[::-1]})
    assert one.enabled is False
    assert one.canonical() == two.canonical() == (
        False, ((1, 128, 5, 15, 4, 120), (2, 2, 22, 0, 1, 98)))
    assert ReservationSchedule.model_validate({"reservationUse": 2, "reservation": ""}).reservation == []
    assert ReservationSchedule.model_validate({}).model_dump() == {
        "reservation_use": 0, "reservation": [], "enabled": False}
    # the shape round-trips through model_dump (what Home Assistant stores)
    assert ReservationSchedule.model_validate(one.model_dump()) == one
    with pytest.raises(ValueError, match="'reservation'"):
        ReservationSchedule.model_validate({"reservation": "zz"})
    with pytest.raises(ValueError, match=r"'reservation'\[0\]"):
        ReservationSchedule.model_validate({"reservation": [{"hour": "noon"}]})


def test_decode_helpers() -> None:
    assert decode_reservation_hex("") == []
    assert decode_reservation_hex("0254061e0378" "0102") == [
        {"enable": 2, "week": 84, "hour": 6, "min": 30, "mode": 3, "param": 120}]
    assert decode_week_bitfield(254) == ["Monday", "Tuesday", "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"]
    assert decode_week_bitfield(130) == ["Saturday", "Sunday"]


def test_tou_schedule_dump_shape() -> None:
    period = {"season": 448, "week": 124, "startHour": 9, "startMinute": 0, "endHour": 17,
              "endMinute": 30, "priceMin": 10, "priceMax": 25, "decimalPoint": 2}
    schedule = TOUReservationSchedule.model_validate({"reservationUse": 2, "reservation": [period]})
    dump = schedule.model_dump()
    assert set(dump) == {"reservation_use", "reservation", "enabled"}
    assert dump["reservation_use"] == 2 and dump["enabled"] is True
    entry = dump["reservation"][0]
    assert {k: entry[k] for k in ("season", "week", "start_hour", "start_min", "end_hour",
                                  "end_min", "price_min", "price_max", "decimal_point")} == {
        "season": 448, "week": 124, "start_hour": 9, "start_min": 0, "end_hour": 17,
        "end_min": 30, "price_min": 10, "price_max": 25, "decimal_point": 2}
    assert entry["start_time"] == "09:00" and entry["end_time"] == "17:30"
    assert entry["decoded_price_min"] == pytest.approx(0.10)
    assert entry["decoded_price_max"] == pytest.approx(0.25)
    assert TOUReservationSchedule.model_validate(dump) == schedule
    assert schedule.canonical() == (True, ((448, 124, 9, 0, 17, 30, 10, 25, 2),))
    assert TOUReservationSchedule.model_validate({"reservation": [{}]}).reservation[0].decimal_point == 5


def test_energy_usage_response() -> None:
    day = {"hpUsage": 1200, "heUsage": 300, "hpTime": 5, "heTime": 1}
    response = {
        "typeOfUsage": 1,
        "total": {"hpUsage": 36000, "heUsage": 4000, "hpTime": 150, "heTime": 12},
        "usage": [{"year": 2025, "month": 9, "data": [day] * 30}],
    }
    energy = EnergyUsageResponse.model_validate(response)
    assert energy.total.heat_pump_usage == 36000 and energy.total.total_usage == 40000
    assert energy.total.heat_pump_percentage == 90.0
    assert energy.total.heat_element_percentage == 10.0
    assert energy.total.total_time == 162 and energy.total.hp_usage == 36000
    month = energy.get_month_data(2025, 9)
    assert month is not None and len(month.data) == 30 and month.data[0].total_usage == 1500
    assert energy.get_month_data(2024, 1) is None
    dump = energy.model_dump()
    assert dump["total"]["heat_pump_usage"] == 36000
    assert dump["usage"][0]["data"][0] == {"heat_pump_usage": 1200, "heat_element_usage": 300,
                                           "heat_pump_time": 5, "heat_element_time": 1}
    with pytest.raises(ValueError, match="'total'"):
        EnergyUsageResponse.model_validate({"usage": []})
    with pytest.raises(ValueError, match="'usage'"):
        EnergyUsageResponse.model_validate({"total": {}})
    with pytest.raises(ValueError, match=r"'usage'\[0\]: MonthlyEnergyData: missing required field 'year'"):
        EnergyUsageResponse.model_validate({"total": {}, "usage": [{"month": 1, "data": []}]})


# ---------------------------------------------------------------------------------------
# The simulator's payloads
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("system", ["us_customary", "metric"])
def test_simulator_payloads_decode(system: str) -> None:
    metric = system == "metric"
    set_unit_system(system)
    state = devicestate.DeviceState("56496061BT22230408", thermal=False)
    message = {"response": {"command": devicestate.STATUS, "status": state.status_for(devicestate.STATUS)}}
    status = DeviceStatus.model_validate(get_response_data(message, "status"))
    assert status.command == CommandCode.STATUS_REQUEST
    assert status.dhw_temperature == (59.5 if metric else 139.1)
    assert status.dhw_temperature_setting == (60.0 if metric else 140.0)
    assert status.tank_upper_temperature == (59.5 if metric else 139.1)
    assert status.tank_lower_temperature == (57.0 if metric else 134.6)
    assert status.heat_min_op_temperature == (2.5 if metric else 36.5)
    assert status.hp_upper_on_diff_temp_setting == (-5.0 if metric else -9.0)
    assert status.he_lower_on_diff_temp_setting == (-8.0 if metric else -14.4)
    assert status.outside_temperature == (0.0 if metric else 32.0)
    assert status.cumulated_dhw_flow_rate == (31874.0 if metric else 8420.22)
    assert status.total_energy_capacity == 15800.0
    assert status.dhw_charge_per == 94.0
    assert status.operation_mode is CurrentOperationMode.STANDBY
    assert status.dhw_operation_setting is DhwOperationSetting.ENERGY_SAVER
    assert status.anti_legionella_use is True and status.comp_use is False
    assert status.tou_status is False
    assert status.get_field_unit("dhw_temperature") == (" °C" if metric else " °F")

    feature = DeviceFeature.model_validate(
        get_response_data({"response": {"did": state.feature}}, "feature"))
    assert feature.controller_serial_number == "56496061BT22230408"
    assert feature.dhw_temperature_min == (35.0 if metric else 95.0)
    assert feature.dhw_temperature_max == (65.5 if metric else 149.9)
    assert feature.freeze_protection_temp_min == (6.0 if metric else 42.8)

    # a control command: 110 half-°C = 55 °C = 131 °F; then heating with the heat pump
    assert state.apply(devicestate.DHW_TEMPERATURE, [110])
    assert state.apply(devicestate.DHW_MODE, [devicestate.HEAT_PUMP])
    state.status["operationMode"] = devicestate.HEAT_PUMP_MODE
    state._temp = 100.0
    state._update_heating()
    after = DeviceStatus.model_validate(state.status_for(devicestate.DHW_TEMPERATURE))
    assert after.command == CommandCode.DHW_TEMPERATURE
    assert after.dhw_temperature_setting == (55.0 if metric else 131.0)
    assert after.dhw_operation_setting is DhwOperationSetting.HEAT_PUMP
    assert after.operation_mode is CurrentOperationMode.HEAT_PUMP_MODE
    assert after.current_inst_power == 465.0 and after.comp_use is True
    assert after.dhw_temperature == (50.0 if metric else 122.0)


def test_simulator_powered_off_and_vacation() -> None:
    state = devicestate.DeviceState("SN", thermal=False)
    state.apply(devicestate.POWER_OFF, [])
    assert DeviceStatus.model_validate(state.status_for(devicestate.POWER_OFF)).dhw_operation_setting \
        is DhwOperationSetting.POWER_OFF
    state.apply(devicestate.POWER_ON, [])
    state.apply(devicestate.DHW_MODE, [5, 7])
    status = DeviceStatus.model_validate(state.status_for(devicestate.DHW_MODE))
    assert status.dhw_operation_setting is DhwOperationSetting.VACATION
    assert status.vacation_day_setting == 7


# ---------------------------------------------------------------------------------------
# State tracker
# ---------------------------------------------------------------------------------------


def _status(**changes: object) -> DeviceStatus:
    return DeviceStatus.model_validate(dict(STATUS, **changes))


IDLE = {"currentInstPower": 0, "operationMode": 0}


def test_first_status_is_only_a_baseline() -> None:
    tracker = DeviceStateTracker()
    assert tracker.update(MAC_A, _status(**IDLE)) == []
    assert tracker.update(MAC_A, _status(**IDLE)) == []
    assert tracker.previous(MAC_A) is not None


def test_temperature_change_reports_the_preferred_unit() -> None:
    set_unit_system("us_customary")
    tracker = DeviceStateTracker()
    tracker.update(MAC_A, _status(dhwTemperature=119))
    assert tracker.update(MAC_A, _status(dhwTemperature=120)) == [
        ("temperature_changed", TemperatureChangedEvent(MAC_A, 139.1, 140.0))]
    set_unit_system("metric")
    assert tracker.update(MAC_A, _status(dhwTemperature=121)) == [
        ("temperature_changed", TemperatureChangedEvent(MAC_A, 60.0, 60.5))]
    # same raw value: no event, whatever the unit system
    set_unit_system("us_customary")
    assert tracker.update(MAC_A, _status(dhwTemperature=121)) == []


def test_heating_start_and_stop_sequences() -> None:
    tracker = DeviceStateTracker()
    idle = _status(**IDLE)
    heating = _status(currentInstPower=465, operationMode=32)
    tracker.update(MAC_A, idle)
    events = tracker.update(MAC_A, heating)
    assert [name for name, _ in events] == ["mode_changed", "power_changed", "heating_started"]
    assert events[0][1] == ModeChangedEvent(MAC_A, CurrentOperationMode.STANDBY,
                                            CurrentOperationMode.HEAT_PUMP_MODE)
    assert events[1][1] == PowerChangedEvent(MAC_A, 0.0, 465.0)
    assert events[2][1] == HeatingStartedEvent(MAC_A, heating)
    more = _status(currentInstPower=500, operationMode=32)
    assert tracker.update(MAC_A, more) == [("power_changed", PowerChangedEvent(MAC_A, 465.0, 500.0))]
    stopped = _status(**IDLE)
    events = tracker.update(MAC_A, stopped)
    assert [name for name, _ in events] == ["mode_changed", "power_changed", "heating_stopped"]
    assert events[2][1] == HeatingStoppedEvent(MAC_A, stopped)


def test_error_sequences() -> None:
    tracker = DeviceStateTracker()
    tracker.update(MAC_A, _status(errorCode=0))
    first = _status(errorCode=96)
    assert tracker.update(MAC_A, first) == [
        ("error_detected", ErrorDetectedEvent(MAC_A, ErrorCode.E096_UPPER_HEATER, first))]
    assert tracker.update(MAC_A, _status(errorCode=96)) == []
    second = _status(errorCode=97)
    assert tracker.update(MAC_A, second) == [
        ("error_detected", ErrorDetectedEvent(MAC_A, ErrorCode.E097_LOWER_HEATER, second))]
    assert tracker.update(MAC_A, _status(errorCode=0)) == [
        ("error_cleared", ErrorClearedEvent(MAC_A, ErrorCode.E097_LOWER_HEATER))]
    assert tracker.update(MAC_A, _status(errorCode=0)) == []
    unknown = _status(errorCode=4242)
    assert tracker.update(MAC_A, unknown) == [("error_detected", ErrorDetectedEvent(MAC_A, 4242, unknown))]


def test_all_changes_at_once_come_in_the_reference_order() -> None:
    tracker = DeviceStateTracker()
    tracker.update(MAC_A, _status(dhwTemperature=100, errorCode=0, **IDLE))
    events = tracker.update(MAC_A, _status(dhwTemperature=101, errorCode=799,
                                           currentInstPower=3780, operationMode=96))
    assert [name for name, _ in events] == [
        "temperature_changed", "mode_changed", "power_changed", "heating_started", "error_detected"]
    events = tracker.update(MAC_A, _status(dhwTemperature=102, errorCode=0, **IDLE))
    assert [name for name, _ in events] == [
        "temperature_changed", "mode_changed", "power_changed", "heating_stopped", "error_cleared"]


def test_two_devices_do_not_interfere() -> None:
    tracker = DeviceStateTracker()
    a_idle, b_hot = _status(**IDLE), _status(currentInstPower=3780, operationMode=96, errorCode=96,
                                             dhwTemperature=130)
    assert tracker.update(MAC_A, a_idle) == []
    # B's first status differs from A's in everything, but it is B's baseline
    assert tracker.update(MAC_B, b_hot) == []
    # A again, unchanged: nothing, although the last status seen overall was B's
    assert tracker.update(MAC_A, _status(**IDLE)) == []
    # B changes: events carry B's MAC and compare with B's own baseline
    b_cool = _status(currentInstPower=0, operationMode=96, errorCode=96, dhwTemperature=130)
    events = tracker.update(MAC_B, b_cool)
    assert [name for name, _ in events] == ["power_changed", "heating_stopped"]
    assert all(event.device_mac == MAC_B for _, event in events)
    # A changes: compared with A's baseline only
    a_hot = _status(currentInstPower=465, operationMode=32)
    events = tracker.update(MAC_A, a_hot)
    assert [name for name, _ in events] == ["mode_changed", "power_changed", "heating_started"]
    assert all(event.device_mac == MAC_A for _, event in events)
    # forgetting one device leaves the other's baseline alone
    tracker.forget(MAC_B)
    assert tracker.update(MAC_B, b_hot) == []
    assert tracker.update(MAC_A, _status(**IDLE))[-1][0] == "heating_stopped"
    tracker.clear()
    assert tracker.update(MAC_A, b_hot) == []


def test_detect_changes_is_pure() -> None:
    before, after = _status(**IDLE), _status(currentInstPower=10, operationMode=0)
    assert detect_changes(MAC_A, None, after) == []
    assert [n for n, _ in detect_changes(MAC_A, before, after)] == ["power_changed", "heating_started"]
    assert [n for n, _ in detect_changes(MAC_A, after, before)] == ["power_changed", "heating_stopped"]


def test_uncomparable_status_is_logged_and_recorded(caplog: pytest.LogCaptureFixture) -> None:
    tracker = DeviceStateTracker()
    tracker.update(MAC_A, _status())
    assert tracker.update(MAC_A, object()) == []
    assert "Error detecting state changes" in caplog.text
    assert tracker.update(MAC_A, _status()) == []  # compared with the bad one: logged, no crash


def test_process_emits_in_order_on_the_emitter() -> None:
    emitter = EventEmitter()
    seen: list[tuple[str, object]] = []
    for name in ("temperature_changed", "mode_changed", "power_changed", "heating_started",
                 "heating_stopped", "error_detected", "error_cleared"):
        emitter.on(name, lambda event, name=name: seen.append((name, event)))
    tracker = DeviceStateTracker(emitter)

    async def run() -> None:
        assert await tracker.process(MAC_A, _status(**IDLE)) == []
        await tracker.process(MAC_A, _status(dhwTemperature=121, currentInstPower=465, operationMode=32))

    asyncio.run(run())
    assert [name for name, _ in seen] == [
        "temperature_changed", "mode_changed", "power_changed", "heating_started"]
    assert all(event.device_mac == MAC_A for _, event in seen)


# ---------------------------------------------------------------------------------------
# Enums and unit helpers
# ---------------------------------------------------------------------------------------


def test_enum_members() -> None:
    assert [m.value for m in CurrentOperationMode] == [0, 32, 64, 96]
    assert [m.name for m in CurrentOperationMode] == [
        "STANDBY", "HEAT_PUMP_MODE", "HYBRID_EFFICIENCY_MODE", "HYBRID_BOOST_MODE"]
    assert [m.name for m in DhwOperationSetting] == [
        "HEAT_PUMP", "ELECTRIC", "ENERGY_SAVER", "HIGH_DEMAND", "VACATION", "POWER_OFF"]
    assert [m.value for m in DhwOperationSetting] == [1, 2, 3, 4, 5, 6]
    assert TemperatureType.CELSIUS == 1 and TemperatureType.FAHRENHEIT == 2
    assert CurrentOperationMode(64) is CurrentOperationMode.HYBRID_EFFICIENCY_MODE


def test_command_codes() -> None:
    codes = {
        "DEVICE_INFO_REQUEST": 16777217, "STATUS_REQUEST": 16777219, "RESERVATION_READ": 16777222,
        "ENERGY_USAGE_QUERY": 16777225, "RESERVATION_MANAGEMENT": 16777226,
        "POWER_OFF": 33554433, "POWER_ON": 33554434, "DHW_MODE": 33554437,
        "TOU_RESERVATION": 33554439, "DHW_TEMPERATURE": 33554464,
        "ANTI_LEGIONELLA_OFF": 33554471, "ANTI_LEGIONELLA_ON": 33554472,
        "TOU_OFF": 33554475, "TOU_ON": 33554476,
        # 9.3.0-only
        "RESERVATION_WEEKLY": 33554438, "RECIR_RESERVATION": 33554440,
        "RESERVATION_WATER_PROGRAM": 33554441, "OTA_COMMIT": 33554442, "OTA_CHECK": 33554443,
        "RECIR_HOT_BTN": 33554444, "RECIR_MODE": 33554445, "WIFI_RECONNECT": 33554446,
        "WIFI_RESET": 33554447, "FREZ_TEMP": 33554451, "SMART_DIAGNOSTIC": 33554455,
        "GOOUT_DAY": 33554466, "RESERVATION_INTELLIGENT_OFF": 33554467,
        "RESERVATION_INTELLIGENT_ON": 33554468, "DR_OFF": 33554469, "DR_ON": 33554470,
        "AIR_FILTER_RESET": 33554473, "AIR_FILTER_LIFE": 33554474,
    }
    for name, value in codes.items():
        assert CommandCode[name] == value, name
        assert CommandCode(value).name == name, name
    # 6.1.1 spellings resolve to the same members
    assert CommandCode.TOU_SETTINGS is CommandCode.TOU_RESERVATION
    assert CommandCode.ANTI_LEGIONELLA_ENABLE is CommandCode.ANTI_LEGIONELLA_ON
    assert CommandCode.TOU_DISABLE is CommandCode.TOU_OFF
    assert len(CommandCode) == len(codes)


def test_volume_code_text() -> None:
    assert VOLUME_CODE_TEXT.get(67) == "80 gallons"
    assert VOLUME_CODE_TEXT.get(VolumeCode.VOLUME_65) == "65 gallons"
    assert VOLUME_CODE_TEXT[VolumeCode.VOLUME_50GAL] == "50 gallons"
    assert VOLUME_CODE_TEXT.get(3) is None


def test_unit_system_setting() -> None:
    assert get_unit_system() is None
    set_unit_system("metric")
    assert get_unit_system() == "metric"
    set_unit_system(None)
    assert get_unit_system() is None
    with pytest.raises(ValueError, match="imperial"):
        set_unit_system("imperial")  # type: ignore[arg-type]


def test_unit_system_is_process_wide() -> None:
    import threading

    seen: list[object] = []
    set_unit_system("metric")
    thread = threading.Thread(target=lambda: seen.append(get_unit_system()))
    thread.start()
    thread.join()

    async def in_task() -> object:
        return get_unit_system()

    assert seen == ["metric"] and asyncio.run(in_task()) == "metric"


@pytest.mark.parametrize("fahrenheit, raw", [(95, 70), (100, 76), (110, 87), (115, 92), (120, 98),
                                             (125, 103), (130, 109), (135, 114), (140, 120),
                                             (145, 126), (150, 131), (120.5, 98)])
def test_command_temperature_round_trip_table(fahrenheit: float, raw: int) -> None:
    assert preferred_to_half_celsius(fahrenheit, metric=False) == raw
    set_unit_system("us_customary")
    assert preferred_to_half_celsius(fahrenheit) == raw


def test_command_temperature_metric() -> None:
    set_unit_system("metric")
    assert preferred_to_half_celsius(60.0) == 120
    assert preferred_to_half_celsius(35.0) == 70
