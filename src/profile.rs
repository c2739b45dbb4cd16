//! The two profiles of paycode v1 and the bytes that name them (spec §4.1).

/// The payload version byte of paycode v1 (spec: R-ENC-3).
pub const VERSION: u8 = 0x01;
/// Profile byte of the hmac profile.
pub const PROFILE_HMAC: u8 = 0x01;
/// Profile byte of the ed25519 profile.
pub const PROFILE_ED25519: u8 = 0x02;

/// The two profiles of paycode v1.
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
