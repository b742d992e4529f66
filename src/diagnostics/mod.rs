//! Connection diagnostics: what dropped, when, why, and what pattern the drops form.
//!
//! The collector keeps the reference's records and metrics (nwp500 9.3.0 field names) with
//! bounded memory: every history is a ring of at most `max_events_retained` entries. Durations
//! use a monotonic clock; the wall clock only stamps records and reveals suspend/resume jumps.

mod analysis;
mod export;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Instant, SystemTime};

pub use analysis::{analyze, analyze_with_probes, Analysis, DropNearEvents, NearEvent, Pattern};

/// Single records as JSON text, for bindings that hand them on as dicts.
pub fn export_drop(d: &DropRecord) -> String {
    export::drop_value(d).to_string()
}
pub fn export_connection(c: &ConnectionRecord) -> String {
    export::connection_value(c).to_string()
}
pub fn export_metrics(m: &Metrics) -> String {
    export::metrics_value(m).to_string()
}
pub fn export_analysis(a: &Analysis) -> String {
    export::analysis_value(a).to_string()
}
pub fn export_system_event(e: &SystemEvent) -> String {
    export::system_event_value(e).to_string()
}

use crate::timefmt::UtcTime;

/// A moment as the collector sees it: seconds on its monotonic clock, and the wall clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    pub mono: f64,
    pub wall: SystemTime,
}

/// Where a collector's stamps come from; the real one, or a scripted one in tests.
pub trait Clock: Send {
    fn now(&self) -> Stamp;
}

pub struct SystemClock {
    epoch: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self { epoch: Instant::now() }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Stamp {
        Stamp { mono: self.epoch.elapsed().as_secs_f64(), wall: SystemTime::now() }
    }
}

/// One drop, as `ConnectionDropEvent` shows it, plus when it happened on the monotonic clock.
#[derive(Debug, Clone, PartialEq)]
pub struct DropRecord {
    pub timestamp: String,
    pub error_name: Option<String>,
    pub error_message: Option<String>,
    pub error_code: Option<i64>,
    pub reconnect_attempt: i64,
    pub duration_connected_seconds: Option<f64>,
    pub active_subscriptions: i64,
    pub queued_commands: i64,
    pub cause: Option<String>,
    /// MQTT 5: the reason code and string the server gave (DISCONNECT or CONNACK).
    pub reason_code: Option<i64>,
    pub reason_string: Option<String>,
    pub at: f64,
    /// Messages published in the burst window just before the drop.
    pub messages_before: u64,
}

/// One successful (re)connection, as `ConnectionEvent` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRecord {
    pub timestamp: String,
    pub event_type: String,
    pub session_present: bool,
    pub return_code: Option<i64>,
    pub attempt_number: i64,
    pub time_to_reconnect_seconds: Option<f64>,
}

/// The aggregate counters of `MqttMetrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub total_connections: u64,
    pub total_disconnects: u64,
    pub total_connection_drops: u64,
    pub total_reconnect_attempts: u64,
    pub longest_session_seconds: f64,
    pub shortest_session_seconds: f64,
    pub average_session_seconds: f64,
    pub current_session_uptime_seconds: f64,
    pub connection_drops_by_error: BTreeMap<String, u64>,
    pub reconnection_attempts_distribution: Vec<(&'static str, u64)>,
    pub last_drop_timestamp: Option<String>,
    pub last_successful_connect_timestamp: Option<String>,
    pub connection_recovered: u64,
    pub messages_published: u64,
    pub messages_queued: u64,
}

/// Something the host reported (or the collector noticed) that may explain drops.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemEvent {
    pub at: f64,
    pub timestamp: String,
    pub kind: String,
    pub detail: String,
}

/// What a caller passes when recording a drop.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DropInput {
    pub error_name: Option<String>,
    pub error_message: Option<String>,
    pub error_code: Option<i64>,
    pub cause: Option<String>,
    pub reconnect_attempt: i64,
    pub active_subscriptions: i64,
    pub queued_commands: i64,
    pub reason_code: Option<i64>,
    pub reason_string: Option<String>,
}

