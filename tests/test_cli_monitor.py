"""``nwp500 monitor``: in a real terminal (tmux) it shows the live view, which follows the
connection through a drop (connected -> reconnecting -> connected again, the drop counted by
cause) and ends with the report's path; piped, it prints plain log lines (the simulated cloud
with its fault schedule, exactly as ``scripts/demo`` runs it). The guide's example runs the
same monitor. Waits are deadlines on what the terminal or the process shows, never sleeps."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shlex
import signal
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from nwp500.cli.monitor import STATUS_CSV, MonitorOptions, MonitorState, run_monitor

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("_mosquitto_installed")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NAVIEN_", "NWP500_", "OPENEI_")) and k not in ("XDG_CACHE_HOME", "TMUX")}
    env.update(extra)
    return env


class Tmux:
    """A tmux server of our own (private socket) running one command in a 160x50 pane."""

    def __init__(self, tmp: Path, command: str) -> None:
        self.socket = str(tmp / "tmux.sock")
        self._tmux("new-session", "-d", "-s", "mon", "-x", "160", "-y", "50", command)
        self._tmux("set-option", "-t", "mon", "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "mon")

    def history(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "mon")

    def wait(self, what: str, ok: Callable[[str], bool], deadline: float = 30.0, whole: bool = False) -> str:
        end = time.monotonic() + deadline
        while True:
            text = self.history() if whole else self.screen()
            if ok(text):
                return text
            if time.monotonic() > end:
                raise AssertionError(f"terminal never showed {what}; it shows:\n{text}")
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "mon", *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=10)


def _panel(screen: str) -> str:
    """The live panel (the last complete one on the screen; "" while it is being drawn)."""
    start = screen.rfind("╭─ nwp500 monitor")
    end = screen.find("╯", start)
    return screen[start:end] if 0 <= start < end else ""


def test_live_view_follows_a_drop_in_a_terminal(simulator, tmp_path):
    pytest.importorskip("click")
    pytest.importorskip("rich")
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (scripts/setup installs it)")
    env = _clean_env(NWP500_API_BASE_URL=simulator.api_base_url, NWP500_MQTT_ENDPOINT=simulator.mqtt_endpoint,
                     NAVIEN_EMAIL=simulator.email, NAVIEN_PASSWORD=simulator.password,
                     XDG_CACHE_HOME=str(tmp_path / "cache"), TERM="xterm-256color")
    out = tmp_path / "out"
    command = " ".join(["env", "-i", *(shlex.quote(f"{k}={v}") for k, v in env.items()), shlex.quote(sys.executable),
                        "-m", "nwp500", "monitor", "--duration", "0", "--export-interval", "3",
                        "--output", shlex.quote(str(out)), "--log-file", shlex.quote(str(tmp_path / "m.log"))])
    term = Tmux(tmp_path, f"cd {shlex.quote(str(tmp_path))} && {command}")
    try:
        up = term.wait("the live view, connected, with the device's status",
                       lambda s: "● connected" in _panel(s) and "°F" in _panel(s))
        panel = _panel(up)
        assert re.search(r"Drops\s+0\s", panel) and "Messages" in panel and "Pattern" in panel

        simulator.refuse_connect()            # the reconnects fail until allowed again
        simulator.drop()
        down = term.wait("reconnecting", lambda s: "○ reconnecting: attempt" in _panel(s))
        assert re.search(r"Drops\s+1\s+\(tcp_closed 1\)", _panel(down))
        assert "AWS_ERROR_MQTT_UNEXPECTED_HANGUP" in _panel(down)

        simulator.allow_connect()
        back = term.wait("connected again after the drop",
                         lambda s: "● connected" in _panel(s) and re.search(r"Recoveries\s+1, last after", _panel(s)) is not None)
        panel = _panel(back)
        assert re.search(r"Drops\s+1\s+\(tcp_closed 1\)", panel) and "Last drop" in panel
        assert back.count("╭─ nwp500 monitor") == 1          # one panel: the display recovered in place
        term.wait("an export with the report", lambda s: "report: " in _panel(s))

        term.keys("C-c")                       # Ctrl+C: stops cleanly, final export, report path last
        done = term.wait("the report path after Ctrl+C", lambda s: re.search(r"^report: \S+report\.html\s*$", s, re.M)
                         is not None, whole=True)
    finally:
        term.close()
    assert "Traceback" not in done
    report = out / "report.html"
    assert report.is_file() and "class='drop'" in report.read_text()
    exports = sorted(out.glob("diagnostics_*.json"))
    assert exports and json.loads(exports[-1].read_text())["drop_causes"] == {"tcp_closed": 1}
    rows = (out / STATUS_CSV).read_text().splitlines()
    assert rows[0].split(",")[-1] == "timestamp" and len(rows) >= 2
    for written in [*out.iterdir(), tmp_path / "m.log"]:           # no full MAC address anywhere
        assert simulator.device_mac not in written.read_text(), written


class Monitor:
    """``nwp500 monitor ARGS`` as a child process, its output in a file we poll with deadlines."""

    def __init__(self, tmp: Path, *args: str, env: dict[str, str]) -> None:
        self.out = tmp / "monitor.out"
        self._file = self.out.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "nwp500", "monitor", *args], cwd=tmp, env=env,
                                     stdout=self._file, stderr=subprocess.STDOUT, text=True)

    def text(self) -> str:
        return self.out.read_text()

    def wait_for(self, what: str, ok: Callable[[str], bool], deadline: float = 90.0) -> str:
        end = time.monotonic() + deadline
        while True:
            text = self.text()
            if ok(text):
                return text
            if self.proc.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"the monitor never printed {what} (exit status {self.proc.poll()}):\n"
                                     f"{text[-4000:]}")
            time.sleep(0.1)

    def interrupt(self, within: float) -> int:
        """SIGINT (Ctrl+C); the exit status, which must come within ``within`` seconds."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(within)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {within:.0f} s after Ctrl+C:\n{self.text()[-4000:]}") from None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self._file.close()


