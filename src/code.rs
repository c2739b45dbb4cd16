//! Code payloads and their QR text form (spec §4, §5).
//!
//! Decoding is strict: a [`Code`] exists only for input that is exactly the
//! canonical encoding of a well-formed payload (spec: R-ENC-1..R-ENC-3).

use crate::base45;
use crate::codec::{Reader, Writer};
use crate::credential::{CREDENTIAL_LEN, Credential};
use crate::errors::Error;
use crate::numeric::{DIGITS, NumericCode};
use crate::profile::{Mode, PROFILE_ED25519, Profile, VERSION, split_profile_byte};

/// The QR text prefix (spec: R-ENC-1).
pub const QR_PREFIX: &str = "PC3:";
/// Domain-separation string of the hmac QR tag (spec: R-KEY-3).
pub const DS_HMAC_QR: &[u8] = b"paycode/v3/hmac/qr-code\0";
/// Domain-separation string of the ed25519 device signature (spec: R-KEY-3).
pub const DS_ED25519_CODE: &[u8] = b"paycode/v3/ed25519/code\0";
/// Encoded length of an hmac payload, one-way or challenge.
pub const HMAC_PAYLOAD_LEN: usize = 38;
/// Encoded length of a capped hmac payload.
pub const HMAC_CAPPED_PAYLOAD_LEN: usize = 42;
/// Encoded length of an ed25519 payload, one-way or challenge.
pub const ED25519_PAYLOAD_LEN: usize = 204;
/// Encoded length of a capped ed25519 payload.
pub const ED25519_CAPPED_PAYLOAD_LEN: usize = 208;
/// Base45 characters of an hmac payload (its QR text after [`QR_PREFIX`]).
const HMAC_TEXT_LEN: usize = HMAC_PAYLOAD_LEN / 2 * 3;
/// Length of the part of an hmac payload the tag covers, `head` (one-way or challenge).
pub const HMAC_MACED_LEN: usize = 22;
/// Length of the part of an ed25519 payload the device signature covers (one-way or challenge).
pub const ED25519_SIGNED_LEN: usize = 140;

/// A decoded payment code of either profile, in either form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    /// An hmac code from QR text.
    Hmac(HmacCode),
    /// An hmac code from its 24-digit numeric form.
    Numeric(NumericCode),
    /// An ed25519 code from QR text (boxed: it is six times the size of the others).
    Ed25519(Box<Ed25519Code>),
}

impl Code {
    /// Parses a code as scanned: QR text (`PC3:...`) or 24 digits.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`], [`Error::UnsupportedVersion`] or
    /// [`Error::UnsupportedProfile`], in the spec's precedence (spec: R-VERIFY-1).
    ///
    /// ```
    /// assert_eq!(paycode::Code::parse("hello"), Err(paycode::Error::Malformed));
    /// ```
    pub fn parse(text: &str) -> Result<Code, Error> {
        if let Some(rest) = text.strip_prefix(QR_PREFIX) {
            // An hmac code's text, the one a verifier sees most, decodes at
            // a length known when compiling.
            if let Ok(chars) = <&[u8; HMAC_TEXT_LEN]>::try_from(rest.as_bytes()) {
                let payload: [u8; HMAC_PAYLOAD_LEN] =
                    base45::decode_array(chars).map_err(|_| Error::Malformed)?;
                return Code::decode_payload(&payload);
            }
            // Every code fits a stack buffer; longer text is still decoded
            // in full, as its version byte decides the verdict first.
            let mut buf = [0u8; ED25519_CAPPED_PAYLOAD_LEN];
            match base45::decoded_len(rest.len()) {
                Ok(n) if n <= buf.len() => {
                    Code::decode_payload(base45::decode_into(rest, &mut buf).map_err(|_| Error::Malformed)?)
                }
                _ => Code::decode_payload(&base45::decode(rest).map_err(|_| Error::Malformed)?),
            }
        } else if text.len() == DIGITS {
            NumericCode::parse(text).map(Code::Numeric)
        } else {
            Err(Error::Malformed)
        }
    }

