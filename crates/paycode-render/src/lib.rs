//! Renderings of paycode codes: the QR symbol of a code's text (terminal,
//! SVG, PNG) under spec R-ENC-5, and the numeric form as a Code 128 barcode.
//!
//! PNG output comes from a small writer of its own, so rendering needs no
//! image stack.
//!
//! ```
//! use paycode::{HmacWallet, Params, Seed};
//! use paycode_render::qr::Symbol;
//! let mut wallet = HmacWallet::new(Params::default(), 42, &Seed::from_bytes(&[7; 32]), 0);
//! let text = wallet.generate(1_800_000_000).unwrap().to_qr_text();
//! let symbol = Symbol::new(&text).unwrap();
//! assert_eq!(symbol.version(), 3);
//! assert!(symbol.to_png(4).starts_with(b"\x89PNG"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod barcode;
mod png;
pub mod qr;
