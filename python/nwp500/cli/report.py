"""The HTML drop report: one self-contained file that answers "why does it keep dropping?".

``load(path)`` reads any of the three exports people have: this library's
``export_json()``, nwp500-python's (the same layout, without causes: they are inferred from
the AWS CRT error names), and a Home Assistant diagnostics download of the ha_nwp500
integration (the export sits under ``data.mqtt_diagnostics``). ``render(history)`` writes one
HTML page with inline CSS and SVG only (no script, no fetch), so it opens anywhere and can be
attached to a bug report: a plain-language summary, a timeline of sessions and drops (each
drop an SVG element with ``data-cause`` and a tooltip), recovery times, drops by cause and by
error name, session lengths, system events, and the pattern analysis with its evidence.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._core import drop_cause_for_error_name

__all__ = ["ReportError", "DropHistory", "load", "parse", "render"]

# What each cause means to someone looking at their water heater's connection.
CAUSE_TEXT = {
    "tcp_closed": "closed by the server or the network",
    "keepalive_timeout": "silent link (no answer to a ping)",
    "not_authorized": "refused by the server",
    "credentials_expired": "credentials expired",
    "tls_failure": "TLS failure",
    "dns_failure": "name lookup failed",
    "network_unreachable": "network unreachable",
    "internal_error": "internal error",
    "kicked": "kicked by the server",
    "discarded": "session discarded",
    "takeovered": "taken over by another client with the same id",
    "throttled": "throttled by the server (busy, quota or rate)",
    "server_shutting_down": "server shutting down or moving",
    "packet_too_large": "a packet over the server's size limit",
    "normal": "normal close",
    "unknown": "unknown",
}
CAUSE_COLOUR = {
    "tcp_closed": "#d62728", "keepalive_timeout": "#ff7f0e", "not_authorized": "#9467bd",
    "credentials_expired": "#8c564b", "tls_failure": "#e377c2", "dns_failure": "#7f7f7f",
    "network_unreachable": "#bcbd22", "internal_error": "#17becf", "kicked": "#1f77b4",
    "discarded": "#aec7e8", "takeovered": "#2ca02c", "normal": "#98df8a", "unknown": "#555555",
    "throttled": "#ffbb78", "server_shutting_down": "#c5b0d5", "packet_too_large": "#c49c94",
}


class ReportError(ValueError):
    """The input is not an export this report can read (the message says why, in one line)."""


@dataclass
class Drop:
    at: float
    error_name: str
    error_code: int | None
    message: str
    cause: str
    cause_inferred: bool
    attempt: int
    connected_for: float | None


@dataclass
class Recovery:
    at: float
    kind: str
    seconds: float | None
    attempt: int


@dataclass
class DropHistory:
    source: str
    exported_at: float | None
    drops: list[Drop] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)
    system_events: list[tuple[float, str, str]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)


# The datetimes Python can show: 0001-01-01 .. 9999-12-31 (UTC), as POSIX timestamps.
_FIRST = datetime(1, 1, 1, tzinfo=timezone.utc).timestamp()
_LAST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc).timestamp()


def _time(value: Any) -> float | None:
    """A POSIX timestamp from a number or an ISO 8601 text; ``None`` for anything else,
    including moments outside the years 1..9999 (UTC), which no date can show."""
    at: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            at = float(value)
        except OverflowError:  # an integer too large for a float
            return None
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            at = moment.timestamp()
        except (ValueError, OverflowError, OSError):
            return None
    if at is None or not math.isfinite(at) or not _FIRST <= at <= _LAST:
        return None
    return at


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _num(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            return None
        return number if math.isfinite(number) else None
    return None


_JSON_TYPE = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
              float: "a number"}


def _wrong(field: str, expected: str, value: Any) -> ReportError:
    found = "null" if value is None else _JSON_TYPE.get(type(value), type(value).__name__)
    return ReportError(f"not a diagnostics export: {field} must be {expected}, not {found}")


def _field_list(container: dict[str, Any], key: str, field: str) -> list[Any]:
    """``container[key]`` when it is a list (missing or null: empty); else :class:`ReportError`
    naming ``field``."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(field, "an array", value)
    return value


