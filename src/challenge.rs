//! A terminal's challenge, and the digest a challenge code covers (spec §4.9).

use sha2::{Digest, Sha256};

use crate::base45;
use crate::codec::{Reader, Writer};
use crate::errors::Error;
use crate::profile::VERSION;
use crate::time::Params;

/// The QR text prefix of a challenge (spec: R-CHAL-1).
pub const CHALLENGE_PREFIX: &str = "PT3:";
/// Encoded length of a challenge.
pub const CHALLENGE_LEN: usize = 37;
/// Domain-separation string of the challenge digest (spec: R-KEY-3, R-CHAL-2).
pub const DS_CHALLENGE: &[u8] = b"paycode/v3/challenge\0";

/// A terminal's challenge: the terminal, the amount, the time it was made and
/// a fresh random nonce. A wallet that reads it makes a challenge code, which
/// pays this terminal this amount while the challenge is open, once.
///
/// ```
/// use paycode::Challenge;
/// let c = Challenge::new(7, 250, 1_800_000_000, [9; 16]);
/// let text = c.to_qr_text();
/// assert!(text.starts_with("PT3:"));
/// assert_eq!(Challenge::parse(&text), Ok(c));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Challenge {
    terminal_id: u32,
    amount: u64,
    issued_at: u64,
    nonce: [u8; 16],
}

/// What a verifier records of a challenge it accepted a code for: the nonce,
/// and the time `issued_at + C` after which the challenge is closed (spec:
/// R-CHAL-4). A `closes` beyond `2^64 - 1` is kept as `2^64 - 1`, which gives
/// the same verdicts: no u64 time is above either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct UsedChallenge {
    /// The challenge's nonce.
    #[cfg_attr(feature = "serde", serde(with = "nonce_hex"))]
    pub nonce: [u8; 16],
    /// `issued_at + C`, saturating.
    pub closes: u64,
}

impl Challenge {
    /// A challenge with these fields.
    pub const fn new(terminal_id: u32, amount: u64, issued_at: u64, nonce: [u8; 16]) -> Challenge {
        Challenge { terminal_id, amount, issued_at, nonce }
    }

    /// A new challenge of terminal `terminal_id` for `amount`, made at unix
    /// time `now`, with 16 bytes from the operating system's CSPRNG as its
    /// nonce (spec: R-CHAL-1).
    ///
    /// # Errors
    ///
    /// The CSPRNG failed.
    pub fn random(terminal_id: u32, amount: u64, now: u64) -> Result<Challenge, getrandom::Error> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)?;
        Ok(Challenge::new(terminal_id, amount, now, nonce))
    }

    /// Decodes the 37 bytes of a challenge.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for another length or a version byte other than `0x03` (spec: R-CHAL-1).
    pub fn decode(bytes: &[u8]) -> Result<Challenge, Error> {
        let bytes: &[u8; CHALLENGE_LEN] = bytes.try_into().map_err(|_| Error::Malformed)?;
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(Error::Malformed);
        }
        Ok(Challenge { terminal_id: r.u32()?, amount: r.u64()?, issued_at: r.u64()?, nonce: r.array()? })
    }

    /// Parses a challenge's QR text, `PT3:` + Base45 of its bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`]: no prefix, non-canonical Base45 (spec: R-ENC-2), or as [`Challenge::decode`].
    pub fn parse(text: &str) -> Result<Challenge, Error> {
        let rest = text.strip_prefix(CHALLENGE_PREFIX).ok_or(Error::Malformed)?;
        // The one valid length is known; anything longer is not decoded at all.
        if rest.len() != CHALLENGE_LEN / 2 * 3 + 2 {
            return Err(Error::Malformed);
        }
        let mut buf = [0u8; CHALLENGE_LEN];
        let bytes = base45::decode_into(rest, &mut buf).map_err(|_| Error::Malformed)?;
        Challenge::decode(bytes)
    }

    /// The 37 bytes.
    pub fn encode(&self) -> [u8; CHALLENGE_LEN] {
        let mut w = Writer::<CHALLENGE_LEN>::new();
        w.u8(VERSION);
        w.u32(self.terminal_id);
        w.u64(self.amount);
        w.u64(self.issued_at);
        w.bytes(&self.nonce);
        w.finish()
    }

    /// `PT3:` + Base45 of the bytes: 60 characters, QR version 3-M.
    pub fn to_qr_text(&self) -> String {
        let mut s = String::from(CHALLENGE_PREFIX);
        s.push_str(&base45::encode(&self.encode()));
        s
    }

    /// The challenge digest `D = SHA-256(DS_chal || challenge)` (spec: R-CHAL-2).
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DS_CHALLENGE);
        h.update(self.encode());
        h.finalize().into()
    }

    /// The terminal that made the challenge.
    pub const fn terminal_id(&self) -> u32 {
        self.terminal_id
    }

    /// The amount to pay, minor units.
    pub const fn amount(&self) -> u64 {
        self.amount
    }

    /// When the terminal made the challenge, unix seconds.
    pub const fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The nonce.
    pub const fn nonce(&self) -> &[u8; 16] {
        &self.nonce
    }

    /// `issued_at + C`, the last second the challenge is open, saturating.
    pub const fn closes(&self, params: &Params) -> u64 {
        self.issued_at.saturating_add(params.challenge_lifetime())
    }

    /// Whether the challenge is open at unix time `t`: `t ≤ issued_at + C`
    /// and `issued_at ≤ t + X`, both exact (spec: R-CHAL-3, step V2.3).
    pub fn is_open(&self, params: &Params, t: u64) -> bool {
        let issued = u128::from(self.issued_at);
        u128::from(t) <= issued + u128::from(params.challenge_lifetime())
            && issued <= u128::from(t) + u128::from(params.step_secs())
    }

    /// What a verifier records when it accepts a code for this challenge.
    pub const fn used(&self, params: &Params) -> UsedChallenge {
        UsedChallenge { nonce: self.nonce, closes: self.closes(params) }
    }
}

