//! `Code::decode_payload` on any bytes: no panic, the spec's decode
//! precedence, and what decodes re-encodes to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::code::{
    ED25519_CAPPED_PAYLOAD_LEN, ED25519_PAYLOAD_LEN, HMAC_CAPPED_PAYLOAD_LEN, HMAC_PAYLOAD_LEN,
};
use paycode::{Code, Error, Mode};

fuzz_target!(|data: &[u8]| {
    let decoded = Code::decode_payload(data);
    // spec: R-VERIFY-1 (V1): version, then the mode and profile byte
    // (R-MODE-1), then the exact length of that profile and mode.
    let length = match data.get(1) {
        Some(0x01 | 0x21) => Some(HMAC_PAYLOAD_LEN),
        Some(0x11) => Some(HMAC_CAPPED_PAYLOAD_LEN),
        Some(0x02 | 0x22) => Some(ED25519_PAYLOAD_LEN),
        Some(0x12) => Some(ED25519_CAPPED_PAYLOAD_LEN),
        _ => None,
    };
    let expect = match (data, length) {
        ([], _) => Err(Error::Malformed),
        ([v, ..], _) if *v != paycode::VERSION => Err(Error::UnsupportedVersion),
        ([_], _) => Err(Error::Malformed),
        (_, None) => Err(Error::UnsupportedProfile),
        (_, Some(len)) if data.len() != len => Err(Error::Malformed),
        (_, Some(_)) => Ok(()),
    };
    assert_eq!(decoded.as_ref().map(|_| ()).map_err(|e| *e), expect);
    if let Ok(code) = &decoded {
        // The high four bits name the mode; a capped code's cap follows the counter.
        let mode = match data[1] >> 4 {
            0 => Mode::OneWay,
            1 => {
                let at = if data[1] & 0x0f == 1 { 22 } else { 14 };
                Mode::Capped(u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]))
            }
            _ => Mode::Challenge,
        };
        assert_eq!(code.mode(), mode);
    }
    match decoded {
        Ok(Code::Hmac(c)) => assert_eq!(c.encode(), data),
        Ok(Code::Ed25519(c)) => assert_eq!(c.encode(), data),
        Ok(Code::Numeric(_)) => panic!("a payload decoded to the numeric form"),
        Err(_) => {}
    }
    if let Ok(code) = Code::decode_payload(data) {
        assert_eq!(Code::parse(&code.to_text()), Ok(code));
    }
});
