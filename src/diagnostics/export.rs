//! The JSON export (9.3.0's keys, plus `drop_causes` and `analysis`) and the summary lines.
//! Non-finite numbers become `null`, so any strict JSON parser reads the export.

use serde_json::{json, Map, Value};

use super::{Collector, ConnectionRecord, DropRecord, Metrics};

fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

fn opt_num(x: Option<f64>) -> Value {
    x.map_or(Value::Null, num)
}

pub fn metrics_value(m: &Metrics) -> Value {
    let mut buckets = Map::new();
    for (bucket, count) in &m.reconnection_attempts_distribution {
        buckets.insert((*bucket).to_string(), json!(count));
    }
    json!({
        "total_connections": m.total_connections,
        "total_disconnects": m.total_disconnects,
        "total_connection_drops": m.total_connection_drops,
        "total_reconnect_attempts": m.total_reconnect_attempts,
        "longest_session_seconds": num(m.longest_session_seconds),
        "shortest_session_seconds": num(m.shortest_session_seconds),
        "average_session_seconds": num(m.average_session_seconds),
        "current_session_uptime_seconds": num(m.current_session_uptime_seconds),
        "connection_drops_by_error": m.connection_drops_by_error,
        "reconnection_attempts_distribution": Value::Object(buckets),
        "last_drop_timestamp": m.last_drop_timestamp,
        "last_successful_connect_timestamp": m.last_successful_connect_timestamp,
        "connection_recovered": m.connection_recovered,
        "messages_published": m.messages_published,
        "messages_queued": m.messages_queued,
    })
}

pub fn drop_value(d: &DropRecord) -> Value {
    json!({
        "timestamp": d.timestamp,
        "error_name": d.error_name,
        "error_message": d.error_message,
        "error_code": d.error_code,
        "reconnect_attempt": d.reconnect_attempt,
        "duration_connected_seconds": opt_num(d.duration_connected_seconds),
        "active_subscriptions": d.active_subscriptions,
        "queued_commands": d.queued_commands,
        "cause": d.cause,
        "reason_code": d.reason_code,
        "reason_string": d.reason_string,
    })
}

pub fn connection_value(c: &ConnectionRecord) -> Value {
    json!({
        "timestamp": c.timestamp,
        "event_type": c.event_type,
        "session_present": c.session_present,
        "return_code": c.return_code,
        "attempt_number": c.attempt_number,
        "time_to_reconnect_seconds": opt_num(c.time_to_reconnect_seconds),
    })
}

pub fn analysis_value(a: &super::Analysis) -> Value {
    let e = &a.evidence;
    json!({
        "pattern": a.pattern.as_str(),
        "likely_cause": a.pattern.likely_cause(),
        "recommendation": a.recommendation(),
        "evidence": {
            "drops_analyzed": e.drops_analyzed,
            "intervals_seconds": e.intervals_seconds.iter().map(|x| num(*x)).collect::<Vec<_>>(),
            "mean_interval_seconds": opt_num(e.mean_interval_seconds),
            "interval_stdev_seconds": opt_num(e.interval_stdev_seconds),
            "interval_variation": opt_num(e.interval_variation),
            "messages_before_drops": e.messages_before_drops,
            "drops_after_bursts": e.drops_after_bursts,
            "system_events": e.system_events,
            "clock_jumps": e.clock_jumps,
            "drops_near_system_events": e.drops_near_system_events,
            "host_events_near_drops": e.host_events_near_drops.iter().map(|d| json!({
                "drop_timestamp": d.drop_timestamp,
                "events": d.events.iter().map(|n| json!({
                    "kind": n.kind,
                    "detail": n.detail,
                    "seconds_before_drop": num(n.seconds_before_drop),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "host_monitored": e.host_monitored,
            "drops_with_healthy_path": e.drops_with_healthy_path,
        },
    })
}

/// The newest system events an export carries (the collector keeps `max_events_retained`).
pub const EXPORTED_SYSTEM_EVENTS: usize = 200;

pub fn system_event_value(e: &super::SystemEvent) -> Value {
    json!({"timestamp": e.timestamp, "kind": e.kind, "detail": e.detail})
}

pub fn to_json(c: &mut Collector) -> String {
    let metrics = c.metrics();
    let sessions = c.session_durations();
    let sample: Vec<Value> = sessions.iter().skip(sessions.len().saturating_sub(20)).map(|x| num(*x)).collect();
    let export = json!({
        "timestamp": c.now_iso(),
        "metrics": metrics_value(&metrics),
        "recent_drops": c.recent_drops(50).iter().map(drop_value).collect::<Vec<_>>(),
        "recent_connections": c.recent_connections(50).iter().map(connection_value).collect::<Vec<_>>(),
        "aws_error_counts": c.aws_error_counts(),
        "session_history_summary": {"total_sessions": c.total_sessions(), "sample_durations": sample},
        "drop_causes": c.drop_causes(),
        "system_events": c.recent_system_events(EXPORTED_SYSTEM_EVENTS).iter().map(system_event_value).collect::<Vec<_>>(),
        "analysis": analysis_value(&c.analyze()),
    });
    serde_json::to_string_pretty(&export).unwrap_or_else(|_| "{}".to_string())
}

/// The reference's summary, one log line per entry.
pub fn summary_lines(c: &mut Collector) -> Vec<String> {
    let m = c.metrics();
    let rule = "=".repeat(70);
    let thin = "-".repeat(70);
    let mut lines = vec![
        rule.clone(),
        "MQTT CONNECTION DIAGNOSTICS SUMMARY".into(),
        rule.clone(),
        format!("Total Connections: {}", m.total_connections),
        format!("Total Connection Drops: {}", m.total_connection_drops),
        format!("Successful Reconnections: {}", m.connection_recovered),
        format!("Total Reconnection Attempts: {}", m.total_reconnect_attempts),
        thin.clone(),
        "SESSION DURATION STATISTICS".into(),
        thin.clone(),
    ];
    if c.total_sessions() > 0 {
        lines.push(format!("Longest Session: {:.1}s", m.longest_session_seconds));
        lines.push(format!("Shortest Session: {:.1}s", m.shortest_session_seconds));
        lines.push(format!("Average Session: {:.1}s", m.average_session_seconds));
    }
    lines.push(format!("Current Session Uptime: {:.1}s", m.current_session_uptime_seconds));
    if !m.connection_drops_by_error.is_empty() {
        lines.extend([thin.clone(), "CONNECTION DROPS BY ERROR TYPE".into(), thin.clone()]);
        let mut by_error: Vec<_> = m.connection_drops_by_error.iter().collect();
        by_error.sort_by(|a, b| b.1.cmp(a.1));
        lines.extend(by_error.into_iter().map(|(name, count)| format!("  {name}: {count}")));
    }
    if !m.reconnection_attempts_distribution.is_empty() {
        lines.extend([thin.clone(), "RECONNECTION ATTEMPTS DISTRIBUTION".into(), thin.clone()]);
        let mut buckets = m.reconnection_attempts_distribution.clone();
        buckets.sort_by(|a, b| a.0.cmp(b.0));
        lines.extend(buckets.into_iter().map(|(bucket, count)| format!("  Attempts {bucket}: {count}")));
    }
    lines.extend([
        thin,
        format!("Messages Published: {}", m.messages_published),
        format!("Messages Queued: {}", m.messages_queued),
        rule,
    ]);
    lines
}
