"""MQTT connection diagnostics: the diagnostics guide's complete working example.

    NAVIEN_EMAIL=you@example.com NAVIEN_PASSWORD=... python examples/mqtt_diagnostics_example.py

What it does (as the guide describes it):

* signs in, lists your devices, connects with the guide's hardened settings (keep-alive 60 s,
  reconnect 0.5 s .. 60 s, deep reconnect after 5 attempts, unlimited retries, a command
  queue of 200);
* records every drop and recovery twice: in the client's own collector
  (``mqtt_client.diagnostics``, which also knows each drop's cause) and in a collector fed
  by the guide's event hooks;
* exports JSON every 5 minutes (``--export-interval``) to ``mqtt_diagnostics_output/``,
  with the HTML report of the run beside it (``report.html``), logs everything to
  ``mqtt_diagnostics.log``, and prints a summary and the drop-pattern analysis at each export
  and at the end;
* subscribes to each device's topics and asks for its status every 30 s (and again after
  every recovery), so you can see data flowing;
* runs for 1 hour (``--duration``); Ctrl+C stops it early, cleanly.

Without ``NAVIEN_EMAIL`` it runs against the simulated Navien cloud
(``python -m nwp500.simulator``) started in this process, injects one fault of each kind
(a close, a reset, a client-id takeover, expired credentials with a drop, a short half-open
link) about every 15 s, exports every 30 s and stops after 90 s. It points the library at
the simulator through ``NWP500_API_BASE_URL`` / ``NWP500_MQTT_ENDPOINT``, so the code path
is the same as against the real cloud.

The monitor itself lives in ``nwp500.cli.monitor`` (the guide's hooks are in its ``instrument``):
``nwp500 monitor`` runs the same code with a live status view on a terminal. This script
prints plain log lines.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nwp500.cli.monitor import MonitorOptions, run_monitor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, help="seconds to run (default 3600; 90 with the simulator)")
    parser.add_argument("--export-interval", type=float,
                        help="seconds between JSON exports (default 300; 30 with the simulator)")
    parser.add_argument("--output-dir", type=Path, default=Path("mqtt_diagnostics_output"))
    parser.add_argument("--log-file", type=Path, default=Path("mqtt_diagnostics.log"))
    parser.add_argument("--simulate", action="store_true",
                        help="use the simulated cloud even if NAVIEN_EMAIL is set")
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)

    email = os.environ.get("NAVIEN_EMAIL", "").strip()
    password = os.environ.get("NAVIEN_PASSWORD", "")
    simulate = args.simulate or not email
    if not simulate and not password:
        parser.error("NAVIEN_PASSWORD is not set")
    if args.duration is not None and args.duration <= 0 or args.export_interval is not None and args.export_interval <= 0:
        parser.error("--duration and --export-interval must be positive")
    options = MonitorOptions.build(duration=args.duration, export_interval=args.export_interval,
                                   output=str(args.output_dir), log_file=str(args.log_file), simulate=simulate,
                                   verbose=args.verbose, plain=True, email=email, password=password,
                                   store_tokens=False)
    return run_monitor(options)


if __name__ == "__main__":
    sys.exit(main())
