//! The pinned Ed25519 validity rules (spec §6).
//!
//! A point encoding (public key `A` or signature `R`) is valid only if it
//! decodes, is canonical, and is not of small order; a signature is valid only
//! if `S < L`, `A` and `R` are valid, and `[S]B = R + [k]A` holds without the
//! cofactor. This is `ed25519-dalek`'s `verify_strict` plus the canonical
//! check on `A`, which `verify_strict` leaves out.

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::Seed;

/// A public key that passed the spec's point-validity rule (spec: R-ED-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a public key, applying the point-validity rule.
    ///
    /// Returns `None` for an encoding that does not decode, is not canonical
    /// (`y >= p`, or `x = 0` with the sign bit set), or is of small order.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<PublicKey> {
        // spec: R-ED-1
        if !point_is_valid(bytes) {
            return None;
        }
        VerifyingKey::from_bytes(bytes).ok().map(PublicKey)
    }

    /// The key's 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Verifies `signature` over `message` by the spec's rule (spec: R-ED-2).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        // verify_strict rejects S >= L, small-order R and A, and compares the
        // recomputed R with the signature's bytes, which rejects a
        // non-canonical R; A's canonical form was checked at parse time.
        self.0.verify_strict(message, &Signature::from_bytes(signature)).is_ok()
    }

    /// The underlying ed25519-dalek key.
    pub const fn as_dalek(&self) -> &VerifyingKey {
        &self.0
    }
}

/// The point-validity rule on a 32-byte encoding (spec: R-ED-1).
///
/// ```
/// // The identity point (y = 1) has small order.
/// let mut identity = [0u8; 32];
/// identity[0] = 1;
/// assert!(!paycode::eddsa::point_is_valid(&identity));
/// ```
pub fn point_is_valid(bytes: &[u8; 32]) -> bool {
    let compressed = CompressedEdwardsY(*bytes);
    match compressed.decompress() {
        Some(point) => point.compress().to_bytes() == *bytes && !point.is_small_order(),
        None => false,
    }
}

/// An Ed25519 signing key (device or issuer). Zeroized on drop (by
/// ed25519-dalek); `Debug` never shows the secret.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// The signing key whose RFC 8032 secret is `secret`.
    pub fn from_secret(secret: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(secret))
    }

    /// The signing key derived from `seed` under `label || context` (spec: R-KEY-2).
    pub fn derive(seed: &Seed, label: &[u8], context: &[u8]) -> SecretKey {
        let secret = crate::keys::derive(seed, label, context);
        SecretKey::from_secret(secret.expose())
    }

    /// The public key's encoding.
    pub fn public_bytes(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs `message` (RFC 8032 Ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretKey").field("public", &self.public_bytes()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        let v: Vec<u8> = (0..64).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
        v.try_into().unwrap()
    }

    // RFC 8032 §7.1, TEST 1 (empty message).
    #[test]
    fn rfc8032_test1() {
        let sk = SecretKey::from_secret(&hex32(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        let pk = sk.public_bytes();
        assert_eq!(pk, hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        let sig = sk.sign(b"");
        let expect = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
        let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expect);
        let key = PublicKey::from_bytes(&pk).unwrap();
        assert!(key.verify(b"", &sig));
        assert!(!key.verify(b"x", &sig));
    }

    #[test]
    fn small_order_and_non_canonical_rejected() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_none());
        // y = p + 1 (non-canonical encoding of the identity's y).
        let mut y = [0xffu8; 32];
        y[0] = 0xee;
        y[31] = 0x7f;
        assert!(!point_is_valid(&y));
        // x = 0 with sign bit: y = 1 and the top bit set.
        let mut neg0 = identity;
        neg0[31] |= 0x80;
        assert!(!point_is_valid(&neg0));
        // The base point is valid.
        let b = curve25519_dalek::constants::ED25519_BASEPOINT_COMPRESSED.to_bytes();
        assert!(point_is_valid(&b));
    }

    #[test]
    fn non_canonical_s_rejected() {
        let sk = SecretKey::from_secret(&[3; 32]);
        let key = PublicKey::from_bytes(&sk.public_bytes()).unwrap();
        let mut sig = sk.sign(b"m");
        assert!(key.verify(b"m", &sig));
        // S + L: same value mod L, non-canonical.
        let l: [u8; 32] = hex32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
            sig[32 + i] = v as u8;
            carry = v >> 8;
        }
        assert!(!key.verify(b"m", &sig));
    }
}
