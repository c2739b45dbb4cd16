//! Encodings: payloads, numeric digits, credentials, lists and log records.

use super::{Ran, hex, seed, unhex, unhex_n, valid};
use crate::errors::InputError;
use crate::format::*;
use paycode::code::{Ed25519Code, HmacCode};
use paycode::credential::{Credential, CredentialFields};
use paycode::hazmat::eddsa::{PublicKey, SecretKey};
use paycode::log::LogRecord;
use paycode::numeric::NumericCode;
use paycode::revocation::{ListHeader, RevocationList};
use paycode::trust::{TrustEntry, TrustHeader, TrustList};
use paycode::{BatchTerms, Challenge, Code, Error, Issuer, Mode};

/// The core's mode for a vector's `mode` and `cap`.
pub(super) fn mode_of(mode: ModeName, cap: Option<u32>) -> Result<Mode, InputError> {
    match (mode, cap) {
        (ModeName::OneWay, None) => Ok(Mode::OneWay),
        (ModeName::Capped, Some(cap)) => Ok(Mode::Capped(cap)),
        (ModeName::Challenge, None) => Ok(Mode::Challenge),
        _ => Err(InputError::Mode),
    }
}

fn decoded_credential(credential: &Credential) -> DecodedCredential {
    let fields = credential.fields();
    DecodedCredential {
        key_id: fields.key_id,
        serial: fields.serial,
        device_key: hex(&fields.device_key),
        not_before: fields.not_before,
        lifetime: fields.lifetime,
        per_payment_limit: fields.per_payment_limit,
        cumulative_limit: fields.cumulative_limit,
        issuer_signature: hex(credential.as_bytes().get(62..).unwrap_or_default()),
    }
}

pub(super) fn hmac_code_encode(input: HmacCodeEncodeInput) -> Ran<PayloadExpected, NoIntermediates> {
    let mode = mode_of(input.mode, input.cap)?;
    let code = HmacCode::new(unhex_n(&input.handle)?, input.step, input.masked_counter, unhex_n(&input.tag)?)
        .with_mode(mode);
    valid(PayloadExpected { result: Outcome::Valid, payload: hex(&code.encode()), text: code.to_qr_text() })
}

pub(super) fn numeric_encode(input: NumericEncodeInput) -> Ran<DigitsExpected, NoIntermediates> {
    if input.tag29 >= 1 << 29 {
        return Err(InputError::Tag29(input.tag29));
    }
    if input.handle30 >= 1 << 30 {
        return Err(InputError::Handle30(input.handle30));
    }
    // spec: R-HMAC-2, R-HANDLE-2 (bit layout)
    let value = u128::from(input.handle30) << 49
        | u128::from(input.step & 0xf) << 45
        | u128::from(input.masked16) << 29
        | u128::from(input.tag29);
    let digits = format!("{value:024}");
    let back = NumericCode::parse(&digits).map_err(|_| InputError::NumericRoundTrip)?;
    if back.value() != value {
        return Err(InputError::NumericRoundTrip);
    }
    valid(DigitsExpected { result: Outcome::Valid, error: None, digits: Some(digits) })
}

pub(super) fn ed25519_code_encode(input: Ed25519CodeEncodeInput) -> Ran<PayloadExpected, NoIntermediates> {
    let mode = mode_of(input.mode, input.cap)?;
    let credential =
        Credential::decode(&unhex_n::<{ paycode::credential::CREDENTIAL_LEN }>(&input.credential)?)
            .map_err(InputError::Payload)?;
    let head = Ed25519Code::unsigned_in(input.step, input.counter, mode, &credential);
    let code = Ed25519Code::assemble(&head, &unhex_n::<64>(&input.device_signature)?)
        .map_err(InputError::Payload)?;
    valid(PayloadExpected { result: Outcome::Valid, payload: hex(code.encode()), text: code.to_qr_text() })
}

fn decoded_code(decoded: &Code) -> DecodedCode {
    match decoded {
        Code::Hmac(code) => DecodedCode::HmacQr {
            mode: ModeName::of(code.mode()),
            cap: code.mode().cap(),
            handle: hex(&code.handle()),
            step: code.step(),
            masked_counter: code.masked_counter(),
            tag: hex(code.tag()),
        },
        Code::Numeric(code) => DecodedCode::HmacNumeric {
            handle30: code.handle30(),
            step_low: code.step_low(),
            masked16: code.masked_counter(),
            tag29: code.tag(),
        },
        Code::Ed25519(code) => DecodedCode::Ed25519Qr {
            mode: ModeName::of(code.mode()),
            cap: code.mode().cap(),
            step: code.step(),
            counter: code.counter(),
            credential: decoded_credential(code.credential()),
            device_signature: hex(&code.signature()),
        },
    }
}