    /// Decodes a binary payload.
    ///
    /// # Errors
    ///
    /// As [`Code::parse`].
    pub fn decode_payload(payload: &[u8]) -> Result<Code, Error> {
        // spec: R-VERIFY-1 (V1): version, then profile and mode, then exact length.
        match payload {
            [] => Err(Error::Malformed),
            [v, ..] if *v != VERSION => Err(Error::UnsupportedVersion),
            [_] => Err(Error::Malformed),
            [_, p, ..] => match split_profile_byte(*p) {
                Some((Profile::Hmac, _)) => HmacCode::decode(payload).map(Code::Hmac),
                Some((Profile::Ed25519, _)) => {
                    Ed25519Code::decode(payload).map(|c| Code::Ed25519(Box::new(c)))
                }
                None => Err(Error::UnsupportedProfile),
            },
        }
    }

    /// The code's profile.
    pub const fn profile(&self) -> Profile {
        match self {
            Code::Hmac(_) | Code::Numeric(_) => Profile::Hmac,
            Code::Ed25519(_) => Profile::Ed25519,
        }
    }

    /// The code's mode; a numeric code is one-way (spec: R-MODE-1).
    pub const fn mode(&self) -> Mode {
        match self {
            Code::Hmac(c) => c.mode,
            Code::Numeric(_) => Mode::OneWay,
            Code::Ed25519(c) => c.mode,
        }
    }

    /// The code's scannable text: QR text, or the 24 digits.
    pub fn to_text(&self) -> String {
        match self {
            Code::Hmac(c) => c.to_qr_text(),
            Code::Numeric(c) => c.to_digits(),
            Code::Ed25519(c) => c.to_qr_text(),
        }
    }
}

/// An hmac profile code (38-byte payload, 42 when capped): the account's
/// handle for the step, the step, the counter masked with the step's pad,
/// the mode and the tag (spec: R-HANDLE-2). Only a verifier that knows the
/// account's keys learns the account and the counter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HmacCode {
    pub(crate) handle: [u8; 8],
    pub(crate) step: u64,
    pub(crate) masked_counter: u32,
    pub(crate) mode: Mode,
    pub(crate) tag: [u8; 16],
}

impl HmacCode {
    /// The one-way code with these wire fields. Nothing is checked: whether
    /// `tag` is an account's MAC is for a verifier to decide.
    pub const fn new(handle: [u8; 8], step: u64, masked_counter: u32, tag: [u8; 16]) -> HmacCode {
        HmacCode { handle, step, masked_counter, mode: Mode::OneWay, tag }
    }

    /// This code in mode `mode` (with the same tag, which a verifier then judges).
    #[must_use]
    pub const fn with_mode(self, mode: Mode) -> HmacCode {
        HmacCode { mode, ..self }
    }

    /// Decodes an hmac payload: 38 bytes, or 42 for a capped code.
    ///
    /// # Errors
    ///
    /// As [`Code::parse`].
    pub fn decode(payload: &[u8]) -> Result<HmacCode, Error> {
        let mut r = Reader::new(payload);
        let mode = header(&mut r, Profile::Hmac)?;
        let len = if mode == 1 { HMAC_CAPPED_PAYLOAD_LEN } else { HMAC_PAYLOAD_LEN };
        if payload.len() != len {
            return Err(Error::Malformed);
        }
        let handle = r.array()?;
        let step = r.u64()?;
        let masked_counter = r.u32()?;
        let mode = match mode {
            1 => Mode::Capped(r.u32()?),
            2 => Mode::Challenge,
            _ => Mode::OneWay,
        };
        Ok(HmacCode { handle, step, masked_counter, mode, tag: r.array()? })
    }

    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        let (bytes, len) = self.payload();
        bytes.get(..len).unwrap_or_default().to_vec()
    }

    /// The payload in an array, with its length (38, or 42 for a capped
    /// code): [`HmacCode::encode`] without allocating.
    pub(crate) fn payload(&self) -> ([u8; HMAC_CAPPED_PAYLOAD_LEN], usize) {
        let mut out = [0u8; HMAC_CAPPED_PAYLOAD_LEN];
        let len = self.payload_into(&mut out);
        (out, len)
    }

    /// Writes the payload at the start of `out`; returns its length.
    pub(crate) fn payload_into(&self, out: &mut [u8; HMAC_CAPPED_PAYLOAD_LEN]) -> usize {
        let head = self.head_into(out);
        let len = head + self.tag.len();
        if let Some(tag) = out.get_mut(head..len) {
            tag.copy_from_slice(&self.tag);
        }
        len
    }

    /// Writes `head` at the start of `out`; returns its length.
    fn head_into(&self, out: &mut [u8; HMAC_CAPPED_PAYLOAD_LEN]) -> usize {
        let [version, mode, rest @ ..] = out;
        *version = VERSION;
        *mode = self.mode.byte(Profile::Hmac);
        let (handle, rest) = rest.split_at_mut(8);
        handle.copy_from_slice(&self.handle);
        let (step, rest) = rest.split_at_mut(8);
        step.copy_from_slice(&self.step.to_be_bytes());
        let (counter, rest) = rest.split_at_mut(4);
        counter.copy_from_slice(&self.masked_counter.to_be_bytes());
        match self.mode {
            Mode::Capped(cap) => {
                rest.get_mut(..4).unwrap_or_default().copy_from_slice(&cap.to_be_bytes());
                HMAC_PAYLOAD_LEN + 4 - self.tag.len()
            }
            Mode::OneWay | Mode::Challenge => HMAC_PAYLOAD_LEN - self.tag.len(),
        }
    }

    /// `PC3:` + Base45 of the payload.
    pub fn to_qr_text(&self) -> String {
        qr_text(&self.encode())
    }

    /// The payload bytes the tag covers, `head`: 22, or 26 for a capped code.
    pub fn maced(&self) -> Vec<u8> {
        let mut out = [0u8; HMAC_CAPPED_PAYLOAD_LEN];
        let len = self.head_into(&mut out);
        out.get(..len).unwrap_or_default().to_vec()
    }

    /// The code's mode.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// The account's handle for the code's step (spec: R-HANDLE-2).
    pub const fn handle(&self) -> [u8; 8] {
        self.handle
    }

    /// The handle as a big-endian u64, the key of a verifier's index.
    pub const fn handle_value(&self) -> u64 {
        u64::from_be_bytes(self.handle)
    }

    /// The time step the code was generated in.
    pub const fn step(&self) -> u64 {
        self.step
    }

    /// The wallet's counter XOR the step's pad (spec: R-HANDLE-2).
    pub const fn masked_counter(&self) -> u32 {
        self.masked_counter
    }

    /// The 16-byte tag.
    pub const fn tag(&self) -> &[u8; 16] {
        &self.tag
    }
}

