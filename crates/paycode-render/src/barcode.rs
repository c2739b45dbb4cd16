//! The hmac profile's numeric form as a Code 128 barcode (spec §5.2), the 1D
//! symbol payment apps show beside the QR code.
//!
//! The symbol uses code set C (ISO/IEC 15417), which packs two digits into one
//! symbol character: start C, one character per digit pair, a modulo-103
//! check character, the stop pattern; light quiet zones of 10 modules on
//! every side. 24 digits make 167 modules of symbol, 187 with the quiet zones.

use paycode::NumericCode;
use paycode::numeric::DIGITS;

/// Light modules on each side of the symbol (ISO/IEC 15417 asks for at least 10).
pub const QUIET_ZONE: usize = 10;
/// Height of the bars, in modules.
pub const BAR_HEIGHT: usize = 50;
/// Longest digit string [`Barcode::new`] accepts: 40 pairs, 453 modules of
/// symbol, already wider than a handheld scanner comfortably reads.
pub const MAX_DIGITS: usize = 80;

/// Symbol value of the code set C start character.
const START_C: u8 = 105;
/// Modulus of the check character.
const CHECK_MODULUS: u32 = 103;
/// Widths of the stop pattern: bar, space, bar, space, bar, space, bar.
const STOP: [u8; 7] = [2, 3, 3, 1, 1, 1, 2];

/// Bar and space widths, in modules, of symbol values 0..=105 (ISO/IEC 15417,
/// table 1), six decimal digits each, bar first. Every pattern is 11 modules
/// wide with an even number of bar modules.
const PATTERNS: [u32; 106] = [
    212222, 222122, 222221, 121223, 121322, 131222, 122213, 122312, 132212, 221213, // 0-9
    221312, 231212, 112232, 122132, 122231, 113222, 123122, 123221, 223211, 221132, // 10-19
    221231, 213212, 223112, 312131, 311222, 321122, 321221, 312212, 322112, 322211, // 20-29
    212123, 212321, 232121, 111323, 131123, 131321, 112313, 132113, 132311, 211313, // 30-39
    231113, 231311, 112133, 112331, 132131, 113123, 113321, 133121, 313121, 211331, // 40-49
    231131, 213113, 213311, 213131, 311123, 311321, 331121, 312113, 312311, 332111, // 50-59
    314111, 221411, 431111, 111224, 111422, 121124, 121421, 141122, 141221, 112214, // 60-69
    112412, 122114, 122411, 142112, 142211, 241211, 221114, 413111, 241112, 134111, // 70-79
    111242, 121142, 121241, 114212, 124112, 124211, 411212, 421112, 421211, 212141, // 80-89
    214121, 412121, 111143, 111341, 131141, 114113, 114311, 411113, 411311, 113141, // 90-99
    114131, 311141, 411131, 211412, 211214, 211232, // 100-105: code B, FNC4, FNC1, start A, B, C
];

/// Why digits could not be put in a Code 128 set C symbol.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarcodeError {
    /// Not a non-empty, even-length string of ASCII digits.
    NotDigitPairs,
    /// Longer than [`MAX_DIGITS`].
    TooLong,
}

impl core::fmt::Display for BarcodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BarcodeError::NotDigitPairs => "code set C needs a non-empty, even number of ASCII digits",
            BarcodeError::TooLong => "too many digits for one barcode",
        })
    }
}

impl std::error::Error for BarcodeError {}

/// A Code 128 symbol in code set C.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Barcode {
    /// The symbol's modules, dark = `true`, without the quiet zones.
    modules: Vec<bool>,
}

impl Barcode {
    /// The symbol of the numeric form's 24 digits.
    ///
    /// ```
    /// use paycode::{HmacWallet, Params, Seed};
    /// use paycode_render::barcode::Barcode;;
    /// let mut w = HmacWallet::new(Params::default(), 7, &Seed::from_bytes(&[3; 32]), 0);
    /// let code = w.generate(1_800_000_000).unwrap();
    /// let b = Barcode::from_numeric(&w.numeric(&code).unwrap());
    /// assert_eq!(b.modules().len(), 11 + 12 * 11 + 11 + 13);
    /// ```
    pub fn from_numeric(code: &NumericCode) -> Barcode {
        // The 24 digits, read as 12 base-100 digits, most significant first.
        let mut n = code.value();
        let mut pairs = [0u8; DIGITS / 2];
        for p in pairs.iter_mut().rev() {
            *p = (n % 100) as u8;
            n /= 100;
        }
        Barcode::from_values(&pairs)
    }

