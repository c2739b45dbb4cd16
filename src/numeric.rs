//! The hmac profile's numeric form: 24 decimal digits for 1D barcodes (spec §5.2).

use crate::codec::Writer;
use crate::errors::Error;
use crate::handle::StepHandle;
use crate::keys::HmacKeys;
use crate::profile::{PROFILE_HMAC, VERSION};

/// Number of digits of the numeric form (spec: R-ENC-4).
pub const DIGITS: usize = 24;
/// Domain-separation string of the numeric tag (spec: R-KEY-3).
pub const DS_HMAC_NUMERIC: &[u8] = b"paycode/v3/hmac/numeric-code\0";
/// Largest counter the numeric form can carry, exclusive (spec: R-HMAC-4).
pub const COUNTER_LIMIT: u32 = 1 << 16;
/// Every numeric value is below `2^79` (spec: R-ENC-4).
const VALUE_LIMIT: u128 = 1 << 79;

/// An hmac code in numeric form: the account's 30-bit handle for the step,
/// the low 4 bits of the step, the counter masked with the step's 16-bit
/// pad, and a 29-bit tag (spec: R-HMAC-2, R-HANDLE-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumericCode {
    handle30: u32,
    step_low: u8,
    masked_counter: u16,
    tag: u32,
}

impl NumericCode {
    /// Parses exactly 24 ASCII digits whose value is below `2^79`.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything else (spec: R-ENC-4).
    ///
    /// ```
    /// use paycode::numeric::NumericCode;
    /// assert!(NumericCode::parse("000000000000000000000000").is_ok());
    /// assert!(NumericCode::parse("999999999999999999999999").is_err());
    /// ```
    pub fn parse(digits: &str) -> Result<NumericCode, Error> {
        let bytes = digits.as_bytes();
        if bytes.len() != DIGITS {
            return Err(Error::Malformed);
        }
        let mut n: u128 = 0;
        for &b in bytes {
            if !b.is_ascii_digit() {
                return Err(Error::Malformed);
            }
            n = n * 10 + u128::from(b - b'0');
        }
        NumericCode::from_value(n)
    }

    /// The code whose value `N` is `n`.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for `n ≥ 2^79` (spec: R-ENC-4).
    pub const fn from_value(n: u128) -> Result<NumericCode, Error> {
        if n >= VALUE_LIMIT {
            return Err(Error::Malformed);
        }
        // spec: R-HMAC-2, R-HANDLE-2 (bit layout)
        Ok(NumericCode {
            handle30: (n >> 49) as u32,
            step_low: ((n >> 45) & 0xf) as u8,
            masked_counter: ((n >> 29) & 0xffff) as u16,
            tag: (n & 0x1fff_ffff) as u32,
        })
    }

    /// Computes the numeric form of the code of `keys`' account for `step`
    /// and `counter`: its handle30 for the step, the counter masked with
    /// pad16, and the tag over the real account id, step and counter.
    ///
    /// Returns `None` where the numeric form cannot carry the counter
    /// (spec: R-HMAC-4).
    pub fn generate(keys: &HmacKeys, step: u64, counter: u32) -> Option<NumericCode> {
        let counter16 = u16::try_from(counter).ok()?;
        let handle = StepHandle::derive(keys.handle_key(), step);
        Some(NumericCode {
            handle30: handle.handle30(),
            step_low: (step & 0xf) as u8,
            masked_counter: counter16 ^ handle.pad16(),
            tag: tag(keys, step, counter),
        })
    }

    /// The 24 digits.
    pub fn to_digits(&self) -> String {
        format!("{:024}", self.value())
    }

    /// The value `N` the digits encode.
    pub fn value(&self) -> u128 {
        u128::from(self.handle30) << 49
            | u128::from(self.step_low) << 45
            | u128::from(self.masked_counter) << 29
            | u128::from(self.tag)
    }

    /// The account's 30-bit handle for the code's step (spec: R-HANDLE-2).
    pub const fn handle30(&self) -> u32 {
        self.handle30
    }

    /// The step's low 4 bits.
    pub const fn step_low(&self) -> u8 {
        self.step_low
    }

    /// The counter XOR the step's 16-bit pad (spec: R-HANDLE-2).
    pub const fn masked_counter(&self) -> u16 {
        self.masked_counter
    }

    /// The 29-bit tag.
    pub const fn tag(&self) -> u32 {
        self.tag
    }

    /// The step this code names at verifier step `now`: the one step `s` in
    /// `[lo, lo + 15]` with `s mod 16 = step_low`, where
    /// `lo = min(max(now - 8, 0), 2^64 - 16)` (spec: R-HMAC-3).
    pub const fn step_near(&self, now: u64) -> u64 {
        let lo = now.saturating_sub(8);
        let lo = if lo > u64::MAX - 15 { u64::MAX - 15 } else { lo };
        let delta = (self.step_low as u64).wrapping_sub(lo) & 0xf;
        lo + delta
    }

    /// Whether the tag is right for `step` and the real `counter` under
    /// `keys`, compared in constant time (spec: R-HMAC-5).
    pub fn tag_matches(&self, keys: &HmacKeys, step: u64, counter: u32) -> bool {
        use subtle::ConstantTimeEq;
        tag(keys, step, counter).ct_eq(&self.tag).into()
    }
}