#[cfg(feature = "serde")]
mod nonce_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(nonce: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::codec::to_hex(nonce))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = crate::codec::from_hex(&text).map_err(serde::de::Error::custom)?;
        bytes.try_into().map_err(|_| serde::de::Error::custom("a nonce is 16 bytes"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn layout_is_the_spec_table() {
        let c = Challenge::new(0x0102_0304, 0x1112_1314_1516_1718, 0x2122_2324_2526_2728, [0x33; 16]);
        let b = c.encode();
        assert_eq!(b[0], 3);
        assert_eq!(b[1..5], [1, 2, 3, 4]);
        assert_eq!(b[5..13], [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]);
        assert_eq!(b[13..21], [0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28]);
        assert_eq!(b[21..], [0x33; 16]);
        assert_eq!(c.to_qr_text().len(), 60);
        assert_eq!(Challenge::decode(&b), Ok(c));
    }

    #[test]
    fn decoding_is_strict() {
        let c = Challenge::new(7, 250, 1_800_000_000, [5; 16]);
        let text = c.to_qr_text();
        assert_eq!(Challenge::parse(&text), Ok(c));
        assert_eq!(Challenge::parse(&text.replacen("PT3:", "PC3:", 1)), Err(Error::Malformed));
        assert_eq!(Challenge::parse(&text[..59]), Err(Error::Malformed));
        assert_eq!(Challenge::parse(&format!("{text}00")), Err(Error::Malformed));
        let mut b = c.encode();
        b[0] = 1;
        assert_eq!(Challenge::decode(&b), Err(Error::Malformed));
        assert_eq!(Challenge::decode(&b[..36]), Err(Error::Malformed));
        let lower = format!("PT3:{}", text[4..].to_lowercase());
        assert_eq!(Challenge::parse(&lower), Err(Error::Malformed));
    }

    #[test]
    fn digest_is_sha256_of_the_label_and_the_bytes() {
        let c = Challenge::new(7, 250, 1_800_000_000, [5; 16]);
        let mut input = b"paycode/v3/challenge\0".to_vec();
        input.extend_from_slice(&c.encode());
        let expected: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(c.digest(), expected);
        assert_ne!(Challenge::new(7, 251, 1_800_000_000, [5; 16]).digest(), expected);
    }

    #[test]
    fn open_from_one_step_ahead_through_the_lifetime() {
        let p = Params::default();
        let c = Challenge::new(7, 250, 1000, [5; 16]);
        assert!(c.is_open(&p, 1120));
        assert!(!c.is_open(&p, 1121));
        assert!(c.is_open(&p, 940));
        assert!(!c.is_open(&p, 939));
        let top = Challenge::new(7, 250, u64::MAX, [5; 16]);
        assert!(top.is_open(&p, u64::MAX));
        assert_eq!(top.closes(&p), u64::MAX);
    }
}
