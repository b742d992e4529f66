//! What the host says about its network, read from Linux's /proc and /sys without privileges,
//! and the differences between two readings, worded for a person reading a drop report.
//! Each reader returns `None` where the kernel does not expose the signal (not Linux, a
//! container without /sys/class/net, no wireless extension), so the sampler can say once
//! that the signal is missing and go on.

use std::collections::BTreeMap;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One reading of everything local (cheap enough to take every second).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Interface → "up"/"down"/"dormant"/... (`operstate`), loopback left out.
    pub links: Option<BTreeMap<String, String>>,
    /// Interface → its addresses, sorted.
    pub addresses: Option<BTreeMap<String, Vec<String>>>,
    /// The default routes as "via GW dev IF" (IPv4, then IPv6), sorted.
    pub default_routes: Option<Vec<String>>,
    /// Wireless interface → signal level in dBm (`/proc/net/wireless`).
    pub wifi: Option<BTreeMap<String, f64>>,
    pub tcp: Option<TcpCounters>,
}

/// The counters of `/proc/net/snmp`'s Tcp line that tell a dying path from a healthy one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpCounters {
    pub retrans_segs: u64,
    pub out_rsts: u64,
    pub estab_resets: u64,
    pub attempt_fails: u64,
    pub in_errs: u64,
}

impl TcpCounters {
    pub fn delta_since(&self, earlier: &TcpCounters) -> TcpCounters {
        TcpCounters {
            retrans_segs: self.retrans_segs.saturating_sub(earlier.retrans_segs),
            out_rsts: self.out_rsts.saturating_sub(earlier.out_rsts),
            estab_resets: self.estab_resets.saturating_sub(earlier.estab_resets),
            attempt_fails: self.attempt_fails.saturating_sub(earlier.attempt_fails),
            in_errs: self.in_errs.saturating_sub(earlier.in_errs),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "retransmitted segments +{}, resets sent +{}, established connections reset +{}, failed connects +{}, bad segments +{}",
            self.retrans_segs, self.out_rsts, self.estab_resets, self.attempt_fails, self.in_errs
        )
    }
}

pub fn read_snapshot() -> Snapshot {
    Snapshot {
        links: read_links(),
        addresses: read_addresses(),
        default_routes: read_default_routes(),
        wifi: fs::read_to_string("/proc/net/wireless").ok().map(|t| parse_wireless(&t)),
        tcp: fs::read_to_string("/proc/net/snmp").ok().and_then(|t| parse_snmp_tcp(&t)),
    }
}

fn read_links() -> Option<BTreeMap<String, String>> {
    let mut links = BTreeMap::new();
    for entry in fs::read_dir("/sys/class/net").ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "lo" {
            continue;
        }
        let state = fs::read_to_string(entry.path().join("operstate")).unwrap_or_default();
        links.insert(name, state.trim().to_string());
    }
    Some(links)
}

/// Through getifaddrs(3): there is no /proc file for IPv4 addresses.
fn read_addresses() -> Option<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we only read and then free exactly once.
    unsafe {
        if libc::getifaddrs(&mut head) != 0 {
            return None;
        }
        let mut cur = head;
        while !cur.is_null() {
            let ifa = &*cur;
            cur = ifa.ifa_next;
            if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
                continue;
            }
            let name = std::ffi::CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned();
            if name == "lo" {
                continue;
            }
            let addr = match i32::from((*ifa.ifa_addr).sa_family) {
                libc::AF_INET => {
                    let sin = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))
                }
                libc::AF_INET6 => {
                    let sin6 = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))
                }
                _ => continue,
            };
            out.entry(name).or_default().push(addr.to_string());
        }
        libc::freeifaddrs(head);
    }
    for addrs in out.values_mut() {
        addrs.sort();
        addrs.dedup();
    }
    Some(out)
}

