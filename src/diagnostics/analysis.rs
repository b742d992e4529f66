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
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub pattern: Pattern,
    pub evidence: Evidence,
}

pub const MIN_DROPS: usize = 3;
/// Drops with a system event within this window before them (or just after) count as "during".
pub const SYSTEM_EVENT_WINDOW_SECS: f64 = 60.0;
/// This many publishes in the burst window before a drop make it a drop "after many messages".
pub const BURST_MESSAGES: u64 = 20;
/// Interval variation at or below this is a regular period.
pub const REGULAR_VARIATION: f64 = 0.2;

pub fn analyze(drops: &[DropRecord], events: &[SystemEvent]) -> Analysis {
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
    evidence.drops_near_system_events = drops
        .iter()
        .filter(|d| events.iter().any(|e| (-5.0..=SYSTEM_EVENT_WINDOW_SECS).contains(&(d.at - e.at))))
        .count();

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
