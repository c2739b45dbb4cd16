//! Seeds and HKDF-SHA256 key derivation (spec §3).

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// HKDF-Extract salt, shared by every derivation (spec: R-KEY-2).
pub const HKDF_SALT: &[u8] = b"paycode v3";
/// HKDF info label of the hmac profile's QR MAC key; followed by the account id.
pub const LABEL_HMAC_QR_KEY: &[u8] = b"paycode/v3/hmac/qr-key\0";
/// HKDF info label of the hmac profile's numeric MAC key; followed by the account id.
pub const LABEL_HMAC_NUMERIC_KEY: &[u8] = b"paycode/v3/hmac/numeric-key\0";
/// HKDF info label of the hmac profile's handle key `K_h`; followed by the account id.
pub const LABEL_HMAC_HANDLE_KEY: &[u8] = b"paycode/v3/hmac/handle-key\0";
/// HKDF info label of a wallet's Ed25519 device key.
pub const LABEL_DEVICE_KEY: &[u8] = b"paycode/v3/ed25519/device-key\0";
/// HKDF info label of an issuer's Ed25519 key; followed by the key id.
pub const LABEL_ISSUER_KEY: &[u8] = b"paycode/v3/ed25519/issuer-key\0";
/// HKDF info label of an issuer's Ed25519 root key, which signs trust lists only.
pub const LABEL_ROOT_KEY: &[u8] = b"paycode/v3/ed25519/root-key\0";

/// A 32-byte secret seed: the hmac account secret shared by wallet and issuer,
/// an ed25519 wallet's device secret, or an issuer's key secret (spec: R-KEY-1).
///
/// Zeroized on drop; `Debug` never shows it.
///
/// ```
/// let seed = paycode::Seed::from_bytes(&[7; 32]);
/// assert_eq!(format!("{seed:?}"), "Seed { .. }");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Seed([u8; 32]);

impl Seed {
    /// The seed with these bytes.
    pub const fn from_bytes(bytes: &[u8; 32]) -> Seed {
        Seed(*bytes)
    }

    /// A fresh seed from the operating system's CSPRNG (spec: R-KEY-1).
    ///
    /// # Errors
    ///
    /// The operating system could not provide random bytes.
    pub fn random() -> Result<Seed, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let seed = Seed(bytes);
        bytes.zeroize();
        Ok(seed)
    }

    /// The seed's bytes, for export to a key file.
    pub const fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl TryFrom<&[u8]> for Seed {
    type Error = core::array::TryFromSliceError;

    fn try_from(bytes: &[u8]) -> Result<Seed, Self::Error> {
        <[u8; 32]>::try_from(bytes).map(Seed)
    }
}

impl core::fmt::Debug for Seed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Seed").finish_non_exhaustive()
    }
}

/// A 32-byte derived key. Zeroized on drop; `Debug` never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DerivedKey([u8; 32]);

impl DerivedKey {
    /// The key's bytes (vectors and worked examples print them).
    pub const fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl core::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DerivedKey").finish_non_exhaustive()
    }
}

/// HKDF-SHA256 with the protocol salt: `HKDF-Expand(HKDF-Extract(salt, seed), label || context, 32)`.
///
/// ```
/// let seed = paycode::Seed::from_bytes(&[0; 32]);
/// use paycode::hazmat::keys::{LABEL_DEVICE_KEY, LABEL_ISSUER_KEY, derive};
/// let a = derive(&seed, LABEL_DEVICE_KEY, &[]);
/// let b = derive(&seed, LABEL_ISSUER_KEY, &[0, 0, 0, 1]);
/// assert_ne!(a.expose(), b.expose());
/// ```
pub fn derive(seed: &Seed, label: &[u8], context: &[u8]) -> DerivedKey {
    // spec: R-KEY-2
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &seed.0);
    let mut okm = [0u8; 32];
    // 32 bytes is far below HKDF's 255 * 32 limit, so expand cannot fail.
    let _ = hk.expand_multi_info(&[label, context], &mut okm);
    let key = DerivedKey(okm);
    okm.zeroize();
    key
}

/// The HKDF pseudorandom key `HKDF-Extract(salt, seed)` (for worked examples and vectors).
pub fn prk(seed: &Seed) -> DerivedKey {
    let mut mac = keyed(HKDF_SALT);
    mac.update(&seed.0);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    let key = DerivedKey(out);
    out.zeroize();
    key
}

/// The keys of an hmac account: the MAC keys `K_qr` and `K_num`, and the
/// handle key `K_h` (spec: R-KEY-2, R-KEY-3, R-HANDLE-1).
#[derive(Clone)]
pub struct HmacKeys {
    account_id: u64,
    qr: Hmac<Sha256>,
    numeric: Hmac<Sha256>,
    handle: HandleKey,
}

