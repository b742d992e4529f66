//! The diagnostics guide's *Pattern Analysis Reference*, applied to the recorded history:
//! which of its four patterns the drops form, the numbers that say so, and the guide's advice.

use super::{DropRecord, SystemEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    RegularIntervals,
    Irregular,
    AfterManyMessages,
    DuringSystemEvents,
    InsufficientData,
}

impl Pattern {
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::RegularIntervals => "regular_intervals",
            Pattern::Irregular => "irregular",
            Pattern::AfterManyMessages => "after_many_messages",
            Pattern::DuringSystemEvents => "during_system_events",
            Pattern::InsufficientData => "insufficient_data",
        }
    }

    pub fn likely_cause(self) -> &'static str {
        match self {
            Pattern::RegularIntervals => "AWS connection lifetime limit or a scheduled event",
            Pattern::Irregular => "Network intermittency: NAT timeout, Wi-Fi issues",
            Pattern::AfterManyMessages => "Rate limiting, message buffer overflow or AWS quota",
            Pattern::DuringSystemEvents => "Power save mode, Wi-Fi state change, updates or cron jobs",
            Pattern::InsufficientData => "Not enough drops recorded to tell",
        }
    }

    pub fn recommendation(self) -> &'static str {
        match self {
            Pattern::RegularIntervals => {
                "Check CloudWatch connection counts and rejections, whether drops occur at the same time daily, \
                 AWS Device Defender logs and AWS quota limits. Fix: contact AWS Support if hitting a limit."
            }
            Pattern::Irregular => {
                "Check continuous ping to the AWS endpoint (packet loss), TCP retransmits, the NAT idle timeout \
                 and Wi-Fi signal strength. Fix: reduce keep_alive_secs to 60-120 seconds."
            }
            Pattern::AfterManyMessages => {
                "Check message throughput in CloudWatch, the AWS IoT quota (messages/second/connection) and \
                 QoS/buffer settings. Fix: reduce the message rate or check the AWS quota."
            }
            Pattern::DuringSystemEvents => {
                "Check system logs (journalctl, syslog), power management settings, cron jobs and DHCP lease \
                 renewals. Fix: disable power save, reschedule conflicting jobs, fix Wi-Fi."
            }
            Pattern::InsufficientData => {
                "Keep collecting: at least 3 drops are needed (the guide suggests a 24+ hour baseline)."
            }
        }
    }
}

/// The numbers behind a verdict.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence {
    pub drops_analyzed: usize,
    pub intervals_seconds: Vec<f64>,
    pub mean_interval_seconds: Option<f64>,
    pub interval_stdev_seconds: Option<f64>,
    /// Standard deviation over mean: near 0 for a fixed period.
    pub interval_variation: Option<f64>,
    pub messages_before_drops: Vec<u64>,
    pub drops_after_bursts: usize,
    pub system_events: usize,
    pub clock_jumps: usize,
    pub drops_near_system_events: usize,
    /// For each drop with host events near it: the drop's time and those events, nearest first.
    pub host_events_near_drops: Vec<DropNearEvents>,
    /// Whether a host monitor probed the path (so "healthy path" below means something).
    pub host_monitored: bool,
    /// Drops with only successful path probes around them and no host event near them.
    pub drops_with_healthy_path: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropNearEvents {
    pub drop_timestamp: String,
    pub events: Vec<NearEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NearEvent {
    pub kind: String,
    pub detail: String,
    /// Positive: the event came first.
    pub seconds_before_drop: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub pattern: Pattern,
    pub evidence: Evidence,
}

impl Analysis {
    /// The guide's recommendation for the pattern, followed by what the host monitor adds:
    /// which host events came before drops, or that the path was healthy (the server side).
    pub fn recommendation(&self) -> String {
        let e = &self.evidence;
        let mut text = self.pattern.recommendation().to_string();
        if !e.host_events_near_drops.is_empty() {
            // Each drop counts once per kind seen near it.
            let mut kinds: Vec<(String, usize)> = Vec::new();
            for d in &e.host_events_near_drops {
                let mut seen: Vec<&str> = d.events.iter().map(|n| n.kind.as_str()).collect();
                seen.sort_unstable();
                seen.dedup();
                for kind in seen {
                    match kinds.iter_mut().find(|(k, _)| k == kind) {
                        Some(entry) => entry.1 += 1,
                        None => kinds.push((kind.to_string(), 1)),
                    }
                }
            }
            kinds.sort_by(|a, b| b.1.cmp(&a.1));
            let named: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} ({n})")).collect();
            let last = &e.host_events_near_drops[e.host_events_near_drops.len() - 1].events[0];
            let when = if last.seconds_before_drop >= 0.0 {
                format!("{:.0} s before it", last.seconds_before_drop)
            } else {
                format!("{:.0} s after it", -last.seconds_before_drop)
            };
            text.push_str(&format!(
                " Host events near {} of {} drops: {}; nearest the latest drop, {when}: {}: {}.",
                e.drops_near_system_events, e.drops_analyzed, named.join(", "), last.kind, last.detail
            ));
        }
        if e.host_monitored && e.drops_with_healthy_path > 0 {
            text.push_str(&format!(
                " For {} of {} drops the path to the endpoint was healthy (DNS and TCP probes succeeded) and the host \
                 saw nothing: the server side closed the link. Check for a second client with the same client id, \
                 the AWS IoT policy, and AWS IoT quotas.",
                e.drops_with_healthy_path, e.drops_analyzed
            ));
        }
        text
    }
}

