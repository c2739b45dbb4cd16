//! `RevocationList::decode` on any bytes: no panic; what decodes re-encodes
//! to the same bytes, lists strictly increasing serials, and a verifier
//! with no list installs it only if its signature checks under the trust
//! list and it is newer than none (spec: R-REVOKE-2).

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::Error;
use paycode::revocation::{ListMark, RevocationList};
use paycode_test_support::fixture;

fuzz_target!(|data: &[u8]| {
    match RevocationList::decode(data) {
        Ok(list) => {
            assert_eq!(list.encode(), data);
            let serials = list.serials();
            assert_eq!(data.len(), 35 + 8 * serials.len() + 64);
            assert!(list.next_update() >= list.issued_at() && list.grace() <= 604_800);
            assert!(serials.windows(2).all(|w| w[0] < w[1]));
            for &s in serials {
                assert!(list.contains(s));
            }
            let trust = fixture::trust_list();
            let checked = list.check(&trust);
            let mut verifier = paycode::Verifier::new(fixture::params(), 1);
            verifier.set_root_key(fixture::root_key());
            assert!(verifier.install_trust_list(trust, fixture::NOW).is_ok());
            // At the end of time nothing is dated in the future.
            let installed = verifier.install_revocation_list(list.clone(), u64::MAX);
            let newer =
                list.mark().is_newer_than(ListMark::default(), u64::MAX, fixture::params().step_secs());
            assert_eq!(checked.is_ok() && newer, installed.is_ok());
            if installed.is_ok() {
                assert_eq!(verifier.revocation_number(), Some(list.number()));
                // The same list again is not newer (spec: R-REVOKE-2).
                assert!(verifier.install_revocation_list(list, u64::MAX).is_err());
            }
        }
        Err(e) => {
            // Only code payloads report `unsupported-version`; lists are malformed.
            assert_eq!(e, Error::Malformed, "{e:?}");
        }
    }
});
