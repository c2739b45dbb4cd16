//! Acceptance log records and the reconciliation of several terminals' logs
//! (spec §4.8, §10).
//!
//! A record carries the code a verifier accepted (its payload, or `N` for a
//! numeric code) and the challenge it answered, so that the issuer can check
//! each record against its keys; reconciliation uses only the records whose
//! evidence verifies (spec: R-LOG-1, R-LOG-2).

use std::collections::{BTreeMap, BTreeSet};

use subtle::ConstantTimeEq;

use crate::challenge::{CHALLENGE_LEN, Challenge};
use crate::code::{Code, DS_ED25519_CODE, DS_HMAC_QR, ED25519_CAPPED_PAYLOAD_LEN};
use crate::codec::Reader;
use crate::errors::Error;
use crate::handle::{MAX_CANDIDATES, StepHandle};
use crate::keys::HmacKeys;
use crate::numeric::NumericCode;
use crate::profile::{Mode, Profile, VERSION};
use crate::trust::TrustList;

/// The kind byte of a record whose evidence is a numeric code (spec §4.8).
pub const KIND_NUMERIC: u8 = 0x81;
/// The fixed part of every record: version, kind, `accepted_at`, `amount`,
/// `terminal_id`, `step`.
pub const HEADER_LEN: usize = 30;
/// The evidence of a numeric record: `N` as 10 bytes, big-endian.
pub const NUMERIC_EVIDENCE_LEN: usize = 10;
/// The longest record: an ed25519 challenge record.
pub const MAX_RECORD_LEN: usize = HEADER_LEN + 204 + CHALLENGE_LEN;

/// The length of a record of kind `kind`, or `None` for a kind that is not
/// in the table of spec §4.8.
///
/// ```
/// assert_eq!(paycode::log::record_len(0x01), Some(68));
/// assert_eq!(paycode::log::record_len(0x22), Some(271));
/// assert_eq!(paycode::log::record_len(0x03), None);
/// ```
pub const fn record_len(kind: u8) -> Option<usize> {
    let evidence = match kind {
        0x01 | 0x21 => 38,
        0x11 => 42,
        0x02 | 0x22 => 204,
        0x12 => 208,
        KIND_NUMERIC => NUMERIC_EVIDENCE_LEN,
        _ => return None,
    };
    let challenge = if kind == 0x21 || kind == 0x22 { CHALLENGE_LEN } else { 0 };
    Some(HEADER_LEN + evidence + challenge)
}

/// One accepted code, as a verifier logs it (spec: R-LOG-1): the facts of
/// the acceptance, and the code itself with the challenge it answered, as
/// evidence the issuer can check (spec §4.8). A value of this type is always
/// a well-formed record: its evidence decodes as a code of its kind, with its
/// step.
#[derive(Clone)]
pub struct LogRecord {
    kind: u8,
    /// The verifier's time of acceptance (unix seconds).
    pub accepted_at: u64,
    /// The amount accepted.
    pub amount: u64,
    /// The accepting terminal.
    pub terminal_id: u32,
    step: u64,
    evidence_len: u8,
    /// Whether the body holds a challenge after the evidence.
    challenged: bool,
    body: Body,
    profile: Profile,
    subject: u64,
    counter: u32,
}

/// The longest body held in line: an hmac capped payload, or a challenge
/// code's payload and its challenge.
const SHORT_BODY: usize = crate::code::HMAC_CAPPED_PAYLOAD_LEN + CHALLENGE_LEN;

/// A record's evidence with its challenge's encoding after it: in line for
/// an hmac or numeric code, so that a record of the codes a verifier sees
/// most is small enough to move without a call to `memcpy`; behind a
/// pointer for an ed25519 code's 204 or 208 bytes. Bytes past the evidence
/// and challenge are zero.
#[derive(Clone)]
enum Body {
    Short([u8; SHORT_BODY]),
    Long(Box<[u8; ED25519_CAPPED_PAYLOAD_LEN + CHALLENGE_LEN]>),
}

impl Body {
    /// `evidence` followed by `challenge`.
    fn new(evidence: &[u8], challenge: Option<&[u8; CHALLENGE_LEN]>) -> Result<Body, Error> {
        let len = evidence.len() + challenge.map_or(0, |c| c.len());
        let mut body = if len <= SHORT_BODY {
            Body::Short([0; SHORT_BODY])
        } else {
            Body::Long(Box::new([0; ED25519_CAPPED_PAYLOAD_LEN + CHALLENGE_LEN]))
        };
        let bytes = body.bytes_mut();
        copy(bytes, evidence)?;
        if let Some(c) = challenge {
            copy(bytes.get_mut(evidence.len()..).ok_or(Error::Malformed)?, c)?;
        }
        Ok(body)
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Body::Short(b) => b,
            Body::Long(b) => &b[..],
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Body::Short(b) => b,
            Body::Long(b) => &mut b[..],
        }
    }
}

/// The fields that make a record, in the order records compare.
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
struct RecordKey<'r> {
    kind: u8,
    accepted_at: u64,
    amount: u64,
    terminal_id: u32,
    step: u64,
    evidence: &'r [u8],
    challenge: Option<&'r [u8]>,
    profile: Profile,
    subject: u64,
    counter: u32,
}

impl LogRecord {
    fn key(&self) -> RecordKey<'_> {
        RecordKey {
            kind: self.kind,
            accepted_at: self.accepted_at,
            amount: self.amount,
            terminal_id: self.terminal_id,
            step: self.step,
            evidence: self.evidence(),
            challenge: self.challenge_bytes(),
            profile: self.profile,
            subject: self.subject,
            counter: self.counter,
        }
    }

    /// The challenge's encoding, for a challenge kind.
    fn challenge_bytes(&self) -> Option<&[u8]> {
        let start = usize::from(self.evidence_len);
        self.challenged.then(|| self.body.bytes().get(start..start + CHALLENGE_LEN).unwrap_or_default())
    }
}

impl PartialEq for LogRecord {
    fn eq(&self, other: &LogRecord) -> bool {
        self.key() == other.key()
    }
}

impl Eq for LogRecord {}

