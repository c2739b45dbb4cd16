//! Project Wycheproof's EdDSA (ed25519), HKDF-SHA256 and HMAC-SHA256 vectors,
//! run through the reference's primitives.
//!
//! Source: Project Wycheproof (Apache-2.0), the files `ed25519_test.json`,
//! `hkdf_sha256_test.json` and `hmac_sha256_test.json` as bundled unchanged
//! by the `wycheproof` crate (version pinned in `Cargo.lock`). Nothing of
//! them is copied into this repository.
//!
//! What each family runs through:
//!
//! - **Ed25519**: every group's public key through
//!   `hazmat::eddsa::PublicKey::from_bytes` (R-ED-1) and every signature
//!   through `PublicKey::verify` (R-ED-2), the functions every verifier path
//!   of the core calls; then every group again through `verify_each`, the
//!   batch path (R-ED-6), which must give the same verdicts. A signature that
//!   is not 64 bytes cannot be passed to the core at all (it takes
//!   `&[u8; 64]`, a fixed field of the payload), so it is rejected there.
//! - **HKDF-SHA256**: the core's derivation, `hazmat::keys::derive`, fixes the
//!   salt (`"paycode v3"`), a 32-byte ikm and a 32-byte output (R-KEY-2), so
//!   no Wycheproof case can go through it unchanged. Every case runs through
//!   the calls `derive` makes, `hkdf::Hkdf::<Sha256>::new(Some(salt), ikm)`
//!   then `expand_multi_info`, with the case's salt, info and length.
//! - **HMAC-SHA256**: the core's MAC keys (`HmacKeys`) are derived, never
//!   given, so every case runs through the calls they make:
//!   `hmac::Hmac<Sha256>` keyed by `KeyInit::new_from_slice`, the leftmost
//!   bytes of the output as the tag (Wycheproof's truncation, and the 16-byte
//!   QR tag of R-HMAC-1), compared in constant time (R-HMAC-5).
//!
//! Wycheproof's verdict is `valid`, `invalid` or `acceptable`. Where the
//! reference's verdict differs from a `valid` or `invalid`, the case must be
//! listed in [`EXPLAINED`] with the spec rule that decides it; the test fails
//! on a disagreement that is not listed and on a listed one that no longer
//! occurs. `acceptable` allows either verdict. With the pinned version the
//! list is empty: Wycheproof's ed25519 file has no small-order or
//! mixed-order point, where the spec's rules differ from RFC 8032's (those
//! are in `vectors/ed25519-speccheck.json` and `vectors/ed25519-edge.json`).
//!
//! `cargo test --release -p paycode --test wycheproof -- --nocapture` prints
//! the counts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use paycode::hazmat::eddsa::{PublicKey, Signed, point_is_valid, verify_each};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use wycheproof::TestResult;

/// A Wycheproof case on which the reference's verdict differs from
/// Wycheproof's, and the spec rule that decides it.
struct Explained {
    family: Family,
    tc_id: usize,
    /// The case's Wycheproof flags, as printed by `{:?}`.
    flags: &'static str,
    /// Why the spec's verdict is the reference's.
    reason: &'static str,
}

/// Every expected disagreement. Empty for the pinned version; see the module docs.
const EXPLAINED: &[Explained] = &[];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Ed25519,
    HkdfSha256,
    HmacSha256,
}

/// What one family's run found.
#[derive(Default)]
struct Tally {
    groups: usize,
    cases: usize,
    agreements: usize,
    /// Cases Wycheproof marks `acceptable`: either verdict agrees.
    acceptable: usize,
    /// tcId -> the case, for every case where the verdicts differ.
    disagreements: BTreeMap<usize, String>,
}

impl Tally {
    fn record(
        &mut self,
        tc_id: usize,
        expected: TestResult,
        accepted: bool,
        describe: impl FnOnce() -> String,
    ) {
        self.cases += 1;
        let agrees = match expected {
            TestResult::Valid => accepted,
            TestResult::Invalid => !accepted,
            TestResult::Acceptable => {
                self.acceptable += 1;
                true
            }
        };
        if agrees {
            self.agreements += 1;
        } else {
            let old = self.disagreements.insert(tc_id, describe());
            assert!(old.is_none(), "tcId {tc_id} occurs twice");
        }
    }

