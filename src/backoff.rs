//! When to try again: the reconnect schedule, kept free of I/O so it can be tested exactly.

use std::time::Duration;

/// The reconnect schedule of one client (TARGET §4.6).
///
/// Attempt `n` (1-based) waits `min(initial * multiplier^(n-1), max)` before it runs, scaled by a
/// jitter factor drawn from [0.5, 1.5) and capped again, as nwp500-python 9.3.0 does. Every
/// `deep_threshold`-th attempt is a deep one (fresh credentials, rebuilt transport).
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    pub initial_delay: f64,
    pub max_delay: f64,
    pub multiplier: f64,
    pub jitter: bool,
    pub deep_threshold: u32,
    /// Negative means unlimited.
    pub max_attempts: i64,
}

/// AWS IoT refuses more than one CONNECT per second per client id.
pub const MIN_CONNECT_SPACING: Duration = Duration::from_secs(1);

/// A connection must stay up this long before the attempt counter starts again from zero, so a
/// link that flaps right after each CONNACK keeps backing off instead of hammering the broker.
pub const STABLE_CONNECTION: Duration = Duration::from_secs(30);

impl ReconnectPolicy {
    /// The delay before attempt `attempt`, without jitter.
    pub fn base_delay(&self, attempt: u32) -> f64 {
        let exponent = attempt.saturating_sub(1).min(1024) as i32;
        let raw = self.initial_delay * self.multiplier.powi(exponent);
        if raw.is_finite() {
            raw.min(self.max_delay)
        } else {
            self.max_delay
        }
    }

    /// The delay before attempt `attempt`; `unit` is a uniform draw from [0, 1) used for jitter.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let base = self.base_delay(attempt);
        let seconds = if self.jitter {
            (base * (0.5 + unit.clamp(0.0, 1.0))).min(self.max_delay)
        } else {
            base
        };
        Duration::from_secs_f64(seconds.max(0.0))
    }

    pub fn is_deep(&self, attempt: u32) -> bool {
        let threshold = self.deep_threshold.max(1);
        attempt >= threshold && attempt % threshold == 0
    }

    pub fn unlimited(&self) -> bool {
        self.max_attempts < 0
    }

    /// True once `attempts` attempts have been made and no more are allowed.
    pub fn exhausted(&self, attempts: u32) -> bool {
        !self.unlimited() && i64::from(attempts) >= self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ReconnectPolicy {
        ReconnectPolicy {
            initial_delay: 1.0,
            max_delay: 120.0,
            multiplier: 2.0,
            jitter: false,
            deep_threshold: 10,
            max_attempts: -1,
        }
    }

    #[test]
    fn default_schedule_matches_the_reference_table() {
        let p = policy();
        let delays: Vec<f64> = (1..=11).map(|n| p.base_delay(n)).collect();
        assert_eq!(delays, [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 120.0, 120.0, 120.0, 120.0]);
    }

    #[test]
    fn deep_attempts_are_multiples_of_the_threshold() {
        let p = policy();
        let deep: Vec<u32> = (1..=30).filter(|n| p.is_deep(*n)).collect();
        assert_eq!(deep, [10, 20, 30]);
        let p0 = ReconnectPolicy { deep_threshold: 0, ..policy() };
        assert!(p0.is_deep(1), "a zero threshold is treated as one, never a division by zero");
    }

    #[test]
    fn jitter_stays_within_half_and_one_and_a_half_and_under_the_cap() {
        let p = ReconnectPolicy { jitter: true, ..policy() };
        for attempt in 1..12 {
            let base = p.base_delay(attempt);
            let low = p.delay(attempt, 0.0).as_secs_f64();
            let high = p.delay(attempt, 0.999_999).as_secs_f64();
            assert!((low - base * 0.5).abs() < 1e-9);
            assert!(high <= 120.0 + 1e-9 && high >= base.min(120.0) * 1.0);
        }
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let p = policy();
        assert_eq!(p.base_delay(u32::MAX), 120.0);
    }

    #[test]
    fn limits() {
        let p = ReconnectPolicy { max_attempts: 3, ..policy() };
        assert!(!p.exhausted(2));
        assert!(p.exhausted(3));
        assert!(!policy().exhausted(1_000_000));
        let zero = ReconnectPolicy { max_attempts: 0, ..policy() };
        assert!(zero.exhausted(0));
    }
}
