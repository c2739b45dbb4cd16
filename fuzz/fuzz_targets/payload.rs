//! `Code::decode_payload` on any bytes: no panic, the spec's decode
//! precedence, and what decodes re-encodes to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::code::{ED25519_PAYLOAD_LEN, HMAC_PAYLOAD_LEN};
use paycode::{Code, Error};

fuzz_target!(|data: &[u8]| {
    let decoded = Code::decode_payload(data);
    // spec: R-VERIFY-1 (V1): version, then profile, then exact length.
    let expect = match data {
        [] => Err(Error::Malformed),
        [v, ..] if *v != 1 => Err(Error::UnsupportedVersion),
        [_] => Err(Error::Malformed),
        [_, 1, ..] if data.len() != HMAC_PAYLOAD_LEN => Err(Error::Malformed),
        [_, 2, ..] if data.len() != ED25519_PAYLOAD_LEN => Err(Error::Malformed),
        [_, 1 | 2, ..] => Ok(()),
        _ => Err(Error::UnsupportedProfile),
    };
    assert_eq!(decoded.as_ref().map(|_| ()).map_err(|e| *e), expect);
    match decoded {
        Ok(Code::Hmac(c)) => assert_eq!(c.encode().as_slice(), data),
        Ok(Code::Ed25519(c)) => assert_eq!(c.encode().as_slice(), data),
        Ok(Code::Numeric(_)) => panic!("a payload decoded to the numeric form"),
        Err(_) => {}
    }
    if let Ok(code) = Code::decode_payload(data) {
        assert_eq!(Code::parse(&code.to_text()), Ok(code));
    }
});