pub(super) fn code_decode(input: TextInput) -> Ran<CodeDecodeExpected, NoIntermediates> {
    valid(match Code::parse(&input.text) {
        Ok(code) => {
            CodeDecodeExpected { result: Outcome::Valid, error: None, code: Some(decoded_code(&code)) }
        }
        Err(e) => CodeDecodeExpected { result: Outcome::Invalid, error: Some(e), code: None },
    })
}

pub(super) fn challenge_encode(input: ChallengeFields) -> Ran<ChallengeExpected, NoIntermediates> {
    let c = Challenge::new(input.terminal_id, input.amount, input.issued_at, unhex_n(&input.nonce)?);
    valid(ChallengeExpected {
        result: Outcome::Valid,
        bytes: hex(&c.encode()),
        text: c.to_qr_text(),
        digest: hex(&c.digest()),
    })
}

pub(super) fn challenge_decode(input: TextInput) -> Ran<ChallengeDecodeExpected, NoIntermediates> {
    valid(match Challenge::parse(&input.text) {
        Ok(c) => ChallengeDecodeExpected {
            result: Outcome::Valid,
            error: None,
            challenge: Some(ChallengeFields {
                terminal_id: c.terminal_id(),
                amount: c.amount(),
                issued_at: c.issued_at(),
                nonce: hex(c.nonce()),
            }),
        },
        Err(e) => ChallengeDecodeExpected { result: Outcome::Invalid, error: Some(e), challenge: None },
    })
}

pub(super) fn credential_issue(
    input: CredentialIssueInput,
) -> Ran<CredentialIssueExpected, SigningIntermediates> {
    let issuer_key = SecretKey::from_secret(&unhex_n(&input.issuer_secret)?);
    let fields = CredentialFields {
        key_id: input.key_id,
        serial: input.serial,
        device_key: unhex_n(&input.device_key)?,
        not_before: input.not_before,
        lifetime: input.lifetime,
        per_payment_limit: input.per_payment_limit,
        cumulative_limit: input.cumulative_limit,
    };
    let credential = Credential::issue(fields, &issuer_key);
    // spec: R-ED-4. The op has no key validity, so only the credential's own
    // consistency is checked: the key period is taken as every time there is.
    let issuer_public = PublicKey::from_bytes(&issuer_key.public_bytes()).ok_or(InputError::PublicKey)?;
    if let Err(e) = credential.check(&issuer_public, 0, u64::MAX) {
        return Ok((
            CredentialIssueExpected { result: Outcome::Invalid, error: Some(e), credential: None },
            None,
        ));
    }
    Ok((
        CredentialIssueExpected {
            result: Outcome::Valid,
            error: None,
            credential: Some(hex(credential.as_bytes())),
        },
        Some(SigningIntermediates {
            public_key: hex(&issuer_key.public_bytes()),
            signing_input: hex(&credential.signing_input()),
            signature: hex(credential.as_bytes().get(62..).unwrap_or_default()),
        }),
    ))
}

pub(super) fn credential_batch_issue(
    input: BatchIssueInput,
) -> Ran<BatchIssueExpected, BatchIssueIntermediates> {
    let issuer = Issuer::from_seed(&seed(&input.issuer_seed)?);
    let terms = BatchTerms {
        key_id: input.key_id,
        not_before: input.not_before,
        lifetime: input.lifetime,
        per_payment_limit: input.per_payment_limit,
        cumulative_limit: input.cumulative_limit,
        payer_limit: input.payer_limit,
    };
    let device_keys = input.device_keys.iter().map(|k| unhex_n::<32>(k)).collect::<Result<Vec<_>, _>>()?;
    if input.serials.len() != device_keys.len() {
        return Err(InputError::SerialCount { keys: device_keys.len(), serials: input.serials.len() });
    }
    // spec §7.1 steps 2 to 4, R-BATCH-2, R-BATCH-3: a refusal carries bad-credential.
    match issuer.issue_batch_with_serials(&terms, &device_keys, &input.serials) {
        Ok(batch) => Ok((
            BatchIssueExpected {
                result: Outcome::Valid,
                error: None,
                credentials: Some(batch.iter().map(|c| hex(c.as_bytes())).collect()),
            },
            Some(BatchIssueIntermediates {
                public_key: hex(&issuer.key(input.key_id).public_bytes()),
                not_before: terms.aligned_not_before(),
            }),
        )),
        Err(_) => Ok((
            BatchIssueExpected {
                result: Outcome::Invalid,
                error: Some(Error::BadCredential),
                credentials: None,
            },
            None,
        )),
    }
}

