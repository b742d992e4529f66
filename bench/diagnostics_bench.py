"""Diagnostics side by side: this project's collector (Rust core) against nwp500-python
6.1.1's pure-Python one, in one run, alternating, as ratios.

    .venv/bin/python bench/diagnostics_bench.py [--calls N] [--reps R]

The reference needs a virtualenv of its own (both packages are imported as ``nwp500``);
it is created under bench/.venv-ref on first use (pip install nwp500-python==6.1.1).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REF_VENV = HERE / ".venv-ref"
WORKER = HERE / "_diagnostics_worker.py"


def reference_python() -> str:
    python = REF_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(REF_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "nwp500-python==6.1.1"], check=True)
    return str(python)


def run(python: str, calls: int) -> dict:
    out = subprocess.run([python, str(WORKER), str(calls)], check=True, capture_output=True, text=True, cwd="/")
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    contenders = {"nwp500 (this project)": sys.executable, "nwp500-python 6.1.1": reference_python()}
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    for _ in range(args.reps):
        for name, python in contenders.items():  # alternate so drift hits both alike
            results[name].append(run(python, args.calls))

    ours = "nwp500 (this project)"
    print(f"\n{args.reps} repetitions, {args.calls} record_connection_drop calls each; export_json at 1000 events\n")
    print("| contender | drops/s min | median | max | export_json ms min | median | max | drops/s ratio vs nwp500 | export time ratio vs nwp500 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    base_rate = statistics.median(r["drops_per_second"] for r in results[ours])
    base_export = statistics.median(r["export_json_ms"] for r in results[ours])
    for name, runs in results.items():
        rates = sorted(r["drops_per_second"] for r in runs)
        exports = sorted(r["export_json_ms"] for r in runs)
        print(
            f"| {name} | {rates[0]:,.0f} | {statistics.median(rates):,.0f} | {rates[-1]:,.0f} "
            f"| {exports[0]:.2f} | {statistics.median(exports):.2f} | {exports[-1]:.2f} "
            f"| {statistics.median(rates) / base_rate:.2f} | {statistics.median(exports) / base_export:.2f} |"
        )


if __name__ == "__main__":
    main()