impl PartialOrd for LogRecord {
    fn partial_cmp(&self, other: &LogRecord) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LogRecord {
    fn cmp(&self, other: &LogRecord) -> core::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl core::hash::Hash for LogRecord {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl LogRecord {
    /// The record of `code`, accepted at `accepted_at` for `amount` by
    /// `terminal_id`, with `step` the code's step (for a numeric code, the
    /// reconstructed one) and the challenge it answered (spec: R-LOG-1).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if `step` is not the code's step, or a challenge is
    /// given for a code of another mode, or none for a challenge code.
    pub fn new(
        code: &Code,
        step: u64,
        accepted_at: u64,
        amount: u64,
        terminal_id: u32,
        challenge: Option<&Challenge>,
    ) -> Result<LogRecord, Error> {
        let asked = challenge.map(Challenge::encode);
        let (kind, len, body) = match code {
            Code::Hmac(c) => {
                // In line, the payload written in place.
                let mut body = [0u8; SHORT_BODY];
                let (payload, _) = body.split_first_chunk_mut().ok_or(Error::Malformed)?;
                let len = c.payload_into(payload);
                if let Some(a) = &asked {
                    copy(body.get_mut(len..).ok_or(Error::Malformed)?, a)?;
                }
                (c.mode().byte(Profile::Hmac), len, Body::Short(body))
            }
            Code::Numeric(c) => {
                let n = c.value().to_be_bytes();
                let tail = n.get(16 - NUMERIC_EVIDENCE_LEN..).ok_or(Error::Malformed)?;
                (KIND_NUMERIC, NUMERIC_EVIDENCE_LEN, Body::new(tail, asked.as_ref())?)
            }
            Code::Ed25519(c) => {
                (c.mode().byte(Profile::Ed25519), c.encode().len(), Body::new(c.encode(), asked.as_ref())?)
            }
        };
        let len = u8::try_from(len).map_err(|_| Error::Malformed)?;
        // The code is at hand: what `checked` would decode from its encoding
        // is read from it directly.
        let (subject, counter) = consistent(code, step, challenge.is_some())?;
        Ok(LogRecord {
            kind,
            accepted_at,
            amount,
            terminal_id,
            step,
            evidence_len: len,
            challenged: asked.is_some(),
            body,
            profile: code.profile(),
            subject,
            counter,
        })
    }

    /// The record of the code whose payload is `payload`, as [`LogRecord::new`].
    ///
    /// # Errors
    ///
    /// As [`LogRecord::new`], and [`Error::Malformed`] for a payload that does not decode.
    pub fn from_payload(
        payload: &[u8],
        step: u64,
        accepted_at: u64,
        amount: u64,
        terminal_id: u32,
        challenge: Option<&Challenge>,
    ) -> Result<LogRecord, Error> {
        let asked = challenge.map(Challenge::encode);
        let record = LogRecord {
            kind: *payload.get(1).ok_or(Error::Malformed)?,
            accepted_at,
            amount,
            terminal_id,
            step,
            evidence_len: u8::try_from(payload.len()).map_err(|_| Error::Malformed)?,
            challenged: asked.is_some(),
            body: Body::new(payload, asked.as_ref())?,
            profile: Profile::Hmac,
            subject: 0,
            counter: 0,
        };
        record.checked()
    }

    /// Decodes one record.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] on a wrong length, version or kind byte, evidence
    /// that does not decode as a code of the record's kind, a `step` that is
    /// not the evidence's step, or a challenge that does not decode (spec §4.8).
    pub fn decode(bytes: &[u8]) -> Result<LogRecord, Error> {
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(Error::Malformed);
        }
        let kind = r.u8()?;
        let len = record_len(kind).ok_or(Error::Malformed)?;
        if bytes.len() != len {
            return Err(Error::Malformed);
        }
        let accepted_at = r.u64()?;
        let amount = r.u64()?;
        let terminal_id = r.u32()?;
        let step = r.u64()?;
        let challenged = kind == 0x21 || kind == 0x22;
        let evidence_len = len - HEADER_LEN - if challenged { CHALLENGE_LEN } else { 0 };
        let body = bytes.get(HEADER_LEN..HEADER_LEN + evidence_len).ok_or(Error::Malformed)?;
        let challenge = match bytes.get(HEADER_LEN + evidence_len..) {
            Some(c) if challenged => Some(<[u8; CHALLENGE_LEN]>::try_from(c).map_err(|_| Error::Malformed)?),
            _ => None,
        };
        let record = LogRecord {
            kind,
            accepted_at,
            amount,
            terminal_id,
            step,
            evidence_len: u8::try_from(evidence_len).map_err(|_| Error::Malformed)?,
            challenged: challenge.is_some(),
            body: Body::new(body, challenge.as_ref())?,
            profile: if kind & 0x0f == 0x02 { Profile::Ed25519 } else { Profile::Hmac },
            subject: 0,
            counter: 0,
        };
        record.checked()
    }

    /// Decodes a log: records back to back, each as long as its kind says.
    ///
    /// # Errors
    ///
    /// As [`LogRecord::decode`]; a log that ends inside a record is [`Error::Malformed`].
    pub fn decode_log(bytes: &[u8]) -> Result<Vec<LogRecord>, Error> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let kind = *rest.get(1).ok_or(Error::Malformed)?;
            let len = record_len(kind).ok_or(Error::Malformed)?;
            let (one, tail) = rest.split_at_checked(len).ok_or(Error::Malformed)?;
            out.push(LogRecord::decode(one)?);
            rest = tail;
        }
        Ok(out)
    }

    /// The encoding: its length is [`record_len`] of its kind.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_RECORD_LEN);
        out.push(VERSION);
        out.push(self.kind);
        out.extend_from_slice(&self.accepted_at.to_be_bytes());
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.extend_from_slice(&self.terminal_id.to_be_bytes());
        out.extend_from_slice(&self.step.to_be_bytes());
        out.extend_from_slice(self.evidence());
        out.extend_from_slice(self.challenge_bytes().unwrap_or_default());
        out
    }

    /// Encodes records back to back: a log.
    pub fn encode_log(records: &[LogRecord]) -> Vec<u8> {
        records.iter().flat_map(LogRecord::encode).collect()
    }

    /// The kind: the code's mode and profile byte, or [`KIND_NUMERIC`].
    pub const fn kind(&self) -> u8 {
        self.kind
    }

    /// The code's profile.
    pub const fn profile(&self) -> Profile {
        self.profile
    }

    /// The subject the evidence names: the credential serial, or an hmac
    /// code's handle (the numeric form's 30 bits), which only the holder of
    /// the account keys resolves; a verifier's [`crate::Acceptance`] and
    /// [`reconcile`] name the account.
    pub const fn subject(&self) -> u64 {
        self.subject
    }

    /// The counter the evidence names: an hmac code's is masked (see
    /// [`LogRecord::subject`]).
    pub const fn counter(&self) -> u32 {
        self.counter
    }

    /// The code's step (for a numeric code, the step the verifier reconstructed).
    pub const fn step(&self) -> u64 {
        self.step
    }

    /// The evidence: the code's payload, or `N` as 10 bytes for a numeric code.
    pub fn evidence(&self) -> &[u8] {
        self.body.bytes().get(..usize::from(self.evidence_len)).unwrap_or(&[])
    }

    /// The challenge the code answered (challenge kinds only).
    pub fn challenge(&self) -> Option<Challenge> {
        self.challenge_bytes().and_then(|c| Challenge::decode(c).ok())
    }

    /// The code the evidence holds: always `Some`, as a record exists only
    /// with evidence that decodes.
    pub fn code(&self) -> Option<Code> {
        evidence_code(self.kind, self.evidence()).ok()
    }

    /// The same record with the fields its evidence names filled in, if the
    /// evidence decodes as a code of its kind with its step.
    fn checked(mut self) -> Result<LogRecord, Error> {
        let code = evidence_code(self.kind, self.evidence())?;
        let (subject, counter) = consistent(&code, self.step, self.challenged)?;
        if let Some(c) = self.challenge_bytes() {
            Challenge::decode(c)?;
        }
        self.subject = subject;
        self.counter = counter;
        self.profile = code.profile();
        Ok(self)
    }
}

