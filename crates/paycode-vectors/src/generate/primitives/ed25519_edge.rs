//! `ed25519-edge.json`: the pinned Ed25519 rules (spec §6) on the points and
//! signatures that lax, strict and cofactorless verifiers disagree on.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

use crate::curve;
use crate::errors::{FixtureError, VectorError};
use crate::format::{Op, PointInput, SigVerifyInput, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{hex, seed_bytes};
use crate::generate::flags::Flag;
use paycode::hazmat::eddsa::{SecretKey, point_is_valid};

/// The message of the hand-built signatures.
const MESSAGE: &[u8] = b"paycode ed25519 edge case";

/// The file: points first, then signatures.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "ed25519-edge",
        "The pinned Ed25519 rules (spec §6): a point is valid iff it is canonical (y < p), decodes and is not of small order (R-ED-1); a signature is valid iff S < L, A and R are valid points, and the cofactored equation [8][S]G = [8]R + [8][k]A holds (R-ED-2). Intermediates show what the cofactorless and the cofactored equation conclude with S reduced mod L and the points decoded leniently; the verdict is the cofactored one with strict encodings.",
    )
    .source("TAMING", "Chalkias, Garillot, Nikolaenko, Taming the many EdDSAs, SSR 2020 (the edge-case classes)");
    points(&mut file)?;
    let signer = Signer::new();
    ordinary_signatures(&mut file, &signer)?;
    small_order_keys(&mut file, &signer)?;
    small_order_r(&mut file, &signer)?;
    mixed_order(&mut file, &signer)?;
    Ok(file.finish())
}

/// A point case: valid under R-ED-1, or not.
fn point(
    file: &mut FileBuilder,
    name: &str,
    flags: &[Flag],
    comment: &str,
    point: &[u8; 32],
    valid: bool,
) -> Result<(), VectorError> {
    file.add(Case {
        id: &format!("ed25519.point.{name}"),
        requirements: &["R-ED-1"],
        flags,
        comment,
        op: Op::Ed25519Point,
        input: PointInput { point: hex(point) },
        intent: Intent::validity(valid),
    })
}

/// 32 bytes of `fill` with the first and last byte given: the encodings near `p`.
fn encoding(fill: u8, first: u8, last: u8) -> [u8; 32] {
    let mut bytes = [fill; 32];
    bytes[0] = first;
    bytes[31] = last;
    bytes
}

