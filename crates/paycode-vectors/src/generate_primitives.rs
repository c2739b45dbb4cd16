//! Primitives anchored in published vectors, parameters, key derivation and
//! the Ed25519 edge cases.

use curve25519_dalek::scalar::Scalar;
use serde_json::json;
use sha2::{Digest, Sha512};

use super::edge;
use super::format::{Op, VectorFile};
use super::generate::{FileBuilder, Want, seed_bytes};
use super::{VResult, VectorError};
use paycode::codec::to_hex;
use paycode::hazmat::eddsa::SecretKey;

/// RFC 8032 §7.1 TEST 1024: the 1023-byte message, hex (also line 1024 of
/// the `sign.input` file of the Ed25519 reference software).
const RFC8032_TEST1024_MESSAGE: &str = include_str!("rfc8032-test1024-message.hex");

pub(crate) fn files() -> VResult<Vec<VectorFile>> {
    Ok(vec![hmac_sha256()?, hkdf()?, ed25519()?, base45()?, params()?, keys()?, ed25519_edge()?])
}

fn h(b: &[u8]) -> String {
    to_hex(b)
}

fn hmac_sha256() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "primitives-hmac-sha256",
        "HMAC-SHA256 (RFC 2104 with SHA-256), the MAC of the hmac profile and of HKDF. Test cases 1-4, 6 and 7 of RFC 4231 §4; case 5 is left out because its published output is truncated to 128 bits.",
    );
    f.source("RFC 4231", "Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256, HMAC-SHA-384, and HMAC-SHA-512, §4.2-§4.8");
    let long_key = vec![0xaau8; 131];
    let cases: [(&str, Vec<u8>, &[u8], &str); 6] = [
        ("1", vec![0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("2", b"Jefe".to_vec(), b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ("3", vec![0xaa; 20], &[0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ("4", (1..=25).collect(), &[0xcd; 50], "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ("6", long_key.clone(), b"Test Using Larger Than Block-Size Key - Hash Key First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ("7", long_key, b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.", "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ];
    for (n, key, msg, mac) in cases {
        f.add(
            &format!("primitive.hmac-sha256.rfc4231-case-{n}"),
            &["R-HMAC-1", "R-KEY-2"],
            &["Published"],
            &format!("RFC 4231 test case {n}, full 256-bit output."),
            Op::HmacSha256,
            json!({"key": h(&key), "message": h(msg)}),
            Want::valid().with(json!({"mac": mac})),
        )?;
    }
    f.finish()
}

fn hkdf() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "primitives-hkdf",
        "HKDF-SHA256 (RFC 5869), the key derivation of every paycode key: the three SHA-256 cases of RFC 5869 Appendix A.",
    );
    f.source("RFC 5869", "HMAC-based Extract-and-Expand Key Derivation Function (HKDF), Appendix A.1-A.3");
    type HkdfCase = (&'static str, Vec<u8>, Vec<u8>, Vec<u8>, u16, &'static str, &'static str, &'static str);
    let cases: [HkdfCase; 3] = [
        (
            "a1",
            vec![0x0b; 22],
            (0..=0x0c).collect(),
            (0xf0..=0xf9).collect(),
            42,
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            "A.1: basic test case with SHA-256.",
        ),
        (
            "a2",
            (0..=0x4f).collect(),
            (0x60..=0xaf).collect(),
            (0xb0..=0xff).collect(),
            82,
            "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
            "A.2: longer inputs and outputs.",
        ),
        (
            "a3",
            vec![0x0b; 22],
            Vec::new(),
            Vec::new(),
            42,
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
            "A.3: zero-length salt and info.",
        ),
    ];
    for (n, ikm, salt, info, len, prk, okm, comment) in cases {
        f.add(
            &format!("primitive.hkdf-sha256.rfc5869-{n}"),
            &["R-KEY-2"],
            &["Published"],
            &format!("RFC 5869 {comment}"),
            Op::HkdfSha256,
            json!({"ikm": h(&ikm), "salt": h(&salt), "info": h(&info), "length": len}),
            Want::valid().with(json!({"prk": prk, "okm": okm})),
        )?;
    }
    f.finish()
}

fn ed25519() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "primitives-ed25519",
        "Ed25519 (RFC 8032, pure, no context): signing and verification of the RFC's test vectors TEST 1, 2, 3 and 1024.",
    );
    f.source(
        "RFC 8032",
        "Edwards-Curve Digital Signature Algorithm (EdDSA), §7.1, TEST 1, TEST 2, TEST 3, TEST 1024",
    );
    let cases = [
        (
            "1",
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "2",
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "3",
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
        (
            "1024",
            "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
            "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
            RFC8032_TEST1024_MESSAGE.trim(),
            "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
        ),
    ];
    for (n, secret, public, msg, sig) in cases {
        f.add(
            &format!("primitive.ed25519.rfc8032-test-{n}-sign"),
            &["R-ED-2"],
            &["Published"],
            &format!("RFC 8032 TEST {n}: public key and deterministic signature from the secret."),
            Op::Ed25519Sign,
            json!({"secret": secret, "message": msg}),
            Want::valid().with(json!({"public_key": public, "signature": sig})),
        )?;
        f.add(
            &format!("primitive.ed25519.rfc8032-test-{n}-verify"),
            &["R-ED-1", "R-ED-2"],
            &["Published", "Valid"],
            &format!("RFC 8032 TEST {n}: the published signature verifies."),
            Op::Ed25519Verify,
            json!({"public_key": public, "message": msg, "signature": sig}),
            Want::valid(),
        )?;
    }
    let (_, public, msg, sig) = ("2", cases[1].2, "73", cases[1].4);
    f.add(
        "primitive.ed25519.rfc8032-test-2-other-message",
        &["R-ED-2"],
        &["BadSignature"],
        "RFC 8032 TEST 2's signature over a different one-byte message does not verify.",
        Op::Ed25519Verify,
        json!({"public_key": public, "message": msg, "signature": sig}),
        Want::rejected(),
    )?;
    f.finish()
}

fn base45() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "primitives-base45",
        "Base45 (RFC 9285) as paycode uses it: encoding, and the canonical decoder that rejects every text the encoder cannot produce (spec R-ENC-2). Decoding errors are `malformed`.",
    );
    f.source("RFC 9285", "The Base45 Data Encoding, §4.3 (encoding examples) and §4.4 (decoding example)");
    for (n, bytes, text) in [
        ("ab", &b"AB"[..], "BB8"),
        ("hello", b"Hello!!", "%69 VD92EX0"),
        ("base-45", b"base-45", "UJCLQE7W581"),
        ("ietf", b"ietf!", "QED8WEX0"),
    ] {
        f.add(
            &format!("primitive.base45.encode-rfc9285-{n}"),
            &["R-ENC-1"],
            &["Published"],
            &format!("RFC 9285 example: {:?} encodes to {text:?}.", String::from_utf8_lossy(bytes)),
            Op::Base45Encode,
            json!({"bytes": h(bytes)}),
            Want::valid().with(json!({"text": text})),
        )?;
        f.add(
            &format!("primitive.base45.decode-rfc9285-{n}"),
            &["R-ENC-2"],
            &["Published", "Valid"],
            &format!("RFC 9285 example: {text:?} decodes to {:?}.", String::from_utf8_lossy(bytes)),
            Op::Base45Decode,
            json!({"text": text}),
            Want::valid().with(json!({"bytes": h(bytes)})),
        )?;
    }
    for (n, bytes, comment) in [
        ("empty", &[][..], "No bytes encode to the empty text."),
        ("ffff", &[0xff, 0xff], "The largest pair, 65535, is FGW."),
        ("ff", &[0xff], "The largest single byte, 255, is U5."),
        ("zero", &[0x00], "A single zero byte is 00."),
    ] {
        f.add(
            &format!("primitive.base45.encode-{n}"),
            &["R-ENC-1"],
            &["Valid"],
            comment,
            Op::Base45Encode,
            json!({"bytes": h(bytes)}),
            Want::valid(),
        )?;
    }
    for (n, text, comment) in [
        ("max-pair", "FGW", "65535, the largest value of a 3-character group."),
        ("max-byte", "U5", "255, the largest value of a final 2-character group."),
        ("space", "B B", "Space is the alphabet character of value 36; it is data, not white space."),
        (
            "empty",
            "",
            "The empty text is the empty byte string (the QR decoder rejects an empty payload separately).",
        ),
    ] {
        f.add(
            &format!("primitive.base45.decode-{n}"),
            &["R-ENC-2"],
            &["Valid"],
            comment,
            Op::Base45Decode,
            json!({"text": text}),
            Want::valid(),
        )?;
    }
    for (n, text, flag, comment) in [
        (
            "group-65536",
            "GGW",
            "NonCanonicalBase45",
            "A 3-character group of value 65536 does not fit in 2 bytes.",
        ),
        ("group-max", ":::", "NonCanonicalBase45", "The largest 3-character group, 91124."),
        (
            "pair-256",
            "V5",
            "NonCanonicalBase45",
            "A final 2-character group of value 256 does not fit in a byte.",
        ),
        ("pair-max", "::", "NonCanonicalBase45", "The largest 2-character group, 2024."),
        ("length-1", "A", "Length", "A single character is no group."),
        ("length-4", "BB8A", "Length", "Length 4 leaves a dangling character."),
        (
            "lowercase",
            "bb8",
            "Base45Alphabet",
            "Lower-case letters are outside the alphabet; a decoder must not fold case.",
        ),
        (
            "newline",
            "BB\n",
            "Base45Alphabet",
            "A line feed is outside the alphabet; a decoder must not trim.",
        ),
        ("tab", "\tB8", "Base45Alphabet", "A tab is outside the alphabet."),
        (
            "non-ascii",
            "\u{c4}B",
            "Base45Alphabet",
            "A non-ASCII character (its UTF-8 bytes are outside the alphabet).",
        ),
        ("equals", "BB=", "Base45Alphabet", "'=' is not an alphabet character."),
    ] {
        f.add(
            &format!("primitive.base45.decode-reject-{n}"),
            &["R-ENC-2"],
            &[flag],
            comment,
            Op::Base45Decode,
            json!({"text": text}),
            Want::invalid("malformed"),
        )?;
    }
    f.finish()
}

fn params() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "params",
        "Parameter ranges (spec R-TIME-6): X in [1, 86400], B in [0, 8], F in [0, 7], T0 any u64. Wallets and verifiers refuse other values.",
    );
    for (n, t0, x, b, fw, ok, comment) in [
        ("defaults", 0u64, 60u64, 2u64, 1u64, true, "The defaults T0 = 0, X = 60, B = 2, F = 1."),
        ("step-1", 0, 1, 2, 1, true, "X = 1, the shortest step."),
        ("step-86400", 0, 86_400, 2, 1, true, "X = 86400, the longest step."),
        ("step-0", 0, 0, 2, 1, false, "X = 0 would divide by zero."),
        ("step-86401", 0, 86_401, 2, 1, false, "X one above the range."),
        ("step-max", 0, u64::MAX, 2, 1, false, "X = 2^64 - 1."),
        ("back-0-forward-0", 0, 60, 0, 0, true, "The narrowest window, one step."),
        ("back-8-forward-7", 0, 60, 8, 7, true, "The widest window, 16 steps."),
        ("back-9", 0, 60, 9, 1, false, "B one above the range."),
        ("forward-8", 0, 60, 2, 8, false, "F one above the range."),
        ("t0-max", u64::MAX, 60, 2, 1, true, "Any T0 is allowed, even 2^64 - 1."),
    ] {
        f.add(
            &format!("params.check.{n}"),
            &["R-TIME-6"],
            &[if ok { "Valid" } else { "Params" }],
            comment,
            Op::ParamsCheck,
            json!({"t0": t0, "step": x, "back": b, "forward": fw}),
            if ok { Want::valid() } else { Want::rejected() },
        )?;
    }
    f.finish()
}

