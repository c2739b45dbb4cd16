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

/// A QR symbol holding a code's text.
pub struct Symbol {
    code: QrCode,
}

impl Symbol {
    /// The smallest level-M symbol holding `text` in one alphanumeric segment.
    ///
    /// # Errors
    ///
    /// [`QrError`] if `text` is not alphanumeric or too long.
    ///
    /// ```
    /// let s = paycode::qr::Symbol::new("PC1:ABC").unwrap();
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
                return Ok(Symbol { code });
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
        x < self.width()
            && y < self.width()
            && self.code.to_colors().get(y * self.width() + x) == Some(&qrcode::Color::Dark)
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
        assert!(matches!(Symbol::new("pc1:"), Err(QrError::NotAlphanumeric)));
    }
}