/// The code in `evidence`, which must be of kind `kind` (spec §4.8).
/// The subject and counter a record of `code` at `step` carries, if the
/// record is consistent: `step` is the code's (for a numeric code, its low
/// 4 bits are), and it has a challenge exactly when the code is a challenge
/// code (spec §4.8).
fn consistent(code: &Code, step: u64, challenged: bool) -> Result<(u64, u32), Error> {
    let (subject, counter, step_ok) = match code {
        Code::Hmac(c) => (c.handle_value(), c.masked_counter(), c.step() == step),
        Code::Numeric(c) => {
            (u64::from(c.handle30()), u32::from(c.masked_counter()), u64::from(c.step_low()) == step & 0xf)
        }
        Code::Ed25519(c) => (c.credential().fields().serial, c.counter(), c.step() == step),
    };
    if !step_ok || (code.mode() == Mode::Challenge) != challenged {
        return Err(Error::Malformed);
    }
    Ok((subject, counter))
}

fn evidence_code(kind: u8, evidence: &[u8]) -> Result<Code, Error> {
    if kind == KIND_NUMERIC {
        let bytes: [u8; NUMERIC_EVIDENCE_LEN] = evidence.try_into().map_err(|_| Error::Malformed)?;
        let mut wide = [0u8; 16];
        copy(wide.get_mut(16 - NUMERIC_EVIDENCE_LEN..).ok_or(Error::Malformed)?, &bytes)?;
        return NumericCode::from_value(u128::from_be_bytes(wide)).map(Code::Numeric);
    }
    // Any decoding failure, an unsupported version included, is a malformed record.
    let code = Code::decode_payload(evidence).map_err(|_| Error::Malformed)?;
    if evidence.get(1) != Some(&kind) {
        return Err(Error::Malformed);
    }
    Ok(code)
}

fn copy(dst: &mut [u8], src: &[u8]) -> Result<(), Error> {
    dst.get_mut(..src.len()).ok_or(Error::Malformed)?.copy_from_slice(src);
    Ok(())
}

impl core::fmt::Debug for LogRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LogRecord")
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .field("counter", &self.counter)
            .field("step", &self.step)
            .field("accepted_at", &self.accepted_at)
            .field("amount", &self.amount)
            .field("terminal_id", &self.terminal_id)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serde")]
mod fields {
    //! A record in files and vectors: its fields, with the evidence and the
    //! challenge in hex; reading one checks it as [`LogRecord::decode`] does.
    use super::LogRecord;
    use crate::codec::{from_hex, to_hex};
    use crate::profile::Profile;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Fields {
        kind: u8,
        profile: crate::profile::Profile,
        subject: u64,
        counter: u32,
        step: u64,
        accepted_at: u64,
        amount: u64,
        terminal_id: u32,
        evidence: String,
        challenge: Option<String>,
    }

    impl From<&LogRecord> for Fields {
        fn from(r: &LogRecord) -> Fields {
            Fields {
                kind: r.kind,
                profile: r.profile,
                subject: r.subject,
                counter: r.counter,
                step: r.step,
                accepted_at: r.accepted_at,
                amount: r.amount,
                terminal_id: r.terminal_id,
                evidence: to_hex(r.evidence()),
                challenge: r.challenge_bytes().map(to_hex),
            }
        }
    }

    impl TryFrom<Fields> for LogRecord {
        type Error = String;
        fn try_from(f: Fields) -> Result<LogRecord, String> {
            let mut bytes = vec![crate::profile::VERSION, f.kind];
            bytes.extend_from_slice(&f.accepted_at.to_be_bytes());
            bytes.extend_from_slice(&f.amount.to_be_bytes());
            bytes.extend_from_slice(&f.terminal_id.to_be_bytes());
            bytes.extend_from_slice(&f.step.to_be_bytes());
            bytes.extend(from_hex(&f.evidence).map_err(|e| e.to_string())?);
            if let Some(c) = &f.challenge {
                bytes.extend(from_hex(c).map_err(|e| e.to_string())?);
            }
            let r = LogRecord::decode(&bytes).map_err(|e| format!("not a log record: {e}"))?;
            if r.profile != f.profile {
                return Err("profile is not the evidence's".into());
            }
            match r.profile {
                // An hmac code hides its account and counter: the fields may
                // name them as reconciliation resolved them (spec: R-HANDLE-3).
                Profile::Hmac => Ok(LogRecord { subject: f.subject, counter: f.counter, ..r }),
                Profile::Ed25519 if (r.subject, r.counter) != (f.subject, f.counter) => {
                    Err("subject and counter are not the evidence's".into())
                }
                Profile::Ed25519 => Ok(r),
            }
        }
    }

    impl serde::Serialize for LogRecord {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            Fields::from(self).serialize(s)
        }
    }

    impl<'de> serde::Deserialize<'de> for LogRecord {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LogRecord, D::Error> {
            LogRecord::try_from(Fields::deserialize(d)?).map_err(serde::de::Error::custom)
        }
    }
}

/// What the issuer checks records against (spec: R-LOG-2): the keys of its
/// hmac accounts and its trust list (every issuer key that signed
/// credentials in the period the logs cover).
#[derive(Clone, Default)]
pub struct IssuerKeys {
    /// The hmac accounts' keys, by account id.
    pub accounts: BTreeMap<u64, HmacKeys>,
    /// The issuer keys of the ed25519 credentials.
    pub trust: Option<TrustList>,
}

impl core::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("accounts", &self.accounts.len())
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

/// Why a record proves nothing (spec: R-LOG-2 step 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Unproven {
    /// The issuer holds no keys for the record's hmac account.
    UnknownAccount,
    /// The credential's key id is not in the issuer's trust list.
    UnknownIssuer,
    /// The credential is not one the issuer signed (R-ED-3, R-ED-4).
    BadCredential,
    /// The hmac tag, or the device signature, does not verify (with the
    /// challenge digest for a challenge record).
    InvalidCode,
    /// A capped code's record claims more than its cap.
    OverCap,
    /// An ed25519 record claims more than the credential's per-payment limit.
    OverLimit,
    /// A challenge record whose terminal or amount is not its challenge's.
    ChallengeMismatch,
    /// A numeric record in a log that also holds an unproven record: its
    /// 29-bit tag is not evidence enough beside a fabrication.
    NumericBesideUnproven,
}

impl Unproven {
    /// The name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Unproven::UnknownAccount => "unknown-account",
            Unproven::UnknownIssuer => "unknown-issuer",
            Unproven::BadCredential => "bad-credential",
            Unproven::InvalidCode => "invalid-code",
            Unproven::OverCap => "over-cap",
            Unproven::OverLimit => "over-limit",
            Unproven::ChallengeMismatch => "challenge-mismatch",
            Unproven::NumericBesideUnproven => "numeric-beside-unproven",
        }
    }
}

/// A record whose evidence does not verify: where it is and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Rejected {
    /// The log's position in the input, from 0.
    pub log: usize,
    /// The record's position in its log, from 0.
    pub index: usize,
    /// Why it proves nothing.
    pub why: Unproven,
}

