"""The state of an emulated NWP500: a complete ``DeviceStatus`` and ``DeviceFeature`` key set
in the device's raw units, the control commands that change it, and a small thermal model.

Raw units (as the real device sends them, °F display selected by ``temperatureType`` 2):
half-°C for the tank set-points and limits, deci-°C for the refrigerant/tank sensors, tenths
for flow and hysteresis values, and 1 = off / 2 = on for the ``*Use`` flags.

Besides the status it keeps the two schedules the device stores: the reservation program
(``reservationUse`` + entries of six one-byte fields, read back hex-encoded, 6 bytes per
entry, as nwp500's ``decode_reservation_hex`` reads them) and the TOU periods (read back as
a list of camelCase objects).
"""

from __future__ import annotations

import time
from typing import Any

# Command codes (nwp500-python's CommandCode).
DEVICE_INFO = 16777217
STATUS = 16777219
RESERVATION_READ = 16777222
ENERGY_USAGE = 16777225
RESERVATION_WRITE = 16777226
POWER_OFF = 33554433
POWER_ON = 33554434
DHW_MODE = 33554437
RESERVATION_WEEKLY = 33554438  # weekly program write; read back on ``res/rsv-weekly/rd``
TOU_SETTINGS = 33554439        # with ``reservation`` periods: write; without: read
RECIRC_RESERVATION = 33554440  # recirculation schedule write; read back on ``res/recirc-rsv/rd``
RESERVATION_WATER_PROGRAM = 33554441
OTA_COMMIT = 33554442          # ``commitOta: {swCode, swVersion}`` instead of mode/param
OTA_CHECK = 33554443
RECIRC_HOT_BUTTON = 33554444
RECIRC_MODE = 33554445
WIFI_RECONNECT = 33554446
WIFI_RESET = 33554447
FREEZE_TEMP = 33554451
SMART_DIAGNOSTIC = 33554455
DHW_TEMPERATURE = 33554464
INTELLIGENT_OFF = 33554467
INTELLIGENT_ON = 33554468
DR_OFF = 33554469
DR_ON = 33554470
ANTI_LEGIONELLA_OFF = 33554471
ANTI_LEGIONELLA_ON = 33554472
AIR_FILTER_RESET = 33554473
TOU_OFF = 33554475
TOU_ON = 33554476

# ``ctrl`` commands: applied, then answered with a full status.
CONTROL_COMMANDS = (POWER_OFF, POWER_ON, DHW_MODE, FREEZE_TEMP, DHW_TEMPERATURE,
                    ANTI_LEGIONELLA_OFF, ANTI_LEGIONELLA_ON, TOU_OFF, TOU_ON, DR_OFF, DR_ON,
                    AIR_FILTER_RESET, RECIRC_MODE, RECIRC_HOT_BUTTON, RESERVATION_WATER_PROGRAM,
                    OTA_CHECK, WIFI_RECONNECT, WIFI_RESET, SMART_DIAGNOSTIC, INTELLIGENT_OFF,
                    INTELLIGENT_ON)
# Commands taking no parameter that the emulation only records (in ``applied``): what the real
# device then does (an OTA server query, a Wi-Fi re-join or reset, a self-test, switching
# to the water program) has no status field to show it in.
RECORDED_ONLY = (RESERVATION_WATER_PROGRAM, OTA_CHECK, WIFI_RECONNECT, WIFI_RESET, SMART_DIAGNOSTIC)
# Schedule commands: answered on the client's ``res/rsv/rd`` / ``res/tou/rd`` topic.
RESERVATION_COMMANDS = (RESERVATION_READ, RESERVATION_WRITE)

# One reservation entry: six one-byte fields, in wire (and hex) order, with their ranges.
RESERVATION_FIELDS = (("enable", 1, 2), ("week", 0, 255), ("hour", 0, 23), ("min", 0, 59),
                      ("mode", 1, 6), ("param", 0, 255))
# One recirculation window: the keys 9.3.0 sends, with their ranges (mode: 1 always, 2 button,
# 3 schedule, 4 temperature).
RECIRC_FIELDS = (("enable", 1, 2), ("week", 0, 255), ("startHour", 0, 23), ("startMin", 0, 59),
                 ("endHour", 0, 23), ("endMin", 0, 59), ("mode", 1, 4))