fn read_default_routes() -> Option<Vec<String>> {
    let v4 = fs::read_to_string("/proc/net/route").ok()?;
    let mut routes = parse_route_v4(&v4);
    if let Ok(v6) = fs::read_to_string("/proc/net/ipv6_route") {
        routes.extend(parse_route_v6(&v6));
    }
    routes.sort();
    Some(routes)
}

/// `/proc/net/route`: destination and gateway are little-endian hex; a default route has
/// destination 0 and mask 0.
pub fn parse_route_v4(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 || f[1] != "00000000" || f[7] != "00000000" {
                return None;
            }
            let gw = u32::from_str_radix(f[2], 16).ok()?;
            // Printed as the native reading of network-order bytes: the bytes in memory are the address.
            Some(format!("via {} dev {}", Ipv4Addr::from(gw.to_ne_bytes()), f[0]))
        })
        .collect()
}

/// `/proc/net/ipv6_route`: a default route has destination ::/0; loopback and unreachable
/// entries (flag 0x200 reject) are left out.
pub fn parse_route_v6(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[0] != "0".repeat(32) || f[1] != "00" || f[9] == "lo" {
                return None;
            }
            let flags = u32::from_str_radix(f[8], 16).ok()?;
            if flags & 0x200 != 0 {
                return None;
            }
            let gw = u128::from_str_radix(f[4], 16).ok()?;
            Some(format!("via {} dev {}", Ipv6Addr::from(gw), f[9]))
        })
        .collect()
}

pub fn parse_wireless(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let level: f64 = rest.split_whitespace().nth(2)?.trim_end_matches('.').parse().ok()?;
            Some((name.trim().to_string(), level))
        })
        .collect()
}

