"""``analyze()`` on a real client's own collector, with drops made by real faults
(TARGET §6: the guide's *Pattern Analysis Reference*, with evidence and the guide's fix).

* ``regular_intervals``   FaultProxy.cut_every(P): the link is cut every P seconds.
* ``irregular``           close_all() at seeded random gaps drawn from [0.5, 6] s.
* ``after_many_messages`` bursts of 30+ publishes, each followed by a cut; then one cut after
                          a quiet spell longer than the 10 s burst window (it sees none).
* ``during_system_events`` (a) a real wall-clock jump: a client in a subprocess under
                          libfaketime, whose wall clock the test moves forward 600 s before
                          drops 2-4 while its monotonic clock keeps running
                          (FAKETIME_DONT_FAKE_MONOTONIC=1); (b) ``record_system_event`` before
                          each drop.

Each case checks the evidence numbers against what the test did, and that the
recommendation is the guide's check/fix for that pattern.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime

import pytest

from helpers import DuckAuth, EventRecorder, fast_config, run
from nwp500 import NavienMqttClient

pytestmark = pytest.mark.slow

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def _config(url: str, **kw):
    # Socket-level cuts are noticed at once; quick, unjittered reconnects; no deep attempts
    # (every recovery is then a plain "resumed").
    kw.setdefault("keep_alive_secs", 2)
    return fast_config(url, reconnect_jitter=False, deep_reconnect_threshold=100, **kw)


async def _cut_and_recover(proxy, rec: EventRecorder, n: int) -> None:
    await asyncio.to_thread(proxy.close_all)
    await rec.wait_count("connection_interrupted", n, timeout=5)
    await rec.wait_count("connection_resumed", n, timeout=10)


def _event_intervals(rec: EventRecorder) -> list[float]:
    t = [r.at for r in rec.of("connection_interrupted")]
    return [b - a for a, b in zip(t, t[1:])]


def _no_system_events(ev: dict) -> None:
    assert (ev["system_events"], ev["clock_jumps"], ev["drops_near_system_events"]) == (0, 0, 0), ev


# =========================================================================== regular


def test_fixed_period_cuts_are_regular_intervals(fault_proxy) -> None:
    period, drops = 2.5, 5
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=_config(proxy.url))
        rec = EventRecorder(client)
        await client.connect()
        try:
            await asyncio.to_thread(proxy.cut_every, period)
            for n in range(1, drops + 1):
                await rec.wait_count("connection_interrupted", n, timeout=period + 3)
                # recovered well before the next cut, or that cut would find no link
                await rec.wait_count("connection_resumed", n, timeout=period)
            await asyncio.to_thread(proxy.cut_every, None)
            return client.diagnostics.analyze(), rec
        finally:
            await asyncio.to_thread(proxy.cut_every, None)
            await asyncio.wait_for(client.disconnect(), 10)

    a, rec = run(scenario(), timeout=60)
    print(a)
    ev = a.evidence
    assert a.pattern == "regular_intervals", a
    assert ev["drops_analyzed"] == drops
    assert len(ev["intervals_seconds"]) == drops - 1
    assert all(abs(x - period) <= 0.25 for x in ev["intervals_seconds"]), ev
    assert abs(ev["mean_interval_seconds"] - period) <= 0.1, ev
    assert ev["interval_variation"] <= 0.05, ev
    assert ev["interval_stdev_seconds"] == pytest.approx(
        statistics.pstdev(ev["intervals_seconds"]), abs=1e-6)
    for x, y in zip(ev["intervals_seconds"], _event_intervals(rec)):
        assert abs(x - y) <= 0.1, (ev["intervals_seconds"], _event_intervals(rec))
    assert ev["messages_before_drops"] == [0] * drops
    _no_system_events(ev)
    assert "AWS connection lifetime" in a.likely_cause
    assert "CloudWatch" in a.recommendation and "AWS Support" in a.recommendation


# =========================================================================== irregular


def _irregular_gaps(seed: int, n: int) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.uniform(0.5, 6.0), 2) for _ in range(n)]


def test_random_cuts_are_irregular(fault_proxy) -> None:
    seed, drops = 8, 6
    gaps = _irregular_gaps(seed, drops)
    # The plan itself must be irregular, or the test would prove nothing.
    assert statistics.pstdev(gaps[1:]) / statistics.mean(gaps[1:]) > 0.4, gaps
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=_config(proxy.url))
        rec = EventRecorder(client)
        await client.connect()
        try:
            for n, gap in enumerate(gaps, start=1):
                await asyncio.sleep(gap)  # the fault schedule, not synchronisation
                await _cut_and_recover(proxy, rec, n)
            return client.diagnostics.analyze(), rec
        finally:
            await asyncio.wait_for(client.disconnect(), 10)

    a, rec = run(scenario(), timeout=90)
    print(gaps, a)
    ev = a.evidence
    assert a.pattern == "irregular", (gaps, a)
    assert ev["drops_analyzed"] == drops
    observed = _event_intervals(rec)
    assert len(ev["intervals_seconds"]) == len(observed) == drops - 1
    for x, y, gap in zip(ev["intervals_seconds"], observed, gaps[1:]):
        assert abs(x - y) <= 0.1, (ev["intervals_seconds"], observed)
        assert x >= gap, (x, gap)  # each interval is the planned gap plus the reconnect
    assert ev["interval_variation"] > 0.2, ev
    assert ev["messages_before_drops"] == [0] * drops and ev["drops_after_bursts"] == 0
    _no_system_events(ev)
    assert "NAT" in a.likely_cause
    assert "keep_alive_secs" in a.recommendation and "60-120" in a.recommendation, a


# =========================================================================== after many messages


def test_cuts_after_bursts_are_after_many_messages(fault_proxy) -> None:
    bursts = [30, 35, 40]
    proxy = fault_proxy()

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=_config(proxy.url, keep_alive_secs=30))
        rec = EventRecorder(client)
        topic = f"test/{client.client_id}/burst"
        await client.connect()
        last_publish = 0.0
        try:
            for n, size in enumerate(bursts, start=1):
                await asyncio.sleep(0.3 * n)  # uneven gaps between the bursts
                for i in range(size):
                    assert await client.publish(topic, {"burst": n, "i": i}) > 0
                last_publish = time.monotonic()
                await _cut_and_recover(proxy, rec, n)
            # A quiet spell longer than the burst window, then one more cut.
            await asyncio.sleep(max(0.0, last_publish + 10.5 - time.monotonic()))
            await _cut_and_recover(proxy, rec, len(bursts) + 1)
            return client.diagnostics.analyze(), client.diagnostics.get_metrics(), rec
        finally:
            await asyncio.wait_for(client.disconnect(), 10)

    a, m, rec = run(scenario(), timeout=90)
    print(a)
    ev = a.evidence
    assert a.pattern == "after_many_messages", a
    assert m.messages_published == sum(bursts)
    before = ev["messages_before_drops"]
    assert len(before) == len(bursts) + 1
    # Each burst drop saw at least its own burst (earlier bursts may still be inside the 10 s
    # window), never more than was published; the quiet drop saw none.
    for k, size in enumerate(bursts):
        assert size <= before[k] <= sum(bursts[:k + 1]), (before, bursts)
    assert before[-1] == 0, before
    assert ev["drops_after_bursts"] == len(bursts)
    assert ev["interval_variation"] > 0.2, ev  # not mistaken for a fixed period
    _no_system_events(ev)
    assert "Rate limiting" in a.likely_cause
    assert "message rate" in a.recommendation and "quota" in a.recommendation, a


# =========================================================================== during system events

_JUMPY_CLIENT = r'''
"""A real client that reports its clocks; run under libfaketime by the test."""
import asyncio, json, sys, time

sys.path.insert(0, sys.argv[1])
from helpers import DuckAuth, EventRecorder, fast_config
from nwp500 import NavienMqttClient


def say(**kw):
    print(json.dumps(kw), flush=True)


async def main(url):
    client = NavienMqttClient(DuckAuth(), config=fast_config(
        url, reconnect_jitter=False, deep_reconnect_threshold=100))
    rec = EventRecorder(client)
    await client.connect()
    say(event="ready", wall=time.time(), mono=time.monotonic())
    loop = asyncio.get_running_loop()
    try:
        while True:
            words = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not words or words[0] == "quit":
                break
            if words[0] == "wait":
                await rec.wait_count("connection_resumed", int(words[1]), timeout=20)
                say(event="resumed", n=int(words[1]), wall=time.time(), mono=time.monotonic())
            elif words[0] == "analyze":
                d = client.diagnostics
                say(event="analysis", analysis=d.analyze().to_dict(),
                    export=json.loads(d.export_json()))
    finally:
        await asyncio.wait_for(client.disconnect(), 10)


asyncio.run(main(sys.argv[2]))
'''


def _set_fake_offset(path, seconds: int) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(f"+{seconds}s\n")
    os.replace(tmp, path)  # atomic: libfaketime re-reads the file on every clock call


def test_wall_clock_jumps_are_during_system_events(fault_proxy, tmp_path) -> None:
    if not os.path.exists(LIBFAKETIME):
        pytest.skip(f"{LIBFAKETIME} missing (apt-get install faketime)")
    proxy = fault_proxy()
    jump, drops = 600, 4
    script = tmp_path / "jumpy_client.py"
    script.write_text(_JUMPY_CLIENT)
    stamp = tmp_path / "faketime.rc"
    _set_fake_offset(stamp, 0)
    env = dict(os.environ, LD_PRELOAD=LIBFAKETIME, FAKETIME_TIMESTAMP_FILE=str(stamp),
               FAKETIME_NO_CACHE="1", FAKETIME_DONT_FAKE_MONOTONIC="1")
    stderr_path = tmp_path / "client.stderr"

    async def scenario():
        with open(stderr_path, "wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(script), TESTS_DIR, proxy.url, env=env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err)

        async def ask(line: str | None) -> dict:
            if line is not None:
                proc.stdin.write(f"{line}\n".encode())
                await proc.stdin.drain()
            raw = await asyncio.wait_for(proc.stdout.readline(), 30)
            if not raw:
                raise AssertionError(f"client exited: {stderr_path.read_text()[-3000:]}")
            return json.loads(raw)

        try:
            replies = [await ask(None)]
            for n in range(1, drops + 1):
                if n > 1:  # the host "was suspended": its wall clock moves on by `jump`
                    _set_fake_offset(stamp, jump * (n - 1))
                await asyncio.to_thread(proxy.close_all)
                replies.append(await ask(f"wait {n}"))
            analysis = await ask("analyze")
            proc.stdin.write(b"quit\n")
            await proc.stdin.drain()
            assert await asyncio.wait_for(proc.wait(), 15) == 0, stderr_path.read_text()[-3000:]
            return replies, analysis
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    replies, reply = run(scenario(), timeout=90)

    # What libfaketime did to the client process: the wall clock jumped, monotonic did not.
    offsets = [r["wall"] - r["mono"] for r in replies]
    for n, off in enumerate(offsets[1:], start=1):
        assert abs((off - offsets[0]) - jump * (n - 1)) < 1.0, offsets
    assert replies[-1]["mono"] - replies[0]["mono"] < 30, replies

    a, export = reply["analysis"], reply["export"]
    print(offsets, a)
    ev = a["evidence"]
    assert a["pattern"] == "during_system_events", a
    assert ev["drops_analyzed"] == drops
    assert (ev["clock_jumps"], ev["system_events"]) == (drops - 1, drops - 1), ev
    # drops 2-4 follow a jump at once; drop 1 may fall within the 5 s after-window of jump 1
    assert ev["drops_near_system_events"] >= drops - 1, ev
    # The intervals are monotonic (seconds apart), the record stamps are wall clock (jumps).
    assert all(0 < x < 15 for x in ev["intervals_seconds"]), ev
    stamps = [datetime.fromisoformat(d["timestamp"]) for d in export["recent_drops"]]
    steps = [(b - a_).total_seconds() for a_, b in zip(stamps, stamps[1:])]
    assert all(jump <= s < jump + 15 for s in steps), steps
    assert "Power save" in a["likely_cause"]
    assert "disable power save" in a["recommendation"] and "journalctl" in a["recommendation"]


def test_recorded_system_events_are_during_system_events(fault_proxy) -> None:
    """Without a clock jump: the application reports host events itself."""
    proxy = fault_proxy()
    drops = 4

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=_config(proxy.url))
        rec = EventRecorder(client)
        await client.connect()
        try:
            for n in range(1, drops + 1):
                await asyncio.sleep(0.4 * n)  # uneven, so no fixed period either
                if n > 1:
                    client.diagnostics.record_system_event("suspend", f"resume #{n - 1}")
                await _cut_and_recover(proxy, rec, n)
            return client.diagnostics.analyze()
        finally:
            await asyncio.wait_for(client.disconnect(), 10)

    a = run(scenario(), timeout=60)
    print(a)
    ev = a.evidence
    assert a.pattern == "during_system_events", a
    assert (ev["system_events"], ev["clock_jumps"]) == (drops - 1, 0), ev
    assert ev["drops_near_system_events"] >= drops - 1, ev
    assert "disable power save" in a.recommendation
