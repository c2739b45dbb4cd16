//! `ed25519-speccheck.json`: the twelve signatures of ed25519-speccheck, the
//! companion repository of "Taming the many EdDSAs" (Chalkias, Garillot,
//! Nikolaenko, SSR 2020), `novifinancial/ed25519-speccheck` at commit
//! `6551933`, Apache-2.0. Their message, key and signature bytes are that
//! repository's `cases.json`, unchanged; everything else here is ours.
//!
//! One function per case. Each states the verdict that spec §6.2 (R-ED-2)
//! gives, and which condition decides it, from the rules alone, not from any
//! library's result. The builder runs the reference and refuses a case whose
//! verdict differs; before that, each case's `facts` check the claims its
//! comment makes about its points and equations, so a comment cannot drift
//! from the bytes. Spec §6.7 has the same table, beside the libraries'
//! published results.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;

use crate::curve;
use crate::errors::{FixtureError, VectorError};
use crate::format::{Op, PointIntermediates, SigVerifyInput, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::unhex;
use crate::generate::flags::Flag;

const DESCRIPTION: &str = "The twelve Ed25519 edge cases of ed25519-speccheck, the companion of Taming the many EdDSAs, written outside this project: small-order and mixed-order A and R, S >= L, the non-canonical string y = p - 1 with the sign bit set as A and as R, and signatures that only the cofactored equation accepts. Message, key and signature bytes are unchanged; the verdicts are those of spec §6.2 (R-ED-2), and each comment names the conditions that decide it. Spec §6.7 sets them beside the libraries' published results.";

/// Every case, in the published order.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new("ed25519-speccheck", DESCRIPTION)
        .source(
            "ed25519-speccheck",
            "novifinancial/ed25519-speccheck, commit 6551933, cases.json (Apache-2.0): the message, public key and signature of each case, unchanged",
        )
        .source(
            "TAMING",
            "Chalkias, Garillot, Nikolaenko, Taming the many EdDSAs, SSR 2020 (IACR ePrint 2020/1244), the paper the cases accompany",
        );
    for case in [
        case_0(),
        case_1(),
        case_2(),
        case_3(),
        case_4(),
        case_5(),
        case_6(),
        case_7(),
        case_8(),
        case_9(),
        case_10(),
        case_11(),
    ] {
        case.add(&mut file)?;
    }
    Ok(file.finish())
}

/// One published case and what the spec makes of it.
struct Speccheck {
    /// The case's index in ed25519-speccheck (0 to 11).
    number: u8,
    /// The rest of the case id, after `ed25519.speccheck.case-N-`.
    slug: &'static str,
    message: &'static str,
    public_key: &'static str,
    signature: &'static str,
    requirements: &'static [&'static str],
    flags: &'static [Flag],
    /// The verdict under R-ED-2.
    valid: bool,
    /// What the case exercises and which conditions decide it.
    comment: &'static str,
    /// The claims of `comment` about the points and equations.
    facts: fn(&Facts) -> bool,
}

/// What the bytes of a case are, computed here from the curve.
struct Facts {
    a: Point,
    r: Point,
    /// `S < L`.
    s_canonical: bool,
    /// `[S]B - [k]A - R` is the identity, `S` reduced, points decoded leniently.
    cofactorless: bool,
    /// `[8]([S]B - [k]A - R)` is the identity, likewise.
    cofactored: bool,
}

/// The kind of a 32-byte string as a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Point {
    /// One of the eight points of small order, canonically encoded.
    Small,
    /// A point of order `L` plus a torsion point other than the identity.
    Mixed,
    /// A point of order `L`, without a torsion part.
    PrimeOrder,
    /// `y = p - 1` with the sign bit set: x = 0 asked to be odd. RFC 8032
    /// decoding fails (R-ED-1 condition 2); a lenient decoder returns the
    /// point of order 2, which R-ED-1 condition 3 rejects.
    XZeroWithSign,
}