def _field_object(container: dict[str, Any], key: str, field: str) -> dict[str, Any]:
    """``container[key]`` when it is an object (missing or null: empty); else
    :class:`ReportError` naming ``field``."""
    value = container.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(field, "an object", value)
    return value


def _find_export(document: Any) -> tuple[dict[str, Any], str]:
    """The export inside ``document`` and where it came from."""
    if not isinstance(document, dict):
        raise ReportError("not a diagnostics export: the file holds no JSON object")
    if "recent_drops" in document or "metrics" in document:
        source = "nwp500" if "drop_causes" in document else "nwp500-python"
        return document, source
    data = document.get("data")
    if isinstance(data, dict) and "mqtt_diagnostics" in data:
        inner = data["mqtt_diagnostics"]
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except ValueError:
                raise ReportError("the Home Assistant download's mqtt_diagnostics is not JSON") from None
        if not isinstance(inner, dict):
            raise ReportError("the Home Assistant download holds no MQTT diagnostics (is MQTT enabled?)")
        return inner, "Home Assistant diagnostics download"
    raise ReportError("not a diagnostics export: no recent_drops/metrics, and no data.mqtt_diagnostics "
                      "(expected export_json() output or a Home Assistant diagnostics download)")


def parse(document: Any) -> DropHistory:
    """A drop history from a decoded export (any of the three layouts)."""
    export, source = _find_export(document)
    history = DropHistory(source=source, exported_at=_time(export.get("timestamp")))
    for raw in _field_list(export, "recent_drops", "recent_drops"):
        if not isinstance(raw, dict) or (at := _time(raw.get("timestamp"))) is None:
            continue
        name = str(raw.get("error_name") or "unknown")
        cause = raw.get("cause")
        inferred = not isinstance(cause, str) or not cause
        if inferred:
            cause = drop_cause_for_error_name(name) or "unknown"
        history.drops.append(Drop(
            at=at, error_name=name, error_code=raw.get("error_code") if isinstance(raw.get("error_code"), int) else None,
            message=str(raw.get("error_message") or ""), cause=str(cause), cause_inferred=inferred,
            attempt=_int(raw.get("reconnect_attempt")), connected_for=_num(raw.get("duration_connected_seconds"))))
    for raw in _field_list(export, "recent_connections", "recent_connections"):
        if not isinstance(raw, dict) or (at := _time(raw.get("timestamp"))) is None:
            continue
        history.recoveries.append(Recovery(at=at, kind=str(raw.get("event_type") or "connected"),
                                           seconds=_num(raw.get("time_to_reconnect_seconds")),
                                           attempt=_int(raw.get("attempt_number"))))
    analysis = _field_object(export, "analysis", "analysis")
    events = _field_list(export, "system_events", "system_events")
    if not events:  # older exports list them in the analysis' evidence (this library's counts them there)
        listed = _field_object(analysis, "evidence", "analysis.evidence").get("system_events")
        events = listed if isinstance(listed, list) else []
    for raw in events:
        if isinstance(raw, dict) and (at := _time(raw.get("timestamp"))) is not None:
            history.system_events.append((at, str(raw.get("kind") or raw.get("event") or "event"),
                                          str(raw.get("detail") or raw.get("description") or "")))
    history.drops.sort(key=lambda d: d.at)
    history.recoveries.sort(key=lambda r: r.at)
    history.metrics = _field_object(export, "metrics", "metrics")
    history.analysis = analysis
    if not history.drops and not history.recoveries:
        raise ReportError("the export holds no connection history (no drops and no connections recorded)")
    return history