/// Records of one (profile, subject, counter): two codes or more made for
/// one counter (`double`), or one code recorded more than once (a copy).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Duplicate {
    /// The profile.
    pub profile: Profile,
    /// Account id or credential serial.
    pub subject: u64,
    /// The counter.
    pub counter: u32,
    /// Every record of it, sorted.
    pub records: Vec<LogRecord>,
}

/// Why reconciliation names an identity (spec: R-LOG-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Reason {
    /// Two different codes made for one counter.
    Double,
    /// A lower counter with a step more than the tolerance above a higher
    /// counter's: a code made in advance or a clone's.
    Order,
    /// Two consecutive counters more than [`MAX_COUNTER_GAP`] apart: a clone
    /// that started far ahead of the wallet it copies.
    Jump,
    /// An ed25519 serial whose amounts across all logs add up to more than
    /// its credential's cumulative limit, the payer's offline credit.
    Overspend,
}

/// The largest gap between two consecutive counters of one identity in the
/// logs that reconciliation does not flag, `J` (spec: R-LOG-2).
pub const MAX_COUNTER_GAP: u32 = 65_536;

impl Reason {
    /// The reason's name in reports: `double`, `order`, `jump`, `overspend`.
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Double => "double",
            Reason::Order => "order",
            Reason::Jump => "jump",
            Reason::Overspend => "overspend",
        }
    }
}

/// An identity reconciliation names, with every reason found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Flagged {
    /// The profile.
    pub profile: Profile,
    /// Account id or credential serial.
    pub subject: u64,
    /// The reasons, in the order of [`Reason`].
    pub reasons: Vec<Reason>,
}

/// What reconciliation checks the proven records against (spec: R-LOG-2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// The order check's tolerance `D`, in steps.
    pub tolerance: u64,
    /// The issuer's mapping of ed25519 serials to their holders (spec:
    /// R-BATCH-5); reconciliation reports per payer the serials found here.
    pub holders: BTreeMap<u64, Holder>,
}

impl Policy {
    /// The order check with tolerance `tolerance`, and no payer mapping.
    pub const fn with_tolerance(tolerance: u64) -> Policy {
        Policy { tolerance, holders: BTreeMap::new() }
    }

    /// The same policy with the issuer's serial mapping `holders`.
    #[must_use]
    pub fn with_holders(mut self, holders: BTreeMap<u64, Holder>) -> Policy {
        self.holders = holders;
        self
    }
}

/// Whom an ed25519 serial was issued to, as the issuer keeps it (spec:
/// R-BATCH-5): no structure on the wire links the serials of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Holder {
    /// The payer.
    pub payer: u64,
    /// The payer's batch, numbered by the issuer.
    pub batch: u32,
    /// The credential's position in its batch, from 0.
    pub index: u32,
    /// The sum of the cumulative limits of the batch's credentials: at most
    /// the payer's per-terminal limit (spec: R-BATCH-3).
    pub batch_limit: u64,
}

/// What one batch of a payer took at one terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct TerminalTotal {
    /// The batch.
    pub batch: u32,
    /// The terminal.
    pub terminal_id: u32,
    /// The proven amount of the batch's codes at that terminal, each code once.
    pub total: u64,
    /// The batch's limit there: the sum of its cumulative limits.
    pub limit: u64,
}

/// One payer's proven records across its batches (spec: R-BATCH-5).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct PayerReport {
    /// The payer.
    pub payer: u64,
    /// The payer's serials that have proven records, ascending.
    pub serials: Vec<u64>,
    /// Proven codes of the payer, each counted once.
    pub codes: usize,
    /// Per batch and terminal, what the payer's codes took there.
    pub terminals: Vec<TerminalTotal>,
    /// The payer's serials that reconciliation flagged (a clone, or a
    /// credential overspent).
    pub flagged_serials: Vec<u64>,
    /// Whether some batch took more at one terminal than its limit there.
    pub over_batch_limit: bool,
}

impl PayerReport {
    /// Whether the payer is flagged: a flagged serial, or a batch over its limit at a terminal.
    pub fn flagged(&self) -> bool {
        self.over_batch_limit || !self.flagged_serials.is_empty()
    }
}

/// The result of reconciling logs (spec: R-LOG-2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Reconciliation {
    /// Records read.
    pub records: usize,
    /// The records whose evidence does not verify, by log and position;
    /// nothing else in the report rests on them.
    pub unproven: Vec<Rejected>,
    /// Every (profile, subject, counter) with two or more different proven codes.
    pub doubles: Vec<Duplicate>,
    /// Every proven code recorded more than once: a photographed code
    /// presented again, or a record copied. The payer's key made one code,
    /// so a copy flags no one.
    pub copies: Vec<Duplicate>,
    /// Every identity with a reason, by profile and subject.
    pub flagged: Vec<Flagged>,
    /// Credential serials to put on the next revocation list (spec: R-LOG-3).
    pub revoke_serials: Vec<u64>,
    /// hmac accounts flagged for any reason (to disable at the issuer).
    pub flagged_accounts: Vec<u64>,
    /// Total proven amount per ed25519 serial, each code counted once.
    pub totals: Vec<(u64, u64)>,
    /// Per payer of the policy's serial mapping with proven records, by
    /// payer: its records across its batches (spec: R-BATCH-5).
    pub payers: Vec<PayerReport>,
    /// The payers flagged: a clone on one of their serials, or more taken
    /// at one terminal than their batch's limit there.
    pub flagged_payers: Vec<u64>,
}

/// What one code is, apart from how it is authenticated: its identity,
/// counter, step, mode (with its cap) and challenge. The QR and numeric
/// forms of one hmac code are the same code.
type CodeKey = (Profile, u64, u32, u64, u8, Option<u32>, Option<[u8; CHALLENGE_LEN]>);

fn code_key(r: &LogRecord) -> CodeKey {
    let mode = r.code().map_or(Mode::OneWay, |c| c.mode());
    let challenge = r.challenge_bytes().and_then(|c| c.try_into().ok());
    (r.profile, r.subject, r.counter, r.step, mode.number(), mode.cap(), challenge)
}

/// Checks one record's evidence against the issuer's keys (spec: R-LOG-2
/// step 2); `Ok` carries the credential's cumulative limit for ed25519.
///
/// # Errors
///
/// Why the record proves nothing.
pub fn verify_record(record: &LogRecord, keys: &IssuerKeys) -> Result<Option<u64>, Unproven> {
    prove(record, keys).map(|(limit, _)| limit)
}

