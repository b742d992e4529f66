"""``nwp500 report``: the HTML drop report, from a live run's export, from a handmade
nwp500-python-style export (no causes) and from a Home Assistant diagnostics download; opened
in a real headless Chromium (markers counted, causes checked, no console error, no network
request, a screenshot kept); bad input is one line and exit status 2."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from helpers import DuckAuth, EventRecorder, fast_config, run
from nwp500 import NavienMqttClient
from nwp500.cli.report import load, parse, render

CHROMIUM = shutil.which("chromium")
# Headless Chromium, kept off the network: no background services, and every host name maps to
# nothing and every proxied request to a closed loopback port, so only the page's own loads can
# show up in its net log.
QUIET = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
         "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--disable-breakpad",
         "--disable-features=Translate,OptimizationHints,MediaRouter,SpellCheck,AutofillServerCommunication",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]


@pytest.fixture(scope="module")
def live_export(tmp_path_factory):
    """A real export: three drops of two kinds through the fault proxy."""
    from support import FaultProxy, Mosquitto

    broker = Mosquitto()
    broker.start()
    proxy = FaultProxy(broker.host, broker.port)
    try:
        async def scenario():
            client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url))
            rec = EventRecorder(client)
            await client.connect()
            for n, fault in enumerate((proxy.close_all, proxy.reset_all, proxy.close_all), 1):
                fault()
                await rec.wait_count("connection_resumed", n, 20)
            text = client.diagnostics.export_json()
            await client.disconnect()
            return text

        text = run(scenario(), 60)
    finally:
        proxy.stop()
        broker.close()
    path = tmp_path_factory.mktemp("export") / "live.json"
    path.write_text(text)
    return path


def _markers(page: str) -> list[str]:
    return re.findall(r"<circle class='drop' data-cause='([^']*)'", page)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nwp500", *args], capture_output=True, text=True, timeout=60)


def test_live_export(live_export, tmp_path):
    export = json.loads(live_export.read_text())
    out = tmp_path / "live.html"
    done = _cli("report", str(live_export), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    page = out.read_text()
    causes = _markers(page)
    assert len(causes) == len(export["recent_drops"]) == 3
    assert set(causes) <= set(export["drop_causes"])
    assert "3 drops in" in page and "AWS_IO_SOCKET_CLOSED" in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?https?:", page), "the report refers to the network"


def test_nwp500_python_export_without_causes(live_export):
    export = json.loads(live_export.read_text())
    export.pop("drop_causes")
    for drop in export["recent_drops"]:
        drop.pop("cause")
    history = parse(export)
    assert history.source == "nwp500-python"
    assert all(d.cause_inferred and d.cause == "tcp_closed" for d in history.drops)
    page = render(history)
    assert len(_markers(page)) == 3 and "inferred from the AWS CRT error names" in page


def test_home_assistant_download(live_export, tmp_path):
    inner = json.loads(live_export.read_text())
    download = {"home_assistant": {"version": "2026.3.0"}, "custom_components": {"nwp500": {"version": "0.18.0"}},
                "data": {"entry": {"email": "**REDACTED**"}, "mqtt_diagnostics": inner}}
    path = tmp_path / "config_entry-nwp500.json"
    path.write_text(json.dumps(download))
    history = load(str(path))
    assert history.source == "Home Assistant diagnostics download" and len(history.drops) == 3
    download["data"]["mqtt_diagnostics"] = json.dumps(inner)  # as a string, too
    assert len(parse(download).drops) == 3


@pytest.mark.parametrize("content,message", [
    (None, "cannot read"), ("not json at all", "is not JSON"), ("[1, 2]", "not a diagnostics export"),
    ('{"hello": 1}', "not a diagnostics export"), ('{"metrics": {}, "recent_drops": []}', "no connection history"),
    ('{"data": {"mqtt_diagnostics": null}}', "no MQTT diagnostics"),
    ('{"recent_drops": 5, "metrics": {}}', "recent_drops must be an array"),
    ('{"recent_drops": [], "recent_connections": {"a": 1}}', "recent_connections must be an array"),
    ('{"recent_drops": [{"timestamp": 1}], "metrics": []}', "metrics must be an object"),
    ('{"recent_drops": [{"timestamp": 1}], "analysis": "x"}', "analysis must be an object"),
    ('{"recent_drops": [{"timestamp": 1}], "analysis": {"evidence": 3}}', "analysis.evidence must be an object"),
    ('{"recent_drops": [{"timestamp": 1}], "system_events": {}}', "system_events must be an array"),
    ('{"recent_drops": [{"timestamp": 1e300, "error_name": "X"}]}', "no connection history"),
    ('{"recent_drops": [{"timestamp": "0001-01-01T00:00:00+10:00"}]}', "no connection history"),
    ('{"recent_drops": [{"timestamp": "9999-12-31T23:00:00-10:00"}]}', "no connection history"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, content, message):
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)
    done = _cli("report", str(path), "-o", str(tmp_path / "out.html"))
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_out_of_range_numbers_still_make_a_report(tmp_path):
    """A session length no date can show does not end the report: its dates say so."""
    path = tmp_path / "in.json"
    path.write_text('{"timestamp": 1e300, "recent_drops": [{"timestamp": 1000, "error_name": "X", '
                    '"duration_connected_seconds": 1e300}, {"timestamp": 2000, "reconnect_attempt": '
                    + "9" * 400 + ', "duration_connected_seconds": ' + "9" * 400 + '}]}')
    done = _cli("report", str(path), "-o", str(tmp_path / "out.html"))
    assert done.returncode == 0, done.stderr
    assert len(_markers((tmp_path / "out.html").read_text())) == 2


def test_help_and_no_command():
    assert "report" in _cli("--help").stdout
    assert "HTML" in _cli("report", "--help").stdout
    done = _cli()
    assert done.returncode == 2 and "COMMAND" in done.stdout


def _big_export(live_export, drops: int) -> dict:
    export = json.loads(live_export.read_text())
    template = export["recent_drops"][0]
    base = 1_790_000_000.0
    causes = ["tcp_closed", "keepalive_timeout", "credentials_expired", "dns_failure"]
    export["recent_drops"] = []
    for i in range(drops):
        d = copy.deepcopy(template)
        d["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(base + 60 * i))
        d["cause"] = causes[i % len(causes)]
        export["recent_drops"].append(d)
    export["drop_causes"] = {c: drops // len(causes) for c in causes}
    return export


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup installs it)")
def test_in_a_real_browser(live_export, tmp_path):
    out = tmp_path / "live.html"
    out.write_text(render(load(str(live_export))))
    netlog = tmp_path / "netlog.json"
    shot = tmp_path / "report.png"
    common = [CHROMIUM, *QUIET, "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, f"--log-net-log={netlog}", "--dump-dom", out.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert len(re.findall(r'<circle class="drop" data-cause="', dom.stdout)) == 3
    assert not re.search(r"CONSOLE\(|Uncaught|Refused to", dom.stderr), dom.stderr[-2000:]
    urls = set(re.findall(r'"url":"([^"]+)"', netlog.read_text()))
    # The browser's own services (component updates, network time, accounts, dictionaries) try
    # to reach out whatever the page is; they go nowhere (see QUIET) and are not the page's.
    browser_own = re.compile(r"^https?://[^/]*(googleapis\.com/service/update2|google\.com/time/|"
                             r"accounts\.google\.com/|gvt1\.com/edgedl/)")
    page_loads = {u for u in urls if not browser_own.match(u)}
    assert all(u.startswith(("file:", "data:")) for u in page_loads), f"network requests: {page_loads}"
    assert "default-src 'none'" in out.read_text()  # and the page's own policy forbids any
    subprocess.run([*common, "--hide-scrollbars", "--window-size=1100,1400", f"--screenshot={shot}", out.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup installs it)")
def test_ten_thousand_drops_stay_small_and_fast(live_export, tmp_path):
    export = _big_export(live_export, 10_000)
    started = time.perf_counter()
    page = render(parse(export))
    render_s = time.perf_counter() - started
    out = tmp_path / "big.html"
    out.write_text(page)
    size_mib = os.path.getsize(out) / 2**20
    common = [CHROMIUM, *QUIET, f"--user-data-dir={tmp_path / 'p'}"]
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>x</title>")
    timings = {}
    for name, target in (("blank", blank), ("report", out)):
        t0 = time.perf_counter()
        dom = subprocess.run([*common, "--dump-dom", target.as_uri()], capture_output=True, text=True, timeout=120)
        timings[name] = time.perf_counter() - t0
        assert dom.returncode == 0
    assert len(re.findall(r'<circle class="drop"', dom.stdout)) == 10_000
    print(f"10 000 drops: render {render_s:.2f} s, {size_mib:.2f} MiB, browser load "
          f"{timings['report'] - timings['blank']:.2f} s over a blank page")
    # Generous bounds (measured, not a budget): small enough to attach to a bug report.
    assert size_mib < 8
