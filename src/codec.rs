//! The byte codec every layout uses: a big-endian `Reader` and `Writer`
//! over the fixed layouts of spec §4, and lowercase hex for the bytes that
//! files, vectors and reports show.

use zeroize::Zeroize;

use crate::errors::{Error, HexError};

/// Lowercase hex of `bytes`.
///
/// ```
/// assert_eq!(paycode::codec::to_hex(&[0x0a, 0xff]), "0aff");
/// ```
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            s.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
    s
}

/// The bytes of a hex string, in either case.
///
/// The output is sized once and wiped on failure, so decoding a secret leaves
/// no partial copy behind (spec: R-KEY-4).
///
/// # Errors
///
/// [`HexError`] on an odd length or a character that is not a hex digit.
///
/// ```
/// assert_eq!(paycode::codec::from_hex("0aFF"), Ok(vec![0x0a, 0xff]));
/// assert!(paycode::codec::from_hex("0g").is_err());
/// ```
pub fn from_hex(s: &str) -> Result<Vec<u8>, HexError> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks(2) {
        let digit = |i: usize| pair.get(i).and_then(|&c| char::from(c).to_digit(16));
        match (digit(0), digit(1)) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => {
                out.zeroize();
                return Err(HexError::NotHex);
            }
        }
    }
    Ok(out)
}

/// A big-endian reader over a byte slice; running out of bytes is [`Error::Malformed`].
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let (head, rest) = self.rest.split_at_checked(N).ok_or(Error::Malformed)?;
        self.rest = rest;
        head.try_into().map_err(|_| Error::Malformed)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) const fn remaining(&self) -> usize {
        self.rest.len()
    }
}

/// A big-endian writer into a fixed-size array; the layouts are fixed, so
/// writing past the end is a bug caught by the tests, and is ignored.
pub(crate) struct Writer<const N: usize> {
    buf: [u8; N],
    at: usize,
}

impl<const N: usize> Writer<N> {
    pub(crate) const fn new() -> Writer<N> {
        Writer { buf: [0; N], at: 0 }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        let end = self.at.saturating_add(b.len());
        if let Some(dst) = self.buf.get_mut(self.at..end) {
            dst.copy_from_slice(b);
        }
        self.at = end;
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn finish(self) -> [u8; N] {
        debug_assert_eq!(self.at, N, "layout length mismatch");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejections() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&all)).unwrap(), all);
        assert_eq!(from_hex(&to_hex(&all).to_uppercase()).unwrap(), all);
        assert_eq!(from_hex("abc"), Err(HexError::OddLength));
        assert_eq!(from_hex("0x"), Err(HexError::NotHex));
        assert_eq!(from_hex("+1"), Err(HexError::NotHex));
        assert_eq!(from_hex(""), Ok(vec![]));
    }

    #[test]
    fn reader_runs_out_as_malformed() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.u16(), Err(Error::Malformed));
        assert_eq!(r.u8(), Ok(3));
    }

    #[test]
    fn writer_is_big_endian() {
        let mut w = Writer::<15>::new();
        w.u8(1);
        w.u16(0x0203);
        w.u32(0x0405_0607);
        w.u64(0x0809_0a0b_0c0d_0e0f);
        assert_eq!(w.finish(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    }
}
