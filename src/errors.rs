//! The library's error types: the closed taxonomy of verdicts (spec §9), and
//! the small errors of the operations that are not verifications.

use core::fmt;

/// Why a verifier rejected a code: exactly one of the spec's error codes.
///
/// The variants map one-to-one onto the spec's error codes, in the spec's
/// precedence order (spec: R-VERIFY-1, R-VERIFY-2). [`Error::code`] gives the
/// code string used by the vectors and the conformance runner.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The verifier's own time lies before the epoch `T0`.
    TimeBeforeEpoch,
    /// The input does not decode: wrong prefix, non-canonical Base45,
    /// wrong length, bad digits, bad structure.
    Malformed,
    /// The payload's version byte is not one this verifier implements.
    UnsupportedVersion,
    /// The payload's profile byte is unknown or the profile is not enabled here.
    UnsupportedProfile,
    /// A challenge code in a call without a challenge (spec: R-CHAL-3).
    NoChallenge,
    /// A call with a challenge, and a code that is not a challenge code (spec: R-CHAL-3).
    ChallengeRequired,
    /// The challenge names another terminal, or another amount than the call's (spec: R-CHAL-3).
    ChallengeMismatch,
    /// The challenge is closed, or comes from the future (spec: R-CHAL-3).
    ChallengeExpired,
    /// The credential names an issuer key id that is not in the trust list.
    UnknownIssuer,
    /// The credential's issuer signature, device key or validity period is invalid.
    BadCredential,
    /// The credential's validity starts after the verifier's time.
    NotYetValid,
    /// The credential's validity ended before the verifier's time.
    Expired,
    /// The credential's serial is on the installed revocation list.
    Revoked,
    /// No revocation list is installed, or the installed one is past its
    /// `next_update + grace`: no ed25519 code is accepted until a fresh list
    /// arrives (spec: R-REVOKE-4).
    RevocationStale,
    /// A numeric code, and the failure budget of its source or of its
    /// account is spent (spec: R-HMAC-7, R-HMAC-8).
    Throttled,
    /// The code's MAC or device signature does not verify.
    InvalidCode,
    /// The code's step lies before the acceptance window.
    TooOld,
    /// The code's step lies after the acceptance window.
    TooNew,
    /// The verifier cannot decide replay for this code: its replay state was
    /// lost (quarantine) or is unusable.
    StateUnavailable,
    /// The counter lies below the replay window: it cannot be told apart from a used one.
    StaleCounter,
    /// This (credential or account, counter) was already accepted.
    Replayed,
    /// The counter is at or below the highest this verifier accepted for the
    /// identity, and the code claims a later step than that code: a code made
    /// in advance, a clone's, or a reused counter (spec: R-REPLAY-7).
    CounterBehind,
    /// A code was already accepted for this challenge (spec: R-CHAL-4).
    ChallengeUsed,
    /// The amount is above the capped code's cap (spec: R-CAP-2).
    OverCap,
    /// The amount of a numeric code is above the numeric ceiling (spec: R-CAP-3).
    OverCeiling,
    /// The amount exceeds the credential's per-payment or cumulative offline limit.
    OverLimit,
}

impl Error {
    /// Every error code, in precedence order.
    pub const ALL: [Error; 26] = [
        Error::TimeBeforeEpoch,
        Error::Malformed,
        Error::UnsupportedVersion,
        Error::UnsupportedProfile,
        Error::NoChallenge,
        Error::ChallengeRequired,
        Error::ChallengeMismatch,
        Error::ChallengeExpired,
        Error::UnknownIssuer,
        Error::BadCredential,
        Error::NotYetValid,
        Error::Expired,
        Error::Revoked,
        Error::RevocationStale,
        Error::Throttled,
        Error::InvalidCode,
        Error::TooOld,
        Error::TooNew,
        Error::StateUnavailable,
        Error::StaleCounter,
        Error::Replayed,
        Error::CounterBehind,
        Error::ChallengeUsed,
        Error::OverCap,
        Error::OverCeiling,
        Error::OverLimit,
    ];