pub(super) fn credential_decode(input: BytesInput) -> Ran<CredentialDecodeExpected, NoIntermediates> {
    valid(match Credential::decode(&unhex(&input.bytes)?) {
        Ok(credential) => CredentialDecodeExpected {
            result: Outcome::Valid,
            error: None,
            credential: Some(decoded_credential(&credential)),
        },
        Err(e) => CredentialDecodeExpected { result: Outcome::Invalid, error: Some(e), credential: None },
    })
}

fn trust_entries(list: &TrustList) -> Vec<TrustListEntry> {
    list.entries()
        .iter()
        .map(|entry| TrustListEntry {
            key_id: entry.key_id,
            not_before: entry.not_before,
            not_after: entry.not_after,
            public_key: hex(&entry.key.to_bytes()),
        })
        .collect()
}

pub(super) fn trust_list_encode(input: TrustListEncodeInput) -> Ran<BytesExpected, NoIntermediates> {
    let entries = input
        .entries
        .iter()
        .map(|entry| {
            let key = PublicKey::from_bytes(&unhex_n(&entry.public_key)?).ok_or(InputError::PublicKey)?;
            Ok(TrustEntry {
                key_id: entry.key_id,
                not_before: entry.not_before,
                not_after: entry.not_after,
                key,
            })
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    let root = SecretKey::from_secret(&unhex_n(&input.root_secret)?);
    let header = TrustHeader { sequence: input.sequence, issued_at: input.issued_at };
    let list = TrustList::issue(header, &root, entries).map_err(InputError::TrustList)?;
    valid(BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&list.encode())) })
}

pub(super) fn trust_list_decode(input: BytesInput) -> Ran<TrustListDecodeExpected, NoIntermediates> {
    valid(match TrustList::decode(&unhex(&input.bytes)?) {
        Ok(list) => TrustListDecodeExpected {
            result: Outcome::Valid,
            error: None,
            sequence: Some(list.sequence()),
            issued_at: Some(list.issued_at()),
            entries: Some(trust_entries(&list)),
        },
        Err(e) => TrustListDecodeExpected {
            result: Outcome::Invalid,
            error: Some(e),
            sequence: None,
            issued_at: None,
            entries: None,
        },
    })
}

pub(super) fn revocation_list_issue(input: RevocationIssueInput) -> Ran<BytesExpected, SigningIntermediates> {
    let issuer_key = SecretKey::from_secret(&unhex_n(&input.issuer_secret)?);
    let header = ListHeader {
        key_id: input.key_id,
        number: input.number,
        issued_at: input.issued_at,
        next_update: input.next_update,
        grace: input.grace,
    };
    let list = match RevocationList::issue(header, &issuer_key, input.serials) {
        Ok(list) => list,
        Err(e) => return Ok((BytesExpected { result: Outcome::Invalid, error: Some(e), bytes: None }, None)),
    };
    let bytes = list.encode();
    let signature_at = bytes.len().saturating_sub(64);
    Ok((
        BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&bytes)) },
        Some(SigningIntermediates {
            public_key: hex(&issuer_key.public_bytes()),
            signing_input: hex(&list.signing_input()),
            signature: hex(bytes.get(signature_at..).unwrap_or_default()),
        }),
    ))
}

pub(super) fn revocation_list_decode(input: BytesInput) -> Ran<RevocationDecodeExpected, NoIntermediates> {
    valid(match RevocationList::decode(&unhex(&input.bytes)?) {
        Ok(list) => {
            let bytes = list.encode();
            let signature_at = bytes.len().saturating_sub(64);
            RevocationDecodeExpected {
                result: Outcome::Valid,
                error: None,
                list: Some(DecodedRevocationList {
                    key_id: list.key_id(),
                    number: list.number(),
                    issued_at: list.issued_at(),
                    next_update: list.next_update(),
                    grace: list.grace(),
                    serials: list.serials().to_vec(),
                    signature: hex(bytes.get(signature_at..).unwrap_or_default()),
                }),
            }
        }
        Err(e) => RevocationDecodeExpected { result: Outcome::Invalid, error: Some(e), list: None },
    })
}

pub(super) fn log_record_encode(input: LogRecord) -> Ran<BytesExpected, NoIntermediates> {
    valid(BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&input.encode())) })
}

pub(super) fn log_decode(input: BytesInput) -> Ran<LogDecodeExpected, NoIntermediates> {
    valid(match LogRecord::decode_log(&unhex(&input.bytes)?) {
        Ok(records) => LogDecodeExpected { result: Outcome::Valid, error: None, records: Some(records) },
        Err(e) => LogDecodeExpected { result: Outcome::Invalid, error: Some(e), records: None },
    })
}
