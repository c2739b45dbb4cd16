//! HMAC-SHA256, HKDF-SHA256 and Ed25519 against their RFCs' test vectors.

use crate::errors::VectorError;
use crate::format::{HkdfInput, MacInput, Op, SigVerifyInput, SignInput, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::hex;
use crate::generate::flags::Flag;

/// RFC 8032 §7.1 TEST 1024: the 1023-byte message, hex (also line 1024 of
/// the `sign.input` file of the Ed25519 reference software).
const RFC8032_TEST1024_MESSAGE: &str = include_str!("rfc8032-test1024-message.hex");

/// One test case of RFC 4231 §4: key, data, and the full HMAC-SHA256 output.
struct Rfc4231 {
    case: &'static str,
    key: Vec<u8>,
    data: &'static [u8],
    mac: &'static str,
}

/// `primitives-hmac-sha256.json`: RFC 4231 cases 1-4, 6 and 7 (case 5's
/// published output is truncated to 128 bits).
pub(super) fn hmac_sha256() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "primitives-hmac-sha256",
        "HMAC-SHA256 (RFC 2104 with SHA-256), the MAC of the hmac profile and of HKDF. Test cases 1-4, 6 and 7 of RFC 4231 §4; case 5 is left out because its published output is truncated to 128 bits.",
    )
    .source("RFC 4231", "Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256, HMAC-SHA-384, and HMAC-SHA-512, §4.2-§4.8");
    let long_key = vec![0xaa; 131];
    let published = [
        Rfc4231 { case: "1", key: vec![0x0b; 20], data: b"Hi There", mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
        Rfc4231 { case: "2", key: b"Jefe".to_vec(), data: b"what do ya want for nothing?", mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
        Rfc4231 { case: "3", key: vec![0xaa; 20], data: &[0xdd; 50], mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
        Rfc4231 { case: "4", key: (1..=25).collect(), data: &[0xcd; 50], mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
        Rfc4231 { case: "6", key: long_key.clone(), data: b"Test Using Larger Than Block-Size Key - Hash Key First", mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
        Rfc4231 { case: "7", key: long_key, data: b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.", mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
    ];
    for vector in published {
        file.add(Case {
            id: &format!("primitive.hmac-sha256.rfc4231-case-{}", vector.case),
            requirements: &["R-HMAC-1", "R-KEY-2"],
            flags: &[Flag::Published],
            comment: &format!("RFC 4231 test case {}, full 256-bit output.", vector.case),
            op: Op::HmacSha256,
            input: MacInput { key: hex(&vector.key), message: hex(vector.data) },
            intent: Intent::valid().with("mac", vector.mac),
        })?;
    }
    Ok(file.finish())
}

/// One test case of RFC 5869 Appendix A (SHA-256).
struct Rfc5869 {
    case: &'static str,
    ikm: Vec<u8>,
    salt: Vec<u8>,
    info: Vec<u8>,
    length: u16,
    prk: &'static str,
    okm: &'static str,
    about: &'static str,
}

/// `primitives-hkdf.json`: RFC 5869 A.1-A.3.
pub(super) fn hkdf() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "primitives-hkdf",
        "HKDF-SHA256 (RFC 5869), the key derivation of every paycode key: the three SHA-256 cases of RFC 5869 Appendix A.",
    )
    .source("RFC 5869", "HMAC-based Extract-and-Expand Key Derivation Function (HKDF), Appendix A.1-A.3");
    let published = [
        Rfc5869 {
            case: "a1",
            ikm: vec![0x0b; 22],
            salt: (0..=0x0c).collect(),
            info: (0xf0..=0xf9).collect(),
            length: 42,
            prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            about: "A.1: basic test case with SHA-256.",
        },
        Rfc5869 {
            case: "a2",
            ikm: (0..=0x4f).collect(),
            salt: (0x60..=0xaf).collect(),
            info: (0xb0..=0xff).collect(),
            length: 82,
            prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
            about: "A.2: longer inputs and outputs.",
        },
        Rfc5869 {
            case: "a3",
            ikm: vec![0x0b; 22],
            salt: Vec::new(),
            info: Vec::new(),
            length: 42,
            prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
            about: "A.3: zero-length salt and info.",
        },
    ];
    for vector in published {
        file.add(Case {
            id: &format!("primitive.hkdf-sha256.rfc5869-{}", vector.case),
            requirements: &["R-KEY-2"],
            flags: &[Flag::Published],
            comment: &format!("RFC 5869 {}", vector.about),
            op: Op::HkdfSha256,
            input: HkdfInput {
                ikm: hex(&vector.ikm),
                salt: hex(&vector.salt),
                info: hex(&vector.info),
                length: vector.length,
            },
            intent: Intent::valid().with("prk", vector.prk).with("okm", vector.okm),
        })?;
    }
    Ok(file.finish())
}

/// One test of RFC 8032 §7.1 (hex).
struct Rfc8032 {
    test: &'static str,
    secret: &'static str,
    public: &'static str,
    message: &'static str,
    signature: &'static str,
}

/// `primitives-ed25519.json`: RFC 8032 TEST 1, 2, 3 and 1024, signed and
/// verified, and TEST 2's signature over another message.
pub(super) fn ed25519() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "primitives-ed25519",
        "Ed25519 (RFC 8032, pure, no context): signing and verification of the RFC's test vectors TEST 1, 2, 3 and 1024.",
    )
    .source("RFC 8032", "Edwards-Curve Digital Signature Algorithm (EdDSA), §7.1, TEST 1, TEST 2, TEST 3, TEST 1024");
    let test_2 = Rfc8032 {
        test: "2",
        secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    };
    let published = [
        Rfc8032 {
            test: "1",
            secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        },
        Rfc8032 { ..test_2 },
        Rfc8032 {
            test: "3",
            secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            message: "af82",
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        },
        Rfc8032 {
            test: "1024",
            secret: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
            public: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
            message: RFC8032_TEST1024_MESSAGE.trim(),
            signature: "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
        },
    ];
    for vector in &published {
        file.add(Case {
            id: &format!("primitive.ed25519.rfc8032-test-{}-sign", vector.test),
            requirements: &["R-ED-2"],
            flags: &[Flag::Published],
            comment: &format!(
                "RFC 8032 TEST {}: public key and deterministic signature from the secret.",
                vector.test
            ),
            op: Op::Ed25519Sign,
            input: SignInput { secret: vector.secret.into(), message: vector.message.into() },
            intent: Intent::valid().with("public_key", vector.public).with("signature", vector.signature),
        })?;
        file.add(Case {
            id: &format!("primitive.ed25519.rfc8032-test-{}-verify", vector.test),
            requirements: &["R-ED-1", "R-ED-2"],
            flags: &[Flag::Published, Flag::Valid],
            comment: &format!("RFC 8032 TEST {}: the published signature verifies.", vector.test),
            op: Op::Ed25519Verify,
            input: SigVerifyInput {
                public_key: vector.public.into(),
                message: vector.message.into(),
                signature: vector.signature.into(),
            },
            intent: Intent::valid(),
        })?;
    }
    file.add(Case {
        id: "primitive.ed25519.rfc8032-test-2-other-message",
        requirements: &["R-ED-2"],
        flags: &[Flag::BadSignature],
        comment: "RFC 8032 TEST 2's signature over a different one-byte message does not verify.",
        op: Op::Ed25519Verify,
        input: SigVerifyInput {
            public_key: test_2.public.into(),
            message: "73".into(),
            signature: test_2.signature.into(),
        },
        intent: Intent::rejected(),
    })?;
    Ok(file.finish())
}
