"""What the device commands print: JSON (``--raw``/``--json``), tables, one-line results.

JSON goes to stdout as plain ``json.dumps(..., indent=2)`` text, highlighted only when stdout
is a terminal, so it can always be piped into ``jq`` or parsed. Tables and result lines use
rich when it is installed and stdout is a terminal (``NWP500_NO_RICH=1`` turns that off, as in
nwp-cli), plain text otherwise. Errors are not printed here: the command turns them into one
line on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from calendar import month_name
from datetime import date, datetime
from enum import Enum
from typing import Any, Sequence

from ..encoding import decode_price, decode_season_bitfield, decode_week_bitfield

try:  # the ``cli`` extra; plain text without it
    import rich
    from rich.console import Console
    from rich.syntax import Syntax
    from rich.table import Table
    from rich.text import Text
except ImportError:  # pragma: no cover - exercised without the extra
    rich = None  # type: ignore[assignment]

__all__ = ["use_rich", "to_jsonable", "print_json", "print_success", "print_table", "abbreviate_days",
           "format_months", "status_items", "feature_items", "print_reservations", "print_tou_schedule",
           "energy_report", "daily_energy_report"]

Item = tuple[str, str, Any]   # (category, label, value)
DAY_ORDER = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
MONTH_ABBR = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def use_rich() -> bool:
    """Whether to draw with rich: installed, stdout a terminal, not turned off."""
    return rich is not None and os.environ.get("NWP500_NO_RICH", "0") != "1" and sys.stdout.isatty()


def to_jsonable(value: Any) -> Any:
    """``json.dumps`` fallback: datetimes as ISO 8601, enums by name, models by ``model_dump``."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.name
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON (highlighted on a terminal)."""
    text = json.dumps(data, indent=2, default=to_jsonable, ensure_ascii=False)
    if use_rich():
        Console().print(Syntax(text, "json", theme="monokai", word_wrap=True))
    else:
        print(text, flush=True)


def print_success(message: str) -> None:
    """A command's one-line result: ``✓ message``."""
    if use_rich():
        Console().print(f"[green]✓ {message}[/green]", highlight=False)
    else:
        print(f"✓ {message}", flush=True)


def _text(value: Any) -> str:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def print_table(items: Sequence[Item], title: str = "DEVICE STATUS") -> None:
    """Label/value rows grouped under their category headings."""
    if use_rich():
        table = Table(title=title, show_header=False)
        current = None
        for category, label, value in items:
            if category != current:
                if current is not None:
                    table.add_row()
                table.add_row(Text(category, style="bold cyan"))
                current = category
            table.add_row(Text(f"  {label}", style="magenta"), Text(_text(value), style="green"))
        Console().print(table)
        return
    label_width = max((len(label) for _, label, _ in items), default=20)
    width = label_width + max((len(_text(v)) for _, _, v in items), default=20) + 4
    lines = ["=" * width, title, "=" * width]
    current = None
    for category, label, value in items:
        if category != current:
            if current is not None:
                lines.append("")
            lines += [category, "-" * width]
            current = category
        lines.append(f"  {label:<{label_width}}  {_text(value)}")
    lines.append("=" * width)
    print("\n".join(lines), flush=True)


def _collapse(items: list[Any], label: Any, nxt: Any) -> str:
    """Runs of three or more consecutive items become ``first–last``."""
    if not items:
        return ""
    groups = [[items[0]]]
    for prev, cur in zip(items, items[1:]):
        if nxt(prev) == cur:
            groups[-1].append(cur)
        else:
            groups.append([cur])
    parts: list[str] = []
    for g in groups:
        parts += [f"{label(g[0])}–{label(g[-1])}"] if len(g) >= 3 else [label(x) for x in g]
    return ", ".join(parts)


def abbreviate_days(days: Sequence[str]) -> str:
    """``["Monday", ..., "Friday"]`` -> ``"Mon–Fri"``; all seven -> ``"Every day"``."""
    known = sorted({d for d in days if d in DAY_ORDER}, key=DAY_ORDER.index)
    if len(known) == 7:
        return "Every day"
    if set(known) == {"Saturday", "Sunday"}:
        return "Sat–Sun"
    return _collapse(known, lambda d: d[:3], lambda d: DAY_ORDER[(DAY_ORDER.index(d) + 1) % 7])


