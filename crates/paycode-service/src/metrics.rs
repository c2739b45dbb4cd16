//! The node's counters, in the Prometheus text exposition format (version 0.0.4).

use core::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use paycode::Error;
use paycode::store::StoreErrorKind;

/// Upper bounds of the latency histogram's buckets, seconds.
const LATENCY_BOUNDS: [f64; 14] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// The store failure kinds, as labels.
const STORE_KINDS: [(&str, Option<StoreErrorKind>); 8] = [
    ("unavailable", Some(StoreErrorKind::Unavailable)),
    ("full", Some(StoreErrorKind::Full)),
    ("read-only", Some(StoreErrorKind::ReadOnly)),
    ("busy", Some(StoreErrorKind::Busy)),
    ("incompatible", Some(StoreErrorKind::Incompatible)),
    ("corrupt", Some(StoreErrorKind::Corrupt)),
    ("in-doubt", Some(StoreErrorKind::InDoubt)),
    ("other", None),
];

/// The refusals before verification, by HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 401: no token, or a wrong, unknown or revoked one.
    Unauthorized,
    /// 400: the body is not the request's JSON.
    BadRequest,
    /// 413: the body is larger than the limit.
    TooLarge,
    /// 429: the token's rate limit.
    RateLimited,
    /// 408: the body did not arrive in time.
    Timeout,
    /// 431: the request head is larger than the limit.
    HeadTooLarge,
}

const REFUSALS: [(Refusal, &str); 6] = [
    (Refusal::Unauthorized, "401"),
    (Refusal::BadRequest, "400"),
    (Refusal::TooLarge, "413"),
    (Refusal::RateLimited, "429"),
    (Refusal::Timeout, "408"),
    (Refusal::HeadTooLarge, "431"),
];

/// The counters of one node.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    accepted: AtomicU64,
    rejected: [AtomicU64; Error::ALL.len()],
    store_errors: [AtomicU64; STORE_KINDS.len()],
    refusals: [AtomicU64; REFUSALS.len()],
    buckets: [AtomicU64; LATENCY_BOUNDS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
    runs: AtomicU64,
    run_verifications: AtomicU64,
}

