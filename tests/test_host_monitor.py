"""The host monitor (issue: the guide's checklist, automated) against real host failures.

A client with ``diagnostics.start_host_monitor()`` runs inside a network namespace
(:class:`support.hostpath.HostPath`) while the test, from outside, takes its interface down,
changes its default route, makes its name lookups fail and blocks the endpoint with nftables.
Each must appear as a system event of the right kind at the right time, and the drop it
causes must name it in ``analyze()``'s evidence. Also: retransmit deltas around a blackhole
drop, one log line (never an error) where signals are missing, and stop leaves nothing running.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import datetime

import pytest

from helpers import run
from nwp500.cli.report import load, render
from support import NetNamespace
from support.hostpath import HOSTNAME, HostPath

pytestmark = pytest.mark.skipif(not NetNamespace.available(), reason=f"network namespaces: {NetNamespace.unavailable_reason()}")


def _t(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def _events(export: dict, kind: str, since: float) -> list[dict]:
    return [e for e in export["system_events"] if e["kind"] == kind and _t(e["timestamp"]) >= since - 0.5]


def _near(export: dict, drop_t: float) -> list[dict]:
    """The host events analyze() puts next to the drop recorded at ``drop_t``."""
    for d in export["analysis"]["evidence"]["host_events_near_drops"]:
        if abs(_t(d["drop_timestamp"]) - drop_t) < 1.0:
            return d["events"]
    return []


def _wait_export(path: HostPath, predicate, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        export = path.export()
        if predicate(export):
            return export
        if time.monotonic() > deadline:
            raise AssertionError(f"export never satisfied the condition; system events: {export['system_events'][-10:]}")
        time.sleep(0.3)


@pytest.mark.slow
def test_each_host_failure_is_an_event_and_names_the_drop_it_causes(broker, tmp_path):
    with HostPath(broker.host, broker.port, interval=2.0) as path:
        path.wait("up")

        # 1. The interface goes down: link (and route) events, then a keep-alive drop.
        t0 = time.time()
        path.sh("ip", "link", "set", path.ns.ns_if, "down")
        drop = path.wait("drop", 30)
        path.sh("ip", "link", "set", path.ns.ns_if, "up")
        path.sh("ip", "route", "replace", "default", "via", path.ns.host_addr)
        path.wait("resumed", 30)
        export = path.export()
        links = _events(export, "link", t0)
        assert any(path.ns.ns_if in e["detail"] and "down" in e["detail"] for e in links), links
        down = next(e for e in links if "down" in e["detail"])
        assert t0 - 0.5 <= _t(down["timestamp"]) <= t0 + 5.0, (t0, down)
        assert "link" in {e["kind"] for e in _near(export, _drop_time(export, drop["t"]))}

        # 2. The default route changes to a gateway that does not answer: a route event, a drop.
        t0 = time.time()
        path.sh("ip", "route", "replace", "default", "via", DEAD_GATEWAY, "dev", path.ns.ns_if, "onlink")
        drop = path.wait("drop", 30)
        path.sh("ip", "route", "replace", "default", "via", path.ns.host_addr)
        path.wait("resumed", 30)
        export = path.export()
        routes = _events(export, "route", t0)
        assert routes and t0 - 0.5 <= _t(routes[0]["timestamp"]) <= t0 + 5.0, routes
        assert "route" in {e["kind"] for e in _near(export, _drop_time(export, drop["t"]))}

        # 3. Name lookups fail: a dns event; the drop that follows (the server resets the link)
        # has it next to it, and reconnecting fails on DNS until the name resolves again.
        t0 = time.time()
        path.write_hosts(False)
        export = _wait_export(path, lambda x: _events(x, "dns", t0))
        dns = _events(export, "dns", t0)[0]
        assert HOSTNAME in dns["detail"] and "fail" in dns["detail"], dns
        assert _t(dns["timestamp"]) <= t0 + 2 * 2.0 + 5.0
        path.proxy.reset_all()
        drop = path.wait("drop", 30)
        path.write_hosts(True)
        path.wait("resumed", 30)
        export = path.export()
        assert "dns" in {e["kind"] for e in _near(export, _drop_time(export, drop["t"]))}
        assert any("resolves again" in e["detail"] for e in _events(export, "dns", t0))

        # 4. nftables blackholes the endpoint (what it sends never arrives, as on a dead path;
        # an output-side drop would fail the sends locally and retransmit nothing): the TCP
        # probe times out, the link dies on its ping deadline, and the drop carries the
        # retransmits the blackhole caused.
        t0 = time.time()
        path.nft("table inet nwptest {\n chain in {\n  type filter hook input priority 0;\n"
                 f"  ip saddr {path.service_addr} tcp sport {path.proxy.port} drop\n }}\n}}\n")
        drop = path.wait("drop", 30)
        failed = lambda x: [e for e in _events(x, "tcp_probe", t0) if "timed out" in e["detail"] or "failed" in e["detail"]]  # noqa: E731
        export = _wait_export(path, lambda x: failed(x) and [e for e in _events(x, "tcp_stats", t0)
                                                              if _t(e["timestamp"]) >= _drop_time(x, drop["t"])])
        assert path.service_addr in failed(export)[0]["detail"]
        # The note recorded for this drop: the first tcp_stats after it.
        dropped_at = _drop_time(export, drop["t"])
        stats = min((e for e in export["system_events"] if e["kind"] == "tcp_stats" and _t(e["timestamp"]) >= dropped_at),
                    key=lambda e: _t(e["timestamp"]))
        retrans = int(stats["detail"].split("retransmitted segments +")[1].split(",")[0])
        assert retrans >= 1, stats
        assert _t(stats["timestamp"]) - dropped_at < 3.0, (stats, dropped_at)
        assert "tcp_probe" in {e["kind"] for e in _near(export, _drop_time(export, drop["t"]))}
        path.nft("delete table inet nwptest\n")
        path.wait("resumed", 30)

        export = path.export()
        analysis = export["analysis"]
        assert analysis["pattern"] == "during_system_events", analysis
        assert analysis["evidence"]["drops_near_system_events"] >= 4
        assert "Host events near" in analysis["recommendation"]

        # The HTML report draws the host events on its timeline, one marker each.
        report = tmp_path / "export.json"
        report.write_text(json.dumps(export))
        page = render(load(str(report)))
        assert page.count("class='sysevent'") == len(export["system_events"]) > 0
        for kind in ("link", "route", "dns", "tcp_probe", "tcp_stats"):
            assert f" {kind}: " in page, kind


def _drop_time(export: dict, seen_at: float) -> float:
    """The recorded drop closest to the moment the client reported it."""
    times = [_t(d["timestamp"]) for d in export["recent_drops"]]
    return min(times, key=lambda t: abs(t - seen_at))


# A gateway nobody on this machine has (benchmarking range), declared on-link: its ARP requests
# go unanswered, so every packet routed through it is lost.
DEAD_GATEWAY = "198.18.0.1"


def test_a_healthy_path_with_server_side_drops_points_at_the_server(broker):
    """Drops the server makes (resets) on a host where nothing happens (its own namespace, so
    other tests' interfaces stay out of sight): the probes succeed, no host event is near,
    and the recommendation says the server side closed the link."""
    with HostPath(broker.host, broker.port, interval=0.5) as path:
        path.wait("up")
        for _ in range(3):
            path.proxy.reset_all()
            path.wait("drop", 30)
            path.wait("resumed", 30)
        export = _wait_export(path, lambda x: x["analysis"]["evidence"]["drops_with_healthy_path"] == 3)
    ev = export["analysis"]["evidence"]
    assert ev["host_monitored"] and ev["drops_analyzed"] == 3 and ev["drops_near_system_events"] == 0, ev
    assert "server side closed the link" in export["analysis"]["recommendation"]


def test_missing_signals_are_one_log_line_and_stop_leaves_no_thread():
    """With /sys and /proc hidden (a private mount namespace), the monitor says once what it
    cannot see and still probes the path; stopping it ends its work."""
    script = (
        "import asyncio, logging, os, sys, time\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='LOG %(message)s')\n"
        "from nwp500 import MqttDiagnosticsCollector\n"
        "def journalctl_children():\n"
        "    kids = []\n"
        "    for task in os.listdir('/proc/self/task'):\n"
        "        kids += open(f'/proc/self/task/{task}/children').read().split()\n"
        "    return [k for k in kids if open(f'/proc/{k}/comm').read().strip() == 'journalctl']\n"
        "async def until(check, what):\n"
        "    deadline = time.monotonic() + 20\n"
        "    while not check():\n"
        "        assert time.monotonic() < deadline, what\n"
        "        await asyncio.sleep(0.05)\n"
        "async def main():\n"
        "    c = MqttDiagnosticsCollector()\n"
        "    c.start_host_monitor(interval=0.5, endpoint='mqtt://127.0.0.1:9')\n"
        "    await until(lambda: any(e['kind'] == 'tcp_probe' for e in c.get_system_events(0)), 'a tcp_probe event')\n"
        "    kinds = sorted({e['kind'] for e in c.get_system_events(0)})\n"
        "    print('KINDS', kinds, 'RUNNING', c.host_monitor_running)\n"
        "    journal = os.path.isdir('/run/log/journal') or os.path.isdir('/var/log/journal')\n"
        "    if journal:\n"
        "        await until(journalctl_children, 'journalctl started')\n"
        "    c.stop_host_monitor()\n"
        "    await until(lambda: not journalctl_children(), 'journalctl ended')\n"
        "    print('STOPPED', not c.host_monitor_running, 'JOURNAL', journal)\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           f"mount -t tmpfs none /sys && {sys.executable} -c \"$0\"", script],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    logs = [l for l in proc.stdout.splitlines() if l.startswith("LOG Host monitor: some signals")]
    assert len(logs) == 1, proc.stdout
    assert "link: /sys/class/net is not readable" in logs[0], logs
    assert "Traceback" not in proc.stderr
    kinds_line = next(l for l in proc.stdout.splitlines() if l.startswith("KINDS"))
    assert "'tcp_probe'" in kinds_line and "'link'" not in kinds_line and "RUNNING True" in kinds_line, proc.stdout
    assert "STOPPED True" in proc.stdout, proc.stdout
