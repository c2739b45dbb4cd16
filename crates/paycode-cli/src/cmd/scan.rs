//! `paycode scan`: the QR text in a PNG or JPEG image (a screenshot or a
//! photo). Only the binary decodes images; the library never does.

use std::fmt;
use std::io::{Cursor, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use image::{ImageFormat, ImageReader, Limits};
use paycode_cli::errors::Action;
use paycode_cli::fsio;
use paycode_cli::{FileError, Role};

use super::Error;

/// Largest image file read, bytes.
const MAX_FILE: u64 = 64 << 20;
/// Largest image side, pixels.
const MAX_SIDE: u32 = 16_384;
/// Most memory the image decoder may allocate, bytes.
const MAX_ALLOC: u64 = 256 << 20;

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

    let texts = quiet_catch(|| {
        let (w, h) = (luma.width() as usize, luma.height() as usize);
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            luma.get_pixel_checked(x as u32, y as u32).map_or(255, |p| p.0[0])
        });
        let grids = prepared.detect_grids();
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for grid in &grids {
            let mut text = Vec::new();
            if grid.decode_to(&mut text).is_ok() && !texts.contains(&text) {
                texts.push(text);
            }
        }
        (grids.len(), texts)
    })
    .ok_or_else(|| fail(Problem::DecoderFailed))?;

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
            Problem::NoCode => f.write_str("no QR code found"),
            Problem::Unreadable(n) => write!(f, "no QR code found ({n} symbol(s) seen but not readable)"),
            Problem::Several(n) => write!(f, "{n} different QR codes found; show one code at a time"),
        }
    }
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
