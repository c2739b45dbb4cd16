//! Base45 (RFC 9285, spec §5.2) through the low-level module
//! `paycode::hazmat::base45`: the RFC's examples, canonical decoding only,
//! and the decoder against a plain one-character-at-a-time reference.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use paycode::hazmat::base45::{Base45Error, decode, decode_into, decoded_len, encode};

/// RFC 9285 §4's alphabet, in value order.
const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// RFC 9285 §4.1-§4.3 examples.
#[test]
fn rfc9285_examples() {
    assert_eq!(encode(b"AB"), "BB8");
    assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
    assert_eq!(encode(b"base-45"), "UJCLQE7W581");
    assert_eq!(encode(b"ietf!"), "QED8WEX0");
    assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
    assert_eq!(decode("%69 VD92EX0").unwrap(), b"Hello!!");
}

#[test]
fn rejects_non_canonical() {
    assert_eq!(decode("GGW"), Err(Base45Error::Overflow)); // 65536
    assert_eq!(decode("FGW").unwrap(), [0xff, 0xff]); // 65535
    assert_eq!(decode("U5"), Ok(vec![0xff])); // 255 = 30 + 5*45
    assert_eq!(decode("V5"), Err(Base45Error::Overflow)); // 256
    assert_eq!(decode("A"), Err(Base45Error::Length));
    assert_eq!(decode("bb8"), Err(Base45Error::Character));
    assert_eq!(decode("BB8 "), Err(Base45Error::Length));
    assert_eq!(decode("BB8\n0"), Err(Base45Error::Character));
    assert_eq!(decode("").unwrap(), b"");
}

/// RFC 9285 decoding written plainly, one character at a time, for
/// comparison: the first error in text order, or the bytes.
fn reference(text: &str) -> Result<Vec<u8>, Base45Error> {
    if text.len() % 3 == 1 {
        return Err(Base45Error::Length);
    }
    let mut out = Vec::new();
    for group in text.as_bytes().chunks(3) {
        let mut n = 0u32;
        for (i, &c) in group.iter().enumerate() {
            let v = ALPHABET.as_bytes().iter().position(|&a| a == c).ok_or(Base45Error::Character)?;
            n += v as u32 * 45u32.pow(i as u32);
        }
        if group.len() == 3 {
            out.extend(u16::try_from(n).map_err(|_| Base45Error::Overflow)?.to_be_bytes());
        } else {
            out.push(u8::try_from(n).map_err(|_| Base45Error::Overflow)?);
        }
    }
    Ok(out)
}

#[test]
fn decode_agrees_with_a_plain_reference() {
    // Characters of the alphabet, with ':' (44) often, so that groups
    // overflow, and a few outside it.
    let chars = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:::::::a\n\0\xff";
    let mut seed = 3u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut verdicts = [0usize; 4];
    for round in 0..50_000 {
        let len = (next() % 70) as usize;
        // Most rounds draw from the alphabet alone, the rest from all of `chars`.
        let pool = if round % 4 == 0 { chars.len() } else { 45 };
        let bytes: Vec<u8> = (0..len).map(|_| chars[(next() as usize) % pool]).collect();
        let Ok(text) = String::from_utf8(bytes) else { continue };
        let expect = reference(&text);
        let mut buf = [0u8; 64];
        let into = decode_into(&text, &mut buf).map(|b| b.to_vec());
        assert_eq!(into, expect, "{text:?}");
        assert_eq!(decode(&text), expect, "{text:?}");
        if let Ok(bytes) = &expect {
            assert_eq!(encode(bytes), text);
            assert_eq!(Ok(bytes.len()), decoded_len(text.len()));
        }
        verdicts[match expect {
            Ok(_) => 0,
            Err(Base45Error::Length) => 1,
            Err(Base45Error::Character) => 2,
            Err(Base45Error::Overflow) => 3,
            Err(other) => panic!("the reference gave {other:?}"),
        }] += 1;
    }
    // Every verdict came up, many times.
    assert!(verdicts.iter().all(|&n| n > 1_000), "{verdicts:?}");
    let mut short = [0u8; 1];
    assert_eq!(decode_into("BB8", &mut short), Err(Base45Error::Length));
    // A bad character after an overflowing group: the first error counts.
    assert_eq!(decode("GGWbb8"), Err(Base45Error::Overflow));
    assert_eq!(decode("bb8GGW"), Err(Base45Error::Character));
    assert_eq!(decode("000V5"), Err(Base45Error::Overflow));
}

#[test]
fn round_trips_every_pair() {
    for a in 0..=255u8 {
        for b in [0u8, 1, 44, 45, 127, 200, 255] {
            let s = encode(&[a, b]);
            assert_eq!(decode(&s).unwrap(), [a, b]);
            let s1 = encode(&[a]);
            assert_eq!(decode(&s1).unwrap(), [a]);
        }
    }
}
