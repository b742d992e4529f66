"""The monitor's live view (rich): one panel, redrawn four times a second on the event loop
thread, with the log lines scrolling above it.

It shows the connection (connected for how long, or reconnecting: which attempt, the countdown
to it while it waits out its backoff, down for how long), the monitor's uptime, the drops so far by cause, the last drop's cause and error, the
recoveries and how long the last one took, messages in and out, the current drop pattern with
its recommendation, the exports and the report's path, and each device's live status.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from datetime import datetime
from typing import Any, Iterator

from .monitor import MonitorState

try:  # the ``cli`` extra; without it the monitor prints plain lines (this module loads anyway)
    import rich
    from rich.console import Console
    from rich.live import Live
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text
except ImportError:  # pragma: no cover - exercised without the extra
    rich = None  # type: ignore[assignment]

__all__ = ["LiveView", "render"]

REFRESH = 0.25


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}" if m else f"{s} s"


def _name(value: Any) -> str:
    return str(getattr(value, "name", value)).replace("_", " ").lower()


def _ago(timestamp: str | None) -> float | None:
    """Seconds since an ISO 8601 ``timestamp`` of the collector (``None`` if there is none)."""
    if not timestamp:
        return None
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    now = datetime.now(moment.tzinfo) if moment.tzinfo else datetime.now()
    return max(0.0, (now - moment).total_seconds())


def _clock(timestamp: str) -> str:
    """``HH:MM:SS`` in local time of an ISO 8601 ``timestamp``."""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    return (moment.astimezone() if moment.tzinfo else moment).strftime("%H:%M:%S")


def _connection(state: MonitorState, metrics: Any) -> tuple[str, str]:
    client = state.client
    if client is None:
        return f"… {state.phase}", "yellow"
    if client.is_connected:
        return (f"● connected for {_span(metrics.current_session_uptime_seconds)}  (client id {client.client_id})",
                "green")
    if state.phase in ("stopping", "done"):
        return "○ disconnected (monitor stopping)", "yellow"
    if state.phase != "monitoring":
        return f"… {state.phase}", "yellow"
    down_for = _ago(metrics.last_drop_timestamp)
    down = f", down for {_span(down_for)}" if down_for is not None else ""
    attempt = client.reconnect_attempts
    due = client.next_reconnect_in
    when = f" in {due:.1f} s" if due is not None else " under way"
    return f"○ reconnecting: attempt {attempt or 1}{when}{down}", "red"


# Drops by cause, recounted only when the client's drop total changes: (client, total, counts).
_causes_seen: list[Any] = [None, -1, []]


def _drops_by_cause(client: Any, total: int) -> list[tuple[str, int]]:
    if _causes_seen[0] is not client or _causes_seen[1] != total:
        causes = json.loads(client.diagnostics.export_json()).get("drop_causes") or {}
        counts = sorted(((str(c), int(n)) for c, n in causes.items() if n), key=lambda cn: (-cn[1], cn[0]))
        _causes_seen[:] = [client, total, counts]
    return list(_causes_seen[2])


def _device_line(view: Any, now: float) -> str:
    s = view.status
    if s is None:
        return "waiting for the first status…"
    unit = s.get_field_unit("dhw_temperature")
    age = f"{_span(now - view.updated)} ago" if view.updated is not None else "?"
    return (f"tank {s.dhw_temperature:.1f}{unit} → target {s.dhw_target_temperature_setting:.1f}{unit} · "
            f"charge {s.dhw_charge_per:.0f} % · {_name(s.dhw_operation_setting)} · {_name(s.operation_mode)} · "
            f"{s.current_inst_power:g} W · updated {age}")


def render(state: MonitorState, now: float | None = None) -> Any:
    """The panel for ``state`` at ``now`` (``time.monotonic()``): the connection as the client
    and its collector know it, the rest from ``state``."""
    now = time.monotonic() if now is None else now
    client = state.client
    metrics = client.diagnostics.get_metrics() if client is not None else None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    text, colour = _connection(state, metrics)
    grid.add_row("Connection", Text(text, style=colour))
    total = metrics.total_connection_drops if metrics is not None else 0
    by_cause = ", ".join(f"{cause} {n}" for cause, n in _drops_by_cause(client, total)) if total else ""
    grid.add_row("Drops", f"{total}" + (f"  ({by_cause})" if by_cause else ""))
    last_drop = client.diagnostics.get_recent_drops(1) if total else []
    if last_drop:
        d = last_drop[0]
        error = d.error_message or d.error_name or "unknown"
        if d.error_name and not error.startswith(d.error_name):
            error = f"{d.error_name}: {error}"
        grid.add_row("Last drop", Text(f"{_clock(d.timestamp)}  {d.cause or 'unknown'}  {error}", style="red"))
    recovered = f"{metrics.connection_recovered if metrics is not None else 0}"
    if metrics is not None and metrics.connection_recovered:
        last = [c for c in client.diagnostics.get_recent_connections(1) if c.time_to_reconnect_seconds is not None]
        if last:
            recovered += f", last after {last[0].time_to_reconnect_seconds:.1f} s"
    grid.add_row("Recoveries", recovered)
    out = metrics.messages_published if metrics is not None else 0
    queued = client.queued_commands_count if client is not None else 0
    grid.add_row("Messages", f"in {state.messages_in} · out {out} · queued {queued}")
    pattern = state.pattern + (f" → {state.recommendation}" if state.recommendation else "")
    grid.add_row("Pattern", pattern)
    if state.faults:
        grid.add_row("Faults", f"{len(state.faults)} injected, last: {state.faults[-1]}")
    exports = f"{state.exports}" + (f", last at {state.last_export}" if state.last_export else "")
    grid.add_row("Exports", exports + (f" · report: {state.report_path}" if state.report_path else ""))
    for view in state.devices.values():
        grid.add_row(view.label, _device_line(view, now))
    title = f"nwp500 monitor · {state.where or 'starting'} · uptime {_span(now - state.started)}"
    return Panel(grid, title=title, title_align="left", border_style=colour)


class _ConsoleHandler(logging.Handler):
    """Log lines printed above the live panel: the monitor's own, and warnings from the rest
    (status lines and the library's routine messages stay in the panel and the log file)."""

    def __init__(self, console: Any) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "nwp500.monitor.status":
            return
        if record.levelno < logging.WARNING and not record.name.startswith("nwp500.monitor"):
            return
        try:
            self.console.print(Text(self.format(record)), soft_wrap=True)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


class LiveView:
    """The live view on a terminal; :meth:`for_terminal` returns ``None`` when stdout is not
    one (or rich is missing, or ``NWP500_NO_RICH=1``): the monitor then prints plain lines."""

    def __init__(self) -> None:
        self.console = Console()
        self._live: Any = None
        self._state: MonitorState | None = None

    @classmethod
    def for_terminal(cls) -> LiveView | None:
        """A view if stdout is a terminal and rich is installed, else ``None``."""
        if rich is None or os.environ.get("NWP500_NO_RICH", "0") == "1" or not sys.stdout.isatty():
            return None
        return cls()

    def log_handler(self) -> logging.Handler:
        """The handler that prints log lines above the panel."""
        return _ConsoleHandler(self.console)

    @contextlib.contextmanager
    def running(self, state: MonitorState) -> Iterator[None]:
        """Show the panel while the block runs; leave its last frame on screen."""
        self._state = state
        with Live(render(state), console=self.console, auto_refresh=False, transient=False) as live:
            self._live = live
            try:
                yield
            finally:
                live.update(render(state), refresh=True)
                self._live = None

    async def ticker(self, state: MonitorState, stop: asyncio.Event) -> None:
        """Redraw every :data:`REFRESH` seconds until ``stop`` (runs on the loop thread, where
        the state changes, so the panel never sees half an update)."""
        while not stop.is_set():
            if self._live is not None:
                self._live.update(render(state), refresh=True)
            try:
                await asyncio.wait_for(stop.wait(), REFRESH)
            except asyncio.TimeoutError:
                pass