def format_months(months: Sequence[int]) -> str:
    """``[6, 7, 8, 9]`` -> ``"Jun–Sep"``; all twelve -> ``"All year"``."""
    known = sorted({m for m in months if 1 <= m <= 12})
    if len(known) == 12:
        return "All year"
    return _collapse(known, lambda m: MONTH_ABBR[m], lambda m: m % 12 + 1)


def _with_unit(model: Any, name: str) -> str:
    return f"{_text(getattr(model, name))}{model.get_field_unit(name)}"


_STATUS_LAYOUT: list[tuple[str, list[tuple[str, str]]]] = [
    ("OPERATION STATUS", [("operation_mode", "Mode"), ("dhw_operation_setting", "DHW Mode"),
                          ("operation_busy", "Busy"), ("current_statenum", "State"),
                          ("current_inst_power", "Current Power"), ("current_heat_use", "Heat Source")]),
    ("WATER TEMPERATURES", [("dhw_temperature", "DHW Current"), ("dhw_target_temperature_setting", "DHW Target"),
                            ("tank_upper_temperature", "Tank Upper"), ("tank_lower_temperature", "Tank Lower"),
                            ("current_inlet_temperature", "Inlet Temp"), ("current_dhw_flow_rate", "DHW Flow Rate"),
                            ("dhw_charge_per", "DHW Charge")]),
    ("AMBIENT TEMPERATURES", [("outside_temperature", "Outside"), ("ambient_temperature", "Ambient")]),
    ("SYSTEM TEMPERATURES", [("discharge_temperature", "Discharge"), ("suction_temperature", "Suction"),
                             ("evaporator_temperature", "Evaporator"), ("target_super_heat", "Target SuperHeat"),
                             ("current_super_heat", "Current SuperHeat")]),
    ("HEAT PUMP SETTINGS", [("hp_upper_on_temp_setting", "Upper On"), ("hp_upper_off_temp_setting", "Upper Off"),
                            ("hp_lower_on_temp_setting", "Lower On"), ("hp_lower_off_temp_setting", "Lower Off")]),
    ("HEAT ELEMENT SETTINGS", [("he_upper_on_temp_setting", "Upper On"), ("he_upper_off_temp_setting", "Upper Off"),
                               ("he_lower_on_temp_setting", "Lower On"), ("he_lower_off_temp_setting", "Lower Off")]),
    ("POWER & ENERGY", [("total_energy_capacity", "Total Capacity"),
                        ("available_energy_capacity", "Available Capacity")]),
    ("FAN CONTROL", [("target_fan_rpm", "Target RPM"), ("current_fan_rpm", "Current RPM"), ("fan_pwm", "PWM"),
                     ("cumulated_op_time_eva_fan", "Eva Fan Time")]),
    ("COMPRESSOR & VALVE", [("mixing_rate", "Mixing Rate"), ("eev_step", "EEV Step")]),
    ("RECIRCULATION", [("recirc_operation_mode", "Operation Mode"), ("recirc_pump_operation_status", "Pump Status"),
                       ("recirc_temperature", "Temperature"), ("recirc_faucet_temperature", "Faucet Temp")]),
    ("STATUS & ALERTS", [("error_code", "Error Code"), ("sub_error_code", "Sub Error Code"),
                         ("fault_status1", "Fault Status 1"), ("fault_status2", "Fault Status 2"),
                         ("error_buzzer_use", "Error Buzzer")]),
    ("VACATION MODE", [("vacation_day_setting", "Days Set"), ("vacation_day_elapsed", "Days Elapsed")]),
    ("AIR FILTER", [("air_filter_alarm_period", "Alarm Period"), ("air_filter_alarm_elapsed", "Alarm Elapsed")]),
    ("WiFi & NETWORK", [("wifi_rssi", "RSSI")]),
    ("DEMAND RESPONSE & TOU", [("dr_event_status", "DR Event Status"), ("dr_override_status", "DR Override Status"),
                               ("tou_status", "TOU Status"), ("tou_override_status", "TOU Override Status")]),
    ("ANTI-LEGIONELLA", [("anti_legionella_use", "Enabled"), ("anti_legionella_period", "Period"),
                         ("anti_legionella_operation_busy", "Operation Busy")]),
]


