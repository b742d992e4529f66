"""Typed device data: ``DeviceStatus``, ``DeviceFeature``, energy usage, schedules.

Plain Python (no pydantic), with nwp500-python 9.3.0's attribute names and converted
values:

* ``model_validate(data)`` / ``from_dict(data)`` read the device's camelCase dict
  (``response.status`` / ``response.feature``); snake_case names (as ``model_dump``
  writes them) are read too. A missing required key, a null, or a value of the wrong
  kind raises :class:`ValueError` naming the device key, e.g.
  ``DeviceStatus: missing required field 'dhwTemperature'``, so a caller can log the
  payload and skip it.
* Temperatures, flows and volumes are kept raw (``dhw_temperature_raw``) and converted
  when read (``dhw_temperature``), into the unit chosen with
  :func:`nwp500.unit_system.set_unit_system` or, when none is chosen, the device's own
  ``temperature_type``.
* Device booleans (1 = off, 2 = on) become ``bool``; enums become members of
  :mod:`nwp500.enums`. An integer the enum does not know (a firmware newer than this
  library) is kept as a plain ``int`` rather than rejecting the whole status.
* ``model_dump()`` returns snake_case keys with enums as their names, raw fields under
  ``*_raw`` and the converted values under their own names, as 9.3.0 does.
* ``get_field_unit(name)`` returns the display suffix with a leading space, as 9.3.0
  does: ``" °F"`` / ``" °C"``, ``" GPM"`` / ``" LPM"``, ``" gal"`` / ``" L"``, ``" W"``,
  ``" %"``...; ``""`` for unitless or unknown fields.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, ClassVar, TypeVar

from ._redact import REDACTED, _is_secret_key
from .enums import (
    DHW_OPERATION_SETTING_TEXT,
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
from .unit_system import (
    deci_celsius_delta_to_preferred,
    deci_celsius_to_preferred,
    get_unit_system,
    half_celsius_to_preferred,
    liters_to_preferred,
    lpm_to_preferred,
    raw_celsius_to_preferred,
    reservation_param_to_preferred,
)

__all__ = [
    "DeviceStatus",
    "DeviceFeature",
    "EnergyUsageDay",
    "EnergyUsageTotal",
    "MonthlyEnergyData",
    "EnergyUsageResponse",
    "ReservationEntry",
    "ReservationSchedule",
    "TOUPeriod",
    "TOUReservationSchedule",
    "get_response_data",
    "decode_reservation_hex",
    "decode_week_bitfield",
]

_M = TypeVar("_M", bound="_Model")
_ABSENT = object()


def _to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ---------------------------------------------------------------------------------------
# Value readers (raise ValueError naming the field)
# ---------------------------------------------------------------------------------------


def _number(value: Any, where: str) -> int | float:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} must be a finite number, got {value!r}")
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise ValueError(f"{where} must be a number, got {value!r}")


def _integer(value: Any, where: str) -> int:
    number = _number(value, where)
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"{where} must be an integer, got {value!r}")
        return int(number)
    return number


def _compact(number: int | float) -> int | float:
    """Keep integral values as ``int`` (raw device units are integers)."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def _dump(value: Any, mode: str, by_alias: bool) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, _Model):
        return value.model_dump(mode=mode, by_alias=by_alias)
    if isinstance(value, list):
        return [_dump(v, mode, by_alias) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, mode, by_alias) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------
# Field descriptors
# ---------------------------------------------------------------------------------------


class _Field:
    """One device key. Plain fields store their decoded value under their own name (a
    non-data descriptor, so the instance attribute wins); converted fields (subclasses
    of :class:`_Converted`) store the raw value under ``<name>_raw``."""

    converted: ClassVar[bool] = False
    unit_kind: ClassVar[str | None] = None  # "temperature" | "flow_rate" | "water"

    def __init__(
        self,
        key: str | None = None,
        *,
        default: Any = _ABSENT,
        alt_keys: tuple[str, ...] = (),
        unit: str | None = None,
    ) -> None:
        self.key = key
        self.default = default
        self.alt_keys = alt_keys
        self.static_unit = unit
        self.name = ""
        self.store = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if self.key is None:
            self.key = _to_camel(name)
        self.store = f"{name}_raw" if self.converted else name

    @property
    def required(self) -> bool:
        return self.default is _ABSENT

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    # device form -> stored value
    def parse(self, value: Any, where: str) -> Any:
        raise NotImplementedError

    # python form (as model_dump writes it) -> stored value
    def parse_python(self, value: Any, where: str) -> Any:
        return self.parse(value, where)

    # stored value -> device form
    def to_device(self, stored: Any) -> Any:
        return stored.value if isinstance(stored, Enum) else stored

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        try:
            return instance.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