/// [`verify_record`], with the record's identity: for an hmac record, the
/// account its handle resolves to and the real counter, as a verifier
/// resolves them (spec: R-HANDLE-3); for an ed25519 record, as it names them.
fn prove(record: &LogRecord, keys: &IssuerKeys) -> Result<(Option<u64>, (u64, u32)), Unproven> {
    let challenge = record.challenge();
    let digest = challenge.as_ref().map(Challenge::digest);
    let digest: &[u8] = digest.as_ref().map_or(&[], |d| &d[..]);
    let code = record.code().ok_or(Unproven::InvalidCode)?;
    let mut identity = (record.subject, record.counter);
    let limit = match &code {
        Code::Hmac(c) => {
            let found = resolve(
                keys,
                record.step,
                |h| h.value() == c.handle_value(),
                |h| c.masked_counter() ^ h.pad(),
            );
            if found.is_empty() {
                return Err(Unproven::UnknownAccount);
            }
            let matched = found.iter().find(|(account, _)| {
                let mac = account.mac_qr(&[DS_HMAC_QR, &c.maced(), digest]);
                mac.get(..16).is_some_and(|tag| bool::from(tag.ct_eq(c.tag())))
            });
            let (account, counter) = matched.ok_or(Unproven::InvalidCode)?;
            identity = (account.account_id(), *counter);
            None
        }
        Code::Numeric(c) => {
            let found = resolve(
                keys,
                record.step,
                |h| h.handle30() == c.handle30(),
                |h| u32::from(c.masked_counter() ^ h.pad16()),
            );
            if found.is_empty() {
                return Err(Unproven::UnknownAccount);
            }
            let matched =
                found.iter().find(|(account, counter)| c.tag_matches(account, record.step, *counter));
            let (account, counter) = matched.ok_or(Unproven::InvalidCode)?;
            identity = (account.account_id(), *counter);
            None
        }
        Code::Ed25519(c) => {
            let f = c.credential().fields();
            let trust = keys.trust.as_ref().ok_or(Unproven::UnknownIssuer)?;
            let entry = trust.get(f.key_id).ok_or(Unproven::UnknownIssuer)?;
            let device = c
                .credential()
                .check(&entry.key, entry.not_before, entry.not_after)
                .map_err(|_| Unproven::BadCredential)?;
            if !device.verify_parts(&[DS_ED25519_CODE, c.head(), digest], &c.signature()) {
                return Err(Unproven::InvalidCode);
            }
            if record.amount > u64::from(f.per_payment_limit) {
                return Err(Unproven::OverLimit);
            }
            Some(u64::from(f.cumulative_limit))
        }
    };
    if let Some(cap) = code.mode().cap()
        && record.amount > u64::from(cap)
    {
        return Err(Unproven::OverCap);
    }
    if let Some(ch) = challenge
        && (ch.terminal_id() != record.terminal_id || ch.amount() != record.amount)
    {
        return Err(Unproven::ChallengeMismatch);
    }
    Ok((limit, identity))
}

/// The accounts whose handle for `step` fits, at most `M_h` in ascending
/// account id order, each with its real counter (spec: R-HANDLE-3).
fn resolve(
    keys: &IssuerKeys,
    step: u64,
    fits: impl Fn(&StepHandle) -> bool,
    counter: impl Fn(&StepHandle) -> u32,
) -> Vec<(&HmacKeys, u32)> {
    keys.accounts
        .values()
        .filter_map(|account| {
            let h = StepHandle::derive(account.handle_key(), step);
            fits(&h).then(|| (account, counter(&h)))
        })
        .take(MAX_CANDIDATES)
        .collect()
}

