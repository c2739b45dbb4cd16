//! The pinned Ed25519 validity rules (spec §6).
//!
//! A point encoding (public key `A` or signature `R`) is valid only if it is
//! canonical (`y < p`), decodes, and is not of small order; a signature is
//! valid only if `S < L`, `A` and `R` are valid, and the cofactored equation
//! `[8][S]B = [8]R + [8][k]A` holds with `k = SHA-512(R || A || M) mod L`.
//! The cofactored equation is what batch verification checks, so a batch and
//! the single check give the same verdicts (spec: R-ED-6).

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha512};

use crate::keys::Seed;

/// A public key that passed the spec's point-validity rule (spec: R-ED-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    bytes: [u8; 32],
    /// `-A`, precomputed for the verification equation.
    minus: EdwardsPoint,
}

impl PublicKey {
    /// Parses a public key, applying the point-validity rule.
    ///
    /// Returns `None` for an encoding that is not canonical (`y >= p`), does
    /// not decode, or is of small order.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<PublicKey> {
        // spec: R-ED-1
        let point = decode_point(bytes)?;
        Some(PublicKey { bytes: *bytes, minus: -point })
    }

    /// The key's 32-byte encoding.
    pub const fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// Verifies `signature` over `message` by the spec's rule (spec: R-ED-2).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.verify_parts(&[message], signature)
    }

    /// As [`PublicKey::verify`], the message given in parts that are hashed in order.
    pub fn verify_parts(&self, message: &[&[u8]], signature: &[u8; 64]) -> bool {
        Equation::parse(self, message, signature).is_some_and(|e| e.holds())
    }
}

/// One signature to check among several: the key, the message, the signature.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    /// The signer's public key.
    pub key: &'a PublicKey,
    /// The signed message.
    pub message: &'a [u8],
    /// The signature `R || S`.
    pub signature: &'a [u8; 64],
}

