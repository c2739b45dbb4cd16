//! Canonical Base45: `decode` never panics, what decodes re-encodes to the
//! same text, and any bytes round-trip through `encode`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::hazmat::base45;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(bytes) = base45::decode(text)
    {
        assert_eq!(base45::encode(&bytes), text, "non-canonical text decoded");
    }
    let text = base45::encode(data);
    assert_eq!(text.len(), data.len() / 2 * 3 + data.len() % 2 * 2);
    assert_eq!(base45::decode(&text).as_deref(), Ok(data));
});
