//! Code payloads and their QR text form (spec §4, §5).
//!
//! Decoding is strict: a [`Code`] exists only for input that is exactly the
//! canonical encoding of a well-formed payload (spec: R-ENC-1..R-ENC-3).

use crate::base45;
use crate::codec::{Reader, Writer};
use crate::credential::{CREDENTIAL_LEN, Credential};
use crate::errors::Error;
use crate::numeric::{DIGITS, NumericCode};
use crate::profile::{PROFILE_ED25519, PROFILE_HMAC, Profile, VERSION};

/// The QR text prefix (spec: R-ENC-1).
pub const QR_PREFIX: &str = "PC1:";
/// Domain-separation string of the hmac QR tag (spec: R-KEY-3).
pub const DS_HMAC_QR: &[u8] = b"paycode/v1/hmac/qr-code\0";
/// Domain-separation string of the ed25519 device signature (spec: R-KEY-3).
pub const DS_ED25519_CODE: &[u8] = b"paycode/v1/ed25519/code\0";
/// Encoded length of an hmac payload.
pub const HMAC_PAYLOAD_LEN: usize = 38;
/// Encoded length of an ed25519 payload.
pub const ED25519_PAYLOAD_LEN: usize = 204;
/// Base45 characters of an hmac payload (its QR text after [`QR_PREFIX`]).
const HMAC_TEXT_LEN: usize = HMAC_PAYLOAD_LEN / 2 * 3;
/// Length of the part of an hmac payload the tag covers.
pub const HMAC_MACED_LEN: usize = 22;
/// Length of the part of an ed25519 payload the device signature covers.
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
    /// Parses a code as scanned: QR text (`PC1:...`) or 24 digits.
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
            let mut buf = [0u8; ED25519_PAYLOAD_LEN];
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
        // spec: R-VERIFY-1 (V1): version, then profile, then exact length.
        match payload {
            [] => Err(Error::Malformed),
            [v, ..] if *v != VERSION => Err(Error::UnsupportedVersion),
            [_] => Err(Error::Malformed),
            [_, PROFILE_HMAC, ..] => HmacCode::decode(payload).map(Code::Hmac),
            [_, PROFILE_ED25519, ..] => Ed25519Code::decode(payload).map(|c| Code::Ed25519(Box::new(c))),
            _ => Err(Error::UnsupportedProfile),
        }
    }

    /// The code's profile.
    pub const fn profile(&self) -> Profile {
        match self {
            Code::Hmac(_) | Code::Numeric(_) => Profile::Hmac,
            Code::Ed25519(_) => Profile::Ed25519,
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

/// An hmac profile code (38-byte payload).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HmacCode {
    pub(crate) account_id: u64,
    pub(crate) step: u64,
    pub(crate) counter: u32,
    pub(crate) tag: [u8; 16],
}

impl HmacCode {
    /// The code with these fields. Nothing is checked: whether `tag` is the
    /// account's MAC is for a verifier to decide.
    pub const fn new(account_id: u64, step: u64, counter: u32, tag: [u8; 16]) -> HmacCode {
        HmacCode { account_id, step, counter, tag }
    }

    /// Decodes a 38-byte hmac payload.
    ///
    /// # Errors
    ///
    /// As [`Code::parse`].
    pub fn decode(payload: &[u8]) -> Result<HmacCode, Error> {
        let bytes: &[u8; HMAC_PAYLOAD_LEN] = payload.try_into().map_err(|_| Error::Malformed)?;
        let mut r = Reader::new(bytes);
        header(&mut r, PROFILE_HMAC)?;
        Ok(HmacCode { account_id: r.u64()?, step: r.u64()?, counter: r.u32()?, tag: r.array()? })
    }

    /// The payload bytes.
    pub fn encode(&self) -> [u8; HMAC_PAYLOAD_LEN] {
        let mut w = Writer::<HMAC_PAYLOAD_LEN>::new();
        w.bytes(&self.maced());
        w.bytes(&self.tag);
        w.finish()
    }

    /// `PC1:` + Base45 of the payload.
    pub fn to_qr_text(&self) -> String {
        qr_text(&self.encode())
    }

    /// The first 22 payload bytes, which the tag covers.
    pub fn maced(&self) -> [u8; HMAC_MACED_LEN] {
        let mut w = Writer::<HMAC_MACED_LEN>::new();
        w.u8(VERSION);
        w.u8(PROFILE_HMAC);
        w.u64(self.account_id);
        w.u64(self.step);
        w.u32(self.counter);
        w.finish()
    }

    /// The account id.
    pub const fn account_id(&self) -> u64 {
        self.account_id
    }

    /// The time step the code was generated in.
    pub const fn step(&self) -> u64 {
        self.step
    }

    /// The wallet's counter.
    pub const fn counter(&self) -> u32 {
        self.counter
    }

    /// The 16-byte tag.
    pub const fn tag(&self) -> &[u8; 16] {
        &self.tag
    }
}

impl core::fmt::Debug for HmacCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HmacCode")
            .field("account_id", &self.account_id)
            .field("step", &self.step)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// An ed25519 profile code (204-byte payload).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ed25519Code {
    pub(crate) step: u64,
    pub(crate) counter: u32,
    pub(crate) credential: Credential,
    pub(crate) bytes: [u8; ED25519_PAYLOAD_LEN],
}

