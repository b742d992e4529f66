"""What each device command does, once signed in and connected (no click here).

Every function takes the :class:`~.session.Session` and the command's arguments, talks to the
device or the cloud, prints the result (see :mod:`.output`) and raises
:class:`~.session.CliError` when it cannot. The printed shapes follow nwp-cli 9.3.0: ``--raw``
prints the device's own JSON, ``--json`` the documented summaries, control commands a
``✓`` line once the device has answered with its new status.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable

from .._readback import read_back
from ..encoding import build_reservation_entry, decode_price, decode_season_bitfield, decode_week_bitfield
from ..reservations import fetch_reservations, update_reservations_confirmed
from ..enums import TemperatureType
from ..openei import OpenEIClient
from ..unit_system import get_unit_system, set_unit_system
from . import output
from .session import BAD_INPUT, CliError, Session

_log = logging.getLogger("nwp500.cli")

TIMEOUT = 10.0
MODES = {"standby": 0, "heat-pump": 1, "electric": 2, "energy-saver": 3, "high-demand": 4, "vacation": 5}
RECIRC_MODES = {1: "ALWAYS", 2: "BUTTON", 3: "SCHEDULE", 4: "TEMPERATURE"}
RESERVATION_FIELDS = ("enable", "week", "hour", "min", "mode", "param")


def _mqtt(s: Session) -> Any:
    if s.mqtt is None:  # a command wired with mqtt=False that talks to the device: a bug, said plainly
        raise CliError("internal error: this command needs the MQTT connection, which was not opened")
    return s.mqtt


async def _answer(subscribe: Callable[..., Awaitable[Any]], unsubscribe: Callable[..., Awaitable[Any]],
                  send: Callable[[], Awaitable[Any]], what: str, timeout: float = TIMEOUT) -> Any:
    answer = await read_back(subscribe, unsubscribe, send, timeout)
    if answer is None:
        raise CliError(f"timed out waiting for {what} ({timeout:.0f} s)")
    return answer


async def _status_after(s: Session, send: Callable[[], Awaitable[Any]], what: str) -> Any:
    m, d = _mqtt(s), s.device
    return await _answer(lambda cb: m.subscribe_device_status(d, cb), lambda cb: m.unsubscribe_device_status(d, cb),
                         send, what)


async def _feature(s: Session) -> Any:
    m, d = _mqtt(s), s.device
    return await _answer(lambda cb: m.subscribe_device_feature(d, cb), lambda cb: m.unsubscribe_device_feature(d, cb),
                         lambda: m.request_device_info(d), "the device information")


async def _raw_reply(s: Session, key: str, send: Callable[[], Awaitable[Any]], what: str) -> Any:
    """The first message on the device's topics whose ``response`` (or top level) has ``key``."""
    m = _mqtt(s)
    found: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_message(topic: str, message: dict[str, Any]) -> None:
        if found.done() or not isinstance(message, dict):
            return
        response = message.get("response")
        value = response.get(key) if isinstance(response, dict) else None
        value = value or message.get(key)
        if value:
            found.set_result(value)

    await m.subscribe_device(s.device, on_message)
    await send()
    try:
        return await asyncio.wait_for(found, TIMEOUT)
    except asyncio.TimeoutError:
        raise CliError(f"timed out waiting for {what} ({TIMEOUT:.0f} s)") from None


# -- reading -----------------------------------------------------------------------------------

async def status(s: Session, raw: bool) -> None:
    """``status [--raw]``: the device's current status."""
    m, d = _mqtt(s), s.device
    if raw:
        output.print_json(await _raw_reply(s, "status", lambda: m.request_device_status(d), "the device status"))
        return
    st = await _status_after(s, lambda: m.request_device_status(d), "the device status")
    output.print_table(output.status_items(st))


async def info(s: Session, raw: bool) -> None:
    """``info [--raw]``: firmware, limits and capabilities (the device's features)."""
    m, d = _mqtt(s), s.device
    if raw:
        output.print_json(await _raw_reply(s, "feature", lambda: m.request_device_info(d), "the device information"))
        return
    output.print_table(output.feature_items(await _feature(s)))


async def device_info(s: Session, raw: bool) -> None:
    """``device-info [--raw]``: what the REST API knows of the device."""
    di = s.device.device_info
    device = await s.api.get_device_info(mac_address=di.mac_address, additional_value=di.additional_value)
    if raw:
        output.print_json(device.model_dump())
        return
    i = device.device_info
    mac = f"{'*' * 8}{i.mac_address[-4:]}" if i.mac_address else "N/A"
    output.print_table([("DEVICE INFO", label, value) for label, value in (
        ("Device Name", i.device_name), ("MAC Address", mac), ("Device Type", i.device_type),
        ("Home Seq", i.home_seq), ("Connected", i.connected), ("Install Type", i.install_type or "N/A"),
        ("Additional Value", i.additional_value or "N/A"))])


