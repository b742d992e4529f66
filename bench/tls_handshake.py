"""TLS handshake cost of two builds of nwp500 side by side (the crypto-provider choice, README
"Packaging"): each build is installed in a virtualenv of its own, and each does N full
connect/disconnect cycles over mqtts to one local mosquitto with a TLS listener, alternating
build A and build B for R repetitions. Reported: CPU seconds of the client process (all its
threads) per connection, median over the repetitions, and the ratio.

    .venv/bin/python bench/tls_handshake.py VENV_A VENV_B [--n 200] [--reps 5]

Runs the worker part (``--worker``) with each virtualenv's interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


async def cycles(endpoint: str, n: int) -> float:
    from _common import Auth  # the duck-typed signed-in auth the other workers use
    from nwp500 import MqttConnectionConfig, NavienMqttClient

    client = NavienMqttClient(Auth(), config=MqttConnectionConfig(endpoint=endpoint, client_id="tls-bench"))
    await client.connect()  # warm: runtime, trust store, first handshake
    await client.disconnect()
    before = resource.getrusage(resource.RUSAGE_SELF)
    for i in range(n):
        client = NavienMqttClient(Auth(), config=MqttConnectionConfig(endpoint=endpoint, client_id=f"tls-bench-{i}"))
        await asyncio.wait_for(client.connect(), 30)
        await asyncio.wait_for(client.disconnect(), 30)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / n


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("venvs", nargs="*")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--worker", metavar="ENDPOINT")
    a = p.parse_args()
    if a.worker:
        sys.path.insert(0, HERE)
        print(json.dumps({"cpu_per_connect": asyncio.run(cycles(a.worker, a.n))}))
        return 0

    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
    from support import Mosquitto, TestCA

    ca = TestCA()
    broker = Mosquitto(tls=True, ca=ca)
    broker.start()
    results: dict[str, list[float]] = {v: [] for v in a.venvs}
    try:
        env = dict(os.environ, SSL_CERT_FILE=ca.bundle_path)
        for _ in range(a.reps):
            for venv in a.venvs:
                out = subprocess.run([os.path.join(venv, "bin", "python"), os.path.abspath(__file__), "--worker", broker.tls_url,
                                      "--n", str(a.n)], env=env, cwd="/", check=True, capture_output=True,
                                     text=True, timeout=600)
                results[venv].append(json.loads(out.stdout.strip().splitlines()[-1])["cpu_per_connect"])
    finally:
        broker.stop()
        ca.cleanup()
    medians = {v: statistics.median(r) for v, r in results.items()}
    for v, m in medians.items():
        print(f"{v}: {m * 1000:.2f} ms CPU per mqtts connect+disconnect (median of {a.reps} x {a.n}; "
              f"all: {', '.join(f'{x * 1000:.2f}' for x in results[v])})")
    if len(medians) == 2:
        (va, ma), (vb, mb) = medians.items()
        print(f"ratio {os.path.basename(vb)}/{os.path.basename(va)}: {mb / ma:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