# One TOU period: the device's camelCase keys, with their ranges (season: 12 month bits).
TOU_FIELDS = (("season", 0, 0xFFF), ("week", 0, 255), ("startHour", 0, 23), ("startMinute", 0, 59),
              ("endHour", 0, 23), ("endMinute", 0, 59), ("priceMin", 0, 2**31 - 1),
              ("priceMax", 0, 2**31 - 1), ("decimalPoint", 0, 10))

# dhwOperationSetting
HEAT_PUMP, ELECTRIC, ENERGY_SAVER, HIGH_DEMAND, VACATION, POWERED_OFF = 1, 2, 3, 4, 5, 6
# operationMode
STANDBY, HEAT_PUMP_MODE, HYBRID_EFFICIENCY, HYBRID_BOOST = 0, 32, 64, 96
OFF, ON = 1, 2  # DeviceBool
# currentHeatUse (HeatSource): 0 = nothing heating, 1 = heat pump, 2 = element, 3 = both
HEAT_NONE, HEAT_HEAT_PUMP, HEAT_ELEMENT = 0, 1, 2
# drEventStatus (DREvent): 0 = no DR (not participating), 1 = RUN_NORMAL (enrolled, no event)
DR_NONE, DR_RUN_NORMAL = 0, 1
# recircOperationMode (RecirculationMode): 1 always, 2 button, 3 schedule, 4 temperature
RECIRC_ALWAYS = 1


def _int(value: Any) -> int | None:
    """An integer field of a request (an integral float counts); ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _read_fields(item: Any, fields: tuple[tuple[str, int, int], ...]) -> tuple[int, ...] | None:
    """The values of ``fields`` in ``item`` (other keys are ignored), or ``None`` when one is
    missing, not an integer or out of range: the device rejects the whole write then."""
    if not isinstance(item, dict):
        return None
    values = []
    for key, low, high in fields:
        value = _int(item.get(key))
        if value is None or not low <= value <= high:
            return None
        values.append(value)
    return tuple(values)


def _program(use: Any, entries: Any) -> tuple[int, list[tuple[int, ...]]] | None:
    """A reservation-style program write: the use flag (1 off, 2 on) and entries of the
    reservation's six fields; ``None`` if the flag or any entry is invalid."""
    flag = _int(use)
    if flag not in (OFF, ON) or not isinstance(entries, list):
        return None
    rows = [_read_fields(entry, RESERVATION_FIELDS) for entry in entries]
    if any(row is None for row in rows):
        return None
    return flag, [row for row in rows if row is not None]


