//! `paycode scan`: the QR text in a PNG or JPEG image (a screenshot or a
//! photo). Only the binary decodes images; the library never does.

use std::fmt;
use std::io::{Cursor, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use image::{GrayImage, ImageFormat, ImageReader, Limits};
use paycode_cli::errors::Action;
use paycode_cli::fsio;
use paycode_cli::{FileError, Role};

use super::Error;

mod finders;

/// Largest image file read, bytes: the command's cap for the scan image.
const MAX_FILE: u64 = fsio::read_limit(Role::ScanImage);
/// Largest image side, pixels.
const MAX_SIDE: u32 = 16_384;
/// Most memory the image decoder may allocate, bytes.
const MAX_ALLOC: u64 = 256 << 20;
/// Longest side, pixels, of the image the QR detector searches: a larger
/// one is shrunk to it first. The detector copies the image for each trio
/// of finder patterns it tries, so its work grows with the image's area.
const DETECT_SIDE: u32 = 2048;
/// Most QR finder patterns an image may hold: 3 a code, for a few codes.
/// The detector tries every trio of them, so its work grows with the cube
/// of their number; past this an image is refused before it runs.
const MAX_FINDERS: usize = 20;

/// The text of the one QR code in the image at `path` (bytes that are not
/// UTF-8 become U+FFFD: not a paycode, so the verifier reports `malformed`).
///
/// A file that is not a PNG or JPEG image, an image without a readable QR
/// code, or one with several different codes is a usage error: there is no
/// code to give a verdict on.
pub fn qr_text(path: &Path) -> Result<String, Error> {
    let io = || FileError::io(Action::Read, Role::ScanImage, path);
    let mut bytes = Vec::new();
    let (file, _) = fsio::open_regular(path, path, Role::ScanImage)?;
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(io())?;
    let fail = |problem| Error::Scan(ScanError { path: path.to_path_buf(), problem });
    if bytes.len() as u64 > MAX_FILE {
        return Err(fail(Problem::TooLarge));
    }
    let format =
        image::guess_format(&bytes).ok().filter(|f| matches!(f, ImageFormat::Png | ImageFormat::Jpeg));
    let Some(format) = format else {
        return Err(fail(Problem::NotAnImage));
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
    reader.limits(limits);
    let luma = reader.decode().map_err(|e| fail(Problem::Decode(format, e)))?.into_luma8();
    let luma = shrink(luma, DETECT_SIDE);

    let found = quiet_catch(|| {
        let (w, h) = (luma.width() as usize, luma.height() as usize);
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            luma.get_pixel_checked(x as u32, y as u32).map_or(255, |p| p.0[0])
        });
        // Black as the detector marks it, to read its black-and-white image with.
        let black = rqrr::PreparedImage::prepare_from_bitmap(1, 1, |_, _| true).get_pixel_at(0, 0);
        let pixels = (0..h).flat_map(|y| (0..w).map(move |x| (x, y)));
        let bitmap =
            finders::Bitmap::new(w, h, pixels.map(|(x, y)| prepared.get_pixel_at(x, y) == black).collect());
        if bitmap.is_none_or(|b| finders::count_rings(&b, MAX_FINDERS) > MAX_FINDERS) {
            return None;
        }
        let grids = prepared.detect_grids();
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for grid in &grids {
            let mut text = Vec::new();
            if grid.decode_to(&mut text).is_ok() && !texts.contains(&text) {
                texts.push(text);
            }
        }
        Some((grids.len(), texts))
    })
    .ok_or_else(|| fail(Problem::DecoderFailed))?;
    let texts = found.ok_or_else(|| fail(Problem::TooManyFinders))?;

    match texts {
        (0, _) => Err(fail(Problem::NoCode)),
        (n, t) if t.is_empty() => Err(fail(Problem::Unreadable(n))),
        // Non-UTF-8 bytes become U+FFFD, which no code contains: `malformed`.
        (_, mut t) if t.len() == 1 => {
            Ok(t.pop().map(|text| String::from_utf8_lossy(&text).into_owned()).unwrap_or_default())
        }
        (_, t) => Err(fail(Problem::Several(t.len()))),
    }
}

/// An image that holds no single readable QR code.
#[derive(Debug)]
pub struct ScanError {
    path: PathBuf,
    problem: Problem,
}

