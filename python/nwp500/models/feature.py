"""``DeviceFeature``: the device's capabilities, limits and firmware (``response.feature``)."""

from __future__ import annotations

from ..enums import DHWControlTypeFlag, TemperatureType, UnitType, VolumeCode
from ._fields import _DeviceBool, _EnumField, _FormulaType, _HalfCelsius, _Int, _Str
from ._model import _Model

__all__ = ["DeviceFeature"]


class DeviceFeature(_Model):
    """Device capabilities, limits and firmware (``response.feature``): every key of
    the reference's Appendix B, required except ``temperatureType``; the 9.3.0
    additions (recirculation fields, ``title24Use``) are optional.

    Capability flags (``*_use``) are ``bool`` (2 = supported). ``mixingValueUse`` (the
    key the device sends) and ``mixingValveUse`` (9.3.0's alias) both fill
    ``mixing_valve_use``.
    """

    temperature_type = _EnumField(TemperatureType, default=TemperatureType.FAHRENHEIT)
    mac_address = _Str(default=None)

    country_code = _Int()
    model_type_code = _EnumField(UnitType)
    control_type_code = _Int()
    volume_code = _EnumField(VolumeCode, unit="gal")
    controller_sw_version = _Int()
    panel_sw_version = _Int()
    wifi_sw_version = _Int()
    controller_sw_code = _Int()
    panel_sw_code = _Int()
    wifi_sw_code = _Int()
    recirc_sw_version = _Int(default=0)
    recirc_model_type_code = _Int(default=0)
    controller_serial_number = _Str()

    power_use = _DeviceBool()
    holiday_use = _DeviceBool()
    program_reservation_use = _DeviceBool()
    dhw_use = _DeviceBool()
    dhw_temperature_setting_use = _EnumField(DHWControlTypeFlag)
    smart_diagnostic_use = _DeviceBool()
    wifi_rssi_use = _DeviceBool()
    temp_formula_type = _FormulaType()
    energy_usage_use = _DeviceBool()
    freeze_protection_use = _DeviceBool()
    mixing_valve_use = _DeviceBool("mixingValueUse", alt_keys=("mixingValveUse",))
    dr_setting_use = _DeviceBool()
    anti_legionella_setting_use = _DeviceBool()
    hpwh_use = _DeviceBool()
    dhw_refill_use = _DeviceBool()
    eco_use = _DeviceBool()
    electric_use = _DeviceBool()
    heatpump_use = _DeviceBool()
    energy_saver_use = _DeviceBool()
    high_demand_use = _DeviceBool()
    recirculation_use = _DeviceBool(default=False)
    recirc_reservation_use = _DeviceBool(default=False)
    title24_use = _DeviceBool(default=False)

    dhw_temperature_min = _HalfCelsius()
    dhw_temperature_max = _HalfCelsius()
    freeze_protection_temp_min = _HalfCelsius()
    freeze_protection_temp_max = _HalfCelsius()
    recirc_temperature_min = _HalfCelsius(default=None)
    recirc_temperature_max = _HalfCelsius(default=None)

    @property
    def mixing_value_use(self) -> bool:
        """The 6.1.1 name of :attr:`mixing_valve_use`."""
        return bool(self.__dict__["mixing_valve_use"])

    # Raw DHW limits in half-degrees Celsius, for command validation.
    @property
    def _raw_dhw_temperature_min(self) -> int | float:
        return self.__dict__["dhw_temperature_min_raw"]

    @property
    def _raw_dhw_temperature_max(self) -> int | float:
        return self.__dict__["dhw_temperature_max_raw"]

    # Raw freeze-protection limits in half-degrees Celsius, for command validation.
    @property
    def _raw_freeze_protection_temp_min(self) -> int | float:
        return self.__dict__["freeze_protection_temp_min_raw"]

    @property
    def _raw_freeze_protection_temp_max(self) -> int | float:
        return self.__dict__["freeze_protection_temp_max_raw"]
