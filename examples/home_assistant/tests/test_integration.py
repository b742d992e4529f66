"""The integration inside Home Assistant against the simulated Navien cloud: entities that show
the emulated device's state, a command that reaches it, a drop recorded with its cause and
visible (redacted) in the diagnostics download and in the config-dir export, and an unload or
ten reloads that leave nothing behind."""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
import sys
import threading
import time
import weakref
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, ATTR_TEMPERATURE, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

import conftest
from conftest import Simulator, poll, wait_for_state

# The emulated device's raw units: half-degrees Celsius for the tank and its set-point.
ENERGY_SAVER, HIGH_DEMAND = 3, 4
DHW_TEMPERATURE_COMMAND = 33554464


def _entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[str, str]:
    registry = er.async_get(hass)
    entities = er.async_entries_for_config_entry(registry, entry.entry_id)
    heater = next(e.entity_id for e in entities if e.domain == "water_heater")
    sensor = next(e.entity_id for e in entities if e.domain == "sensor")
    return heater, sensor


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[str, str]:
    """Set the entry up and wait until the water heater shows a status and its limits."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    heater, sensor = _entity_ids(hass, entry)

    def ready() -> bool:
        state = hass.states.get(heater)
        return state is not None and state.state != "unavailable" and state.attributes.get("min_temp") == 35.0

    await wait_for_state(hass, ready, f"{heater} to show the device's status and features")
    return heater, sensor


def _executor_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(("SyncWorker", "ImportExecutor"))}


def _os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _our_tasks() -> list[asyncio.Task]:
    """Tasks of the integration or the library still around."""
    return [t for t in asyncio.all_tasks() if not t.done()
            and any(m in repr(t) for m in ("navien", "nwp500", "Navien"))]


async def test_entities_show_the_emulated_device(hass: HomeAssistant, config_entry: MockConfigEntry,
                                                 setup_env: Simulator) -> None:
    heater, sensor = await _set_up(hass, config_entry)
    device = await hass.async_add_executor_job(setup_env.device_state)

    state = hass.states.get(heater)
    # Home Assistant shows °C (the test instance is metric); the device's raw unit is 0.5 °C.
    assert state.attributes["current_temperature"] == device["dhwTemperature"] / 2
    assert state.attributes["temperature"] == device["dhwTemperatureSetting"] / 2
    assert device["dhwOperationSetting"] == ENERGY_SAVER
    assert state.state == "eco"
    assert state.attributes["operation_list"] == ["eco", "heat_pump", "high_demand", "electric", "off"]
    assert (state.attributes["min_temp"], state.attributes["max_temp"]) == (35.0, 65.5)  # the feature's limits

    connection = hass.states.get(sensor)
    assert connection.state == "connected"
    assert connection.attributes["drops"] == 0

    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_commands_reach_the_emulated_device(hass: HomeAssistant, config_entry: MockConfigEntry,
                                                  setup_env: Simulator) -> None:
    heater, _ = await _set_up(hass, config_entry)

    await hass.services.async_call("water_heater", "set_temperature",
                                   {ATTR_ENTITY_ID: heater, ATTR_TEMPERATURE: 55}, blocking=True)
    device = await poll(hass, lambda: (d := setup_env.device_state())["dhwTemperatureSetting"] == 110 and d,
                        "the device's set-point to become 55 °C")
    applied = (await hass.async_add_executor_job(setup_env.state))["devices"][0]["applied"]
    assert [DHW_TEMPERATURE_COMMAND, [110]] in applied
    await wait_for_state(hass, lambda: hass.states.get(heater).attributes["temperature"] == 55.0,
                         "the entity to show the new set-point")

    await hass.services.async_call("water_heater", "set_operation_mode",
                                   {ATTR_ENTITY_ID: heater, "operation_mode": "high_demand"}, blocking=True)
    await poll(hass, lambda: setup_env.device_state()["dhwOperationSetting"] == HIGH_DEMAND,
               "the device's mode to become high demand")
    await wait_for_state(hass, lambda: hass.states.get(heater).state == "high_demand", "the entity's new mode")
    assert device["dhwTemperatureSetting"] == 110

    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_a_drop_is_recorded_with_its_cause_and_redacted_in_the_download(
    hass: HomeAssistant, config_entry: MockConfigEntry, setup_env: Simulator,
    hass_client: ClientSessionGenerator, tmp_path: Path,
) -> None:
    _, sensor = await _set_up(hass, config_entry)

    await hass.async_add_executor_job(setup_env.fault, "drop")
    await wait_for_state(hass, lambda: hass.states.get(sensor).attributes["drops"] == 1,
                         "the connection sensor to count the drop")
    await wait_for_state(hass, lambda: hass.states.get(sensor).state == "connected",
                         "the connection to come back")
    attributes = hass.states.get(sensor).attributes
    assert attributes["last_drop_cause"] == "tcp_closed"
    assert attributes["last_drop_error"] == "AWS_ERROR_MQTT_UNEXPECTED_HANGUP"
    assert attributes["last_drop_error_code"] == 5134

    # Home Assistant's own diagnostics download, as the user gets it from the UI.
    assert await conftest.async_setup_diagnostics(hass)
    client = await hass_client()
    response = await client.get(f"/api/diagnostics/config_entry/{config_entry.entry_id}")
    assert response.status == 200
    raw = await response.text()
    download = json.loads(raw)
    data = download["data"]
    assert data["connection"]["state"] == "connected"
    assert data["connection"]["last_drop"]["cause"] == "tcp_closed"
    mqtt = data["mqtt_diagnostics"]
    [drop] = mqtt["recent_drops"]
    assert (drop["cause"], drop["error_name"], drop["error_code"]) == ("tcp_closed", "AWS_ERROR_MQTT_UNEXPECTED_HANGUP", 5134)
    assert mqtt["metrics"]["total_connection_drops"] == 1
    assert mqtt["metrics"]["connection_recovered"] == 1
    assert mqtt["drop_causes"] == {"tcp_closed": 1}

    # Redacted: the account, the tokens and AWS keys, the device's MAC address.
    assert data["entry"]["data"] == {"email": "**REDACTED**", "password": "**REDACTED**"}
    integration = config_entry.runtime_data
    tokens = integration.auth_client.current_tokens
    secrets = {
        "password": setup_env.password, "email": setup_env.email,
        "access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
        "id_token": tokens.id_token, "access_key_id": tokens.access_key_id,
        "secret_key": tokens.secret_key, "session_token": tokens.session_token,
        "mac_address": integration.devices[0].device_info.mac_address,
    }
    assert all(secrets.values())
    leaked = sorted(name for name, value in secrets.items() if value in raw)
    assert not leaked, f"the diagnostics download contains {leaked}"

    # `nwp500 report` reads the download as it is.
    path = tmp_path / "download.json"
    await hass.async_add_executor_job(path.write_text, raw)
    report = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nwp500", "report", str(path), "-o", str(tmp_path / "report.html"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(report.communicate(), 60)
    assert report.returncode == 0, output.decode()
    html = await hass.async_add_executor_job((tmp_path / "report.html").read_text)
    assert "tcp_closed" in html

    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_the_export_is_written_into_the_config_dir(hass: HomeAssistant, config_entry: MockConfigEntry,
                                                          setup_env: Simulator, config_dir: Path) -> None:
    _, sensor = await _set_up(hass, config_entry)
    export = config_dir / f"nwp500_diagnostics_{config_entry.entry_id}.json"

    def read() -> dict[str, Any] | None:
        try:
            return json.loads(export.read_text())
        except FileNotFoundError:
            return None

    first = await poll(hass, read, "the first export (written at setup)")
    assert first["metrics"]["total_connections"] == 1
    assert first["metrics"]["total_connection_drops"] == 0

    await hass.async_add_executor_job(setup_env.fault, "drop")
    await wait_for_state(hass, lambda: hass.states.get(sensor).attributes["drops"] == 1
                         and hass.states.get(sensor).state == "connected", "the drop and the recovery")
    # The next scheduled export, 5 minutes on (Home Assistant's clock, moved forward).
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    second = await poll(hass, lambda: (d := read()) and d["metrics"]["total_connection_drops"] == 1 and d,
                        "the scheduled export to show the drop")
    assert second["recent_drops"][0]["cause"] == "tcp_closed"

    raw = await hass.async_add_executor_job(export.read_text)
    for secret in (setup_env.password, setup_env.email, config_entry.runtime_data.auth_client.current_tokens.secret_key):
        assert secret not in raw
    # Nothing half-written is left beside it.
    assert await hass.async_add_executor_job(lambda: sorted(p.name for p in config_dir.iterdir())) == [export.name]

    # Unloading writes the session's end: the intentional disconnect is in the last export.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    last = await hass.async_add_executor_job(read)
    assert last["metrics"]["total_disconnects"] == 1


async def test_unload_leaves_no_task_thread_or_connection(hass: HomeAssistant, config_entry: MockConfigEntry,
                                                          setup_env: Simulator) -> None:
    threads_before = set(threading.enumerate())
    await _set_up(hass, config_entry)
    integration = config_entry.runtime_data
    client = integration.mqtt_client
    connections = await hass.async_add_executor_job(setup_env.front_connections)
    assert [c["client_id"] for c in connections] == [client.client_id]

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.NOT_LOADED
    assert not client.is_connected
    # No connection: the simulated cloud has none left open.
    await poll(hass, lambda: setup_env.front_connections() == [], "the simulator to see the connection closed")
    # No task of the integration or the library (the entry's background tasks are cancelled).
    assert _our_tasks() == []
    assert not config_entry._background_tasks and not config_entry._tasks
    # No thread, beyond Home Assistant's executor workers.
    assert set(threading.enumerate()) - threads_before - _executor_threads() == set()
    # No listener left on the client.
    assert all(client.listener_count(event) == 0
               for event in ("connection_interrupted", "connection_resumed", "reconnection_failed"))


async def test_home_assistant_stopping_disconnects(hass: HomeAssistant, config_entry: MockConfigEntry,
                                                   setup_env: Simulator, config_dir: Path) -> None:
    """Config entries are not unloaded when Home Assistant stops: the connection is closed
    all the same, and the last export written."""
    await _set_up(hass, config_entry)
    client = config_entry.runtime_data.mqtt_client
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not client.is_connected
    await poll(hass, lambda: setup_env.front_connections() == [], "the simulator to see the connection closed")
    export = config_dir / f"nwp500_diagnostics_{config_entry.entry_id}.json"
    last = json.loads(await hass.async_add_executor_job(export.read_text))
    assert last["metrics"]["total_disconnects"] == 1
    # Unloading afterwards (as the test harness does) is harmless.
    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_ten_reloads_leave_descriptors_threads_and_tasks_flat(
    hass: HomeAssistant, config_entry: MockConfigEntry, setup_env: Simulator,
) -> None:
    heater, _ = await _set_up(hass, config_entry)
    clients: list[weakref.ref] = []

    async def reload() -> None:
        assert await hass.config_entries.async_reload(config_entry.entry_id)
        assert config_entry.state is ConfigEntryState.LOADED
        clients.append(weakref.ref(config_entry.runtime_data.mqtt_client))

        def ready() -> bool:
            state = hass.states.get(heater)
            return state is not None and state.state != "unavailable"

        await wait_for_state(hass, ready, "the water heater after the reload")
        await hass.async_block_till_done()

    def measure() -> dict[str, int]:
        # The clients of earlier reloads are garbage, but inside reference cycles (nwp500's
        # subscription wrappers close over their client): their sockets (the loop bridge's
        # socket pair, the REST keep-alive connection) go when Python's cyclic collector runs,
        # which it does on its own schedule. Collect now, so the count is what is really held.
        gc.collect()
        # Home Assistant's executor starts a worker whenever all are busy and keeps it: count
        # every other thread of the process (Python's and the library's native ones).
        return {"fds": _open_fds(), "os_threads": _os_threads() - len(_executor_threads())}

    # One reload first: Home Assistant's executor and the library's runtime start their
    # threads on first use.
    await reload()
    baseline = await hass.async_add_executor_job(measure)
    tasks_before = len(asyncio.all_tasks())

    for _ in range(10):
        await reload()

    # Only the last client is connected, and only the last one is still alive.
    await poll(hass, lambda: len(setup_env.front_connections()) == 1, "a single connection in the simulator")
    gc.collect()
    assert [ref() is not None for ref in clients] == [False] * 10 + [True]
    # Descriptors and threads are back at the baseline (a closing socket or an idle worker
    # thread may take a moment: wait for it, with a deadline); so is the number of tasks.
    last: dict[str, int] = {}

    def flat() -> bool:
        last.update(measure())
        return last["fds"] <= baseline["fds"] and last["os_threads"] <= baseline["os_threads"]

    await poll(hass, flat, lambda: f"descriptors and threads back to {baseline}, now {last}", timeout=30)
    assert len(asyncio.all_tasks()) <= tasks_before

    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_blocking_call_detection_is_armed(hass: HomeAssistant, loop_hygiene: Any) -> None:
    """The guard the other tests rely on: Home Assistant's detector is armed in full here."""
    with pytest.raises(RuntimeError, match="Caught blocking call to sleep"):
        time.sleep(0)  # strict: raised, as in a real instance
    with open(os.devnull):  # logged: "Detected blocking call to open ..."
        pass
    assert any("Detected blocking call to open" in r.getMessage() for r in loop_hygiene.records)
    loop_hygiene.records.clear()
    # An import of a not yet imported module of nwp500 on the loop is caught as well.
    name = "nwp500.simulator.mqttwire"
    assert name not in sys.modules
    importlib.import_module(name)
    assert name in conftest._LOOP_IMPORTS
    conftest._LOOP_IMPORTS.clear()
    loop_hygiene.records.clear()