    /// The symbol of `digits`, two digits per symbol character.
    ///
    /// # Errors
    ///
    /// [`BarcodeError::NotDigitPairs`] unless `digits` is a non-empty, even
    /// number of ASCII digits; [`BarcodeError::TooLong`] beyond [`MAX_DIGITS`].
    ///
    /// ```
    /// use paycode_render::barcode::Barcode;
    /// assert!(Barcode::new("0123").is_ok());
    /// assert!(Barcode::new("012").is_err());
    /// ```
    pub fn new(digits: &str) -> Result<Barcode, BarcodeError> {
        let bytes = digits.as_bytes();
        if bytes.is_empty() || !bytes.len().is_multiple_of(2) || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(BarcodeError::NotDigitPairs);
        }
        if bytes.len() > MAX_DIGITS {
            return Err(BarcodeError::TooLong);
        }
        let pairs: Vec<u8> =
            bytes.chunks_exact(2).map(|p| p.iter().fold(0, |v, d| v * 10 + (d - b'0'))).collect();
        Ok(Barcode::from_values(&pairs))
    }

    /// The symbol's modules, dark = `true`, without the quiet zones: bar, space, ... bar.
    pub fn modules(&self) -> &[bool] {
        &self.modules
    }

    /// Width of the image in modules, quiet zones included.
    pub fn width(&self) -> usize {
        self.modules.len() + 2 * QUIET_ZONE
    }

    /// Height of the image in modules: the bars and a quiet zone above and below.
    pub const fn height(&self) -> usize {
        BAR_HEIGHT + 2 * QUIET_ZONE
    }

    /// Whether module (x, y) of the image (quiet zones included) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        (QUIET_ZONE..QUIET_ZONE + BAR_HEIGHT).contains(&y)
            && x.checked_sub(QUIET_ZONE).and_then(|i| self.modules.get(i)).copied().unwrap_or(false)
    }

    /// The image as an SVG document, `module_px` pixels per module.
    pub fn to_svg(&self, module_px: u32) -> String {
        let (w, h) = (self.width(), self.height());
        let px = module_px.max(1) as usize;
        let mut d = String::new();
        for (x, run) in self.bars() {
            d.push_str(&format!("M{} {QUIET_ZONE}h{run}v{BAR_HEIGHT}h-{run}z", QUIET_ZONE + x));
        }
        format!(
            concat!(
                "<?xml version=\"1.0\" standalone=\"yes\"?>\n",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{}\" height=\"{}\" ",
                "viewBox=\"0 0 {} {}\" shape-rendering=\"crispEdges\">",
                "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
                "<path fill=\"#000000\" d=\"{}\"/></svg>\n"
            ),
            w * px,
            h * px,
            w,
            h,
            w,
            h,
            d
        )
    }

    /// The image as a black-and-white PNG, `module_px` pixels per module.
    /// Below 2 pixels per module, which scanners misread, 2 is used.
    pub fn to_png(&self, module_px: u8) -> Vec<u8> {
        let px = u32::from(module_px.max(crate::png::MIN_MODULE_PX));
        // At most MAX_DIGITS / 2 + 3 characters: every dimension is far below u32::MAX.
        let w = u32::try_from(self.width()).unwrap_or(0) * px;
        let h = u32::try_from(self.height()).unwrap_or(0) * px;
        crate::png::encode_bilevel(w, h, |x, y| self.is_dark((x / px) as usize, (y / px) as usize))
    }

    /// The bars as (first module, width), left to right, without the quiet zone.
    fn bars(&self) -> Vec<(usize, usize)> {
        let mut bars: Vec<(usize, usize)> = Vec::new();
        for (i, &dark) in self.modules.iter().enumerate() {
            match bars.last_mut() {
                Some((start, run)) if dark && *start + *run == i => *run += 1,
                _ if dark => bars.push((i, 1)),
                _ => {}
            }
        }
        bars
    }

    /// Start C, the data characters, the check character, stop.
    fn from_values(pairs: &[u8]) -> Barcode {
        let mut modules = Vec::with_capacity(11 * (pairs.len() + 2) + 13);
        // The check value: start value plus each data value times its position, mod 103.
        let mut check = u32::from(START_C);
        push_widths(&mut modules, &widths(START_C));
        for (value, position) in pairs.iter().zip(1u32..) {
            check = (check + u32::from(*value) * position) % CHECK_MODULUS;
            push_widths(&mut modules, &widths(*value));
        }
        push_widths(&mut modules, &widths(check as u8));
        push_widths(&mut modules, &STOP);
        Barcode { modules }
    }
}

/// The six bar/space widths of symbol value `v` (below 106).
fn widths(v: u8) -> [u8; 6] {
    let mut p = PATTERNS.get(usize::from(v)).copied().unwrap_or(0);
    let mut w = [0u8; 6];
    for slot in w.iter_mut().rev() {
        *slot = (p % 10) as u8;
        p /= 10;
    }
    w
}