/// Reconciles logs (spec: R-LOG-2, R-LOG-3). Each record's evidence is
/// checked against `keys` first; the records that fail are listed in
/// [`Reconciliation::unproven`] and nothing else rests on them, and neither
/// do the numeric records of a log that has one. Over the proven records,
/// one code recorded more than once counts once ([`Reconciliation::copies`]),
/// and an identity is flagged for two different codes of one counter
/// (`double`), a lower counter whose step is more than `policy.tolerance`
/// steps above a higher counter's (`order`), two consecutive counters more
/// than [`MAX_COUNTER_GAP`] apart (`jump`), or amounts above its
/// credential's cumulative limit (`overspend`).
pub fn reconcile(logs: &[Vec<LogRecord>], keys: &IssuerKeys, policy: &Policy) -> Reconciliation {
    let tolerance = policy.tolerance;
    let mut out = Reconciliation::default();
    let mut proven: Vec<(LogRecord, Option<u64>)> = Vec::new();
    for (l, log) in logs.iter().enumerate() {
        out.records += log.len();
        let checked: Vec<_> = log.iter().map(|r| prove(r, keys)).collect();
        // spec: R-LOG-2 step 2: a 29-bit tag beside a fabrication proves nothing.
        let tainted = checked.iter().any(Result::is_err);
        for (index, (record, verdict)) in log.iter().zip(checked).enumerate() {
            let verdict = match verdict {
                Ok(_) if tainted && record.kind == KIND_NUMERIC => Err(Unproven::NumericBesideUnproven),
                v => v,
            };
            match verdict {
                Ok((limit, (subject, counter))) => {
                    proven.push((LogRecord { subject, counter, ..record.clone() }, limit));
                }
                Err(why) => out.unproven.push(Rejected { log: l, index, why }),
            }
        }
    }
    // One entry per code: its records, its smallest amount, its limit.
    let mut codes: BTreeMap<CodeKey, (Vec<LogRecord>, u64, Option<u64>)> = BTreeMap::new();
    for (r, limit) in proven {
        let e = codes.entry(code_key(&r)).or_insert((Vec::new(), r.amount, limit));
        e.1 = e.1.min(r.amount);
        e.0.push(r);
    }
    let mut groups: BTreeMap<(Profile, u64, u32), Vec<&CodeKey>> = BTreeMap::new();
    let mut exact: BTreeMap<u64, (u128, Option<u64>)> = BTreeMap::new();
    for (key, (records, amount, limit)) in &codes {
        let (profile, subject, counter, ..) = *key;
        groups.entry((profile, subject, counter)).or_default().push(key);
        if records.len() > 1 {
            let mut records = records.clone();
            records.sort();
            out.copies.push(Duplicate { profile, subject, counter, records });
        }
        if profile == Profile::Ed25519 {
            let e = exact.entry(subject).or_insert((0, *limit));
            e.0 += u128::from(*amount);
            e.1 = match (e.1, *limit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let mut reasons: BTreeMap<(Profile, u64), BTreeSet<Reason>> = BTreeMap::new();
    // The groups come by identity, then counter: per identity, the highest
    // step of its lower counters so far, and the counter before.
    let mut highest_below: Option<((Profile, u64), u64)> = None;
    let mut previous: Option<((Profile, u64), u32)> = None;
    for ((profile, subject, counter), keys_of) in groups {
        let id = (profile, subject);
        if previous.is_some_and(|(of, c)| of == id && counter - c > MAX_COUNTER_GAP) {
            reasons.entry(id).or_default().insert(Reason::Jump);
        }
        previous = Some((id, counter));
        let steps: Vec<u64> = keys_of.iter().map(|k| k.3).collect();
        let below = highest_below.filter(|(of, _)| *of == id).map(|(_, step)| step);
        if let Some(high) = below
            && steps.iter().any(|s| high > s.saturating_add(tolerance))
        {
            reasons.entry(id).or_default().insert(Reason::Order);
        }
        let top = steps.iter().copied().max().unwrap_or(0);
        highest_below = Some((id, below.map_or(top, |b| b.max(top))));
        if keys_of.len() < 2 {
            continue;
        }
        let mut records: Vec<LogRecord> =
            keys_of.iter().filter_map(|k| codes.get(*k)).flat_map(|c| c.0.iter().cloned()).collect();
        records.sort();
        reasons.entry(id).or_default().insert(Reason::Double);
        out.doubles.push(Duplicate { profile, subject, counter, records });
    }
    for (serial, (total, limit)) in exact {
        out.totals.push((serial, u64::try_from(total).unwrap_or(u64::MAX)));
        if limit.is_some_and(|limit| total > u128::from(limit)) {
            reasons.entry((Profile::Ed25519, serial)).or_default().insert(Reason::Overspend);
        }
    }
    out.payers = payers(&codes, &reasons, &policy.holders);
    out.flagged_payers = out.payers.iter().filter(|p| p.flagged()).map(|p| p.payer).collect();
    for ((profile, subject), why) in reasons {
        match profile {
            Profile::Ed25519 => out.revoke_serials.push(subject),
            Profile::Hmac => out.flagged_accounts.push(subject),
        }
        out.flagged.push(Flagged { profile, subject, reasons: why.into_iter().collect() });
    }
    out
}

/// The per-payer view of the proven codes (spec: R-BATCH-3, R-BATCH-5).
fn payers(
    codes: &BTreeMap<CodeKey, (Vec<LogRecord>, u64, Option<u64>)>,
    reasons: &BTreeMap<(Profile, u64), BTreeSet<Reason>>,
    holders: &BTreeMap<u64, Holder>,
) -> Vec<PayerReport> {
    let mut out: BTreeMap<u64, PayerReport> = BTreeMap::new();
    let mut totals: BTreeMap<(u64, u32, u32), (u128, u64)> = BTreeMap::new();
    for (key, (records, ..)) in codes {
        let (profile, serial, ..) = *key;
        let Some(h) = holders.get(&serial).filter(|_| profile == Profile::Ed25519) else { continue };
        let report = out.entry(h.payer).or_insert_with(|| PayerReport {
            payer: h.payer,
            serials: Vec::new(),
            codes: 0,
            terminals: Vec::new(),
            flagged_serials: Vec::new(),
            over_batch_limit: false,
        });
        report.codes += 1;
        if !report.serials.contains(&serial) {
            report.serials.push(serial);
        }
        if reasons.contains_key(&(Profile::Ed25519, serial)) && !report.flagged_serials.contains(&serial) {
            report.flagged_serials.push(serial);
        }
        // The code once per terminal that recorded it, at its smallest amount there.
        let mut at: BTreeMap<u32, u64> = BTreeMap::new();
        for r in records {
            let e = at.entry(r.terminal_id).or_insert(r.amount);
            *e = (*e).min(r.amount);
        }
        for (terminal, amount) in at {
            let e = totals.entry((h.payer, h.batch, terminal)).or_insert((0, h.batch_limit));
            e.0 += u128::from(amount);
            e.1 = e.1.min(h.batch_limit);
        }
    }
    for ((payer, batch, terminal_id), (total, limit)) in totals {
        if let Some(report) = out.get_mut(&payer) {
            // spec: R-BATCH-3: the batch's limits together are the payer's at one terminal.
            report.over_batch_limit |= total > u128::from(limit);
            let total = u64::try_from(total).unwrap_or(u64::MAX);
            report.terminals.push(TerminalTotal { batch, terminal_id, total, limit });
        }
    }
    out.into_values()
        .map(|mut r| {
            r.serials.sort_unstable();
            r.flagged_serials.sort_unstable();
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::code::HmacCode;
    use crate::keys::Seed;
    use crate::time::Params;
    use crate::wallet::{HmacWallet, Purpose};

    fn wallet() -> HmacWallet {
        HmacWallet::new(Params::default(), 42, &Seed::from_bytes(&[7; 32]), 0)
    }

    fn keys() -> IssuerKeys {
        let mut keys = IssuerKeys::default();
        keys.accounts.insert(42, HmacKeys::derive(42, &Seed::from_bytes(&[7; 32])));
        keys
    }

    #[test]
    fn layout_per_kind() {
        let w = wallet();
        let one_way = Code::Hmac(w.code_for(1000, 3));
        let r = LogRecord::new(&one_way, 1000, 60_000, 250, 9, None).unwrap();
        let bytes = r.encode();
        assert_eq!(bytes.len(), 68);
        assert_eq!(bytes[..2], [0x03, 0x01]);
        assert_eq!(bytes[2..10], 60_000u64.to_be_bytes());
        assert_eq!(bytes[10..18], 250u64.to_be_bytes());
        assert_eq!(bytes[18..22], 9u32.to_be_bytes());
        assert_eq!(bytes[22..30], 1000u64.to_be_bytes());
        assert_eq!(bytes[30..], w.code_for(1000, 3).encode()[..]);
        assert_eq!(LogRecord::decode(&bytes).as_ref(), Ok(&r));
        let code = w.code_for(1000, 3);
        assert_eq!(
            (r.subject(), r.counter(), r.profile()),
            (code.handle_value(), code.masked_counter(), Profile::Hmac)
        );
        // The issuer resolves the handle to the account and the real counter.
        assert_eq!(prove(&r, &keys()).map(|(_, id)| id), Ok((42, 3)));
        let capped = Code::Hmac(w.code_as(1000, 4, Purpose::Capped(500)));
        assert_eq!(LogRecord::new(&capped, 1000, 0, 1, 9, None).unwrap().encode().len(), 72);
        let ch = Challenge::new(9, 250, 60_000, [5; 16]);
        let answered = Code::Hmac(w.code_as(1000, 5, Purpose::Challenge(&ch)));
        let rc = LogRecord::new(&answered, 1000, 60_000, 250, 9, Some(&ch)).unwrap();
        assert_eq!(rc.encode().len(), 105);
        assert_eq!(rc.encode()[68..], ch.encode());
        assert_eq!(rc.challenge(), Some(ch));
        let numeric = Code::Numeric(w.numeric(&w.code_for(1000, 3)).unwrap());
        let rn = LogRecord::new(&numeric, 1000, 60_000, 250, 9, None).unwrap();
        assert_eq!(rn.encode().len(), 40);
        assert_eq!(rn.encode()[1], KIND_NUMERIC);
        let all = vec![r, rc, rn];
        let log = LogRecord::encode_log(&all);
        assert_eq!(LogRecord::decode_log(&log).unwrap(), all);
        assert_eq!(LogRecord::decode_log(&log[..log.len() - 1]), Err(Error::Malformed));
        assert_eq!(LogRecord::decode_log(&log[1..]), Err(Error::Malformed));
    }

    #[test]
    fn malformed_records() {
        let w = wallet();
        let code = Code::Hmac(w.code_for(1000, 3));
        let ch = Challenge::new(9, 250, 60_000, [5; 16]);
        // A challenge for a one-way code, a step that is not the code's, no challenge for a challenge code.
        assert_eq!(LogRecord::new(&code, 1000, 0, 0, 9, Some(&ch)), Err(Error::Malformed));
        assert_eq!(LogRecord::new(&code, 1001, 0, 0, 9, None), Err(Error::Malformed));
        let answered = Code::Hmac(w.code_as(1000, 5, Purpose::Challenge(&ch)));
        assert_eq!(LogRecord::new(&answered, 1000, 0, 250, 9, None), Err(Error::Malformed));
        let good = LogRecord::new(&code, 1000, 0, 0, 9, None).unwrap().encode();
        let bad = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = good.clone();
            f(&mut b);
            LogRecord::decode(&b)
        };
        assert_eq!(bad(&|b| b[0] = 1), Err(Error::Malformed), "version");
        assert_eq!(bad(&|b| b[1] = 0x03), Err(Error::Malformed), "kind");
        assert_eq!(bad(&|b| b[1] = 0x21), Err(Error::Malformed), "kind says challenge, evidence one-way");
        assert_eq!(bad(&|b| b[31] = 0x21), Err(Error::Malformed), "evidence of another kind");
        assert_eq!(bad(&|b| b[29] ^= 1), Err(Error::Malformed), "step not the evidence's");
        assert_eq!(bad(&|b| b[30] = 1), Err(Error::Malformed), "evidence of another version");
        assert_eq!(bad(&|b| b.push(0)), Err(Error::Malformed), "trailing byte");
        let n = Code::Numeric(w.numeric(&w.code_for(1000, 3)).unwrap());
        let numeric = LogRecord::new(&n, 1000, 0, 0, 9, None).unwrap().encode();
        let mut high = numeric.clone();
        high[30] = 0x80; // N ≥ 2^79
        assert_eq!(LogRecord::decode(&high), Err(Error::Malformed));
        let mut other_step = numeric.clone();
        other_step[29] ^= 1; // step mod 16 not the step field of N
        assert_eq!(LogRecord::decode(&other_step), Err(Error::Malformed));
        let mut step16 = numeric;
        step16[29] ^= 0x10; // the same step mod 16 decodes; the tag decides (R-LOG-2)
        assert!(LogRecord::decode(&step16).is_ok());
        let rc = LogRecord::new(&answered, 1000, 0, 250, 9, Some(&ch)).unwrap().encode();
        let mut v1 = rc.clone();
        v1[68] = 1;
        assert_eq!(LogRecord::decode(&v1), Err(Error::Malformed), "challenge version");
    }

    #[test]
    fn records_compare_by_every_field() {
        use std::hash::{BuildHasher, RandomState};
        let w = wallet();
        let code = Code::Hmac(w.code_for(1000, 3));
        let one = LogRecord::new(&code, 1000, 60_000, 250, 9, None).unwrap();
        let hashing = RandomState::new();
        // A record equals its decoded encoding, and hashes alike.
        let again = LogRecord::decode(&one.encode()).unwrap();
        assert!(one == again);
        assert_eq!(hashing.hash_one(&one), hashing.hash_one(&again));
        // A record that differs in any field is another record, ordered by
        // that field when the fields before it are equal.
        let other_code =
            LogRecord::new(&Code::Hmac(w.code_for(1000, 4)), 1000, 60_000, 250, 9, None).unwrap();
        let ch = Challenge::new(9, 250, 60_000, [5; 16]);
        let answered = Code::Hmac(w.code_as(1000, 3, Purpose::Challenge(&ch)));
        let challenged = LogRecord::new(&answered, 1000, 60_000, 250, 9, Some(&ch)).unwrap();
        let other_ch = Challenge::new(9, 250, 60_000, [6; 16]);
        let body = Body::new(challenged.evidence(), Some(&other_ch.encode())).unwrap();
        let rechallenged = LogRecord { body, ..challenged.clone() };
        for (later, field) in [
            (LogRecord { accepted_at: 60_001, ..one.clone() }, "accepted_at"),
            (LogRecord { amount: 251, ..one.clone() }, "amount"),
            (LogRecord { terminal_id: 10, ..one.clone() }, "terminal_id"),
            (LogRecord { subject: one.subject + 1, ..one.clone() }, "subject"),
            (LogRecord { counter: one.counter + 1, ..one.clone() }, "counter"),
        ] {
            assert!(one != later && one < later, "{field}");
        }
        assert!(one != other_code && one.evidence() != other_code.evidence());
        assert_eq!(one.cmp(&other_code), one.evidence().cmp(other_code.evidence()));
        assert!(challenged != rechallenged);
        assert_eq!(challenged.cmp(&rechallenged), ch.encode().cmp(&other_ch.encode()));
    }

    #[test]
    fn evidence_is_checked_before_any_reason() {
        // spec: R-LOG-2
        let w = wallet();
        let rec = |code: &Code, step, amount, terminal, ch: Option<&Challenge>| {
            LogRecord::new(code, step, 60 * step, amount, terminal, ch).unwrap()
        };
        let c3 = Code::Hmac(w.code_for(1000, 3));
        let honest = rec(&c3, 1000, 100, 9, None);
        // A copy of the honest record: one code, no reason.
        let copy = LogRecord { terminal_id: 10, amount: 900, ..honest.clone() };
        let out = reconcile(&[vec![honest.clone()], vec![copy]], &keys(), &Policy::with_tolerance(3));
        assert!(out.flagged.is_empty() && out.unproven.is_empty());
        assert_eq!(out.copies.len(), 1);
        // A forged counter 3 at another step: its tag fails; nothing flagged.
        let real = w.code_for(1001, 3);
        let mut forged = HmacCode::new(real.handle(), 1001, real.masked_counter(), [0; 16]);
        forged = forged.with_mode(Mode::OneWay);
        let fake = rec(&Code::Hmac(forged), 1001, 100, 9, None);
        let out = reconcile(&[vec![honest.clone(), fake.clone()]], &keys(), &Policy::with_tolerance(3));
        assert!(out.flagged.is_empty());
        assert_eq!(out.unproven, [Rejected { log: 0, index: 1, why: Unproven::InvalidCode }]);
        // The wallet's own second code for counter 3 (a clone's): double.
        let again = rec(&Code::Hmac(w.code_for(1001, 3)), 1001, 100, 9, None);
        let out = reconcile(&[vec![honest.clone(), again]], &keys(), &Policy::with_tolerance(3));
        assert_eq!(out.flagged_accounts, [42]);
        assert_eq!(out.flagged[0].reasons, [Reason::Double]);
        // Above the cap; a challenge for another terminal or amount.
        let capped = rec(&Code::Hmac(w.code_as(1000, 4, Purpose::Capped(500))), 1000, 501, 9, None);
        assert_eq!(verify_record(&capped, &keys()), Err(Unproven::OverCap));
        assert_eq!(verify_record(&LogRecord { amount: 500, ..capped.clone() }, &keys()), Ok(None));
        let ch = Challenge::new(9, 250, 60_000, [5; 16]);
        let answered = rec(&Code::Hmac(w.code_as(1000, 5, Purpose::Challenge(&ch))), 1000, 250, 9, Some(&ch));
        assert_eq!(verify_record(&answered, &keys()), Ok(None));
        assert_eq!(
            verify_record(&LogRecord { terminal_id: 8, ..answered.clone() }, &keys()),
            Err(Unproven::ChallengeMismatch)
        );
        assert_eq!(
            verify_record(&LogRecord { amount: 251, ..answered.clone() }, &keys()),
            Err(Unproven::ChallengeMismatch)
        );
        // The code answered another challenge: its tag fails under this one's digest.
        let other = Challenge::new(9, 250, 60_000, [6; 16]);
        let moved = LogRecord::new(&answered.code().unwrap(), 1000, 60_000, 250, 9, Some(&other)).unwrap();
        assert_eq!(verify_record(&moved, &keys()), Err(Unproven::InvalidCode));
        assert_eq!(verify_record(&honest, &IssuerKeys::default()), Err(Unproven::UnknownAccount));
        // A numeric record beside a fabricated one proves nothing.
        let n = rec(&Code::Numeric(w.numeric(&w.code_for(1002, 6)).unwrap()), 1002, 100, 9, None);
        assert_eq!(verify_record(&n, &keys()), Ok(None));
        let out = reconcile(&[vec![n.clone(), fake.clone()]], &keys(), &Policy::with_tolerance(3));
        assert_eq!(out.unproven.len(), 2);
        assert_eq!(out.unproven[0].why, Unproven::NumericBesideUnproven);
        // The QR and numeric forms of one code are one code.
        let qr = rec(&Code::Hmac(w.code_for(1002, 6)), 1002, 100, 9, None);
        let out = reconcile(&[vec![n.clone()], vec![qr]], &keys(), &Policy::with_tolerance(3));
        assert!(out.flagged.is_empty());
        assert_eq!(out.copies.len(), 1);
    }

    #[test]
    fn out_of_order_and_jump_over_proven_records() {
        // spec: R-LOG-2: a lower counter with a step more than D above a higher counter's.
        let w = wallet();
        let at = |counter, step| {
            LogRecord::new(&Code::Hmac(w.code_for(step, counter)), step, 0, 1, 1, None).unwrap()
        };
        let flagged = |records: &[LogRecord], d| {
            reconcile(&[records.to_vec()], &keys(), &Policy::with_tolerance(d)).flagged
        };
        assert_eq!(flagged(&[at(5, 97), at(2, 100)], 2)[0].reasons, [Reason::Order]);
        assert!(flagged(&[at(5, 97), at(2, 100)], 3).is_empty());
        assert!(flagged(&[at(1, 1), at(2, 50), at(3, 50), at(9, 51)], 0).is_empty());
        assert_eq!(flagged(&[at(1, 90), at(5, 86), at(6, 84)], 5)[0].reasons, [Reason::Order]);
        assert!(flagged(&[at(1, 89), at(5, 86), at(6, 84)], 5).is_empty());
        let j = MAX_COUNTER_GAP;
        assert!(flagged(&[at(3, 1), at(3 + j, 2)], 3).is_empty());
        assert_eq!(flagged(&[at(3, 1), at(4 + j, 2)], 3)[0].reasons, [Reason::Jump]);
        assert!(flagged(&[at(3, 1), at(4, 1), at(4 + j, 2)], 3).is_empty());
        assert_eq!(flagged(&[at(0, 1), at(u32::MAX, 2)], 3)[0].reasons, [Reason::Jump]);
        assert!(flagged(&[at(2, u64::MAX - 1), at(1, u64::MAX)], 5).is_empty());
        assert_eq!(flagged(&[at(2, 0), at(1, u64::MAX)], u64::MAX - 1)[0].reasons, [Reason::Order]);
        // The same records, fabricated (tags zeroed): nothing.
        let fake = |r: LogRecord| {
            let mut b = r.encode();
            let n = b.len();
            b[n - 16..].fill(0);
            LogRecord::decode(&b).unwrap()
        };
        let out = reconcile(&[vec![fake(at(5, 97)), fake(at(2, 100))]], &keys(), &Policy::with_tolerance(2));
        assert!(out.flagged.is_empty());
        assert_eq!(out.unproven.len(), 2);
    }

    #[test]
    fn payers_are_reconciled_across_their_batch() {
        // spec: R-BATCH-3, R-BATCH-5
        use crate::credential::CredentialFields;
        use crate::issuer::{Issuer, KeyPeriod};
        use crate::trust::TrustHeader;
        use crate::wallet::Ed25519Wallet;
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[5; 32]));
        let period = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
        let trust = issuer.trust_list(TrustHeader { sequence: 1, issued_at: 0 }, &[period]).unwrap();
        let keys = IssuerKeys { trust: Some(trust), ..IssuerKeys::default() };
        let seed = Seed::from_bytes(&[6; 32]);
        let wallet = |index: u32, serial: u64| {
            let credential = issuer.issue(CredentialFields {
                key_id: 1,
                serial,
                device_key: Ed25519Wallet::device_public_key(&seed, index),
                not_before: 0,
                lifetime: 604_800,
                per_payment_limit: 600,
                cumulative_limit: 600,
            });
            Ed25519Wallet::new(Params::default(), &seed, index, credential, 0).unwrap()
        };
        // Payer 7 holds serials 11 and 12 (a batch of two: 1200 at one terminal);
        // serial 13 is another payer's; serial 14 the issuer does not know.
        let (a, b, c, d) = (wallet(0, 11), wallet(1, 12), wallet(2, 13), wallet(3, 14));
        let holder = |payer, index| Holder { payer, batch: 1, index, batch_limit: 1_200 };
        let holders: BTreeMap<u64, Holder> =
            [(11, holder(7, 0)), (12, holder(7, 1)), (13, holder(8, 0))].into_iter().collect();
        let policy = Policy::with_tolerance(3).with_holders(holders);
        let rec = |w: &Ed25519Wallet, step, counter, amount, terminal| {
            LogRecord::new(
                &Code::Ed25519(Box::new(w.code_for(step, counter))),
                step,
                60 * step,
                amount,
                terminal,
                None,
            )
            .unwrap()
        };
        let honest = vec![
            rec(&a, 100, 0, 500, 9),
            rec(&b, 100, 0, 500, 9),
            rec(&a, 101, 1, 100, 10),
            rec(&c, 101, 0, 50, 9),
            rec(&d, 101, 0, 50, 9),
        ];
        let out = reconcile(std::slice::from_ref(&honest), &keys, &policy);
        assert!(out.unproven.is_empty() && out.flagged.is_empty() && out.flagged_payers.is_empty());
        assert_eq!(out.payers.len(), 2);
        let p7 = &out.payers[0];
        assert_eq!((p7.payer, p7.serials.as_slice(), p7.codes), (7, &[11, 12][..], 3));
        let at = |t: u32| p7.terminals.iter().find(|x| x.terminal_id == t).map(|x| (x.total, x.limit));
        assert_eq!((at(9), at(10)), (Some((1_000, 1_200)), Some((100, 1_200))));
        assert_eq!((out.payers[1].payer, out.payers[1].codes), (8, 1));
        // One more code of serial 12 at terminal 9: 1_300 there, over the batch's 1_200.
        let mut over = honest.clone();
        over.push(rec(&b, 102, 1, 300, 9));
        let out = reconcile(&[over], &keys, &policy);
        assert_eq!(out.flagged_payers, [7]);
        assert!(out.payers[0].over_batch_limit);
        // A clone of serial 12: a second code for its counter 0. The payer is flagged for it.
        let mut cloned = honest;
        cloned.push(rec(&b, 103, 0, 10, 11));
        let out = reconcile(&[cloned], &keys, &policy);
        assert_eq!(out.flagged_payers, [7]);
        assert_eq!(
            (out.payers[0].flagged_serials.as_slice(), out.payers[0].over_batch_limit),
            (&[12][..], false)
        );
        assert_eq!(out.revoke_serials, [12]);
    }
}