/// The base point, the eight torsion points, non-canonical encodings, and
/// points with a torsion component.
fn points(file: &mut FileBuilder) -> Result<(), VectorError> {
    point(file, "base-point", &[Flag::Valid], "The base point B.", &curve::base_point(), true)?;
    for (i, torsion) in curve::torsion().iter().enumerate() {
        let order = 8 / gcd(i, 8);
        let comment = format!("The torsion point [{i}]T8, of order {order}, canonical encoding.");
        point(file, &format!("torsion-{i}-order-{order}"), &[Flag::SmallOrder], &comment, torsion, false)?;
    }
    let non_canonical = [Flag::NonCanonicalPoint, Flag::SmallOrder];
    for (name, bytes, comment) in [
        (
            "y-p-sign-0",
            encoding(0xff, 0xed, 0x7f),
            "y = p (that is y = 0, a point of order 4), sign bit 0: non-canonical.",
        ),
        (
            "y-p-sign-1",
            encoding(0xff, 0xed, 0xff),
            "y = p (that is y = 0, a point of order 4), sign bit 1: non-canonical.",
        ),
        (
            "y-p-plus-1",
            encoding(0xff, 0xee, 0x7f),
            "y = p + 1 (the identity's y), sign bit 0: non-canonical identity.",
        ),
        (
            "y-p-plus-1-sign-1",
            encoding(0xff, 0xee, 0xff),
            "y = p + 1 with sign bit 1: non-canonical, and x = 0 with the sign bit.",
        ),
        ("identity-sign-1", encoding(0, 1, 0x80), "y = 1 (identity, x = 0) with the sign bit set."),
        (
            "order-2-sign-1",
            encoding(0xff, 0xec, 0xff),
            "y = p - 1 (the point of order 2, x = 0) with the sign bit set.",
        ),
    ] {
        point(file, name, &non_canonical, comment, &bytes, false)?;
    }
    // The smallest y whose point exists, encoded as y and as y + p.
    let small = (2u8..19)
        .map(|y| encoding(0, y, 0))
        .find(point_is_valid)
        .ok_or(FixtureError::NotFound("valid point with a small y"))?;
    let small_y = small[0];
    let comment = format!(
        "The point with y = {small_y}: canonical and not of small order (it has a torsion component)."
    );
    point(file, "small-y", &[Flag::Valid, Flag::MixedOrder], &comment, &small, true)?;
    let plus_p = encoding(0xff, small_y.wrapping_add(0xed), 0x7f);
    let comment = format!("The same point encoded with y = {small_y} + p: non-canonical.");
    point(file, "small-y-plus-p", &[Flag::NonCanonicalPoint], &comment, &plus_p, false)?;
    let off_curve = (2u8..19)
        .map(|y| encoding(0, y, 0))
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .ok_or(FixtureError::NotFound("y off the curve"))?;
    let comment = format!("y = {}: no x satisfies the curve equation.", off_curve[0]);
    point(file, "not-on-curve", &[Flag::NonCanonicalPoint], &comment, &off_curve, false)?;
    let mixed = curve::add_torsion(&curve::base_multiple(7), 1).ok_or(FixtureError::NotFound("[7]B + T8"))?;
    point(
        file,
        "mixed-order",
        &[Flag::Valid, Flag::MixedOrder],
        "[7]B + T8: a mixed-order point is a valid point (only the 8 small-order points are excluded).",
        &mixed,
        true,
    )
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

/// The key that signs, its secret scalar `a`, and a nonce `r` with `R = [r]B`.
struct Signer {
    key: SecretKey,
    a: Scalar,
    public: [u8; 32],
    r: Scalar,
    r_point: [u8; 32],
}

impl Signer {
    fn new() -> Signer {
        let secret = seed_bytes("ed25519-edge/signer");
        let (a, public) = curve::secret_scalar(&secret);
        let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest(b"ed25519-edge/nonce").into());
        let r_point = EdwardsPoint::mul_base(&r).compress().to_bytes();
        Signer { key: SecretKey::from_secret(&secret), a, public, r, r_point }
    }

    /// `R || S` with `S = r' + k * a` for the given `R` and `r'`.
    fn signature(&self, r: &[u8; 32], r_scalar: &Scalar, key: &[u8; 32], message: &[u8]) -> Vec<u8> {
        let k = curve::challenge(r, key, message);
        [&r[..], &curve::response(r_scalar, &k, &self.a)].concat()
    }

    /// `R = [r]B`, `S = r`: the cofactored equation holds for a small-order key and any message.
    fn with_nonce_only(&self) -> Vec<u8> {
        [&self.r_point[..], self.r.as_bytes()].concat()
    }
}

/// A signature case under the pinned rules.
struct Signature<'a> {
    name: &'a str,
    requirements: &'a [&'a str],
    flags: &'a [Flag],
    comment: &'a str,
    public_key: &'a [u8],
    message: &'a [u8],
    signature: &'a [u8],
    valid: bool,
}

fn add_signature(file: &mut FileBuilder, case: Signature<'_>) -> Result<(), VectorError> {
    file.add(Case {
        id: &format!("ed25519.signature.{}", case.name),
        requirements: case.requirements,
        flags: case.flags,
        comment: case.comment,
        op: Op::Ed25519Verify,
        input: SigVerifyInput {
            public_key: hex(case.public_key),
            message: hex(case.message),
            signature: hex(case.signature),
        },
        intent: Intent::validity(case.valid),
    })
}