impl core::fmt::Debug for HmacCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HmacCode")
            .field("handle", &self.handle)
            .field("step", &self.step)
            .field("masked_counter", &self.masked_counter)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// An ed25519 profile code (204-byte payload, 208 when capped).
#[derive(Clone, PartialEq, Eq)]
pub struct Ed25519Code {
    pub(crate) step: u64,
    pub(crate) counter: u32,
    pub(crate) mode: Mode,
    pub(crate) credential: Credential,
    pub(crate) bytes: Vec<u8>,
}

impl Ed25519Code {
    /// Decodes an ed25519 payload: 204 bytes, or 208 for a capped code.
    ///
    /// # Errors
    ///
    /// As [`Code::parse`].
    pub fn decode(payload: &[u8]) -> Result<Ed25519Code, Error> {
        let mut r = Reader::new(payload);
        let mode = header(&mut r, Profile::Ed25519)?;
        let len = if mode == 1 { ED25519_CAPPED_PAYLOAD_LEN } else { ED25519_PAYLOAD_LEN };
        if payload.len() != len {
            return Err(Error::Malformed);
        }
        let step = r.u64()?;
        let counter = r.u32()?;
        let mode = match mode {
            1 => Mode::Capped(r.u32()?),
            2 => Mode::Challenge,
            _ => Mode::OneWay,
        };
        let cred: [u8; CREDENTIAL_LEN] = r.array()?;
        let credential = Credential::decode(&cred)?;
        Ok(Ed25519Code { step, counter, mode, credential, bytes: payload.to_vec() })
    }

    /// Assembles the signed part of a one-way code; the caller signs it.
    pub fn unsigned(step: u64, counter: u32, credential: &Credential) -> [u8; ED25519_SIGNED_LEN] {
        let mut w = Writer::<ED25519_SIGNED_LEN>::new();
        w.u8(VERSION);
        w.u8(PROFILE_ED25519);
        w.u64(step);
        w.u32(counter);
        w.bytes(credential.as_bytes());
        w.finish()
    }

