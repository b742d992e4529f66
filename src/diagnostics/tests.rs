use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::analysis::REGULAR_VARIATION;
use super::*;

/// A clock the test moves by hand; `jump` moves only the wall clock (a suspend/resume).
#[derive(Clone)]
pub(crate) struct ScriptedClock(Arc<Mutex<Stamp>>);

impl ScriptedClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Stamp { mono: 0.0, wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) })))
    }
    pub fn advance(&self, secs: f64) {
        let mut s = self.0.lock().unwrap();
        s.mono += secs;
        s.wall += Duration::from_secs_f64(secs);
    }
    pub fn jump(&self, secs: f64) {
        self.0.lock().unwrap().wall += Duration::from_secs_f64(secs);
    }
}

impl Clock for ScriptedClock {
    fn now(&self) -> Stamp {
        *self.0.lock().unwrap()
    }
}

fn collector(cap: usize) -> (Collector, ScriptedClock) {
    let clock = ScriptedClock::new();
    (Collector::new(cap, Box::new(clock.clone())), clock)
}

fn hangup() -> DropInput {
    DropInput {
        error_name: Some("AWS_ERROR_MQTT_UNEXPECTED_HANGUP".into()),
        error_code: Some(5134),
        error_message: Some("AWS_ERROR_MQTT_UNEXPECTED_HANGUP: closed".into()),
        cause: Some("tcp_closed".into()),
        ..DropInput::default()
    }
}

#[test]
fn first_drop_measures_from_creation_and_counts_by_error() {
    let (mut c, clock) = collector(10);
    clock.advance(42.0);
    let d = c.record_drop(hangup());
    assert_eq!(d.duration_connected_seconds, Some(42.0));
    let m = c.metrics();
    assert_eq!(m.total_connection_drops, 1);
    assert_eq!(m.connection_drops_by_error.get("AWS_ERROR_MQTT_UNEXPECTED_HANGUP"), Some(&1));
    assert_eq!(c.aws_error_counts().get("AWS_ERROR_MQTT_UNEXPECTED_HANGUP"), Some(&1));
}

#[test]
fn two_drops_without_recovery_count_one_session() {
    let (mut c, clock) = collector(10);
    c.record_connection("connected", false, Some(0), 0);
    clock.advance(10.0);
    c.record_drop(hangup());
    clock.advance(5.0);
    let second = c.record_drop(hangup());
    assert_eq!(second.duration_connected_seconds, Some(5.0));
    assert_eq!(c.total_sessions(), 1);
}

#[test]
fn recovery_time_and_session_stats() {
    let (mut c, clock) = collector(10);
    c.record_connection("connected", false, Some(0), 0);
    clock.advance(100.0);
    c.record_drop(hangup());
    clock.advance(3.0);
    let r = c.record_connection("resumed", true, Some(0), 2);
    assert_eq!(r.time_to_reconnect_seconds, Some(3.0));
    clock.advance(50.0);
    c.record_drop(hangup());
    let m = c.metrics();
    assert_eq!((m.longest_session_seconds, m.shortest_session_seconds, m.average_session_seconds), (100.0, 50.0, 75.0));
    assert_eq!((m.total_connections, m.connection_recovered), (1, 1));
    // A later manual connect is not a recovery from that old drop.
    let again = c.record_connection("connected", false, None, 0);
    assert_eq!(again.time_to_reconnect_seconds, None);
}

#[test]
fn memory_is_bounded_and_json_is_strict() {
    let (mut c, clock) = collector(5);
    for _ in 0..50 {
        clock.advance(1.0);
        c.record_drop(hangup());
        c.record_connection("resumed", false, None, 1);
    }
    assert_eq!(c.recent_drops(0).len(), 5);
    assert_eq!(c.recent_connections(0).len(), 5);
    assert_eq!(c.session_durations().len(), 5);
    assert_eq!(c.metrics().total_connection_drops, 50);
    let (mut empty, _) = collector(5);
    let text = empty.export_json();
    assert!(!text.contains("Infinity") && !text.contains("NaN"));
    assert!(text.contains("\"shortest_session_seconds\": null"));
}

#[test]
fn buckets_follow_the_reference() {
    let (mut c, _) = collector(100);
    for attempt in [0, 1, 2, 5, 6, 10, 11, 40] {
        c.record_drop(DropInput { reconnect_attempt: attempt, ..hangup() });
    }
    let m = c.metrics();
    assert_eq!(m.reconnection_attempts_distribution, vec![("1", 2), ("2-5", 2), ("6-10", 2), ("11+", 2)]);
}

#[test]
fn intentional_disconnects_are_counted() {
    let (mut c, clock) = collector(10);
    c.record_connection("connected", false, None, 0);
    clock.advance(7.0);
    c.record_disconnect();
    let m = c.metrics();
    assert_eq!((m.total_disconnects, m.longest_session_seconds), (1, 7.0));
}