pub fn parse_snmp_tcp(text: &str) -> Option<TcpCounters> {
    let mut tcp = text.lines().filter(|l| l.starts_with("Tcp:"));
    let names: Vec<&str> = tcp.next()?.split_whitespace().collect();
    let values: Vec<&str> = tcp.next()?.split_whitespace().collect();
    let get = |key: &str| -> u64 {
        names.iter().position(|n| *n == key).and_then(|i| values.get(i)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    Some(TcpCounters {
        retrans_segs: get("RetransSegs"),
        out_rsts: get("OutRsts"),
        estab_resets: get("EstabResets"),
        attempt_fails: get("AttemptFails"),
        in_errs: get("InErrs"),
    })
}

/// The events between two readings: `(kind, detail)`, in a stable order.
pub fn changes(before: &Snapshot, after: &Snapshot) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (&before.links, &after.links) {
        for (name, state) in b {
            match a.get(name) {
                Some(old) if old != state => out.push(("link", format!("{name} {old} -> {state}"))),
                None => out.push(("link", format!("{name} appeared ({state})"))),
                _ => {}
            }
        }
        for name in a.keys().filter(|n| !b.contains_key(*n)) {
            out.push(("link", format!("{name} disappeared")));
        }
    }
    if let (Some(a), Some(b)) = (&before.addresses, &after.addresses) {
        let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for name in names {
            let (old, new) = (a.get(name).cloned().unwrap_or_default(), b.get(name).cloned().unwrap_or_default());
            let gone: Vec<&String> = old.iter().filter(|x| !new.contains(x)).collect();
            let came: Vec<&String> = new.iter().filter(|x| !old.contains(x)).collect();
            if !gone.is_empty() || !came.is_empty() {
                out.push(("address", format!("{name}: lost [{}], gained [{}]", join(&gone), join(&came))));
            }
        }
    }
    if let (Some(a), Some(b)) = (&before.default_routes, &after.default_routes) {
        if a != b {
            let show = |r: &Vec<String>| if r.is_empty() { "none".to_string() } else { r.join(", ") };
            out.push(("route", format!("default route {} -> {}", show(a), show(b))));
        }
    }
    if let (Some(a), Some(b)) = (&before.wifi, &after.wifi) {
        for (name, level) in b {
            match a.get(name) {
                None => out.push(("wifi", format!("{name} associated, signal {level:.0} dBm"))),
                Some(old) if (old - level).abs() >= WIFI_STEP_DB => {
                    out.push(("wifi", format!("{name} signal {old:.0} -> {level:.0} dBm")))
                }
                _ => {}
            }
        }
        for name in a.keys().filter(|n| !b.contains_key(*n)) {
            out.push(("wifi", format!("{name} lost its association")));
        }
    }
    out
}

/// A signal change this large is worth an event; smaller ones are the usual flutter.
pub const WIFI_STEP_DB: f64 = 10.0;

fn join(items: &[&String]) -> String {
    items.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// The seconds the machine spent suspended so far: CLOCK_BOOTTIME counts them, CLOCK_MONOTONIC
/// does not, so their difference grows by exactly the time asleep. Linux only; elsewhere the
/// signal is reported unavailable.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn suspended_seconds() -> Option<f64> {
    let read = |clock| {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec we own.
        (unsafe { libc::clock_gettime(clock, &mut ts) } == 0).then(|| ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9)
    };
    // Monotonic first: read second, boottime is never behind it, so no sleep reads as >= ~0.
    let monotonic = read(libc::CLOCK_MONOTONIC)?;
    Some(read(libc::CLOCK_BOOTTIME)? - monotonic)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn suspended_seconds() -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_routes_from_proc() {
        let v4 = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                  eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
                  eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(parse_route_v4(v4), vec!["via 192.168.1.1 dev eth0"]);
        let v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 wlan0\n\
                  00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo\n";
        assert_eq!(parse_route_v6(v6), vec!["via fe80::1 dev wlan0"]);
    }

    #[test]
    fn wireless_and_snmp() {
        let w = "Inter-| sta-|   Quality        |   Discarded packets\n face | tus | link level noise |  nwid\n wlan0: 0000   54.  -56.  -256        0\n";
        assert_eq!(parse_wireless(w).get("wlan0"), Some(&-56.0));
        let s = "Ip: Forwarding\nIp: 1\nTcp: RtoAlgorithm ActiveOpens AttemptFails EstabResets InErrs OutRsts RetransSegs\nTcp: 1 10 2 3 4 5 60\n";
        let c = parse_snmp_tcp(s).unwrap();
        assert_eq!((c.retrans_segs, c.out_rsts, c.estab_resets, c.attempt_fails, c.in_errs), (60, 5, 3, 2, 4));
        let later = TcpCounters { retrans_segs: 75, ..c };
        assert_eq!(later.delta_since(&c).retrans_segs, 15);
        assert!(later.delta_since(&c).describe().starts_with("retransmitted segments +15"));
    }

    #[test]
    fn changes_are_named() {
        let mut a = Snapshot {
            links: Some([("eth0".to_string(), "up".to_string())].into()),
            addresses: Some([("eth0".to_string(), vec!["10.0.0.2".to_string()])].into()),
            default_routes: Some(vec!["via 10.0.0.1 dev eth0".into()]),
            wifi: Some([("wlan0".to_string(), -50.0)].into()),
            tcp: None,
        };
        assert!(changes(&a, &a).is_empty());
        let b = Snapshot {
            links: Some([("eth0".to_string(), "down".to_string())].into()),
            addresses: Some([("eth0".to_string(), vec!["10.0.0.3".to_string()])].into()),
            default_routes: Some(vec![]),
            wifi: Some([("wlan0".to_string(), -75.0)].into()),
            tcp: None,
        };
        let got = changes(&a, &b);
        let kinds: Vec<&str> = got.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, vec!["link", "address", "route", "wifi"]);
        assert_eq!(got[0].1, "eth0 up -> down");
        assert_eq!(got[2].1, "default route via 10.0.0.1 dev eth0 -> none");
        a.wifi = Some(BTreeMap::new());
        assert_eq!(changes(&b, &a).last().unwrap().1, "wlan0 lost its association");
    }

    #[test]
    fn this_machine_reads() {
        let s = read_snapshot();
        assert!(s.tcp.is_some() && s.default_routes.is_some());
        assert!(suspended_seconds().is_some_and(|x| x > -0.001));
    }
}