    /// Assembles the signed part, `head`, of a code in mode `mode`: 140
    /// bytes, or 144 for a capped code. The caller signs it, with the
    /// challenge digest after it for a challenge code (spec: R-ED-5).
    pub fn unsigned_in(step: u64, counter: u32, mode: Mode, credential: &Credential) -> Vec<u8> {
        let mut out = Vec::with_capacity(ED25519_CAPPED_PAYLOAD_LEN);
        out.push(VERSION);
        out.push(mode.byte(Profile::Ed25519));
        out.extend_from_slice(&step.to_be_bytes());
        out.extend_from_slice(&counter.to_be_bytes());
        if let Mode::Capped(cap) = mode {
            out.extend_from_slice(&cap.to_be_bytes());
        }
        out.extend_from_slice(credential.as_bytes());
        out
    }

    /// The code made of `head` (from [`Ed25519Code::unsigned_in`]) and its signature.
    ///
    /// # Errors
    ///
    /// As [`Ed25519Code::decode`], for a `head` that is not one.
    pub fn assemble(head: &[u8], signature: &[u8; 64]) -> Result<Ed25519Code, Error> {
        Ed25519Code::decode(&[head, signature].concat())
    }

    /// The payload bytes.
    pub fn encode(&self) -> &[u8] {
        &self.bytes
    }

    /// `PC3:` + Base45 of the payload.
    pub fn to_qr_text(&self) -> String {
        qr_text(&self.bytes)
    }

    /// The part of the payload the device signature covers, `head`: 140
    /// bytes, or 144 for a capped code.
    pub fn head(&self) -> &[u8] {
        self.bytes.get(..self.bytes.len().saturating_sub(64)).unwrap_or_default()
    }

    /// The device signature's input: the domain-separation string and `head`;
    /// a challenge code's signature also covers the challenge digest, which
    /// the caller appends (spec: R-ED-5).
    pub fn signing_input(&self) -> Vec<u8> {
        [DS_ED25519_CODE, self.head()].concat()
    }

    /// The device signature.
    pub fn signature(&self) -> [u8; 64] {
        let mut sig = [0u8; 64];
        if let Some(s) = self.bytes.get(self.head().len()..) {
            sig.copy_from_slice(s);
        }
        sig
    }

    /// The code's mode.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// The time step the code was generated in.
    pub const fn step(&self) -> u64 {
        self.step
    }

    /// The wallet's counter.
    pub const fn counter(&self) -> u32 {
        self.counter
    }

    /// The credential the code carries.
    pub const fn credential(&self) -> &Credential {
        &self.credential
    }
}

impl core::fmt::Debug for Ed25519Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ed25519Code")
            .field("step", &self.step)
            .field("counter", &self.counter)
            .field("mode", &self.mode)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

/// The profile a QR text's payload names, if the text decodes far enough to
/// show a v1 version byte and a known profile and mode byte (for the spec's
/// precedence of `unsupported-profile` over the length check).
pub fn qr_profile(text: &str) -> Option<Profile> {
    let payload = base45::decode(text.strip_prefix(QR_PREFIX)?).ok()?;
    match payload.get(..2)? {
        [VERSION, p] => split_profile_byte(*p).map(|(profile, _)| profile),
        _ => None,
    }
}

fn qr_text(payload: &[u8]) -> String {
    let mut s = String::from(QR_PREFIX);
    s.push_str(&base45::encode(payload));
    s
}