impl Point {
    fn of(bytes: &[u8; 32]) -> Result<Point, FixtureError> {
        let facts: PointIntermediates = curve::point_facts(bytes);
        let point = lenient(bytes)?;
        Ok(match (facts.y_below_p, facts.x_zero_with_sign, point.is_small_order(), point.is_torsion_free()) {
            (true, true, true, _) => Point::XZeroWithSign,
            (true, false, true, _) => Point::Small,
            (true, false, false, false) => Point::Mixed,
            (true, false, false, true) => Point::PrimeOrder,
            _ => return Err(FixtureError::NotFound("a speccheck point of a kind named here")),
        })
    }
}

impl Speccheck {
    fn id(&self) -> String {
        format!("ed25519.speccheck.case-{}-{}", self.number, self.slug)
    }

    fn facts(&self) -> Result<Facts, VectorError> {
        let a = bytes::<32>(self.public_key)?;
        let sig = bytes::<64>(self.signature)?;
        let (r, s) = sig.split_at(32);
        let r: [u8; 32] = r.try_into().map_err(|_| FixtureError::Range { len: 64, from: 0, to: 32 })?;
        let s: [u8; 32] = s.try_into().map_err(|_| FixtureError::Range { len: 64, from: 32, to: 64 })?;
        let message = unhex(self.message)?;
        // [S]B - [k]A - R with k over the bytes as received, S reduced.
        let k = curve::challenge(&r, &a, &message);
        let residue = EdwardsPoint::vartime_double_scalar_mul_basepoint(
            &k,
            &-lenient(&a)?,
            &Scalar::from_bytes_mod_order(s),
        ) - lenient(&r)?;
        Ok(Facts {
            a: Point::of(&a)?,
            r: Point::of(&r)?,
            s_canonical: bool::from(Scalar::from_canonical_bytes(s).is_some()),
            cofactorless: residue.is_identity(),
            cofactored: residue.mul_by_cofactor().is_identity(),
        })
    }

    fn add(self, file: &mut FileBuilder) -> Result<(), VectorError> {
        if !(self.facts)(&self.facts()?) {
            return Err(FixtureError::NotFound("speccheck bytes with the facts their comment states").into());
        }
        file.add(Case {
            id: &self.id(),
            requirements: self.requirements,
            flags: self.flags,
            comment: self.comment,
            op: Op::Ed25519Verify,
            input: SigVerifyInput {
                public_key: self.public_key.into(),
                message: self.message.into(),
                signature: self.signature.into(),
            },
            intent: Intent::validity(self.valid),
        })
    }
}

/// The point a lenient decoder returns: `y` reduced, `x = 0` whatever the sign bit.
fn lenient(bytes: &[u8; 32]) -> Result<EdwardsPoint, FixtureError> {
    CompressedEdwardsY(*bytes).decompress().ok_or(FixtureError::NotFound("a speccheck point on the curve"))
}

fn bytes<const N: usize>(hex: &str) -> Result<[u8; N], VectorError> {
    let bytes = unhex(hex)?;
    let len = bytes.len();
    Ok(<[u8; N]>::try_from(bytes).map_err(|_| FixtureError::Range { len, from: 0, to: N })?)
}

/// Case 0: `A` and `R` of small order, `S = 0`. Invalid by R-ED-2
/// conditions 2 and 3 (R-ED-1 condition 3 for both points).
fn case_0() -> Speccheck {
    Speccheck {
        number: 0,
        slug: "small-a-and-r",
        message: "8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
        public_key: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        signature: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::SmallOrder],
        valid: false,
        comment: "speccheck case 0: A and R are both points of order 8 and S = 0: the cofactored equation holds for any message, and for this one the cofactorless one too. Invalid: R-ED-2 conditions 2 and 3, since neither A nor R is a valid point (R-ED-1 condition 3, small order).",
        facts: |f| f.a == Point::Small && f.r == Point::Small && f.s_canonical && f.cofactorless,
    }
}

/// Case 1: `A` of small order, `R` mixed. Invalid by R-ED-2 condition 2.
fn case_1() -> Speccheck {
    Speccheck {
        number: 1,
        slug: "small-a",
        message: "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
        public_key: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        signature: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::SmallOrder],
        valid: false,
        comment: "speccheck case 1: A is a point of order 8, R is of mixed order, S < L, and both equations hold. Invalid: R-ED-2 condition 2, since A is not a valid point (R-ED-1 condition 3, small order).",
        facts: |f| f.a == Point::Small && f.r == Point::Mixed && f.s_canonical && f.cofactorless,
    }
}

