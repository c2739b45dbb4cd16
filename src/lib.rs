#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The protocol, one concept per module, in layers: a module imports only
// from the layers above its own, so the module graph has no cycle.

// Errors, bytes and time, and a lock for what every verification reads.
pub mod codec;
mod errors;
mod profile;
mod shared;
mod time;

// Encodings and cryptography.
mod base45;
mod eddsa;
mod keys;

// The hmac profile's rotating handles and the verifier's index of them.
mod handle;

// The structures on the wire.
pub mod challenge;
pub mod credential;
pub mod numeric;

pub mod code;
pub mod log;
pub mod revocation;
pub mod trust;

// The verifier's state: the store's interface, the decision over one
// identity's records, and the in-memory store.
pub mod store;

pub mod acceptance;
pub mod replay;

pub mod memory;

// The roles.
pub mod issuer;
pub mod wallet;

pub mod verifier;

// Low-level pieces for test vectors, benchmarks and other implementations.
pub mod hazmat;

pub use challenge::{Challenge, UsedChallenge};
pub use code::{Code, Ed25519Code, HmacCode};
pub use credential::{Credential, CredentialFields};
pub use eddsa::PublicKey;
pub use errors::{
    Base45Error, BatchError, Error, GenerateError, HexError, InstallError, ParamsError, UnknownProfile,
};
pub use issuer::{BatchTerms, Issuer, KeyPeriod};
pub use keys::Seed;
pub use log::LogRecord;
pub use memory::MemoryStore;
pub use numeric::NumericCode;
pub use profile::{Mode, Profile, VERSION};
pub use revocation::{ListHeader, RevocationList};
pub use store::{StateStore, StoreError};
pub use time::Params;
pub use trust::{TrustEntry, TrustHeader, TrustList};
pub use verifier::{Acceptance, Payment, Rejection, TextPayment, Verifier, VerifierState};
pub use wallet::{BatchCredential, Ed25519Wallet, HmacWallet, Purpose};

/// The spec version these types implement.
pub const SPEC_VERSION: &str = "paycode v3";