/// Reads the version and the profile and mode byte; returns the mode number.
fn header(r: &mut Reader<'_>, profile: Profile) -> Result<u8, Error> {
    if r.u8()? != VERSION {
        return Err(Error::UnsupportedVersion);
    }
    match split_profile_byte(r.u8()?) {
        Some((p, mode)) if p == profile => Ok(mode),
        _ => Err(Error::UnsupportedProfile),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_of_decode_errors() {
        assert_eq!(Code::decode_payload(&[]), Err(Error::Malformed));
        assert_eq!(Code::decode_payload(&[1]), Err(Error::UnsupportedVersion));
        assert_eq!(Code::decode_payload(&[1, 9, 9]), Err(Error::UnsupportedVersion));
        assert_eq!(Code::decode_payload(&[3]), Err(Error::Malformed));
        assert_eq!(Code::decode_payload(&[3, 3, 0]), Err(Error::UnsupportedProfile));
        assert_eq!(Code::decode_payload(&[3, 1, 0]), Err(Error::Malformed));
        assert_eq!(Code::decode_payload(&[3, 2, 0]), Err(Error::Malformed));
        assert_eq!(Code::parse("PC3:"), Err(Error::Malformed));
        assert_eq!(Code::parse("pc3:00"), Err(Error::Malformed));
        assert_eq!(Code::parse(""), Err(Error::Malformed));
    }

    #[test]
    fn parse_of_text_longer_than_any_code_keeps_the_precedence() {
        let long =
            |first: u8| format!("{QR_PREFIX}{}", base45::encode(&[&[first, 1][..], &[0; 300]].concat()));
        assert_eq!(Code::parse(&long(1)), Err(Error::UnsupportedVersion));
        assert_eq!(Code::parse(&long(3)), Err(Error::Malformed));
        // The longest code's text goes through the stack buffer.
        let full = format!("{QR_PREFIX}{}", base45::encode(&[1u8; ED25519_PAYLOAD_LEN]));
        assert_eq!(Code::parse(&full), Err(Error::UnsupportedVersion));
    }

    #[test]
    fn parse_of_hmac_length_text_equals_the_general_path() {
        // 57 characters after the prefix take the fixed-length decoder; its
        // verdicts must be those of decoding the text, then the payload.
        let chars = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a";
        let valid = HmacCode::new(42u64.to_be_bytes(), 7, 3, [9; 16]).to_qr_text();
        let mut seed = 9u64;
        let mut verdicts = std::collections::BTreeSet::new();
        for round in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // A valid code's text with one to three characters replaced.
            let mut text = valid.as_bytes().to_vec();
            for k in 0..1 + round % 3 {
                let at = 4 + (seed >> (20 + 7 * k)) as usize % HMAC_TEXT_LEN;
                text[at] = chars[(seed >> (40 + 5 * k)) as usize % chars.len()];
            }
            let text = String::from_utf8(text).unwrap();
            let general = base45::decode(&text[4..])
                .map_err(|_| Error::Malformed)
                .and_then(|p| Code::decode_payload(&p));
            let parsed = Code::parse(&text);
            assert_eq!(parsed, general, "{text}");
            verdicts.insert(format!("{:?}", parsed.map(|c| c.profile())));
        }
        // Accepted, malformed, and the version and profile errors all came up.
        assert!(verdicts.len() >= 4, "{verdicts:?}");
    }

    #[test]
    fn hmac_payload_round_trip() {
        let c = HmacCode::new(42u64.to_be_bytes(), 7, 3, [9; 16]);
        let bytes = c.encode();
        assert_eq!(bytes[..2], [3, 1]);
        assert_eq!(bytes[2..10], 42u64.to_be_bytes());
        assert_eq!(HmacCode::decode(&bytes).unwrap(), c);
        let text = c.to_qr_text();
        assert_eq!(text.len(), 4 + 57);
        assert_eq!(Code::parse(&text).unwrap(), Code::Hmac(c));
        assert_eq!(Code::parse(&text[..text.len() - 3]), Err(Error::Malformed));
    }

    #[test]
    fn modes_have_their_own_bytes_and_lengths() {
        let one_way = HmacCode::new(42u64.to_be_bytes(), 7, 3, [9; 16]);
        let capped = one_way.with_mode(Mode::Capped(0x0102_0304));
        let challenge = one_way.with_mode(Mode::Challenge);
        let bytes = capped.encode();
        assert_eq!(bytes.len(), 42);
        assert_eq!(bytes[..2], [3, 0x11]);
        assert_eq!(bytes[22..26], [1, 2, 3, 4]);
        assert_eq!(bytes[26..], [9; 16]);
        assert_eq!(capped.to_qr_text().len(), 4 + 63);
        assert_eq!(Code::parse(&capped.to_qr_text()), Ok(Code::Hmac(capped)));
        let bytes = challenge.encode();
        assert_eq!(bytes.len(), 38);
        assert_eq!(bytes[1], 0x21);
        assert_eq!(Code::parse(&challenge.to_qr_text()), Ok(Code::Hmac(challenge)));
        // A capped layout with a one-way byte, and the reverse, are the wrong length.
        let mut b = capped.encode();
        b[1] = 0x01;
        assert_eq!(Code::decode_payload(&b), Err(Error::Malformed));
        let mut b = one_way.encode();
        b[1] = 0x11;
        assert_eq!(Code::decode_payload(&b), Err(Error::Malformed));
        // Modes 3 and up, and profiles 3 and up, are unknown whatever the length.
        for byte in [0x31u8, 0x32, 0xf1, 0x03, 0x13, 0x00, 0x10] {
            let mut b = one_way.encode();
            b[1] = byte;
            assert_eq!(Code::decode_payload(&b), Err(Error::UnsupportedProfile), "{byte:#x}");
        }
    }
}