    /// The spec's code string, for example `"replayed"`.
    ///
    /// ```
    /// assert_eq!(paycode::Error::TooOld.code(), "too-old");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            Error::TimeBeforeEpoch => "time-before-epoch",
            Error::Malformed => "malformed",
            Error::UnsupportedVersion => "unsupported-version",
            Error::UnsupportedProfile => "unsupported-profile",
            Error::NoChallenge => "no-challenge",
            Error::ChallengeRequired => "challenge-required",
            Error::ChallengeMismatch => "challenge-mismatch",
            Error::ChallengeExpired => "challenge-expired",
            Error::UnknownIssuer => "unknown-issuer",
            Error::BadCredential => "bad-credential",
            Error::NotYetValid => "not-yet-valid",
            Error::Expired => "expired",
            Error::Revoked => "revoked",
            Error::RevocationStale => "revocation-stale",
            Error::Throttled => "throttled",
            Error::InvalidCode => "invalid-code",
            Error::TooOld => "too-old",
            Error::TooNew => "too-new",
            Error::StateUnavailable => "state-unavailable",
            Error::StaleCounter => "stale-counter",
            Error::Replayed => "replayed",
            Error::CounterBehind => "counter-behind",
            Error::ChallengeUsed => "challenge-used",
            Error::OverCap => "over-cap",
            Error::OverCeiling => "over-ceiling",
            Error::OverLimit => "over-limit",
        }
    }

    /// The error whose code string is `code`, if any.
    ///
    /// ```
    /// assert_eq!(paycode::Error::from_code("replayed"), Some(paycode::Error::Replayed));
    /// ```
    pub fn from_code(code: &str) -> Option<Error> {
        Error::ALL.into_iter().find(|e| e.code() == code)
    }

    fn meaning(self) -> &'static str {
        match self {
            Error::TimeBeforeEpoch => "the verifier's time is before the epoch T0",
            Error::Malformed => "the input is not a well-formed paycode",
            Error::UnsupportedVersion => "the code's version is not supported",
            Error::UnsupportedProfile => "the code's profile is not supported here",
            Error::NoChallenge => "the code was made for a challenge, and this payment has none",
            Error::ChallengeRequired => "this payment has a challenge, and the code was not made for one",
            Error::ChallengeMismatch => "the challenge is for another terminal or another amount",
            Error::ChallengeExpired => "the challenge is no longer open",
            Error::UnknownIssuer => "the credential's issuer key is not trusted",
            Error::BadCredential => "the credential is invalid",
            Error::NotYetValid => "the credential is not yet valid",
            Error::Expired => "the credential has expired",
            Error::Revoked => "the credential is revoked",
            Error::RevocationStale => "the terminal's revocation list is missing or out of date",
            Error::Throttled => {
                "too many failed numeric codes for this account or terminal; use the QR code or try later"
            }
            Error::InvalidCode => "the code's MAC or signature is invalid",
            Error::TooOld => "the code's time step is too old",
            Error::TooNew => "the code's time step is too far in the future",
            Error::StateUnavailable => "the verifier's replay state is unavailable",
            Error::StaleCounter => "the code's counter is below the replay window",
            Error::Replayed => "the code was already used",
            Error::CounterBehind => "a later code of this payer was already accepted",
            Error::ChallengeUsed => "a code was already accepted for this challenge",
            Error::OverCap => "the amount is above the cap the payer confirmed",
            Error::OverCeiling => "the amount is above the issuer's ceiling for numeric codes",
            Error::OverLimit => "the amount exceeds the credential's offline limit",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.meaning())
    }
}

impl std::error::Error for Error {}

/// Serialized as its code string ([`Error::code`]), as the vectors and the
/// conformance runner write it; deserializing an unknown code is an error.
#[cfg(feature = "serde")]
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Error {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Error, D::Error> {
        let code = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        Error::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format_args!("unknown error code {code:?}")))
    }
}

/// A parameter set outside the ranges the spec allows (spec: R-TIME-6).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamsError {
    /// The step length is not in `1..=86400` seconds.
    StepLength,
    /// The back window `B` exceeds 8 steps.
    BackWindow,
    /// The forward window `F` exceeds 7 steps.
    ForwardWindow,
    /// The challenge lifetime is not in `30..=600` seconds.
    ChallengeLifetime,
}

