//! Keeping device identities out of logs: topics carry the water heater's MAC address.

/// Masks `navilink-<mac>` segments and any bare 12-hex-digit MAC in a topic.
pub fn topic(topic: &str) -> String {
    topic
        .split('/')
        .map(|segment| {
            if segment.starts_with("navilink-") {
                "navilink-<REDACTED>".to_string()
            } else if segment.len() == 12 && segment.chars().all(|c| c.is_ascii_hexdigit()) {
                "<REDACTED>".to_string()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_macs() {
        assert_eq!(super::topic("cmd/52/navilink-04786332fca0/st"), "cmd/52/navilink-<REDACTED>/st");
        assert_eq!(super::topic("evt/52/04786332fca0/x"), "evt/52/<REDACTED>/x");
        assert_eq!(super::topic("plain/topic"), "plain/topic");
    }
}