/// Appends alternating bar and space runs, starting with a bar.
fn push_widths(modules: &mut Vec<bool>, widths: &[u8]) {
    for (i, &w) in widths.iter().enumerate() {
        modules.extend(core::iter::repeat_n(i % 2 == 0, usize::from(w)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_table_is_self_consistent() {
        // Properties ISO/IEC 15417 states for every symbol character: 11 modules, 3 bars
        // and 3 spaces of 1 to 4 modules, an even number of bar modules; all distinct.
        let mut seen = std::collections::HashSet::new();
        for v in 0..106u8 {
            let w = widths(v);
            assert!(w.iter().all(|&x| (1..=4).contains(&x)), "value {v}: {w:?}");
            assert_eq!(w.iter().map(|&x| u32::from(x)).sum::<u32>(), 11, "value {v}");
            assert_eq!((w[0] + w[2] + w[4]) % 2, 0, "value {v}");
            assert!(seen.insert(w), "value {v} repeats a pattern");
        }
        assert_eq!(STOP.iter().map(|&x| u32::from(x)).sum::<u32>(), 13);
    }

    #[test]
    fn check_character_of_a_worked_example() {
        // "1234" in set C: start 105, data 12 and 34, check (105 + 12*1 + 34*2) mod 103 = 82.
        let b = Barcode::new("1234").unwrap();
        let m = b.modules();
        assert_eq!(m.len(), 4 * 11 + 13);
        let mut expected = Vec::new();
        for v in [105, 12, 34, 82] {
            push_widths(&mut expected, &widths(v));
        }
        push_widths(&mut expected, &STOP);
        assert_eq!(m, &expected[..]);
        // The symbol starts and ends with a bar.
        assert!(m[0] && m[m.len() - 1]);
    }

    #[test]
    fn numeric_form_and_digit_string_agree() {
        use paycode::{HmacWallet, Params, Seed};
        for (account, counter) in [(0u64, 0u32), (1, 1), ((1 << 30) - 1, 0xffff), (123_456, 789)] {
            let w = HmacWallet::new(Params::default(), account, &Seed::from_bytes(&[9; 32]), counter);
            let n = w.numeric(&w.code_for(1_000_000 + u64::from(counter), counter)).unwrap();
            let b = Barcode::from_numeric(&n);
            assert_eq!(b, Barcode::new(&n.to_digits()).unwrap());
            assert_eq!(b.width(), 187);
        }
    }

    #[test]
    fn rejects_bad_digit_strings() {
        for bad in ["", "1", "123", "12a4", "１２", "+123"] {
            assert_eq!(Barcode::new(bad), Err(BarcodeError::NotDigitPairs), "{bad:?}");
        }
        assert!(Barcode::new(&"0".repeat(MAX_DIGITS)).is_ok());
        assert_eq!(Barcode::new(&"0".repeat(MAX_DIGITS + 2)), Err(BarcodeError::TooLong));
    }

    #[test]
    fn svg_bars_reproduce_the_modules() {
        let b = Barcode::new("000000000000000000000000").unwrap();
        let svg = b.to_svg(3);
        assert!(svg.contains(&format!("width=\"{}\" height=\"{}\"", 187 * 3, 70 * 3)));
        let d = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut modules = vec![false; b.width()];
        for bar in d.split('M').filter(|s| !s.is_empty()) {
            let x: usize = bar.split(' ').next().unwrap().parse().unwrap();
            let run: usize = bar.split('h').nth(1).unwrap().split('v').next().unwrap().parse().unwrap();
            assert!(bar.contains(&format!(" {QUIET_ZONE}h")) && bar.contains(&format!("v{BAR_HEIGHT}h")));
            modules[x..x + run].iter_mut().for_each(|m| *m = true);
        }
        assert_eq!(&modules[QUIET_ZONE..QUIET_ZONE + b.modules().len()], b.modules());
        assert!(!modules[..QUIET_ZONE].contains(&true) && !modules[b.width() - QUIET_ZONE..].contains(&true));
    }

    #[test]
    fn png_pixels_follow_the_modules() {
        let b = Barcode::new("0123456789").unwrap();
        let img = image::load_from_memory(&b.to_png(2)).unwrap().to_luma8();
        assert_eq!((img.width() as usize, img.height() as usize), (b.width() * 2, b.height() * 2));
        for (x, y, p) in img.enumerate_pixels() {
            assert_eq!(p.0[0] == 0, b.is_dark(x as usize / 2, y as usize / 2), "pixel ({x}, {y})");
        }
        assert_eq!(b.to_png(1), b.to_png(2));
        assert_ne!(b.to_png(3), b.to_png(2));
    }
}
