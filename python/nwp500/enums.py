"""Enumerations of the Navien NWP500 protocol (nwp500-python 9.3.0 names and values).

Every enum whose values arrive as integers is an :class:`~enum.IntEnum`, so a member
compares equal to the device's raw number (``CurrentOperationMode.HEAT_PUMP_MODE == 32``)
and ``CurrentOperationMode(raw)`` turns a raw number back into a member.

The ``*_TEXT`` dictionaries map members to display strings (Home Assistant reads
``VOLUME_CODE_TEXT``). They are keyed by members, and because the enums are IntEnums a
plain ``int`` key finds the same entry: ``VOLUME_CODE_TEXT.get(67)``.
"""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = [
    "OnOffFlag",
    "ConnectionStatus",
    "Operation",
    "DhwOperationSetting",
    "CurrentOperationMode",
    "HeatSource",
    "DREvent",
    "WaterLevel",
    "FilterChange",
    "RecirculationMode",
    "DHWControlTypeFlag",
    "TouWeekType",
    "TouRateType",
    "TemperatureType",
    "TempFormulaType",
    "HeatControl",
    "VolumeCode",
    "InstallType",
    "UnitType",
    "DeviceType",
    "CommandCode",
    "FirmwareType",
    "ErrorCode",
    "DHW_OPERATION_SETTING_TEXT",
    "CURRENT_OPERATION_MODE_TEXT",
    "HEAT_SOURCE_TEXT",
    "DR_EVENT_TEXT",
    "RECIRC_MODE_TEXT",
    "TOU_RATE_TEXT",
    "FILTER_STATUS_TEXT",
    "DHW_CONTROL_TYPE_FLAG_TEXT",
    "VOLUME_CODE_TEXT",
    "INSTALL_TYPE_TEXT",
    "ERROR_CODE_TEXT",
]


# ---------------------------------------------------------------------------------------
# Status values
# ---------------------------------------------------------------------------------------


class OnOffFlag(IntEnum):
    """The device's boolean encoding: 1 = off, 2 = on; 0 is unknown (and reads as off)."""

    UNKNOWN = 0
    OFF = 1
    ON = 2


class ConnectionStatus(IntEnum):
    """Whether the device is connected to the Navien cloud (``DeviceInfo.connected``)."""

    DISCONNECTED = 1
    CONNECTED = 2


class Operation(IntEnum):
    """Generic operation state."""

    UNKNOWN = 0
    OPERATION = 1
    STOP = 2


class DhwOperationSetting(IntEnum):
    """The DHW mode the user selected (``dhwOperationSetting``; also ``set_dhw_mode`` ids)."""

    HEAT_PUMP = 1
    ELECTRIC = 2
    ENERGY_SAVER = 3
    HIGH_DEMAND = 4
    VACATION = 5
    POWER_OFF = 6


class CurrentOperationMode(IntEnum):
    """What the device is doing right now (``operationMode``)."""

    STANDBY = 0
    HEAT_PUMP_MODE = 32
    HYBRID_EFFICIENCY_MODE = 64
    HYBRID_BOOST_MODE = 96


class HeatSource(IntEnum):
    """The heat source currently running (``currentHeatUse``)."""

    UNKNOWN = 0
    HEATPUMP = 1
    HEATELEMENT = 2
    HEATPUMP_HEATELEMENT = 3


class DREvent(IntEnum):
    """Demand-response (CTA-2045) event status (``drEventStatus``)."""

    UNKNOWN = 0
    RUN_NORMAL = 1
    SHED = 2
    LOADUP = 3
    LOADUP_ADV = 4
    CPE = 5


class WaterLevel(IntEnum):
    """Hot-water level gauge steps (non-sequential ids)."""

    LOW = 2
    HIGH = 4
    LOW_MEDIUM = 8
    MEDIUM_HIGH = 16


