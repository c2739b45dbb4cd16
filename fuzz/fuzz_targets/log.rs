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
    // Every identity of the records has exactly the reasons the rules give it
    // (none: not flagged), computed here by brute force; a flagged one is to
    // be revoked or disabled.
    let mut identities: Vec<(Profile, u64)> = records.iter().map(|r| (r.profile, r.subject)).collect();
    identities.sort_unstable();
    identities.dedup();
    for (profile, subject) in identities {
        use paycode::log::Reason;
        let mine: Vec<&LogRecord> =
            records.iter().filter(|r| (r.profile, r.subject) == (profile, subject)).collect();
        let mut want = Vec::new();
        if mine.iter().any(|a| mine.iter().filter(|b| b.counter == a.counter).count() > 1) {
            want.push(Reason::Double);
        }
        if mine
            .iter()
            .any(|a| mine.iter().any(|b| a.counter < b.counter && a.step > b.step.saturating_add(tolerance)))
        {
            want.push(Reason::Order);
        }
        let mut counters: Vec<u32> = mine.iter().map(|r| r.counter).collect();
        counters.sort_unstable();
        counters.dedup();
        if counters.windows(2).any(|w| w[1] - w[0] > paycode::log::MAX_COUNTER_GAP) {
            want.push(Reason::Jump);
        }
        let total: u128 = mine.iter().map(|r| u128::from(r.amount)).sum();
        if profile == Profile::Ed25519
            && policy.limits.get(&subject).is_some_and(|&limit| total > u128::from(limit))
        {
            want.push(Reason::Overspend);
        }
        let got = rec.flagged.iter().find(|f| (f.profile, f.subject) == (profile, subject));
        assert_eq!(got.map_or(&[][..], |f| &f.reasons[..]), &want[..], "{profile:?} {subject}");
        let listed = match profile {
            Profile::Ed25519 => &rec.revoke_serials,
            Profile::Hmac => &rec.flagged_accounts,
        };
        assert_eq!(listed.contains(&subject), !want.is_empty());
    }
    assert_eq!(rec.revoke_serials.len() + rec.flagged_accounts.len(), rec.flagged.len());
});