pub const MIN_DROPS: usize = 3;
/// Drops with a system event within this window before them (or just after) count as "during".
pub const SYSTEM_EVENT_WINDOW_SECS: f64 = 60.0;
/// An event this long after a drop still counts: the probe the drop triggers reports a dead
/// path only after its connect timeout.
pub const AFTER_DROP_SECS: f64 = 10.0;
/// Path probes this far around a drop say whether the path was healthy.
pub const PATH_WINDOW_SECS: f64 = 180.0;
/// Kinds that describe a drop rather than explain it (recorded because of the drop).
const EVIDENCE_ONLY: &[&str] = &["tcp_stats"];
/// A cron job runs on a schedule whether or not anything drops: one that runs every minute
/// would otherwise sit "near" every drop. It counts only this close to one, either side.
const CRON_WINDOW_SECS: f64 = 5.0;

/// How long before a drop (and after it) an event of this kind can explain it.
fn window(e: &SystemEvent) -> (f64, f64) {
    if e.kind == "journal" && e.detail.starts_with("cron:") {
        (CRON_WINDOW_SECS, CRON_WINDOW_SECS)
    } else {
        (SYSTEM_EVENT_WINDOW_SECS, AFTER_DROP_SECS)
    }
}
/// Kept in the evidence at most: drops (the newest), and events per drop (the nearest).
const MAX_NEAR_DROPS: usize = 50;
const MAX_EVENTS_PER_DROP: usize = 5;
/// This many publishes in the burst window before a drop make it a drop "after many messages".
pub const BURST_MESSAGES: u64 = 20;
/// Interval variation at or below this is a regular period.
pub const REGULAR_VARIATION: f64 = 0.2;

pub fn analyze(drops: &[DropRecord], events: &[SystemEvent]) -> Analysis {
    analyze_with_probes(drops, events, &[])
}

/// `probes`: (monotonic time, path healthy) of every path probe a host monitor made.
pub fn analyze_with_probes(drops: &[DropRecord], events: &[SystemEvent], probes: &[(f64, bool)]) -> Analysis {
    let mut evidence = Evidence {
        drops_analyzed: drops.len(),
        messages_before_drops: drops.iter().map(|d| d.messages_before).collect(),
        system_events: events.len(),
        clock_jumps: events.iter().filter(|e| e.kind == "clock_jump").count(),
        ..Evidence::default()
    };
    evidence.intervals_seconds = drops.windows(2).map(|w| (w[1].at - w[0].at).max(0.0)).collect();
    if !evidence.intervals_seconds.is_empty() {
        let n = evidence.intervals_seconds.len() as f64;
        let mean = evidence.intervals_seconds.iter().sum::<f64>() / n;
        let var = evidence.intervals_seconds.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        evidence.mean_interval_seconds = Some(mean);
        evidence.interval_stdev_seconds = Some(var.sqrt());
        evidence.interval_variation = (mean > 0.0).then(|| var.sqrt() / mean);
    }
    evidence.drops_after_bursts = drops.iter().filter(|d| d.messages_before >= BURST_MESSAGES).count();
    let causes: Vec<&SystemEvent> = events.iter().filter(|e| !EVIDENCE_ONLY.contains(&e.kind.as_str())).collect();
    let near_events = |d: &DropRecord| {
        let mut found: Vec<&SystemEvent> = causes
            .iter()
            .filter(|e| {
                let (before, after) = window(e);
                (-after..=before).contains(&(d.at - e.at))
            })
            .copied()
            .collect();
        found.sort_by(|a, b| (d.at - a.at).abs().total_cmp(&(d.at - b.at).abs()));
        found.truncate(MAX_EVENTS_PER_DROP);
        found
            .into_iter()
            .map(|e| NearEvent { kind: e.kind.clone(), detail: e.detail.clone(), seconds_before_drop: d.at - e.at })
            .collect::<Vec<_>>()
    };
    let mut near = Vec::new();
    for d in drops {
        match near_events(d) {
            events if !events.is_empty() => near.push(DropNearEvents { drop_timestamp: d.timestamp.clone(), events }),
            _ => {
                let around: Vec<bool> =
                    probes.iter().filter(|(t, _)| (-AFTER_DROP_SECS..=PATH_WINDOW_SECS).contains(&(d.at - t))).map(|p| p.1).collect();
                if !around.is_empty() && around.iter().all(|ok| *ok) {
                    evidence.drops_with_healthy_path += 1;
                }
            }
        }
    }
    evidence.drops_near_system_events = near.len();
    evidence.host_events_near_drops = near.split_off(near.len().saturating_sub(MAX_NEAR_DROPS));
    evidence.host_monitored = !probes.is_empty();

    let majority = |count: usize| count * 2 >= drops.len() && count > 0;
    let pattern = if drops.len() < MIN_DROPS {
        Pattern::InsufficientData
    } else if majority(evidence.drops_near_system_events) {
        Pattern::DuringSystemEvents
    } else if evidence.interval_variation.is_some_and(|v| v <= REGULAR_VARIATION) {
        Pattern::RegularIntervals
    } else if evidence.drops_after_bursts * 3 >= drops.len() * 2 {
        Pattern::AfterManyMessages
    } else {
        Pattern::Irregular
    };
    Analysis { pattern, evidence }
}
