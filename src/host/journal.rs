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

/// What the kernel says about links and sleep, as phrases (not single words: "resum" would
/// match "Connection resumed", "lease" would match "please").
const KERNEL_PHRASES: &[(&str, &str)] = &[
    ("pm: suspend entry", "suspend"),
    ("pm: suspend exit", "suspend"),
    ("pm: hibernation", "suspend"),
    ("deauthenticating from", "wifi"),
    ("disassociated from", "wifi"),
    (": associated", "wifi"),
    ("link is down", "network"),
    ("link is up", "network"),
    ("link becomes ready", "network"),
];

/// `Some(detail)` for a line worth an event: "<topic>: <identifier>: <message>", shortened.
/// Only the sources above count, and the kernel's lines only for the phrases above: anything
/// else (an application's own log, this library's included) is not a host event.
pub fn classify(identifier: &str, message: &str) -> Option<String> {
    let topic = match SOURCES.iter().find(|(id, _)| identifier.eq_ignore_ascii_case(id)) {
        Some((_, topic)) => *topic,
        None if identifier == "kernel" => {
            let lower = message.to_ascii_lowercase();
            KERNEL_PHRASES.iter().find(|(p, _)| lower.contains(p)).map(|(_, t)| *t)?
        }
        None => return None,
    };
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
    // Our own process's lines (a service logging to the journal) are never host events.
    if field("_PID") == std::process::id().to_string() {
        return Some(None);
    }
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
        // Words inside other words, and applications' own lines, are not host events.
        assert!(classify("python3", "Connection resumed after 2 attempts").is_none());
        assert!(classify("homeassistant", "please release the lease").is_none());
        assert!(classify("kernel", "usb 1-1: new high-speed USB device").is_none());
        assert_eq!(classify("kernel", "e1000e: eth0 NIC Link is Down").unwrap(), "network: kernel: e1000e: eth0 NIC Link is Down");
        let long = classify("dhclient", &"x".repeat(500)).unwrap();
        assert!(long.chars().count() < 200 && long.ends_with('…'));
    }
}