fn keys() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "keys",
        "Key derivation (spec §3.2): HKDF-SHA256 with salt \"paycode v1\" and the zero-terminated labels, for K_qr, K_num, the device key and issuer keys. Intermediates give the PRK and the info bytes.",
    );
    let spec_seed: Vec<u8> = (0u8..32).collect();
    let hmac_seed = seed_bytes("keys/hmac");
    for (n, seed, account, comment) in [
        ("spec-example", spec_seed.clone(), 42u64, "The seed and account of the spec's worked example."),
        ("account-0", hmac_seed.to_vec(), 0, "Account id 0."),
        (
            "account-numeric-max",
            hmac_seed.to_vec(),
            (1 << 30) - 1,
            "The largest account id with a numeric form.",
        ),
        ("account-max", hmac_seed.to_vec(), u64::MAX, "Account id 2^64 - 1: the context is 8 bytes ff."),
    ] {
        for (purpose, label) in [("hmac-qr", "k-qr"), ("hmac-numeric", "k-num")] {
            f.add(
                &format!("keys.derive.{label}-{n}"),
                &["R-KEY-2", "R-KEY-3"],
                &["Derived"],
                &format!("{purpose} key: {comment}"),
                Op::DeriveKey,
                json!({"purpose": purpose, "seed": h(&seed), "account_id": account}),
                Want::valid(),
            )?;
        }
    }
    for (n, seed, comment) in [
        ("spec-example", [0x22u8; 32], "The wallet seed of the spec's worked example."),
        ("labelled", seed_bytes("keys/device"), "A seed from the vectors' label derivation."),
    ] {
        f.add(
            &format!("keys.derive.device-{n}"),
            &["R-KEY-2", "R-KEY-3"],
            &["Derived"],
            &format!("Device key: {comment}"),
            Op::DeriveKey,
            json!({"purpose": "ed25519-device", "seed": h(&seed)}),
            Want::valid(),
        )?;
    }
    for (n, seed, key_id, comment) in [
        ("spec-example", [0x11u8; 32], 1u16, "The issuer seed of the spec's worked example, key id 1."),
        ("key-0", seed_bytes("keys/issuer"), 0, "Key id 0."),
        ("key-2", seed_bytes("keys/issuer"), 2, "Key id 2: a rotation of the same issuer seed."),
        ("key-max", seed_bytes("keys/issuer"), u16::MAX, "Key id 65535: the context is 2 bytes ff."),
    ] {
        f.add(
            &format!("keys.derive.issuer-{n}"),
            &["R-KEY-2", "R-KEY-3"],
            &["Derived"],
            &format!("Issuer key: {comment}"),
            Op::DeriveKey,
            json!({"purpose": "ed25519-issuer", "seed": h(&seed), "key_id": key_id}),
            Want::valid(),
        )?;
    }
    f.finish()
}