def status_items(status: Any) -> list[Item]:
    """The rows ``nwp500 status`` shows for a ``DeviceStatus`` (values with their units)."""
    items: list[Item] = []
    for category, fields in _STATUS_LAYOUT:
        for name, label in fields:
            if not hasattr(status, name):
                continue
            value = getattr(status, name)
            shown = ("Yes" if value else "No") if isinstance(value, bool) else _with_unit(status, name)
            items.append((category, label, shown))
    return items


_FEATURE_FLAGS = [("Power Control", "power_use"), ("DHW Control", "dhw_use"), ("Heat Pump Mode", "heatpump_use"),
                  ("Electric Mode", "electric_use"), ("Energy Saver", "energy_saver_use"),
                  ("High Demand", "high_demand_use"), ("Eco Mode", "eco_use"), ("Holiday Mode", "holiday_use"),
                  ("Program Reservation", "program_reservation_use"), ("Recirculation", "recirculation_use"),
                  ("Recirculation Reservation", "recirc_reservation_use"),
                  ("Smart Diagnostic", "smart_diagnostic_use"), ("WiFi RSSI", "wifi_rssi_use"),
                  ("Energy Usage", "energy_usage_use"), ("Freeze Protection", "freeze_protection_use"),
                  ("Mixing Valve", "mixing_valve_use"), ("DR Settings", "dr_setting_use"),
                  ("Anti-Legionella", "anti_legionella_setting_use"), ("HPWH", "hpwh_use"),
                  ("DHW Refill", "dhw_refill_use"), ("Title 24", "title24_use")]


def feature_items(feature: Any) -> list[Item]:
    """The rows ``nwp500 info`` shows for a ``DeviceFeature``."""
    d = feature.model_dump()
    items: list[Item] = []
    for key, label in (("controller_serial_number", "Serial Number"), ("country_code", "Country Code"),
                       ("model_type_code", "Model Type"), ("control_type_code", "Control Type"),
                       ("volume_code", "Volume Code")):
        if key in d:
            items.append(("DEVICE IDENTITY", label, d[key]))
    for key, label in (("controller_sw_version", "Controller Version"), ("controller_sw_code", "Controller Code"),
                       ("panel_sw_version", "Panel Version"), ("panel_sw_code", "Panel Code"),
                       ("wifi_sw_version", "WiFi Version"), ("wifi_sw_code", "WiFi Code")):
        if key in d:
            items.append(("FIRMWARE VERSIONS", label, f"v{d[key]}" if key.endswith("version") else d[key]))
    if d.get("recirc_sw_version"):
        items.append(("FIRMWARE VERSIONS", "Recirculation Version", f"v{d['recirc_sw_version']}"))
    if "temperature_type" in d:
        items.append(("CONFIGURATION", "Temperature Unit", d["temperature_type"]))
    if "temp_formula_type" in d:
        items.append(("CONFIGURATION", "Temperature Formula", d["temp_formula_type"]))
    for low, high, label in (("dhw_temperature_min", "dhw_temperature_max", "DHW Temp Range"),
                             ("freeze_protection_temp_min", "freeze_protection_temp_max", "Freeze Protection Range"),
                             ("recirc_temperature_min", "recirc_temperature_max", "Recirculation Temp Range")):
        if low in d and high in d:
            unit = feature.get_field_unit(low)
            items.append(("CONFIGURATION", label, f"{_text(d[low])}{unit} - {_text(d[high])}{unit}"))
    for label, attr in _FEATURE_FLAGS:
        if hasattr(feature, attr):
            items.append(("SUPPORTED FEATURES", label, "Yes" if getattr(feature, attr) else "No"))
    return items


def print_reservations(rows: list[dict[str, Any]], enabled: bool) -> None:
    """The reservation program as a table (``rows``: number, enabled, days, time, temperature)."""
    state = "ENABLED" if enabled else "DISABLED"
    if not rows:
        print(f"Reservations: {state}\n\nNo reservations configured", flush=True)
        return
    lines = [f"Reservations: {state}", "", "RESERVATIONS", "=" * 80,
             f"  {'#':<3} {'Enabled':<10} {'Days':<25} {'Time':<8} {'Mode':<14} {'Temp':<10}", "=" * 80]
    for r in rows:
        lines.append(f"  {r['number']:<3} {'Yes' if r['enabled'] else 'No':<10} {abbreviate_days(r['days']):<25} "
                     f"{r['time']:<8} {r['mode']:<14} {r['temperature']:<10}")
    lines.append("=" * 80)
    print("\n".join(lines), flush=True)


