//! The system log's lines that explain drops (Wi-Fi, DHCP, suspend, cron, network managers),
//! followed live from `journalctl` where the journal is readable. The child runs with
//! kill-on-drop, so stopping the monitor ends it.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Which journal identifiers (and words, for everything else) matter, and under which name.
const SOURCES: &[(&str, &str)] = &[
    ("wpa_supplicant", "wifi"),
    ("iwd", "wifi"),
    ("NetworkManager", "network"),
    ("systemd-networkd", "network"),
    ("dhclient", "dhcp"),
    ("dhcpcd", "dhcp"),
    ("systemd-sleep", "suspend"),
    ("systemd-logind", "suspend"),
    ("CRON", "cron"),
    ("cron", "cron"),
    ("crond", "cron"),
];

const WORDS: &[(&str, &str)] = &[
    ("suspend", "suspend"),
    ("resum", "suspend"),
    ("dhcp", "dhcp"),
    ("lease", "dhcp"),
    ("deauth", "wifi"),
    ("disassoc", "wifi"),
    ("link is down", "network"),
    ("link is up", "network"),
    ("carrier", "network"),
];

/// `Some(detail)` for a line worth an event: "<topic>: <identifier>: <message>", shortened.
pub fn classify(identifier: &str, message: &str) -> Option<String> {
    let topic = SOURCES
        .iter()
        .find(|(id, _)| identifier.eq_ignore_ascii_case(id))
        .map(|(_, t)| *t)
        .or_else(|| {
            let lower = message.to_ascii_lowercase();
            WORDS.iter().find(|(w, _)| lower.contains(w)).map(|(_, t)| *t)
        })?;
    let mut text: String = message.chars().filter(|c| !c.is_control()).take(160).collect();
    if message.chars().count() > 160 {
        text.push('…');
    }
    Some(format!("{topic}: {identifier}: {text}"))
}

/// A running `journalctl --follow`, or why there is none.
pub fn spawn() -> Result<Child, String> {
    Command::new("journalctl")
        .args(["--follow", "--lines=0", "--output=json", "--quiet", "--no-pager"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("journal: journalctl not usable ({e})"))
}

/// The classified lines of `child`, one at a time, until the child ends.
pub async fn next_event(lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) -> Option<Option<String>> {
    let line = lines.next_line().await.ok()??;
    let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
        return Some(None);
    };
    let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let identifier = field("SYSLOG_IDENTIFIER");
    Some(classify(&identifier, &field("MESSAGE")))
}

pub fn lines(child: &mut Child) -> Option<tokio::io::Lines<BufReader<tokio::process::ChildStdout>>> {
    child.stdout.take().map(|out| BufReader::new(out).lines())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_explain_drops_are_kept() {
        assert_eq!(
            classify("wpa_supplicant", "wlan0: CTRL-EVENT-DISCONNECTED bssid=aa reason=3").as_deref(),
            Some("wifi: wpa_supplicant: wlan0: CTRL-EVENT-DISCONNECTED bssid=aa reason=3")
        );
        assert_eq!(classify("kernel", "PM: suspend entry (deep)").unwrap(), "suspend: kernel: PM: suspend entry (deep)");
        assert_eq!(classify("CRON", "(root) CMD (backup)").unwrap(), "cron: CRON: (root) CMD (backup)");
        assert!(classify("sshd", "Accepted publickey for root").is_none());
        let long = classify("dhclient", &"x".repeat(500)).unwrap();
        assert!(long.chars().count() < 200 && long.ends_with('…'));
    }
}