/// How far back a publish counts as "just before" a drop.
pub const BURST_WINDOW_SECS: f64 = 10.0;
/// A wall-clock step this large against the monotonic clock is a suspend/resume or clock set.
pub const CLOCK_JUMP_SECS: f64 = 5.0;

pub struct Collector {
    pub max_events_retained: usize,
    clock: Box<dyn Clock>,
    created: Stamp,
    drops: VecDeque<DropRecord>,
    connections: VecDeque<ConnectionRecord>,
    sessions: VecDeque<f64>,
    system_events: VecDeque<SystemEvent>,
    /// (monotonic time, healthy) of each path probe a host monitor made.
    path_probes: VecDeque<(f64, bool)>,
    recent_publishes: VecDeque<f64>,
    session_start: Option<f64>,
    last_drop_at: Option<f64>,
    /// wall − mono at the last observation, to spot jumps of the wall clock.
    wall_offset: f64,
    // Running totals over the whole life (not only the retained window).
    metrics: Metrics,
    session_total_seconds: f64,
    session_count: u64,
    aws_error_counts: BTreeMap<String, u64>,
    drop_causes: BTreeMap<String, u64>,
}

fn wall_secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn push_bounded<T>(ring: &mut VecDeque<T>, item: T, cap: usize) {
    while ring.len() >= cap.max(1) {
        ring.pop_front();
    }
    ring.push_back(item);
}

impl Collector {
    pub fn new(max_events_retained: usize, clock: Box<dyn Clock>) -> Self {
        let created = clock.now();
        Self {
            max_events_retained: max_events_retained.max(1),
            clock,
            created,
            drops: VecDeque::new(),
            connections: VecDeque::new(),
            sessions: VecDeque::new(),
            system_events: VecDeque::new(),
            path_probes: VecDeque::new(),
            recent_publishes: VecDeque::new(),
            session_start: None,
            last_drop_at: None,
            wall_offset: wall_secs(created.wall) - created.mono,
            metrics: Metrics {
                total_connections: 0,
                total_disconnects: 0,
                total_connection_drops: 0,
                total_reconnect_attempts: 0,
                longest_session_seconds: 0.0,
                shortest_session_seconds: f64::INFINITY,
                average_session_seconds: 0.0,
                current_session_uptime_seconds: 0.0,
                connection_drops_by_error: BTreeMap::new(),
                reconnection_attempts_distribution: Vec::new(),
                last_drop_timestamp: None,
                last_successful_connect_timestamp: None,
                connection_recovered: 0,
                messages_published: 0,
                messages_queued: 0,
            },
            session_total_seconds: 0.0,
            session_count: 0,
            aws_error_counts: BTreeMap::new(),
            drop_causes: BTreeMap::new(),
        }
    }

    /// Reads the clock, noting a wall-clock jump as a system event.
    fn tick(&mut self) -> Stamp {
        let now = self.clock.now();
        let offset = wall_secs(now.wall) - now.mono;
        let jump = offset - self.wall_offset;
        if jump.abs() >= CLOCK_JUMP_SECS {
            let detail = format!("wall clock moved {jump:+.1} s against the monotonic clock (suspend/resume or clock change)");
            self.push_system_event(now, "clock_jump", detail);
        }
        self.wall_offset = offset;
        now
    }

    fn push_system_event(&mut self, at: Stamp, kind: &str, detail: String) {
        let event = SystemEvent { at: at.mono, timestamp: UtcTime::from_system(at.wall).iso8601(), kind: kind.into(), detail };
        push_bounded(&mut self.system_events, event, self.max_events_retained);
    }