def initial_status() -> dict[str, Any]:
    """Every DeviceStatus key: a 50-gallon unit (feature ``volumeCode`` 65) in Energy Saver,
    idle, tank at 139.1 °F."""
    return {
        # plain ints
        "command": STATUS, "specialFunctionStatus": 0, "errorCode": 0, "subErrorCode": 0,
        "smartDiagnostic": 0, "faultStatus1": 0, "faultStatus2": 0, "wifiRssi": -52,
        "drEventStatus": 0, "vacationDaySetting": 0, "vacationDayElapsed": 0,
        "antiLegionellaPeriod": 14, "programReservationType": 0, "currentStatenum": 0,
        "targetFanRpm": 0, "currentFanRpm": 0, "fanPwm": 0, "eevStep": 0,
        "airFilterAlarmPeriod": 1000, "airFilterAlarmElapsed": 212, "cumulatedOpTimeEvaFan": 1843,
        "touStatus": 0, "drOverrideStatus": 0, "touOverrideStatus": 0, "recircOperationMode": 0,
        "recircPumpOperationStatus": 0, "recircHotBtnReady": 0, "recircOperationReason": 0,
        "recircErrorStatus": 0, "tempFormulaType": 1,
        # floats passed through
        "outsideTemperature": 0.0, "dhwChargePer": 94.0, "mixingRate": 0.0,
        "cumulatedDhwFlowRate": 31874.0, "totalEnergyCapacity": 1580.0,
        "availableEnergyCapacity": 1485.0, "currentInstPower": 0.0,
        # DeviceBool: 1 = off, 2 = on
        "didReload": OFF, "operationBusy": OFF, "freezeProtectionUse": ON, "dhwUse": OFF,
        "dhwUseSustained": OFF, "programReservationUse": OFF, "ecoUse": ON, "compUse": OFF,
        "eevUse": OFF, "evaFanUse": OFF, "shutOffValveUse": OFF, "conOvrSensorUse": OFF,
        "wtrOvrSensorUse": OFF, "antiLegionellaUse": ON, "antiLegionellaOperationBusy": OFF,
        "errorBuzzerUse": ON, "heatUpperUse": OFF, "heatLowerUse": OFF,
        "scaldUse": OFF, "airFilterAlarmUse": ON, "recircOperationBusy": OFF,
        "recircReservationUse": OFF,
        # HeatSource enum, not a DeviceBool: 0 = nothing heating (set by the thermal model)
        "currentHeatUse": HEAT_NONE,
        # half-°C (HalfCelsiusToF)
        "dhwTemperature": 119, "dhwTemperatureSetting": 120, "dhwTargetTemperatureSetting": 120,
        "freezeProtectionTemperature": 12, "dhwTemperature2": 114,
        "hpUpperOnTempSetting": 110, "hpUpperOffTempSetting": 120,
        "hpLowerOnTempSetting": 108, "hpLowerOffTempSetting": 120,
        "heUpperOnTempSetting": 106, "heUpperOffTempSetting": 120,
        "heLowerOnTempSetting": 104, "heLowerOffTempSetting": 120,
        "heatMinOpTemperature": 5, "recircTempSetting": 0, "recircTemperature": 0,
        "recircFaucetTemperature": 0, "freezeProtectionTempMin": 12, "freezeProtectionTempMax": 20,
        # cold-water inlet sensor, half-°C as 9.3.0 decodes it; NWP500 captures report 0 here
        # (the app never shows it), and this model never draws water: 0
        "currentInletTemperature": 0,
        # tenths (Div10)
        "currentDhwFlowRate": 0,
        "hpUpperOnDiffTempSetting": -50, "hpUpperOffDiffTempSetting": 0,
        "hpLowerOnDiffTempSetting": -60, "hpLowerOffDiffTempSetting": 0,
        "heUpperOnDiffTempSetting": -70, "heUpperOffDiffTempSetting": 0,
        "heLowerOnTDiffempSetting": -80,  # sic: the device's spelling
        "heLowerOffDiffTempSetting": 0, "recircDhwFlowRate": 0,
        # deci-°C (DeciCelsiusToF)
        "tankUpperTemperature": 595, "tankLowerTemperature": 570, "dischargeTemperature": 228,
        "suctionTemperature": 205, "evaporatorTemperature": 198, "ambientTemperature": 212,
        "targetSuperHeat": 50, "currentSuperHeat": 0,
        # enums
        "operationMode": STANDBY, "dhwOperationSetting": ENERGY_SAVER, "temperatureType": 2,
    }


def initial_feature(serial: str) -> dict[str, Any]:
    """Every DeviceFeature key (capability flags: 2 = supported, 1 = not)."""
    return {
        # volumeCode (VolumeCode): 65 = 50 gal, 66 = 65 gal, 67 = 80 gal; this is the 50-gallon unit
        "countryCode": 3, "modelTypeCode": 513, "controlTypeCode": 100, "volumeCode": 65,
        "controllerSwVersion": 184614912, "panelSwVersion": 0, "wifiSwVersion": 34013184,
        "controllerSwCode": 1, "panelSwCode": 0, "wifiSwCode": 4,
        "controllerSerialNumber": serial,
        "powerUse": 2, "holidayUse": 2, "programReservationUse": 2, "dhwUse": 2,
        "dhwTemperatureSettingUse": 2, "smartDiagnosticUse": 2, "wifiRssiUse": 2,
        "tempFormulaType": 1, "energyUsageUse": 2, "freezeProtectionUse": 2, "mixingValueUse": 1,
        "drSettingUse": 2, "antiLegionellaSettingUse": 2, "hpwhUse": 2, "dhwRefillUse": 2,
        "ecoUse": 2, "electricUse": 2, "heatpumpUse": 2, "energySaverUse": 2, "highDemandUse": 2,
        "dhwTemperatureMin": 70, "dhwTemperatureMax": 131,   # 95.0 .. 149.9 °F
        "freezeProtectionTempMin": 12, "freezeProtectionTempMax": 20,  # 42.8 .. 50 °F
        "temperatureType": 2,
    }