    /// Asserts that the disagreements are exactly the explained ones, and prints the counts.
    fn finish(self, family: Family, number_of_tests: usize) {
        assert!(self.cases > 0, "{family:?}: no Wycheproof case ran");
        assert_eq!(self.cases, number_of_tests, "{family:?}: cases run differ from the file's numberOfTests");
        let explained: BTreeMap<usize, &Explained> =
            EXPLAINED.iter().filter(|e| e.family == family).map(|e| (e.tc_id, e)).collect();
        let unexplained: Vec<&String> =
            self.disagreements.iter().filter(|(id, _)| !explained.contains_key(id)).map(|(_, d)| d).collect();
        let vanished: Vec<String> = explained
            .values()
            .filter(|e| !self.disagreements.contains_key(&e.tc_id))
            .map(|e| format!("tcId {} {}: {}", e.tc_id, e.flags, e.reason))
            .collect();
        assert!(
            unexplained.is_empty(),
            "{family:?}: disagreements with Wycheproof not explained:\n{unexplained:#?}"
        );
        assert!(
            vanished.is_empty(),
            "{family:?}: explained disagreements that no longer occur:\n{vanished:#?}"
        );
        for (id, case) in &self.disagreements {
            let e = explained[id];
            assert!(
                case.contains(e.flags),
                "{family:?} tcId {id}: flags differ from the explanation's: {case}"
            );
        }
        println!(
            "wycheproof {family:?}: {} groups, {} cases, {} agreements ({} acceptable), {} explained disagreements",
            self.groups,
            self.cases,
            self.agreements,
            self.acceptable,
            self.disagreements.len()
        );
    }
}

/// The reference's verdict on one Ed25519 case, and the first condition of
/// R-ED-2 that rejects it (conditions in the spec's order).
fn ed25519_verdict(public_key: &[u8], message: &[u8], signature: &[u8]) -> (bool, &'static str) {
    let Ok(signature) = <&[u8; 64]>::try_from(signature) else {
        return (false, "not 64 bytes");
    };
    let Ok(public_key) = <&[u8; 32]>::try_from(public_key) else {
        return (false, "key not 32 bytes");
    };
    let key = PublicKey::from_bytes(public_key);
    assert_eq!(key.is_some(), point_is_valid(public_key), "from_bytes and point_is_valid disagree");
    let accepted = key.is_some_and(|k| k.verify(message, signature));
    if accepted {
        return (true, "accepted");
    }
    let (r, s) = signature.split_at(32);
    let reason = if !s_below_order(s) {
        "condition 1 (S >= l)"
    } else if key.is_none() {
        "condition 2 (A not a valid point)"
    } else if !point_is_valid(r.try_into().unwrap()) {
        "condition 3 (R not a valid point)"
    } else {
        "condition 4 (cofactored equation)"
    };
    (false, reason)
}

