//! `TrustList::decode` on any bytes: no panic; what decodes is canonical
//! (re-encodes to the same bytes) and meets R-TRUST-1; the fixture's root
//! key accepts its signature only for the fixture's own list (R-TRUST-3).

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::Error;
use paycode::trust::{ENTRY_LEN, TrustList};
use paycode_test_support::fixture;

fuzz_target!(|data: &[u8]| {
    match TrustList::decode(data) {
        Ok(list) => {
            assert_eq!(list.encode(), data);
            let entries = list.entries();
            assert!(!entries.is_empty());
            assert_eq!(data.len(), 83 + entries.len() * ENTRY_LEN);
            assert!(entries.windows(2).all(|w| w[0].key_id < w[1].key_id));
            for e in entries {
                assert!(e.not_before <= e.not_after);
                assert_eq!(list.get(e.key_id), Some(e));
                assert!(paycode::hazmat::eddsa::point_is_valid(&e.key.to_bytes()));
            }
            if list.verify(&fixture::root_key()) {
                assert_eq!(list, fixture::trust_list());
            }
        }
        Err(e) => {
            // Only code payloads report `unsupported-version`; lists are malformed.
            assert_eq!(e, Error::Malformed, "{e:?}");
        }
    }
});
