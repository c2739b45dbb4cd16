//! Canonical Base45 (RFC 9285): the QR text encoding (spec §5.1).
//!
//! The decoder accepts exactly the strings the encoder produces, so two
//! strings never decode to the same bytes (spec: R-ENC-2).

/// The RFC 9285 alphabet, in value order.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a string is not canonical Base45.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base45Error {
    /// A character outside the 45-character alphabet (lowercase included).
    Character,
    /// The length leaves a single trailing character (length mod 3 = 1).
    Length,
    /// A group's value exceeds what its bytes can hold (non-canonical).
    Overflow,
}

impl core::fmt::Display for Base45Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Base45Error::Character => "character outside the Base45 alphabet",
            Base45Error::Length => "Base45 length leaves a dangling character",
            Base45Error::Overflow => "Base45 group value out of range",
        })
    }
}

impl std::error::Error for Base45Error {}

/// Encodes `bytes` as Base45.
///
/// ```
/// assert_eq!(paycode::base45::encode(b"AB"), "BB8");
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
/// assert_eq!(paycode::base45::decode("BB8").unwrap(), b"AB");
/// assert!(paycode::base45::decode("GGW").is_err()); // 65536: non-canonical
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let text = text.as_bytes();
    if text.len() % 3 == 1 {
        return Err(Base45Error::Length);
    }
    let mut out = Vec::with_capacity(text.len() / 3 * 2 + 1);
    for group in text.chunks(3) {
        let mut n: u32 = 0;
        for &c in group.iter().rev() {
            n = n * 45 + value(c).ok_or(Base45Error::Character)?;
        }
        if group.len() == 3 {
            let pair = u16::try_from(n).map_err(|_| Base45Error::Overflow)?;
            out.extend_from_slice(&pair.to_be_bytes());
        } else {
            out.push(u8::try_from(n).map_err(|_| Base45Error::Overflow)?);
        }
    }
    Ok(out)
}

fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'Z' => c - b'A' + 10,
        b' ' => 36,
        b'$' => 37,
        b'%' => 38,
        b'*' => 39,
        b'+' => 40,
        b'-' => 41,
        b'.' => 42,
        b'/' => 43,
        b':' => 44,
        _ => return None,
    };
    Some(u32::from(v))
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