class _Int(_Field):
    def parse(self, value: Any, where: str) -> int:
        return _integer(value, where)


class _Num(_Field):
    """A number kept as given (``int`` when integral)."""

    def parse(self, value: Any, where: str) -> int | float:
        return _compact(_number(value, where))


class _Float(_Field):
    def parse(self, value: Any, where: str) -> float:
        return float(_number(value, where))


class _Str(_Field):
    def parse(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string, got {type(value).__name__}")
        return value


class _DeviceBool(_Field):
    """1 (or 0) = False, 2 = True."""

    def parse(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        return _integer(value, where) == 2

    def to_device(self, stored: Any) -> Any:
        return 2 if stored else 1


class _ZeroOneBool(_Field):
    """0 = False, non-zero = True (``touStatus``)."""

    def parse(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        return _integer(value, where) != 0

    def to_device(self, stored: Any) -> Any:
        return 1 if stored else 0


class _TouOverride(_Field):
    """1 = override active (True), anything else = False (``touOverrideStatus``)."""

    def parse(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        return _integer(value, where) == 1

    def to_device(self, stored: Any) -> Any:
        return 1 if stored else 2


class _EnumField(_Field):
    """An IntEnum member; an unknown integer is kept as ``int``; member names are read
    too (``model_dump`` writes names)."""

    def __init__(self, enum: type[Enum], key: str | None = None, **kw: Any) -> None:
        super().__init__(key, **kw)
        self.enum = enum

    def parse(self, value: Any, where: str) -> Any:
        if isinstance(value, self.enum):
            return value
        if isinstance(value, str) and value.strip() in self.enum.__members__:
            return self.enum[value.strip()]
        number = _integer(value, where)
        try:
            return self.enum(number)
        except ValueError:
            return number


class _FormulaType(_EnumField):
    """``tempFormulaType``: int or numeric text → :class:`TempFormulaType`; other text is
    kept as given (6.1.1 accepted int or str)."""

    def __init__(self, key: str | None = None, **kw: Any) -> None:
        super().__init__(TempFormulaType, key, **kw)

    def parse(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text in TempFormulaType.__members__:
                return TempFormulaType[text]
            try:
                number = _integer(text, where)
            except ValueError:
                return value
            return super().parse(number, where)
        return super().parse(value, where)


class _TimesTen(_Field):
    """Energy in 10 Wh steps → Wh (``totalEnergyCapacity``)."""

    def parse(self, value: Any, where: str) -> float:
        return float(_number(value, where)) * 10.0

    def parse_python(self, value: Any, where: str) -> float:
        return float(_number(value, where))

    def to_device(self, stored: Any) -> Any:
        return _compact(stored / 10.0)


class _Nested(_Field):
    def __init__(self, model: type[_Model], key: str | None = None, **kw: Any) -> None:
        super().__init__(key, **kw)
        self.model = model

    def parse(self, value: Any, where: str) -> Any:
        if not isinstance(value, (Mapping, self.model)):
            raise ValueError(f"{where} must be an object, got {type(value).__name__}")
        return self.model.model_validate(value)

    def to_device(self, stored: Any) -> Any:
        return stored.to_protocol_dict()


class _NestedList(_Field):
    def __init__(
        self,
        model: type[_Model],
        key: str | None = None,
        *,
        text_decoder: Callable[[str], list[dict[str, Any]]] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(key, **kw)
        self.model = model
        self.text_decoder = text_decoder

    def parse(self, value: Any, where: str) -> list[Any]:
        if isinstance(value, str) and self.text_decoder is not None:
            try:
                value = self.text_decoder(value)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where} must be a list, got {type(value).__name__}")
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, (Mapping, self.model)):
                raise ValueError(f"{where}[{index}] must be an object, got {type(item).__name__}")
            try:
                items.append(self.model.model_validate(item))
            except ValueError as exc:
                raise ValueError(f"{where}[{index}]: {exc}") from None
        return items

    def to_device(self, stored: Any) -> Any:
        return [item.to_protocol_dict() for item in stored]


class _Converted(_Field):
    """Stored raw under ``<name>_raw``; the attribute itself is the value converted to the
    preferred unit at the time it is read (read-only)."""

    converted = True

    def parse(self, value: Any, where: str) -> int | float:
        return _compact(_number(value, where))

    def convert(self, raw: Any, instance: _Model) -> Any:
        raise NotImplementedError

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        raw = instance.__dict__.get(self.store)
        if raw is None:
            return None
        return self.convert(raw, instance)

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError(
            f"{self.name} is converted from {self.store} when read; set {self.store} instead"
        )


class _HalfCelsius(_Converted):
    unit_kind = "temperature"

    def convert(self, raw: Any, instance: _Model) -> float:
        return half_celsius_to_preferred(raw, instance._is_celsius())


class _DeciCelsius(_Converted):
    unit_kind = "temperature"

    def convert(self, raw: Any, instance: _Model) -> float:
        return deci_celsius_to_preferred(raw, instance._is_celsius())


class _DeciCelsiusDelta(_Converted):
    unit_kind = "temperature"

    def convert(self, raw: Any, instance: _Model) -> float:
        return deci_celsius_delta_to_preferred(raw, instance._is_celsius())


class _OutsideTemperature(_Converted):
    """Half-degrees Celsius; whole °F rounded as the device's ``tempFormulaType`` says."""

    unit_kind = "temperature"

    def convert(self, raw: Any, instance: _Model) -> float:
        formula = instance.__dict__.get("temp_formula_type")
        return raw_celsius_to_preferred(raw, instance._is_celsius(), formula)


class _FlowRate(_Converted):
    """Tenths of a litre per minute → LPM or GPM."""

    unit_kind = "flow_rate"

    def convert(self, raw: Any, instance: _Model) -> float:
        return lpm_to_preferred(raw, instance._is_celsius())


class _Volume(_Converted):
    """Litres → L or gallons."""

    unit_kind = "water"

    def convert(self, raw: Any, instance: _Model) -> float:
        return liters_to_preferred(raw, instance._is_celsius())


# ---------------------------------------------------------------------------------------
# Model base
# ---------------------------------------------------------------------------------------


class _Model:
    """Shared behaviour: reading, dumping, units, equality, a MAC-safe repr."""

    _fields: ClassVar[tuple[_Field, ...]] = ()
    _by_name: ClassVar[dict[str, _Field]] = {}
    _extra_dump: ClassVar[tuple[str, ...]] = ()  # read-only properties model_dump adds

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: list[_Field] = []
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, _Field) and value not in fields:
                    fields.append(value)
        cls._fields = tuple(fields)
        by_name: dict[str, _Field] = {}
        for f in fields:
            by_name[f.name] = f
            by_name[f.store] = f
        cls._by_name = by_name

    def __init__(self, **data: Any) -> None:
        self.__dict__.update(self._read(data))

    # -- reading ------------------------------------------------------------------------
    @classmethod
    def _read(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in cls._fields:
            value, python_form = _ABSENT, False
            for key in (f.key, *f.alt_keys):
                if key in data:
                    value = data[key]
                    break
            else:
                if f.store in data:
                    value, python_form = data[f.store], True
            if value is _ABSENT or value is None:
                if f.required:
                    problem = "missing required field" if value is _ABSENT else "null value for field"
                    raise ValueError(f"{cls.__name__}: {problem} {f.key!r}")
                out[f.store] = f.default_value()
                continue
            where = f"{cls.__name__}: field {f.key!r}"
            out[f.store] = f.parse_python(value, where) if python_form else f.parse(value, where)
        return out

    @classmethod
    def model_validate(cls: type[_M], data: Any) -> _M:
        """Build from the device's camelCase dict (snake_case keys are read too).

        Raises:
            ValueError: The data is not a mapping, a required key is missing or null, or
                a value cannot be read; the message names the key.
        """
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        obj = cls.__new__(cls)
        obj.__dict__.update(cls._read(data))
        return obj

    @classmethod
    def from_dict(cls: type[_M], data: Any) -> _M:
        """Same as :meth:`model_validate`."""
        return cls.model_validate(data)

    # -- units --------------------------------------------------------------------------
    def _is_celsius(self) -> bool:
        preference = get_unit_system()
        if preference is not None:
            return preference == "metric"
        return self.__dict__.get("temperature_type") == TemperatureType.CELSIUS

    def get_field_unit(self, field_name: str) -> str:
        """The unit suffix of a field for display, in the current unit system, with a
        leading space as nwp500-python 9.3.0 returns it (``" °F"``, ``" LPM"``,
        ``" W"``); ``""`` when the field has no unit or does not exist. Callers that
        want the bare unit use ``.strip()``."""
        f = self._by_name.get(field_name)
        if f is None:
            return ""
        metric = self._is_celsius()
        if f.unit_kind == "temperature":
            return " °C" if metric else " °F"
        if f.unit_kind == "flow_rate":
            return " LPM" if metric else " GPM"
        if f.unit_kind == "water":
            return " L" if metric else " gal"
        return f" {f.static_unit}" if f.static_unit else ""

    # -- writing ------------------------------------------------------------------------
    def model_dump(
        self,
        *,
        mode: str = "python",
        by_alias: bool = False,
        exclude_none: bool = False,
        include: set[str] | None = None,
        exclude: set[str] | None = None,
    ) -> dict[str, Any]:
        """A ``dict`` of every field (snake_case; raw values of converted fields under
        ``*_raw``) followed by the converted values, enums as their names.
        ``by_alias=True`` keys the stored fields by their device (camelCase) keys."""
        if mode not in ("python", "json"):
            raise ValueError("mode must be 'python' or 'json'")
        out: dict[str, Any] = {}
        for f in self._fields:
            out[f.key if by_alias else f.store] = _dump(self.__dict__.get(f.store), mode, by_alias)
        for f in self._fields:
            if f.converted:
                out[f.name] = getattr(self, f.name)
        for name in self._extra_dump:
            out[name] = _dump(getattr(self, name), mode, by_alias)
        if include is not None:
            out = {k: v for k, v in out.items() if k in include}
        if exclude:
            out = {k: v for k, v in out.items() if k not in exclude}
        if exclude_none:
            out = {k: v for k, v in out.items() if v is not None}
        return out

    def to_protocol_dict(self) -> dict[str, Any]:
        """The device's own form: camelCase keys, raw numbers, 1/2 booleans, enum values.
        ``model_validate(x.to_protocol_dict())`` rebuilds an equal object."""
        out: dict[str, Any] = {}
        for f in self._fields:
            stored = self.__dict__.get(f.store)
            if stored is not None:
                out[f.key] = f.to_device(stored)
        return out

    def model_copy(self: _M, *, update: Mapping[str, Any] | None = None) -> _M:
        """A shallow copy with ``update`` applied. Keys are stored names
        (``error_code``, ``dhw_temperature_raw``, ``mac_address``) and values are taken
        as they are, without conversion."""
        new = copy.copy(self)
        for key, value in (update or {}).items():
            f = self._by_name.get(key)
            new.__dict__[f.store if f is not None else key] = value
        return new

    # -- comparing and showing ------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = []
        for f in self._fields:
            value = self.__dict__.get(f.store)
            shown = REDACTED if value not in (None, "") and _is_secret_key(f.store) else repr(value)
            parts.append(f"{f.store}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__


# ---------------------------------------------------------------------------------------
# DeviceStatus
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# DeviceFeature
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# Energy usage (response to ENERGY_USAGE_QUERY)
# ---------------------------------------------------------------------------------------


class EnergyUsageDay(_Model):
    """One day's use: energy in Wh, run time in hours, per heat source."""

    heat_pump_usage = _Num("hpUsage", default=0)
    heat_element_usage = _Num("heUsage", default=0)
    heat_pump_time = _Num("hpTime", default=0)
    heat_element_time = _Num("heTime", default=0)

    @property
    def total_usage(self) -> int | float:
        return self.heat_pump_usage + self.heat_element_usage

    # 6.1.1 names
    @property
    def hp_usage(self) -> int | float:
        return self.heat_pump_usage

    @property
    def he_usage(self) -> int | float:
        return self.heat_element_usage

    @property
    def hp_time(self) -> int | float:
        return self.heat_pump_time

    @property
    def he_time(self) -> int | float:
        return self.heat_element_time


class EnergyUsageTotal(EnergyUsageDay):
    """Totals over the queried months."""

    @property
    def total_time(self) -> int | float:
        return self.heat_pump_time + self.heat_element_time

    @property
    def heat_pump_percentage(self) -> float:
        total = self.total_usage
        return self.heat_pump_usage / total * 100.0 if total > 0 else 0.0

    @property
    def heat_element_percentage(self) -> float:
        total = self.total_usage
        return self.heat_element_usage / total * 100.0 if total > 0 else 0.0


class MonthlyEnergyData(_Model):
    """One month: ``data`` has one entry per day."""

    year = _Int()
    month = _Int()
    data = _NestedList(EnergyUsageDay)


class EnergyUsageResponse(_Model):
    """The energy-usage reply: ``{"total": {...}, "usage": [{"year", "month", "data":
    [...]}]}`` (the ``response`` object; its other keys are ignored)."""

    total = _Nested(EnergyUsageTotal)
    usage = _NestedList(MonthlyEnergyData)

    def get_month_data(self, year: int, month: int) -> MonthlyEnergyData | None:
        for monthly in self.usage:
            if monthly.year == year and monthly.month == month:
                return monthly
        return None


# ---------------------------------------------------------------------------------------
# Reservations and TOU schedules
# ---------------------------------------------------------------------------------------

# Week bitfield: Sunday = bit 7 (128), Monday = 64, ..., Saturday = bit 1 (2).
_WEEK_BITS = (
    ("Monday", 64),
    ("Tuesday", 32),
    ("Wednesday", 16),
    ("Thursday", 8),
    ("Friday", 4),
    ("Saturday", 2),
    ("Sunday", 128),
)


def decode_week_bitfield(bitfield: int) -> list[str]:
    """Weekday names of a reservation ``week`` bitfield, Monday first
    (Sunday = 128, Monday = 64, ..., Saturday = 2)."""
    return [name for name, bit in _WEEK_BITS if bitfield & bit]


def decode_reservation_hex(text: str) -> list[dict[str, int]]:
    """Entries of a hex-encoded reservation list: 6 bytes each (enable, week, hour, min,
    mode, param); all-zero slots and a trailing partial entry are skipped.

    Raises:
        ValueError: ``text`` is not hexadecimal.
    """
    try:
        data = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError(f"reservation is not valid hex: {text[:40]!r}") from None
    entries = []
    for start in range(0, len(data) - len(data) % 6, 6):
        chunk = data[start : start + 6]
        if any(chunk):
            enable, week, hour, minute, mode, param = chunk
            entries.append(
                {"enable": enable, "week": week, "hour": hour, "min": minute, "mode": mode, "param": param}
            )
    return entries


class ReservationEntry(_Model):
    """One reservation: raw protocol fields plus read-only display values."""

    enable = _Int(default=2)
    week = _Int(default=0)
    hour = _Int(default=0)
    min = _Int(default=0)
    mode = _Int(default=1)
    param = _Int(default=0)

    _extra_dump = ("enabled", "days", "time", "temperature", "unit", "mode_name")

    @property
    def enabled(self) -> bool:
        """2 = enabled, 1 = disabled."""
        return self.enable == 2

    @property
    def days(self) -> list[str]:
        return decode_week_bitfield(self.week)

    @property
    def time(self) -> str:
        return f"{self.hour:02d}:{self.min:02d}"

    @property
    def temperature(self) -> float:
        """``param`` (half-degrees Celsius) in the preferred unit (°F unless metric)."""
        return reservation_param_to_preferred(self.param)

    @property
    def unit(self) -> str:
        return "°C" if get_unit_system() == "metric" else "°F"

    @property
    def mode_name(self) -> str:
        try:
            return DHW_OPERATION_SETTING_TEXT[DhwOperationSetting(self.mode)]
        except (ValueError, KeyError):
            return f"Unknown ({self.mode})"

    def canonical_key(self) -> tuple[int, ...]:
        return (self.enable, self.week, self.hour, self.min, self.mode, self.param)


class ReservationSchedule(_Model):
    """A reservation read-back: ``reservationUse`` (2 = on, 1 = off) and ``reservation``,
    a list of entries or the device's hex string.

    ``model_dump()`` → ``{"reservation_use": 2, "reservation": [{"enable", "week",
    "hour", "min", "mode", "param", "enabled", "days", "time", "temperature", "unit",
    "mode_name"}, ...], "enabled": True}``.
    """

    reservation_use = _Int("reservationUse", default=0)
    reservation = _NestedList(ReservationEntry, default=list, text_decoder=decode_reservation_hex)

    _extra_dump = ("enabled",)

    @property
    def enabled(self) -> bool:
        return self.reservation_use == 2

    def canonical(self) -> tuple[bool, tuple[tuple[int, ...], ...]]:
        """``(enabled, sorted raw entry tuples)``: equal for the same program whatever
        the entry order."""
        return self.enabled, tuple(sorted(e.canonical_key() for e in self.reservation))


class TOUPeriod(_Model):
    """One TOU period: months (``season`` bits), weekdays (``week`` bits), a time window
    and a price range (integers scaled by ``10 ** decimal_point``)."""

    season = _Int(default=0)
    week = _Int(default=0)
    start_hour = _Int("startHour", default=0)
    start_min = _Int("startMinute", default=0, alt_keys=("startMin",))
    end_hour = _Int("endHour", default=0)
    end_min = _Int("endMinute", default=0, alt_keys=("endMin",))
    price_min = _Int("priceMin", default=0)
    price_max = _Int("priceMax", default=0)
    decimal_point = _Int("decimalPoint", default=5)

    _extra_dump = ("start_time", "end_time", "decoded_price_min", "decoded_price_max")

    @property
    def start_time(self) -> str:
        return f"{self.start_hour:02d}:{self.start_min:02d}"

    @property
    def end_time(self) -> str:
        return f"{self.end_hour:02d}:{self.end_min:02d}"

    @property
    def decoded_price_min(self) -> float:
        return self.price_min / 10.0**self.decimal_point

    @property
    def decoded_price_max(self) -> float:
        return self.price_max / 10.0**self.decimal_point

    def canonical_key(self) -> tuple[int, ...]:
        return (
            self.season,
            self.week,
            self.start_hour,
            self.start_min,
            self.end_hour,
            self.end_min,
            self.price_min,
            self.price_max,
            self.decimal_point,
        )


class TOUReservationSchedule(_Model):
    """A TOU read-back (``reservationUse`` 2 = on, and the periods).

    ``model_dump()`` → ``{"reservation_use": 2, "reservation": [{"season", "week",
    "start_hour", "start_min", "end_hour", "end_min", "price_min", "price_max",
    "decimal_point", "start_time", "end_time", "decoded_price_min",
    "decoded_price_max"}, ...], "enabled": True}``.
    """

    reservation_use = _Int("reservationUse", default=0)
    reservation = _NestedList(TOUPeriod, default=list)

    _extra_dump = ("enabled",)

    @property
    def enabled(self) -> bool:
        return self.reservation_use == 2

    def canonical(self) -> tuple[bool, tuple[tuple[int, ...], ...]]:
        return self.enabled, tuple(sorted(p.canonical_key() for p in self.reservation))


# ---------------------------------------------------------------------------------------
# Finding the payload in a message
# ---------------------------------------------------------------------------------------

_SHORT_KEYS = {"status": "st", "feature": "did"}


def get_response_data(message: Any, key: str) -> dict[str, Any] | None:
    """The ``key`` object of a device message, looked up as 9.3.0 does:
    ``response[key]``, ``response[alt]``, ``message[key]``, ``message[alt]``, where
    ``alt`` is ``"st"`` for ``"status"`` and ``"did"`` for ``"feature"``.

    Only objects count (a non-object under one of those keys is passed over); ``None``
    when there is none, e.g. for the client's own echoed request.
    """
    if not isinstance(message, Mapping):
        return None
    keys = (key, _SHORT_KEYS[key]) if key in _SHORT_KEYS else (key,)
    response = message.get("response")
    for container in (response, message):
        if not isinstance(container, Mapping):
            continue
        for name in keys:
            value = container.get(name)
            if isinstance(value, Mapping):
                return dict(value)
    return None
