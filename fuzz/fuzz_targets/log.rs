//! `LogRecord::decode_log` on any bytes: no panic; what decodes re-encodes
//! to the same bytes; reconciliation of the records is consistent, and
//! without the issuer's keys proves nothing and flags no one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::Error;
use paycode::log::{IssuerKeys, LogRecord, Policy, reconcile};

fuzz_target!(|data: &[u8]| {
    let Ok(records) = LogRecord::decode_log(data) else {
        let e = LogRecord::decode_log(data).unwrap_err();
        assert_eq!(e, Error::Malformed, "{e:?}");
        return;
    };
    let again: Vec<u8> = records.iter().flat_map(|r| r.encode()).collect();
    assert_eq!(again, data);
    for r in &records {
        assert_eq!(paycode::log::record_len(r.kind()), Some(r.encode().len()));
        assert!(r.code().is_some());
    }
    let tolerance = u64::from(data.first().copied().unwrap_or(0) % 8);
    let logs = vec![records.clone()];
    // spec: R-LOG-2: nothing verifies without keys, so nothing is flagged.
    let rec = reconcile(&logs, &IssuerKeys::default(), &Policy::with_tolerance(tolerance));
    assert_eq!(rec.records, records.len());
    assert_eq!(rec.unproven.len(), records.len());
    assert!(rec.flagged.is_empty() && rec.doubles.is_empty() && rec.copies.is_empty());
    // With the fixture's keys: every flagged identity has a proven record.
    let keys = IssuerKeys {
        accounts: [(
            paycode_test_support::fixture::ACCOUNT,
            paycode::hazmat::keys::HmacKeys::derive(
                paycode_test_support::fixture::ACCOUNT,
                &paycode_test_support::fixture::account_seed(),
            ),
        )]
        .into(),
        trust: Some(paycode_test_support::fixture::trust_list()),
    };
    let rec = reconcile(&logs, &keys, &Policy::with_tolerance(tolerance));
    assert!(rec.unproven.len() <= records.len());
    for f in &rec.flagged {
        let proven = records.iter().enumerate().any(|(i, r)| {
            (r.profile(), r.subject()) == (f.profile, f.subject) && !rec.unproven.iter().any(|u| u.index == i)
        });
        assert!(proven, "{f:?} rests on unproven records only");
    }
    assert_eq!(rec.revoke_serials.len() + rec.flagged_accounts.len(), rec.flagged.len());
});
