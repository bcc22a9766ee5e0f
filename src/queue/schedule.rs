//! When to try again (SPEC: `--retry-base SECS`, doubling, capped at an
//! hour, with jitter so that a queue of many messages for one host does
//! not retry in lockstep; RFC 5321 §4.5.4.1 asks for at least 30 minutes
//! between tries to one host in production, which `--retry-base` allows).

use std::time::Duration;

/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);

/// The wait after the `attempts`-th failed attempt (1 = the first):
/// `base * 2^(attempts-1)`, at most [`MAX_DELAY`], spread by ±10 % with
/// `jitter` in `[0, 1)` (a random number; fixed in tests).
pub fn next_delay(attempts: u32, base: Duration, jitter: f64) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    let raw = base
        .saturating_mul(1u32 << doublings.min(31))
        .min(MAX_DELAY);
    let factor = 0.9 + 0.2 * jitter.clamp(0.0, 1.0);
    Duration::from_secs_f64(raw.as_secs_f64() * factor)
}

/// A cheap random number in `[0, 1)` for jitter (not for secrets):
/// the clock's nanoseconds through a 64-bit mix.
pub fn jitter() -> f64 {
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()).rotate_left(32);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_caps_and_jitters() {
        let base = Duration::from_secs(60);
        assert_eq!(next_delay(1, base, 0.5), Duration::from_secs(60));
        assert_eq!(next_delay(2, base, 0.5), Duration::from_secs(120));
        assert_eq!(next_delay(3, base, 0.5), Duration::from_secs(240));
        assert_eq!(next_delay(7, base, 0.5), MAX_DELAY);
        assert_eq!(next_delay(1000, base, 0.5), MAX_DELAY);
        assert_eq!(next_delay(1, base, 0.0), Duration::from_secs(54));
        assert!(next_delay(1, base, 0.999_999) <= Duration::from_secs(66));
        assert_eq!(
            next_delay(1, Duration::from_secs(1), 0.5),
            Duration::from_secs(1)
        );
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