def load(path: str) -> DropHistory:
    """The drop history in the export at ``path`` (any of the three layouts: see :func:`parse`).

    Raises:
        ReportError: the file cannot be read, is not JSON, or is not an export this report can
            read (a field of the wrong type, no connection history); the message is one line.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ReportError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        document = json.loads(raw)
    except ValueError as e:
        raise ReportError(f"{path} is not JSON ({e})") from None
    return parse(document)


# ---------------------------------------------------------------- rendering


def _span(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, s = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours or days else []
    parts += [f"{minutes} min"]
    return " ".join(parts)


def _stamp(at: float) -> str:
    try:
        return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError, OSError):  # e.g. a session start computed before year 1
        return "(out of range)"


def _counts(values: list[str]) -> list[tuple[str, int]]:
    tally: dict[str, int] = {}
    for v in values:
        tally[v] = tally.get(v, 0) + 1
    return sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))


def summary(history: DropHistory) -> str:
    """The one paragraph a reader needs first."""
    drops = history.drops
    if not drops:
        return "No connection drops recorded in this export."
    start = min([drops[0].at] + [r.at for r in history.recoveries[:1]])
    end = history.exported_at or drops[-1].at
    causes = ", ".join(f"{n} {CAUSE_TEXT.get(c, c)}" for c, n in _counts([d.cause for d in drops]))
    text = f"{len(drops)} drop{'s' if len(drops) != 1 else ''} in {_span(end - start)}: {causes}"
    back = [r.seconds for r in history.recoveries if r.seconds is not None and r.kind != "connected"]
    if back:
        text += f"; back in {min(back):.1f}–{max(back):.1f} s"
    pattern = history.analysis.get("pattern")
    if pattern:
        text += f"; pattern: {str(pattern).replace('_', ' ')}"
        if history.analysis.get("recommendation"):
            text += f" → {str(history.analysis['recommendation']).rstrip('. ')}"
    return text + "."


def _bar_rows(rows: list[tuple[str, float]], unit: str, colour: str = "#4c78a8") -> str:
    if not rows:
        return "<p class='none'>none recorded</p>"
    top = max(v for _, v in rows) or 1.0
    out = ["<table class='bars'>"]
    for label, value in rows:
        width = max(1.0, 300 * value / top)
        out.append(f"<tr><td>{html.escape(label)}</td><td><svg width='304' height='14'><rect width='{width:.1f}' "
                   f"height='12' fill='{colour}'/></svg></td><td class='n'>{value:g}{unit}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _timeline(history: DropHistory) -> str:
    drops, recoveries = history.drops, history.recoveries
    points = [d.at for d in drops] + [r.at for r in recoveries] + [e[0] for e in history.system_events]
    points += [d.at - d.connected_for for d in drops if d.connected_for]
    if history.exported_at:
        points.append(history.exported_at)
    if not points:
        return "<p class='none'>nothing to draw</p>"
    t0, t1 = min(points), max(points)
    width, left, right = 1000.0, 10.0, 10.0
    scale = (width - left - right) / max(t1 - t0, 1e-9)

    def x(at: float) -> float:
        return left + (at - t0) * scale

    parts = [f"<svg class='timeline' viewBox='0 0 {width:.0f} 90' width='100%' height='90' role='img' "
             f"aria-label='sessions and drops over time'>",
             "<line x1='10' y1='45' x2='990' y2='45' stroke='#ccc'/>"]
    for d in drops:  # the session that ended with this drop
        if d.connected_for:
            x0 = x(d.at - d.connected_for)
            parts.append(f"<rect class='session' x='{x0:.1f}' y='38' width='{max(x(d.at) - x0, 0.5):.1f}' height='14'/>")
    if recoveries and history.exported_at and (not drops or recoveries[-1].at > drops[-1].at):
        x0 = x(recoveries[-1].at)
        parts.append(f"<rect class='session current' x='{x0:.1f}' y='38' width='{max(x(history.exported_at) - x0, 0.5):.1f}' "
                     f"height='14'/>")
    for at, kind, detail in history.system_events:
        parts.append(f"<path class='sysevent' d='M{x(at):.1f} 20 l-5 -9 h10 z'><title>{html.escape(_stamp(at))} "
                     f"{html.escape(kind)}: {html.escape(detail)}</title></path>")
    for d in drops:
        code = f" ({d.error_code})" if d.error_code is not None else ""
        # The message starts with the error name again; the tooltip says it once.
        reason = d.message.removeprefix(f"{d.error_name}: ")
        tip = (f"{_stamp(d.at)} — {d.cause}{' (inferred)' if d.cause_inferred else ''}: {d.error_name}{code}; "
               f"{reason}; attempt {d.attempt}")
        # Position only: size and colour come from the style sheet (a 10 000-drop history
        # stays a few MiB).
        parts.append(f"<circle class='drop' data-cause='{html.escape(d.cause, quote=True)}' cx='{x(d.at):.1f}'>"
                     f"<title>{html.escape(tip, quote=False)}</title></circle>")
    parts.append("</svg>")
    legend = "".join(f"<span class='key'><svg width='12' height='12'><circle cx='6' cy='6' r='5' "
                     f"fill='{CAUSE_COLOUR.get(c, CAUSE_COLOUR['unknown'])}'/></svg> {html.escape(c)} ({n})</span>"
                     for c, n in _counts([d.cause for d in drops]))
    return "".join(parts) + f"<p class='legend'>{legend}<span class='key'><svg width='24' height='12'><rect width='24' " \
        "height='12' class='session'/></svg> connected</span><span class='key'>▼ system event</span></p>" \
        f"<p class='axis'>{html.escape(_stamp(t0))} … {html.escape(_stamp(t1))}</p>"


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1060px;color:#222}
h1{font-size:20px} h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
.summary{font-size:16px;background:#f4f6fa;padding:12px 16px;border-radius:6px}
.session{fill:#9ecae1} .session.current{fill:#6baed6} .sysevent{fill:#636363}
circle.drop{cy:70px;r:5px;fill:#555}
.legend .key{margin-right:14px;white-space:nowrap} .axis{color:#777;font-size:12px}
table{border-collapse:collapse} td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums} .none{color:#777}
pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}
"""


