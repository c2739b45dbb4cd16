//! `RevocationList::decode` on any bytes: no panic; what decodes re-encodes
//! to the same bytes, lists strictly increasing serials, and a verifier
//! installs it only if its signature checks under the trust list.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::Error;
use paycode::revocation::RevocationList;
use paycode_test_support::fixture;

fuzz_target!(|data: &[u8]| {
    match RevocationList::decode(data) {
        Ok(list) => {
            assert_eq!(list.encode(), data);
            let serials = list.serials();
            assert_eq!(data.len(), 23 + 8 * serials.len() + 64);
            assert!(serials.windows(2).all(|w| w[0] < w[1]));
            for &s in serials {
                assert!(list.contains(s));
            }
            let trust = fixture::trust_list();
            let checked = list.check(&trust);
            let verifier = fixture::verifier();
            let installed = verifier.install_revocation_list(list.clone());
            assert_eq!(checked.is_ok(), installed.is_ok());
            if installed.is_ok() {
                assert_eq!(verifier.revocation_number(), Some(list.number()));
                // The same list again is not newer (spec: R-REVOKE-2).
                assert!(verifier.install_revocation_list(list).is_err());
            }
        }
        Err(e) => {
            // Only code payloads report `unsupported-version`; lists are malformed.
            assert_eq!(e, Error::Malformed, "{e:?}");
        }
    }
});