/// Case 2: `A` mixed, `R` of small order. Invalid by R-ED-2 condition 3.
fn case_2() -> Speccheck {
    Speccheck {
        number: 2,
        slug: "small-r",
        message: "aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
        public_key: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
        signature: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::SmallOrder],
        valid: false,
        comment: "speccheck case 2: A is of mixed order, R is a point of order 8, S < L, and both equations hold. Invalid: R-ED-2 condition 3, since R is not a valid point (R-ED-1 condition 3, small order).",
        facts: |f| f.a == Point::Mixed && f.r == Point::Small && f.s_canonical && f.cofactorless,
    }
}

/// Case 3: `A` and `R` mixed, both equations hold. Valid.
fn case_3() -> Speccheck {
    Speccheck {
        number: 3,
        slug: "mixed-a-and-r",
        message: "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
        public_key: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
        signature: "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::Valid, Flag::MixedOrder],
        valid: true,
        comment: "speccheck case 3: A and R are of mixed order (valid points: R-ED-1 rejects only small order), S < L, and both equations hold. Valid: R-ED-2 conditions 1 to 4 hold. Rejected only by a verifier that requires points of order L.",
        facts: |f| f.a == Point::Mixed && f.r == Point::Mixed && f.s_canonical && f.cofactorless,
    }
}

/// Case 4: `A` and `R` mixed, only the cofactored equation holds. Valid.
fn case_4() -> Speccheck {
    Speccheck {
        number: 4,
        slug: "cofactored-only",
        message: "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
        public_key: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
        signature: "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::Cofactored, Flag::MixedOrder],
        valid: true,
        comment: "speccheck case 4: A and R are of mixed order, S < L; [S]B - [k]A - R is a torsion point other than the identity, so the cofactored equation holds and the cofactorless one does not. Valid: R-ED-2 conditions 1 to 4 hold, condition 4 being the cofactored equation. A cofactorless verifier rejects it.",
        facts: |f| {
            f.a == Point::Mixed && f.r == Point::Mixed && f.s_canonical && !f.cofactorless && f.cofactored
        },
    }
}

/// Case 5: `A` mixed, `R` of order `L`, only the cofactored equation holds. Valid.
fn case_5() -> Speccheck {
    Speccheck {
        number: 5,
        slug: "cofactored-only-r-order-l",
        message: "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
        public_key: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
        signature: "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::Cofactored, Flag::MixedOrder],
        valid: true,
        comment: "speccheck case 5: A is of mixed order, R of order L, S < L; only the cofactored equation holds, and only with the 8 applied to the points: [8]([k]A) removes the torsion part of A, a scalar (8k mod L) applied to A does not. Valid: R-ED-2 conditions 1 to 4 hold. A cofactorless verifier rejects it, and so does a cofactored one that folds the 8 into the scalar mod L.",
        facts: |f| {
            f.a == Point::Mixed
                && f.r == Point::PrimeOrder
                && f.s_canonical
                && !f.cofactorless
                && f.cofactored
        },
    }
}

/// Case 6: `L <= S < 2^253`. Invalid by R-ED-2 condition 1.
fn case_6() -> Speccheck {
    Speccheck {
        number: 6,
        slug: "s-above-l",
        message: "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
        public_key: "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
        signature: "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514",
        requirements: &["R-ED-2"],
        flags: &[Flag::NonCanonicalS],
        valid: false,
        comment: "speccheck case 6: A and R are of order L and both equations hold with S reduced mod L, but L <= S < 2^253: the top three bits of S are clear, so only a full comparison with L rejects it. Invalid: R-ED-2 condition 1 (S < L).",
        facts: |f| f.a == Point::PrimeOrder && f.r == Point::PrimeOrder && !f.s_canonical && f.cofactorless,
    }
}