/// A valid signature, the same over another message, and `S` replaced by `S + nL`.
fn ordinary_signatures(file: &mut FileBuilder, signer: &Signer) -> Result<(), VectorError> {
    let signature = signer.key.sign(MESSAGE);
    add_signature(
        file,
        Signature {
            name: "valid",
            requirements: &["R-ED-2"],
            flags: &[Flag::Valid],
            comment: "An ordinary signature by a valid key.",
            public_key: &signer.public,
            message: MESSAGE,
            signature: &signature,
            valid: true,
        },
    )?;
    add_signature(
        file,
        Signature {
            name: "other-message",
            requirements: &["R-ED-2"],
            flags: &[Flag::BadSignature],
            comment: "The same signature over another message.",
            public_key: &signer.public,
            message: b"paycode ed25519 edge casf",
            signature: &signature,
            valid: false,
        },
    )?;
    let mut s = [0u8; 32];
    s.copy_from_slice(&signature[32..]);
    for (times, name, comment) in [
        (
            1u32,
            "s-plus-l",
            "S + L: equal to S modulo L, below 2^253; a verifier that checks only the top bits accepts it.",
        ),
        (2, "s-plus-2l", "S + 2L: at least 2^253."),
        (15, "s-plus-15l", "S + 15L: close to 2^256, the top bit set."),
    ] {
        let big = curve::add_order(&s, times).ok_or(FixtureError::NotFound("S + nL below 2^256"))?;
        add_signature(
            file,
            Signature {
                name,
                requirements: &["R-ED-2"],
                flags: &[Flag::NonCanonicalS],
                comment,
                public_key: &signer.public,
                message: MESSAGE,
                signature: &[&signature[..32], &big[..]].concat(),
                valid: false,
            },
        )?;
    }
    Ok(())
}

/// Small-order and non-canonical public keys with `R = [r]B`, `S = r`: the
/// cofactored equation holds for every one; the keys are invalid.
fn small_order_keys(file: &mut FileBuilder, signer: &Signer) -> Result<(), VectorError> {
    for (i, torsion) in curve::torsion().iter().enumerate() {
        add_signature(
            file,
            Signature {
                name: &format!("small-order-key-{i}"),
                requirements: &["R-ED-1", "R-ED-2", "R-ED-6"],
                flags: &[Flag::SmallOrder, Flag::Cofactored],
                comment: &format!(
                    "A = [{i}]T8 (small order), R = [r]B, S = r: the cofactored equation holds for any message; the key is invalid."
                ),
                public_key: torsion,
                message: MESSAGE,
                signature: &signer.with_nonce_only(),
                valid: false,
            },
        )?;
    }
    for (name, key, comment) in [
        (
            "non-canonical-key-y-p",
            encoding(0xff, 0xed, 0x7f),
            "A encoded with y = p (non-canonical, small order), R = [r]B, S = r.",
        ),
        (
            "non-canonical-key-identity",
            encoding(0xff, 0xee, 0x7f),
            "A = the identity encoded with y = p + 1, R = [r]B, S = r: a decoder that reduces y accepts the identity key.",
        ),
    ] {
        add_signature(
            file,
            Signature {
                name,
                requirements: &["R-ED-1", "R-ED-2"],
                flags: &[Flag::NonCanonicalPoint, Flag::SmallOrder],
                comment,
                public_key: &key,
                message: MESSAGE,
                signature: &signer.with_nonce_only(),
                valid: false,
            },
        )?;
    }
    Ok(())
}

