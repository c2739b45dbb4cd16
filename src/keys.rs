//! Seeds and HKDF-SHA256 key derivation (spec §3).

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sha2::block_api::compress256;
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
    qr: MacKey,
    numeric: MacKey,
    handle: HandleKey,
}

/// An hmac account's handle key `K_h`, as a keyed HMAC-SHA256 state
/// (spec: R-HANDLE-1). The state zeroizes on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct HandleKey(MacKey);

impl HandleKey {
    /// Derives `K_h = HKDF(seed, LABEL_HMAC_HANDLE_KEY || u64(account_id))`.
    pub fn derive(account_id: u64, seed: &Seed) -> HandleKey {
        let key = derive(seed, LABEL_HMAC_HANDLE_KEY, &account_id.to_be_bytes());
        HandleKey(MacKey::new(key.expose()))
    }

    /// HMAC-SHA256 under `K_h` of `input` (its length known when compiling).
    #[inline]
    pub fn mac<const N: usize>(&self, input: &[u8; N]) -> [u8; 32] {
        self.0.mac_array(input)
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
            qr: MacKey::new(qr.expose()),
            numeric: MacKey::new(numeric.expose()),
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
        self.qr.mac(parts)
    }

    /// HMAC-SHA256 under `K_qr` of `input`: as [`HmacKeys::mac_qr`], with
    /// the length known when compiling, so that the padding is laid out
    /// when compiling too (the verifier's path).
    #[inline]
    pub(crate) fn mac_qr_array<const N: usize>(&self, input: &[u8; N]) -> [u8; 32] {
        self.qr.mac_array(input)
    }

    /// HMAC-SHA256 under `K_num` of `input` (its length known when compiling, as above).
    #[inline]
    pub(crate) fn mac_numeric<const N: usize>(&self, input: &[u8; N]) -> [u8; 32] {
        self.numeric.mac_array(input)
    }
}

impl core::fmt::Debug for HmacKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HmacKeys").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

/// An HMAC-SHA256 key (RFC 2104) of 32 bytes, kept as the two SHA-256
/// chaining values after its inner and outer pad blocks. A MAC then costs
/// the compressions of its message and of the outer block and nothing else:
/// no hasher state is copied, buffered or zeroized per call. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct MacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl MacKey {
    fn new(key: &[u8; 32]) -> MacKey {
        // RFC 2104: the key padded with zeros to the block, XOR ipad and opad.
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for ((i, o), k) in ipad.iter_mut().zip(opad.iter_mut()).zip(key) {
            *i ^= k;
            *o ^= k;
        }
        let mut mac = MacKey { inner: SHA256_IV, outer: SHA256_IV };
        compress256(&mut mac.inner, &[ipad]);
        compress256(&mut mac.outer, &[opad]);
        ipad.zeroize();
        opad.zeroize();
        mac
    }

    /// HMAC-SHA256 of `parts` concatenated.
    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut inner = self.inner;
        sha256_tail(&mut inner, parts);
        self.outer(&inner)
    }

    /// HMAC-SHA256 of `input`, whose length is known when compiling: its
    /// padding is laid out when compiling too, with no copy of a length
    /// known only when running.
    #[inline]
    fn mac_array<const N: usize>(&self, input: &[u8; N]) -> [u8; 32] {
        let mut inner = self.inner;
        let (blocks, tail) = input.as_chunks::<64>();
        compress256(&mut inner, blocks);
        let mut block = [0u8; 64];
        if let Some((head, rest)) = block.split_at_mut_checked(tail.len()) {
            head.copy_from_slice(tail);
            if let Some(b) = rest.first_mut() {
                *b = 0x80;
            }
        }
        finish(&mut inner, block, tail.len(), 64 + N as u64);
        self.outer(&inner)
    }

    /// The outer hash over the inner hash whose chaining value is `inner`.
    #[inline]
    fn outer(&self, inner: &[u32; 8]) -> [u8; 32] {
        // The inner digest, 0x80, zeros, and the length: (64 + 32) * 8 bits.
        let mut block = [0u8; 64];
        if let Some((digest, rest)) = block.split_first_chunk_mut::<32>() {
            *digest = be_bytes(inner);
            if let Some(b) = rest.first_mut() {
                *b = 0x80;
            }
        }
        let mut outer = self.outer;
        finish(&mut outer, block, 32, 96);
        be_bytes(&outer)
    }
}

