"""Measurement 3 (faults) and 5's idle footprint, which runs meanwhile: both are mostly
waiting, so they share the time. A mixin of suite.Suite (``self.worker``, ``self.figs``...).

3 runs every contender at once, each through its own FaultProxy on host loopback in front of
the ``fault`` broker (nwp500-python's on 127.0.0.1:443, the port it insists on); a Prober
publishes to bench/probe every 20 ms straight to that broker. Per repetition, with fresh
worker processes for each part:

* half-open: every proxy blackholes at once; a client's ``down`` event gives the detection
  time; its proxy resumes 5 s later (or at the cap), and the first probe it receives after
  that gives the recovery time (the subscription is back: end to end, 20 ms resolution);
* restart: the broker stops for 2 s (the proxies refuse connections meanwhile, as the
  stopped broker would); from its restart until the client has both a probe and the
  message it published while offline back through its own subscription -- a request whose
  answer arrives only if it was sent after the subscription was restored.

5 starts, per contender, one process with one idle connected client and one with 100
(mosquitto_sub for the C row), waits until all are settled, then lets them idle
``--idle-s`` seconds on the ``main`` broker while 3 runs on the other one.
"""

from __future__ import annotations

import math
import subprocess
import time

from _env import Prober, proc_cpu_s, proc_rss_mib
from _report import BASE, CONTENDERS, REF
from nwp500.simulator.faults import FaultProxy

C = "mosquitto C"
RESUME_BUG = "_on_connection_resumed_internal() got an unexpected keyword argument 'connection'"
FAULT = [BASE, REF, "paho-mqtt", "aiomqtt"]
NA = {
    "c_fault": "mosquitto_sub reports neither drops nor recoveries and has no offline queue.",
    "wss_fault": "nwp500's drop detection, backoff and resubscription do not depend on the "
                 "transport; measured once, over TCP (the nwp500 row).",
    "c_100": "one client per mosquitto_sub process.",
}


def rotate(items: list, k: int) -> list:
    k %= len(items)
    return items[k:] + items[:k]


