//! Hashing of 64-bit identities for the replay tables.

use std::hash::{BuildHasher, Hasher};

/// Hashing of 64-bit identities (account ids, serials) for the verifier's
/// tables: one 64x64-bit multiply, folded, under a random per-table key.
///
/// Not a keyed PRF like SipHash: it needs none, because every key a table
/// stores is an enrolled account or the serial of a credential whose issuer
/// signature verified, never a value an attacker picks. The random key only
/// keeps issuers' id patterns from lining up with the table layout.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdHashing {
    key: u64,
}

impl IdHashing {
    /// A fresh key from the operating system's CSPRNG, or a fixed one if that fails.
    pub(crate) fn random() -> IdHashing {
        let mut bytes = [0u8; 8];
        let key = match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => 0x243f_6a88_85a3_08d3,
        };
        IdHashing { key }
    }

    /// Another, unrelated hashing.
    pub(crate) const fn derived(self) -> IdHashing {
        IdHashing { key: self.key ^ 0x5851_f42d_4c95_7f2d }
    }

    /// The hash of `id`: all 64 bits depend on every bit of `id`.
    pub(crate) const fn hash(self, id: u64) -> u64 {
        let m = (id ^ self.key) as u128 * 0x9e37_79b9_7f4a_7c15_u128;
        (m as u64) ^ ((m >> 64) as u64)
    }
}

impl BuildHasher for IdHashing {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher { hashing: *self, state: 0 }
    }
}

/// The [`Hasher`] of [`IdHashing`]; tables hash only `u64` keys.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdHasher {
    hashing: IdHashing,
    state: u64,
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.state
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word.iter_mut().zip(chunk).for_each(|(w, b)| *w = *b);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.state = self.hashing.hash(self.state.rotate_left(23) ^ n);
    }
}
