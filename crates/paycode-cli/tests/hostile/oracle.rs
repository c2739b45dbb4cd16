//! The oracle: the error code the spec gives an input, derived from the byte
//! layouts and the check order (spec §4, §5, §7.4), with a Base45 codec of
//! its own.

use paycode::Error;
use paycode_test_support::fixture;

/// The RFC 9285 alphabet, in value order.
pub const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// What the verifier under test knows, as far as the oracle needs it.
pub struct World {
    /// The trusted issuer key ids.
    pub trusted: Vec<u16>,
    /// The genuine codes (QR text or digits); the only inputs that may be accepted.
    pub genuine: Vec<String>,
}

impl World {
    pub fn fixture() -> World {
        World {
            trusted: vec![fixture::KEY_ID, fixture::OTHER_KEY_ID],
            genuine: fixture::valid_codes().into_iter().map(|v| v.text).collect(),
        }
    }

    /// The credential bytes of the genuine ed25519 codes (one-way codes: the
    /// credential at offset 14).
    fn credentials(&self) -> Vec<Vec<u8>> {
        self.genuine
            .iter()
            .filter_map(|t| t.strip_prefix("PC3:"))
            .filter_map(|rest| b45_decode(rest.as_bytes()))
            .filter(|p| p.len() == 204 && p[1] == 0x02)
            .map(|p| p[14..140].to_vec())
            .collect()
    }

    /// The verdict the spec requires for `input` at a verifier with fresh
    /// state, at the genuine codes' time, for an amount within the limits,
    /// in a call without a challenge.
    pub fn expect(&self, input: &[u8]) -> Result<(), Error> {
        // Only genuine codes can pass a MAC or signature check.
        let genuine = self.genuine.iter().any(|g| g.as_bytes() == input);
        let Ok(text) = std::str::from_utf8(input) else { return Err(Error::Malformed) };
        if let Some(rest) = text.strip_prefix("PC3:") {
            let payload = b45_decode(rest.as_bytes()).ok_or(Error::Malformed)?;
            return self.expect_payload(&payload, genuine);
        }
        if text.len() != 24 {
            return Err(Error::Malformed);
        }
        // spec §4.3, §5.3: exactly 24 ASCII digits, value below 2^79.
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Malformed);
        }
        let n: u128 = text.parse().map_err(|_| Error::Malformed)?;
        if n >= 1 << 79 {
            return Err(Error::Malformed);
        }
        // spec R-HMAC-3: the step nearest the verifier's with those 4 low bits;
        // H0: the window before the handle (spec §7.4).
        let s_now = fixture::step_now();
        let lo = s_now.saturating_sub(8).min(u64::MAX - 15);
        let low = u64::try_from((n >> 45) & 0xf).map_err(|_| Error::Malformed)?;
        window(lo + (low.wrapping_sub(lo) & 0xf))?;
        // The handle names no account, or the tag is not its account's: the
        // same `invalid-code` either way (spec §7.4 H1, H2).
        if genuine { Ok(()) } else { Err(Error::InvalidCode) }
    }

    /// Steps V1, V2.1, H1-H3 and E1-E5 on a decoded payload (spec §7.4).
    fn expect_payload(&self, p: &[u8], genuine: bool) -> Result<(), Error> {
        // spec R-MODE-1: the second byte is mode * 16 + profile, modes 0 to 2.
        let (profile, mode) = match p {
            [] => return Err(Error::Malformed),
            [v, ..] if *v != 3 => return Err(Error::UnsupportedVersion),
            [_] => return Err(Error::Malformed),
            [_, b @ (0x01 | 0x02 | 0x11 | 0x12 | 0x21 | 0x22), ..] => (b & 0x0f, b >> 4),
            _ => return Err(Error::UnsupportedProfile),
        };
        // Sections 4.2 and 4.5: a capped code carries 4 bytes more.
        let cap_len = if mode == 1 { 4 } else { 0 };
        let len = if profile == 1 { 38 } else { 204 } + cap_len;
        if p.len() != len {
            return Err(Error::Malformed);
        }
        // V2.1: a challenge code in a call without a challenge.
        if mode == 2 {
            return Err(Error::NoChallenge);
        }
        // hmac: the window first (H0), then an unknown handle and a wrong tag
        // are both `invalid-code` (spec §7.4 H1, H2).
        if profile == 1 {
            let mut step = [0u8; 8];
            step.copy_from_slice(&p[10..18]);
            window(u64::from_be_bytes(step))?;
        } else {
            let credential = &p[14 + cap_len..140 + cap_len];
            if !self.trusted.contains(&u16::from_be_bytes([credential[0], credential[1]])) {
                return Err(Error::UnknownIssuer);
            }
            if !self.credentials().iter().any(|c| c[..] == *credential) {
                return Err(Error::BadCredential);
            }
        }
        if genuine { Ok(()) } else { Err(Error::InvalidCode) }
    }
}

