"""Property tests of ``MqttDiagnosticsCollector`` (TARGET §4.7, reference §7.2-7.3).

Hypothesis drives random sequences of the collector's operations -- drops with no error, a
plain exception or a ``ConnectionDropError``; successes of any event type (``"initial"`` and
free text included); publishes, online and queued; system events; metric refreshes -- on a
collector with a small random ``max_events_retained``, and checks after *every* step:

* the counters add up: ``total_connection_drops`` is the number of drops recorded,
  ``total_connections`` the ``"connected"`` successes, ``connection_recovered`` all the others;
  published/queued counts; per-error counts equal the drops that carried an error name;
* session timing is ordered (shortest <= average <= longest) once a session exists, and
  ``shortest`` is ``inf`` (``None`` when exported) before;
* the attempt distribution covers exactly the *retained* drops, with the reference's buckets;
* memory is bounded: retained drops/connections and session samples never exceed
  ``max_events_retained`` (samples also never exceed 20), and they are the newest records;
* the JSON export is strict JSON (no ``Infinity``/``NaN``) with the documented keys.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nwp500 import MqttDiagnosticsCollector
from nwp500.exceptions import ConnectionDropError

BUCKETS = {"1", "2-5", "6-10", "11+"}
EXPORT_KEYS = ["timestamp", "metrics", "recent_drops", "recent_connections", "aws_error_counts",
               "session_history_summary", "drop_causes", "system_events", "analysis"]
EPS = 1e-9  # the average is a float division: allow for its last-bit rounding only

# -------------------------------------------------------------------------- strategies

_names = st.sampled_from([
    "AWS_ERROR_MQTT_UNEXPECTED_HANGUP", "AWS_IO_SOCKET_CLOSED", "AWS_ERROR_MQTT_TIMEOUT",
    "AWS_ERROR_MQTT_PROTOCOL_ERROR", "AWS_IO_SOCKET_CONNECTION_REFUSED", "SOMETHING_ELSE", ""])
_causes = st.sampled_from(["tcp_closed", "keepalive_timeout", "not_authorized", "normal",
                           "network_unreachable", ""])
_text = st.text(max_size=30)

_errors = st.one_of(
    st.none(),
    st.builds(Exception, _text),
    st.builds(ValueError, _text),
    st.builds(ConnectionDropError, _names, st.integers(0, 10_000), _text, _causes),
)
_drop = st.tuples(st.just("drop"), _errors, st.integers(-3, 30), st.integers(0, 500),
                  st.integers(0, 500))
_success = st.tuples(
    st.just("success"),
    st.one_of(st.sampled_from(["connected", "resumed", "deep_reconnected", "initial"]), _text),
    st.booleans(), st.one_of(st.none(), st.integers(0, 255)), st.integers(0, 30))
_publish = st.tuples(st.just("publish"), st.booleans())
_system = st.tuples(st.just("system"), _text, _text)
_refresh = st.tuples(st.just("refresh"))
_ops = st.lists(st.one_of(_drop, _success, _publish, _system, _refresh), max_size=40)


# -------------------------------------------------------------------------- model


def _expected_error_fields(error: BaseException | None) -> tuple[Any, Any, Any]:
    """(error_name, error_message, error_code) as the collector must record them."""
    if error is None:
        return None, None, None
    name = getattr(error, "name", None)
    code = getattr(error, "code", None)
    return (name if isinstance(name, str) and name else None, str(error),
            code if isinstance(code, int) and not isinstance(code, bool) else None)


def _bucket(n: int) -> str:
    return "1" if n <= 1 else "2-5" if n <= 5 else "6-10" if n <= 10 else "11+"


@dataclass
class Model:
    drops: list[tuple] = field(default_factory=list)        # (name, message, code, attempt, subs, queued, cause)
    successes: list[tuple] = field(default_factory=list)    # (event_type, session_present, return_code, attempt)
    published: int = 0
    queued: int = 0
    by_name: dict[str, int] = field(default_factory=dict)
    drop_pending: bool = False   # a drop was recorded since the last success


# -------------------------------------------------------------------------- checks


def _strict_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON constant {token!r} in the export")


def _check(c: MqttDiagnosticsCollector, model: Model, cap: int) -> None:
    m = c.get_metrics()

    # Counters add up.
    assert m.total_connection_drops == len(model.drops)
    n_connected = sum(1 for s in model.successes if s[0] == "connected")
    assert m.total_connections == n_connected
    assert m.connection_recovered == len(model.successes) - n_connected
    assert m.total_connections + m.connection_recovered == len(model.successes)
    assert (m.messages_published, m.messages_queued) == (model.published, model.queued)
    assert m.connection_drops_by_error == model.by_name

    # Retention: the newest records, never more than max_events_retained.
    drops = c.get_recent_drops(0)
    conns = c.get_recent_connections(0)
    assert len(drops) == min(len(model.drops), cap) <= cap
    assert len(conns) == min(len(model.successes), cap) <= cap
    kept = model.drops[len(model.drops) - len(drops):]
    assert [(d.error_name, d.error_message, d.error_code, d.reconnect_attempt,
             d.active_subscriptions, d.queued_commands) for d in drops] == [k[:6] for k in kept]
    for d, k in zip(drops, kept):
        if k[6]:  # a ConnectionDropError's own cause is recorded as given
            assert d.cause == k[6], (d, k)
        assert d.duration_connected_seconds is not None and d.duration_connected_seconds >= 0
    kept_s = model.successes[len(model.successes) - len(conns):]
    assert [(e.event_type, e.session_present, e.return_code, e.attempt_number)
            for e in conns] == kept_s
    for e in conns:
        assert e.time_to_reconnect_seconds is None or e.time_to_reconnect_seconds >= 0
    for limit in (1, 2, cap + 5):
        assert c.get_recent_drops(limit) == drops[-limit:]
        assert c.get_recent_connections(limit) == conns[-limit:]

    # The attempt distribution describes the retained drops, in the reference's buckets.
    dist = m.reconnection_attempts_distribution
    assert set(dist) <= BUCKETS, dist
    assert all(v > 0 for v in dist.values()), dist
    assert sum(dist.values()) == len(drops)
    expected: dict[str, int] = {}
    for d in drops:
        expected[_bucket(d.reconnect_attempt)] = expected.get(_bucket(d.reconnect_attempt), 0) + 1
    assert dist == expected

    # Strict JSON with the documented layout.
    data = json.loads(c.export_json(), parse_constant=_strict_constant)
    assert list(data) == EXPORT_KEYS
    summary = data["session_history_summary"]
    samples = summary["sample_durations"]
    assert len(samples) <= 20 and len(samples) <= cap
    assert len(samples) == min(summary["total_sessions"], cap, 20)
    assert all(isinstance(x, (int, float)) and x >= 0 for x in samples), samples
    assert len(data["recent_drops"]) == min(len(drops), 50)
    assert len(data["recent_connections"]) == min(len(conns), 50)
    assert data["aws_error_counts"] == model.by_name
    assert data["metrics"]["total_connection_drops"] == len(model.drops)
    assert set(data["metrics"]["reconnection_attempts_distribution"]) <= BUCKETS

    # Session timing.
    if summary["total_sessions"] > 0:
        assert 0 <= m.shortest_session_seconds <= m.average_session_seconds + EPS, m
        assert m.average_session_seconds <= m.longest_session_seconds + EPS, m
        assert math.isfinite(m.shortest_session_seconds)
        assert data["metrics"]["shortest_session_seconds"] == m.shortest_session_seconds
    else:
        assert m.shortest_session_seconds == math.inf
        assert data["metrics"]["shortest_session_seconds"] is None
        assert m.to_dict()["shortest_session_seconds"] is None
    assert m.current_session_uptime_seconds >= 0


# -------------------------------------------------------------------------- the property


async def _apply(c: MqttDiagnosticsCollector, model: Model, op: tuple) -> None:
    kind = op[0]
    if kind == "drop":
        _, error, attempt, subs, queued = op
        await c.record_connection_drop(error=error, reconnect_attempt=attempt,
                                       active_subscriptions=subs, queued_commands=queued)
        name, message, code = _expected_error_fields(error)
        cause = error.cause if isinstance(error, ConnectionDropError) else None
        model.drops.append((name, message, code, attempt, subs, queued, cause))
        if name:
            model.by_name[name] = model.by_name.get(name, 0) + 1
        model.drop_pending = True
    elif kind == "success":
        _, event_type, session_present, return_code, attempt = op
        await c.record_connection_success(event_type=event_type, session_present=session_present,
                                          return_code=return_code, attempt_number=attempt)
        model.successes.append((event_type, session_present, return_code, attempt))
        last = c.get_recent_connections(1)[0]
        if event_type != "connected" and model.drop_pending:
            # A recovery right after a drop measures how long it took (reference and ours).
            assert last.time_to_reconnect_seconds is not None, last
        if event_type != "connected":
            model.drop_pending = False
    elif kind == "publish":
        c.record_publish(queued=op[1])
        if op[1]:
            model.queued += 1
        else:
            model.published += 1
    elif kind == "system":
        c.record_system_event(op[1], op[2])
    else:
        await c.update_metrics()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cap=st.integers(1, 8), ops=_ops)
def test_collector_invariants_hold_after_every_operation(cap: int, ops: list[tuple]) -> None:
    async def scenario() -> None:
        c = MqttDiagnosticsCollector(max_events_retained=cap)
        assert c.max_events_retained == cap
        model = Model()
        _check(c, model, cap)
        for op in ops:
            await _apply(c, model, op)
            _check(c, model, cap)
        # Analysis is always well-formed too, whatever the history.
        a = c.analyze()
        assert a.pattern in {"regular_intervals", "irregular", "after_many_messages",
                             "during_system_events", "insufficient_data"}
        assert a.recommendation and a.likely_cause
        if len(c.get_recent_drops(0)) < 3:
            assert a.pattern == "insufficient_data"
        json.dumps(a.to_dict(), allow_nan=False)

    asyncio.run(scenario())


def test_metrics_snapshot_is_a_copy() -> None:
    """``get_metrics()`` hands out a snapshot (reference Q-D8 returned the live object)."""

    async def scenario() -> None:
        c = MqttDiagnosticsCollector(max_events_retained=3)
        await c.record_connection_drop(ConnectionDropError("AWS_IO_SOCKET_CLOSED", 1051, "x", "tcp_closed"))
        m = c.get_metrics()
        m.total_connection_drops = 99
        m.connection_drops_by_error["FAKE"] = 7
        m2 = c.get_metrics()
        assert m2.total_connection_drops == 1
        assert m2.connection_drops_by_error == {"AWS_IO_SOCKET_CLOSED": 1}

    asyncio.run(scenario())


def test_drop_with_undecodable_error_text_is_recorded() -> None:
    """Python decodes OS bytes (file names, some strerror texts) with ``surrogateescape``, so
    an ordinary ``OSError`` can carry lone surrogates in ``str(error)``. Recording it must not
    lose the drop, and the export must stay strict JSON (the reference stores it as is)."""
    import os

    path = os.fsdecode(b"/var/run/\xffsock")  # a name that is not valid UTF-8
    error = OSError(f"[Errno 2] No such file or directory: {path}")
    assert "\udcff" in str(error)

    async def scenario() -> MqttDiagnosticsCollector:
        c = MqttDiagnosticsCollector(max_events_retained=5)
        await c.record_connection_drop(error=error)
        return c

    c = asyncio.run(scenario())
    assert c.get_metrics().total_connection_drops == 1
    (drop,) = c.get_recent_drops(0)
    assert drop.error_message and drop.error_message.startswith("[Errno 2] No such file")
    json.loads(c.export_json(), parse_constant=_strict_constant)
