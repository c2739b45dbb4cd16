//! A minimal PNG writer for black-and-white images (rendered QR symbols and
//! barcodes), so that the library renders PNG without an image crate.
//!
//! The image is 1-bit greyscale, not interlaced; the zlib stream uses stored
//! (uncompressed) deflate blocks, which every inflater reads and which need
//! no compressor (PNG: ISO/IEC 15948; zlib: RFC 1950; deflate: RFC 1951 §3.2.4).

/// The PNG file signature.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// Longest payload of one stored deflate block.
const STORED_MAX: usize = 0xffff;
/// Fewest pixels per module the renderers draw: at one pixel per module,
/// zbarimg read only 20 of 100 version 3 and 10 QR symbols and 77 of 100
/// Code 128 barcodes; at two, all of them.
pub(crate) const MIN_MODULE_PX: u8 = 2;

/// Encodes a `width` x `height` image whose pixel (x, y) is black where
/// `dark(x, y)` holds, white elsewhere.
pub(crate) fn encode_bilevel(width: u32, height: u32, dark: impl Fn(u32, u32) -> bool) -> Vec<u8> {
    // One filter-type byte (0, none) per row, then the pixels, 8 per byte,
    // most significant bit first; in 1-bit greyscale, 1 is white.
    let row_bytes = (width as usize).div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * height as usize);
    for y in 0..height {
        raw.push(0);
        let mut byte = 0u8;
        for x in 0..width {
            byte = byte << 1 | u8::from(!dark(x, y));
            if x % 8 == 7 {
                raw.push(byte);
                byte = 0;
            }
        }
        if !width.is_multiple_of(8) {
            raw.push(byte << (8 - width % 8));
        }
    }

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, filter method 0, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

    let mut out = SIGNATURE.to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Appends one chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // A chunk's length is below 2^31; ours are far smaller (at most a few MB).
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(crc32(CRC_INIT, kind), data) ^ CRC_INIT;
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored deflate blocks holding `data`.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    // CMF 0x78: deflate, 32 KiB window; FLG 0x01 makes CMF*256+FLG a multiple of 31.
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(STORED_MAX).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        // chunks(STORED_MAX) makes every block at most 0xffff bytes long.
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

const CRC_INIT: u32 = 0xffff_ffff;

/// The CRC-32 table of the reflected polynomial 0xedb88320.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index error cannot reach run time"
)]
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// Continues a CRC-32 register over `data` (without the final inversion).
fn crc32(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        // The index is masked to 0..=255, inside the table.
        let i = ((crc ^ u32::from(b)) & 0xff) as usize;
        crc = CRC_TABLE.get(i).copied().unwrap_or(0) ^ (crc >> 8);
    }
    crc
}

/// The Adler-32 checksum of `data`.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the longest run whose sums cannot overflow u32 (zlib's NMAX).
    for run in data.chunks(5552) {
        for &x in run {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    b << 16 | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_published_check_values() {
        // CRC-32 check value of "123456789" (the CRC catalogue's "check" for CRC-32/ISO-HDLC).
        assert_eq!(crc32(CRC_INIT, b"123456789") ^ CRC_INIT, 0xcbf4_3926);
        // Adler-32 of "Wikipedia", the worked example of the Adler-32 article.
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(adler32(&[]), 1);
        // Long input: the deferred modulo must agree with the per-byte definition.
        let long: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &long {
            a = (a + u64::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(adler32(&long), (b << 16 | a) as u32);
    }

    /// Decodes with the `image` crate (an independent PNG decoder) and compares every pixel.
    fn assert_decodes(width: u32, height: u32, dark: impl Fn(u32, u32) -> bool) {
        let png = encode_bilevel(width, height, &dark);
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap().to_luma8();
        assert_eq!((img.width(), img.height()), (width, height));
        for (x, y, p) in img.enumerate_pixels() {
            assert_eq!(p.0[0], if dark(x, y) { 0 } else { 255 }, "pixel ({x}, {y}) of {width}x{height}");
        }
    }

    #[test]
    fn independent_decoder_reads_every_pixel() {
        // Widths that are and are not multiples of 8; a checkerboard with a diagonal.
        for (w, h) in [(1, 1), (8, 3), (9, 2), (13, 17), (64, 1)] {
            assert_decodes(w, h, |x, y| (x + y) % 2 == 0 || x == y);
        }
        // More than one stored block: 1000 rows of 1 + 75 bytes = 76,000 bytes.
        assert_decodes(600, 1000, |x, y| (x / 3 + y / 5) % 3 == 0);
    }

    #[test]
    fn stored_blocks_are_well_formed() {
        let data = vec![0xa5u8; 2 * STORED_MAX + 10];
        let z = zlib_stored(&data);
        assert_eq!(z.len(), 2 + 3 * 5 + data.len() + 4);
        assert_eq!((u32::from(z[0]) * 256 + u32::from(z[1])) % 31, 0);
        // First block: not final, 0xffff bytes.
        assert_eq!(z[2..7], [0, 0xff, 0xff, 0, 0]);
        // Last block: final, 10 bytes.
        let last = 2 + 2 * (5 + STORED_MAX);
        assert_eq!(z[last..last + 5], [1, 10, 0, 0xf5, 0xff]);
        // The empty stream is one final, empty block.
        assert_eq!(zlib_stored(&[]), [0x78, 0x01, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 1]);
    }
}