/// Case 7: `S >= 2^253`. Invalid by R-ED-2 condition 1.
fn case_7() -> Speccheck {
    Speccheck {
        number: 7,
        slug: "s-far-above-l",
        message: "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
        public_key: "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
        signature: "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22",
        requirements: &["R-ED-2"],
        flags: &[Flag::NonCanonicalS],
        valid: false,
        comment: "speccheck case 7: A and R are of order L and both equations hold with S reduced mod L, but S >= 2^253, so even a check of the top three bits of S rejects it. Invalid: R-ED-2 condition 1 (S < L).",
        facts: |f| f.a == Point::PrimeOrder && f.r == Point::PrimeOrder && !f.s_canonical && f.cofactorless,
    }
}

/// Case 8: `R` is `y = p - 1` with the sign bit set; built for `k` over `R`
/// re-encoded. Invalid by R-ED-2 condition 3.
fn case_8() -> Speccheck {
    Speccheck {
        number: 8,
        slug: "non-canonical-r-reencoded",
        message: "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
        public_key: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
        signature: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::NonCanonicalPoint, Flag::SmallOrder],
        valid: false,
        comment: "speccheck case 8: R is y = p - 1 with the sign bit set, which asks for an odd x where only x = 0 exists; A is of mixed order, S < L. It is built to pass a verifier that decodes R leniently, to the point of order 2, and hashes R re-encoded (ending in 7f) instead of as received. Invalid: R-ED-2 condition 3, since R is not a valid point (R-ED-1 condition 2: RFC 8032 decoding fails; decoded leniently, condition 3: small order).",
        facts: |f| f.a == Point::Mixed && f.r == Point::XZeroWithSign && f.s_canonical,
    }
}

/// Case 9: as case 8, built for `k` over `R` as received. Invalid by R-ED-2 condition 3.
fn case_9() -> Speccheck {
    Speccheck {
        number: 9,
        slug: "non-canonical-r-as-received",
        message: "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
        public_key: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
        signature: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::NonCanonicalPoint, Flag::SmallOrder],
        valid: false,
        comment: "speccheck case 9: R is y = p - 1 with the sign bit set, A is of mixed order, S < L. It is built to pass a verifier that decodes R leniently, to the point of order 2, and hashes R as received; with that point both equations hold. Invalid: R-ED-2 condition 3, since R is not a valid point (R-ED-1 condition 2: RFC 8032 decoding fails; decoded leniently, condition 3: small order).",
        facts: |f| f.a == Point::Mixed && f.r == Point::XZeroWithSign && f.s_canonical && f.cofactorless,
    }
}

/// Case 10: `A` is `y = p - 1` with the sign bit set; built for `k` over `A`
/// re-encoded. Invalid by R-ED-2 condition 2.
fn case_10() -> Speccheck {
    Speccheck {
        number: 10,
        slug: "non-canonical-a-reencoded",
        message: "e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b",
        public_key: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        signature: "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::NonCanonicalPoint, Flag::SmallOrder],
        valid: false,
        comment: "speccheck case 10: A is y = p - 1 with the sign bit set, R is of mixed order, S < L. It is built to pass a verifier that decodes A leniently, to the point of order 2, and hashes A re-encoded (ending in 7f); with A hashed as received the cofactored equation still holds. Invalid: R-ED-2 condition 2, since A is not a valid point (R-ED-1 condition 2: RFC 8032 decoding fails; decoded leniently, condition 3: small order).",
        facts: |f| f.a == Point::XZeroWithSign && f.r == Point::Mixed && f.s_canonical && f.cofactored,
    }
}

/// Case 11: as case 10, built for `k` over `A` as received. Invalid by R-ED-2 condition 2.
fn case_11() -> Speccheck {
    Speccheck {
        number: 11,
        slug: "non-canonical-a-as-received",
        message: "39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f",
        public_key: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        signature: "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
        requirements: &["R-ED-1", "R-ED-2"],
        flags: &[Flag::NonCanonicalPoint, Flag::SmallOrder],
        valid: false,
        comment: "speccheck case 11: A is y = p - 1 with the sign bit set, R is of mixed order, S < L. It is built to pass a verifier that decodes A leniently, to the point of order 2, and hashes A as received; with that point both equations hold. Invalid: R-ED-2 condition 2, since A is not a valid point (R-ED-1 condition 2: RFC 8032 decoding fails; decoded leniently, condition 3: small order).",
        facts: |f| f.a == Point::XZeroWithSign && f.r == Point::Mixed && f.s_canonical && f.cofactorless,
    }
}