class FaultsAndFootprint:
    def m_fault_footprint(self, fault: bool, footprint: bool) -> None:
        a = self.args
        proxies = {}
        for c in FAULT if fault else ():
            try:
                proxies[c] = FaultProxy(self.ns.ns_addr, self.fault.wss_port if c == REF else
                                        self.fault.port, listen_port=443 if c == REF else 0)
            except OSError as e:  # 127.0.0.1:443 taken by something else on this host
                for key in ("ho_detect", "ho_recover", "restart"):
                    self.figs[key].na[c] = f"its proxy could not listen on 127.0.0.1:443: {e}."
        prober = Prober(self.ns.ns_addr, self.fault.port) if fault else None
        try:
            for rep in range(a.fault_reps):
                idle = self._start_idle(rep) if footprint else {}
                if fault:
                    self._fault_rep(rep, proxies)
                for c, (kind, w) in idle.items():
                    try:
                        self._finish_idle(c, kind, w)
                    except Exception as e:  # noqa: BLE001
                        self.failed(["rss1", "cpu1", "rss100", "cpu_conn100", "cpu100"], c[0], e)
                self.log(f"3/5 faults + footprint: rep {rep + 1}/{a.fault_reps}")
        finally:
            if prober:
                prober.stop()
            for p in proxies.values():
                p.stop()
        for key in ("ho_detect", "ho_recover", "restart"):
            self.figs[key].na[C], self.figs[key].na["nwp500 (wss)"] = NA["c_fault"], NA["wss_fault"]
        for key in ("rss100", "cpu_conn100", "cpu100"):
            self.figs[key].na[C] = NA["c_100"]
        self.figs["restart"].note("aiomqtt", "aiomqtt has no reconnect, resubscription or "
                                             "offline queue: the worker's own loop does them "
                                             "(aiomqtt's documented pattern, 1 s pause).")

    def _start_idle(self, rep: int) -> dict:
        a, out = self.args, {}
        for c in rotate(CONTENDERS, rep):
            if c == C:
                cid = f"idle-c-{rep}"
                p = self.ns.run(["mosquitto_sub", *self.cc.conn, "-i", cid, "-t", "bench/idle/c",
                                 "-q", "1"], stdout=subprocess.DEVNULL)
                self.main.wait_subscribed(cid, "bench/idle/c")
                out[(c, 1)] = ("c", p)
                continue
            for clients in (1, 100):
                out[(c, clients)] = ("py", self.worker(c, "idle", {
                    "id": f"idle{clients}-{rep}", "clients": clients, "settle_s": a.settle_s,
                    "idle_s": a.idle_s}))
        deadline = time.monotonic() + 120
        for kind, w in out.values():  # the idle windows start before the faults do
            if kind == "py":
                w.wait(lambda e: e.get("ev") == "idle_start", max(deadline - time.monotonic(), 0))
        time.sleep(a.settle_s)
        for key, (kind, p) in out.items():
            if kind == "c":
                out[key] = ("c", (p, proc_rss_mib(p.pid), proc_cpu_s(p.pid), time.monotonic()))
        return out

    def _finish_idle(self, key: tuple, kind: str, w) -> None:
        c, clients = key
        if kind == "c":
            p, rss, cpu0, t0 = w
            time.sleep(max(0.0, t0 + self.args.idle_s - time.monotonic()))
            self.figs["rss1"].add(c, rss)
            self.figs["cpu1"].add(c, (proc_cpu_s(p.pid) - cpu0) * 1000)
            p.kill()
            p.wait(5)
            return
        r = w.finish(self.args.idle_s + 120)
        if r.get("connected", clients) < clients:
            self.figs["rss100"].note(c, "not every client connected in some repetition.")
        if clients == 1:
            self.figs["rss1"].add(c, r["rss_mib"])
            self.figs["cpu1"].add(c, r["idle_cpu_s"] * 1000)
        else:
            self.figs["rss100"].add(c, r["rss_mib"])
            self.figs["cpu_conn100"].add(c, r["connect_cpu_s"] * 1000)
            self.figs["cpu100"].add(c, r["idle_cpu_s"] * 1000)

    def _fault_rep(self, rep: int, proxies: dict) -> None:
        """The half-open link, then the broker restart, each with fresh worker processes (a
        client still struggling after the first must not spoil the second)."""
        for name, phase in (("halfopen", self._half_open), ("restart", self._restart)):
            ws = {c: self.worker(c, "fault", {"id": f"{name}-{rep}-{i}",
                                              "keep_alive": self.args.keep_alive},
                                 port=proxies[c].port)
                  for i, c in enumerate(rotate(FAULT, rep)) if c in proxies}
            try:
                for c, w in list(ws.items()):
                    if not w.wait(lambda e: e.get("ev") == "ready", 30):
                        self.failed(["ho_detect", "ho_recover", "restart"], c,
                                    RuntimeError(f"not connected: {w.stderr_tail(1)}"))
                        w.kill()
                        del ws[c]
                time.sleep(1.0)
                phase(ws, proxies)
                for c, w in ws.items():
                    try:
                        w.finish(30)
                    except Exception as e:  # noqa: BLE001
                        self.failed(["ho_detect", "ho_recover", "restart"], c, e)
                if REF in ws and RESUME_BUG in ws[REF].stderr_path.read_text(errors="replace"):
                    self.figs["ho_recover" if name == "halfopen" else "restart"].note(
                        REF, "on every reconnect by awscrt its resume handler raised TypeError ("
                             f"{RESUME_BUG}): it never learns it is back and opens a second "
                             "connection with the same client id; the two take each other over "
                             "(bench/README.md).")
            finally:
                for w in ws.values():
                    w.kill()
                for p in proxies.values():
                    p.resume()

    def _half_open(self, ws: dict, proxies: dict) -> None:
        """Blackhole every contender's link at once; resume each 5 s after its client
        noticed (or at the cap); time the notice and the first probe after resuming."""
        a, t_b, resume_at, t_r, done = self.args, {}, {}, {}, set()
        for c in ws:
            proxies[c].blackhole()
            t_b[c] = time.time()
        while len(done) < len(ws):
            time.sleep(0.05)
            now = time.time()
            for c, w in ws.items():
                w.poll()
                if c in done:
                    continue
                if c not in resume_at:
                    down = w.find(lambda e: e.get("ev") == "down" and e["t"] >= t_b[c])
                    if down:
                        self.figs["ho_detect"].add(c, down["t"] - t_b[c])
                        resume_at[c] = down["t"] + a.link_back_s
                    elif now - t_b[c] > a.cap_detect:
                        self.figs["ho_detect"].add(c, math.inf)
                        self.figs["ho_recover"].note(c, "never noticed the dead link: nothing "
                                                        "to recover from.")
                        proxies[c].resume()
                        done.add(c)
                elif c not in t_r and now >= resume_at[c]:
                    proxies[c].resume()
                    t_r[c] = time.time()
                elif c in t_r:
                    probe = w.find(lambda e: e.get("ev") == "probe" and e["t"] >= t_r[c])
                    if probe or now - t_r[c] > a.cap_recover:
                        self.figs["ho_recover"].add(c, probe["t"] - t_r[c] if probe else math.inf)
                        done.add(c)

    def _restart(self, ws: dict, proxies: dict) -> None:
        """Stop the fault broker for 2 s; time from its restart until each client got a
        probe (resubscribed) and its own message queued during the outage back. While the
        broker is down its proxies refuse connections, as the stopped broker would."""
        a = self.args
        t_stop = time.time()
        self.fault.stop()
        for p in proxies.values():
            p.refuse(True)
        time.sleep(2.0)
        self.fault.start()
        for p in proxies.values():
            p.refuse(False)
        t_up = time.time()
        for c, w in ws.items():
            left = lambda: max(0.0, t_up + a.cap_restart - time.time())  # noqa: E731
            down = w.wait(lambda e: e.get("ev") == "down" and e["t"] >= t_stop, left())
            probe = w.wait(lambda e: e.get("ev") == "probe" and e["t"] >= t_up, left())
            back = down and w.wait(lambda e: e.get("ev") == "q" and e["k"] == down["k"], left())
            if probe and not back:
                self.figs["restart"].note(c, "the message queued during the outage never came "
                                             "back through the subscription in some repetition.")
            self.figs["restart"].add(c, max(probe["t"], back["t"]) - t_up if probe and back
                                     else math.inf)