async def serial(s: Session) -> None:
    """``serial``: the controller serial number, alone on a line."""
    number = (await _feature(s)).controller_serial_number
    if not number:
        raise CliError("the device reported no controller serial number")
    print(number, flush=True)


# -- control commands (confirmed by the status the device answers with) ------------------------

async def control(s: Session, what: str, done: str, send: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    """Send ``send(mqtt, device)``, wait for the device's new status, print ``✓ done``."""
    m, d = _mqtt(s), s.device
    status = await _status_after(s, lambda: send(m, d), what)
    output.print_success(done)
    return status


async def set_mode(s: Session, name: str) -> None:
    """``mode NAME`` (``vacation`` needs its number of days: ``vacation DAYS``)."""
    mode_id = MODES[name.lower()]
    if name.lower() == "vacation":
        raise CliError("vacation mode needs a number of days: use 'vacation DAYS'", BAD_INPUT)
    await control(s, f"the answer to mode {name}", f"Mode changed to {name}",
                  lambda m, d: m.set_dhw_mode(d, mode_id))


async def set_temperature(s: Session, value: float) -> None:
    """``temp VALUE`` (in the unit system in use: the device's own unless ``--unit-system``)."""
    m, d = _mqtt(s), s.device
    status = await _status_after(s, lambda: m.set_dhw_temperature(d, value), "the answer to the temperature change")
    unit = status.get_field_unit("dhw_target_temperature_setting").strip() or (
        "°C" if get_unit_system() == "metric" else "°F")
    output.print_success(f"Temperature set to {value}{unit}")


async def set_recirculation(s: Session, mode: int) -> None:
    """``recirc MODE``; warns when the device reports another mode than the one asked for."""
    name = RECIRC_MODES.get(mode, str(mode))
    st = await control(s, "the answer to the recirculation mode", f"Recirculation mode set to {name}",
                       lambda m, d: m.set_recirculation_mode(d, mode))
    reported = getattr(st, "recirc_operation_mode", None)
    if reported is not None and int(reported) != mode:
        _log.warning("the device reports recirculation mode %s instead of %s", getattr(reported, "name", reported),
                     name)


async def anti_legionella_status(s: Session) -> None:
    """``anti-legionella status``: enabled, cycle period, running now."""
    m, d = _mqtt(s), s.device
    st = await _status_after(s, lambda: m.request_device_status(d), "the device status")
    period = getattr(st, "anti_legionella_period", None)
    output.print_table([
        ("ANTI-LEGIONELLA", "Status", "Enabled" if st.anti_legionella_use else "Disabled"),
        ("ANTI-LEGIONELLA", "Cycle Period", f"{period} day(s)" if period else "N/A"),
        ("ANTI-LEGIONELLA", "Currently Running", "Yes" if st.anti_legionella_operation_busy else "No"),
    ])


# -- reservations ---------------------------------------------------------------------------------

async def _device_units(s: Session) -> None:
    """Reservation temperatures are in the preferred unit: without ``--unit-system``, take the
    device's own (as nwp-cli 9.3.0 detects it from a status)."""
    if s.unit_system or get_unit_system() is not None:
        return
    m, d = _mqtt(s), s.device
    status = await _status_after(s, lambda: m.request_device_status(d), "the device status")
    set_unit_system("metric" if status.temperature_type == TemperatureType.CELSIUS else "us_customary")


async def _schedule(s: Session) -> Any:
    await _device_units(s)
    schedule = await fetch_reservations(_mqtt(s), s.device, timeout=TIMEOUT)
    if schedule is None:
        raise CliError(f"timed out waiting for the reservations ({TIMEOUT:.0f} s)")
    return schedule


def _raw_entries(schedule: Any) -> list[dict[str, int]]:
    return [{k: int(getattr(e, k)) for k in RESERVATION_FIELDS} for e in schedule.reservation]


def _days(text: str) -> list[str]:
    days = [d.strip() for d in text.split(",") if d.strip()]
    if not days:
        raise CliError("--days: give at least one day (MO,TU,... or full names)", BAD_INPUT)
    return days


def _check_time(hour: int | None, minute: int | None, mode: int | None) -> None:
    if hour is not None and not 0 <= hour <= 23:
        raise CliError(f"--hour must be between 0 and 23, got {hour}", BAD_INPUT)
    if minute is not None and not 0 <= minute <= 59:
        raise CliError(f"--minute must be between 0 and 59, got {minute}", BAD_INPUT)
    if mode is not None and not 1 <= mode <= 6:
        raise CliError(f"--mode must be between 1 and 6, got {mode}", BAD_INPUT)


def _check_index(schedule: Any, index: int) -> None:
    count = len(schedule.reservation)
    if not 1 <= index <= count:
        raise CliError(f"no reservation {index}: there {'is' if count == 1 else 'are'} {count} "
                       f"(numbered from 1)", BAD_INPUT)


async def _write(s: Session, entries: list[dict[str, Any]], enabled: bool) -> Any:
    result = await update_reservations_confirmed(_mqtt(s), s.device, entries, enabled=enabled, timeout=TIMEOUT)
    if result is None:
        raise CliError(f"timed out waiting for the device to confirm the reservations ({TIMEOUT:.0f} s)")
    return result


async def reservations_get(s: Session, as_json: bool) -> None:
    """``reservations get [--json]``."""
    schedule = await _schedule(s)
    if as_json:
        output.print_json(schedule.model_dump())
        return
    rows = [{"number": n, "enabled": e.enabled, "days": e.days, "time": e.time, "mode": e.mode_name,
             "temperature": f"{e.temperature:g}{e.unit}"} for n, e in enumerate(schedule.reservation, 1)]
    output.print_reservations(rows, schedule.enabled)


async def reservations_set(s: Session, text: str, enabled: bool) -> None:
    """``reservations set JSON [--disabled]``: replace the program; prints the device's reply."""
    try:
        entries = json.loads(text)
    except ValueError as exc:
        raise CliError(f"JSON: not valid JSON ({exc})", BAD_INPUT) from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CliError("JSON: must be an array of reservation objects", BAD_INPUT)
    m, d = _mqtt(s), s.device
    topic = f"cmd/{d.device_info.device_type}/{m.client_id}/res/rsv/rd"
    reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    await m.subscribe(topic, lambda _t, msg: None if reply.done() or "response" not in msg else reply.set_result(msg))
    await m.update_reservations(d, entries, enabled=enabled)
    try:
        output.print_json(await asyncio.wait_for(reply, TIMEOUT))
    except asyncio.TimeoutError:
        raise CliError(f"timed out waiting for the device to confirm the reservations ({TIMEOUT:.0f} s)") from None


async def reservations_add(s: Session, enabled: bool, days: str, hour: int, minute: int, mode: int,
                           temperature: float) -> None:
    """``reservations add``: append one reservation; the program is switched on."""
    _check_time(hour, minute, mode)
    await _device_units(s)
    entry = build_reservation_entry(enabled=enabled, days=_days(days), hour=hour, minute=minute, mode_id=mode,
                                    temperature=temperature)
    schedule = await _schedule(s)
    await _write(s, [*_raw_entries(schedule), entry], True)
    print("✓ Reservation added successfully", flush=True)


async def reservations_delete(s: Session, index: int) -> None:
    """``reservations delete N`` (numbered from 1); an emptied program is switched off."""
    schedule = await _schedule(s)
    _check_index(schedule, index)
    entries = _raw_entries(schedule)
    del entries[index - 1]
    await _write(s, entries, bool(schedule.enabled and entries))
    print(f"✓ Reservation {index} deleted successfully", flush=True)


async def reservations_update(s: Session, index: int, *, enabled: bool | None, days: str | None,
                              hour: int | None, minute: int | None, mode: int | None,
                              temperature: float | None) -> None:
    """``reservations update N [...]``: change only the fields given."""
    _check_time(hour, minute, mode)
    schedule = await _schedule(s)
    _check_index(schedule, index)
    old = schedule.reservation[index - 1]
    entries = _raw_entries(schedule)
    new = build_reservation_entry(
        enabled=old.enabled if enabled is None else enabled, days=old.week if days is None else _days(days),
        hour=old.hour if hour is None else hour, minute=old.min if minute is None else minute,
        mode_id=old.mode if mode is None else mode, temperature=old.temperature if temperature is None else temperature)
    if temperature is None:
        new["param"] = int(old.param)  # untouched: keep the device's own value exactly
    entries[index - 1] = new
    await _write(s, entries, bool(schedule.enabled))
    print(f"✓ Reservation {index} updated successfully", flush=True)


# -- time of use ---------------------------------------------------------------------------------

def _openei() -> Any:
    try:
        return OpenEIClient()
    except ValueError as exc:
        raise CliError(f"{exc} (an OpenEI API key: https://openei.org/services/api/signup)", BAD_INPUT) from None


async def _rate_plan(zip_code: str, plan_name: str, utility: str | None) -> dict[str, Any]:
    plan = await _openei().get_rate_plan(zip_code, plan_name, utility=utility)
    if not plan:
        raise CliError(f"rate plan matching {plan_name!r} not found for ZIP {zip_code}")
    return plan


async def _converted(s: Session, rate_plan: dict[str, Any]) -> Any:
    converted = await s.api.convert_tou([rate_plan])
    if not converted:
        raise CliError("the Navien cloud returned no converted plan")
    return converted[0]


async def tou_get(s: Session, as_json: bool) -> None:
    """``tou get [--json]``: the plan stored in the cloud for this device."""
    number = (await _feature(s)).controller_serial_number
    di = s.device.device_info
    tou = await s.api.get_tou_info(mac_address=di.mac_address, additional_value=di.additional_value,
                                   controller_id=number, user_type="O")
    if as_json:
        output.print_json({"name": tou.name, "utility": tou.utility, "zipCode": tou.zip_code,
                           "schedule": [{"season": x.season, "intervals": x.intervals} for x in tou.schedule]})
        return
    output.print_tou_schedule(tou.name, tou.utility, tou.zip_code, tou.schedule)


async def tou_rates(zip_code: str, utility: str | None) -> None:
    """``tou rates ZIP [--utility NAME]``: the utilities and their plan names (always JSON)."""
    plans = await _openei().list_rate_plans(zip_code, utility=utility)
    if not plans:
        raise CliError(f"no rate plans found for ZIP {zip_code}")
    by_utility: dict[str, set[str]] = {}
    for plan in plans:
        by_utility.setdefault(str(plan.get("utility", "")), set()).add(str(plan.get("name", "")))
    output.print_json([{"utility": u, "planCount": len(names), "plans": sorted(names)}
                       for u, names in sorted(by_utility.items())])


def _price(value: Any, dp: int) -> str:
    return f"${decode_price(value, dp):.5f}/kWh"


async def tou_plan(s: Session, zip_code: str, plan_name: str, utility: str | None, as_json: bool) -> None:
    """``tou plan ZIP PLAN [--json]``: an OpenEI plan as the Navien cloud converts it."""
    plan = await _converted(s, await _rate_plan(zip_code, plan_name, utility))
    if not as_json:
        output.print_tou_schedule(plan.name, plan.utility, int(zip_code) if zip_code.isdigit() else 0, plan.schedule)
        return
    schedules = []
    for sched in plan.schedule:
        intervals = []
        for iv in sched.intervals:
            dp = iv.get("decimalPoint", 5)
            intervals.append({
                "days": decode_week_bitfield(iv.get("week", 0)),
                "time": f"{iv.get('startHour', 0):02d}:{iv.get('startMinute', 0):02d}-"
                        f"{iv.get('endHour', 0):02d}:{iv.get('endMinute', 0):02d}",
                "priceMin": _price(iv.get("priceMin", 0), dp), "priceMax": _price(iv.get("priceMax", 0), dp)})
        schedules.append({"months": decode_season_bitfield(sched.season), "intervals": intervals})
    output.print_json({"utility": plan.utility, "name": plan.name, "schedules": schedules})


async def tou_apply(s: Session, zip_code: str, plan_name: str, utility: str | None, enable: bool) -> None:
    """``tou apply ZIP PLAN [--enable]``: store the converted plan for the device (and switch
    TOU on with ``--enable``)."""
    rate_plan = await _rate_plan(zip_code, plan_name, utility)
    plan = await _converted(s, rate_plan)
    number = (await _feature(s)).controller_serial_number
    di = s.device.device_info
    current = await s.api.get_tou_info(mac_address=di.mac_address, additional_value=di.additional_value,
                                       controller_id=number)
    result = await s.api.update_tou(
        mac_address=di.mac_address, additional_value=di.additional_value,
        tou_info={"name": plan.name, "schedule": [{"season": x.season, "interval": x.intervals} for x in plan.schedule],
                  "utility": plan.utility, "zipCode": zip_code},
        source_data=rate_plan, zip_code=zip_code, register_path=current.register_path or "wifi")
    output.print_success(f"Applied rate plan: {result.name} ({result.utility})")
    if enable:
        await control(s, "the answer to enabling TOU", "TOU enabled", lambda m, d: m.set_tou_enabled(d, True))


# -- energy ----------------------------------------------------------------------------------------

async def energy(s: Session, year: int, months: list[int]) -> None:
    """``energy --year Y (--months 1,2,3 | --month M)``: a monthly summary, or one month by day."""
    m, d = _mqtt(s), s.device
    response = await _answer(lambda cb: m.subscribe_energy_usage(d, cb), lambda cb: m.unsubscribe_energy_usage(d, cb),
                             lambda: m.request_energy_usage(d, year, months), "the energy usage", 15.0)
    text = output.daily_energy_report(response, year, months[0]) if len(months) == 1 else output.energy_report(response)
    print(text, flush=True)