/// Checks every signature and returns the verdicts [`PublicKey::verify`]
/// would give, one per signature (spec: R-ED-6).
///
/// Each signature's encodings are checked on their own, exactly as the single
/// check does; the curve equations of those that pass are then checked
/// together by [`verify_batch`]'s randomized cofactored equation, and only if
/// that fails is each checked alone to find the invalid ones.
///
/// ```
/// use paycode::hazmat::eddsa::{PublicKey, SecretKey, Signed, verify_each};
/// let sk = SecretKey::from_secret(&[9; 32]);
/// let pk = PublicKey::from_bytes(&sk.public_bytes()).unwrap();
/// let (good, bad) = (sk.sign(b"a"), sk.sign(b"b"));
/// let items = [
///     Signed { key: &pk, message: b"a", signature: &good },
///     Signed { key: &pk, message: b"a", signature: &bad },
/// ];
/// assert_eq!(verify_each(&items), [true, false]);
/// ```
pub fn verify_each(items: &[Signed<'_>]) -> Vec<bool> {
    let equations: Vec<Option<Equation>> = items.iter().map(Equation::of).collect();
    let parsed: Vec<&Equation> = equations.iter().flatten().collect();
    if parsed.len() > 1 && batch_holds(&parsed) == Some(true) {
        return equations.iter().map(Option::is_some).collect();
    }
    equations.iter().map(|e| e.as_ref().is_some_and(Equation::holds)).collect()
}

/// Whether every signature is valid by the single check's rule: one
/// randomized cofactored equation `sum_i z_i [8](R_i + [k_i]A_i - [S_i]B) = 0`
/// with independent random 128-bit `z_i`, after each signature's encodings
/// passed the single check's rules. All valid signatures always pass; a batch
/// with an invalid one passes with probability at most 2^-128 (spec: R-ED-6).
///
/// If the operating system's random generator fails, the signatures are
/// checked one by one instead.
pub fn verify_batch(items: &[Signed<'_>]) -> bool {
    let Some(equations) = items.iter().map(Equation::of).collect::<Option<Vec<Equation>>>() else {
        return false;
    };
    let refs: Vec<&Equation> = equations.iter().collect();
    match batch_holds(&refs) {
        Some(verdict) => verdict,
        None => equations.iter().all(Equation::holds),
    }
}

/// The verification equation of one signature whose encodings are valid:
/// `[8]([S]B - R - [k]A) = 0`.
struct Equation {
    s: Scalar,
    r: EdwardsPoint,
    k: Scalar,
    /// `-A`.
    minus_a: EdwardsPoint,
}

impl Equation {
    fn of(item: &Signed<'_>) -> Option<Equation> {
        Equation::parse(item.key, &[item.message], item.signature)
    }

    /// Applies the encoding rules (`S < L`, `R` valid; spec: R-ED-1, R-ED-2)
    /// and computes `k`; `None` if the signature is invalid already.
    fn parse(key: &PublicKey, message: &[&[u8]], signature: &[u8; 64]) -> Option<Equation> {
        let (r_bytes, s_bytes) = split(signature);
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
        let r = decode_point(&r_bytes)?;
        let k = challenge(&r_bytes, &key.bytes, message);
        Some(Equation { s, r, k, minus_a: key.minus })
    }

    fn holds(&self) -> bool {
        // [S]B - [k]A - R, times the cofactor, must be the identity.
        let rhs = EdwardsPoint::vartime_double_scalar_mul_basepoint(&self.k, &self.minus_a, &self.s);
        (rhs - self.r).mul_by_cofactor().is_identity()
    }
}

/// The batch equation over `equations`; `None` if no random `z_i` could be had.
fn batch_holds(equations: &[&Equation]) -> Option<bool> {
    // Fresh from the operating system for every batch, after its signatures are fixed.
    let mut random = vec![0u8; 16 * equations.len()];
    getrandom::fill(&mut random).ok()?;
    // A 128-bit value is below L already: no reduction.
    let z: Vec<Scalar> = random
        .chunks_exact(16)
        .map(|c| {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(c);
            Scalar::from(u128::from_le_bytes(bytes))
        })
        .collect();
    // sum z_i (R_i + [k_i]A_i - [S_i]B) = [-sum z_i S_i]B + sum [z_i]R_i + sum [-(z_i k_i)](-A_i),
    // the spec's form: R_i keeps its 128-bit coefficient, which halves the
    // additions its share of the multiscalar multiplication costs (a
    // negated z_i would be a full-size scalar).
    let b: Scalar = equations.iter().zip(&z).map(|(e, z)| z * e.s).sum();
    let scalars = core::iter::once(-b)
        .chain(z.iter().copied())
        .chain(equations.iter().zip(&z).map(|(e, z)| -(z * e.k)));
    let points = core::iter::once(ED25519_BASEPOINT_POINT)
        .chain(equations.iter().map(|e| e.r))
        .chain(equations.iter().map(|e| e.minus_a));
    Some(EdwardsPoint::vartime_multiscalar_mul(scalars, points).mul_by_cofactor().is_identity())
}

/// The point-validity rule on a 32-byte encoding (spec: R-ED-1).
///
/// ```
/// // The identity point (y = 1) has small order.
/// let mut identity = [0u8; 32];
/// identity[0] = 1;
/// assert!(!paycode::hazmat::eddsa::point_is_valid(&identity));
/// ```
pub fn point_is_valid(bytes: &[u8; 32]) -> bool {
    decode_point(bytes).is_some()
}

/// Decodes a valid point: canonical, on the curve, not of small order.
fn decode_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !y_is_canonical(bytes) || has_small_order_y(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// Whether `y` (sign bit cleared) is the y of one of the eight points of
/// small order: then both points with that y (x and -x) have small order,
/// and no other point has, so this equals decoding and checking `[8]P = 0`
/// (which costs three doublings) for every encoding with a canonical `y`.
/// x = 0 occurs only for y = 1 and y = -1, so the non-canonical "x = 0 with
/// the sign bit set" is rejected here too.
fn has_small_order_y(bytes: &[u8; 32]) -> bool {
    let mut y = *bytes;
    if let Some(top) = y.last_mut() {
        *top &= 0x7f;
    }
    SMALL_ORDER_Y.contains(&y)
}

/// The y coordinates (little-endian) of the eight points of small order:
/// 0 (order 4), 1 (the identity), p - 1 (order 2), and the two of order 8.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0; 32],
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5,
        0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a,
        0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
    ],
];

/// Whether the 255-bit little-endian `y` (sign bit cleared) is below `p = 2^255 - 19`.
fn y_is_canonical(bytes: &[u8; 32]) -> bool {
    // y >= p only if bits 8..255 are all ones and the low byte is >= 0xed.
    let [low, middle @ .., top] = bytes;
    !(*low >= 0xed && middle.iter().all(|&b| b == 0xff) && (top & 0x7f) == 0x7f)
}

fn split(signature: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    let (a, b) = signature.split_at(32);
    r.copy_from_slice(a);
    s.copy_from_slice(b);
    (r, s)
}

fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[&[u8]]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    for part in message {
        h.update(part);
    }
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&h.finalize());
    Scalar::from_bytes_mod_order_wide(&wide)
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

    #[test]
    fn canonical_y_boundary() {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(!y_is_canonical(&p)); // y = p
        p[0] = 0xec;
        assert!(y_is_canonical(&p)); // y = p - 1
        p[0] = 0xee;
        p[31] = 0xff;
        assert!(!y_is_canonical(&p)); // y = p + 1, sign bit set
    }

    #[test]
    fn small_order_y_table_is_the_eight_torsion_points() {
        use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
        let mut from_dalek: Vec<[u8; 32]> = EIGHT_TORSION
            .iter()
            .map(|p| {
                let mut y = p.compress().to_bytes();
                y[31] &= 0x7f;
                y
            })
            .collect();
        from_dalek.sort_unstable();
        from_dalek.dedup();
        let mut table = SMALL_ORDER_Y.to_vec();
        table.sort_unstable();
        assert_eq!(table, from_dalek);
        // Every encoding of a torsion point, either sign bit, is rejected;
        // and on points of large order and mixed ones the y test agrees with
        // decoding and multiplying by the cofactor.
        for t in EIGHT_TORSION {
            for sign in [0, 0x80] {
                let mut e = t.compress().to_bytes();
                e[31] = (e[31] & 0x7f) | sign;
                assert!(!point_is_valid(&e));
            }
        }
        let mut p = B;
        for i in 0..2_000u32 {
            let q = p + EIGHT_TORSION[(i % 8) as usize];
            for point in [p, q] {
                let e = point.compress().to_bytes();
                let decoded = CompressedEdwardsY(e).decompress().unwrap();
                assert_eq!(has_small_order_y(&e), decoded.is_small_order());
                assert_eq!(point_is_valid(&e), !decoded.is_small_order());
            }
            p += B * Scalar::from(u64::from(i) * 7919 + 1);
        }
    }

    #[test]
    fn batch_of_valid_signatures_passes_in_one_equation() {
        let sk = SecretKey::from_secret(&[8; 32]);
        let pk = PublicKey::from_bytes(&sk.public_bytes()).unwrap();
        let messages: Vec<[u8; 4]> = (0..64u32).map(u32::to_be_bytes).collect();
        let sigs: Vec<[u8; 64]> = messages.iter().map(|m| sk.sign(m)).collect();
        let items: Vec<Signed<'_>> =
            messages.iter().zip(&sigs).map(|(m, s)| Signed { key: &pk, message: m, signature: s }).collect();
        let refs: Vec<Equation> = items.iter().map(|i| Equation::of(i).unwrap()).collect();
        assert_eq!(batch_holds(&refs.iter().collect::<Vec<_>>()), Some(true));
        // One wrong message makes the batch equation fail.
        let mut bad = items.clone();
        bad[17].message = b"other";
        let refs: Vec<Equation> = bad.iter().map(|i| Equation::of(i).unwrap()).collect();
        assert_eq!(batch_holds(&refs.iter().collect::<Vec<_>>()), Some(false));
        let mut expect = vec![true; 64];
        expect[17] = false;
        assert_eq!(verify_each(&bad), expect);
    }
}