/// `int_le(s) < l`, written out here rather than taken from the code under test.
fn s_below_order(s: &[u8]) -> bool {
    // l = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const ORDER: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    s.iter().rev().cmp(ORDER.iter().rev()) == std::cmp::Ordering::Less
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let mut tally = Tally::default();
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    for group in &set.test_groups {
        tally.groups += 1;
        assert_eq!(group.key.curve, wycheproof::EdwardsCurve::Ed25519);
        let pk: &[u8] = &group.key.pk;
        let mut single = Vec::new();
        for test in &group.tests {
            let (accepted, reason) = ed25519_verdict(pk, &test.msg, &test.sig);
            *reasons.entry(reason).or_default() += 1;
            single.push(accepted);
            tally.record(test.tc_id, test.result, accepted, || {
                format!(
                    "tcId {} {:?} {:?} {:?}: reference {reason}",
                    test.tc_id, test.result, test.flags, test.comment
                )
            });
            if accepted {
                // A valid signature on a message one bit away must fail.
                let mut other = test.msg.to_vec();
                match other.first_mut() {
                    Some(b) => *b ^= 1,
                    None => other.push(0),
                }
                assert!(
                    !ed25519_verdict(pk, &other, &test.sig).0,
                    "tcId {}: altered message accepted",
                    test.tc_id
                );
            }
        }
        // The batch path gives the same verdicts as the single check (R-ED-6).
        if let Some(key) = <&[u8; 32]>::try_from(pk).ok().and_then(PublicKey::from_bytes) {
            let sigs: Vec<Option<&[u8; 64]>> =
                group.tests.iter().map(|t| <&[u8; 64]>::try_from(&t.sig[..]).ok()).collect();
            let items: Vec<Signed<'_>> = group
                .tests
                .iter()
                .zip(&sigs)
                .filter_map(|(t, s)| s.map(|signature| Signed { key: &key, message: &t.msg, signature }))
                .collect();
            let expected: Vec<bool> =
                single.iter().zip(&sigs).filter(|(_, s)| s.is_some()).map(|(v, _)| *v).collect();
            assert_eq!(
                verify_each(&items),
                expected,
                "batch verdicts differ from single ones in group of {pk:02x?}"
            );
        }
    }
    println!("wycheproof Ed25519: reference verdicts by deciding check: {reasons:?}");
    tally.finish(Family::Ed25519, set.number_of_tests);
}

#[test]
fn hkdf_sha256() {
    use wycheproof::hkdf::{TestName, TestSet};
    let set = TestSet::load(TestName::HkdfSha256).unwrap();
    let mut tally = Tally::default();
    for group in &set.test_groups {
        tally.groups += 1;
        for test in &group.tests {
            assert_eq!(test.ikm.len() * 8, group.key_size, "tcId {}: ikm size", test.tc_id);
            let hk = Hkdf::<Sha256>::new(Some(&test.salt), &test.ikm);
            let mut okm = vec![0u8; test.size];
            let accepted = hk.expand_multi_info(&[&test.info], &mut okm).is_ok() && okm[..] == test.okm[..];
            tally.record(test.tc_id, test.result, accepted, || {
                format!(
                    "tcId {} {:?} {:?} {:?}: okm {okm:02x?}",
                    test.tc_id, test.result, test.flags, test.comment
                )
            });
        }
    }
    tally.finish(Family::HkdfSha256, set.number_of_tests);
}

/// The MAC path of the core's `HmacKeys`: keyed HMAC-SHA256, the leftmost
/// `tag.len()` bytes, a constant-time comparison.
fn hmac_tag_matches(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(message);
    let full: [u8; 32] = mac.finalize().into_bytes().into();
    // A tag longer than the MAC, or empty, is never a truncation of it.
    match full.get(..tag.len()) {
        Some(prefix) if !tag.is_empty() => prefix.ct_eq(tag).into(),
        _ => false,
    }
}

#[test]
fn hmac_sha256() {
    use wycheproof::mac::{TestName, TestSet};
    let set = TestSet::load(TestName::HmacSha256).unwrap();
    let mut tally = Tally::default();
    let mut sizes = BTreeSet::new();
    for group in &set.test_groups {
        tally.groups += 1;
        sizes.insert((group.key_size, group.tag_size));
        for test in &group.tests {
            assert_eq!(test.tag.len() * 8, group.tag_size, "tcId {}: tag size", test.tc_id);
            let accepted = hmac_tag_matches(&test.key, &test.msg, &test.tag);
            tally.record(test.tc_id, test.result, accepted, || {
                format!("tcId {} {:?} {:?} {:?}", test.tc_id, test.result, test.flags, test.comment)
            });
            if accepted {
                let mut other = test.tag.to_vec();
                other[0] ^= 0x80;
                assert!(
                    !hmac_tag_matches(&test.key, &test.msg, &other),
                    "tcId {}: altered tag accepted",
                    test.tc_id
                );
            }
        }
    }
    // The 128-bit groups are the truncation R-HMAC-1 uses for the QR tag.
    assert!(sizes.iter().any(|&(_, tag)| tag == 128), "no truncated-tag group: {sizes:?}");
    println!("wycheproof HmacSha256: (key bits, tag bits) groups {sizes:?}");
    tally.finish(Family::HmacSha256, set.number_of_tests);
}