/// Small-order and non-canonical `R` with `S = k * a`: `[S]B - [k]A` is the
/// identity, so `R` minus it is torsion; `R` is invalid.
fn small_order_r(file: &mut FileBuilder, signer: &Signer) -> Result<(), VectorError> {
    for (i, torsion) in curve::torsion().iter().enumerate().filter(|(i, _)| [0, 1, 2, 4].contains(i)) {
        let which =
            if i == 0 { "the cofactorless equation holds too" } else { "only the cofactored equation holds" };
        add_signature(
            file,
            Signature {
                name: &format!("small-order-r-{i}"),
                requirements: &["R-ED-1", "R-ED-2", "R-ED-6"],
                flags: &[Flag::SmallOrder, Flag::Cofactored],
                comment: &format!("R = [{i}]T8 (small order), S = k * a: {which}; R is invalid."),
                public_key: &signer.public,
                message: MESSAGE,
                signature: &signer.signature(torsion, &Scalar::ZERO, &signer.public, MESSAGE),
                valid: false,
            },
        )?;
    }
    for (name, r, comment) in [
        (
            "non-canonical-r-identity",
            encoding(0xff, 0xee, 0x7f),
            "R = the identity encoded with y = p + 1, S = k * a: [S]B - [k]A is the identity, which re-encodes differently.",
        ),
        (
            "non-canonical-r-identity-sign",
            encoding(0, 1, 0x80),
            "R = the identity with the sign bit set, S = k * a.",
        ),
    ] {
        add_signature(
            file,
            Signature {
                name,
                requirements: &["R-ED-1", "R-ED-2"],
                flags: &[Flag::NonCanonicalPoint, Flag::SmallOrder],
                comment,
                public_key: &signer.public,
                message: MESSAGE,
                signature: &signer.signature(&r, &Scalar::ZERO, &signer.public, MESSAGE),
                valid: false,
            },
        )?;
    }
    Ok(())
}

/// Mixed-order key `A' = A + T8` (a valid point): for `R = [r]B` and
/// `S = r + k * a` the cofactorless equation holds only when `k = 0 mod 8`, the
/// cofactored one (the spec's) always. Then a mixed-order `R`.
fn mixed_order(file: &mut FileBuilder, signer: &Signer) -> Result<(), VectorError> {
    let mixed_key = curve::add_torsion(&signer.public, 1).ok_or(FixtureError::NotFound("A + T8"))?;
    let message_with_k = |zero_mod_8: bool| {
        (0u32..200)
            .map(|n| format!("paycode mixed-order key {n}").into_bytes())
            .find(|m| (curve::challenge(&signer.r_point, &mixed_key, m).as_bytes()[0] & 7 == 0) == zero_mod_8)
            .ok_or(FixtureError::NotFound("message with the wanted k mod 8"))
    };
    let k_zero = message_with_k(true)?;
    add_signature(
        file,
        Signature {
            name: "mixed-order-key-k-0-mod-8",
            requirements: &["R-ED-1", "R-ED-2", "R-ED-6"],
            flags: &[Flag::Valid, Flag::MixedOrder],
            comment: "A = [a]B + T8 (mixed order, a valid point), R = [r]B, S = r + k * a with k = 0 mod 8: both equations hold; valid.",
            public_key: &mixed_key,
            message: &k_zero,
            signature: &signer.signature(&signer.r_point, &signer.r, &mixed_key, &k_zero),
            valid: true,
        },
    )?;
    let k_other = message_with_k(false)?;
    add_signature(
        file,
        Signature {
            name: "mixed-order-key-k-not-0-mod-8",
            requirements: &["R-ED-1", "R-ED-2", "R-ED-6"],
            flags: &[Flag::Valid, Flag::MixedOrder, Flag::Cofactored],
            comment: "A = [a]B + T8, R = [r]B, S = r + k * a with k != 0 mod 8: only the cofactored equation holds, which is the spec's; valid (cofactorless verifiers reject it).",
            public_key: &mixed_key,
            message: &k_other,
            signature: &signer.signature(&signer.r_point, &signer.r, &mixed_key, &k_other),
            valid: true,
        },
    )?;
    let mixed_r = curve::add_torsion(&signer.r_point, 1).ok_or(FixtureError::NotFound("R + T8"))?;
    add_signature(
        file,
        Signature {
            name: "mixed-order-r",
            requirements: &["R-ED-2", "R-ED-6"],
            flags: &[Flag::Valid, Flag::MixedOrder, Flag::Cofactored],
            comment: "R = [r]B + T8 (a valid point), S = r + k * a: the cofactored equation (the spec's) holds, the cofactorless one does not; valid (cofactorless verifiers reject it).",
            public_key: &signer.public,
            message: MESSAGE,
            signature: &signer.signature(&mixed_r, &signer.r, &signer.public, MESSAGE),
            valid: true,
        },
    )
}