#[test]
fn patterns() {
    // A fixed period.
    let (mut c, clock) = collector(100);
    for _ in 0..5 {
        clock.advance(20.0);
        c.record_drop(hangup());
    }
    assert_eq!(c.analyze().pattern, Pattern::RegularIntervals);

    // Random gaps, few messages.
    let (mut c, clock) = collector(100);
    for gap in [3.0, 40.0, 7.0, 90.0, 15.0] {
        clock.advance(gap);
        c.record_drop(hangup());
    }
    let a = c.analyze();
    assert_eq!(a.pattern, Pattern::Irregular);
    assert!(a.evidence.interval_variation.unwrap() > REGULAR_VARIATION);

    // Bursts right before each drop.
    let (mut c, clock) = collector(100);
    for gap in [13.0, 40.0, 17.0, 90.0] {
        clock.advance(gap);
        for _ in 0..30 {
            c.record_publish(false);
        }
        c.record_drop(hangup());
    }
    let a = c.analyze();
    assert_eq!(a.pattern, Pattern::AfterManyMessages);
    assert_eq!(a.evidence.messages_before_drops, vec![30, 30, 30, 30]);

    // A suspend/resume (wall clock jumps ahead) just before the drops.
    let (mut c, clock) = collector(100);
    for gap in [3.0, 40.0, 7.0] {
        clock.advance(gap);
        clock.jump(600.0);
        c.record_drop(hangup());
    }
    let a = c.analyze();
    assert_eq!(a.pattern, Pattern::DuringSystemEvents);
    assert_eq!(a.evidence.clock_jumps, 3);

    let (mut c, _) = collector(100);
    c.record_drop(hangup());
    assert_eq!(c.analyze().pattern, Pattern::InsufficientData);
}

#[test]
fn host_events_name_the_drops_they_precede_and_a_healthy_path_points_at_the_server() {
    // Three drops, each 2 s after a link change; the drop's own tcp_stats note is not a cause.
    let (mut c, clock) = collector(100);
    for i in 0..3 {
        clock.advance(100.0);
        c.record_path_probe(true);
        c.record_system_event("link", &format!("wlan0 up -> down ({i})"));
        clock.advance(2.0);
        c.record_drop(hangup());
        c.record_system_event("tcp_stats", "in the 60 s before the drop: retransmitted segments +4");
    }
    let a = c.analyze();
    assert_eq!(a.pattern, Pattern::DuringSystemEvents);
    assert_eq!(a.evidence.drops_near_system_events, 3);
    let near = &a.evidence.host_events_near_drops;
    assert_eq!(near.len(), 3);
    assert!(near.iter().all(|d| d.events.iter().all(|e| e.kind == "link")), "{near:?}");
    assert!((near[2].events[0].seconds_before_drop - 2.0).abs() < 1e-9);
    assert!(a.recommendation().contains("Host events near 3 of 3 drops: link (3)"));
    assert_eq!(a.evidence.drops_with_healthy_path, 0);

    // Three drops with only healthy probes around them and no host event: the server side.
    let (mut c, clock) = collector(100);
    for _ in 0..3 {
        clock.advance(90.0);
        c.record_path_probe(true);
        clock.advance(30.0);
        c.record_drop(hangup());
        c.record_system_event("tcp_stats", "in the 60 s before the drop: retransmitted segments +0");
    }
    let a = c.analyze();
    assert_eq!(a.evidence.drops_near_system_events, 0);
    assert!(a.evidence.host_monitored);
    assert_eq!(a.evidence.drops_with_healthy_path, 3);
    assert!(a.recommendation().contains("the server side closed the link"), "{}", a.recommendation());

    // A failed probe near a drop makes the path unhealthy; without a monitor nothing is claimed.
    let (mut c, clock) = collector(100);
    clock.advance(10.0);
    c.record_path_probe(false);
    clock.advance(1.0);
    c.record_drop(hangup());
    assert_eq!(c.analyze().evidence.drops_with_healthy_path, 0);
    let (mut c, _) = collector(100);
    c.record_drop(hangup());
    let a = c.analyze();
    assert!(!a.evidence.host_monitored);
    assert!(!a.recommendation().contains("server side"));

    // A cron job every minute is near a drop only when it ran within seconds of it.
    let (mut c, clock) = collector(100);
    for _ in 0..3 {
        clock.advance(60.0);
        c.record_system_event("journal", "cron: CRON: (root) CMD (backup)");
        clock.advance(30.0);
        c.record_drop(hangup());
    }
    assert_eq!(c.analyze().evidence.drops_near_system_events, 0);
    clock.advance(60.0);
    c.record_system_event("journal", "cron: CRON: (root) CMD (backup)");
    clock.advance(2.0);
    c.record_drop(hangup());
    assert_eq!(c.analyze().evidence.drops_near_system_events, 1);
}

#[test]
fn exports_carry_the_newest_system_events_bounded() {
    let (mut c, _) = collector(1000);
    for i in 0..(export::EXPORTED_SYSTEM_EVENTS + 50) {
        c.record_system_event("dns", &format!("event {i}"));
    }
    let v: serde_json::Value = serde_json::from_str(&c.export_json()).unwrap();
    let events = v["system_events"].as_array().unwrap();
    assert_eq!(events.len(), export::EXPORTED_SYSTEM_EVENTS);
    assert_eq!(events.last().unwrap()["detail"], format!("event {}", export::EXPORTED_SYSTEM_EVENTS + 49));
    assert_eq!(events[0]["kind"], "dns");
}