def print_tou_schedule(name: Any, utility: Any, zip_code: Any, schedules: Sequence[Any]) -> None:
    """A TOU plan: one block per season, one row per period with its prices in $/kWh."""
    lines = ["TOU SCHEDULE", "=" * 72, f"  Plan:    {name}", f"  Utility: {utility}", f"  ZIP:     {zip_code}",
             "=" * 72]
    for sched in schedules:
        lines += ["", f"  Season: {format_months(decode_season_bitfield(sched.season))}",
                  f"  {'Days':<20} {'Time':>13}  {'Min $/kWh':>10}  {'Max $/kWh':>10}", f"  {'-' * 57}"]
        for iv in sched.intervals:
            dp = iv.get("decimalPoint", 5)
            when = (f"{iv.get('startHour', 0):02d}:{iv.get('startMinute', 0):02d}"
                    f"–{iv.get('endHour', 0):02d}:{iv.get('endMinute', 0):02d}")
            lines.append(f"  {abbreviate_days(decode_week_bitfield(iv.get('week', 0))):<20} {when:>13}"
                         f"  {decode_price(iv.get('priceMin', 0), dp):>10.5f}"
                         f"  {decode_price(iv.get('priceMax', 0), dp):>10.5f}")
    print("\n".join(lines), flush=True)


def _summary(total: Any, width: int) -> list[str]:
    return ["", "TOTAL SUMMARY", "-" * width,
            f"Total Energy Used:        {total.total_usage:,} Wh ({total.total_usage / 1000:.2f} kWh)",
            f"  Heat Pump:              {total.heat_pump_usage:,} Wh ({total.heat_pump_percentage:.1f}%)",
            f"  Heat Element:           {total.heat_element_usage:,} Wh ({total.heat_element_percentage:.1f}%)",
            f"Total Time Running:       {total.total_time} hours",
            f"  Heat Pump:              {total.heat_pump_time} hours",
            f"  Heat Element:           {total.heat_element_time} hours"]


def energy_report(response: Any) -> str:
    """The monthly energy summary of an ``EnergyUsageResponse`` (nwp-cli's layout)."""
    lines = ["=" * 90, "ENERGY USAGE REPORT", "=" * 90, *_summary(response.total, 90)]
    if response.usage:
        lines += ["", "MONTHLY BREAKDOWN", "-" * 90,
                  f"{'Month':<20} {'Energy (Wh)':<18} {'HP (Wh)':<15} {'HE (Wh)':<15} {'HP Time (h)':<15}", "-" * 90]
        for m in response.usage:
            label = f"{month_name[m.month]} {m.year}" if 1 <= m.month <= 12 else f"Month {m.month} {m.year}"
            hp = sum(d.heat_pump_usage for d in m.data)
            he = sum(d.heat_element_usage for d in m.data)
            hp_time = sum(d.heat_pump_time for d in m.data)
            lines.append(f"{label:<20} {hp + he:>16,} {hp:>13,} {he:>13,} {hp_time:>13}")
    lines.append("=" * 90)
    return "\n".join(lines)


def daily_energy_report(response: Any, year: int, month: int) -> str:
    """The day-by-day energy use of one month (nwp-cli's layout)."""
    label = f"{month_name[month]} {year}" if 1 <= month <= 12 else f"Month {month} {year}"
    lines = ["=" * 100, f"DAILY ENERGY USAGE - {label}", "=" * 100]
    data = response.get_month_data(year, month)
    if not data or not data.data:
        return "\n".join(lines + ["No data available for this month", "=" * 100])
    lines += [*_summary(response.total, 100), "", "DAILY BREAKDOWN", "-" * 100,
              f"{'Day':<5} {'Energy (Wh)':<18} {'HP (Wh)':<15} {'HE (Wh)':<15} {'HP Time':<12} {'HE Time':<12}",
              "-" * 100]
    for day, d in enumerate(data.data, start=1):
        lines.append(f"{day:<5} {d.total_usage:>16,} {d.heat_pump_usage:>13,} {d.heat_element_usage:>13,} "
                     f"{d.heat_pump_time:>10} {d.heat_element_time:>10}")
    lines.append("=" * 100)
    return "\n".join(lines)
