//! `Credential::decode` on any bytes: decodes exactly the 126-byte inputs,
//! keeps the bytes; `check` never panics and only passes credentials that
//! meet the consistency rules (spec: R-ED-3, R-ED-4). Point validity is
//! fuzzed on the device key field.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::credential::{CREDENTIAL_LEN, MAX_VALIDITY_SECS};
use paycode::hazmat::eddsa::{PublicKey, point_is_valid};
use paycode::{Credential, Error};
use paycode_test_support::fixture;

fuzz_target!(|data: &[u8]| {
    let decoded = Credential::decode(data);
    assert_eq!(decoded.is_ok(), data.len() == CREDENTIAL_LEN);
    let Ok(cred) = decoded else {
        assert_eq!(decoded, Err(Error::Malformed));
        return;
    };
    assert_eq!(cred.as_bytes().as_slice(), data);
    assert_eq!(Credential::decode(cred.as_bytes()), Ok(cred));
    let f = cred.fields();
    let device = PublicKey::from_bytes(&f.device_key);
    assert_eq!(device.is_some(), point_is_valid(&f.device_key));
    if let Some(k) = device {
        assert_eq!(k.to_bytes(), f.device_key);
    }
    let trust = fixture::trust_list();
    for entry in trust.entries() {
        match cred.check(&entry.key, entry.not_before, entry.not_after) {
            Ok(key) => {
                assert_eq!(key.to_bytes(), f.device_key);
                assert!(u64::from(f.lifetime) <= MAX_VALIDITY_SECS);
                assert!(f.not_before >= entry.not_before);
                assert!(f.not_after().is_some_and(|na| na <= entry.not_after));
                assert!(entry.key.verify(&cred.signing_input(), &data[62..].try_into().unwrap()));
            }
            Err(e) => assert_eq!(e, Error::BadCredential),
        }
    }
});