    pub fn record_drop(&mut self, input: DropInput) -> DropRecord {
        let now = self.tick();
        // Measured from the session start; before any recorded connection, from the collector's
        // creation (the diagnostics guide never records the first connect). After a drop with no
        // recovery recorded since, from that drop, so one session is never counted twice.
        let since = self.session_start.or(self.last_drop_at).unwrap_or(self.created.mono);
        let duration = (now.mono - since).max(0.0);
        if self.session_start.take().is_some() || self.last_drop_at.is_none() {
            self.add_session(duration);
        }
        while self.recent_publishes.front().is_some_and(|t| now.mono - t > BURST_WINDOW_SECS) {
            self.recent_publishes.pop_front();
        }
        let timestamp = UtcTime::from_system(now.wall).iso8601();
        let record = DropRecord {
            timestamp: timestamp.clone(),
            error_name: input.error_name.filter(|n| !n.is_empty()),
            error_message: input.error_message,
            error_code: input.error_code,
            reconnect_attempt: input.reconnect_attempt,
            duration_connected_seconds: Some(duration),
            active_subscriptions: input.active_subscriptions,
            queued_commands: input.queued_commands,
            cause: input.cause.filter(|c| !c.is_empty()),
            reason_code: input.reason_code,
            reason_string: input.reason_string.filter(|r| !r.is_empty()),
            at: now.mono,
            messages_before: self.recent_publishes.len() as u64,
        };
        self.metrics.total_connection_drops += 1;
        if let Some(name) = &record.error_name {
            *self.aws_error_counts.entry(name.clone()).or_default() += 1;
            *self.metrics.connection_drops_by_error.entry(name.clone()).or_default() += 1;
        }
        if let Some(cause) = &record.cause {
            *self.drop_causes.entry(cause.clone()).or_default() += 1;
            if cause == "normal" {
                self.metrics.total_disconnects += 1;
            }
        }
        self.metrics.last_drop_timestamp = Some(timestamp);
        self.last_drop_at = Some(now.mono);
        push_bounded(&mut self.drops, record.clone(), self.max_events_retained);
        record
    }

    fn add_session(&mut self, duration: f64) {
        push_bounded(&mut self.sessions, duration, self.max_events_retained);
        self.session_count += 1;
        self.session_total_seconds += duration;
        let m = &mut self.metrics;
        m.longest_session_seconds = m.longest_session_seconds.max(duration);
        m.shortest_session_seconds = m.shortest_session_seconds.min(duration);
        m.average_session_seconds = self.session_total_seconds / self.session_count as f64;
    }

    pub fn record_connection(
        &mut self,
        event_type: &str,
        session_present: bool,
        return_code: Option<i64>,
        attempt_number: i64,
    ) -> ConnectionRecord {
        let now = self.tick();
        if event_type == "connected" {
            self.metrics.total_connections += 1;
        } else {
            self.metrics.connection_recovered += 1;
        }
        // Only a recovery measures time since the drop it recovered from.
        let time_to_reconnect = match (event_type, self.last_drop_at) {
            ("connected", _) | (_, None) => None,
            (_, Some(at)) => Some((now.mono - at).max(0.0)),
        };
        if event_type != "connected" {
            self.last_drop_at = None;
        }
        self.session_start = Some(now.mono);
        let timestamp = UtcTime::from_system(now.wall).iso8601();
        self.metrics.current_session_uptime_seconds = 0.0;
        self.metrics.last_successful_connect_timestamp = Some(timestamp.clone());
        let record = ConnectionRecord {
            timestamp,
            event_type: event_type.to_string(),
            session_present,
            return_code,
            attempt_number,
            time_to_reconnect_seconds: time_to_reconnect,
        };
        push_bounded(&mut self.connections, record.clone(), self.max_events_retained);
        record
    }

    /// An intentional disconnect: it ends the session and counts in `total_disconnects`.
    pub fn record_disconnect(&mut self) {
        let now = self.tick();
        if let Some(start) = self.session_start.take() {
            self.add_session((now.mono - start).max(0.0));
        }
        self.metrics.total_disconnects += 1;
    }

