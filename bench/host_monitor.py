"""What the host monitor costs (issue: the guide's checklist, automated): CPU time of the
whole process (all threads) plus its journalctl child per second of wall time, and resident
memory, for an idle process without a monitor, with the default interval (60 s) and with a
1 s interval (path probes every second, the worst case), each for SECONDS seconds in a fresh
child process. The probes target a local TCP listener, so the path is healthy and nothing
but the sampling itself is measured.

    .venv/bin/python bench/host_monitor.py [--seconds 120]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of this process's live children (journalctl runs until the monitor stops)."""
    total = 0.0
    for task in os.listdir("/proc/self/task"):
        try:
            kids = open(f"/proc/self/task/{task}/children").read().split()
        except OSError:
            continue
        for pid in kids:
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / HZ
            except (OSError, IndexError, ValueError):
                pass
    return total


def rss_kib() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker(mode: str, seconds: float, port: int) -> dict:
    import asyncio

    from nwp500 import MqttDiagnosticsCollector

    async def main() -> dict:
        c = MqttDiagnosticsCollector()
        if mode != "none":
            c.start_host_monitor(interval=float(mode), endpoint=f"mqtt://127.0.0.1:{port}")
        await asyncio.sleep(5)  # warm: first readings, journalctl started
        r0, k0, rss0, t0 = resource.getrusage(resource.RUSAGE_SELF), children_cpu(), rss_kib(), time.monotonic()
        await asyncio.sleep(seconds)
        r1, k1, rss1, t1 = resource.getrusage(resource.RUSAGE_SELF), children_cpu(), rss_kib(), time.monotonic()
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime) + (k1 - k0)
        events = len(c.get_system_events(0))
        c.stop_host_monitor()
        return {"mode": mode, "cpu_percent": 100 * cpu / (t1 - t0), "rss_start_kib": rss0, "rss_end_kib": rss1,
                "events": events}

    return asyncio.run(main())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--worker", nargs=2, metavar=("MODE", "PORT"))
    a = p.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker[0], a.seconds, int(a.worker[1]))))
        return 0
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]

    def accept_and_close() -> None:  # the probes connect and go; keep the accept queue empty
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept_and_close, daemon=True).start()
    print(f"host monitor cost over {a.seconds:.0f} s per case (CPU of one core; process + journalctl)")
    print("| case | CPU % | RSS start → end (KiB) | system events |\n|---|---:|---:|---:|")
    for mode, label in (("none", "no monitor (baseline)"), ("60", "monitor, interval 60 s (default)"),
                        ("1", "monitor, interval 1 s")):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--seconds", str(a.seconds),
                              "--worker", mode, str(port)], capture_output=True, text=True, check=True,
                             timeout=a.seconds + 120)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {label} | {r['cpu_percent']:.3f} | {r['rss_start_kib']} → {r['rss_end_kib']} | {r['events']} |",
              flush=True)
    listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
