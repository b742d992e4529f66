//! The device's unit encodings. Setpoints travel in half-degrees Celsius; the reference rounds
//! with Python's `round`, half to even, and so do we, so the same input gives the same wire
//! value (140 °F → 120, 95 °F → 70).

/// Rounds to the nearest integer, ties to even.
pub fn round_half_even(x: f64) -> i64 {
    let floor = x.floor();
    let diff = x - floor;
    let r = if (diff - 0.5).abs() < 1e-9 {
        if floor % 2.0 == 0.0 {
            floor
        } else {
            floor + 1.0
        }
    } else {
        x.round()
    };
    r as i64
}

pub fn fahrenheit_to_half_celsius(f: f64) -> i64 {
    round_half_even((f - 32.0) * 5.0 / 9.0 * 2.0)
}

pub fn half_celsius_to_fahrenheit(raw: f64) -> f64 {
    raw / 2.0 * 9.0 / 5.0 + 32.0
}
