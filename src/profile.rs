//! The two profiles of paycode v3 and the bytes that name them (spec §4.1).

/// The payload version byte of paycode v3 (spec: R-ENC-3).
pub const VERSION: u8 = 0x03;
/// Profile byte of the hmac profile.
pub const PROFILE_HMAC: u8 = 0x01;
/// Profile byte of the ed25519 profile.
pub const PROFILE_ED25519: u8 = 0x02;

/// The two profiles of paycode v3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Profile {
    /// Shared-seed HMAC-SHA256 codes, verified online by the issuer.
    Hmac,
    /// Device-signed codes with an issuer credential, verified offline.
    Ed25519,
}

impl Profile {
    /// The profile's byte in payloads and log records.
    pub const fn byte(self) -> u8 {
        match self {
            Profile::Hmac => PROFILE_HMAC,
            Profile::Ed25519 => PROFILE_ED25519,
        }
    }

    /// The profile this byte names, if any.
    pub const fn from_byte(byte: u8) -> Option<Profile> {
        match byte {
            PROFILE_HMAC => Some(Profile::Hmac),
            PROFILE_ED25519 => Some(Profile::Ed25519),
            _ => None,
        }
    }

    /// The profile's name, `"hmac"` or `"ed25519"`.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Hmac => "hmac",
            Profile::Ed25519 => "ed25519",
        }
    }

    /// The profile named `name`.
    ///
    /// ```
    /// use paycode::Profile;
    /// assert_eq!(Profile::from_name("ed25519"), Some(Profile::Ed25519));
    /// assert_eq!(Profile::from_name("HMAC"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "hmac" => Some(Profile::Hmac),
            "ed25519" => Some(Profile::Ed25519),
            _ => None,
        }
    }
}

impl core::fmt::Display for Profile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Profile {
    type Err = crate::errors::UnknownProfile;

    fn from_str(s: &str) -> Result<Profile, Self::Err> {
        Profile::from_name(s).ok_or(crate::errors::UnknownProfile)
    }
}

/// A code's mode, the high four bits of its second payload byte (spec: R-MODE-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// One-way: the code binds no amount and no terminal.
    OneWay,
    /// Capped: the code carries the payer-confirmed amount cap, in minor units (spec: R-CAP-1).
    Capped(u32),
    /// Challenge: the code's tag or signature covers a terminal's challenge (spec: R-CHAL-2).
    Challenge,
}

impl Mode {
    /// The mode's number: 0 one-way, 1 capped, 2 challenge.
    pub const fn number(self) -> u8 {
        match self {
            Mode::OneWay => 0,
            Mode::Capped(_) => 1,
            Mode::Challenge => 2,
        }
    }

    /// The second payload byte of a code of `profile` in this mode, `mode · 16 + profile`.
    pub const fn byte(self, profile: Profile) -> u8 {
        self.number() * 16 + profile.byte()
    }

    /// The mode's name in the vectors: `one-way`, `capped` or `challenge`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::OneWay => "one-way",
            Mode::Capped(_) => "capped",
            Mode::Challenge => "challenge",
        }
    }

    /// The cap of a capped code.
    pub const fn cap(self) -> Option<u32> {
        match self {
            Mode::Capped(cap) => Some(cap),
            Mode::OneWay | Mode::Challenge => None,
        }
    }
}

/// The profile and mode number a code payload's second byte names, if it is
/// one of the six the spec defines (spec: R-MODE-1).
pub const fn split_profile_byte(byte: u8) -> Option<(Profile, u8)> {
    let mode = byte >> 4;
    match (Profile::from_byte(byte & 0x0f), mode) {
        (Some(profile), 0..=2) => Some((profile, mode)),
        _ => None,
    }
}
