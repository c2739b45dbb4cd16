//! `Code::parse` on any text: no panic; whatever decodes re-encodes to the
//! same text; the QR path agrees with `decode_payload` on the Base45 bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::code::QR_PREFIX;
use paycode::hazmat::base45;
use paycode::{Code, Error};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = Code::parse(text);
    match &parsed {
        Ok(code) => {
            // Canonical: one text per code.
            assert_eq!(code.to_text(), text);
            assert_eq!(Code::parse(&code.to_text()).as_ref(), Ok(code));
            match code {
                Code::Hmac(c) => assert_eq!(paycode::code::HmacCode::decode(&c.encode()), Ok(*c)),
                Code::Ed25519(c) => {
                    let again = paycode::code::Ed25519Code::decode(c.encode());
                    assert_eq!(again.as_ref(), Ok(c.as_ref()));
                    // The credential follows the counter, and the cap of a capped code.
                    let at = if c.mode().cap().is_some() { 18 } else { 14 };
                    assert_eq!(c.credential().as_bytes(), &c.encode()[at..at + 126]);
                }
                Code::Numeric(n) => assert_eq!(n.to_digits(), text),
            }
        }
        Err(e) => assert!(
            matches!(e, Error::Malformed | Error::UnsupportedVersion | Error::UnsupportedProfile),
            "parse gave {e:?}"
        ),
    }
    // The QR path is exactly Base45 then decode_payload.
    if let Some(rest) = text.strip_prefix(QR_PREFIX) {
        let via_payload = match base45::decode(rest) {
            Ok(bytes) => Code::decode_payload(&bytes),
            Err(_) => Err(Error::Malformed),
        };
        assert_eq!(parsed, via_payload);
    }
});
