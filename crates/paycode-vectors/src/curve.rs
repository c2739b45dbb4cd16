//! Ed25519 arithmetic for the edge-case vectors: why a point or signature is
//! valid or not, and how to build signatures that only lax verifiers accept.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};

use super::format::{PointIntermediates, SigVerifyIntermediates};
use paycode::codec::to_hex;
use paycode::hazmat::eddsa::point_is_valid;

/// The group order `L`, little-endian.
pub(crate) const ORDER_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The field prime `p = 2^255 - 19`, little-endian.
const PRIME_P: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// `a < b` for 256-bit little-endian integers.
fn less(a: &[u8; 32], b: &[u8; 32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// `a + times * L` as a 256-bit little-endian integer, if it fits.
pub(crate) fn add_order(a: &[u8; 32], times: u32) -> Option<[u8; 32]> {
    let mut out = *a;
    for _ in 0..times {
        let mut carry = 0u16;
        for (byte, order_byte) in out.iter_mut().zip(ORDER_L.iter()) {
            let sum = u16::from(*byte) + u16::from(*order_byte) + carry;
            *byte = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(out)
}

/// Why a 32-byte string is or is not a valid point (spec: R-ED-1).
pub(crate) fn point_facts(bytes: &[u8; 32]) -> PointIntermediates {
    let mut y = *bytes;
    let sign = y[31] & 0x80 != 0;
    y[31] &= 0x7f;
    let point = CompressedEdwardsY(*bytes).decompress();
    PointIntermediates {
        y_below_p: less(&y, &PRIME_P),
        on_curve: point.is_some(),
        x_zero_with_sign: point.is_some_and(|p| p == -p) && sign,
        small_order: point.map(|p| p.is_small_order()),
    }
}

/// `k = SHA-512(R || A || M) mod L`.
pub(crate) fn challenge(r: &[u8], a: &[u8], msg: &[u8]) -> Scalar {
    let mut hash = Sha512::new();
    hash.update(r);
    hash.update(a);
    hash.update(msg);
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&hash.finalize());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// Why a signature is or is not valid under the pinned rules (spec: R-ED-2).
pub(crate) fn signature_facts(a: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> SigVerifyIntermediates {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    s.copy_from_slice(&sig[32..]);
    let k = challenge(&r, a, msg);
    let a_point = CompressedEdwardsY(*a).decompress();
    let r_point = CompressedEdwardsY(r).decompress();
    // Lax verifiers reduce S; the equations below show what they would conclude.
    let s_reduced = Scalar::from_bytes_mod_order(s);
    // Negate the point, not the scalar: -k mod L does not negate a torsion component.
    let lhs = a_point.map(|ap| EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &(-ap), &s_reduced));
    SigVerifyIntermediates {
        s_canonical: less(&s, &ORDER_L),
        a_valid: point_is_valid(a),
        r_valid: point_is_valid(&r),
        k: to_hex(k.as_bytes()),
        cofactorless_equation: lhs.is_some_and(|p| p.compress().to_bytes() == r),
        cofactored_equation: match (lhs, r_point) {
            (Some(l), Some(rp)) => (l - rp).mul_by_cofactor().is_identity(),
            _ => false,
        },
    }
}

/// The secret scalar `a` of an RFC 8032 secret key and its public key `[a]B`.
pub(crate) fn secret_scalar(secret: &[u8; 32]) -> (Scalar, [u8; 32]) {
    let digest = Sha512::digest(secret);
    let mut a = [0u8; 32];
    for (x, y) in a.iter_mut().zip(digest.iter()) {
        *x = *y;
    }
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    let scalar = Scalar::from_bytes_mod_order(a);
    (scalar, EdwardsPoint::mul_base(&scalar).compress().to_bytes())
}

/// The canonical encodings of the eight points of order dividing 8.
pub(crate) fn torsion() -> [[u8; 32]; 8] {
    EIGHT_TORSION.map(|p| p.compress().to_bytes())
}

/// `[s]B` for a small scalar, encoded.
pub(crate) fn base_multiple(s: u64) -> [u8; 32] {
    EdwardsPoint::mul_base(&Scalar::from(s)).compress().to_bytes()
}

/// `P + T` for an encoded point `P` and the torsion point `T` with index `i`, encoded.
pub(crate) fn add_torsion(p: &[u8; 32], i: usize) -> Option<[u8; 32]> {
    let point = CompressedEdwardsY(*p).decompress()?;
    let t = EIGHT_TORSION.get(i)?;
    Some((point + t).compress().to_bytes())
}

/// `S = r + k * a` for a signature whose `R = [r]B` or another chosen point.
pub(crate) fn response(r: &Scalar, k: &Scalar, a: &Scalar) -> [u8; 32] {
    (r + k * a).to_bytes()
}

/// The base point, encoded.
pub(crate) fn base_point() -> [u8; 32] {
    ED25519_BASEPOINT_POINT.compress().to_bytes()
}
