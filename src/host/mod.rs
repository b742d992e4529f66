//! The diagnostics guide's checklist, run by the library: a sampler that watches the host and
//! the path to the endpoint and records what it sees into the drop collector as system events,
//! so `analyze()` can tell "the Wi-Fi re-associated 2 s before each drop" from "the server
//! closed a healthy link".
//!
//! Every second it reads the local signals (links, addresses, default routes, Wi-Fi, suspend)
//! and records only changes; every `interval` (and at once after a local change or a drop) it
//! resolves the endpoint and opens a TCP connection to it, recording failures, recoveries and
//! address changes; after each drop it records the TCP retransmit/reset counters' deltas over
//! the minute before. The journal's Wi-Fi, DHCP, suspend and cron lines come in as they are
//! written. Readings are of /proc and /sys (memory, not disk) and a child process, taken on
//! tokio's blocking pool: nothing here touches Python or stalls the shared runtime thread.
//! Only `start` reads once on the caller's thread (~0.1 ms), to say at once what this host
//! cannot give.

mod journal;
pub mod signals;

use std::collections::{BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::{timeout, Instant, MissedTickBehavior};

use crate::diagnostics::Collector;
use signals::{Snapshot, TcpCounters};

/// The window before a drop over which TCP counters are compared.
const TCP_WINDOW: Duration = Duration::from_secs(60);
/// A jump between CLOCK_BOOTTIME and CLOCK_MONOTONIC this large was a suspend.
const SUSPEND_SECS: f64 = 2.0;
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct HostMonitorConfig {
    pub interval: Duration,
    pub host: String,
    pub port: u16,
    /// Follow the systemd journal (off: the host's log stays unread).
    pub journal: bool,
}

/// A running sampler. Stops when dropped or on `stop()`.
pub struct HostMonitor {
    stop: Option<oneshot::Sender<()>>,
    /// The signals this host does not offer, each with the reason ("say so once").
    pub unavailable: Vec<String>,
}

impl HostMonitor {
    pub fn start(rt: &tokio::runtime::Handle, config: HostMonitorConfig, collector: Arc<Mutex<Collector>>) -> Self {
        let first = signals::read_snapshot();
        let mut unavailable = Vec::new();
        let mut missing = |what: Option<()>, text: &str| {
            if what.is_none() {
                unavailable.push(text.to_string());
            }
        };
        missing(first.links.as_ref().map(|_| ()), "link: /sys/class/net is not readable");
        missing(first.addresses.as_ref().map(|_| ()), "address: getifaddrs failed");
        missing(first.default_routes.as_ref().map(|_| ()), "route: /proc/net/route is not readable");
        missing(first.tcp.as_ref().map(|_| ()), "tcp_stats: /proc/net/snmp is not readable");
        missing(signals::suspended_seconds().map(|_| ()), "suspend: CLOCK_BOOTTIME is not available");
        if first.wifi.as_ref().map_or(true, |w| w.is_empty()) {
            unavailable.push("wifi: no wireless interface in /proc/net/wireless".into());
        }
        let journal_dir = ["/run/log/journal", "/var/log/journal"].iter().any(|d| std::path::Path::new(d).is_dir());
        let journal = config.journal && journal_dir && which("journalctl");
        if config.journal && !journal {
            unavailable.push("journal: no systemd journal on this host".into());
        }
        let (stop, stopped) = oneshot::channel();
        let sampler = Sampler::new(config, collector, first, journal);
        rt.spawn(sampler.run(stopped));
        Self { stop: Some(stop), unavailable }
    }

    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub fn is_running(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| !s.is_closed())
    }
}

impl Drop for HostMonitor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the path probes last saw, to record changes rather than every reading.
#[derive(Default)]
struct PathState {
    addresses: Option<BTreeSet<IpAddr>>,
    dns_failing: bool,
    tcp_failing: bool,
}

struct Sampler {
    config: HostMonitorConfig,
    collector: Arc<Mutex<Collector>>,
    previous: Snapshot,
    path: PathState,
    tcp_history: VecDeque<(Instant, TcpCounters)>,
    drops_seen: u64,
    suspended: Option<f64>,
    journal: bool,
}

impl Sampler {
    fn new(config: HostMonitorConfig, collector: Arc<Mutex<Collector>>, first: Snapshot, journal: bool) -> Self {
        let drops_seen = lock(&collector).drop_count();
        Self {
            config,
            collector,
            previous: first,
            path: PathState::default(),
            tcp_history: VecDeque::new(),
            drops_seen,
            suspended: signals::suspended_seconds(),
            journal,
        }
    }

    fn record(&self, kind: &str, detail: &str) {
        lock(&self.collector).record_system_event(kind, detail);
    }

