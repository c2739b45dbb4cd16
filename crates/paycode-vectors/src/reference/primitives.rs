//! Primitives, parameters and key derivation.

use hkdf::Hkdf;
use sha2::Sha256;

use super::{Ran, hex, mac, outcome, params, seed, unhex, unhex_n, valid};
use crate::curve;
use crate::errors::InputError;
use crate::format::*;
use paycode::Error;
use paycode::hazmat::eddsa::{PublicKey, SecretKey, Signed, point_is_valid, verify_batch, verify_each};
use paycode::hazmat::handle::StepHandle;
use paycode::hazmat::keys::{self, HandleKey};

pub(super) fn hmac_sha256(input: MacInput) -> Ran<MacExpected, NoIntermediates> {
    let full_mac = mac(&unhex(&input.key)?, &[&unhex(&input.message)?])?;
    valid(MacExpected { result: Outcome::Valid, mac: hex(&full_mac) })
}

pub(super) fn hkdf_sha256(input: HkdfInput) -> Ran<HkdfExpected, NoIntermediates> {
    let (prk, hk) = Hkdf::<Sha256>::extract(Some(&unhex(&input.salt)?), &unhex(&input.ikm)?);
    let mut okm = vec![0u8; usize::from(input.length)];
    hk.expand(&unhex(&input.info)?, &mut okm).map_err(|_| InputError::HkdfLength(input.length))?;
    valid(HkdfExpected { result: Outcome::Valid, prk: hex(&prk), okm: hex(&okm) })
}

pub(super) fn ed25519_sign(input: SignInput) -> Ran<SignExpected, NoIntermediates> {
    let key = SecretKey::from_secret(&unhex_n(&input.secret)?);
    let signature = key.sign(&unhex(&input.message)?);
    valid(SignExpected {
        result: Outcome::Valid,
        public_key: hex(&key.public_bytes()),
        signature: hex(&signature),
    })
}

pub(super) fn ed25519_verify(input: SigVerifyInput) -> Ran<ValidityExpected, SigVerifyIntermediates> {
    let public_key = unhex_n::<32>(&input.public_key)?;
    let signature = unhex_n::<64>(&input.signature)?;
    let message = unhex(&input.message)?;
    let key = PublicKey::from_bytes(&public_key);
    let valid = key.as_ref().is_some_and(|key| key.verify(&message, &signature));
    // spec: R-ED-6: a batch that holds this signature gives it the single check's verdict.
    if let Some(key) = &key
        && !batch_agrees(key, &message, &signature, valid)
    {
        return Err(InputError::BatchDisagrees);
    }
    let facts = curve::signature_facts(&public_key, &message, &signature);
    Ok((ValidityExpected { result: outcome(valid) }, Some(facts)))
}

/// Whether the batch checks give `signature` the verdict `valid` when it is
/// batched with a valid signature of another key: [`verify_each`] names it
/// alone, and [`verify_batch`] holds exactly when it is valid.
fn batch_agrees(key: &PublicKey, message: &[u8], signature: &[u8; 64], valid: bool) -> bool {
    let other = SecretKey::from_secret(&[0x5a; 32]);
    let Some(other_key) = PublicKey::from_bytes(&other.public_bytes()) else { return false };
    let other_signature = other.sign(b"a valid signature beside the case's");
    let items = [
        Signed { key, message, signature },
        Signed {
            key: &other_key,
            message: b"a valid signature beside the case's",
            signature: &other_signature,
        },
    ];
    verify_each(&items) == [valid, true] && verify_batch(&items) == valid
}

pub(super) fn ed25519_point(input: PointInput) -> Ran<ValidityExpected, PointIntermediates> {
    let point = unhex_n::<32>(&input.point)?;
    Ok((ValidityExpected { result: outcome(point_is_valid(&point)) }, Some(curve::point_facts(&point))))
}

pub(super) fn base45_encode(input: BytesInput) -> Ran<TextExpected, NoIntermediates> {
    valid(TextExpected {
        result: Outcome::Valid,
        text: paycode::hazmat::base45::encode(&unhex(&input.bytes)?),
    })
}

pub(super) fn base45_decode(input: TextInput) -> Ran<BytesExpected, NoIntermediates> {
    valid(match paycode::hazmat::base45::decode(&input.text) {
        Ok(b) => BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&b)) },
        Err(_) => BytesExpected { result: Outcome::Invalid, error: Some(Error::Malformed), bytes: None },
    })
}

pub(super) fn params_check(input: TimeParams) -> Ran<ValidityExpected, NoIntermediates> {
    valid(ValidityExpected { result: outcome(params(&input).is_ok()) })
}

pub(super) fn derive_key(input: DeriveInput) -> Ran<DeriveExpected, DeriveIntermediates> {
    let seed = seed(&input.seed)?;
    let (label, context) = match (input.purpose, input.account_id, input.key_id, input.key_index) {
        (Purpose::HmacQr, Some(a), None, None) => (keys::LABEL_HMAC_QR_KEY, a.to_be_bytes().to_vec()),
        (Purpose::HmacNumeric, Some(a), None, None) => {
            (keys::LABEL_HMAC_NUMERIC_KEY, a.to_be_bytes().to_vec())
        }
        (Purpose::HmacHandle, Some(a), None, None) => (keys::LABEL_HMAC_HANDLE_KEY, a.to_be_bytes().to_vec()),
        // spec: R-BATCH-1
        (Purpose::Ed25519Device, None, None, Some(i)) => (keys::LABEL_DEVICE_KEY, i.to_be_bytes().to_vec()),
        (Purpose::Ed25519Issuer, None, Some(k), None) => (keys::LABEL_ISSUER_KEY, k.to_be_bytes().to_vec()),
        (Purpose::Ed25519Root, None, None, None) => (keys::LABEL_ROOT_KEY, Vec::new()),
        _ => return Err(InputError::DerivePurpose),
    };
    let key = keys::derive(&seed, label, &context);
    let public_key = match input.purpose {
        Purpose::Ed25519Device | Purpose::Ed25519Issuer | Purpose::Ed25519Root => {
            Some(hex(&SecretKey::from_secret(key.expose()).public_bytes()))
        }
        Purpose::HmacQr | Purpose::HmacNumeric | Purpose::HmacHandle => None,
    };
    Ok((
        DeriveExpected { result: Outcome::Valid, key: hex(key.expose()), public_key },
        Some(DeriveIntermediates {
            salt: hex(keys::HKDF_SALT),
            prk: hex(keys::prk(&seed).expose()),
            info: hex(&[label, &context].concat()),
        }),
    ))
}

pub(super) fn hmac_handle(input: HandleInput) -> Ran<HandleExpected, NoIntermediates> {
    let seed = seed(&input.seed)?;
    // spec: R-HANDLE-1, computed from K_h and the MAC directly.
    let k_h = keys::derive(&seed, keys::LABEL_HMAC_HANDLE_KEY, &input.account_id.to_be_bytes());
    let h = mac(k_h.expose(), &[&paycode::hazmat::handle::mac_input(input.step)])?;
    let handle = StepHandle::derive(&HandleKey::derive(input.account_id, &seed), input.step);
    if h.get(..8) != Some(&handle.bytes()[..]) {
        return Err(InputError::IntermediatesDisagree);
    }
    valid(HandleExpected {
        result: Outcome::Valid,
        handle: hex(&handle.bytes()),
        handle30: handle.handle30(),
        pad: handle.pad(),
        pad16: handle.pad16(),
    })
}
