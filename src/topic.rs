//! MQTT topic names and filters: matching, with nwp500's documented quirks kept (reference
//! §11 Q-S4: `a/#` also matches `a`, `$`-topics are not special, `+` only counts as a whole
//! level), and the checks every topic passes before it may reach the link. A topic the broker
//! would answer by closing the connection must never be sent: it would turn into a drop that
//! repeats after every reconnect.

/// The encoded length limit of an MQTT string.
const MAX_TOPIC_BYTES: usize = 65_535;
/// AWS IoT Core closes the connection on a larger PUBLISH payload.
pub const MAX_PAYLOAD_BYTES: usize = 128 * 1024;

fn common(topic: &str, what: &str) -> Result<(), String> {
    if topic.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err(format!("{what} must be at most {MAX_TOPIC_BYTES} bytes, got {}", topic.len()));
    }
    if topic.contains('\0') {
        return Err(format!("{what} must not contain a NUL character"));
    }
    Ok(())
}

/// A topic name a PUBLISH may carry: no wildcards.
pub fn check_name(topic: &str) -> Result<(), String> {
    common(topic, "topic")?;
    if topic.contains(['+', '#']) {
        // Topics carry the device's MAC address: errors show them redacted.
        let shown = crate::redact::topic(topic);
        return Err(format!("topic '{shown}' must not contain the wildcards '+' or '#' (only subscriptions may)"));
    }
    Ok(())
}

/// A topic filter a SUBSCRIBE may carry: `+` fills a whole level, `#` is the whole last level.
pub fn check_filter(filter: &str) -> Result<(), String> {
    common(filter, "topic filter")?;
    let shown = || crate::redact::topic(filter);
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i + 1 != levels.len()) {
            return Err(format!("topic filter '{}': '#' must be the whole last level", shown()));
        }
        if level.contains('+') && *level != "+" {
            return Err(format!("topic filter '{}': '+' must fill a whole level", shown()));
        }
    }
    Ok(())
}

pub fn check_payload(len: usize) -> Result<(), String> {
    if len > MAX_PAYLOAD_BYTES {
        return Err(format!("payload is {len} bytes; AWS IoT accepts at most {MAX_PAYLOAD_BYTES}"));
    }
    Ok(())
}

pub fn matches(topic: &str, pattern: &str) -> bool {
    let mut t = topic.split('/');
    let mut p = pattern.split('/');
    loop {
        match (p.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(pl), Some(tl)) if pl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_filters_are_checked() {
        assert!(check_name("cmd/52/navilink-ab/st").is_ok());
        for bad in ["", "a/#", "a/+/b", "#", "a\0b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in ["a/#", "#", "+", "a/+/b", "+/+", "a//b", "/"] {
            assert!(check_filter(good).is_ok(), "{good:?}");
        }
        for bad in ["", "a/#/b", "a#", "a/b+", "+a/b", "##"] {
            assert!(check_filter(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(65_536)).is_err());
        assert!(check_payload(MAX_PAYLOAD_BYTES).is_ok());
        assert!(check_payload(MAX_PAYLOAD_BYTES + 1).is_err());
        for bad in [check_name("cmd/52/navilink-04786332fca0/#"), check_filter("cmd/52/navilink-04786332fca0/#/x")] {
            assert!(!bad.unwrap_err().contains("04786332fca0"), "a MAC address in an error");
        }
    }

    #[test]
    fn wildcards() {
        assert!(matches("cmd/52/navilink-ab/st", "cmd/52/navilink-ab/#"));
        assert!(matches("cmd/52/navilink-ab", "cmd/52/navilink-ab/#"));
        assert!(matches("a/x/c", "a/+/c"));
        assert!(!matches("a/x/y/c", "a/+/c"));
        assert!(matches("a/b", "a/b"));
        assert!(!matches("a/b", "a/b/c"));
        assert!(!matches("a/b/c", "a/b"));
        assert!(matches("$SYS/x", "#"));
        assert!(matches("a/b+", "a/b+"));
        assert!(!matches("a/bc", "a/b+"));
    }
}
