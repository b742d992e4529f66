"""Connection monitor demo: a real broker, real faults, and the reason for every drop.

Runs a local mosquitto behind a TCP fault proxy, keeps a NavienMqttClient connected to it
while publishing to a topic it also subscribes to, and injects the faults that take down real
deployments: a reset, an orderly close by the server, a half-open link (packets silently
dropped, the NAT-timeout case), a broker restart and a refusing server. Each drop is printed
with the cause the client diagnosed, and a JSON summary is written to
``mqtt_diagnostics_output/``.

    python examples/connection_demo.py [--duration SECONDS]

(The local broker and fault proxy come from the test support code until the simulated Navien
cloud, ``python -m nwp500.simulator``, provides them.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
import types
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support import FaultProxy, Mosquitto  # noqa: E402

from nwp500 import MqttConnectionConfig, NavienMqttClient  # noqa: E402

OUTPUT_DIR = Path("mqtt_diagnostics_output")


class LocalBrokerAuth:
    """Stands in for a signed-in NavienAuthClient: a local broker needs no AWS keys, but the
    client checks that the auth object is signed in and holds credentials."""

    is_authenticated = True
    has_stored_credentials = False
    current_tokens = types.SimpleNamespace(
        access_key_id="LOCAL", secret_key="local", session_token=None, refresh_token="local"
    )

    async def ensure_valid_token(self) -> bool:
        return True

    async def refresh_token(self, refresh_token: str) -> None:
        # A deep reconnect refreshes credentials; a local broker accepts the same ones.
        return None

    async def re_authenticate(self) -> None:
        return None


async def inject_faults(proxy: FaultProxy, broker: Mosquitto, stop: asyncio.Event) -> None:
    """One of each fault, spaced so every recovery can be watched."""
    schedule = [
        (5, "TCP reset by the network", proxy.reset_all),
        (7, "server closes the connection", proxy.close_all),
        (7, "half-open link: packets silently dropped for 9 s", proxy.blackhole),
        (9, "link restored", proxy.resume),
        (4, "broker restart", lambda: (broker.kill(), broker.restart())),
        (7, "server refuses connections for 4 s", lambda: (proxy.refuse(True), proxy.close_all())),
        (4, "server accepts again", lambda: proxy.refuse(False)),
    ]
    for delay, label, action in schedule:
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return
        except asyncio.TimeoutError:
            pass
        print(f"\n>>> fault: {label}")
        await asyncio.to_thread(action)


async def main(duration: float) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    broker = Mosquitto()
    broker.start()
    proxy = FaultProxy("127.0.0.1", broker.port)
    config = MqttConnectionConfig(
        endpoint=proxy.url,
        keep_alive_secs=4,
        ping_timeout=2.0,
        initial_reconnect_delay=0.5,
        max_reconnect_delay=4.0,
        deep_reconnect_threshold=5,
    )
    client = NavienMqttClient(LocalBrokerAuth(), config=config)
    drops: list[dict] = []
    recoveries: list[float] = []
    state = {"down_since": None, "up_since": time.monotonic(), "sent": 0, "queued": 0, "received": 0}

    def on_drop(event) -> None:
        err = event.error
        now = time.monotonic()
        up = now - state["up_since"]
        state["down_since"] = now
        drops.append({"cause": err.cause, "error_name": err.name, "error_code": err.code,
                      "message": err.message, "connected_seconds": round(up, 2)})
        print(f"    drop #{len(drops)}: cause={err.cause} ({err.name}/{err.code}) after {up:.1f}s connected")

    def on_resume(event) -> None:
        now = time.monotonic()
        took = now - (state["down_since"] or now)
        state["up_since"] = now
        recoveries.append(round(took, 2))
        print(f"    recovered in {took:.1f}s (attempts={client.reconnect_attempts}, "
              f"queued commands left={client.queued_commands_count})")

    client.on("connection_interrupted", on_drop)
    client.on("connection_resumed", on_resume)
    await client.connect()
    await client.subscribe("demo/#", lambda topic, msg: state.__setitem__("received", state["received"] + 1))
    print(f"connected to {broker.url} through a fault proxy as {client.client_id}")

    stop = asyncio.Event()
    faults = asyncio.create_task(inject_faults(proxy, broker, stop))
    deadline = time.monotonic() + duration
    n = 0
    while time.monotonic() < deadline:
        n += 1
        packet_id = await client.publish("demo/counter", {"n": n})
        state["sent" if packet_id else "queued"] += 1
        await asyncio.sleep(0.25)
    stop.set()
    await faults
    await client.disconnect()
    proxy.stop()
    broker.close()

    OUTPUT_DIR.mkdir(exist_ok=True)
    out = OUTPUT_DIR / f"connection_demo_{time.strftime('%Y%m%d_%H%M%S')}.json"
    summary = {"drops": drops, "recovery_seconds": recoveries, "drops_by_cause": Counter(d["cause"] for d in drops),
               "published": state["sent"], "queued_while_offline": state["queued"], "received": state["received"]}
    out.write_text(json.dumps(summary, indent=2))
    print("\nSummary")
    for cause, count in summary["drops_by_cause"].items():
        print(f"  {cause:20} {count}")
    print(f"  published {state['sent']} live, {state['queued']} queued while offline; received {state['received']}")
    print(f"  JSON written to {out}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=55.0, help="seconds to run (default 55)")
    args = parser.parse_args()
    try:
        sys.exit(asyncio.run(main(args.duration)))
    except KeyboardInterrupt:
        sys.exit(130)
