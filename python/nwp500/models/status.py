"""``DeviceStatus``: the device's status report (``response.status``)."""

from __future__ import annotations

from ..enums import (
    CurrentOperationMode,
    DhwOperationSetting,
    DREvent,
    ErrorCode,
    HeatSource,
    RecirculationMode,
    TemperatureType,
)
from ._fields import (
    _DeciCelsius,
    _DeciCelsiusDelta,
    _DeviceBool,
    _EnumField,
    _Float,
    _FlowRate,
    _FormulaType,
    _HalfCelsius,
    _Int,
    _OutsideTemperature,
    _Str,
    _TimesTen,
    _TouOverride,
    _Volume,
    _ZeroOneBool,
)
from ._model import _Model

__all__ = ["DeviceStatus"]


class DeviceStatus(_Model):
    """A device status (``response.status``): every key of the reference's Appendix A.

    All keys are required except ``operationMode`` (default STANDBY),
    ``dhwOperationSetting`` (ENERGY_SAVER), ``temperatureType`` (FAHRENHEIT),
    ``freezeProtectionTempMin`` / ``Max`` (raw 12 / 20, i.e. 6 / 10 °C), and the
    9.3.0 additions ``dhwOperationBusy`` and ``macAddress``. ``mac_address`` is set by
    the MQTT client to the device the status came from.
    """

    # The device's own display unit: the fallback when no unit system is chosen.
    temperature_type = _EnumField(TemperatureType, default=TemperatureType.FAHRENHEIT)
    mac_address = _Str(default=None)

    # -- plain numbers and codes ------------------------------------------------------
    command = _Int()
    special_function_status = _Int()
    error_code = _EnumField(ErrorCode)
    sub_error_code = _Int()
    smart_diagnostic = _Int()
    fault_status1 = _Int()
    fault_status2 = _Int()
    wifi_rssi = _Int(unit="dBm")
    dhw_charge_per = _Float(unit="%")
    dr_event_status = _EnumField(DREvent)
    vacation_day_setting = _Int(unit="days")
    vacation_day_elapsed = _Int(unit="days")
    anti_legionella_period = _Int(unit="days")
    program_reservation_type = _Int()
    temp_formula_type = _FormulaType()
    outside_temperature = _OutsideTemperature()
    current_statenum = _Int()
    target_fan_rpm = _Int(unit="RPM")
    current_fan_rpm = _Int(unit="RPM")
    fan_pwm = _Int()
    mixing_rate = _Float(unit="%")
    eev_step = _Int()
    air_filter_alarm_period = _Int(unit="h")
    air_filter_alarm_elapsed = _Int(unit="h")
    cumulated_op_time_eva_fan = _Int(unit="h")
    cumulated_dhw_flow_rate = _Volume()
    tou_status = _ZeroOneBool()
    dr_override_status = _Int(unit="hours")
    tou_override_status = _TouOverride()
    total_energy_capacity = _TimesTen(unit="Wh")
    available_energy_capacity = _TimesTen(unit="Wh")
    recirc_operation_mode = _EnumField(RecirculationMode)
    recirc_pump_operation_status = _Int()
    recirc_hot_btn_ready = _Int()
    recirc_operation_reason = _Int()
    recirc_error_status = _Int()
    current_inst_power = _Float(unit="W")

    # -- device booleans (2 = True) -----------------------------------------------------
    did_reload = _DeviceBool()
    operation_busy = _DeviceBool()
    freeze_protection_use = _DeviceBool()
    dhw_use = _DeviceBool()
    dhw_use_sustained = _DeviceBool()
    dhw_operation_busy = _DeviceBool(default=False)
    program_reservation_use = _DeviceBool()
    eco_use = _DeviceBool()
    comp_use = _DeviceBool()
    eev_use = _DeviceBool()
    eva_fan_use = _DeviceBool()
    shut_off_valve_use = _DeviceBool()
    con_ovr_sensor_use = _DeviceBool()
    wtr_ovr_sensor_use = _DeviceBool()
    anti_legionella_use = _DeviceBool()
    anti_legionella_operation_busy = _DeviceBool()
    error_buzzer_use = _DeviceBool()
    current_heat_use = _EnumField(HeatSource)
    heat_upper_use = _DeviceBool()
    heat_lower_use = _DeviceBool()
    scald_use = _DeviceBool()
    air_filter_alarm_use = _DeviceBool()
    recirc_operation_busy = _DeviceBool()
    recirc_reservation_use = _DeviceBool()

    # -- half-degrees Celsius -----------------------------------------------------------
    dhw_temperature = _HalfCelsius()
    dhw_temperature_setting = _HalfCelsius()
    dhw_target_temperature_setting = _HalfCelsius()
    freeze_protection_temperature = _HalfCelsius()
    dhw_temperature2 = _HalfCelsius()
    hp_upper_on_temp_setting = _HalfCelsius()
    hp_upper_off_temp_setting = _HalfCelsius()
    hp_lower_on_temp_setting = _HalfCelsius()
    hp_lower_off_temp_setting = _HalfCelsius()
    he_upper_on_temp_setting = _HalfCelsius()
    he_upper_off_temp_setting = _HalfCelsius()
    he_lower_on_temp_setting = _HalfCelsius()
    he_lower_off_temp_setting = _HalfCelsius()
    heat_min_op_temperature = _HalfCelsius()
    recirc_temp_setting = _HalfCelsius()
    recirc_temperature = _HalfCelsius()
    recirc_faucet_temperature = _HalfCelsius()
    current_inlet_temperature = _HalfCelsius()

    # -- tenths: flows, and hysteresis widths (temperature differences) -------------------
    current_dhw_flow_rate = _FlowRate()
    hp_upper_on_diff_temp_setting = _DeciCelsiusDelta()
    hp_upper_off_diff_temp_setting = _DeciCelsiusDelta()
    hp_lower_on_diff_temp_setting = _DeciCelsiusDelta()
    hp_lower_off_diff_temp_setting = _DeciCelsiusDelta()
    he_upper_on_diff_temp_setting = _DeciCelsiusDelta()
    he_upper_off_diff_temp_setting = _DeciCelsiusDelta()
    # The device misspells this key; the correct spelling is read as a fallback.
    he_lower_on_diff_temp_setting = _DeciCelsiusDelta(
        "heLowerOnTDiffempSetting", alt_keys=("heLowerOnDiffTempSetting",)
    )
    he_lower_off_diff_temp_setting = _DeciCelsiusDelta()
    recirc_dhw_flow_rate = _FlowRate()

    # -- tenths of a degree Celsius -------------------------------------------------------
    tank_upper_temperature = _DeciCelsius()
    tank_lower_temperature = _DeciCelsius()
    discharge_temperature = _DeciCelsius()
    suction_temperature = _DeciCelsius()
    evaporator_temperature = _DeciCelsius()
    ambient_temperature = _DeciCelsius()
    target_super_heat = _DeciCelsius()
    current_super_heat = _DeciCelsius()

    # -- modes (optional) -----------------------------------------------------------------
    operation_mode = _EnumField(CurrentOperationMode, default=CurrentOperationMode.STANDBY)
    dhw_operation_setting = _EnumField(DhwOperationSetting, default=DhwOperationSetting.ENERGY_SAVER)
    freeze_protection_temp_min = _HalfCelsius(default=12)
    freeze_protection_temp_max = _HalfCelsius(default=20)

    # -- 9.3.0's names of the energy capacities ---------------------------------------------
    @property
    def full_recovery_energy(self) -> float:
        """Energy (Wh) to heat the whole tank from cold (``totalEnergyCapacity``)."""
        return float(self.total_energy_capacity)

    @property
    def energy_to_setpoint(self) -> float:
        """Energy (Wh) still needed to reach the set point (``availableEnergyCapacity``)."""
        return float(self.available_energy_capacity)

    @property
    def usable_energy(self) -> float:
        """Energy (Wh) stored in the tank now: :attr:`full_recovery_energy` less
        :attr:`energy_to_setpoint`, never below 0."""
        return max(0.0, self.full_recovery_energy - self.energy_to_setpoint)