/// A scalar from a label, for nonces of hand-built signatures.
fn scalar(label: &str) -> Scalar {
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&Sha512::digest(label.as_bytes()));
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn point_hex(fill: u8, first: u8, last: u8) -> String {
    let mut b = [fill; 32];
    b[0] = first;
    b[31] = last;
    h(&b)
}

fn ed25519_edge() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "ed25519-edge",
        "The pinned Ed25519 rules (spec §6): a point is valid iff it decodes, is canonical and is not of small order; a signature is valid iff S < L, A and R are valid points, and [S]B - [k]A encodes to R (cofactorless). Intermediates show what lax and cofactored verifiers would conclude.",
    );
    f.source(
        "TAMING",
        "Chalkias, Garillot, Nikolaenko, Taming the many EdDSAs, SSR 2020 (the edge-case classes)",
    );
    let pt = |f: &mut FileBuilder, id: &str, flags: &[&str], comment: &str, p: String, ok: bool| {
        f.add(
            &format!("ed25519.point.{id}"),
            &["R-ED-1"],
            flags,
            comment,
            Op::Ed25519Point,
            json!({"point": p}),
            if ok { Want::valid() } else { Want::rejected() },
        )
    };
    pt(&mut f, "base-point", &["Valid"], "The base point B.", h(&edge::base_point()), true)?;
    for (i, t) in edge::torsion().iter().enumerate() {
        let order = 8 / gcd(i, 8);
        pt(
            &mut f,
            &format!("torsion-{i}-order-{order}"),
            &["SmallOrder"],
            &format!("The torsion point [{i}]T8, of order {order}, canonical encoding."),
            h(t),
            false,
        )?;
    }
    pt(
        &mut f,
        "y-p-sign-0",
        &["NonCanonicalPoint", "SmallOrder"],
        "y = p (that is y = 0, a point of order 4), sign bit 0: non-canonical.",
        point_hex(0xff, 0xed, 0x7f),
        false,
    )?;
    pt(
        &mut f,
        "y-p-sign-1",
        &["NonCanonicalPoint", "SmallOrder"],
        "y = p (that is y = 0, a point of order 4), sign bit 1: non-canonical.",
        point_hex(0xff, 0xed, 0xff),
        false,
    )?;
    pt(
        &mut f,
        "y-p-plus-1",
        &["NonCanonicalPoint", "SmallOrder"],
        "y = p + 1 (the identity's y), sign bit 0: non-canonical identity.",
        point_hex(0xff, 0xee, 0x7f),
        false,
    )?;
    pt(
        &mut f,
        "y-p-plus-1-sign-1",
        &["NonCanonicalPoint", "SmallOrder"],
        "y = p + 1 with sign bit 1: non-canonical, and x = 0 with the sign bit.",
        point_hex(0xff, 0xee, 0xff),
        false,
    )?;
    pt(
        &mut f,
        "identity-sign-1",
        &["NonCanonicalPoint", "SmallOrder"],
        "y = 1 (identity, x = 0) with the sign bit set.",
        point_hex(0, 1, 0x80),
        false,
    )?;
    pt(
        &mut f,
        "order-2-sign-1",
        &["NonCanonicalPoint", "SmallOrder"],
        "y = p - 1 (the point of order 2, x = 0) with the sign bit set.",
        point_hex(0xff, 0xec, 0xff),
        false,
    )?;
    // The smallest y whose point exists, encoded as y and as y + p.
    let (small_y, small) = (2u8..19)
        .find_map(|y| {
            let mut b = [0u8; 32];
            b[0] = y;
            paycode::hazmat::eddsa::point_is_valid(&b).then_some((y, b))
        })
        .ok_or_else(|| VectorError::new("no valid point with a small y"))?;
    pt(
        &mut f,
        "small-y",
        &["Valid", "MixedOrder"],
        &format!(
            "The point with y = {small_y}: canonical and not of small order (it has a torsion component)."
        ),
        h(&small),
        true,
    )?;
    let mut plus_p = small;
    plus_p[0] = small_y.wrapping_add(0xed);
    plus_p[1..31].fill(0xff);
    plus_p[31] = 0x7f;
    pt(
        &mut f,
        "small-y-plus-p",
        &["NonCanonicalPoint"],
        &format!("The same point encoded with y = {small_y} + p: non-canonical."),
        h(&plus_p),
        false,
    )?;
    let off = (2u8..19)
        .find_map(|y| {
            let mut b = [0u8; 32];
            b[0] = y;
            curve25519_dalek::edwards::CompressedEdwardsY(b).decompress().is_none().then_some(b)
        })
        .ok_or_else(|| VectorError::new("no y off the curve"))?;
    pt(
        &mut f,
        "not-on-curve",
        &["NonCanonicalPoint"],
        &format!("y = {}: no x satisfies the curve equation.", off[0]),
        h(&off),
        false,
    )?;
    let mixed = edge::add_torsion(&edge::base_multiple(7), 1).ok_or_else(|| VectorError::new("torsion"))?;
    pt(
        &mut f,
        "mixed-order",
        &["Valid", "MixedOrder"],
        "[7]B + T8: a mixed-order point is a valid point (only the 8 small-order points are excluded).",
        h(&mixed),
        true,
    )?;

    // Signatures.
    let secret = seed_bytes("ed25519-edge/signer");
    let sk = SecretKey::from_secret(&secret);
    let (a, a_pub) = edge::secret_scalar(&secret);
    let msg = b"paycode ed25519 edge case".to_vec();
    let sig = sk.sign(&msg);
    let sv = |f: &mut FileBuilder,
              id: &str,
              reqs: &[&str],
              flags: &[&str],
              comment: &str,
              key: &[u8],
              m: &[u8],
              s: &[u8],
              ok: bool| {
        f.add(
            &format!("ed25519.signature.{id}"),
            reqs,
            flags,
            comment,
            Op::Ed25519Verify,
            json!({"public_key": h(key), "message": h(m), "signature": h(s)}),
            if ok { Want::valid() } else { Want::rejected() },
        )
    };
    sv(
        &mut f,
        "valid",
        &["R-ED-2"],
        &["Valid"],
        "An ordinary signature by a valid key.",
        &a_pub,
        &msg,
        &sig,
        true,
    )?;
    sv(
        &mut f,
        "other-message",
        &["R-ED-2"],
        &["BadSignature"],
        "The same signature over another message.",
        &a_pub,
        b"paycode ed25519 edge casf",
        &sig,
        false,
    )?;
    let mut s_part = [0u8; 32];
    s_part.copy_from_slice(&sig[32..]);
    for (n, times, comment) in [
        (
            1u32,
            "s-plus-l",
            "S + L: equal to S modulo L, below 2^253; a verifier that checks only the top bits accepts it.",
        ),
        (2, "s-plus-2l", "S + 2L: at least 2^253."),
        (15, "s-plus-15l", "S + 15L: close to 2^256, the top bit set."),
    ] {
        let big = edge::add_order(&s_part, n).ok_or_else(|| VectorError::new("S + nL overflows"))?;
        let mut forged = sig;
        forged[32..].copy_from_slice(&big);
        sv(&mut f, times, &["R-ED-2"], &["NonCanonicalS"], comment, &a_pub, &msg, &forged, false)?;
    }
    // Small-order public keys with R = [r]B, S = r: the cofactored equation holds for every one.
    let r = scalar("ed25519-edge/nonce");
    let r_point = curve25519_dalek::edwards::EdwardsPoint::mul_base(&r).compress().to_bytes();
    for (i, t) in edge::torsion().iter().enumerate() {
        let mut s = r_point.to_vec();
        s.extend_from_slice(r.as_bytes());
        sv(
            &mut f,
            &format!("small-order-key-{i}"),
            &["R-ED-1", "R-ED-2", "R-ED-6"],
            &["SmallOrder", "Cofactored"],
            &format!(
                "A = [{i}]T8 (small order), R = [r]B, S = r: the cofactored equation holds for any message; the key is invalid."
            ),
            t,
            &msg,
            &s,
            false,
        )?;
    }
    for (n, key, comment) in [
        (
            "non-canonical-key-y-p",
            point_hex(0xff, 0xed, 0x7f),
            "A encoded with y = p (non-canonical, small order), R = [r]B, S = r.",
        ),
        (
            "non-canonical-key-identity",
            point_hex(0xff, 0xee, 0x7f),
            "A = the identity encoded with y = p + 1, R = [r]B, S = r: a decoder that reduces y accepts the identity key.",
        ),
    ] {
        let mut s = r_point.to_vec();
        s.extend_from_slice(r.as_bytes());
        sv(
            &mut f,
            n,
            &["R-ED-1", "R-ED-2"],
            &["NonCanonicalPoint", "SmallOrder"],
            comment,
            &crate::run::unhex(&key)?,
            &msg,
            &s,
            false,
        )?;
    }
    // Small-order R with S = k * a: [S]B - [k]A = identity, so R - identity is torsion.
    for (i, t) in edge::torsion().iter().enumerate().filter(|(i, _)| [0, 1, 2, 4].contains(i)) {
        let k = edge::challenge(t, &a_pub, &msg);
        let mut s = t.to_vec();
        s.extend_from_slice(&edge::response(&Scalar::ZERO, &k, &a));
        let which =
            if i == 0 { "the cofactorless equation holds too" } else { "only the cofactored equation holds" };
        sv(
            &mut f,
            &format!("small-order-r-{i}"),
            &["R-ED-1", "R-ED-2", "R-ED-6"],
            &["SmallOrder", "Cofactored"],
            &format!("R = [{i}]T8 (small order), S = k * a: {which}; R is invalid."),
            &a_pub,
            &msg,
            &s,
            false,
        )?;
    }
    for (n, rb, comment) in [
        (
            "non-canonical-r-identity",
            point_hex(0xff, 0xee, 0x7f),
            "R = the identity encoded with y = p + 1, S = k * a: [S]B - [k]A is the identity, which re-encodes differently.",
        ),
        (
            "non-canonical-r-identity-sign",
            point_hex(0, 1, 0x80),
            "R = the identity with the sign bit set, S = k * a.",
        ),
    ] {
        let rb = crate::run::unhex_n::<32>(&rb)?;
        let k = edge::challenge(&rb, &a_pub, &msg);
        let mut s = rb.to_vec();
        s.extend_from_slice(&edge::response(&Scalar::ZERO, &k, &a));
        sv(
            &mut f,
            n,
            &["R-ED-1", "R-ED-2"],
            &["NonCanonicalPoint", "SmallOrder"],
            comment,
            &a_pub,
            &msg,
            &s,
            false,
        )?;
    }
    // Mixed-order key A' = A + T8 (a valid point): for R = [r]B and S = r + k * a the
    // cofactorless equation holds only when k = 0 mod 8, the cofactored one (the spec's) always.
    let mixed_key = edge::add_torsion(&a_pub, 1).ok_or_else(|| VectorError::new("torsion"))?;
    let with_k = |zero: bool| {
        (0u32..200)
            .map(|n| format!("paycode mixed-order key {n}").into_bytes())
            .map(|m| (edge::challenge(&r_point, &mixed_key, &m), m))
            .find(|(k, _)| (k.as_bytes()[0] & 7 == 0) == zero)
            .map(|(k, m)| (m, k))
    };
    let found = [with_k(true), with_k(false)];
    for (slot, (id, ok, comment)) in [
        ("mixed-order-key-k-0-mod-8", true, "A = [a]B + T8 (mixed order, a valid point), R = [r]B, S = r + k * a with k = 0 mod 8: both equations hold; valid."),
        ("mixed-order-key-k-not-0-mod-8", true, "A = [a]B + T8, R = [r]B, S = r + k * a with k != 0 mod 8: only the cofactored equation holds, which is the spec's; valid (cofactorless verifiers reject it)."),
    ]
    .into_iter()
    .enumerate()
    {
        let (m, k) =
            found.get(slot).cloned().flatten().ok_or_else(|| VectorError::new("no message with the wanted k mod 8"))?;
        let mut s = r_point.to_vec();
        s.extend_from_slice(&edge::response(&r, &k, &a));
        let flags: &[&str] = if slot == 0 { &["Valid", "MixedOrder"] } else { &["Valid", "MixedOrder", "Cofactored"] };
        sv(&mut f, id, &["R-ED-1", "R-ED-2", "R-ED-6"], flags, comment, &mixed_key, &m, &s, ok)?;
    }
    // Mixed-order R: R = [r]B + T8 with S = r + k * a.
    let mixed_r = edge::add_torsion(&r_point, 1).ok_or_else(|| VectorError::new("torsion"))?;
    let k = edge::challenge(&mixed_r, &a_pub, &msg);
    let mut s = mixed_r.to_vec();
    s.extend_from_slice(&edge::response(&r, &k, &a));
    sv(
        &mut f,
        "mixed-order-r",
        &["R-ED-2", "R-ED-6"],
        &["Valid", "MixedOrder", "Cofactored"],
        "R = [r]B + T8 (a valid point), S = r + k * a: the cofactored equation (the spec's) holds, the cofactorless one does not; valid (cofactorless verifiers reject it).",
        &a_pub,
        &msg,
        &s,
        true,
    )?;
    f.finish()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}