class FilterChange(IntEnum):
    """Air-filter status of heat-pump models."""

    NORMAL = 0
    REPLACE_NEED = 1
    UNKNOWN = 2


class RecirculationMode(IntEnum):
    """Recirculation pump mode (``recircOperationMode``; ``set_recirculation_mode`` ids)."""

    UNKNOWN = 0
    ALWAYS = 1
    BUTTON = 2
    SCHEDULE = 3
    TEMPERATURE = 4


class DHWControlTypeFlag(IntEnum):
    """DHW set-point precision a model supports (feature ``dhwTemperatureSettingUse``)."""

    UNKNOWN = 0
    DISABLE = 1
    ENABLE_DOT_5_DEGREE = 2
    ENABLE_1_DEGREE = 3
    ENABLE_3_STAGE = 4


# ---------------------------------------------------------------------------------------
# Time of use
# ---------------------------------------------------------------------------------------


class TouWeekType(IntEnum):
    """Day grouping of a TOU schedule."""

    WEEK_DAY = 0
    WEEK_END = 1


class TouRateType(IntEnum):
    """Electricity rate period."""

    UNKNOWN = 0
    OFF_PEAK = 1
    MID_PEAK = 2
    ON_PEAK = 3


# ---------------------------------------------------------------------------------------
# Temperature and units
# ---------------------------------------------------------------------------------------


class TemperatureType(IntEnum):
    """The display unit configured on the device (``temperatureType``)."""

    CELSIUS = 1
    FAHRENHEIT = 2


class TempFormulaType(IntEnum):
    """How the device rounds Celsius to whole Fahrenheit (``tempFormulaType``).

    ``ASYMMETRIC``: floor when the raw value ends in 9, ceiling otherwise.
    ``STANDARD``: round to the nearest degree.
    """

    ASYMMETRIC = 0
    STANDARD = 1


class HeatControl(IntEnum):
    """Heating control method (combi boilers)."""

    UNKNOWN = 0
    SUPPLY = 1
    RETURN = 2
    OUTSIDE_CONTROL = 3


# ---------------------------------------------------------------------------------------
# Device identity
# ---------------------------------------------------------------------------------------


class VolumeCode(IntEnum):
    """Nominal tank size (feature ``volumeCode``).

    The device reports 65, 66 or 67. ``VOLUME_50GAL`` / ``VOLUME_65GAL`` /
    ``VOLUME_80GAL`` are aliases of the same members.
    """

    VOLUME_50 = 65
    VOLUME_65 = 66
    VOLUME_80 = 67
    VOLUME_50GAL = 65
    VOLUME_65GAL = 66
    VOLUME_80GAL = 67


class InstallType(str, Enum):
    """Installation class (``DeviceInfo.installType``)."""

    RESIDENTIAL = "R"
    COMMERCIAL = "C"

    def __str__(self) -> str:
        return self.value


class UnitType(IntEnum):
    """Navien product families (feature ``modelTypeCode``; NWP500 = ``NPF`` 513)."""

    NO_DEVICE = 0
    NPE = 1
    NCB = 2
    NHB = 3
    CAS_NPE = 4
    CAS_NHB = 5
    NFB = 6
    CAS_NFB = 7
    NFC = 8
    NPN = 9
    CAS_NPN = 10
    NPE2 = 11
    CAS_NPE2 = 12
    NCB_H = 13
    NVW = 14
    CAS_NVW = 15
    NHB_H = 16
    CAS_NHB_H = 17
    NFB_700 = 20
    CAS_NFB_700 = 21
    TWC = 257
    NPF = 513


class DeviceType(IntEnum):
    """Communication device type (``deviceType``; the NWP500 Wi-Fi module is 52)."""

    NAVILINK = 1
    NAVILINK_LIGHT = 2
    NPF700_MAIN = 50
    NPF700_SUB = 51
    NPF700_WIFI = 52