impl core::fmt::Display for ParamsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ParamsError::StepLength => "step length must be 1..=86400 seconds",
            ParamsError::BackWindow => "back window must be at most 8 steps",
            ParamsError::ForwardWindow => "forward window must be at most 7 steps",
            ParamsError::ChallengeLifetime => "challenge lifetime must be 30..=600 seconds",
        })
    }
}

impl std::error::Error for ParamsError {}

/// Why a wallet could not generate a code.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenerateError {
    /// The wallet's time lies before the epoch `T0` (spec: R-TIME-2).
    TimeBeforeEpoch,
    /// The counter has reached `2^32 - 1`: the wallet must be enrolled again.
    CounterExhausted,
    /// The numeric form cannot carry this code: a capped or challenge code, or
    /// an account id or counter too large (spec: R-HMAC-4).
    NumericUnavailable,
    /// The code's credential does not belong to this wallet's device key.
    WrongCredential,
}

impl GenerateError {
    /// Every wallet error, the spec's three wallet codes first.
    pub const ALL: [GenerateError; 4] = [
        GenerateError::TimeBeforeEpoch,
        GenerateError::CounterExhausted,
        GenerateError::NumericUnavailable,
        GenerateError::WrongCredential,
    ];

    /// The error's code string: the spec's wallet codes (spec §9)
    /// `time-before-epoch`, `counter-exhausted` and `numeric-unavailable`, and
    /// `wrong-credential`, which the spec does not list because no conforming
    /// provisioning gives a wallet another device's credential.
    ///
    /// ```
    /// assert_eq!(paycode::GenerateError::CounterExhausted.code(), "counter-exhausted");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            GenerateError::TimeBeforeEpoch => "time-before-epoch",
            GenerateError::CounterExhausted => "counter-exhausted",
            GenerateError::NumericUnavailable => "numeric-unavailable",
            GenerateError::WrongCredential => "wrong-credential",
        }
    }

    /// The wallet error whose code string is `code`, if any.
    ///
    /// ```
    /// use paycode::GenerateError;
    /// assert_eq!(GenerateError::from_code("numeric-unavailable"), Some(GenerateError::NumericUnavailable));
    /// assert_eq!(GenerateError::from_code("replayed"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<GenerateError> {
        GenerateError::ALL.into_iter().find(|e| e.code() == code)
    }

    /// Whether the spec lists this code among the wallet codes (spec §9).
    pub const fn is_spec_code(self) -> bool {
        !matches!(self, GenerateError::WrongCredential)
    }

    fn meaning(self) -> &'static str {
        match self {
            GenerateError::TimeBeforeEpoch => "the wallet's time is before the epoch T0",
            GenerateError::CounterExhausted => "the wallet's counter is used up; enroll again",
            GenerateError::NumericUnavailable => {
                "the numeric form is only for a one-way code with counter < 2^16"
            }
            GenerateError::WrongCredential => "the credential is not for this device key",
        }
    }
}

impl core::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code(), self.meaning())
    }
}

impl std::error::Error for GenerateError {}

/// Serialized as its code string ([`GenerateError::code`]); deserializing an
/// unknown code is an error.
#[cfg(feature = "serde")]
impl serde::Serialize for GenerateError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for GenerateError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<GenerateError, D::Error> {
        let code = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        GenerateError::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format_args!("unknown wallet error code {code:?}")))
    }
}

/// Why a revocation list or a trust list was not installed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallError {
    /// This verifier has no trust list (to check a revocation list).
    NoTrustList,
    /// This verifier has no root key (to check a trust list).
    NoRootKey,
    /// The list's key id is not trusted, or not valid when the list was issued.
    UnknownKey,
    /// The list's signature (a trust list's root signature) does not verify.
    BadSignature,
    /// The list is not newer than the newest installed: its number is not
    /// greater, or more than one a minute greater; it was issued before that
    /// list; or it is dated after the verifier's time (spec: R-REVOKE-2,
    /// R-TRUST-4).
    NotNewer,
    /// The verifier's state could not be read or written: nothing was installed.
    StateUnavailable,
}

impl core::fmt::Display for InstallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            InstallError::NoTrustList => "no trust list is installed",
            InstallError::NoRootKey => "no root key is configured",
            InstallError::UnknownKey => "the revocation list's signing key is not trusted at its issue time",
            InstallError::BadSignature => "the list's signature is invalid",
            InstallError::NotNewer => "the list is not newer than the installed one",
            InstallError::StateUnavailable => "the verifier's state is unavailable; nothing was installed",
        })
    }
}

