"""Complete at import: after ``import nwp500`` returns, nothing public imports anything.

Home Assistant reports every import made inside its event loop. Each test runs a fresh
interpreter that imports nwp500, then installs an audit hook recording ``import`` events
(raised for every module not already loaded, ``importlib.import_module`` included), then
uses the library inside ``asyncio.run(...)`` and prints what was imported: nothing may be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nwp500


_PRELUDE = r"""
import asyncio, json, sys
import nwp500

PUBLIC = sorted(m for m in sys.modules
                if m.startswith("nwp500") and not any(p.startswith("_") for p in m.split(".")))
imports = []
sys.addaudithook(lambda event, args: imports.append(str(args[0])) if event == "import" else None)
"""

_STATIC = _PRELUDE + r"""
async def main():
    read = 0
    for name in nwp500.__all__:
        getattr(nwp500, name)
        read += 1
    for module_name in PUBLIC:
        module = sys.modules[module_name]
        for name in getattr(module, "__all__", ()):
            getattr(module, name)
            read += 1
    config = nwp500.MqttConnectionConfig()
    collector = nwp500.MqttDiagnosticsCollector()
    json.loads(collector.export_json())
    collector.analyze()
    collector.get_metrics()
    return read

read = asyncio.run(main())
print(json.dumps({"imports": imports, "read": read, "modules": PUBLIC}))
"""

# 9.3.0's public module paths.
MODULES_930 = {
    "nwp500", "nwp500.api_client", "nwp500.openei", "nwp500.reservations", "nwp500.tou_schedule", "nwp500.auth", "nwp500.command_decorators", "nwp500.config",
    "nwp500.converters", "nwp500.device_capabilities", "nwp500.device_info_cache", "nwp500.encoding",
    "nwp500.enums", "nwp500.events", "nwp500.exceptions", "nwp500.factory", "nwp500.field_factory",
    "nwp500.mqtt_events", "nwp500.temperature", "nwp500.topic_builder", "nwp500.unit_system", "nwp500.utils",
    "nwp500.models", "nwp500.models.device", "nwp500.models.energy", "nwp500.models.feature",
    "nwp500.models.mqtt_models", "nwp500.models.schedule", "nwp500.models.status", "nwp500.models.tou",
    "nwp500.mqtt", "nwp500.mqtt.client", "nwp500.mqtt.command_queue", "nwp500.mqtt.connection",
    "nwp500.mqtt.control", "nwp500.mqtt.diagnostics", "nwp500.mqtt.periodic", "nwp500.mqtt.reconnection",
    "nwp500.mqtt.state_tracker", "nwp500.mqtt.subscriptions", "nwp500.mqtt.types", "nwp500.mqtt.utils",
    # the compatibility paths the docs use
    "nwp500.mqtt_utils", "nwp500.mqtt_diagnostics", "nwp500.mqtt_client",
}


def _run(code: str, env: dict[str, str] | None = None, timeout: float = 120) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd="/",
                         env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _public_module_files() -> set[str]:
    """Every module of the package whose dotted path has no part starting with ``_``, from
    the files on disk (the simulator and the command, separate tools, aside)."""
    root = Path(nwp500.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        tool = parts[:2] in (("nwp500", "simulator"), ("nwp500", "cli"))
        if not tool and not any(p.startswith("_") for p in parts):
            found.add(".".join(parts))
    return found


def test_reading_every_public_name_in_a_loop_imports_nothing():
    result = _run(_STATIC)
    assert result["imports"] == []
    assert MODULES_930 <= set(result["modules"])
    assert _public_module_files() <= set(result["modules"]), "a public module is not imported by import nwp500"
    assert not any(m.startswith(("nwp500.simulator", "nwp500.cli")) for m in result["modules"])
    assert result["read"] > 300


_E2E = _PRELUDE + r"""
from nwp500 import create_navien_clients

