"""Reconnection against real brokers and a real TCP fault proxy (TARGET §4.1-4.4, §4.6).

* broker kill/restart cycles: every drop is reported and recovered, subscriptions come back,
  nothing published (live or queued) is lost or reordered, never two connections per id;
* drop detection and classification: RST, FIN and a half-open (blackholed) link;
* the reconnect schedule measured at the TCP level: backoff, cap, jitter, the one CONNECT
  per second floor, deep attempts and ``max_reconnect_attempts``.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from helpers import AcceptClock, DuckAuth, EventRecorder, fast_config, run
from nwp500 import NavienMqttClient
from nwp500.exceptions import ConnectionDropError

CYCLES = 20


async def _disconnect(client: NavienMqttClient) -> None:
    await asyncio.wait_for(client.disconnect(), 10)


def _dedup(seq: list[int]) -> list[int]:
    seen: set[int] = set()
    return [n for n in seq if not (n in seen or seen.add(n))]


# --------------------------------------------------------------------------- kill/restart


def test_broker_kill_restart_cycles_lose_nothing(broker, mqtt5) -> None:
    run(_kill_restart_cycles(broker, mqtt5), timeout=240)


async def _kill_restart_cycles(broker, mqtt5: bool) -> None:
    client = NavienMqttClient(DuckAuth(), config=fast_config(broker.url, mqtt5=mqtt5))
    cid = client.client_id
    rec = EventRecorder(client)
    topic = f"test/{cid}/seq"
    published: list[int] = []   # numbers in publish order
    queued: list[int] = []      # numbers whose publish() returned 0 (queued while offline)
    queued_now = asyncio.Event()
    stop = asyncio.Event()

    async def publisher() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            packet_id = await client.publish(topic, {"n": n}, qos=1)
            published.append(n)
            if packet_id == 0:
                queued.append(n)
                queued_now.set()
            await asyncio.sleep(0.01)  # pacing, not synchronisation

    def received() -> list[int]:
        return [r.args[1]["n"] for r in rec.of("message")]

    await client.connect()
    try:
        await client.subscribe(topic, rec.message_callback(), qos=1)
        assert broker.count_connections(cid) == 1
        task = asyncio.ensure_future(publisher())
        await rec.wait_until(lambda: len(received()) >= 5, what="first messages")

        for cycle in range(1, CYCLES + 1):
            assert not task.done(), task
            queued_now.clear()
            await asyncio.to_thread(broker.kill)
            await rec.wait_count("connection_interrupted", cycle, timeout=10)
            assert not client.is_connected
            # Let the publisher queue at least one message during the outage.
            await asyncio.wait_for(queued_now.wait(), 10)
            await asyncio.to_thread(broker.restart)
            await rec.wait_count("connection_resumed", cycle, timeout=15)
            assert client.is_connected
            # The subscription works again: a message published after the resume arrives.
            target = published[-1] + 1
            await rec.wait_until(lambda: any(n >= target for n in received()),
                                 what=f"cycle {cycle}: a message published after resume")
            # One authority: exactly one accepted CONNECT per broker lifetime, one live.
            assert broker.count_connections(cid) == 1, (cycle, broker.log_tail(30))
            assert broker.client_ids_connected().get(cid, 0) == 1, broker.client_ids_connected()
            assert set(client._subscription_manager.subscriptions) == {topic}

        stop.set()
        await asyncio.wait_for(task, 10)
        want = set(published)
        await rec.wait_until(lambda: want <= set(received()), timeout=15,
                             what="every published number received")
    finally:
        stop.set()
        await _disconnect(client)

    got = received()
    assert _dedup(got) == published == list(range(1, len(published) + 1))
    assert len(queued) >= CYCLES  # the offline queue really was exercised
    events = [r.event for r in rec.records if r.event != "message"]
    assert events == ["connection_interrupted", "connection_resumed"] * CYCLES
    for r in rec.of("connection_interrupted"):
        assert isinstance(r.args[0].error, ConnectionDropError)
        assert r.args[0].error.cause == "tcp_closed", r.args[0].error
    for r in rec.of("connection_resumed"):  # a restarted broker has no session to resume
        assert (r.args[0].return_code, r.args[0].session_present) == (0, False)
    assert rec.off_loop() == [], "events/messages delivered off the loop thread"


# --------------------------------------------------------------------------- drop detection

@pytest.mark.parametrize(
    "fault, name, code",
    [("reset_all", "AWS_IO_SOCKET_CLOSED", 1051),
     ("close_all", "AWS_ERROR_MQTT_UNEXPECTED_HANGUP", 5134)],
    ids=["rst", "fin"],
)
def test_peer_drop_noticed_within_a_second_and_classified(fault_proxy, fault, name, code, mqtt5) -> None:
    proxy = fault_proxy()
    run(_peer_drop(proxy, fault, name, code, mqtt5), timeout=60)


async def _peer_drop(proxy, fault: str, name: str, code: int, mqtt5: bool) -> None:
    # A long keep-alive so only the socket event can explain a quick detection.
    client = NavienMqttClient(DuckAuth(), config=fast_config(proxy.url, keep_alive_secs=30, mqtt5=mqtt5))
    rec = EventRecorder(client)
    await client.connect()
    try:
        t0 = time.monotonic()
        await asyncio.to_thread(getattr(proxy, fault))
        (r,) = await rec.wait_count("connection_interrupted", 1, timeout=5)
        assert r.at - t0 < 1.0, f"drop noticed after {r.at - t0:.3f}s"
        err = r.args[0].error
        assert (err.name, err.code, err.cause) == (name, code, "tcp_closed"), repr(err)
        assert str(err) == f"{name}: {err.message}"
        await rec.wait_count("connection_resumed", 1, timeout=10)
    finally:
        await _disconnect(client)


def test_half_open_link_detected_by_ping_deadline(fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()
    run(_half_open(proxy, mqtt5), timeout=60)


async def _half_open(proxy, mqtt5: bool) -> None:
    # Waiting for a second keep-alive would take 2 x keep_alive (10 s), far over the budget.
    keep_alive, ping_timeout = 5, 0.5
    client = NavienMqttClient(DuckAuth(), config=fast_config(
        proxy.url, keep_alive_secs=keep_alive, ping_timeout=ping_timeout, mqtt5=mqtt5))
    rec = EventRecorder(client)
    topic = f"test/{client.client_id}/after"
    await client.connect()
    try:
        await client.subscribe(topic, rec.message_callback(), qos=1)
        t0 = time.monotonic()
        await asyncio.to_thread(proxy.blackhole)
        (r,) = await rec.wait_count("connection_interrupted", 1, timeout=3 * keep_alive)
        assert ping_timeout - 0.05 <= r.at - t0 <= keep_alive + ping_timeout + 1.0, (
            f"detected after {r.at - t0:.2f}s")
        err = r.args[0].error
        assert (err.name, err.code, err.cause) == (
            "AWS_ERROR_MQTT_TIMEOUT", 5129, "keepalive_timeout"), repr(err)
        await asyncio.to_thread(proxy.resume)
        await rec.wait_count("connection_resumed", 1, timeout=15)
        await client.publish(topic, {"n": 1})
        await rec.wait_count("message", 1)
    finally:
        await _disconnect(client)


def test_failed_first_connect_is_classified(fault_proxy, mqtt5) -> None:
    """Refused TCP connect -> 1047; CONNACK "not authorised" -> 5130/not_authorized over MQTT
    3.1.1, 5150 with reason 0x87 over MQTT 5. A failed
    first connect() raises and does not start reconnecting."""
    from support import Mosquitto

    proxy = fault_proxy()
    proxy.refuse(True)
    with Mosquitto(allow_anonymous=False) as locked:

        async def scenario() -> list[ConnectionDropError]:
            errors = []
            for url in (proxy.url, locked.url):
                client = NavienMqttClient(DuckAuth(), config=fast_config(url, mqtt5=mqtt5))
                with pytest.raises(ConnectionDropError) as info:
                    await client.connect()
                assert not client.is_connected and not client.is_reconnecting
                errors.append(info.value)
                await _disconnect(client)
            return errors

        refused, not_authorised = run(scenario(), timeout=30)
    assert (refused.name, refused.code) == ("AWS_IO_SOCKET_CONNECTION_REFUSED", 1047), repr(refused)
    # MQTT 3.1.1 has a return code (5 = not authorised); MQTT 5 a reason code it names.
    expected = (("AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED", 5150, "not_authorized", 0x87) if mqtt5
                else ("AWS_ERROR_MQTT_PROTOCOL_ERROR", 5130, "not_authorized", None))
    assert (not_authorised.name, not_authorised.code, not_authorised.cause,
            not_authorised.reason_code) == expected, repr(not_authorised)


# --------------------------------------------------------------------------- schedule


async def _connect_then_kill_broker(broker, proxy, config, auth=None, up_for: float = 0.0):
    """Connects through ``proxy``, stays up ``up_for`` seconds, then stops the broker: from
    then on every attempt is a TCP accept at the proxy (timestamped) followed by a reset, as
    against a dead backend."""
    auth = auth or DuckAuth()
    client = NavienMqttClient(auth, config=config)
    rec = EventRecorder(client)
    clock = AcceptClock(proxy, notify=rec.record)
    auth.notify = rec.record
    await client.connect()
    if up_for:
        await asyncio.sleep(up_for)  # real time must pass (the 1 s CONNECT floor)
    await asyncio.to_thread(broker.stop)
    await rec.wait_count("connection_interrupted", 1, timeout=5)
    return client, rec, clock, auth


def _base(n: int, initial: float, mult: float, cap: float) -> float:
    return min(initial * mult ** (n - 1), cap)


def test_backoff_schedule_and_deep_attempts(broker, fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()
    initial, mult, cap, threshold, attempts = 0.4, 3.0, 2.0, 3, 6
    config = fast_config(proxy.url, initial_reconnect_delay=initial, max_reconnect_delay=cap,
                         reconnect_backoff_multiplier=mult, deep_reconnect_threshold=threshold,
                         mqtt5=mqtt5)

    async def scenario():
        # Up for > 1 s first, so attempt 1 shows its own delay rather than the CONNECT floor.
        client, rec, clock, auth = await _connect_then_kill_broker(
            broker, proxy, config, up_for=1.5)
        try:
            await rec.wait_count("accept", 1 + attempts, timeout=30)
        finally:
            await _disconnect(client)
            clock.stop()
        return rec, clock, auth

    rec, clock, auth = run(scenario(), timeout=60)
    t_connect, tries = clock.times[0], clock.times[1:attempts + 1]
    t_drop = rec.of("connection_interrupted")[0].at
    # Attempt 1 waits its own delay after the drop (the floor is long past).
    assert t_drop - t_connect > 1.4
    assert initial - 0.02 <= tries[0] - t_drop <= initial + 0.2, tries[0] - t_drop
    for n in range(2, attempts + 1):
        gap = tries[n - 1] - tries[n - 2]
        expected = max(_base(n, initial, mult, cap), 1.0)
        assert expected - 0.02 <= gap <= expected + 0.2, f"attempt {n}: {gap:.3f}s vs {expected}"

    # Deep attempts (multiples of the threshold) refresh the tokens, the others only check them.
    calls = auth.calls[:1 + attempts]
    assert [c.name for c in calls] == ["ensure_valid_token"] + [
        "refresh_token" if n % threshold == 0 else "ensure_valid_token"
        for n in range(1, attempts + 1)]
    assert [c.arg for c in calls if c.name == "refresh_token"] == ["refresh-0", "refresh-1"]
    # Each credential call precedes its attempt's CONNECT (and follows the previous one).
    for n, call in enumerate(calls[1:], start=1):
        assert clock.times[n - 1] < call.at <= clock.times[n] + 0.005, n


def test_at_most_one_connect_per_second(broker, fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()
    config = fast_config(proxy.url, initial_reconnect_delay=0.01, max_reconnect_delay=0.05, mqtt5=mqtt5)

    async def scenario():
        # Dropped right after connecting: the first retry must still wait for the floor.
        client, rec, clock, auth = await _connect_then_kill_broker(broker, proxy, config)
        try:
            await rec.wait_count("accept", 5, timeout=20)
        finally:
            await _disconnect(client)
            clock.stop()
        return clock

    clock = run(scenario(), timeout=60)
    gaps = clock.gaps()[:4]
    assert all(1.0 - 0.01 <= g <= 1.0 + 0.2 for g in gaps), gaps


def test_jitter_stays_within_bounds_and_cap(broker, fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()
    base, cap, attempts = 1.6, 2.0, 6
    config = fast_config(proxy.url, initial_reconnect_delay=base, max_reconnect_delay=cap,
                         reconnect_backoff_multiplier=1.0, reconnect_jitter=True,
                         deep_reconnect_threshold=100, mqtt5=mqtt5)

    async def scenario():
        client, rec, clock, auth = await _connect_then_kill_broker(broker, proxy, config)
        try:
            await rec.wait_count("accept", 1 + attempts, timeout=40)
        finally:
            await _disconnect(client)
            clock.stop()
        return clock

    clock = run(scenario(), timeout=60)
    gaps = clock.gaps()[1:attempts]  # between retries: CONNECT -> fail -> delay -> CONNECT
    low, high = max(0.5 * base, 1.0), min(1.5 * base, cap)
    assert all(low - 0.02 <= g <= high + 0.1 for g in gaps), (gaps, low, high)
    # Jittered: not every gap sits at the plain delay (chance of that with jitter: ~1e-5).
    assert any(abs(g - base) > 0.1 for g in gaps), gaps


def test_max_reconnect_attempts_gives_up_once(broker, fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()
    config = fast_config(proxy.url, max_reconnect_attempts=3, deep_reconnect_threshold=100, mqtt5=mqtt5,
                         keep_alive_secs=5)

    async def scenario():
        client, rec, clock, auth = await _connect_then_kill_broker(broker, proxy, config)
        try:
            (failed,) = await rec.wait_count("reconnection_failed", 1, timeout=20)
            assert failed.args == (3,)
            assert not client.is_reconnecting and not client.is_connected
            await rec.wait_count("accept", 1 + 3, timeout=5)  # the clock polls: let it catch up
            # Observe a quiet period several times longer than the attempt spacing.
            await asyncio.sleep(3.0)
            assert (len(clock.times), len(auth.calls)) == (1 + 3, 1 + 3)
            assert rec.count("reconnection_failed") == 1
            assert not client.is_reconnecting
        finally:
            await _disconnect(client)
            clock.stop()

    run(scenario(), timeout=60)


@pytest.mark.parametrize("stored", [True, False], ids=["reauth", "no-stored-credentials"])
def test_deep_attempt_falls_back_to_re_authenticate(fault_proxy, stored, mqtt5) -> None:
    proxy = fault_proxy()
    auth = DuckAuth(has_stored_credentials=stored, refresh_error=RuntimeError("refresh failed"))
    config = fast_config(proxy.url, deep_reconnect_threshold=2, mqtt5=mqtt5)

    async def scenario():
        client = NavienMqttClient(auth, config=config)
        rec = EventRecorder(client)
        auth.notify = rec.record
        await client.connect()
        try:
            await asyncio.to_thread(proxy.refuse, True)
            await asyncio.to_thread(proxy.reset_all)
            await rec.wait_count("connection_interrupted", 1, timeout=5)
            # attempt 1 quick, attempt 2 deep: refresh fails -> re-authenticate (if possible)
            await rec.wait_until(lambda: auth.names().count("ensure_valid_token") >= 3,
                                 timeout=15, what="attempt 3")
            await asyncio.to_thread(proxy.refuse, False)
            await rec.wait_count("connection_resumed", 1, timeout=15)
        finally:
            await _disconnect(client)

    run(scenario(), timeout=60)
    deep = ["refresh_token", "re_authenticate"] if stored else ["refresh_token"]
    assert auth.names()[:3 + len(deep)] == [
        "ensure_valid_token", "ensure_valid_token", *deep, "ensure_valid_token"]
    assert auth.calls[2].arg == "refresh-0"


# --------------------------------------------------------------------------- attempt counter


def test_attempt_counter_survives_a_short_lived_connection(fault_proxy, mqtt5) -> None:
    """A link that drops again soon after a reconnect keeps counting attempts (no reset
    before 30 s of stable connection), so limits and deep attempts still apply."""
    proxy = fault_proxy()
    auth = DuckAuth()
    config = fast_config(proxy.url, max_reconnect_attempts=3, deep_reconnect_threshold=3, mqtt5=mqtt5)

    async def scenario() -> None:
        client = NavienMqttClient(auth, config=config)
        rec = EventRecorder(client)
        auth.notify = rec.record
        await client.connect()
        try:
            await asyncio.to_thread(proxy.refuse, True)
            await asyncio.to_thread(proxy.reset_all)
            # The credential call of attempt 2 comes after attempt 1 was refused; its CONNECT
            # waits for the 1 s floor, by which time the proxy accepts again.
            await rec.wait_count("auth", 3, timeout=10)
            await asyncio.to_thread(proxy.refuse, False)
            await rec.wait_count("connection_resumed", 1, timeout=10)
            assert client.reconnect_attempts == 2
            calls_before = len(auth.calls)
            await asyncio.to_thread(proxy.refuse, True)
            await asyncio.to_thread(proxy.reset_all)
            (failed,) = await rec.wait_count("reconnection_failed", 1, timeout=10)
            assert failed.args == (3,)
            # Exactly one more attempt, and it was attempt 3: deep.
            assert [(c.name, c.arg) for c in auth.calls[calls_before:]] == [
                ("refresh_token", "refresh-0")]
        finally:
            await _disconnect(client)

    run(scenario(), timeout=60)


def test_attempt_counter_resets_after_thirty_stable_seconds(fault_proxy, mqtt5) -> None:
    proxy = fault_proxy()
    auth = DuckAuth()
    config = fast_config(proxy.url, deep_reconnect_threshold=2, mqtt5=mqtt5)

    async def scenario() -> None:
        client = NavienMqttClient(auth, config=config)
        rec = EventRecorder(client)
        auth.notify = rec.record
        await client.connect()
        try:
            await asyncio.to_thread(proxy.reset_all)
            await rec.wait_count("connection_resumed", 1, timeout=10)
            assert client.reconnect_attempts == 1
            await asyncio.sleep(31.0)  # real time: the link must stay up for 30 s
            assert client.reconnect_attempts == 0
            calls_before = len(auth.calls)
            await asyncio.to_thread(proxy.reset_all)
            await rec.wait_count("connection_resumed", 2, timeout=10)
            # Attempt 1 again (quick), not attempt 2 (which would be deep: refresh_token).
            assert [c.name for c in auth.calls[calls_before:]] == ["ensure_valid_token"]
            assert client.reconnect_attempts == 1
        finally:
            await _disconnect(client)

    run(scenario(), timeout=90)


def test_next_reconnect_in_counts_down_to_the_scheduled_attempt(broker, fault_proxy, mqtt5) -> None:
    """While an attempt waits out its backoff, next_reconnect_in says how long is left (what
    nwp500 monitor shows as a countdown); None while connected and while an attempt runs."""
    proxy = fault_proxy()
    config = fast_config(proxy.url, initial_reconnect_delay=3.0, max_reconnect_delay=3.0, mqtt5=mqtt5)

    async def scenario():
        client = NavienMqttClient(DuckAuth(), config=config)
        rec = EventRecorder(client)
        await client.connect()
        try:
            assert client.next_reconnect_in is None
            proxy.refuse(True)
            proxy.reset_all()
            await rec.wait_count("connection_interrupted", 1, 10)
            first = await _until_value(lambda: client.next_reconnect_in)
            assert 0.0 < first <= 3.0, first
            await asyncio.sleep(0.5)
            second = client.next_reconnect_in
            assert second is not None and second <= first - 0.4, (first, second)
            proxy.refuse(False)
            await rec.wait_count("connection_resumed", 1, 15)
            assert client.next_reconnect_in is None
        finally:
            await client.disconnect()

    run(scenario(), timeout=40)


async def _until_value(read, timeout: float = 5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := read()) is None:
        assert asyncio.get_running_loop().time() < deadline, "never became set"
        await asyncio.sleep(0.02)
    return value
