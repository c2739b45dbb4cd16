//! Wallet generation of both profiles.

use super::{Ran, hex, mac, params, seed, unhex};
use crate::errors::InputError;
use crate::format::*;
use paycode::credential::Credential;
use paycode::hazmat::keys::{self, HmacKeys};
use paycode::numeric::NumericCode;
use paycode::{BatchCredential, Challenge, Ed25519Wallet, GenerateError, HmacWallet, Purpose};

/// The challenge of a generation input, decoded.
fn challenge_of(mode: ModeName, text: Option<&str>) -> Result<Option<Challenge>, InputError> {
    match (mode, text) {
        (ModeName::Challenge, Some(t)) => Challenge::parse(t).map(Some).map_err(|_| InputError::Mode),
        (_, None) => Ok(None),
        (_, Some(_)) => Err(InputError::Mode),
    }
}

/// The wallet's purpose for a generation input's `mode`, `cap` and challenge.
fn purpose_of(
    mode: ModeName,
    cap: Option<u32>,
    challenge: Option<&Challenge>,
) -> Result<Purpose<'_>, InputError> {
    match (mode, cap, challenge) {
        (ModeName::OneWay, None, None) => Ok(Purpose::OneWay),
        (ModeName::Capped, Some(cap), None) => Ok(Purpose::Capped(cap)),
        (ModeName::Challenge, None, Some(c)) => Ok(Purpose::Challenge(c)),
        _ => Err(InputError::Mode),
    }
}

/// The spec's wallet errors are answers; any other wallet error is no run of a vector.
fn wallet_error(e: GenerateError) -> Result<GenerateError, InputError> {
    match e {
        GenerateError::TimeBeforeEpoch | GenerateError::CounterExhausted => Ok(e),
        other => Err(InputError::Wallet(other)),
    }
}

pub(super) fn hmac_generate(
    input: HmacGenerateInput,
) -> Ran<HmacGenerateExpected, HmacGenerateIntermediates> {
    let seed = seed(&input.seed)?;
    let challenge = challenge_of(input.mode, input.challenge.as_deref())?;
    let purpose = purpose_of(input.mode, input.cap, challenge.as_ref())?;
    let mut wallet = HmacWallet::new(params(&input.params)?, input.account_id, &seed, input.counter);
    let code = match wallet.generate_for(input.time, purpose) {
        Ok(code) => code,
        Err(e) => {
            return Ok((
                HmacGenerateExpected {
                    result: Outcome::Invalid,
                    error: Some(wallet_error(e)?),
                    step: None,
                    payload: None,
                    text: None,
                    digits: None,
                    numeric_error: None,
                    next_counter: None,
                },
                None,
            ));
        }
    };
    let id = input.account_id.to_be_bytes();
    let k_qr = keys::derive(&seed, keys::LABEL_HMAC_QR_KEY, &id);
    let k_num = keys::derive(&seed, keys::LABEL_HMAC_NUMERIC_KEY, &id);
    let digest = purpose.digest();
    let mac_input = [paycode::code::DS_HMAC_QR, &code.maced(), &digest].concat();
    let full_mac = mac(k_qr.expose(), &[&mac_input])?;
    let numeric = wallet.numeric(&code);
    let (numeric_mac_input, numeric_mac, tag29) = match &numeric {
        Ok(digits) => {
            // spec: R-HANDLE-2: the MAC covers the real counter, which the code carries masked.
            let counter = code.masked_counter() ^ wallet.handle_for(code.step()).pad();
            let numeric_input = paycode::numeric::mac_input(input.account_id, code.step(), counter);
            let numeric_mac = mac(k_num.expose(), &[&numeric_input])?;
            (Some(hex(&numeric_input)), Some(hex(&numeric_mac)), Some(digits.tag()))
        }
        Err(_) => (None, None, None),
    };
    // The keys must give the same code as the wallet (guards the intermediates).
    let keys = HmacKeys::derive(input.account_id, &seed);
    if keys.mac_qr(&[&mac_input]) != full_mac || full_mac.get(..16) != Some(&code.tag()[..]) {
        return Err(InputError::IntermediatesDisagree);
    }
    Ok((
        HmacGenerateExpected {
            result: Outcome::Valid,
            error: None,
            step: Some(code.step()),
            payload: Some(hex(&code.encode())),
            text: Some(code.to_qr_text()),
            digits: numeric.as_ref().ok().map(NumericCode::to_digits),
            numeric_error: numeric.as_ref().err().copied(),
            next_counter: Some(wallet.next_counter()),
        },
        Some(HmacGenerateIntermediates {
            k_qr: hex(k_qr.expose()),
            k_num: hex(k_num.expose()),
            mac_input: hex(&mac_input),
            mac: hex(&full_mac),
            tag: hex(code.tag()),
            challenge_digest: challenge.map(|c| hex(&c.digest())),
            numeric_mac_input,
            numeric_mac,
            tag29,
        }),
    ))
}

