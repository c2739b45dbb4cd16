//! Low-level pieces of the protocol: key derivation, MAC and signature
//! primitives, Base45, domain-separation strings and layout constants.
//!
//! A wallet, terminal or back end needs none of this: the types at the crate
//! root parse, generate and verify codes. These items are for test vectors,
//! worked examples, benchmarks and implementers who compare intermediate
//! values with their own. Using them to build codes by hand bypasses the
//! checks the high-level types make.

/// Canonical Base45 (RFC 9285, spec §5.2).
pub mod base45 {
    pub use crate::base45::{decode, decode_into, decoded_len, encode};
    pub use crate::errors::Base45Error;
}

/// Seeds, HKDF-SHA256 derivation and the labels of spec §3.
pub mod keys {
    pub use crate::keys::{
        DerivedKey, HKDF_SALT, HandleKey, HmacKeys, LABEL_DEVICE_KEY, LABEL_HMAC_HANDLE_KEY,
        LABEL_HMAC_NUMERIC_KEY, LABEL_HMAC_QR_KEY, LABEL_ISSUER_KEY, LABEL_ROOT_KEY, derive, prk,
    };
}

/// The hmac profile's rotating handles and the per-step index (spec: R-HANDLE-1..R-HANDLE-3).
pub mod handle {
    pub use crate::handle::{DS_HMAC_HANDLE, Entry, MAX_CANDIDATES, StepHandle, StepIndex, mac_input};
}

/// Ed25519 under the spec's rules (§6): point validity, single and batch verification, signing.
pub mod eddsa {
    pub use crate::eddsa::{PublicKey, SecretKey, Signed, point_is_valid, verify_batch, verify_each};
}

/// Domain-separation strings of every MAC and signature (spec §3.3).
pub mod ds {
    pub use crate::code::{DS_ED25519_CODE, DS_HMAC_QR};
    pub use crate::credential::DS_CREDENTIAL;
    pub use crate::handle::DS_HMAC_HANDLE;
    pub use crate::numeric::DS_HMAC_NUMERIC;
    pub use crate::revocation::DS_REVOCATION;
    pub use crate::trust::DS_TRUST;
}
