#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod barcode;
pub mod base45;
pub mod code;
pub mod conformance;
pub mod credential;
pub mod eddsa;
mod error;
pub mod files;
pub mod issuer;
pub mod keys;
pub mod log;
pub mod numeric;
mod png;
pub mod qr;
pub mod replay;
pub mod revocation;
mod time;
pub mod trust;
pub mod vectors;
pub mod verifier;
pub mod wallet;

pub use code::{Code, Profile};
pub use credential::{Credential, CredentialFields};
pub use error::Error;
pub use issuer::Issuer;
pub use keys::Seed;
pub use time::{Params, ParamsError};
pub use verifier::{Acceptance, Verifier};
pub use wallet::{Ed25519Wallet, GenerateError, HmacWallet};

/// The payload version byte of paycode v1 (spec: R-ENC-3).
pub const VERSION: u8 = 0x01;
/// The spec version these types implement.
pub const SPEC_VERSION: &str = "paycode v1";