/// Hashes `parts` on from `state`, which has absorbed one block (a key's
/// pad block), through SHA-256's padding (FIPS 180-4 §5.1.1).
fn sha256_tail(state: &mut [u32; 8], parts: &[&[u8]]) {
    let mut block = [0u8; 64];
    let mut fill = 0usize;
    let mut len = 64u64;
    for part in parts {
        len += part.len() as u64;
        let mut rest = *part;
        while !rest.is_empty() {
            let (take, after) = rest.split_at(rest.len().min(64 - fill));
            if let Some(room) = block.get_mut(fill..fill + take.len()) {
                room.copy_from_slice(take);
            }
            fill += take.len();
            rest = after;
            if fill == 64 {
                compress256(state, &[block]);
                fill = 0;
            }
        }
    }
    if let Some((_, rest)) = block.split_at_mut_checked(fill) {
        rest.fill(0);
        if let Some(b) = rest.first_mut() {
            *b = 0x80;
        }
    }
    finish(state, block, fill, len);
}

/// The last block or two of a message of `len` bytes: `block` holds its
/// last `fill` bytes (fewer than 64) and the 0x80 after them, zeros after
/// that; the length in bits goes into its last 8 bytes, or into one more
/// block when fewer than 9 bytes are left in this one.
#[inline]
fn finish(state: &mut [u32; 8], mut block: [u8; 64], fill: usize, len: u64) {
    if fill >= 56 {
        compress256(state, &[block]);
        block = [0u8; 64];
    }
    if let Some(bits) = block.last_chunk_mut::<8>() {
        *bits = (len * 8).to_be_bytes();
    }
    compress256(state, &[block]);
}

/// A SHA-256 chaining value as the 32-byte digest.
#[inline]
fn be_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so the fallback is never used.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()))
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

    // RFC 4231 §4.2 and §4.3 (test cases 1 and 2): keys shorter than 32
    // bytes, zero-padded to 32, which HMAC's own padding makes the same key.
    #[test]
    fn mac_key_rfc4231() {
        let mut key = [0u8; 32];
        key[..20].fill(0x0b);
        assert_eq!(
            MacKey::new(&key).mac(&[b"Hi There"]).to_vec(),
            hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        assert_eq!(
            MacKey::new(&key).mac(&[b"what do ya ", b"want for nothing?"]).to_vec(),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
    }

    // Against the hmac crate, for every message length across the one-,
    // two- and three-block paddings, whole and split into parts.
    #[test]
    fn mac_key_matches_hmac_crate() {
        let key: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(5));
        let ours = MacKey::new(&key);
        let message: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..=message.len() {
            let m = &message[..len];
            let mut theirs = keyed(&key);
            theirs.update(m);
            let want: [u8; 32] = theirs.finalize().into_bytes().into();
            assert_eq!(ours.mac(&[m]), want, "length {len}");
            let (a, rest) = m.split_at(len / 3);
            let (b, c) = rest.split_at(rest.len() / 2);
            assert_eq!(ours.mac(&[a, b, &[], c]), want, "length {len} in parts");
        }
        // The lengths known when compiling: across one, two and three blocks.
        fn array<const N: usize>(ours: &MacKey, message: &[u8], key: &[u8; 32]) {
            let input: [u8; N] = message[..N].try_into().unwrap();
            let mut theirs = keyed(key);
            theirs.update(&input);
            let want: [u8; 32] = theirs.finalize().into_bytes().into();
            assert_eq!(ours.mac_array(&input), want, "length {N}");
        }
        array::<0>(&ours, &message, &key);
        array::<31>(&ours, &message, &key);
        array::<46>(&ours, &message, &key);
        array::<51>(&ours, &message, &key);
        array::<55>(&ours, &message, &key);
        array::<56>(&ours, &message, &key);
        array::<63>(&ours, &message, &key);
        array::<64>(&ours, &message, &key);
        array::<78>(&ours, &message, &key);
        array::<119>(&ours, &message, &key);
        array::<120>(&ours, &message, &key);
        array::<128>(&ours, &message, &key);
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
