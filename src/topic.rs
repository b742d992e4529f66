//! MQTT topic-filter matching, with nwp500's documented quirks kept (reference §11 Q-S4):
//! `a/#` also matches `a`, `$`-topics are not special, and `+` only counts as a whole level.

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
    use super::matches;

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
