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
    match groups(text.as_bytes(), out) {
        0 => Ok(out),
        _ => Err(first_error(text.as_bytes())),
    }
}

/// As [`decode_into`] for text whose length is known when compiling: `N`
/// characters into `M = decoded_len(N)` bytes, so that the loop can be
/// unrolled (the verifier's path, for the one code length it sees most).
pub(crate) fn decode_array<const N: usize, const M: usize>(text: &[u8; N]) -> Result<[u8; M], Base45Error> {
    const { assert!(N % 3 != 1 && M == N / 3 * 2 + N % 3 / 2) };
    let mut out = [0; M];
    match groups(text, &mut out) {
        0 => Ok(out),
        _ => Err(first_error(text)),
    }
}

/// Decodes `text` into `out`, which has exactly its decoded length, and
/// returns 0 if it is canonical Base45.
///
/// The common case, valid text, has no branch per character: a group's
/// value is three table loads added up, and a character outside the
/// alphabet adds [`BAD`], so the result collects a bit at 16 or above from
/// every bad character and every group over 65535. Only if it has one is
/// the text read again, by [`first_error`], to name its first error.
#[inline(always)]
fn groups(text: &[u8], out: &mut [u8]) -> u32 {
    let groups = text.chunks_exact(3);
    let tail = groups.remainder();
    let (pairs, last) = out.split_at_mut(out.len().saturating_sub(tail.len() / 2));
    let mut bad = 0;
    for (group, pair) in groups.zip(pairs.chunks_exact_mut(2)) {
        let [a, b, c] = *group else { return BAD };
        let n = scaled(&TIMES_1, a) + scaled(&TIMES_45, b) + scaled(&TIMES_2025, c);
        bad |= n;
        pair.copy_from_slice(&(n as u16).to_be_bytes());
    }
    if let ([a, b], [byte]) = (tail, last) {
        let n = scaled(&TIMES_1, *a) + scaled(&TIMES_45, *b);
        bad |= n | (u32::from(n > 0xff) << 16);
        *byte = n as u8;
    }
    bad >> 16
}

/// The error [`decode`] reports for `text`, whose length is valid and which
/// has at least one bad character or group: the first one's, in text order.
fn first_error(text: &[u8]) -> Base45Error {
    match check(text) {
        Err(e) => e,
        // Not reached for such text; the safer verdict if it were.
        Ok(()) => Base45Error::Character,
    }
}

/// Checks every group of `text` in order, one character at a time.
fn check(text: &[u8]) -> Result<(), Base45Error> {
    for group in text.chunks(3) {
        let (mut n, mut scale) = (0, 1);
        for &c in group {
            n += value(c)? * scale;
            scale *= 45;
        }
        // A group of 3 holds two bytes, one of 2 holds one.
        if n >> (8 * group.len().saturating_sub(1)) != 0 {
            return Err(Base45Error::Overflow);
        }
    }
    Ok(())
}

fn value(c: u8) -> Result<u32, Base45Error> {
    match scaled(&TIMES_1, c) {
        v if v < 45 => Ok(v),
        _ => Err(Base45Error::Character),
    }
}

/// `table`'s entry for `c`.
fn scaled(table: &[u32; 256], c: u8) -> u32 {
    // A u8 always indexes a 256-entry table.
    table.get(usize::from(c)).copied().unwrap_or(BAD)
}

/// What a character outside the alphabet counts in a group: more than any
/// three characters of it (at most 44 * 2071 = 91124), and three of it still
/// fit a `u32`.
const BAD: u32 = 1 << 24;

/// Each byte's value in the alphabet times 1, 45 and 45^2: a group's value
/// is one load per character, where a chain of range tests would cost
/// several branches; [`BAD`] for a byte outside the alphabet.
const TIMES_1: [u32; 256] = scaled_values(1);
const TIMES_45: [u32; 256] = scaled_values(45);
const TIMES_2025: [u32; 256] = scaled_values(2025);

// Runs at compile time only, where an index out of range fails the build.
#[allow(clippy::indexing_slicing)]
const fn scaled_values(factor: u32) -> [u32; 256] {
    let mut table = [BAD; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u32 * factor;
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
                let v = ALPHABET.iter().position(|&a| a == c).ok_or(Base45Error::Character)?;
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
}