pub(super) fn ed25519_generate(
    input: Ed25519GenerateInput,
) -> Ran<Ed25519GenerateExpected, Ed25519GenerateIntermediates> {
    let seed = seed(&input.device_seed)?;
    let challenge = challenge_of(input.mode, input.challenge.as_deref())?;
    let purpose = purpose_of(input.mode, input.cap, challenge.as_ref())?;
    let credential = Credential::decode(&unhex(&input.credential)?).map_err(InputError::Credential)?;
    let mut wallet = Ed25519Wallet::new(params(&input.params)?, &seed, 0, credential, input.counter)
        .map_err(InputError::Wallet)?;
    let code = match wallet.generate_for(input.time, purpose) {
        Ok(code) => code,
        Err(e) => {
            let error = Some(wallet_error(e)?);
            let expected = Ed25519GenerateExpected {
                result: Outcome::Invalid,
                error,
                step: None,
                payload: None,
                text: None,
                next_counter: None,
            };
            return Ok((expected, None));
        }
    };
    Ok((
        Ed25519GenerateExpected {
            result: Outcome::Valid,
            error: None,
            step: Some(code.step()),
            payload: Some(hex(code.encode())),
            text: Some(code.to_qr_text()),
            next_counter: Some(wallet.next_counter()),
        },
        Some(Ed25519GenerateIntermediates {
            public_key: hex(&Ed25519Wallet::device_public_key(&seed, 0)),
            signing_input: hex(&[code.signing_input(), purpose.digest()].concat()),
            signature: hex(&code.signature()),
            challenge_digest: challenge.map(|c| hex(&c.digest())),
        }),
    ))
}

pub(super) fn ed25519_batch_generate(
    input: Ed25519BatchGenerateInput,
) -> Ran<Ed25519BatchGenerateExpected, NoIntermediates> {
    let seed = seed(&input.device_seed)?;
    let mut batch = Vec::new();
    for slot in &input.batch {
        let credential = Credential::decode(&unhex(&slot.credential)?).map_err(InputError::Credential)?;
        batch.push(BatchCredential { index: slot.key_index, credential, next_counter: slot.next_counter });
    }
    let mut wallet =
        Ed25519Wallet::batch(params(&input.params)?, &seed, &batch).map_err(InputError::Wallet)?;
    let mut codes = Vec::new();
    for &time in &input.times {
        // spec: R-BATCH-4: the credential in turn, whose key index the batch names.
        let next = *wallet.credential();
        let key_index = input
            .batch
            .iter()
            .zip(&batch)
            .find(|(_, held)| held.credential == next)
            .map_or(0, |(slot, _)| slot.key_index);
        match wallet.generate(time) {
            Ok(code) => codes.push(BatchCode { key_index, counter: code.counter(), text: code.to_qr_text() }),
            Err(e) => {
                let expected = Ed25519BatchGenerateExpected {
                    result: Outcome::Invalid,
                    error: Some(wallet_error(e)?),
                    codes: None,
                };
                return Ok((expected, None));
            }
        }
    }
    Ok((Ed25519BatchGenerateExpected { result: Outcome::Valid, error: None, codes: Some(codes) }, None))
}
