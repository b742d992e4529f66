"""Figures and their rendering: bench/results/latest.md (the table printed at the end) and
latest.json (every repetition's raw value)."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

CONTENDERS = ["nwp500", "nwp500 (wss)", "nwp500-python 6.1.1", "paho-mqtt", "aiomqtt",
              "mosquitto C"]
BASE = "nwp500"
REF = "nwp500-python 6.1.1"
WSS = "nwp500 (wss)"
TIE = 0.05  # medians within 5 % count as level


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    cap: float | None = None  # a value of inf means "did not happen within cap"
    resolution: float = 0.0  # medians closer than this are level whatever their ratio
    values: dict[str, list[float]] = field(default_factory=dict)
    na: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, contender: str, value: float) -> None:
        self.values.setdefault(contender, []).append(value)

    def note(self, contender: str, text: str) -> None:
        if text not in self.notes.setdefault(contender, []):
            self.notes[contender].append(text)

    def median(self, contender: str) -> float | None:
        vals = self.values.get(contender)
        return statistics.median(vals) if vals else None


def figures(cap_detect: float, cap_recover: float, cap_restart: float,
            idle_s: int, keep_alive: int, lat_rate: int = 1000) -> dict[str, Figure]:
    fs = [
        Figure("pub_seq", "1 QoS 1 publish, one awaited at a time", "msg/s", True),
        Figure("pub_inflight", "1 QoS 1 publish, 1000 in flight (gather)", "msg/s", True),
        Figure("in_q0", "2 inbound to a callback on the loop thread, QoS 0", "msg/s", True),
        Figure("in_q1", "2 inbound to a callback on the loop thread, QoS 1", "msg/s", True),
        Figure("ho_detect", f"3 half-open link noticed (keep-alive {keep_alive} s)", "s",
               False, cap_detect),
        Figure("ho_recover", "3 half-open: link back -> resubscribed", "s", False, cap_recover,
               resolution=0.02),
        Figure("restart", "3 broker restart -> resumed + resubscribed + queue flushed", "s",
               False, cap_restart, resolution=0.02),
        Figure("diag_drops", "4 `record_connection_drop` calls", "calls/s", True),
        Figure("diag_export", "4 `export_json()` at 1000 events", "ms", False),
        Figure("import", "5 import time, what connecting needs", "ms", False),
        Figure("rss1", "5 RSS, one idle connected client", "MiB", False),
        Figure("cpu1", f"5 CPU time over {idle_s} s idle, one client", "ms", False),
        Figure("rss100", "5 RSS, 100 connected clients in one process", "MiB", False),
        Figure("cpu_conn100", "5 CPU time to connect + subscribe 100 clients", "ms", False),
        Figure("cpu100", f"5 CPU time over {idle_s} s idle, 100 clients", "ms", False),
        Figure("lat_p50", f"6 QoS 1 publish latency p50 at {lat_rate:,} msg/s", "µs", False),
        Figure("lat_p99", f"6 QoS 1 publish latency p99 at {lat_rate:,} msg/s", "µs", False),
    ]
    return {f.key: f for f in fs}


def fmt(v: float | None, cap: float | None = None) -> str:
    if v is None:
        return ""
    if math.isinf(v):
        return f"> {cap:g}" if cap else "never"
    a = abs(v)
    return f"{v:,.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 1 else f"{v:.2g}"


def verdict(f: Figure, c: str) -> tuple[str, str]:
    """(ratio contender/nwp500, is nwp500 ahead?) for one row."""
    mc, mb = f.median(c), f.median(BASE)
    if c == BASE or mc is None or mb is None:
        return "", ""
    if c == WSS:
        return f"{mc / mb:.2f}" if mb and not math.isinf(mc + mb) else "", "(transport)"
    if math.isinf(mb) and math.isinf(mc):
        return "", "no (both capped)"
    if math.isinf(mc) or math.isinf(mb):
        ahead = math.isinf(mc)
        return ("inf" if math.isinf(mc) else "0"), ("yes" if ahead else "no")
    ratio = mc / mb if mb else math.inf
    if abs(mc - mb) < f.resolution:
        return f"{ratio:.2f}", "level"
    better_c = ratio > 1 + TIE if f.higher_is_better else ratio < 1 - TIE
    better_b = ratio < 1 - TIE if f.higher_is_better else ratio > 1 + TIE
    return f"{ratio:.2f}", ("yes" if better_b else "no" if better_c else "level")


def compact(figs: dict[str, Figure], ref) -> list[str]:
    """One row per figure: **median** (min-max) and xratio against nwp500 per contender."""
    lines = ["| figure | unit | reps | " + " | ".join(CONTENDERS) + " |",
             "|---|---|---:|" + "---:|" * len(CONTENDERS)]
    for f in figs.values():
        if not f.values:
            continue
        cells = []
        for c in CONTENDERS:
            vals = sorted(f.values.get(c, []))
            if c in f.na or not vals:
                cells.append(f"n/a{ref(f.na[c])}" if c in f.na else "")
                continue
            marks = "".join(ref(n) for n in f.notes.get(c, []))
            ratio = verdict(f, c)[0]
            spread = "" if math.isinf(vals[0]) else f" ({fmt(vals[0], f.cap)}–{fmt(vals[-1], f.cap)})"
            cells.append(f"**{fmt(f.median(c), f.cap)}**{marks}{spread}"
                         + (f" ×{ratio}" if ratio not in ("", "inf", "0") else ""))
        reps = max(len(v) for v in f.values.values())
        unit = f"{f.unit}, {'higher' if f.higher_is_better else 'lower'} is better"
        lines.append(f"| {f.label} | {unit} | {reps} | " + " | ".join(cells) + " |")
    return lines


def markdown(figs: dict[str, Figure], meta: dict) -> str:
    foot: list[str] = []

    def ref(text: str) -> str:
        if text not in foot:
            foot.append(text)
        return f"[^{foot.index(text) + 1}]"

    lines = compact(figs, ref) + ["", "The same, one row per contender:", "",
                                  "| figure | unit | contender | reps | min | median | max "
                                  "| ratio vs nwp500 | nwp500 ahead? |",
                                  "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for f in figs.values():
        if not f.values:
            continue
        unit = f"{f.unit}, {'higher' if f.higher_is_better else 'lower'} is better"
        for c in CONTENDERS:
            marks = "".join(ref(n) for n in f.notes.get(c, []))
            if c in f.na:
                lines.append(f"| {f.label} | {unit} | {c} | | n/a{ref(f.na[c])} | | | | |")
                continue
            vals = sorted(f.values.get(c, []))
            if not vals:
                continue
            ratio, ahead = verdict(f, c)
            lines.append(f"| {f.label} | {unit} | {c}{marks} | {len(vals)} | {fmt(vals[0], f.cap)} "
                         f"| {fmt(f.median(c), f.cap)} | {fmt(vals[-1], f.cap)} | {ratio} | {ahead} |")
    same = [f"{f.label.split(' ', 1)[1]} {f.median(REF) / f.median(WSS):.2f}"
            for f in figs.values() if f.median(REF) and f.median(WSS)
            and not math.isinf(f.median(REF) + f.median(WSS))]
    if same:
        lines += ["", "nwp500-python 6.1.1 against nwp500 over the same transport (websockets + "
                      "TLS on 443), ratio of medians: " + "; ".join(same) + "."]
    lines.append("")
    lines += [f"[^{i + 1}]: {text}" for i, text in enumerate(foot)]
    head = [f"Run {meta['date']}, {meta['duration_s'] / 60:.1f} min; {meta['machine']}.",
            f"Versions: {meta['versions']}.",
            f"Load average (1 min) at start {meta['load_start']:.2f}, at end {meta['load_end']:.2f}.",
            "",
            "Cells: **median** (min–max) over *reps* repetitions per contender (contenders "
            "alternate within each repetition) and ×ratio = contender median / nwp500 median; *nwp500 ahead?*: `yes`, `no`, or "
            f"`level` when the medians are within {TIE:.0%} (or, in 3, within the 20 ms "
            "resolution of the probe); `(transport)` marks nwp500 itself "
            "over websockets + TLS, the transport nwp500-python is bound to. A value `> N` "
            "did not happen within the cap of N seconds.", ""]
    return "\n".join(head + lines) + "\n"


def write(figs: dict[str, Figure], meta: dict, out_dir: Path) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = markdown(figs, meta)
    (out_dir / "latest.md").write_text("# nwp500 side-by-side benchmarks\n\n" + md)

    def clean(v: float) -> float | None:
        return None if math.isinf(v) else v

    data = {"meta": meta, "figures": [
        {"key": f.key, "label": f.label, "unit": f.unit, "higher_is_better": f.higher_is_better,
         "cap": f.cap, "rows": {c: {"values": [clean(v) for v in f.values.get(c, [])],
                                    "capped": sum(math.isinf(v) for v in f.values.get(c, [])),
                                    "median": (clean(f.median(c)) if f.median(c) is not None
                                               else None),
                                    "ratio_vs_nwp500": verdict(f, c)[0] or None,
                                    "nwp500_ahead": verdict(f, c)[1] or None,
                                    "na": f.na.get(c), "notes": f.notes.get(c, [])}
                                for c in CONTENDERS}}
        for f in figs.values()]}
    (out_dir / "latest.json").write_text(json.dumps(data, indent=1) + "\n")
    return md