class DeviceState:
    """Applies control requests and schedule writes; produces full status/feature objects
    and the reservation/TOU read-backs."""

    # Tank change in half-°C per second: heat pump ~0.5 °C/min, elements ~3 °C/min,
    # standby loss ~0.5 °C/h.
    HP_RATE, ELECTRIC_RATE, LOSS_RATE = 1 / 60, 1 / 10, 1 / 3600
    # A hot-button press runs the recirculation pump this long (seconds).
    HOT_BUTTON_RUN = 180.0

    def __init__(self, serial: str, *, thermal: bool = True, clock=time.monotonic) -> None:
        self.status = initial_status()
        self.feature = initial_feature(serial)
        self.thermal = thermal
        self.clock = clock
        self._last = clock()
        self._temp = float(self.status["dhwTemperature"])
        self._mode_before_off = ENERGY_SAVER
        self._hot_button_until: float | None = None
        self.applied: list[tuple[int, list]] = []
        # Schedules: reservationUse / TOU use in the device polarity (1 = off, 2 = on).
        self.reservation_use = OFF
        self.reservations: list[tuple[int, ...]] = []        # RESERVATION_FIELDS order
        self.tou_use = OFF
        self.tou_periods: list[tuple[int, ...]] = []         # TOU_FIELDS order
        self.weekly_use = OFF
        self.weekly: list[tuple[int, ...]] = []              # RESERVATION_FIELDS order
        self.recirc_schedule: list[tuple[int, ...]] = []     # RECIRC_FIELDS order
        # Intelligent (learned) scheduling, 1 off / 2 on: no DeviceStatus field reports it.
        self.intelligent_use = OFF

    # -- commands ------------------------------------------------------------------
    def apply(self, command: int, param: list | None) -> bool:
        """Apply one control command; ``False`` if unknown or its parameter is invalid."""
        self.advance()
        p = [int(x) for x in (param or []) if isinstance(x, (int, float)) and float(x).is_integer()]
        s, ok = self.status, True
        if command == POWER_OFF:
            if s["dhwOperationSetting"] != POWERED_OFF:
                self._mode_before_off = s["dhwOperationSetting"]
            s["dhwOperationSetting"] = POWERED_OFF
        elif command == POWER_ON:
            if s["dhwOperationSetting"] == POWERED_OFF:
                s["dhwOperationSetting"] = self._mode_before_off
        elif command == DHW_MODE and p and 1 <= p[0] <= 5:
            if p[0] == VACATION:
                if len(p) < 2 or not 1 <= p[1] <= 99:
                    return False
                s["vacationDaySetting"], s["vacationDayElapsed"] = p[1], 0
            s["dhwOperationSetting"] = p[0]
        elif command == DHW_TEMPERATURE and p and \
                self.feature["dhwTemperatureMin"] <= p[0] <= self.feature["dhwTemperatureMax"]:
            s["dhwTemperatureSetting"] = s["dhwTargetTemperatureSetting"] = p[0]
            for key in ("hpUpperOffTempSetting", "hpLowerOffTempSetting",
                        "heUpperOffTempSetting", "heLowerOffTempSetting"):
                s[key] = p[0]
        elif command == ANTI_LEGIONELLA_ON and p and 1 <= p[0] <= 30:
            s["antiLegionellaUse"], s["antiLegionellaPeriod"] = ON, p[0]
        elif command == ANTI_LEGIONELLA_OFF:
            s["antiLegionellaUse"] = OFF
        elif command == TOU_ON:
            s["touStatus"], self.tou_use = 1, ON
        elif command == TOU_OFF:
            s["touStatus"], self.tou_use = 0, OFF
        elif command == DR_ON:        # enrolled in demand response, no utility event running
            s["drEventStatus"], s["drOverrideStatus"] = DR_RUN_NORMAL, 0
        elif command == DR_OFF:
            s["drEventStatus"], s["drOverrideStatus"] = DR_NONE, 0
        elif command == AIR_FILTER_RESET:
            s["airFilterAlarmElapsed"] = 0
        elif command == RECIRC_MODE and p and 1 <= p[0] <= 4:
            s["recircOperationMode"] = p[0]
            self._update_recirculation()
        elif command == RECIRC_HOT_BUTTON and p and p[0] == 1:
            # A press: the pump runs for HOT_BUTTON_RUN seconds; recircHotBtnReady shows the
            # press is being served until then.
            self._hot_button_until = self.clock() + self.HOT_BUTTON_RUN
            self._update_recirculation()
        elif command == FREEZE_TEMP and p and \
                self.feature["freezeProtectionTempMin"] <= p[0] <= self.feature["freezeProtectionTempMax"]:
            s["freezeProtectionTemperature"] = p[0]
        elif command == INTELLIGENT_ON:
            self.intelligent_use = ON
        elif command == INTELLIGENT_OFF:
            self.intelligent_use = OFF
        elif command in RECORDED_ONLY:
            pass
        else:
            ok = False
        if ok:
            self.applied.append((command, p))
            self._update_heating()
        return ok

    def write_reservations(self, use: Any, entries: Any) -> bool:
        """A reservation write (16777226): ``reservationUse`` (1 off, 2 on) and the whole
        program. ``False`` (nothing changed) if the use flag or any entry is invalid."""
        self.advance()
        program = _program(use, entries)
        if program is None:
            return False
        use, rows = program
        self.reservation_use, self.reservations = use, rows
        self.status["programReservationUse"] = use
        self.applied.append((RESERVATION_WRITE, [use, len(rows)]))
        return True

    def reservation_response(self) -> dict[str, Any]:
        """The program as the device reads it back: entries hex-encoded, 6 bytes each."""
        data = bytes(value for entry in self.reservations for value in entry)
        return {"reservationUse": self.reservation_use, "reservation": data.hex()}

    def write_weekly(self, use: Any, entries: Any) -> bool:
        """A weekly program write (33554438): ``reservationUse`` (1 off, 2 on) and the
        entries (the reservation's six fields). ``False`` (nothing changed) if invalid."""
        self.advance()
        program = _program(use, entries)
        if program is None:
            return False
        use, rows = program
        self.weekly_use, self.weekly = use, rows
        self.applied.append((RESERVATION_WEEKLY, [use, len(rows)]))
        return True

    def weekly_response(self) -> dict[str, Any]:
        """The weekly program read back like the reservation program: hex, 6 bytes each."""
        data = bytes(value for entry in self.weekly for value in entry)
        return {"reservationUse": self.weekly_use, "reservation": data.hex()}

    def write_recirculation_schedule(self, windows: Any) -> bool:
        """A recirculation schedule write (33554440): ``schedule``, the whole list of windows.
        ``False`` (nothing changed) if it is not a list or a window is invalid."""
        self.advance()
        if not isinstance(windows, list):
            return False
        parsed = [_read_fields(window, RECIRC_FIELDS) for window in windows]
        rows = [window for window in parsed if window is not None]
        if len(rows) != len(parsed):
            return False
        self.recirc_schedule = rows
        self.applied.append((RECIRC_RESERVATION, [len(rows)]))
        return True

    def recirculation_response(self) -> dict[str, Any]:
        """The recirculation schedule read back: ``schedule``, a list of camelCase windows."""
        return {"schedule": [dict(zip((key for key, _, _ in RECIRC_FIELDS), window))
                             for window in self.recirc_schedule]}

    # firmware components: (the feature's code key, its version key)
    _FIRMWARE = (("controllerSwCode", "controllerSwVersion"), ("panelSwCode", "panelSwVersion"),
                 ("wifiSwCode", "wifiSwVersion"))

    def commit_ota(self, commit: Any) -> bool:
        """An OTA commit (33554442, ``commitOta: {swCode, swVersion}``): the component whose
        code (``controllerSwCode``, ``panelSwCode``, ``wifiSwCode``) is ``swCode`` now reports
        ``swVersion``. ``False`` (nothing changed) for a malformed payload or unknown code."""
        self.advance()
        if not isinstance(commit, dict):
            return False
        code, version = _int(commit.get("swCode")), _int(commit.get("swVersion"))
        if code is None or version is None or code <= 0 or version < 0:
            return False
        for code_key, version_key in self._FIRMWARE:
            if self.feature.get(code_key) == code:
                self.feature[version_key] = version
                self.applied.append((OTA_COMMIT, [code, version]))
                return True
        return False

    def write_tou(self, serial: Any, use: Any, periods: Any) -> bool:
        """A TOU write (33554439 with ``reservation``), for this controller only. ``False``
        (nothing changed) for another serial number or an invalid flag or period."""
        self.advance()
        use = _int(use)
        if serial != self.feature["controllerSerialNumber"] or use not in (OFF, ON) \
                or not isinstance(periods, list):
            return False
        parsed = [_read_fields(period, TOU_FIELDS) for period in periods]
        rows = [period for period in parsed if period is not None]
        if len(rows) != len(parsed):
            return False
        self.tou_use, self.tou_periods = use, rows
        self.status["touStatus"] = 1 if use == ON else 0
        self.applied.append((TOU_SETTINGS, [use, len(rows)]))
        return True

    def tou_response(self) -> dict[str, Any]:
        """The TOU settings as the device reads them back: a list of camelCase periods."""
        return {"controllerSerialNumber": self.feature["controllerSerialNumber"],
                "reservationUse": self.tou_use,
                "reservation": [dict(zip((key for key, _, _ in TOU_FIELDS), period))
                                for period in self.tou_periods]}

    def _update_recirculation(self) -> None:
        s = self.status
        button = self._hot_button_until is not None
        running = button or s["recircOperationMode"] == RECIRC_ALWAYS
        s["recircHotBtnReady"] = 1 if button else 0
        s["recircPumpOperationStatus"] = 1 if running else 0
        s["recircOperationBusy"] = ON if running else OFF

    # -- thermal model -----------------------------------------------------------------
    def _heating_kind(self) -> str | None:
        s = self.status
        mode = s["dhwOperationSetting"]
        if mode in (POWERED_OFF, VACATION):
            return None
        target = s["dhwTargetTemperatureSetting"]
        if s["operationMode"] != STANDBY:  # keep heating up to the set-point
            return self._kind_for(mode) if self._temp < target else None
        return self._kind_for(mode) if self._temp <= target - 6 else None  # 3 °C hysteresis

    @staticmethod
    def _kind_for(mode: int) -> str:
        return "electric" if mode in (ELECTRIC, HIGH_DEMAND) else "heat_pump"

    def advance(self) -> None:
        """Move the model forward to now."""
        now = self.clock()
        dt, self._last = max(0.0, now - self._last), now
        if self._hot_button_until is not None and now >= self._hot_button_until:
            self._hot_button_until = None
            self._update_recirculation()
        if not self.thermal or dt == 0:
            return
        s = self.status
        kind = self._heating_kind() if s["operationMode"] != STANDBY else None
        if kind == "electric":
            self._temp += self.ELECTRIC_RATE * dt
        elif kind == "heat_pump":
            self._temp += self.HP_RATE * dt
        else:
            self._temp -= self.LOSS_RATE * dt
        self._temp = min(self._temp, float(s["dhwTargetTemperatureSetting"]))
        self._update_heating()

    def _update_heating(self) -> None:
        s = self.status
        kind = self._heating_kind()
        hp, el = kind == "heat_pump", kind == "electric"
        s["operationMode"] = HEAT_PUMP_MODE if hp else HYBRID_BOOST if el else STANDBY
        s["operationBusy"] = ON if kind else OFF
        s["compUse"] = s["evaFanUse"] = s["eevUse"] = ON if hp else OFF
        s["heatUpperUse"] = ON if el else OFF
        s["currentHeatUse"] = HEAT_HEAT_PUMP if hp else HEAT_ELEMENT if el else HEAT_NONE
        s["currentInstPower"] = 465.0 if hp else 3780.0 if el else 0.0
        s["targetFanRpm"], s["currentFanRpm"], s["fanPwm"] = (1100, 1088, 62) if hp else (0, 0, 0)
        s["eevStep"] = 180 if hp else 0
        s["dischargeTemperature"] = 655 if hp else 228
        s["currentSuperHeat"] = 48 if hp else 0
        temp = round(self._temp)
        s["dhwTemperature"] = temp
        s["dhwTemperature2"] = max(0, temp - 5)
        s["tankUpperTemperature"] = round(self._temp * 5)        # half-°C -> deci-°C
        s["tankLowerTemperature"] = round(self._temp * 5) - 25
        target = max(1, s["dhwTargetTemperatureSetting"] - 40)   # 20 °C of usable range
        charge = max(0.0, min(100.0, 100.0 * (self._temp - 40) / target))
        s["dhwChargePer"] = float(round(charge))
        s["availableEnergyCapacity"] = float(round(s["totalEnergyCapacity"] * charge / 100))

    # -- payloads ------------------------------------------------------------------------
    def status_for(self, command: int) -> dict[str, Any]:
        self.advance()
        return dict(self.status, command=command)

    def summary(self) -> dict[str, Any]:
        s = self.status
        return {k: s[k] for k in ("dhwOperationSetting", "operationMode", "dhwTemperature",
                                  "dhwTemperatureSetting", "antiLegionellaUse", "antiLegionellaPeriod",
                                  "vacationDaySetting", "touStatus", "currentInstPower",
                                  "programReservationUse", "drEventStatus", "airFilterAlarmElapsed",
                                  "recircOperationMode", "recircPumpOperationStatus")} | {
            "reservations": len(self.reservations), "touPeriods": len(self.tou_periods),
            "weeklyReservations": len(self.weekly), "recirculationWindows": len(self.recirc_schedule),
            "intelligentUse": self.intelligent_use}