def _cause_style(causes: set[str]) -> str:
    return "".join(f"circle.drop[data-cause='{c}']{{fill:{CAUSE_COLOUR[c]}}}" for c in sorted(causes) if c in CAUSE_COLOUR)


def render(history: DropHistory, title: str = "nwp500 connection report") -> str:
    """The report as one HTML document."""
    drops = history.drops
    recoveries = [(r.at, r.seconds) for r in history.recoveries if r.seconds is not None and r.kind != "connected"]
    sessions = [d.connected_for for d in drops if d.connected_for is not None]
    analysis = history.analysis
    inferred = any(d.cause_inferred for d in drops)
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='summary'>{html.escape(summary(history))}</p>",
        f"<p>Source: {html.escape(history.source)}"
        + (f", exported {html.escape(_stamp(history.exported_at))}" if history.exported_at else "")
        + (". Causes were inferred from the AWS CRT error names (the export has none)." if inferred else ".") + "</p>",
        "<h2>Timeline</h2>", _timeline(history),
        "<h2>Drops by cause</h2>",
        _bar_rows([(f"{c} — {CAUSE_TEXT.get(c, c)}", float(n)) for c, n in _counts([d.cause for d in drops])], ""),
        "<h2>Drops by error name</h2>",
        _bar_rows([(n, float(k)) for n, k in _counts([d.error_name for d in drops])], ""),
        "<h2>Time to reconnect</h2>",
        _bar_rows([(_stamp(at), round(s, 2)) for at, s in recoveries[-60:]], " s", "#59a14f"),
        "<h2>Session lengths before each drop</h2>",
        _bar_rows([(_stamp(d.at), round(d.connected_for, 1)) for d in drops[-60:] if d.connected_for is not None],
                  " s", "#9ecae1"),
    ]
    if sessions:
        body.append(f"<p>Shortest {_span(min(sessions))}, longest {_span(max(sessions))}, "
                    f"median {_span(sorted(sessions)[len(sessions) // 2])} over {len(sessions)} sessions.</p>")
    body.append("<h2>Pattern</h2>")
    if analysis:
        rows = [("pattern", analysis.get("pattern")), ("likely cause", analysis.get("likely_cause")),
                ("what to do", analysis.get("recommendation"))]
        body.append("<table>" + "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows if v)
                    + "</table>")
        if analysis.get("evidence"):
            body.append(f"<pre>{html.escape(json.dumps(analysis['evidence'], indent=1, sort_keys=True))}</pre>")
    else:
        body.append("<p class='none'>The export carries no pattern analysis.</p>")
    body.append("<h2>System events</h2>")
    if history.system_events:
        body.append("<table>" + "".join(f"<tr><td>{html.escape(_stamp(at))}</td><td>{html.escape(kind)}</td>"
                                        f"<td>{html.escape(detail)}</td></tr>" for at, kind, detail in history.system_events)
                    + "</table>")
    else:
        body.append("<p class='none'>none recorded</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}{_cause_style({d.cause for d in drops})}</style>"
            "</head><body>"
            + "".join(body) + "</body></html>")
