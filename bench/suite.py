"""The side-by-side benchmark suite: every contender, every figure, one run. Start it with
``bench/run`` (which prepares both virtualenvs); see bench/README.md for what each figure
means. Needs root (network namespace) and mosquitto 2.0 with its C clients.

    .venv/bin/python bench/suite.py [--reps 5] [--fault-reps 3] [--lat-reps 3]
                                    [--only 1,2,3,4,5,6] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

import _report
from _env import (HERE, LOG_DIR, PROJECT_PY, REF_PY, Broker, CClients, NetNamespace, TestCA,
                  Worker, machine, versions)
from _faults import C, FaultsAndFootprint, rotate
from _report import BASE, CONTENDERS, REF

PY = [c for c in CONTENDERS if c != C]
SCRIPT = {BASE: "w_nwp.py", "nwp500 (wss)": "w_nwp.py", REF: "w_nwp.py",
          "paho-mqtt": "w_paho.py", "aiomqtt": "w_aiomqtt.py"}
# What a program imports to connect: for nwp500 and the reference the login and the MQTT client
# (a bare ``import nwp500`` loads next to nothing since the names became lazy).
_NWP_IMPORT = "from nwp500 import NavienAuthClient, NavienMqttClient"
IMPORT = {BASE: _NWP_IMPORT, "nwp500 (wss)": None, REF: _NWP_IMPORT, "paho-mqtt": "import paho.mqtt.client",
          "aiomqtt": "import aiomqtt"}
NA = {
    "c_callback": "mosquitto_sub (C) writes each message's arrival time to a pipe: no Python "
                  "callback; shown for scale.",
    "diag": "no diagnostics collector in this library.",
    "c_import": "a C program: nothing to import.",
    "wss_import": "the same import as the nwp500 row.",
    "c_latency": "bench/latency_c.c: libmosquitto in one thread with its own loop (ppoll on "
                 "the socket until the next start): the publish is written and its PUBACK "
                 "read and timed in on_publish by the same thread.",
    "paho_latency": "publish() on the main thread, timed to on_publish on paho's network "
                    "thread (no hand-off to another thread after the PUBACK).",
}


class Suite(FaultsAndFootprint):
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.figs = _report.figures(args.cap_detect, args.cap_recover, args.cap_restart,
                                    args.idle_s, args.keep_alive, args.lat_rate)
        self.ns = NetNamespace()
        self.ca = TestCA()
        self.main = Broker(self.ns, self.ca, tcp=1883, wss=443, ws=8080).start()
        self.fault = Broker(self.ns, self.ca, tcp=1884, wss=8443, ws=8081).start()
        self.env = {**os.environ, "SSL_CERT_FILE": self.ca.bundle_path, "PYTHONUNBUFFERED": "1"}
        self.cc = CClients(self.ns, self.main)

    def close(self) -> None:
        for name, b in (("main", self.main), ("fault", self.fault)):
            (LOG_DIR / f"broker-{name}.log").write_text(b.log_text(since_start=False))
            b.close()
        self.ns.delete()
        self.ca.cleanup()

    # -- helpers ---------------------------------------------------------------------------
    def conn(self, c: str, port: int | None = None) -> dict:
        """Where contender ``c`` connects: the main broker inside the namespace, or (with
        ``port``) its FaultProxy on host loopback."""
        host_port = {"host": "127.0.0.1", "port": port or self.main.port}
        return {BASE: {"endpoint": f"mqtt://127.0.0.1:{port or self.main.port}"},
                "nwp500 (wss)": {"endpoint": "wss://localhost:443/mqtt"},
                REF: {"endpoint": "localhost"}}.get(c, host_port)

    def worker(self, c: str, task: str, params: dict, port: int | None = None) -> Worker:
        py = REF_PY if c == REF else PROJECT_PY
        slug = {BASE: "nwp", "nwp500 (wss)": "nwpwss", REF: "ref"}.get(c, c.split("-")[0])
        params = {**params, "id": f"{slug}-{params['id']}"}  # client ids unique per contender
        argv = [py, str(HERE / SCRIPT[c]), task, json.dumps(
            {**self.conn(c, port), **params})]
        if port is None:  # inside the namespace, next to the main broker
            argv = ["ip", "netns", "exec", self.ns.name, *argv]
        return Worker(f"{c}-{task}", argv, self.env)

    def failed(self, keys: list[str], c: str, e: Exception) -> None:
        """Note a failed repetition in the table and go on with the next."""
        self.log(f"{c} failed: {e}")
        for key in keys:
            self.figs[key].note(c, f"failed in some repetition ({str(e).splitlines()[0][:120]}); "
                                   f"see {LOG_DIR.relative_to(HERE.parent)}/.")

    def log(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    # -- 1 publish ---------------------------------------------------------------------------
    def m_publish(self) -> None:
        n = self.args.n_pub
        for rep in range(self.args.reps):
            for c in rotate(CONTENDERS, rep):
                try:
                    r = self.cc.publish(n) if c == C else self.worker(
                        c, "publish", {"id": f"pub-{rep}", "n": n}).finish(120)
                except Exception as e:  # noqa: BLE001 - one failure must not end the run
                    self.failed(["pub_seq", "pub_inflight"], c, e)
                    continue
                self.figs["pub_seq"].add(c, r["seq"])
                self.figs["pub_inflight"].add(c, r["inflight"])
            self.log(f"1 publish: rep {rep + 1}/{self.args.reps}")
        self.figs["pub_seq"].note(C, "mosquitto_pub --repeat: the slope between 1000 and 5000 "
                                     "messages (process start and connect cancel out).")
        self.figs["pub_inflight"].note(C, "mosquitto_pub -l -M 100: the slope between 10 000 "
                                          "and 20 000 messages, not 1000 (its fixed 0.2 s wait "
                                          "at end of input would dwarf 1000).")
        self.figs["pub_inflight"].note(REF, "awscrt has no in-flight limit; the other clients "
                                            "keep 100 unacknowledged (nwp500's fixed window).")

    # -- 6 publish latency at a fixed offered rate -----------------------------------------
    def m_latency(self) -> None:
        a = self.args
        keys = ["lat_p50", "lat_p99"]
        for rep in range(a.lat_reps):
            for c in rotate(CONTENDERS, rep):
                p = {"rate": a.lat_rate, "n": a.lat_n, "warmup": a.lat_warmup, "id": f"lat-{rep}"}
                try:
                    r = self.cc.latency({**p, "id": f"c-lat-{rep}"}) if c == C else self.worker(
                        c, "latency", p).finish(60)
                except Exception as e:  # noqa: BLE001
                    self.failed(keys, c, e)
                    continue
                self.figs["lat_p50"].add(c, r["p50_us"])
                self.figs["lat_p99"].add(c, r["p99_us"])
                if r["rate"] < 0.98 * a.lat_rate:
                    for key in keys:
                        self.figs[key].note(c, f"offered only {r['rate']:,.0f} msg/s in some "
                                               "repetition (the schedule slipped).")
                self.log(f"6 latency: {c}: p50 {r['p50_us']:.0f}, p99 {r['p99_us']:.0f}, "
                         f"max {r['max_us']:.0f}, mean {r['mean_us']:.0f} µs; start behind "
                         f"schedule p99 {r['lag_p99_us']:.0f}, max {r['lag_max_us']:.0f} µs")
            self.log(f"6 latency: rep {rep + 1}/{a.lat_reps}")
        for key in keys:
            self.figs[key].note(C, NA["c_latency"])
            self.figs[key].note("paho-mqtt", NA["paho_latency"])

    # -- 2 inbound ---------------------------------------------------------------------------
    def m_inbound(self) -> None:
        n = {0: self.args.n_in0, 1: self.args.n_in1}
        lines = {q: b"".join(b'{"n": %d}\n' % i for i in range(n[q])) for q in n}
        for rep in range(self.args.reps):
            for c in rotate(CONTENDERS, rep):
                try:
                    got = self._inbound_c(n, lines) if c == C else self._inbound_py(c, rep, n, lines)
                except Exception as e:  # noqa: BLE001
                    self.failed(["in_q0", "in_q1"], c, e)
                    continue
                for q, (count, rate) in got.items():
                    self.figs[f"in_q{q}"].add(c, rate)
                    if count < n[q]:
                        self.figs[f"in_q{q}"].note(c, f"received fewer than the {n[q]} "
                                                      "messages sent in some repetition.")
            self.log(f"2 inbound: rep {rep + 1}/{self.args.reps}")
        for q in (0, 1):
            self.figs[f"in_q{q}"].note(C, NA["c_callback"])
            self.figs[f"in_q{q}"].note(REF, "awscrt calls back on its own thread; the worker "
                                            "hands each message to the loop with "
                                            "call_soon_threadsafe (as paho's worker does).")

    def _inbound_py(self, c: str, rep: int, n: dict, lines: dict) -> dict:
        w = self.worker(c, "inbound", {"id": f"in-{rep}", "n": n})
        try:
            if not w.wait(lambda e: e.get("ev") == "ready", 30):
                raise RuntimeError(f"{c}: not ready:\n{w.stderr_tail()}")
            out = {}
            for q in (0, 1):
                self.cc.publisher(f"bench/in/{q}", q, lines[q])
                pred = lambda e, q=q: e.get("ev") == "inbound" and e["qos"] == q  # noqa: E731
                ev = w.wait(pred, 30)
                if ev is None:
                    w.send(f"flush {q}")
                    ev = w.wait(pred, 5) or {"count": 0, "rate": 0.0}
                out[q] = (ev["count"], ev["rate"])
            w.finish()
            return out
        finally:
            w.kill()

    def _inbound_c(self, n: dict, lines: dict) -> dict:
        out = {}
        for q in (0, 1):
            sub = self.cc.subscriber(f"bench/in/{q}", q, n[q])
            self.cc.publisher(f"bench/in/{q}", q, lines[q])
            stamps = [float(s) for s in sub.communicate(timeout=90)[0].split()]
            rate = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
            out[q] = (len(stamps), rate)
        return out

    # -- 4 diagnostics and 5 import time (short, one process each) -------------------------
    def m_diagnostics(self) -> None:
        for rep in range(self.args.reps):
            for c in rotate([BASE, REF], rep):
                out = subprocess.run([REF_PY if c == REF else PROJECT_PY,
                                      str(HERE / "_diagnostics_worker.py"), "20000"],
                                     check=True, capture_output=True, text=True, cwd="/")
                r = json.loads(out.stdout)
                self.figs["diag_drops"].add(c, r["drops_per_second"])
                self.figs["diag_export"].add(c, r["export_json_ms"])
        for key in ("diag_drops", "diag_export"):
            for c in CONTENDERS[1:]:
                if c != REF:
                    self.figs[key].na[c] = NA["diag"]
        self.log("4 diagnostics: done")

    def m_import(self) -> None:
        f = self.figs["import"]
        # Installed from a wheel, nwp500 has bytecode, as paho and the reference have in their
        # virtualenvs; the in-tree build does not (and PYTHONDONTWRITEBYTECODE may be set), so
        # without this only nwp500's figure would include compiling its source (~35 ms here).
        subprocess.run([PROJECT_PY, "-m", "compileall", "-q", str(HERE.parent / "python" / "nwp500")],
                       check=True, capture_output=True)
        for rep in range(self.args.reps):
            for c in rotate([c for c in PY if IMPORT[c]], rep):
                code = (f"import time; t = time.perf_counter(); {IMPORT[c]}; "
                        "print(time.perf_counter() - t)")
                out = subprocess.run([REF_PY if c == REF else PROJECT_PY, "-c", code],
                                     check=True, capture_output=True, text=True, cwd="/")
                f.add(c, float(out.stdout) * 1000)
        f.na[C], f.na["nwp500 (wss)"] = NA["c_import"], NA["wss_import"]
        self.log("5 import time: done")

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=5, help="repetitions of 1, 2, 4, import time")
    p.add_argument("--fault-reps", type=int, default=3, help="repetitions of 3 and 5")
    p.add_argument("--lat-reps", type=int, default=3, help="repetitions of 6")
    p.add_argument("--only", default="1,2,3,4,5,6", help="measurements to run, e.g. 1,4")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the plumbing only")
    p.add_argument("--keep-alive", type=int, default=30)
    p.add_argument("--idle-s", type=int, default=60)
    a = p.parse_args()
    a.n_pub, a.n_in0, a.n_in1, a.settle_s, a.link_back_s = 1000, 20000, 10000, 3.0, 5.0
    a.cap_detect, a.cap_recover, a.cap_restart = 90.0, 20.0, 20.0
    a.lat_rate, a.lat_n, a.lat_warmup = 1000, 5000, 1000  # 6: 1 s warm-up, then 5 s timed
    if a.quick:
        a.reps, a.fault_reps, a.idle_s, a.n_in0, a.n_in1 = 1, 1, 5, 2000, 1000
        a.lat_reps, a.lat_n, a.lat_warmup = 1, 1000, 200
    only = set(a.only.split(","))
    start, load0 = time.time(), os.getloadavg()[0]
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    suite = Suite(a)
    try:
        if "5" in only:
            suite.m_import()
        if "4" in only:
            suite.m_diagnostics()
        if "1" in only:
            suite.m_publish()
        if "6" in only:
            suite.m_latency()
        if "2" in only:
            suite.m_inbound()
        if "3" in only or "5" in only:
            suite.m_fault_footprint("3" in only, "5" in only)
    finally:
        suite.close()
    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "duration_s": time.time() - start, "machine": machine(), "versions": versions(),
            "load_start": load0, "load_end": os.getloadavg()[0], "args": vars(a),
            "worker_logs": str(LOG_DIR)}
    print(_report.write(suite.figs, meta, HERE / "results"))


if __name__ == "__main__":
    main()