    async fn run(mut self, mut stopped: oneshot::Receiver<()>) {
        let tick = self.config.interval.min(Duration::from_secs(1));
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut next_probe = Instant::now();
        let mut child = if self.journal { journal::spawn().ok() } else { None };
        let mut lines = child.as_mut().and_then(journal::lines);
        // A probe can take seconds (timeouts): it runs beside the local sampling, one at a time.
        let mut probing: Option<std::pin::Pin<Box<dyn std::future::Future<Output = PathState> + Send>>> = None;
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                path = async { probing.as_mut().expect("guarded").await }, if probing.is_some() => {
                    self.path = path;
                    probing = None;
                    continue;
                }
                line = async { match lines.as_mut() { Some(l) => journal::next_event(l).await, None => std::future::pending().await } } => {
                    match line {
                        Some(Some(detail)) => self.record("journal", &detail),
                        Some(None) => {}
                        None => {
                            // journalctl ended (no permission, journal gone): reap it, go on without.
                            lines = None;
                            if let Some(mut ended) = child.take() {
                                let _ = timeout(PROBE_TIMEOUT, ended.wait()).await;
                            }
                        }
                    }
                    continue;
                }
                _ = ticker.tick() => {}
            }
            // /proc, /sys and getifaddrs are quick, but the runtime has one thread that every
            // connection shares: no reading of files on it.
            let Ok(now) = tokio::task::spawn_blocking(signals::read_snapshot).await else { continue };
            let local_change = self.sample_local(now);
            let drop_seen = self.check_drops();
            if (local_change || drop_seen || Instant::now() >= next_probe) && probing.is_none() {
                let path = std::mem::take(&mut self.path);
                probing = Some(Box::pin(probe_path(self.config.clone(), path, self.collector.clone())));
                next_probe = Instant::now() + self.config.interval;
            }
        }
        // Kill and reap it now: kill_on_drop alone leaves a zombie until tokio's next reaping.
        if let Some(mut journalctl) = child {
            let _ = timeout(PROBE_TIMEOUT, journalctl.kill()).await;
        }
    }

    /// Returns whether anything changed.
    fn sample_local(&mut self, now: Snapshot) -> bool {
        let changes = signals::changes(&self.previous, &now);
        for (kind, detail) in &changes {
            self.record(kind, detail);
        }
        let mut changed = !changes.is_empty();
        if let (Some(before), Some(after)) = (self.suspended, signals::suspended_seconds()) {
            if after - before >= SUSPEND_SECS {
                self.record("suspend", &format!("the machine was suspended for {:.0} s", after - before));
                changed = true;
            }
            self.suspended = Some(after);
        }
        if let Some(tcp) = now.tcp {
            let at = Instant::now();
            while self.tcp_history.front().is_some_and(|(t, _)| at.duration_since(*t) > TCP_WINDOW) {
                self.tcp_history.pop_front();
            }
            self.tcp_history.push_back((at, tcp));
        }
        self.previous = now;
        changed
    }

    /// A new drop: the TCP counters' movement over the minute before it.
    fn check_drops(&mut self) -> bool {
        let drops = lock(&self.collector).drop_count();
        if drops <= self.drops_seen {
            return false;
        }
        self.drops_seen = drops;
        if let (Some((then, first)), Some((_, last))) = (self.tcp_history.front(), self.tcp_history.back()) {
            let secs = Instant::now().duration_since(*then).as_secs_f64();
            self.record("tcp_stats", &format!("in the {secs:.0} s before the drop: {}", last.delta_since(first).describe()));
        }
        true
    }
}

/// Resolves the endpoint and opens a TCP connection to it, recording failures, recoveries
/// and address changes (not every success); returns what it saw for the next probe.
async fn probe_path(config: HostMonitorConfig, mut path: PathState, collector: Arc<Mutex<Collector>>) -> PathState {
    let record = |kind: &str, detail: &str| lock(&collector).record_system_event(kind, detail);
    let HostMonitorConfig { host, port, .. } = config;
    let started = Instant::now();
    let resolved = timeout(PROBE_TIMEOUT, tokio::net::lookup_host((host.as_str(), port))).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let failure = match &resolved {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(format!("resolving {host} failed after {ms:.0} ms: {e}")),
        Err(_) => Some(format!("resolving {host} timed out after {} s", PROBE_TIMEOUT.as_secs())),
    };
    let addrs: Vec<SocketAddr> = match resolved {
        Ok(Ok(found)) => found.collect(),
        _ => Vec::new(),
    };
    let failure = failure.or_else(|| addrs.is_empty().then(|| format!("{host} resolves to no address")));
    if let Some(detail) = failure {
        if !path.dns_failing {
            record("dns", &detail);
        }
        path.dns_failing = true;
        lock(&collector).record_path_probe(false);
        return path;
    }
    let set: BTreeSet<IpAddr> = addrs.iter().map(|a| a.ip()).collect();
    if path.dns_failing {
        record("dns", &format!("{host} resolves again ({ms:.0} ms): {}", show(&set)));
    } else if path.addresses.as_ref().is_some_and(|old| *old != set) {
        let old = path.addresses.as_ref().map(show).unwrap_or_default();
        record("dns", &format!("{host} now resolves to {} (was {old})", show(&set)));
    }
    path.dns_failing = false;
    path.addresses = Some(set);

    let target = addrs[0];
    let started = Instant::now();
    let outcome = timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(target)).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let failure = match outcome {
        Ok(Ok(_stream)) => None,
        Ok(Err(e)) => Some(format!("TCP connect to {target} failed after {ms:.0} ms: {e}")),
        Err(_) => Some(format!("TCP connect to {target} timed out after {} s", PROBE_TIMEOUT.as_secs())),
    };
    match &failure {
        Some(detail) if !path.tcp_failing => record("tcp_probe", detail),
        None if path.tcp_failing => record("tcp_probe", &format!("TCP connect to {target} works again ({ms:.0} ms)")),
        _ => {}
    }
    path.tcp_failing = failure.is_some();
    lock(&collector).record_path_probe(failure.is_none());
    path
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn show(set: &BTreeSet<IpAddr>) -> String {
    set.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
}

fn lock(c: &Arc<Mutex<Collector>>) -> std::sync::MutexGuard<'_, Collector> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}