/// Step H0 of an hmac code at a verifier with fresh state at the genuine
/// codes' time, default parameters (`B = 2`, `F = 1`): `[s_now - 2, s_now + 1]`.
fn window(step: u64) -> Result<(), Error> {
    let s_now = fixture::step_now();
    if step < s_now - 2 {
        Err(Error::TooOld)
    } else if step > s_now + 1 {
        Err(Error::TooNew)
    } else {
        Ok(())
    }
}

/// Canonical Base45 decoding (RFC 9285 with the spec's canonical rules,
/// spec §5.2), written independently of the library's.
pub fn b45_decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 3 == 1 {
        return None;
    }
    let mut out = Vec::new();
    for group in s.chunks(3) {
        let mut n = 0u32;
        for (i, c) in group.iter().enumerate() {
            let v = ALPHABET.iter().position(|a| a == c)? as u32;
            n += v * 45u32.pow(i as u32);
        }
        if group.len() == 3 {
            out.extend_from_slice(&u16::try_from(n).ok()?.to_be_bytes());
        } else {
            out.push(u8::try_from(n).ok()?);
        }
    }
    Some(out)
}

/// Base45 encoding, written independently of the library's.
pub fn b45_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(2) {
        let (mut n, digits) = match chunk {
            [a, b] => (u32::from(*a) * 256 + u32::from(*b), 3),
            _ => (u32::from(chunk[0]), 2),
        };
        for _ in 0..digits {
            out.push(char::from(ALPHABET[(n % 45) as usize]));
            n /= 45;
        }
    }
    out
}

/// The terms of a challenge (spec §4.9).
pub struct Terms {
    pub terminal_id: u32,
    pub amount: u64,
    pub issued_at: u64,
}

/// The challenge `input` decodes to, if it is one (spec R-CHAL-1): `PT3:`,
/// canonical Base45 of 37 bytes, version byte 2.
pub fn decode_challenge(input: &[u8]) -> Option<Terms> {
    let p = b45_decode(input.strip_prefix(b"PT3:")?)?;
    if p.len() != 37 || p[0] != 3 {
        return None;
    }
    Some(Terms {
        terminal_id: u32::from_be_bytes(p[1..5].try_into().unwrap()),
        amount: u64::from_be_bytes(p[5..13].try_into().unwrap()),
        issued_at: u64::from_be_bytes(p[13..21].try_into().unwrap()),
    })
}

/// A challenge-mode payment: a code made for the challenge `genuine`,
/// presented at terminal `terminal_id` for `amount` at time `now`, with
/// another text as its challenge.
pub struct ChallengeWorld {
    pub genuine: String,
    pub terminal_id: u32,
    pub amount: u64,
    pub now: u64,
    /// `C`, seconds.
    pub lifetime: u64,
    /// `X`, seconds.
    pub step: u64,
}

impl ChallengeWorld {
    /// The verdict the spec requires when the challenge is `input`: V1.C,
    /// then V2.2, V2.3, then the code's MAC or signature, which covers the
    /// genuine challenge only (spec §7.4, R-CHAL-2, R-CHAL-3).
    pub fn expect(&self, input: &[u8]) -> Result<(), Error> {
        let terms = decode_challenge(input).ok_or(Error::Malformed)?;
        if terms.terminal_id != self.terminal_id || terms.amount != self.amount {
            return Err(Error::ChallengeMismatch);
        }
        let (now, issued) = (u128::from(self.now), u128::from(terms.issued_at));
        if now > issued + u128::from(self.lifetime) || issued > now + u128::from(self.step) {
            return Err(Error::ChallengeExpired);
        }
        if input == self.genuine.as_bytes() { Ok(()) } else { Err(Error::InvalidCode) }
    }
}
