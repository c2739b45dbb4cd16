//! The per-token rate limit: a token bucket per bearer token, on each node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::token::TokenId;

/// Requests per second a token may make on one node, and the burst it may
/// make at once. A fleet of `n` nodes behind a balancer lets a token make up
/// to `n` times as many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second (at least 1).
    pub per_second: u32,
    /// Requests allowed at once after a quiet period (at least 1).
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit { per_second: 100, burst: 200 }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of the tokens seen so far: one per authenticated token, so
/// their number is bounded by the token table.
#[derive(Debug)]
pub(crate) struct Limiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<TokenId, Bucket>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Limiter {
        Limiter {
            rate: f64::from(limit.per_second.max(1)),
            burst: f64::from(limit.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `token`'s bucket at `now`; or, if it is empty,
    /// says how long until it holds one again.
    pub(crate) fn take(&self, token: TokenId, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock cannot happen without a panic; refuse nothing then.
            return Ok(());
        };
        let bucket = buckets.entry(token).or_insert(Bucket { tokens: self.burst, at: now });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_bucket_empties_and_refills_at_the_rate() {
        let limiter = Limiter::new(RateLimit { per_second: 10, burst: 3 });
        let (a, b) = (TokenId::from_bytes([1; 8]), TokenId::from_bytes([2; 8]));
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(a, t), Ok(()));
        }
        let wait = limiter.take(a, t).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        // Another token has its own bucket.
        assert_eq!(limiter.take(b, t), Ok(()));
        // 100 ms later, one request again; not two.
        let later = t + Duration::from_millis(100);
        assert_eq!(limiter.take(a, later), Ok(()));
        assert!(limiter.take(a, later).is_err());
        // A long pause refills to the burst, no further.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.take(a, much_later), Ok(()));
        }
        assert!(limiter.take(a, much_later).is_err());
    }
}