class CommandCode(IntEnum):
    """MQTT command codes (``request.command``).

    16777xxx codes query the device, 33554xxx codes change it. Names are those of
    nwp500-python 9.3.0; the 6.1.1 names (``TOU_SETTINGS``, ``ANTI_LEGIONELLA_ENABLE``,
    ``ANTI_LEGIONELLA_DISABLE``, ``TOU_ENABLE``, ``TOU_DISABLE``) are kept as aliases.
    """

    # queries
    DEVICE_INFO_REQUEST = 16777217
    STATUS_REQUEST = 16777219
    RESERVATION_READ = 16777222
    ENERGY_USAGE_QUERY = 16777225
    RESERVATION_MANAGEMENT = 16777226

    # power
    POWER_OFF = 33554433
    POWER_ON = 33554434

    # DHW
    DHW_MODE = 33554437
    DHW_TEMPERATURE = 33554464

    # schedules
    RESERVATION_WEEKLY = 33554438
    TOU_RESERVATION = 33554439
    RECIR_RESERVATION = 33554440
    RESERVATION_WATER_PROGRAM = 33554441

    # firmware
    OTA_COMMIT = 33554442
    OTA_CHECK = 33554443

    # recirculation
    RECIR_HOT_BTN = 33554444
    RECIR_MODE = 33554445

    # Wi-Fi
    WIFI_RECONNECT = 33554446
    WIFI_RESET = 33554447

    # special functions
    FREZ_TEMP = 33554451
    SMART_DIAGNOSTIC = 33554455

    # away
    GOOUT_DAY = 33554466

    # intelligent mode
    RESERVATION_INTELLIGENT_OFF = 33554467
    RESERVATION_INTELLIGENT_ON = 33554468

    # demand response
    DR_OFF = 33554469
    DR_ON = 33554470

    # anti-legionella
    ANTI_LEGIONELLA_OFF = 33554471
    ANTI_LEGIONELLA_ON = 33554472

    # air filter
    AIR_FILTER_RESET = 33554473
    AIR_FILTER_LIFE = 33554474

    # time of use
    TOU_OFF = 33554475
    TOU_ON = 33554476

    # 6.1.1 spellings of the same codes
    TOU_SETTINGS = 33554439
    ANTI_LEGIONELLA_DISABLE = 33554471
    ANTI_LEGIONELLA_ENABLE = 33554472
    TOU_DISABLE = 33554475
    TOU_ENABLE = 33554476


class FirmwareType(IntEnum):
    """Firmware components (``swCode`` values)."""

    UNKNOWN = 0
    CONTROLLER = 1
    PANEL = 2
    ROOM_CON = 3
    COMMUNICATION_MODULE = 4
    VALVE_CONTROL = 5
    SUB_ROOM_CON = 6


# ---------------------------------------------------------------------------------------
# Error codes
# ---------------------------------------------------------------------------------------


class ErrorCode(IntEnum):
    """Fault codes the device reports in ``errorCode`` (0 = no error).

    Codes the firmware may add later are not members; the status models keep such a
    code as a plain ``int`` instead of rejecting the status.
    """

    NO_ERROR = 0
    E096_UPPER_HEATER = 96
    E097_LOWER_HEATER = 97
    E326_DRY_FIRE = 326
    E407_DHW_TEMP_SENSOR = 407
    E445_MIXING_VALVE = 445
    E480_TANK_UPPER_TEMP_SENSOR = 480
    E481_TANK_LOWER_TEMP_SENSOR = 481
    E515_RELAY_FAULT = 515
    E517_DIP_SWITCH = 517
    E593_PANEL_KEY = 593
    E594_EEPROM = 594
    E595_POWER_METER = 595
    E596_WIFI = 596
    E598_RTC = 598
    E615_FEEDBACK = 615
    E781_CTA2045 = 781
    E798_SHUTOFF_VALVE = 798
    E799_WATER_LEAK = 799
    E901_ECO = 901
    E907_COMPRESSOR_POWER = 907
    E908_COMPRESSOR = 908
    E909_EVAPORATOR_FAN = 909
    E910_DISCHARGE_TEMP_SENSOR = 910
    E911_DISCHARGE_TEMP_HIGH = 911
    E912_SUCTION_TEMP_SENSOR = 912
    E913_SUCTION_TEMP_LOW = 913
    E914_EVAPORATOR_TEMP_SENSOR = 914
    E915_TEMP_DIFFERENCE = 915
    E916_EVAPORATOR_TEMP = 916
    E920_AMBIENT_TEMP_SENSOR = 920
    E940_REFRIGERANT_BLOCKAGE = 940
    E990_CONDENSATE_OVERFLOW = 990