impl Metrics {
    /// Counts one verification: its verdict, the store's failure if one
    /// caused it, and its latency.
    pub(crate) fn verification(
        &self,
        verdict: Result<(), Error>,
        store: Option<StoreErrorKind>,
        latency: Duration,
    ) {
        match verdict {
            Ok(()) => add(&self.accepted),
            Err(e) => {
                if let Some(c) = Error::ALL.iter().position(|x| *x == e).and_then(|i| self.rejected.get(i)) {
                    add(c);
                }
            }
        }
        if let Some(kind) = store {
            let i = STORE_KINDS.iter().position(|(_, k)| *k == Some(kind)).unwrap_or(STORE_KINDS.len() - 1);
            if let Some(c) = self.store_errors.get(i) {
                add(c);
            }
        }
        let secs = latency.as_secs_f64();
        for (bound, bucket) in LATENCY_BOUNDS.iter().zip(&self.buckets) {
            if secs <= *bound {
                add(bucket);
            }
        }
        add(&self.latency_count);
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Counts one run of `n` of the issuer's verifications made as one store call.
    pub(crate) fn run(&self, n: usize) {
        add(&self.runs);
        self.run_verifications.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Counts one refusal.
    pub(crate) fn refusal(&self, refusal: Refusal) {
        if let Some(c) = REFUSALS.iter().position(|(r, _)| *r == refusal).and_then(|i| self.refusals.get(i)) {
            add(c);
        }
    }

    /// The text exposition of every counter.
    pub(crate) fn render(&self, live_tokens: usize) -> String {
        let mut out = String::with_capacity(4096);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.push_str("# HELP paycode_verifications_total Verifications by verdict and spec error code.\n");
        out.push_str("# TYPE paycode_verifications_total counter\n");
        let _ = writeln!(
            out,
            "paycode_verifications_total{{verdict=\"accepted\",code=\"accepted\"}} {}",
            get(&self.accepted)
        );
        for (e, c) in Error::ALL.iter().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "paycode_verifications_total{{verdict=\"rejected\",code=\"{}\"}} {}",
                e.code(),
                get(c)
            );
        }
        out.push_str(
            "# HELP paycode_store_errors_total State store failures during verifications, by kind.\n",
        );
        out.push_str("# TYPE paycode_store_errors_total counter\n");
        for ((label, _), c) in STORE_KINDS.iter().zip(&self.store_errors) {
            let _ = writeln!(out, "paycode_store_errors_total{{kind=\"{label}\"}} {}", get(c));
        }
        out.push_str("# HELP paycode_refusals_total Requests refused before verification, by HTTP status.\n");
        out.push_str("# TYPE paycode_refusals_total counter\n");
        for ((_, status), c) in REFUSALS.iter().zip(&self.refusals) {
            let _ = writeln!(out, "paycode_refusals_total{{status=\"{status}\"}} {}", get(c));
        }
        out.push_str(
            "# HELP paycode_verification_duration_seconds Time from a verify request's arrival to its verdict.\n",
        );
        out.push_str("# TYPE paycode_verification_duration_seconds histogram\n");
        for (bound, c) in LATENCY_BOUNDS.iter().zip(&self.buckets) {
            let _ =
                writeln!(out, "paycode_verification_duration_seconds_bucket{{le=\"{bound}\"}} {}", get(c));
        }
        let count = get(&self.latency_count);
        let _ = writeln!(out, "paycode_verification_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = Duration::from_nanos(get(&self.latency_sum_nanos)).as_secs_f64();
        let _ = writeln!(out, "paycode_verification_duration_seconds_sum {sum}");
        let _ = writeln!(out, "paycode_verification_duration_seconds_count {count}");
        out.push_str(
            "# HELP paycode_store_runs_total Runs of the issuer's verifications made as one store call \
             (one transaction on PostgreSQL).\n",
        );
        out.push_str("# TYPE paycode_store_runs_total counter\n");
        let _ = writeln!(out, "paycode_store_runs_total {}", get(&self.runs));
        out.push_str("# HELP paycode_store_run_verifications_total The verifications in those runs.\n");
        out.push_str("# TYPE paycode_store_run_verifications_total counter\n");
        let _ = writeln!(out, "paycode_store_run_verifications_total {}", get(&self.run_verifications));
        out.push_str(
            "# HELP paycode_tokens_live Live bearer tokens in this node's copy of the token table.\n",
        );
        out.push_str("# TYPE paycode_tokens_live gauge\n");
        let _ = writeln!(out, "paycode_tokens_live {live_tokens}");
        out
    }
}

fn add(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn value(text: &str, series: &str) -> u64 {
        let line =
            text.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' ')).unwrap();
        line[series.len() + 1..].parse().unwrap()
    }

    #[test]
    fn counts_show_in_the_exposition() {
        let m = Metrics::default();
        m.verification(Ok(()), None, Duration::from_micros(300));
        m.verification(Err(Error::Replayed), None, Duration::from_millis(3));
        m.verification(
            Err(Error::StateUnavailable),
            Some(StoreErrorKind::Unavailable),
            Duration::from_secs(9),
        );
        m.refusal(Refusal::Unauthorized);
        m.refusal(Refusal::Unauthorized);
        let text = m.render(4);
        assert_eq!(value(&text, r#"paycode_verifications_total{verdict="accepted",code="accepted"}"#), 1);
        assert_eq!(value(&text, r#"paycode_verifications_total{verdict="rejected",code="replayed"}"#), 1);
        assert_eq!(value(&text, r#"paycode_verifications_total{verdict="rejected",code="too-old"}"#), 0);
        assert_eq!(value(&text, r#"paycode_store_errors_total{kind="unavailable"}"#), 1);
        assert_eq!(value(&text, r#"paycode_refusals_total{status="401"}"#), 2);
        // Buckets are cumulative: 300 µs falls in le=0.0005 and above, 3 ms in le=0.005 and above.
        assert_eq!(value(&text, r#"paycode_verification_duration_seconds_bucket{le="0.00025"}"#), 0);
        assert_eq!(value(&text, r#"paycode_verification_duration_seconds_bucket{le="0.0005"}"#), 1);
        assert_eq!(value(&text, r#"paycode_verification_duration_seconds_bucket{le="0.005"}"#), 2);
        assert_eq!(value(&text, r#"paycode_verification_duration_seconds_bucket{le="2.5"}"#), 2);
        assert_eq!(value(&text, r#"paycode_verification_duration_seconds_bucket{le="+Inf"}"#), 3);
        assert_eq!(value(&text, "paycode_verification_duration_seconds_count"), 3);
        assert_eq!(value(&text, "paycode_tokens_live"), 4);
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, v) = line.rsplit_once(' ').unwrap();
            assert!(v.parse::<f64>().is_ok(), "{line}");
        }
    }
}
