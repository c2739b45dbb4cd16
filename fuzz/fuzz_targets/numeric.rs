//! The 24-digit numeric form: `parse` never panics, accepts exactly the
//! 24-digit strings below 2^79, and what parses re-encodes to the same digits.
//! Step reconstruction stays in range for every verifier step.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::numeric::{COUNTER_LIMIT, DIGITS, NumericCode};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = NumericCode::parse(text);
        // An independent reading of the syntax rule (spec: R-ENC-4).
        let expect_ok = text.len() == DIGITS
            && text.bytes().all(|b| b.is_ascii_digit())
            && text.parse::<u128>().is_ok_and(|n| n < 1 << 79);
        assert_eq!(parsed.is_ok(), expect_ok, "{text:?}");
        if let Ok(c) = parsed {
            assert_eq!(c.to_digits(), text);
            assert_eq!(text.parse::<u128>().ok(), Some(c.value()));
            check_fields(&c);
        }
    }
    // Any value below 2^79 is a valid numeric code.
    let mut raw = [0u8; 16];
    let n = data.len().min(16);
    raw[..n].copy_from_slice(&data[..n]);
    let value = u128::from_be_bytes(raw) % (1 << 79);
    let digits = format!("{value:024}");
    let c = NumericCode::parse(&digits).expect("value below 2^79");
    assert_eq!(c.value(), value);
    check_fields(&c);
    let now = u64::from_be_bytes(raw[..8].try_into().unwrap_or_default());
    let s = c.step_near(now);
    assert_eq!(s % 16, u64::from(c.step_low()));
    let lo = now.saturating_sub(8).min(u64::MAX - 15);
    assert!((lo..=lo + 15).contains(&s), "step {s} for now {now}");
});

fn check_fields(c: &NumericCode) {
    assert!(c.handle30() < 1 << 30);
    assert!(u32::from(c.masked_counter()) < COUNTER_LIMIT);
    assert!(c.step_low() < 16);
    assert!(c.tag() < 1 << 29);
}