impl Ed25519Code {
    /// Decodes a 204-byte ed25519 payload.
    ///
    /// # Errors
    ///
    /// As [`Code::parse`].
    pub fn decode(payload: &[u8]) -> Result<Ed25519Code, Error> {
        let bytes: [u8; ED25519_PAYLOAD_LEN] = payload.try_into().map_err(|_| Error::Malformed)?;
        let mut r = Reader::new(&bytes);
        header(&mut r, PROFILE_ED25519)?;
        let step = r.u64()?;
        let counter = r.u32()?;
        let cred: [u8; CREDENTIAL_LEN] = r.array()?;
        let credential = Credential::decode(&cred)?;
        Ok(Ed25519Code { step, counter, credential, bytes })
    }

    /// Assembles the signed part of a code; the caller signs it.
    pub fn unsigned(step: u64, counter: u32, credential: &Credential) -> [u8; ED25519_SIGNED_LEN] {
        let mut w = Writer::<ED25519_SIGNED_LEN>::new();
        w.u8(VERSION);
        w.u8(PROFILE_ED25519);
        w.u64(step);
        w.u32(counter);
        w.bytes(credential.as_bytes());
        w.finish()
    }

    /// The payload bytes.
    pub const fn encode(&self) -> &[u8; ED25519_PAYLOAD_LEN] {
        &self.bytes
    }

    /// `PC1:` + Base45 of the payload.
    pub fn to_qr_text(&self) -> String {
        qr_text(&self.bytes)
    }

    /// The device signature's input: the domain-separation string and the first 140 payload bytes.
    pub fn signing_input(&self) -> Vec<u8> {
        [DS_ED25519_CODE, self.bytes.get(..ED25519_SIGNED_LEN).unwrap_or_default()].concat()
    }

    /// The device signature.
    pub fn signature(&self) -> [u8; 64] {
        let mut sig = [0u8; 64];
        if let Some(s) = self.bytes.get(ED25519_SIGNED_LEN..) {
            sig.copy_from_slice(s);
        }
        sig
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
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

/// The profile a QR text's payload names, if the text decodes far enough to
/// show a v1 version byte and a known profile byte (for the spec's
/// precedence of `unsupported-profile` over the length check).
pub fn qr_profile(text: &str) -> Option<Profile> {
    let payload = base45::decode(text.strip_prefix(QR_PREFIX)?).ok()?;
    match payload.get(..2)? {
        [VERSION, PROFILE_HMAC] => Some(Profile::Hmac),
        [VERSION, PROFILE_ED25519] => Some(Profile::Ed25519),
        _ => None,
    }
}

fn qr_text(payload: &[u8]) -> String {
    let mut s = String::from(QR_PREFIX);
    s.push_str(&base45::encode(payload));
    s
}

fn header(r: &mut Reader<'_>, profile: u8) -> Result<(), Error> {
    if r.u8()? != VERSION {
        return Err(Error::UnsupportedVersion);
    }
    if r.u8()? != profile {
        return Err(Error::UnsupportedProfile);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_of_decode_errors() {
        assert_eq!(Code::decode_payload(&[]), Err(Error::Malformed));
        assert_eq!(Code::decode_payload(&[2]), Err(Error::UnsupportedVersion));
        assert_eq!(Code::decode_payload(&[2, 9, 9]), Err(Error::UnsupportedVersion));
        assert_eq!(Code::decode_payload(&[1]), Err(Error::Malformed));
        assert_eq!(Code::decode_payload(&[1, 3, 0]), Err(Error::UnsupportedProfile));
        assert_eq!(Code::decode_payload(&[1, 1, 0]), Err(Error::Malformed));
        assert_eq!(Code::decode_payload(&[1, 2, 0]), Err(Error::Malformed));
        assert_eq!(Code::parse("PC1:"), Err(Error::Malformed));
        assert_eq!(Code::parse("pc1:00"), Err(Error::Malformed));
        assert_eq!(Code::parse(""), Err(Error::Malformed));
    }

    #[test]
    fn parse_of_text_longer_than_any_code_keeps_the_precedence() {
        let long =
            |first: u8| format!("{QR_PREFIX}{}", base45::encode(&[&[first, 1][..], &[0; 300]].concat()));
        assert_eq!(Code::parse(&long(2)), Err(Error::UnsupportedVersion));
        assert_eq!(Code::parse(&long(1)), Err(Error::Malformed));
        // The longest code's text goes through the stack buffer.
        let full = format!("{QR_PREFIX}{}", base45::encode(&[2u8; ED25519_PAYLOAD_LEN]));
        assert_eq!(Code::parse(&full), Err(Error::UnsupportedVersion));
    }

    #[test]
    fn parse_of_hmac_length_text_equals_the_general_path() {
        // 57 characters after the prefix take the fixed-length decoder; its
        // verdicts must be those of decoding the text, then the payload.
        let chars = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a";
        let valid = HmacCode { account_id: 42, step: 7, counter: 3, tag: [9; 16] }.to_qr_text();
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
        let c = HmacCode { account_id: 42, step: 7, counter: 3, tag: [9; 16] };
        let bytes = c.encode();
        assert_eq!(bytes[..2], [1, 1]);
        assert_eq!(bytes[2..10], 42u64.to_be_bytes());
        assert_eq!(HmacCode::decode(&bytes).unwrap(), c);
        let text = c.to_qr_text();
        assert_eq!(text.len(), 4 + 57);
        assert_eq!(Code::parse(&text).unwrap(), Code::Hmac(c));
        assert_eq!(Code::parse(&text[..text.len() - 3]), Err(Error::Malformed));
    }
}