# ---------------------------------------------------------------------------------------
# Display text
# ---------------------------------------------------------------------------------------

DHW_OPERATION_SETTING_TEXT: dict[DhwOperationSetting, str] = {
    DhwOperationSetting.HEAT_PUMP: "Heat Pump",
    DhwOperationSetting.ELECTRIC: "Electric",
    DhwOperationSetting.ENERGY_SAVER: "Energy Saver",
    DhwOperationSetting.HIGH_DEMAND: "High Demand",
    DhwOperationSetting.VACATION: "Vacation",
    DhwOperationSetting.POWER_OFF: "Power Off",
}

CURRENT_OPERATION_MODE_TEXT: dict[CurrentOperationMode, str] = {
    CurrentOperationMode.STANDBY: "Standby",
    CurrentOperationMode.HEAT_PUMP_MODE: "Heat Pump Active",
    CurrentOperationMode.HYBRID_EFFICIENCY_MODE: "Hybrid Efficiency",
    CurrentOperationMode.HYBRID_BOOST_MODE: "Hybrid Boost",
}

HEAT_SOURCE_TEXT: dict[HeatSource, str] = {
    HeatSource.UNKNOWN: "Unknown",
    HeatSource.HEATPUMP: "Heat Pump",
    HeatSource.HEATELEMENT: "Heat Element",
    HeatSource.HEATPUMP_HEATELEMENT: "Heat Pump & Heat Element",
}

DR_EVENT_TEXT: dict[DREvent, str] = {
    DREvent.UNKNOWN: "Not Applied",
    DREvent.RUN_NORMAL: "Run Normal",
    DREvent.SHED: "Shed",
    DREvent.LOADUP: "Load Up",
    DREvent.LOADUP_ADV: "Advance Load Up",
    DREvent.CPE: "Customer Peak Event",
}

RECIRC_MODE_TEXT: dict[RecirculationMode, str] = {
    RecirculationMode.UNKNOWN: "Unknown",
    RecirculationMode.ALWAYS: "Always",
    RecirculationMode.BUTTON: "Button",
    RecirculationMode.SCHEDULE: "Schedule",
    RecirculationMode.TEMPERATURE: "Temperature",
}

TOU_RATE_TEXT: dict[TouRateType, str] = {
    TouRateType.UNKNOWN: "Unknown",
    TouRateType.OFF_PEAK: "Off Peak",
    TouRateType.MID_PEAK: "Mid Peak",
    TouRateType.ON_PEAK: "On Peak",
}

FILTER_STATUS_TEXT: dict[FilterChange, str] = {
    FilterChange.NORMAL: "Normal Operation",
    FilterChange.REPLACE_NEED: "Replacement Needed",
    FilterChange.UNKNOWN: "Unknown",
}

DHW_CONTROL_TYPE_FLAG_TEXT: dict[DHWControlTypeFlag, str] = {
    DHWControlTypeFlag.UNKNOWN: "Unknown",
    DHWControlTypeFlag.DISABLE: "OFF",
    DHWControlTypeFlag.ENABLE_DOT_5_DEGREE: "0.5°C",
    DHWControlTypeFlag.ENABLE_1_DEGREE: "1°C",
    DHWControlTypeFlag.ENABLE_3_STAGE: "3 Stage",
}

