//! Canonical Base45 (RFC 9285): the QR text encoding (spec §5.1).
//!
//! The decoder accepts exactly the strings the encoder produces, so two
//! strings never decode to the same bytes (spec: R-ENC-2).

use crate::errors::Base45Error;

/// The RFC 9285 alphabet, in value order.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Encodes `bytes` as Base45.
///
/// ```
/// assert_eq!(paycode::hazmat::base45::encode(b"AB"), "BB8");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    for chunk in bytes.chunks(2) {
        let (n, digits) = match *chunk {
            [a, b] => (u32::from(a) * 256 + u32::from(b), 3),
            [a] => (u32::from(a), 2),
            _ => (0, 0),
        };
        let mut n = n;
        for _ in 0..digits {
            // n % 45 < 45 always indexes the alphabet.
            out.push(char::from(ALPHABET.get((n % 45) as usize).copied().unwrap_or(b'0')));
            n /= 45;
        }
    }
    out
}

/// Decodes canonical Base45.
///
/// # Errors
///
/// [`Base45Error`] if any character is outside the alphabet, the length is
/// 1 mod 3, or a group encodes a value its bytes cannot hold.
///
/// ```
/// assert_eq!(paycode::hazmat::base45::decode("BB8").unwrap(), b"AB");
/// assert!(paycode::hazmat::base45::decode("GGW").is_err()); // 65536: non-canonical
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let mut out = vec![0; decoded_len(text.len())?];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// The number of bytes a Base45 string of `len` characters decodes to.
///
/// # Errors
///
/// [`Base45Error::Length`] if `len` is 1 mod 3.
pub const fn decoded_len(len: usize) -> Result<usize, Base45Error> {
    match len % 3 {
        1 => Err(Base45Error::Length),
        r => Ok(len / 3 * 2 + r / 2),
    }
}

/// As [`decode`], into the start of `out` (no allocation); returns the
/// decoded bytes.
///
/// # Errors
///
/// As [`decode`]; [`Base45Error::Length`] also if `out` is shorter than
/// [`decoded_len`].
pub fn decode_into<'a>(text: &str, out: &'a mut [u8]) -> Result<&'a mut [u8], Base45Error> {
    let len = decoded_len(text.len())?;
    let out = out.get_mut(..len).ok_or(Base45Error::Length)?;
    let groups = text.as_bytes().chunks_exact(3);
    let tail = groups.remainder();
    let (pairs, last) = out.split_at_mut(len - tail.len() / 2);
    for (group, pair) in groups.zip(pairs.chunks_exact_mut(2)) {
        let [a, b, c] = *group else { return Err(Base45Error::Length) };
        let n = value(a)? + value(b)? * 45 + value(c)? * 2025;
        let bytes = u16::try_from(n).map_err(|_| Base45Error::Overflow)?.to_be_bytes();
        pair.copy_from_slice(&bytes);
    }
    if let ([a, b], [byte]) = (tail, last) {
        *byte = u8::try_from(value(*a)? + value(*b)? * 45).map_err(|_| Base45Error::Overflow)?;
    }
    Ok(out)
}

fn value(c: u8) -> Result<u32, Base45Error> {
    // A u8 always indexes the 256-entry table.
    match VALUES.get(usize::from(c)) {
        Some(&v) if v < 45 => Ok(u32::from(v)),
        _ => Err(Base45Error::Character),
    }
}

/// Each byte's value in the alphabet, or 0xff: one load per character
/// where a chain of range tests would cost several branches.
const VALUES: [u8; 256] = values();

// Runs at compile time only, where an index out of range fails the build.
#[allow(clippy::indexing_slicing)]
const fn values() -> [u8; 256] {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn decode_into_agrees_with_decode() {
        let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a";
        let mut seed = 3u64;
        for round in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = (seed >> 58) as usize;
            let text: String = (0..len)
                .map(|i| {
                    let k = (seed.rotate_left(7 * i as u32) >> 40) as usize
                        % if round % 2 == 0 { 46 } else { 45 };
                    alphabet.as_bytes()[k] as char
                })
                .collect();
            let mut buf = [0u8; 64];
            let into = decode_into(&text, &mut buf).map(|b| b.to_vec());
            assert_eq!(into, decode(&text), "{text:?}");
            if let Ok(bytes) = &into {
                assert_eq!(encode(bytes), text);
                assert_eq!(Ok(bytes.len()), decoded_len(text.len()));
            }
        }
        let mut short = [0u8; 1];
        assert_eq!(decode_into("BB8", &mut short), Err(Base45Error::Length));
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
}