impl std::error::Error for InstallError {}

/// Why a string is not canonical Base45.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base45Error {
    /// A character outside the 45-character alphabet (lowercase included).
    Character,
    /// The length leaves a single trailing character (length mod 3 = 1).
    Length,
    /// A group's value exceeds what its bytes can hold (non-canonical).
    Overflow,
}

impl core::fmt::Display for Base45Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Base45Error::Character => "character outside the Base45 alphabet",
            Base45Error::Length => "Base45 length leaves a dangling character",
            Base45Error::Overflow => "Base45 group value out of range",
        })
    }
}

impl std::error::Error for Base45Error {}

/// Why a string is not hex.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HexError {
    /// The length is odd.
    OddLength,
    /// A character is not a hex digit.
    NotHex,
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HexError::OddLength => "hex of odd length",
            HexError::NotHex => "a character that is not a hex digit",
        })
    }
}

impl std::error::Error for HexError {}

/// A profile name other than `hmac` and `ed25519`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownProfile;

impl fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown profile: expected hmac or ed25519")
    }
}

impl std::error::Error for UnknownProfile {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for e in Error::ALL {
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            assert_eq!(Error::from_code(e.code()), Some(e));
            assert!(e.to_string().starts_with(e.code()));
        }
        assert_eq!(Error::from_code("accepted"), None);
    }

    #[test]
    fn wallet_codes_are_distinct_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for e in GenerateError::ALL {
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            assert_eq!(GenerateError::from_code(e.code()), Some(e));
            assert!(e.to_string().starts_with(e.code()));
        }
        let spec: Vec<&str> =
            GenerateError::ALL.into_iter().filter(|e| e.is_spec_code()).map(GenerateError::code).collect();
        assert_eq!(spec, ["time-before-epoch", "counter-exhausted", "numeric-unavailable"]);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn codes_are_the_serde_form() {
        for e in Error::ALL {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.code()));
            assert_eq!(serde_json::from_str::<Error>(&json).unwrap(), e);
        }
        for e in GenerateError::ALL {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.code()));
            assert_eq!(serde_json::from_str::<GenerateError>(&json).unwrap(), e);
        }
        assert!(serde_json::from_str::<Error>("\"counter-exhausted\"").is_err());
        assert!(serde_json::from_str::<GenerateError>("\"replayed\"").is_err());
    }
}

/// Why an issuer refused to issue a batch of credentials (spec: R-BATCH-2,
/// R-BATCH-3).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// The batch holds no device key.
    Empty,
    /// Two credentials of the batch, or a credential and an earlier one of
    /// the issuer, would share a serial.
    DuplicateSerial,
    /// The number of serials given is not the number of device keys.
    SerialCount,
    /// The per-payment limit exceeds the cumulative limit.
    PaymentAboveTotal,
    /// The cumulative limits of the batch add up to more than the payer's
    /// per-terminal limit.
    LimitSplit,
    /// The lifetime exceeds the longest validity a credential may have (spec: R-ED-4).
    Lifetime,
    /// A device key is not a valid point (spec: R-ED-1, R-ED-4).
    DeviceKey,
    /// `not_before + lifetime` would pass `2^64 - 1` (spec: R-ED-4).
    Validity,
    /// The operating system could not provide random serials.
    Random,
}

impl core::fmt::Display for BatchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BatchError::Empty => "a batch needs at least one device key",
            BatchError::DuplicateSerial => "a serial of the batch is already used",
            BatchError::SerialCount => "one serial per device key is needed",
            BatchError::PaymentAboveTotal => "the per-payment limit exceeds the cumulative limit",
            BatchError::LimitSplit => {
                "the batch's cumulative limits add up to more than the payer's per-terminal limit"
            }
            BatchError::Lifetime => "a credential's lifetime is at most 604800 seconds",
            BatchError::DeviceKey => "a device key is not a valid point",
            BatchError::Validity => "the validity period ends after the last second a credential can name",
            BatchError::Random => "the operating system could not provide random serials",
        })
    }
}

impl std::error::Error for BatchError {}