async def main():
    auth, api, mqtt = await create_navien_clients(EMAIL, PASSWORD)
    assert auth.has_valid_tokens and auth.auth_response is not None
    device = (await api.list_devices())[0]
    await api.get_device_info(device.device_info.mac_address, device.device_info.additional_value)
    await mqtt.connect()
    seen = {"status": asyncio.Event(), "feature": asyncio.Event()}
    events = []
    features = []
    mqtt.on("status_received", lambda e: events.append(type(e).__name__))
    try:
        await mqtt.subscribe_device(device, lambda topic, message: None)
        await mqtt.subscribe_device_status(device, lambda s: seen["status"].set())
        await mqtt.subscribe_device_feature(device, lambda f: (features.append(f), seen["feature"].set()))
        for name in ("energy_usage", "reservation_response", "weekly_reservation_response",
                     "recirculation_schedule_response", "tou_response"):
            await getattr(mqtt, "subscribe_" + name)(device, lambda parsed: None)
        await mqtt.request_device_info(device)
        await asyncio.wait_for(seen["feature"].wait(), 20)
        assert await mqtt.ensure_device_info_cached(device, timeout=10)
        await mqtt.request_device_status(device)
        await asyncio.wait_for(seen["status"].wait(), 20)
        serial = features[0].controller_serial_number
        period = nwp500.encoding.build_tou_period(
            season_months=[1], week_days=["Monday"], start_hour=0, start_minute=0, end_hour=1,
            end_minute=0, price_min=0.1, price_max=0.2, decimal_point=2)
        # Every command of 9.3.0's controller, as Home Assistant and scripts send them. A
        # command the emulated unit's features rule out raises DeviceCapabilityError: that
        # path must import nothing either.
        commands = [
            ("set_power", (True,)), ("set_dhw_mode", (3,)), ("enable_anti_legionella", (7,)),
            ("disable_anti_legionella", ()), ("set_dhw_temperature", (130.0,)),
            ("update_reservations", ([],)), ("request_reservations", ()),
            ("configure_tou_schedule", (serial, [period])), ("request_tou_settings", (serial,)),
            ("set_tou_enabled", (False,)), ("request_energy_usage", (2025, [1])),
            ("signal_app_connection", ()), ("enable_demand_response", ()),
            ("disable_demand_response", ()), ("reset_air_filter", ()), ("set_vacation_days", (3,)),
            ("update_weekly_reservation", ({"reservationUse": 2, "reservation": []},)),
            ("configure_reservation_water_program", ()),
            ("configure_recirculation_schedule", ({"schedule": []},)),
            ("set_recirculation_mode", (1,)), ("trigger_recirculation_hot_button", ()),
            ("check_firmware_update", ()), ("commit_firmware_update", ({"swCode": 1, "swVersion": 1},)),
            ("reconnect_wifi", ()), ("reset_wifi", ()), ("set_freeze_protection_temperature", (45.0,)),
            ("run_smart_diagnostic", ()), ("enable_intelligent_scheduling", ()),
            ("disable_intelligent_scheduling", ()),
        ]
        for name, args in commands:
            try:
                await getattr(mqtt, name)(device, *args)
            except (nwp500.DeviceCapabilityError, nwp500.ValidationError) as exc:
                events.append(f"{name}: {type(exc).__name__}")
            events.append(name)
        await nwp500.fetch_reservations(mqtt, device, timeout=5)
        await nwp500.configure_tou_schedule_confirmed(mqtt, device, serial, [period], timeout=5)
        nwp500.OpenEIClient("key")
        await mqtt.start_periodic_requests(device, nwp500.PeriodicRequestType.DEVICE_STATUS, 60.0)
        await mqtt.stop_all_periodic_tasks()
        json.loads(mqtt.diagnostics.export_json())
        mqtt.diagnostics.analyze()
    finally:
        await mqtt.disconnect()
        await auth.close()
    return events

events = asyncio.run(main())
print(json.dumps({"imports": imports, "events": events}))
"""


def test_a_whole_session_against_the_simulator_imports_nothing(simulator):
    """Sign-in (``create_navien_clients``), REST, connect, every typed subscription, commands,
    periodic requests and diagnostics, in a child interpreter; the simulator runs here."""
    code = _E2E.replace("EMAIL", repr(simulator.email)).replace("PASSWORD", repr(simulator.password))
    result = _run(code, env={"NWP500_API_BASE_URL": simulator.api_base_url,
                             "NWP500_MQTT_ENDPOINT": simulator.mqtt_endpoint})
    assert result["imports"] == []
    assert "StatusReceivedEvent" in result["events"]
    assert "disable_intelligent_scheduling" in result["events"]  # every command ran