    pub fn record_reconnect_attempt(&mut self) {
        self.metrics.total_reconnect_attempts += 1;
    }

    pub fn record_publish(&mut self, queued: bool) {
        if queued {
            self.metrics.messages_queued += 1;
            return;
        }
        self.metrics.messages_published += 1;
        let now = self.clock.now().mono;
        while self.recent_publishes.front().is_some_and(|t| now - t > BURST_WINDOW_SECS) {
            self.recent_publishes.pop_front();
        }
        // Bounded too: a burst larger than the ring is "many" whatever its exact size.
        push_bounded(&mut self.recent_publishes, now, self.max_events_retained.max(10_000));
    }

    pub fn record_system_event(&mut self, kind: &str, detail: &str) {
        let now = self.tick();
        self.push_system_event(now, kind, detail.to_string());
    }

    /// A host monitor's probe of the path to the endpoint (DNS and a TCP connect).
    pub fn record_path_probe(&mut self, healthy: bool) {
        let now = self.clock.now().mono;
        push_bounded(&mut self.path_probes, (now, healthy), self.max_events_retained);
    }

    pub fn drop_count(&self) -> u64 {
        self.metrics.total_connection_drops
    }

    pub fn metrics(&mut self) -> Metrics {
        let now = self.tick();
        if let Some(start) = self.session_start {
            self.metrics.current_session_uptime_seconds = (now.mono - start).max(0.0);
        }
        let mut buckets: Vec<(&'static str, u64)> = Vec::new();
        for drop in &self.drops {
            let bucket = match drop.reconnect_attempt {
                n if n <= 1 => "1",
                n if n <= 5 => "2-5",
                n if n <= 10 => "6-10",
                _ => "11+",
            };
            match buckets.iter_mut().find(|(b, _)| *b == bucket) {
                Some(entry) => entry.1 += 1,
                None => buckets.push((bucket, 1)),
            }
        }
        self.metrics.reconnection_attempts_distribution = buckets;
        self.metrics.clone()
    }

    pub fn recent_drops(&self, limit: usize) -> Vec<DropRecord> {
        tail(&self.drops, limit)
    }

    pub fn recent_connections(&self, limit: usize) -> Vec<ConnectionRecord> {
        tail(&self.connections, limit)
    }

    pub fn system_events(&self) -> Vec<SystemEvent> {
        self.system_events.iter().cloned().collect()
    }

    pub fn recent_system_events(&self, limit: usize) -> Vec<SystemEvent> {
        tail(&self.system_events, limit)
    }

    pub fn session_durations(&self) -> Vec<f64> {
        self.sessions.iter().copied().collect()
    }

    pub fn aws_error_counts(&self) -> &BTreeMap<String, u64> {
        &self.aws_error_counts
    }

    pub fn drop_causes(&self) -> &BTreeMap<String, u64> {
        &self.drop_causes
    }

    pub fn total_sessions(&self) -> u64 {
        self.session_count
    }

    pub fn analyze(&self) -> Analysis {
        let probes: Vec<(f64, bool)> = self.path_probes.iter().copied().collect();
        analyze_with_probes(&self.drops.iter().cloned().collect::<Vec<_>>(), &self.system_events(), &probes)
    }

    pub fn export_json(&mut self) -> String {
        export::to_json(self)
    }

    pub fn summary_lines(&mut self) -> Vec<String> {
        export::summary_lines(self)
    }

    pub fn now_iso(&self) -> String {
        UtcTime::from_system(self.clock.now().wall).iso8601()
    }
}

/// The last `limit` items; 0 means all (the reference's slicing).
fn tail<T: Clone>(ring: &VecDeque<T>, limit: usize) -> Vec<T> {
    let skip = if limit == 0 { 0 } else { ring.len().saturating_sub(limit) };
    ring.iter().skip(skip).cloned().collect()
}

#[cfg(test)]
pub(crate) mod tests;
