//! The QR symbol of a code's text: alphanumeric mode, error correction
//! level M, quiet zone of 4 modules (spec: R-ENC-5, §5.3).

use qrcode::bits::Bits;
use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode, Version};

/// Why a text could not be put in a QR symbol.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrError {
    /// A character outside the QR alphanumeric set.
    NotAlphanumeric,
    /// Longer than a version 40-M symbol holds.
    TooLong,
}

impl core::fmt::Display for QrError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            QrError::NotAlphanumeric => "text is outside the QR alphanumeric character set",
            QrError::TooLong => "text does not fit a QR symbol at level M",
        })
    }
}

impl std::error::Error for QrError {}

/// Light modules on each side of the symbol (spec: R-ENC-5).
pub const QUIET_ZONE: usize = 4;

/// A QR symbol holding a code's text.
pub struct Symbol {
    code: QrCode,
    /// The modules row by row, dark = `true`, without the quiet zone.
    dark: Vec<bool>,
}

impl Symbol {
    /// The smallest level-M symbol holding `text` in one alphanumeric segment.
    ///
    /// # Errors
    ///
    /// [`QrError`] if `text` is not alphanumeric or too long.
    ///
    /// ```
    /// let s = paycode_render::qr::Symbol::new("PC3:ABC").unwrap();
    /// assert_eq!(s.version(), 1);
    /// ```
    pub fn new(text: &str) -> Result<Symbol, QrError> {
        if !text.bytes().all(is_alphanumeric) {
            return Err(QrError::NotAlphanumeric);
        }
        for v in 1..=40 {
            let mut bits = Bits::new(Version::Normal(v));
            let fits = bits.push_alphanumeric_data(text.as_bytes()).is_ok()
                && bits.push_terminator(EcLevel::M).is_ok();
            if fits && let Ok(code) = QrCode::with_bits(bits, EcLevel::M) {
                let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
                return Ok(Symbol { code, dark });
            }
        }
        Err(QrError::TooLong)
    }

    /// The symbol's version (1..=40).
    pub fn version(&self) -> i16 {
        match self.code.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        }
    }

    /// Width in modules, without the quiet zone.
    pub fn width(&self) -> usize {
        self.code.width()
    }

    /// Whether module (x, y) is dark; `false` outside the symbol.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width() && y < self.width() && self.dark.get(y * self.width() + x) == Some(&true)
    }

    /// The symbol in Unicode half blocks for a terminal with a dark
    /// background (light modules are drawn), with the quiet zone.
    pub fn to_terminal(&self) -> String {
        self.code
            .render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build()
    }

    /// The symbol as an SVG document, `module_px` pixels per module, with the quiet zone.
    pub fn to_svg(&self, module_px: u32) -> String {
        self.code
            .render::<svg::Color<'_>>()
            .module_dimensions(module_px, module_px)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build()
    }

    /// The symbol as a black-and-white PNG, `module_px` pixels per module,
    /// with the quiet zone. Below 2 pixels per module, which scanners misread,
    /// 2 is used.
    ///
    /// ```
    /// let s = paycode_render::qr::Symbol::new("PC3:ABC").unwrap();
    /// let png = s.to_png(4);
    /// assert!(png.starts_with(b"\x89PNG"));
    /// ```
    pub fn to_png(&self, module_px: u8) -> Vec<u8> {
        let px = u32::from(module_px.max(crate::png::MIN_MODULE_PX));
        // At most 177 + 8 modules of at most 255 pixels: far below u32::MAX.
        let side = u32::try_from(self.width() + 2 * QUIET_ZONE).unwrap_or(0) * px;
        crate::png::encode_bilevel(side, side, |x, y| {
            let (x, y) = ((x / px) as usize, (y / px) as usize);
            match (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) {
                (Some(x), Some(y)) => self.is_dark(x, y),
                _ => false,
            }
        })
    }
}

const fn is_alphanumeric(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'A'..=b'Z' | b' ' | b'$' | b'%' | b'*' | b'+' | b'-' | b'.' | b'/' | b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_for_code_lengths() {
        // 61 characters (hmac) and 310 (ed25519) at level M; 62 and 312 need the next version.
        assert_eq!(Symbol::new(&"A".repeat(61)).unwrap().version(), 3);
        assert_eq!(Symbol::new(&"A".repeat(62)).unwrap().version(), 4);
        assert_eq!(Symbol::new(&"A".repeat(310)).unwrap().version(), 10);
        assert_eq!(Symbol::new(&"A".repeat(312)).unwrap().version(), 11);
        // Capped codes (spec §5.4): 67 characters fit 4-M, which holds 90;
        // 316 fit 11-M, which holds 366. A challenge's 60 fit 3-M.
        assert_eq!(Symbol::new(&"A".repeat(67)).unwrap().version(), 4);
        assert_eq!(Symbol::new(&"A".repeat(90)).unwrap().version(), 4);
        assert_eq!(Symbol::new(&"A".repeat(91)).unwrap().version(), 5);
        assert_eq!(Symbol::new(&"A".repeat(316)).unwrap().version(), 11);
        assert_eq!(Symbol::new(&"A".repeat(366)).unwrap().version(), 11);
        assert_eq!(Symbol::new(&"A".repeat(367)).unwrap().version(), 12);
        assert_eq!(Symbol::new(&"A".repeat(60)).unwrap().version(), 3);
        assert!(matches!(Symbol::new("pc2:"), Err(QrError::NotAlphanumeric)));
    }

    #[test]
    fn png_pixels_follow_the_modules_with_the_quiet_zone() {
        let s = Symbol::new("PC3:0123456789ABCDEF").unwrap();
        let img = image::load_from_memory(&s.to_png(3)).unwrap().to_luma8();
        let side = (s.width() + 2 * QUIET_ZONE) * 3;
        assert_eq!((img.width() as usize, img.height() as usize), (side, side));
        for (x, y, p) in img.enumerate_pixels() {
            let (mx, my) = (x as usize / 3, y as usize / 3);
            let inside = (QUIET_ZONE..QUIET_ZONE + s.width()).contains(&mx)
                && (QUIET_ZONE..QUIET_ZONE + s.width()).contains(&my);
            let dark = inside && s.is_dark(mx - QUIET_ZONE, my - QUIET_ZONE);
            assert_eq!(p.0[0] == 0, dark, "pixel ({x}, {y})");
        }
        // The finder pattern's corner is dark; the quiet zone is not.
        assert!(s.is_dark(0, 0) && img.get_pixel(12, 12).0[0] == 0 && img.get_pixel(11, 11).0[0] == 255);
        // Fewer than 2 pixels per module are drawn as 2.
        assert_eq!(s.to_png(0), s.to_png(2));
        assert_eq!(s.to_png(1), s.to_png(2));
        assert_ne!(s.to_png(3), s.to_png(2));
    }

    #[test]
    fn svg_and_terminal_include_the_quiet_zone() {
        let s = Symbol::new("PC3:ABC").unwrap();
        let side = (s.width() + 2 * QUIET_ZONE) * 5;
        assert!(s.to_svg(5).contains(&format!("width=\"{side}\" height=\"{side}\"")));
        // Half blocks: two module rows per line.
        let term = s.to_terminal();
        assert_eq!(term.lines().count(), (s.width() + 2 * QUIET_ZONE).div_ceil(2));
        assert!(term.lines().all(|l| l.chars().count() == s.width() + 2 * QUIET_ZONE));
    }
}
