"""Connection diagnostics: ``MqttDiagnosticsCollector`` and its records (nwp500 9.3.0 API).

The collector itself is in the Rust core (bounded memory, strict JSON, pattern analysis);
this module gives it the documented Python face. Every ``NavienMqttClient`` feeds its own
collector (``client.diagnostics``) with each drop and its cause, each recovery, every attempt
and every publish. A collector you create yourself and wire to the client's events, as the
diagnostics guide shows, works too.

Differences from the reference, all deliberate:

* ``duration_connected_seconds`` of a drop recorded before any connection was recorded is
  measured from the collector's creation (the guide never records the first connect);
  after a drop with no recovery recorded since, it is measured from that drop.
* ``total_disconnects`` counts intentional disconnects; ``total_reconnect_attempts`` counts
  real attempts (the client reports them; a hand-wired collector sees none).
* ``error_name``/``error_code`` come from any error with ``.name``/``.code``.
* Memory is bounded by ``max_events_retained`` (session history too) and the JSON export
  never contains ``Infinity`` or ``NaN``. It adds ``drop_causes`` and ``analysis``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Callable, overload

from .._core import DiagnosticsCore, drop_cause_for_error_name
from ..config import mqtt_endpoint

__all__ = [
    "ConnectionDropEvent",
    "ConnectionEvent",
    "DropPatternAnalysis",
    "MqttDiagnosticsCollector",
    "MqttMetrics",
]

_logger = logging.getLogger("nwp500.mqtt.diagnostics")


@dataclass
class ConnectionDropEvent:
    """One connection drop."""

    timestamp: str
    error_name: str | None = None
    error_message: str | None = None
    error_code: int | None = None
    reconnect_attempt: int = 0
    duration_connected_seconds: float | None = None
    active_subscriptions: int = 0
    queued_commands: int = 0
    #: Our addition: the drop-cause taxonomy (``tcp_closed``, ``keepalive_timeout``, ...).
    cause: str | None = None
    #: Our addition, MQTT 5 only: the reason code the server gave (``0x8E`` session taken over).
    reason_code: int | None = None
    #: Our addition, MQTT 5 only: the server's reason string, if it sent one.
    reason_string: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ConnectionEvent:
    """One successful connection (``connected``, ``resumed``, ``deep_reconnected``, ...)."""

    timestamp: str
    event_type: str
    session_present: bool = False
    return_code: int | None = None
    attempt_number: int = 0
    time_to_reconnect_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class MqttMetrics:
    """Aggregate statistics. ``shortest_session_seconds`` is ``inf`` until a session ended
    (``to_dict()`` gives ``None`` for it then)."""

    total_connections: int = 0
    total_disconnects: int = 0
    total_connection_drops: int = 0
    total_reconnect_attempts: int = 0
    longest_session_seconds: float = 0.0
    shortest_session_seconds: float = float("inf")
    average_session_seconds: float = 0.0
    current_session_uptime_seconds: float = 0.0
    connection_drops_by_error: dict[str, int] = field(default_factory=dict)
    reconnection_attempts_distribution: dict[str, int] = field(default_factory=dict)
    last_drop_timestamp: str | None = None
    last_successful_connect_timestamp: str | None = None
    connection_recovered: int = 0
    messages_published: int = 0
    messages_queued: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, float) and not math.isfinite(value):
                data[key] = None
        return data


@dataclass(frozen=True)
class DropPatternAnalysis:
    """Which pattern of the guide's *Pattern Analysis Reference* the drops form.

    ``pattern`` is one of ``regular_intervals``, ``irregular``, ``after_many_messages``,
    ``during_system_events``, ``insufficient_data``; ``evidence`` holds the numbers behind it
    (intervals and their spread, messages before each drop, clock jumps, system events).
    """

    pattern: str
    likely_cause: str
    recommendation: str
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@overload
def _text(value: str) -> str: ...


@overload
def _text(value: str | None) -> str | None: ...


def _text(value: str | None) -> str | None:
    # Text from the OS can carry lone surrogates (undecodable bytes); keep the drop, mark them.
    if value is None:
        return None
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _error_fields(error: BaseException | None) -> tuple[str | None, str | None, int | None, str | None]:
    if error is None:
        return None, None, None, None
    name = getattr(error, "name", None)
    name = name if isinstance(name, str) and name else None
    code = getattr(error, "code", None)
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    cause = getattr(error, "cause", None)
    if not isinstance(cause, str) or not cause:
        cause = drop_cause_for_error_name(name) if name else None
    return _text(name), _text(str(error)), code, _text(cause)


class MqttDiagnosticsCollector:
    """Collects connection drops, recoveries, session durations and message counts.

    Args:
        max_events_retained: the most drops, connections and session durations kept.
        enable_verbose_logging: log every recorded drop (WARNING) and success (INFO).
    """

    def __init__(
        self,
        max_events_retained: int = 1000,
        enable_verbose_logging: bool = False,
        *,
        _core: DiagnosticsCore | None = None,
        _endpoint: str | None = None,
    ) -> None:
        self._core = _core if _core is not None else DiagnosticsCore(max_events_retained)
        self._endpoint = _endpoint
        self.enable_verbose_logging = enable_verbose_logging
        self._on_drop_listeners: list[Callable[[ConnectionDropEvent], Any]] = []

    @property
    def max_events_retained(self) -> int:
        return self._core.max_events_retained

    def on_connection_drop(self, callback: Callable[[ConnectionDropEvent], Any]) -> None:
        """Call ``callback(event)`` for every drop recorded (a coroutine result is scheduled)."""
        self._on_drop_listeners.append(callback)

    async def record_connection_drop(
        self,
        error: BaseException | None = None,
        reconnect_attempt: int = 0,
        active_subscriptions: int = 0,
        queued_commands: int = 0,
    ) -> None:
        """Record a drop; ``error`` is typically ``event.error`` of ``connection_interrupted``."""
        name, message, code, cause = _error_fields(error)
        reason_code = getattr(error, "reason_code", None)
        if not (isinstance(reason_code, int) and not isinstance(reason_code, bool) and 0 <= reason_code <= 255):
            reason_code = None  # MQTT 5 reason codes are one byte; anything else is not one
        reason_string = getattr(error, "reason_string", None)
        reason_string = _text(reason_string) if isinstance(reason_string, str) else None
        wanted = self.enable_verbose_logging or bool(self._on_drop_listeners)
        record = self._core.record_drop(
            name, message, code, cause, reconnect_attempt, active_subscriptions, queued_commands, wanted,
            reason_code, reason_string,
        )
        if record is None:
            return
        event = ConnectionDropEvent(**record)
        if self.enable_verbose_logging:
            _logger.warning(
                "Connection drop recorded: error=%s, duration=%ss, attempt=%d, subs=%d, queued=%d",
                event.error_name, _fmt(event.duration_connected_seconds), event.reconnect_attempt,
                event.active_subscriptions, event.queued_commands,
            )
        self._notify_drop(event)

    def _notify_drop(self, event: ConnectionDropEvent) -> None:
        for listener in list(self._on_drop_listeners):
            try:
                result = listener(event)
                if inspect.isawaitable(result):
                    asyncio.ensure_future(result)
            except Exception as exc:  # noqa: BLE001 - one listener must not stop the others
                _logger.error("Error in drop listener: %s", exc)

    async def record_connection_success(
        self,
        event_type: str = "connected",
        session_present: bool = False,
        return_code: int | None = None,
        attempt_number: int = 0,
    ) -> None:
        """Record a successful connection; any ``event_type`` string is accepted."""
        record = self._core.record_connection(
            _text(str(event_type)),
            bool(session_present),
            None if return_code is None else int(return_code),
            attempt_number,
            self.enable_verbose_logging,
        )
        if record is not None:
            _logger.info(
                "Connection success recorded: type=%s, session_present=%s, time_to_reconnect=%s, attempt=%d",
                record["event_type"], record["session_present"],
                _fmt(record["time_to_reconnect_seconds"]), record["attempt_number"],
            )

    def record_publish(self, queued: bool = False) -> None:
        """Count one publish (``queued=True`` when it went to the offline queue)."""
        self._core.record_publish(bool(queued))

    def record_system_event(self, kind: str, detail: str = "") -> None:
        """Note a host event (suspend, Wi-Fi change, cron job, DHCP renewal, ...) so
        :meth:`analyze` can relate drops to it. Wall-clock jumps are noted automatically."""
        self._core.record_system_event(_text(str(kind)), _text(str(detail)))

    def get_system_events(self, limit: int = 10) -> list[dict[str, str]]:
        """The newest ``limit`` system events (``0``: all retained), oldest first, each a dict
        with ``timestamp`` (ISO 8601, UTC), ``kind`` and ``detail``: those recorded with
        :meth:`record_system_event`, the clock jumps noticed, and the host monitor's."""
        return self._core.recent_system_events(max(0, int(limit)))

    def start_host_monitor(self, interval: float = 60.0, endpoint: str | None = None, *, journal: bool = True) -> None:
        """Watch the host and the path to the endpoint, recording what changes as system
        events, so :meth:`analyze` can tell host-side causes of drops from server-side ones.

        Opt-in; off until called. Kinds recorded: ``dns`` (resolution failures, recoveries,
        address changes), ``tcp_probe`` (a TCP connect to the endpoint failing or working again),
        ``link``, ``address``, ``route`` (default route), ``wifi`` (association, large signal
        changes), ``suspend``, ``journal`` (Wi-Fi, DHCP, suspend and cron lines of the systemd
        journal, when readable), and ``tcp_stats`` after each drop (retransmit and reset
        counters over the minute before it). Local signals are read every second, the path
        every ``interval`` seconds and right after a local change or a drop. Where a signal is
        unavailable (not Linux, a container, no permission) one log line says so.

        ``endpoint`` defaults to the client's (for ``client.diagnostics``) or the Navien
        AWS IoT endpoint. ``journal=False`` leaves the system log unread. Calling it again
        restarts the monitor with the new settings; ``client.disconnect()`` stops it.

        Raises:
            ValueError: ``interval`` is outside 0.5 s .. 1 day, or ``endpoint`` is invalid.
        """
        target = endpoint or self._endpoint or mqtt_endpoint()
        unavailable = self._core.start_host_monitor(float(interval), target, bool(journal))
        if unavailable:
            _logger.info("Host monitor: some signals are not available here, going on without them: %s",
                         "; ".join(unavailable))

    def stop_host_monitor(self) -> None:
        """Stop the host monitor (no-op when none runs). The events it recorded stay."""
        self._core.stop_host_monitor()

    @property
    def host_monitor_running(self) -> bool:
        """Whether a host monitor is recording into this collector."""
        return self._core.host_monitor_running

    async def update_metrics(self) -> None:
        """Refresh the current session uptime (``get_metrics()`` does it too)."""
        self._core.metrics()

    def get_metrics(self) -> MqttMetrics:
        """A snapshot of the metrics (a copy: changing it does not change the collector)."""
        return MqttMetrics(**self._core.metrics())

    def get_recent_drops(self, limit: int = 10) -> list[ConnectionDropEvent]:
        """The last ``limit`` drops (``0``: all retained)."""
        return [ConnectionDropEvent(**d) for d in _tail(self._core, "recent_drops", limit)]

    def get_recent_connections(self, limit: int = 10) -> list[ConnectionEvent]:
        """The last ``limit`` connection events (``0``: all retained)."""
        return [ConnectionEvent(**c) for c in _tail(self._core, "recent_connections", limit)]

    def analyze(self) -> DropPatternAnalysis:
        """Classify the drop history (needs at least 3 drops)."""
        return DropPatternAnalysis(**self._core.analyze())

    def export_json(self) -> str:
        """Everything as a JSON document (strict JSON: no ``Infinity``/``NaN``)."""
        return self._core.export_json()

    def print_summary(self) -> None:
        """Log a human-readable summary through ``nwp500.mqtt.diagnostics`` at INFO."""
        for line in self._core.summary_lines():
            _logger.info("%s", line)


def _tail(core: DiagnosticsCore, what: str, limit: int) -> list[dict[str, Any]]:
    limit = int(limit)
    if limit > 0:
        return getattr(core, what)(limit)
    # 0 means all, and a negative limit drops leading entries, as list slicing does.
    return getattr(core, what)(0)[-limit:] if limit < 0 else getattr(core, what)(0)


def _fmt(value: float | None) -> str:
    return "None" if value is None else f"{value:.1f}"
