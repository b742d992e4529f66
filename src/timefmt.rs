//! UTC calendar formatting without a date-time dependency: SigV4 and the diagnostics records
//! only ever need "now, in UTC, as text".

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

impl UtcTime {
    pub fn from_system(t: SystemTime) -> Self {
        let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Self::from_unix(since.as_secs() as i64, since.subsec_micros())
    }

    pub fn from_unix(secs: i64, micros: u32) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Self { year, month, day, hour: rem / 3600, minute: rem % 3600 / 60, second: rem % 60, micros }
    }

    /// `YYYYMMDD`, the SigV4 credential-scope date.
    pub fn date_stamp(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// `YYYYMMDDTHHMMSSZ`, the SigV4 `X-Amz-Date`.
    pub fn amz_date(&self) -> String {
        format!("{}T{:02}{:02}{:02}Z", self.date_stamp(), self.hour, self.minute, self.second)
    }

    /// ISO 8601 with microseconds and an explicit UTC offset, as Python's
    /// `datetime.now(UTC).isoformat()` writes it.
    pub fn iso8601(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.micros
        )
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]` to Unix seconds. A time without an offset is
/// read as UTC (nwp500 9.3.0 reads naive stored timestamps that way).
pub fn parse_iso8601(text: &str) -> Option<f64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-');
    let (year, month, day): (i64, u32, u32) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    let (clock, offset) = match rest.find(['Z', 'z', '+']).or_else(|| rest.rfind('-').filter(|i| *i >= 8)) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut c = clock.splitn(3, ':');
    let hour: u32 = c.next()?.parse().ok()?;
    let minute: u32 = c.next()?.parse().ok()?;
    let seconds: f64 = c.next().unwrap_or("0").parse().ok()?;
    if !(0..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || !(0.0..61.0).contains(&seconds) {
        return None;
    }
    let offset_secs = match offset {
        "" | "Z" | "z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            // Sliced with `get`: the text comes from the network, and a byte index inside a
            // multi-byte character must be a parse failure, not a panic.
            let body = o.get(1..)?;
            let (h, m) = match body.split_once(':') {
                Some(parts) => parts,
                None => (body.get(..2.min(body.len()))?, body.get(2.min(body.len())..)?),
            };
            let (h, m) = (h.parse::<i64>().ok()?, if m.is_empty() { 0 } else { m.parse::<i64>().ok()? });
            if !(0..=24).contains(&h) || !(0..=59).contains(&m) {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 - offset_secs) as f64 + seconds)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let t = UtcTime::from_unix(0, 0);
        assert_eq!(t.amz_date(), "19700101T000000Z");
        // 2024-02-29T12:34:56Z, a leap day.
        let t = UtcTime::from_unix(1_709_210_096, 7);
        assert_eq!(t.amz_date(), "20240229T123456Z");
        assert_eq!(t.iso8601(), "2024-02-29T12:34:56.000007+00:00");
        // 2000-03-01, just after a century leap day.
        assert_eq!(UtcTime::from_unix(951_868_800, 0).date_stamp(), "20000301");
    }

    #[test]
    fn parses_what_it_writes_and_naive_stored_times() {
        assert_eq!(parse_iso8601("2024-02-29T12:34:56.000007+00:00"), Some(1_709_210_096.000_007));
        assert_eq!(parse_iso8601("2024-02-29T12:34:56Z"), Some(1_709_210_096.0));
        assert_eq!(parse_iso8601("2024-02-29T12:34:56"), Some(1_709_210_096.0));
        assert_eq!(parse_iso8601("2024-02-29T14:34:56+02:00"), Some(1_709_210_096.0));
        assert_eq!(parse_iso8601("1970-01-01T00:00:00"), Some(0.0));
        assert_eq!(parse_iso8601("nonsense"), None);
    }

    #[test]
    fn text_from_the_network_never_panics_the_parser() {
        let base = "2024-02-29T14:34:56.5+02:00";
        for insert in ["é", "\u{1F600}", "\u{0}", "-", ":", "+", "Z", "99999999999999999"] {
            for i in 0..=base.len() {
                let text = format!("{}{insert}{}", &base[..i], &base[i..]);
                for (cut, _) in text.char_indices() {
                    let _ = parse_iso8601(&text[..cut]);
                }
            }
        }
        assert_eq!(parse_iso8601("2024-02-29T14:34:56+0é:00"), None);
        assert_eq!(parse_iso8601("2024-02-29T14:34:56+é"), None);
        assert_eq!(parse_iso8601("99999999999-02-29T14:34:56"), None);
    }
}