VOLUME_CODE_TEXT: dict[VolumeCode, str] = {
    VolumeCode.VOLUME_50: "50 gallons",
    VolumeCode.VOLUME_65: "65 gallons",
    VolumeCode.VOLUME_80: "80 gallons",
}

INSTALL_TYPE_TEXT: dict[InstallType, str] = {
    InstallType.RESIDENTIAL: "Residential",
    InstallType.COMMERCIAL: "Commercial",
}

ERROR_CODE_TEXT: dict[ErrorCode, str] = {
    ErrorCode.NO_ERROR: "No Error",
    ErrorCode.E096_UPPER_HEATER: "Abnormal Upper Electric Heater",
    ErrorCode.E097_LOWER_HEATER: "Abnormal Lower Electric Heater",
    ErrorCode.E326_DRY_FIRE: "Dry Fire",
    ErrorCode.E407_DHW_TEMP_SENSOR: "Abnormal DHW Temperature Sensor",
    ErrorCode.E445_MIXING_VALVE: "Abnormal Mixing Valve",
    ErrorCode.E480_TANK_UPPER_TEMP_SENSOR: "Abnormal Tank Upper Temperature Sensor",
    ErrorCode.E481_TANK_LOWER_TEMP_SENSOR: "Abnormal Tank Lower Temperature Sensor",
    ErrorCode.E515_RELAY_FAULT: "Relay Fault",
    ErrorCode.E517_DIP_SWITCH: "Abnormal DIP Switch",
    ErrorCode.E593_PANEL_KEY: "Abnormal Panel Key",
    ErrorCode.E594_EEPROM: "Abnormal EEPROM",
    ErrorCode.E595_POWER_METER: "Abnormal Power Meter",
    ErrorCode.E596_WIFI: "Abnormal WiFi Connection",
    ErrorCode.E598_RTC: "Abnormal Real-Time Clock",
    ErrorCode.E615_FEEDBACK: "Abnormal Feedback",
    ErrorCode.E781_CTA2045: "Abnormal CTA-2045 Communication",
    ErrorCode.E798_SHUTOFF_VALVE: "Abnormal Shut-off Valve",
    ErrorCode.E799_WATER_LEAK: "Water Leak Detected",
    ErrorCode.E901_ECO: "Abnormal ECO Operation",
    ErrorCode.E907_COMPRESSOR_POWER: "Abnormal Compressor Power Line",
    ErrorCode.E908_COMPRESSOR: "Abnormal Compressor Operation",
    ErrorCode.E909_EVAPORATOR_FAN: "Abnormal Evaporator Fan",
    ErrorCode.E910_DISCHARGE_TEMP_SENSOR: "Abnormal Discharge Temperature Sensor",
    ErrorCode.E911_DISCHARGE_TEMP_HIGH: "Abnormally High Discharge Temperature",
    ErrorCode.E912_SUCTION_TEMP_SENSOR: "Abnormal Suction Temperature Sensor",
    ErrorCode.E913_SUCTION_TEMP_LOW: "Abnormally Low Suction Temperature",
    ErrorCode.E914_EVAPORATOR_TEMP_SENSOR: "Abnormal Evaporator Temperature Sensor",
    ErrorCode.E915_TEMP_DIFFERENCE: "Abnormal Temperature Difference",
    ErrorCode.E916_EVAPORATOR_TEMP: "Abnormal Evaporator Temperature",
    ErrorCode.E920_AMBIENT_TEMP_SENSOR: "Abnormal Ambient Temperature Sensor",
    ErrorCode.E940_REFRIGERANT_BLOCKAGE: "Refrigerant Line Blockage",
    ErrorCode.E990_CONDENSATE_OVERFLOW: "Condensate Overflow Detected",
}
