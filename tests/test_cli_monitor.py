"""``nwp500 monitor``: in a real terminal (tmux) it shows the live view, which follows the
connection through a drop (connected -> reconnecting -> connected again, the drop counted by
cause) and ends with the report's path; piped, it prints plain log lines (the simulated cloud
with its fault schedule, exactly as ``scripts/demo`` runs it). The guide's example runs the
same monitor. Waits are deadlines on what the terminal or the process shows, never sleeps."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from nwp500.cli.monitor import STATUS_CSV, MonitorOptions

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


def test_piped_it_prints_plain_lines_against_the_simulated_cloud(tmp_path):
    """No NAVIEN_EMAIL: the built-in simulated cloud and its fault schedule (first fault at 9 s),
    as scripts/demo runs it; piped, so plain lines and no terminal codes."""
    pytest.importorskip("click")
    done = subprocess.run([sys.executable, "-m", "nwp500", "monitor", "--duration", "12", "--export-interval", "5"],
                          cwd=tmp_path, env=_clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")), capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "\x1b[" not in out and "╭" not in out
    for line in ("using the simulated Navien cloud", "connected to MQTT as", "status from NWP500",
                 ">>> simulated fault: drop", "!!! connection dropped: AWS_ERROR_MQTT_UNEXPECTED_HANGUP",
                 "(cause: tcp_closed)", "+++ connection resumed after", "--- drop pattern:", "=== final report ==="):
        assert line in out, line
    last = out.strip().splitlines()[-1]
    assert last == f"report: {tmp_path / 'mqtt_diagnostics_output' / 'report.html'}"
    assert out.count("report: ") >= 2                       # at the periodic export too
    assert (tmp_path / "mqtt_diagnostics.log").is_file()
    assert not (tmp_path / "cache").exists()                 # the simulator's tokens are not stored


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
