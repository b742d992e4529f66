"""The nwp-cli 9.3.0 commands of ``nwp500``, each run as a real subprocess against the simulated
cloud: a real sign-in (once: later runs reuse the stored tokens), the account's first device,
a SigV4 websocket connection, and the emulated NWP500 carrying the command out. What each did
is checked on the emulated device (its state and its record of applied commands), ``--raw`` /
``--json`` outputs are parsed, the OpenEI part of ``tou`` runs against a local fake of OpenEI.
Bad input is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from nwp500.simulator import SimulatorThread
from nwp500.simulator.devicestate import (
    AIR_FILTER_RESET,
    DHW_TEMPERATURE,
    RECIRC_HOT_BUTTON,
    RESERVATION_WATER_PROGRAM,
)
from support.fakehttp import FakeHttp

ROOT = Path(__file__).resolve().parent.parent
PLANS = [
    {"label": "5b0d", "name": "E-TOU-C Time of Use", "utility": "Pacific Gas & Electric Co", "sector": "Residential",
     "energyratestructure": [[{"rate": 0.31}], [{"rate": 0.52}]]},
    {"label": "5c1e", "name": "E-1 Residential", "utility": "Pacific Gas & Electric Co", "sector": "Residential"},
    {"label": "77aa", "name": "TOU-D-PRIME", "utility": "Southern California Edison Co", "sector": "Residential"},
]
SIGN_IN = "/user/sign-in"


def _env(sim: Any, cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NAVIEN_", "NWP500_", "OPENEI_")) and k != "XDG_CACHE_HOME"}
    env.update(NWP500_API_BASE_URL=sim.api_base_url, NWP500_MQTT_ENDPOINT=sim.mqtt_endpoint,
               NAVIEN_EMAIL=sim.email, NAVIEN_PASSWORD=sim.password, XDG_CACHE_HOME=str(cache))
    env.update(extra)
    return env


def nwp(env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m nwp500 ARGS`` with ``env``; stdout and stderr captured as text."""
    return subprocess.run([sys.executable, "-m", "nwp500", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def ok(env: dict[str, str], *args: str) -> str:
    done = nwp(env, *args)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    return done.stdout


def one_line_error(done: subprocess.CompletedProcess, code: int = 2) -> str:
    assert done.returncode == code, (done.returncode, done.stdout[-1000:], done.stderr[-1000:])
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.count("\n") == 1 and done.stderr.strip(), done.stderr
    return done.stderr.strip()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """One simulated cloud and one OpenEI fake for the module; a token cache of its own."""
    if not __import__("shutil").which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    pytest.importorskip("click")
    sim = SimulatorThread().start()
    openei = FakeHttp((200, json.dumps({"items": PLANS}).encode(), "application/json"))
    cache = tmp_path_factory.mktemp("cache")
    env = _env(sim, cache, NWP500_OPENEI_API_URL=f"http://127.0.0.1:{openei.port}/utility_rates",
               OPENEI_API_KEY="test-openei-key")
    try:
        yield SimpleNamespace(sim=sim, env=env, cache=cache, openei=openei)
    finally:
        openei.close()
        sim.stop()


def device(cloud) -> dict[str, Any]:
    return cloud.sim.state()["devices"][0]


def state(cloud) -> dict[str, Any]:
    return device(cloud)["state"]


def applied(cloud) -> list[list[Any]]:
    return device(cloud)["applied"]


# -- reading ----------------------------------------------------------------------------------------

def test_status_info_serial_and_device_info(cloud):
    raw = json.loads(ok(cloud.env, "status", "--raw"))
    assert raw["dhwOperationSetting"] == state(cloud)["dhwOperationSetting"]
    assert {"dhwTemperature", "dhwChargePer", "operationMode", "tankUpperTemperature"} <= set(raw)
    table = ok(cloud.env, "status")
    assert "DEVICE STATUS" in table and "DHW Target" in table and "°F" in table

    feature = json.loads(ok(cloud.env, "info", "--raw"))
    serial = ok(cloud.env, "serial").strip()
    assert feature["controllerSerialNumber"] == serial and len(serial) > 8
    assert serial in ok(cloud.env, "info") and "SUPPORTED FEATURES" in ok(cloud.env, "info")

    rest = json.loads(ok(cloud.env, "device-info", "--raw"))
    assert rest["device_info"]["mac_address"] == cloud.sim.device_mac and "location" in rest
    shown = ok(cloud.env, "device-info")
    assert "NWP500" in shown and cloud.sim.device_mac not in shown and cloud.sim.device_mac[-4:] in shown


# -- control ------------------------------------------------------------------------------------------

def test_power_mode_temperature_and_vacation_change_the_device(cloud):
    assert "Device turned off" in ok(cloud.env, "power", "off")
    assert state(cloud)["dhwOperationSetting"] == 6
    assert "Device turned on" in ok(cloud.env, "power", "on")
    assert state(cloud)["dhwOperationSetting"] != 6
    for name, setting in (("heat-pump", 1), ("electric", 2), ("energy-saver", 3), ("high-demand", 4)):
        assert f"Mode changed to {name}" in ok(cloud.env, "mode", name)
        assert state(cloud)["dhwOperationSetting"] == setting
    assert "Temperature set to 125.0°F" in ok(cloud.env, "temp", "125")
    assert state(cloud)["dhwTemperatureSetting"] == 103          # 125 °F = 51.7 °C = 103 half-degrees
    assert applied(cloud)[-1] == [DHW_TEMPERATURE, [103]]
    assert "Vacation days set to 7" in ok(cloud.env, "vacation", "7")
    assert (state(cloud)["dhwOperationSetting"], state(cloud)["vacationDaySetting"]) == (5, 7)
    ok(cloud.env, "mode", "energy-saver")


def test_recirculation_hot_button_filter_water_program_dr_and_tou_switch(cloud):
    assert "Recirculation mode set to BUTTON" in ok(cloud.env, "recirc", "2")
    assert state(cloud)["recircOperationMode"] == 2
    assert "Hot button triggered" in ok(cloud.env, "hot-button")
    assert applied(cloud)[-1][0] == RECIRC_HOT_BUTTON
    assert "Air filter timer reset" in ok(cloud.env, "reset-filter")
    assert applied(cloud)[-1][0] == AIR_FILTER_RESET and state(cloud)["airFilterAlarmElapsed"] == 0
    assert "Water program configured" in ok(cloud.env, "water-program")
    assert applied(cloud)[-1][0] == RESERVATION_WATER_PROGRAM
    assert "Demand response enabled" in ok(cloud.env, "dr", "enable")
    assert state(cloud)["drEventStatus"] == 1
    assert "Demand response disabled" in ok(cloud.env, "dr", "disable")
    assert state(cloud)["drEventStatus"] == 0
    assert "TOU enabled" in ok(cloud.env, "tou", "set", "on")
    assert state(cloud)["touStatus"] == 1
    assert "TOU disabled" in ok(cloud.env, "tou", "set", "off")
    assert state(cloud)["touStatus"] == 0


def test_anti_legionella(cloud):
    assert "cycle every 7 day(s)" in ok(cloud.env, "anti-legionella", "enable", "--period", "7")
    assert (state(cloud)["antiLegionellaUse"], state(cloud)["antiLegionellaPeriod"]) == (2, 7)
    shown = ok(cloud.env, "anti-legionella", "status")
    assert "Enabled" in shown and "7 day(s)" in shown
    ok(cloud.env, "anti-legionella", "set-period", "10")
    assert state(cloud)["antiLegionellaPeriod"] == 10
    assert "Anti-Legionella disabled" in ok(cloud.env, "anti-legionella", "disable")
    assert state(cloud)["antiLegionellaUse"] == 1
    assert "Disabled" in ok(cloud.env, "anti-legionella", "status")


# -- reservations -----------------------------------------------------------------------------------

def test_reservations_get_add_update_delete_set(cloud):
    ok(cloud.env, "reservations", "set", "[]", "--disabled")
    empty = json.loads(ok(cloud.env, "reservations", "get", "--json"))
    assert empty["reservation"] == [] and empty["enabled"] is False

    ok(cloud.env, "reservations", "add", "--days", "MO,WE", "--hour", "6", "--minute", "30", "--mode", "3",
       "--temp", "120")
    ok(cloud.env, "reservations", "add", "--days", "Saturday", "--hour", "7", "--minute", "0", "--mode", "1",
       "--temp", "125", "--disabled")
    assert state(cloud)["reservations"] == 2 and state(cloud)["programReservationUse"] == 2
    got = json.loads(ok(cloud.env, "reservations", "get", "--json"))
    assert got["enabled"] is True and got["reservation_use"] == 2
    first, second = got["reservation"]
    assert (first["days"], first["time"], first["mode"], first["enabled"]) == (["Monday", "Wednesday"], "06:30", 3, True)
    assert (second["days"], second["hour"], second["enabled"]) == (["Saturday"], 7, False)
    assert "Energy Saver" in ok(cloud.env, "reservations", "get")

    assert "Reservation 2 updated" in ok(cloud.env, "reservations", "update", "2", "--hour", "8", "--enable")
    second = json.loads(ok(cloud.env, "reservations", "get", "--json"))["reservation"][1]
    assert (second["hour"], second["enabled"], second["param"]) == (8, True, got["reservation"][1]["param"])
    assert "Reservation 1 deleted" in ok(cloud.env, "reservations", "delete", "1")
    assert [e["days"] for e in json.loads(ok(cloud.env, "reservations", "get", "--json"))["reservation"]] == [["Saturday"]]
    assert state(cloud)["reservations"] == 1

    reply = json.loads(ok(cloud.env, "reservations", "set",
                          '[{"enable": 2, "week": 62, "hour": 5, "min": 0, "mode": 3, "param": 100}]'))
    assert reply["response"]["reservationUse"] == 2 and reply["response"]["reservation"] == "023e05000364"
    assert state(cloud)["reservations"] == 1

    assert "no reservation 5" in one_line_error(nwp(cloud.env, "reservations", "delete", "5"))
    assert "--hour" in one_line_error(nwp(cloud.env, "reservations", "add", "--days", "MO", "--hour", "25",
                                          "--minute", "0", "--mode", "3", "--temp", "120"))
    assert "JSON" in one_line_error(nwp(cloud.env, "reservations", "set", "{not json"))


# -- time of use and energy ------------------------------------------------------------------------

def test_tou_get_rates_plan_and_apply(cloud):
    current = json.loads(ok(cloud.env, "tou", "get", "--json"))
    assert set(current) == {"name", "utility", "zipCode", "schedule"}
    assert current["name"] == "E-TOU-C" and {"season", "intervals"} == set(current["schedule"][0])
    assert "TOU SCHEDULE" in ok(cloud.env, "tou", "get")

    rates = json.loads(ok(cloud.env, "tou", "rates", "94103"))
    assert rates == [{"utility": "Pacific Gas & Electric Co", "planCount": 2,
                      "plans": ["E-1 Residential", "E-TOU-C Time of Use"]},
                     {"utility": "Southern California Edison Co", "planCount": 1, "plans": ["TOU-D-PRIME"]}]
    filtered = json.loads(ok(cloud.env, "tou", "rates", "94103", "--utility", "Southern California Edison Co"))
    assert [r["plans"] for r in filtered] == [["TOU-D-PRIME"]]

    plan = json.loads(ok(cloud.env, "tou", "plan", "94103", "E-TOU-C Time of Use", "--json"))
    assert (plan["utility"], plan["name"]) == ("Pacific Gas & Electric Co", "E-TOU-C Time of Use")
    schedule = plan["schedules"][0]
    assert schedule["months"] == list(range(1, 13))
    peak = [iv for iv in schedule["intervals"] if iv["time"] == "16:00-20:59"][0]
    assert peak == {"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "time": "16:00-20:59",
                    "priceMin": "$0.52000/kWh", "priceMax": "$0.52000/kWh"}

    assert "Applied rate plan: E-TOU-C Time of Use" in ok(cloud.env, "tou", "apply", "94103", "5b0d", "--enable")
    stored = cloud.sim.state()["tou_plans"][cloud.sim.device_mac]
    assert (stored["name"], stored["zipCode"]) == ("E-TOU-C Time of Use", "94103")
    assert state(cloud)["touStatus"] == 1
    assert json.loads(ok(cloud.env, "tou", "get", "--json"))["name"] == "E-TOU-C Time of Use"
    assert "not found" in one_line_error(nwp(cloud.env, "tou", "plan", "94103", "no such plan"), 1)
    env = {k: v for k, v in cloud.env.items() if k != "OPENEI_API_KEY"}
    assert "OPENEI_API_KEY" in one_line_error(nwp(env, "tou", "rates", "94103"))


def test_energy(cloud):
    monthly = ok(cloud.env, "energy", "--year", "2025", "--months", "1,2")
    assert "ENERGY USAGE REPORT" in monthly and "January 2025" in monthly and "February 2025" in monthly
    daily = ok(cloud.env, "energy", "--year", "2025", "--month", "3")
    assert "DAILY ENERGY USAGE - March 2025" in daily and "DAILY BREAKDOWN" in daily
    assert "--months" in one_line_error(nwp(cloud.env, "energy", "--year", "2025"))
    assert "between 1 and 12" in one_line_error(nwp(cloud.env, "energy", "--year", "2025", "--month", "13"))


# -- tokens -------------------------------------------------------------------------------------------

def test_a_second_run_reuses_the_stored_tokens(cloud, tmp_path):
    env = _env(cloud.sim, tmp_path / "cache")
    before = cloud.sim.state()["rest_calls"].get(SIGN_IN, 0)
    first = nwp(env, "-vv", "status", "--raw")
    assert first.returncode == 0, first.stderr[-2000:]
    assert cloud.sim.state()["rest_calls"][SIGN_IN] == before + 1

    path = tmp_path / "cache" / "nwp500" / "tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["email"] == cloud.sim.email and stored["base_url"] == cloud.sim.api_base_url
    assert cloud.sim.password not in path.read_text()
    secrets = [stored["tokens"][k] for k in ("access_token", "refresh_token", "id_token", "secret_key", "session_token")]
    assert all(secrets) and not any(s in first.stdout + first.stderr for s in secrets)

    second = nwp(env, "-vv", "status", "--raw")          # same account: no sign-in
    assert second.returncode == 0, second.stderr[-2000:]
    assert cloud.sim.state()["rest_calls"][SIGN_IN] == before + 1
    assert not any(s in second.stdout + second.stderr for s in secrets)
    # Without NAVIEN_EMAIL/NAVIEN_PASSWORD: the stored account, still no sign-in.
    bare = {k: v for k, v in env.items() if k not in ("NAVIEN_EMAIL", "NAVIEN_PASSWORD")}
    assert json.loads(ok(bare, "status", "--raw"))["dhwTemperature"] > 0
    assert cloud.sim.state()["rest_calls"][SIGN_IN] == before + 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["tokens.json"]     # no temporary file left


def test_stored_tokens_of_another_server_are_not_used(cloud, tmp_path):
    env = _env(cloud.sim, tmp_path)
    ok(env, "serial")
    path = tmp_path / "nwp500" / "tokens.json"
    data = json.loads(path.read_text())
    data["base_url"] = "http://127.0.0.1:1/api/v2.1"
    path.write_text(json.dumps(data))
    before = cloud.sim.state()["rest_calls"][SIGN_IN]
    ok(env, "serial")
    assert cloud.sim.state()["rest_calls"][SIGN_IN] == before + 1


def test_stored_tokens_the_server_refuses_are_replaced_by_a_sign_in(cloud, tmp_path):
    env = _env(cloud.sim, tmp_path)
    bare = {k: v for k, v in env.items() if k != "NAVIEN_PASSWORD"}

    def refuse_stored_tokens() -> None:
        cloud.sim.fault("expire_tokens")
        cloud.sim.fault("revoke_refresh_tokens")

    ok(env, "serial")
    refuse_stored_tokens()
    assert "NAVIEN_PASSWORD" in one_line_error(nwp(bare, "serial"))         # no password: say so
    assert not (tmp_path / "nwp500" / "tokens.json").exists()

    ok(env, "serial")
    refuse_stored_tokens()
    before = cloud.sim.state()["rest_calls"][SIGN_IN]
    ok(env, "serial")                                                       # with one: signs in again
    assert cloud.sim.state()["rest_calls"][SIGN_IN] == before + 1
    ok(bare, "serial")                                                      # and stores the new tokens
    assert cloud.sim.state()["rest_calls"][SIGN_IN] == before + 1


# -- bad input ----------------------------------------------------------------------------------------

def test_bad_input_is_one_line_and_status_2(cloud, tmp_path):
    bare = _env(cloud.sim, tmp_path)
    del bare["NAVIEN_EMAIL"], bare["NAVIEN_PASSWORD"]
    assert "credentials missing" in one_line_error(nwp(bare, "status"))
    wrong = _env(cloud.sim, tmp_path, NAVIEN_PASSWORD="not-the-password")
    message = one_line_error(nwp(wrong, "status"))
    assert "sign-in refused" in message and "not-the-password" not in message
    assert "between 95 and 150" in one_line_error(nwp(cloud.env, "temp", "300"))
    assert "vacation DAYS" in one_line_error(nwp(cloud.env, "mode", "vacation"))
    assert "'sideways' is not one of" in one_line_error(nwp(cloud.env, "power", "sideways"))
    assert "No such command" in one_line_error(nwp(cloud.env, "fly"))
    assert "Missing argument" in one_line_error(nwp(cloud.env, "recirc"))
    assert "not a valid float" in one_line_error(nwp(cloud.env, "temp", "warm"))
    assert "must be >= 0" in one_line_error(nwp(cloud.env, "monitor", "--duration", "-1"))
    assert "positive" in one_line_error(nwp(cloud.env, "monitor", "--export-interval", "0"))
    # No password and no stored sign-in of this account (an empty token cache).
    no_password = {k: v for k, v in cloud.env.items() if k != "NAVIEN_PASSWORD"}
    no_password["XDG_CACHE_HOME"] = str(tmp_path / "empty-cache")
    assert "NAVIEN_PASSWORD" in one_line_error(nwp(no_password, "monitor"))


def test_monitor_paths_are_checked_before_it_starts(cloud, tmp_path):
    assert "--log-file" in one_line_error(nwp(cloud.env, "monitor", "--log-file", "/nonexistent/x.log",
                                              cwd=tmp_path))
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    assert "--output" in one_line_error(nwp(cloud.env, "monitor", "-o", str(a_file), cwd=tmp_path))
    assert "--output" in one_line_error(nwp(cloud.env, "monitor", "-o", str(a_file / "sub"), cwd=tmp_path))
    assert "--log-file" in one_line_error(nwp(cloud.env, "monitor", "--log-file", str(tmp_path), cwd=tmp_path))
    assert a_file.read_text() == "not a directory"


def test_only_value_errors_are_bad_input():
    """A TypeError is a bug, not bad input: exit status 1 and "unexpected error" (the
    traceback is logged at -vv only); ValueError and the library's ValidationError are bad input."""
    from nwp500.cli.session import describe_error
    from nwp500.exceptions import ValidationError

    bug = describe_error(TypeError("unsupported operand type(s) for +: 'int' and 'str'"))
    assert bug.exit_code == 1 and str(bug).startswith("unexpected error: TypeError:")
    assert describe_error(ValueError("out of range")).exit_code == 2
    assert describe_error(ValidationError("temperature out of range")).exit_code == 2


def test_a_command_without_its_mqtt_connection_is_a_one_line_error():
    from nwp500.cli.handlers import _mqtt
    from nwp500.cli.session import CliError, Session

    with pytest.raises(CliError, match="MQTT connection"):
        _mqtt(Session(auth=None, api=None, device=None, mqtt=None, unit_system=None))  # type: ignore[arg-type]


def test_the_token_file_is_read_off_the_event_loop(cloud, tmp_path, monkeypatch):
    """The token file is a FIFO here, so reading it blocks until something is written to it:
    the event loop must keep running meanwhile (the read runs in a worker thread)."""
    from nwp500.cli.session import open_session

    fifo = tmp_path / "nwp500" / "tokens.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    for name in ("NWP500_API_BASE_URL", "NWP500_MQTT_ENDPOINT", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, _env(cloud.sim, tmp_path)[name])
    beats: list[float] = []
    progressed: list[bool] = []

    def release(start: int) -> None:
        """Wait (with a deadline) for the loop to tick on, then unblock the reader."""
        end = time.monotonic() + 10
        while len(beats) < start + 5 and time.monotonic() < end:
            time.sleep(0.02)
        progressed.append(len(beats) >= start + 5)
        with open(fifo, "w") as f:
            f.write("{}")

    async def main() -> str:
        async def heartbeat() -> None:
            while True:
                beats.append(time.monotonic())
                await asyncio.sleep(0.05)

        ticker = asyncio.create_task(heartbeat())
        await asyncio.sleep(0)
        helper = threading.Thread(target=release, args=(len(beats),), daemon=True)
        helper.start()
        try:
            async with open_session(cloud.sim.email, cloud.sim.password, connect_mqtt=False,
                                    store_tokens=False) as session:
                return session.device.device_info.mac_address
        finally:
            ticker.cancel()
            await asyncio.to_thread(helper.join, 15)

    assert asyncio.run(main()) == cloud.sim.device_mac
    assert progressed == [True], "the event loop stopped while the token file was read"


def test_help_version_and_the_nwp_cli_name(cloud):
    shown = ok(cloud.env, "--help")
    for command in ("info", "device-info", "status", "serial", "hot-button", "reset-filter", "water-program",
                    "power", "mode", "temp", "vacation", "recirc", "reservations", "anti-legionella", "tou",
                    "energy", "dr", "monitor", "report", "simulator"):
        assert f"  {command} " in shown, command
    assert "--unit-system" in shown and "--email" in shown and "--password" in shown
    assert ok(cloud.env, "--version").startswith("nwp500, version ")
    for group, subs in (("reservations", ("get", "set", "add", "delete", "update")),
                        ("anti-legionella", ("enable", "disable", "status", "set-period")),
                        ("tou", ("get", "set", "rates", "plan", "apply"))):
        text = ok(cloud.env, group, "--help")
        assert all(f"  {s} " in text for s in subs), (group, text)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["nwp500"] == scripts["nwp-cli"] == "nwp500.cli.main:main"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("click") for d in extras["cli"]) and any(d.startswith("rich") for d in extras["cli"])


def test_metric_unit_system(cloud):
    assert "Temperature set to 50.0°C" in ok(cloud.env, "--unit-system", "metric", "temp", "50")
    assert state(cloud)["dhwTemperatureSetting"] == 100
    assert "°C" in ok(cloud.env, "--unit-system", "metric", "status")


_WITHOUT_CLICK = "import sys; sys.modules['click'] = None; from nwp500.cli.main import main; sys.exit(main(sys.argv[1:]))"


def test_without_the_cli_extra_report_and_help_still_work(cloud, tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", _WITHOUT_CLICK, *args], env=cloud.env, capture_output=True,
                              text=True, timeout=60)

    assert "nwp500[cli]" in one_line_error(run("status", "--raw"))
    assert "nwp500[cli]" in one_line_error(run("monitor"))
    helped = run("--help")
    assert helped.returncode == 0 and "report" in helped.stdout and "nwp500[cli]" in helped.stdout
    assert "HTML" in run("report", "--help").stdout
    assert "cannot read" in one_line_error(run("report", str(tmp_path / "missing.json")))