/// What is wrong with the image.
#[derive(Debug)]
enum Problem {
    TooLarge,
    NotAnImage,
    Decode(ImageFormat, image::ImageError),
    DecoderFailed,
    TooManyFinders,
    NoCode,
    Unreadable(usize),
    Several(usize),
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the image {}: ", self.path.display())?;
        match &self.problem {
            Problem::TooLarge => write!(f, "larger than {} MiB", MAX_FILE >> 20),
            Problem::NotAnImage => f.write_str("not a PNG or JPEG image"),
            Problem::Decode(format, e) => write!(f, "cannot decode the {format:?} image: {e}"),
            Problem::DecoderFailed => f.write_str("the QR decoder failed on this image"),
            Problem::TooManyFinders => write!(
                f,
                "more than {MAX_FINDERS} QR finder patterns (a code has 3), too many to search; show one code at a time"
            ),
            Problem::NoCode => f.write_str("no QR code found"),
            Problem::Unreadable(n) => write!(f, "no QR code found ({n} symbol(s) seen but not readable)"),
            Problem::Several(n) => write!(f, "{n} different QR codes found; show one code at a time"),
        }
    }
}

/// `luma` shrunk by the least whole factor that brings its longer side to
/// `side` pixels or fewer, each pixel the rounded mean of the block of
/// pixels it stands for (those past the edges left out); unchanged if it
/// fits.
fn shrink(luma: GrayImage, side: u32) -> GrayImage {
    let (w, h) = luma.dimensions();
    let factor = w.max(h).div_ceil(side.max(1));
    if factor <= 1 {
        return luma;
    }
    let (small_w, small_h) = (w.div_ceil(factor), h.div_ceil(factor));
    let (factor, width) = (factor as usize, w as usize);
    let mut pixels = Vec::with_capacity(small_w as usize * small_h as usize);
    for band in luma.as_raw().chunks(width * factor) {
        // Each block's sum and number of pixels.
        let mut blocks = vec![(0u32, 0u32); small_w as usize];
        for row in band.chunks(width) {
            for (block, part) in blocks.iter_mut().zip(row.chunks(factor)) {
                block.0 += part.iter().map(|&p| u32::from(p)).sum::<u32>();
                block.1 += part.len() as u32;
            }
        }
        pixels
            .extend(blocks.iter().map(|&(sum, n)| u8::try_from((sum + n / 2) / n.max(1)).unwrap_or(u8::MAX)));
    }
    GrayImage::from_raw(small_w, small_h, pixels).unwrap_or(luma)
}

/// Runs `f`, turning a panic in it (a decoder bug on a hostile image) into
/// `None` without printing the panic message.
fn quiet_catch<T>(f: impl FnOnce() -> T) -> Option<T> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f)).ok();
    panic::set_hook(hook);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_averages_blocks() {
        // 5 × 3 pixels, 0, 10, 20, … row by row, halved: blocks of 2 × 2,
        // those on the right and bottom edges cut short.
        let luma = GrayImage::from_fn(5, 3, |x, y| image::Luma([(10 * (y * 5 + x)) as u8]));
        let small = shrink(luma, 3);
        assert_eq!(small.dimensions(), (3, 2));
        // (0 + 10 + 50 + 60) / 4 = 30; (40 + 90) / 2 = 65; (140) / 1.
        assert_eq!(small.as_raw(), &[30, 50, 65, 105, 125, 140]);
        // Means are rounded half up: 0.5 to 1, 2.25 to 2.
        let pair = GrayImage::from_raw(2, 1, vec![0, 1]).unwrap();
        assert_eq!(shrink(pair, 1).as_raw(), &[1]);
        let square = GrayImage::from_raw(2, 2, vec![2, 2, 2, 3]).unwrap();
        assert_eq!(shrink(square, 1).as_raw(), &[2]);
    }

    #[test]
    fn shrink_keeps_an_image_that_fits() {
        let luma = GrayImage::from_fn(40, 7, |x, y| image::Luma([(x * 6 + y) as u8]));
        assert_eq!(shrink(luma.clone(), 40), luma);
        assert_eq!(shrink(luma.clone(), 100), luma);
        // Just over: halved, the odd column alone in its block.
        let small = shrink(luma.clone(), 39);
        assert_eq!(small.dimensions(), (20, 4));
        // (234 + 240) / 2 = 237.
        assert_eq!((luma.get_pixel(38, 6).0[0], luma.get_pixel(39, 6).0[0]), (234, 240));
        assert_eq!(small.get_pixel(19, 3).0[0], 237);
        // The factor is the least that fits: 7 for 1000 into 150.
        assert_eq!(shrink(GrayImage::new(1000, 10), 150).dimensions(), (143, 2));
    }
}