/// An hmac account's handle key `K_h`, as a keyed HMAC-SHA256 state
/// (spec: R-HANDLE-1). The state zeroizes on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct HandleKey(Hmac<Sha256>);

impl HandleKey {
    /// Derives `K_h = HKDF(seed, LABEL_HMAC_HANDLE_KEY || u64(account_id))`.
    pub fn derive(account_id: u64, seed: &Seed) -> HandleKey {
        let key = derive(seed, LABEL_HMAC_HANDLE_KEY, &account_id.to_be_bytes());
        HandleKey(keyed(key.expose()))
    }

    /// HMAC-SHA256 under `K_h` of `input` (its length known when compiling).
    #[inline]
    pub fn mac<const N: usize>(&self, input: &[u8; N]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(input);
        mac.finalize().into_bytes().into()
    }
}

impl core::fmt::Debug for HandleKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HandleKey").finish_non_exhaustive()
    }
}

impl HmacKeys {
    /// Derives the keys of `account_id` from its seed.
    pub fn derive(account_id: u64, seed: &Seed) -> HmacKeys {
        let id = account_id.to_be_bytes();
        let qr = derive(seed, LABEL_HMAC_QR_KEY, &id);
        let numeric = derive(seed, LABEL_HMAC_NUMERIC_KEY, &id);
        HmacKeys {
            account_id,
            qr: keyed(qr.expose()),
            numeric: keyed(numeric.expose()),
            handle: HandleKey::derive(account_id, seed),
        }
    }

    /// The account's handle key `K_h` (spec: R-HANDLE-1).
    pub const fn handle_key(&self) -> &HandleKey {
        &self.handle
    }

    /// The account these keys belong to.
    pub const fn account_id(&self) -> u64 {
        self.account_id
    }

    /// HMAC-SHA256 under `K_qr` of `parts` concatenated; the keyed state is
    /// precomputed, so this costs the MAC alone.
    pub fn mac_qr(&self, parts: &[&[u8]]) -> [u8; 32] {
        run(&self.qr, parts)
    }

    /// HMAC-SHA256 under `K_qr` of `input`: as [`HmacKeys::mac_qr`], with
    /// the length known when compiling, so the copy into the hash's block
    /// buffer is inlined rather than a call per part (the verifier's path).
    #[inline]
    pub(crate) fn mac_qr_array<const N: usize>(&self, input: &[u8; N]) -> [u8; 32] {
        let mut mac = self.qr.clone();
        mac.update(input);
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA256 under `K_num` of `input` (its length known when compiling, as above).
    #[inline]
    pub(crate) fn mac_numeric<const N: usize>(&self, input: &[u8; N]) -> [u8; 32] {
        let mut mac = self.numeric.clone();
        mac.update(input);
        mac.finalize().into_bytes().into()
    }
}

impl core::fmt::Debug for HmacKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HmacKeys").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so the fallback is never used.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()))
}

fn run(state: &Hmac<Sha256>, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = state.clone();
    for p in parts {
        mac.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    // RFC 5869 Appendix A.1 (test case 1), checked through the same HKDF the
    // derivation uses.
    #[test]
    fn hkdf_rfc5869_case1() {
        let ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        let salt = hex("000102030405060708090a0b0c");
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        let hk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
        let mut okm = [0u8; 42];
        hk.expand(&info, &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
    }

    #[test]
    fn labels_separate_keys() {
        let seed = Seed::from_bytes(&[1; 32]);
        let a = derive(&seed, LABEL_HMAC_QR_KEY, &1u64.to_be_bytes());
        let b = derive(&seed, LABEL_HMAC_NUMERIC_KEY, &1u64.to_be_bytes());
        let c = derive(&seed, LABEL_HMAC_QR_KEY, &2u64.to_be_bytes());
        let h = derive(&seed, LABEL_HMAC_HANDLE_KEY, &1u64.to_be_bytes());
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), c.expose());
        assert_ne!(h.expose(), a.expose());
        assert_ne!(h.expose(), b.expose());
        // prk is HKDF-Extract: expanding it by hand gives the same key.
        let p = prk(&seed);
        let hk = Hkdf::<Sha256>::from_prk(p.expose()).unwrap();
        let mut okm = [0u8; 32];
        hk.expand_multi_info(&[LABEL_HMAC_QR_KEY, &1u64.to_be_bytes()], &mut okm).unwrap();
        assert_eq!(&okm, a.expose());
    }

    #[test]
    fn debug_redacts() {
        let seed = Seed::from_bytes(&[0xab; 32]);
        let keys = HmacKeys::derive(5, &seed);
        let s = format!("{seed:?} {keys:?} {:?}", derive(&seed, LABEL_DEVICE_KEY, &[]));
        assert!(!s.to_lowercase().contains("ab, ") && !s.contains("171"));
        assert!(s.contains("account_id: 5"));
    }
}
