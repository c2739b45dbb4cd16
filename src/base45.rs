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