def test_piped_it_prints_plain_lines_against_the_simulated_cloud(tmp_path):
    """No NAVIEN_EMAIL: the built-in simulated cloud and its fault schedule (first fault at 9 s),
    as scripts/demo runs it; piped, so plain lines and no terminal codes. It runs until what
    is checked has been printed (however slow the machine), then Ctrl+C ends it cleanly."""
    pytest.importorskip("click")
    mon = Monitor(tmp_path, "--duration", "0", "--export-interval", "5",
                  env=_clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")))
    try:
        mon.wait_for("a recovery and an export after it",
                     lambda s: "+++ connection resumed after" in s and "report: " in s.split("+++ connection resumed")[-1],
                     deadline=120)
        assert mon.interrupt(within=60) == 0, mon.text()[-3000:]
    finally:
        mon.close()
    out = mon.text()
    assert "\x1b[" not in out and "╭" not in out and "Traceback" not in out
    for line in ("using the simulated Navien cloud", "connected to MQTT as", "status from NWP500",
                 ">>> simulated fault: drop", "!!! connection dropped: AWS_ERROR_MQTT_UNEXPECTED_HANGUP",
                 "(cause: tcp_closed)", "+++ connection resumed after", "--- drop pattern:", "stopping (interrupted)",
                 "=== final report ==="):
        assert line in out, line
    last = out.strip().splitlines()[-1]
    assert last == f"report: {tmp_path / 'mqtt_diagnostics_output' / 'report.html'}"
    assert out.count("report: ") >= 2                       # at the periodic export too
    assert (tmp_path / "mqtt_diagnostics.log").is_file()
    assert not (tmp_path / "cache").exists()                 # the simulator's tokens are not stored


def _real_cloud_env(simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    return _clean_env(NWP500_API_BASE_URL=simulator.api_base_url, NWP500_MQTT_ENDPOINT=simulator.mqtt_endpoint,
                      NAVIEN_EMAIL=simulator.email, NAVIEN_PASSWORD=simulator.password,
                      XDG_CACHE_HOME=str(tmp_path / "cache"), **extra)


def test_ctrl_c_while_connecting_stops_at_once(simulator, tmp_path):
    """A half-open path: the MQTT connect hangs. Ctrl+C ends the monitor at once, cleanly
    (exit status 0 as for any interrupt, no traceback, no export: it never connected)."""
    pytest.importorskip("click")
    simulator.blackhole()                      # new connections get no answer
    mon = Monitor(tmp_path, "--plain", "--duration", "0", "--export-interval", "300",
                  env=_real_cloud_env(simulator, tmp_path))
    try:
        mon.wait_for("the MQTT connect under way", lambda s: "Connecting to ws://" in s)
        assert mon.interrupt(within=15) == 0, mon.text()[-3000:]
    finally:
        mon.close()
        simulator.resume()
    out = mon.text()
    assert "stopping (interrupted)" in out and "Traceback" not in out
    assert "=== final report ===" not in out and "report: " not in out


def test_a_stored_sign_in_is_enough_for_the_monitor(simulator, tmp_path):
    """As the device commands: no password needed when this account's tokens are stored."""
    pytest.importorskip("click")
    env = _real_cloud_env(simulator, tmp_path)
    first = subprocess.run([sys.executable, "-m", "nwp500", "serial"], env=env, capture_output=True, text=True,
                           timeout=60)
    assert first.returncode == 0, first.stderr[-2000:]
    bare = {k: v for k, v in env.items() if k != "NAVIEN_PASSWORD"}
    done = subprocess.run([sys.executable, "-m", "nwp500", "monitor", "--plain", "--duration", "1"], cwd=tmp_path,
                          env=bare, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "connected to MQTT as" in done.stdout and "=== final report ===" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("report: ")


def test_the_environment_is_restored_after_the_simulated_cloud(monkeypatch, tmp_path):
    """The monitor points the library at its simulated cloud only while it runs."""
    import logging

    monkeypatch.setenv("NWP500_API_BASE_URL", "http://before.invalid/api")
    monkeypatch.delenv("NWP500_MQTT_ENDPOINT", raising=False)
    options = MonitorOptions.build(duration=1, export_interval=30, output=str(tmp_path / "out"), log_file=None,
                                   simulate=True, plain=True, faults=[])
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert run_monitor(options) == 0
    finally:
        root.handlers[:], root.level = handlers, level
    assert (tmp_path / "out" / "report.html").is_file() or list((tmp_path / "out").glob("diagnostics_*.json"))
    assert os.environ["NWP500_API_BASE_URL"] == "http://before.invalid/api"
    assert "NWP500_MQTT_ENDPOINT" not in os.environ


def _panel_text(state: MonitorState) -> str:
    from rich.console import Console

    from nwp500.cli.live import render

    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(render(state))
    return console.file.getvalue()


def test_the_live_view_reads_the_connection_from_the_client(simulator, monkeypatch):
    """The panel shows what the client and its collector know (no copy kept by the monitor):
    connected, then a drop by cause with its error, then the recovery and how long it took."""
    pytest.importorskip("rich")
    from nwp500 import NavienAuthClient, NavienMqttClient

    monkeypatch.setenv("NWP500_API_BASE_URL", simulator.api_base_url)
    monkeypatch.setenv("NWP500_MQTT_ENDPOINT", simulator.mqtt_endpoint)

    async def scenario() -> tuple[str, str]:
        async with NavienAuthClient(simulator.email, simulator.password) as auth:
            client = NavienMqttClient(auth)
            resumed = asyncio.Event()
            client.on("connection_resumed", lambda event: resumed.set())
            await client.connect()
            try:
                state = MonitorState(client=client, phase="monitoring")
                before = _panel_text(state)
                await asyncio.to_thread(simulator.drop)
                await asyncio.wait_for(resumed.wait(), 60)
                return before, _panel_text(state)
            finally:
                await client.disconnect()

    before, after = asyncio.run(scenario())
    assert "● connected for" in before and re.search(r"Drops\s+0\s", before), before
    assert re.search(r"Drops\s+1\s+\(tcp_closed 1\)", after), after
    assert "AWS_ERROR_MQTT_UNEXPECTED_HANGUP" in after and "Last drop" in after
    assert re.search(r"Recoveries\s+1, last after \d+\.\d s", after), after
    assert "● connected for" in after


_NO_IMPORTS_ON_THE_LOOP = r"""
import asyncio, json, logging, sys
from types import SimpleNamespace
import nwp500.cli.handlers, nwp500.cli.live, nwp500.cli.monitor, nwp500.cli.output

imports = []
sys.addaudithook(lambda event, args: imports.append(str(args[0])) if event == "import" else None)

async def main():
    from nwp500.cli import handlers, live, output
    state = nwp500.cli.monitor.MonitorState()
    live.render(state)
    handler = live._ConsoleHandler(live.Console(file=sys.stderr))
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.emit(logging.LogRecord("nwp500.monitor", logging.INFO, "monitor.py", 1, "a line", None, None))
    output.print_tou_schedule("plan", "utility", 94103, [SimpleNamespace(season=4095, intervals=[
        {"week": 62, "startHour": 0, "startMinute": 0, "endHour": 1, "endMinute": 0, "priceMin": 100,
         "priceMax": 200, "decimalPoint": 5}])])
    handlers._openei()

asyncio.run(main())
print(json.dumps(imports))
"""


def test_nothing_is_imported_on_the_event_loop_by_the_command():
    """The live view's redraws and log lines, the printed results and the OpenEI client:
    everything they use is imported when the command's modules load."""
    pytest.importorskip("click")
    pytest.importorskip("rich")
    done = subprocess.run([sys.executable, "-c", _NO_IMPORTS_ON_THE_LOOP], capture_output=True, text=True,
                          timeout=60, env=_clean_env(OPENEI_API_KEY="test-key"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_guide_example_still_runs(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "mqtt_diagnostics_example.py"), "--duration", "2",
                           "--export-interval", "30"], cwd=tmp_path, env=_clean_env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "connected to MQTT as" in done.stdout and "=== final report ===" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("report: ")
    assert list((tmp_path / "mqtt_diagnostics_output").glob("guide_hooks_*.json"))


def test_monitor_options():
    sim = MonitorOptions.build(duration=None, export_interval=None, output=None, log_file=None, simulate=True)
    assert (sim.duration, sim.export_interval, sim.output_dir) == (90.0, 30.0, Path("mqtt_diagnostics_output"))
    real = MonitorOptions.build(duration=None, export_interval=None, output="out", log_file="x.log", simulate=False)
    assert (real.duration, real.export_interval, real.csv_path) == (3600.0, 300.0, Path("out") / STATUS_CSV)
    csv = MonitorOptions.build(duration=0, export_interval=5, output="status.csv", log_file=None, simulate=False)
    assert (csv.csv_path, csv.output_dir, csv.duration) == (Path("status.csv"), Path("mqtt_diagnostics_output"), 0)
    for bad in ({"duration": -1}, {"export_interval": 0}, {"duration": float("nan")}):
        with pytest.raises(ValueError):
            MonitorOptions.build(**{"duration": 1.0, "export_interval": 1.0, **bad}, output=None, log_file=None,
                                 simulate=True)