/// The numeric MAC input: the domain-separation string, then version,
/// profile, account id, full step and counter.
pub fn mac_input(account_id: u64, step: u64, counter: u32) -> Vec<u8> {
    input(account_id, step, counter).to_vec()
}

/// The numeric tag's MAC input as an array: one MAC update of a length
/// known when compiling.
fn input(account_id: u64, step: u64, counter: u32) -> [u8; DS_HMAC_NUMERIC.len() + 22] {
    let mut w = Writer::<{ DS_HMAC_NUMERIC.len() + 22 }>::new();
    w.bytes(DS_HMAC_NUMERIC);
    w.u8(VERSION);
    w.u8(PROFILE_HMAC);
    w.u64(account_id);
    w.u64(step);
    w.u32(counter);
    w.finish()
}

fn tag(keys: &HmacKeys, step: u64, counter: u32) -> u32 {
    // spec: R-HMAC-2
    let mac = keys.mac_numeric(&input(keys.account_id(), step, counter));
    u32::from_be_bytes([mac[0], mac[1], mac[2], mac[3]]) >> 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    #[test]
    fn layout_round_trips() {
        let keys = HmacKeys::derive((1 << 30) - 1, &Seed::from_bytes(&[5; 32]));
        let step = 0xffff_ffff_ffff_fffe;
        let c = NumericCode::generate(&keys, step, 0xffff).unwrap();
        let d = c.to_digits();
        assert_eq!(d.len(), 24);
        assert_eq!(NumericCode::parse(&d).unwrap(), c);
        assert_eq!(c.step_low(), 0xe);
        assert!(c.value() < VALUE_LIMIT);
        // The handle and mask are the step's, from the handle MAC.
        let h = crate::handle::StepHandle::derive(keys.handle_key(), step);
        assert_eq!(c.handle30(), h.handle30());
        assert_eq!(c.masked_counter(), 0xffff ^ h.pad16());
        assert_eq!(c.value() >> 49, u128::from(h.handle30()));
        assert!(c.tag_matches(&keys, step, 0xffff));
        assert!(!c.tag_matches(&keys, step, 0xfffe));
        assert!(NumericCode::generate(&keys, 1, 0x1_0000).is_none());
        // An account id of 2^30 and above has a numeric form now.
        let big = HmacKeys::derive(u64::MAX, &Seed::from_bytes(&[5; 32]));
        assert!(NumericCode::generate(&big, 1, 1).is_some());
    }

    #[test]
    fn tag_is_the_first_29_bits_of_the_spec_mac() {
        use hmac::{Hmac, KeyInit, Mac};
        let seed = Seed::from_bytes(&[9; 32]);
        let (account, step, counter) = (123_456u64, 0x0102_0304_0506_0708u64, 0x9abcu32);
        let key = crate::keys::derive(&seed, crate::keys::LABEL_HMAC_NUMERIC_KEY, &account.to_be_bytes());
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.expose()).unwrap();
        mac.update(b"paycode/v3/hmac/numeric-code\0");
        mac.update(&[0x02, 0x01]);
        mac.update(&account.to_be_bytes());
        mac.update(&step.to_be_bytes());
        mac.update(&counter.to_be_bytes());
        let out = mac.finalize().into_bytes();
        let expect = u32::from_be_bytes([out[0], out[1], out[2], out[3]]) >> 3;
        let code = NumericCode::generate(&HmacKeys::derive(account, &seed), step, counter).unwrap();
        assert_eq!(code.tag(), expect);
        assert_eq!(mac_input(account, step, counter).len(), 51);
    }

    #[test]
    fn rejects_out_of_range_and_non_digits() {
        // 2^79 exactly and 2^79 - 1.
        assert!(NumericCode::parse("604462909807314587353088").is_err());
        assert!(NumericCode::parse("604462909807314587353087").is_ok());
        assert!(NumericCode::parse("60446290980731458735308a").is_err());
        assert!(NumericCode::parse("+04462909807314587353087").is_err());
        assert!(NumericCode::parse("04462909807314587353087").is_err());
        assert!(NumericCode::parse("٠04462909807314587353087").is_err());
    }

    #[test]
    fn step_reconstruction() {
        let c = |low| NumericCode { handle30: 1, step_low: low, masked_counter: 0, tag: 0 };
        assert_eq!(c(0).step_near(100), 96);
        assert_eq!(c(4).step_near(100), 100);
        assert_eq!(c(11).step_near(100), 107);
        assert_eq!(c(12).step_near(100), 92);
        assert_eq!(c(3).step_near(0), 3);
        assert_eq!(c(15).step_near(2), 15);
        // At the top of the range the candidates are the last 16 steps.
        assert_eq!(c(0xf).step_near(u64::MAX), u64::MAX);
        assert_eq!(c(0x0).step_near(u64::MAX), u64::MAX - 15);
        assert_eq!(c(0x6).step_near(u64::MAX - 3), u64::MAX - 9);
        for now in [8u64, 9, 1000, 12345, u64::MAX - 7] {
            for s in now - 8..=now + 7 {
                assert_eq!(c((s & 0xf) as u8).step_near(now), s);
            }
        }
    }
}
