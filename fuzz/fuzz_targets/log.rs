//! `LogRecord::decode_log` on any bytes: no panic; what decodes re-encodes
//! to the same bytes; reconciliation of the records is consistent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::log::{LogRecord, RECORD_LEN, reconcile};
use paycode::{Error, Profile};

fuzz_target!(|data: &[u8]| {
    let Ok(records) = LogRecord::decode_log(data) else {
        let e = LogRecord::decode_log(data).unwrap_err();
        assert_eq!(e, Error::Malformed, "{e:?}");
        return;
    };
    assert_eq!(records.len() * RECORD_LEN, data.len());
    let again: Vec<u8> = records.iter().flat_map(|r| r.encode()).collect();
    assert_eq!(again, data);
    // The tolerance from the log's first byte, so that both outcomes of the order check occur.
    let tolerance = u64::from(data.first().copied().unwrap_or(0) % 8);
    // A limit on the first record's serial, from the log's second byte.
    let mut policy = paycode::log::Policy::with_tolerance(tolerance);
    if let Some(first) = records.first() {
        policy.limits.insert(first.subject, u64::from(data.get(1).copied().unwrap_or(0)) << 8);
    }
    let rec = reconcile(records.iter().copied(), &policy);
    assert_eq!(rec.records, records.len());
    for d in &rec.duplicates {
        assert!(d.records.len() >= 2);
        assert!(
            d.records.iter().all(|r| (r.profile, r.subject, r.counter) == (d.profile, d.subject, d.counter))
        );
        match d.profile {
            Profile::Ed25519 => assert!(rec.revoke_serials.contains(&d.subject)),
            Profile::Hmac => assert!(rec.flagged_accounts.contains(&d.subject)),
        }
    }
    let in_dups: usize = rec.duplicates.iter().map(|d| d.records.len()).sum();
    assert!(in_dups <= records.len());
    // Every flagged identity is to be revoked or disabled, and every out-of-order one has a witness pair.
    for f in &rec.flagged {
        let listed = match f.profile {
            Profile::Ed25519 => &rec.revoke_serials,
            Profile::Hmac => &rec.flagged_accounts,
        };
        assert!(listed.contains(&f.subject));
        let mine: Vec<&LogRecord> =
            records.iter().filter(|r| (r.profile, r.subject) == (f.profile, f.subject)).collect();
        let out_of_order = mine
            .iter()
            .any(|a| mine.iter().any(|b| a.counter < b.counter && a.step > b.step.saturating_add(tolerance)));
        assert_eq!(f.reasons.contains(&paycode::log::Reason::Order), out_of_order);
        let mut counters: Vec<u32> = mine.iter().map(|r| r.counter).collect();
        counters.sort_unstable();
        counters.dedup();
        let jump = counters.windows(2).any(|w| w[1] - w[0] > paycode::log::MAX_COUNTER_GAP);
        assert_eq!(f.reasons.contains(&paycode::log::Reason::Jump), jump);
        let total: u128 = mine.iter().map(|r| u128::from(r.amount)).sum();
        let over = f.profile == Profile::Ed25519
            && policy.limits.get(&f.subject).is_some_and(|&limit| total > u128::from(limit));
        assert_eq!(f.reasons.contains(&paycode::log::Reason::Overspend), over);
    }
    assert_eq!(rec.revoke_serials.len() + rec.flagged_accounts.len(), rec.flagged.len());
});
