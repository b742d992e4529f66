"""The monitor's logging and files: log lines on the console and in the log file, the
device's status CSV, and the exports (both collectors' JSON and the HTML report).

Shared by ``nwp500 monitor`` and the guide's example through :mod:`.monitor`."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import MqttDiagnosticsCollector, NavienMqttClient
from .report import ReportError, parse, render

__all__ = ["LineFormat", "NotTheSimulator", "setup_logging", "append_csv", "export", "REPORT_NAME"]

log = logging.getLogger("nwp500.monitor")
REPORT_NAME = "report.html"


# -- logging ---------------------------------------------------------------------------------------

class LineFormat(logging.Formatter):
    """The monitor's own lines plain; library lines with their logger name."""

    def format(self, record: logging.LogRecord) -> str:
        when = self.formatTime(record, "%H:%M:%S")
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.name.startswith(log.name):
            return f"{when}  {text}"
        return f"{when}  [{record.name}] {record.levelname.lower()}: {text}"


class NotTheSimulator(logging.Filter):
    """The simulated cloud runs its own MQTT client (the emulated device) on its own thread;
    keep its routine messages out of the monitor's story (warnings still show)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return record.threadName != "nwp500-simulator" and not record.name.startswith("nwp500.simulator")


def setup_logging(log_file: Path | None, verbose: bool, console: logging.Handler | None = None) -> None:
    """Log to stdout (or ``console``) and to ``log_file``; INFO, or DEBUG with ``verbose``."""
    root = logging.getLogger()
    root.handlers[:] = []
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("nwp500").setLevel(logging.NOTSET)
    console = console or logging.StreamHandler(sys.stdout)
    console.setFormatter(LineFormat())
    console.addFilter(NotTheSimulator())
    root.addHandler(console)
    if log_file is not None:
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"))
        to_file.addFilter(NotTheSimulator())
        root.addHandler(to_file)


def append_csv(path: Path, status: Any) -> None:
    """Append one status row (nwp-cli monitor's CSV: the status fields, then a timestamp). The
    file sits beside the diagnostics exports, which get attached to bug reports, so the MAC
    address is cut to its last four digits."""
    row = {k: (v.name if hasattr(v, "name") and not isinstance(v, str) else v) for k, v in status.model_dump().items()}
    if isinstance(row.get("mac_address"), str) and row["mac_address"]:
        row["mac_address"] = "…" + row["mac_address"][-4:]
    row["timestamp"] = datetime.now().isoformat()
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


# -- exports ---------------------------------------------------------------------------------------

async def export(client: NavienMqttClient, hooks: MqttDiagnosticsCollector, output_dir: Path,
                 state: Any = None) -> Path | None:
    """Write both collectors' JSON and the HTML report, log the summary and the pattern
    analysis; returns the report's path (``None`` if it could not be written). The collectors
    are read on the loop; the files are written, and the report rendered, in a worker thread."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d_%H%M%S")
    text, guide_text = client.diagnostics.export_json(), hooks.export_json()
    own, guide = output_dir / f"diagnostics_{stamp}.json", output_dir / f"guide_hooks_{stamp}.json"
    report = await asyncio.to_thread(_write, output_dir, own, text, guide, guide_text)
    log.info("--- export: %s (client's collector), %s (guide-style hooks)", own, guide)
    client.diagnostics.print_summary()
    analysis = client.diagnostics.analyze()
    log.info("--- drop pattern: %s", analysis.pattern)
    log.info("    likely cause:  %s", analysis.likely_cause)
    log.info("    what to do:    %s", analysis.recommendation)
    evidence = {k: v for k, v in analysis.evidence.items() if v not in (None, [], {})}
    if evidence:
        log.info("    evidence:      %s", json.dumps(evidence, default=str)[:600])
    if report is not None:
        log.info("report: %s", report)
    if state is not None:
        state.exports += 1
        state.last_export = datetime.now().strftime("%H:%M:%S")
        state.report_path = report or state.report_path
        state.pattern, state.recommendation = analysis.pattern, analysis.recommendation
    return report


def _write(output_dir: Path, own: Path, text: str, guide: Path, guide_text: str) -> Path | None:
    output_dir.mkdir(parents=True, exist_ok=True)
    own.write_text(text, encoding="utf-8")
    guide.write_text(guide_text, encoding="utf-8")
    report = (output_dir / REPORT_NAME).resolve()
    try:
        report.write_text(render(parse(json.loads(text))), encoding="utf-8")
    except (ReportError, OSError) as exc:
        log.warning("report not written: %s", exc)
        return None
    return report
