//! Runs the reference implementation on a case's input and returns what it
//! answers, in the vector format: the generator writes this as `expected`,
//! and the checker compares it with the committed `expected`.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::Sha256;

use super::edge;
use super::format::*;
use super::{VResult, VectorError};
use paycode::GenerateError;
use paycode::code::{Ed25519Code, HmacCode};
use paycode::codec::{from_hex, to_hex};
use paycode::credential::{Credential, CredentialFields};
use paycode::hazmat::eddsa::{PublicKey, SecretKey, point_is_valid};
use paycode::hazmat::keys::{self, HmacKeys};
use paycode::log::{LogRecord, reconcile as reconcile_logs};
use paycode::numeric::NumericCode;
use paycode::replay::{Snapshot, Spent, Window};
use paycode::revocation::RevocationList;
use paycode::trust::{TrustEntry, TrustList};
use paycode::verifier::VerifierState;
use paycode::{Code, Ed25519Wallet, Error, HmacWallet, Params, Profile, Seed, Verifier};

/// What the reference answers for one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Actual {
    /// The `expected` object.
    pub expected: Value,
    /// The `intermediates` object, for ops that have them.
    pub intermediates: Option<Value>,
}

macro_rules! ops {
    ($($op:ident => $f:ident: $in:ty, $ex:ty, $im:ty;)*) => {
        /// Runs the reference on `input` of `op`.
        ///
        /// # Errors
        ///
        /// The input does not have the op's type, or is inconsistent (such as a
        /// state that cannot be loaded).
        pub fn run(op: Op, input: &Value) -> VResult<Actual> {
            match op {
                $(Op::$op => go::<$in, $ex, $im>(input, $f),)*
            }
        }

        /// Checks that `expected` and `intermediates` have the op's types
        /// (with `deny_unknown_fields`).
        ///
        /// # Errors
        ///
        /// They do not.
        pub fn validate(op: Op, expected: &Value, intermediates: Option<&Value>) -> VResult<()> {
            match op {
                $(Op::$op => typed::<$ex, $im>(expected, intermediates),)*
            }
        }
    };
}

ops! {
    HmacSha256 => hmac_sha256: MacInput, MacExpected, NoIntermediates;
    HkdfSha256 => hkdf_sha256: HkdfInput, HkdfExpected, NoIntermediates;
    Ed25519Sign => ed25519_sign: SignInput, SignExpected, NoIntermediates;
    Ed25519Verify => ed25519_verify: SigVerifyInput, ValidityExpected, SigVerifyIntermediates;
    Ed25519Point => ed25519_point: PointInput, ValidityExpected, PointIntermediates;
    Base45Encode => base45_encode: BytesInput, TextExpected, NoIntermediates;
    Base45Decode => base45_decode: TextInput, BytesExpected, NoIntermediates;
    ParamsCheck => params_check: ParamsJson, ValidityExpected, NoIntermediates;
    DeriveKey => derive_key: DeriveInput, DeriveExpected, DeriveIntermediates;
    HmacCodeEncode => hmac_code_encode: HmacCodeEncodeInput, PayloadExpected, NoIntermediates;
    NumericEncode => numeric_encode: NumericEncodeInput, DigitsExpected, NoIntermediates;
    Ed25519CodeEncode => ed25519_code_encode: Ed25519CodeEncodeInput, PayloadExpected, NoIntermediates;
    CodeDecode => code_decode: TextInput, CodeDecodeExpected, NoIntermediates;
    CredentialIssue => credential_issue: CredentialIssueInput, CredentialIssueExpected, SigningIntermediates;
    CredentialDecode => credential_decode: BytesInput, CredentialDecodeExpected, NoIntermediates;
    TrustListEncode => trust_list_encode: TrustListEncodeInput, BytesExpected, NoIntermediates;
    TrustListDecode => trust_list_decode: BytesInput, TrustListDecodeExpected, NoIntermediates;
    RevocationListIssue => revocation_list_issue: RevocationIssueInput, BytesExpected, SigningIntermediates;
    RevocationListDecode => revocation_list_decode: BytesInput, RevocationDecodeExpected, NoIntermediates;
    LogRecordEncode => log_record_encode: LogRecordJson, BytesExpected, NoIntermediates;
    LogDecode => log_decode: BytesInput, LogDecodeExpected, NoIntermediates;
    HmacGenerate => hmac_generate: HmacGenerateInput, HmacGenerateExpected, HmacGenerateIntermediates;
    Ed25519Generate => ed25519_generate: Ed25519GenerateInput, Ed25519GenerateExpected, SigningIntermediates;
    Verify => verify: VerifyInput, VerifyExpected, VerifyIntermediates;
    Scenario => scenario: ScenarioInput, ScenarioExpected, NoIntermediates;
    Reconcile => reconcile: ReconcileInput, ReconcileExpected, NoIntermediates;
}

type Ran<E, I> = VResult<(E, Option<I>)>;

fn go<I: DeserializeOwned, E: Serialize, M: Serialize>(
    input: &Value,
    f: impl FnOnce(I) -> Ran<E, M>,
) -> VResult<Actual> {
    let i = I::deserialize(input).map_err(|e| VectorError::new(format!("input: {e}")))?;
    let (e, m) = f(i)?;
    Ok(Actual { expected: serde_json::to_value(e)?, intermediates: m.map(serde_json::to_value).transpose()? })
}

fn typed<E: DeserializeOwned, M: DeserializeOwned>(expected: &Value, im: Option<&Value>) -> VResult<()> {
    E::deserialize(expected).map_err(|e| VectorError::new(format!("expected: {e}")))?;
    if let Some(v) = im {
        M::deserialize(v).map_err(|e| VectorError::new(format!("intermediates: {e}")))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- helpers

/// Bytes of lowercase hex; uppercase or odd-length hex is an error.
///
/// # Errors
///
/// Not lowercase hex.
pub fn unhex(s: &str) -> VResult<Vec<u8>> {
    let v = from_hex(s)?;
    if to_hex(&v) != s {
        return Err(VectorError::new(format!("hex must be lowercase: {s:?}")));
    }
    Ok(v)
}

/// Exactly `N` bytes of lowercase hex.
///
/// # Errors
///
/// Not lowercase hex, or another length.
pub fn unhex_n<const N: usize>(s: &str) -> VResult<[u8; N]> {
    let v = unhex(s)?;
    v.try_into().map_err(|_| VectorError::new(format!("expected {N} bytes of hex: {s:?}")))
}

fn hex(b: &[u8]) -> String {
    to_hex(b)
}

fn bitmap_hex(b: u64) -> String {
    format!("{b:016x}")
}

fn bitmap_from_hex(s: &str) -> VResult<u64> {
    Ok(u64::from_be_bytes(unhex_n::<8>(s)?))
}

fn valid<T>(e: T) -> Ran<T, NoIntermediates> {
    Ok((e, None))
}

fn seed(s: &str) -> VResult<Seed> {
    Ok(Seed::from_bytes(&unhex_n::<32>(s)?))
}

/// The [`Params`] of a [`ParamsJson`].
///
/// # Errors
///
/// Out of the spec's ranges.
pub fn params(p: &ParamsJson) -> VResult<Params> {
    Params::new(p.t0, p.step, p.back, p.forward).map_err(|e| VectorError::new(format!("params: {e}")))
}

fn mac(key: &[u8], parts: &[&[u8]]) -> VResult<[u8; 32]> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| VectorError::new("hmac key"))?;
    for p in parts {
        m.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&m.finalize().into_bytes());
    Ok(out)
}

fn profile_json(p: Profile) -> ProfileJson {
    match p {
        Profile::Hmac => ProfileJson::Hmac,
        Profile::Ed25519 => ProfileJson::Ed25519,
    }
}

fn profile_of(p: ProfileJson) -> Profile {
    match p {
        ProfileJson::Hmac => Profile::Hmac,
        ProfileJson::Ed25519 => Profile::Ed25519,
    }
}

fn invalid_code(e: Error) -> (Outcome, Option<String>) {
    (Outcome::Invalid, Some(e.code().to_owned()))
}

fn credential_json(c: &Credential) -> CredentialJson {
    let f = c.fields();
    CredentialJson {
        key_id: f.key_id,
        serial: f.serial,
        device_key: hex(&f.device_key),
        not_before: f.not_before,
        lifetime: f.lifetime,
        per_payment_limit: f.per_payment_limit,
        cumulative_limit: f.cumulative_limit,
        issuer_signature: hex(c.as_bytes().get(62..).unwrap_or_default()),
    }
}

/// The JSON form of a log record.
pub fn record_json(r: &LogRecord) -> LogRecordJson {
    LogRecordJson {
        profile: profile_json(r.profile),
        key_id: r.key_id,
        subject: r.subject,
        counter: r.counter,
        step: r.step,
        accepted_at: r.accepted_at,
        amount: r.amount,
        terminal_id: r.terminal_id,
    }
}

fn record_of(r: &LogRecordJson) -> LogRecord {
    LogRecord {
        profile: profile_of(r.profile),
        key_id: r.key_id,
        subject: r.subject,
        counter: r.counter,
        step: r.step,
        accepted_at: r.accepted_at,
        amount: r.amount,
        terminal_id: r.terminal_id,
    }
}

// ---------------------------------------------------------------- primitives

fn hmac_sha256(i: MacInput) -> Ran<MacExpected, NoIntermediates> {
    let m = mac(&unhex(&i.key)?, &[&unhex(&i.message)?])?;
    valid(MacExpected { result: Outcome::Valid, mac: hex(&m) })
}

fn hkdf_sha256(i: HkdfInput) -> Ran<HkdfExpected, NoIntermediates> {
    let (prk, hk) = Hkdf::<Sha256>::extract(Some(&unhex(&i.salt)?), &unhex(&i.ikm)?);
    let mut okm = vec![0u8; usize::from(i.length)];
    hk.expand(&unhex(&i.info)?, &mut okm).map_err(|_| VectorError::new("hkdf length"))?;
    valid(HkdfExpected { result: Outcome::Valid, prk: hex(&prk), okm: hex(&okm) })
}

fn ed25519_sign(i: SignInput) -> Ran<SignExpected, NoIntermediates> {
    let sk = SecretKey::from_secret(&unhex_n(&i.secret)?);
    let sig = sk.sign(&unhex(&i.message)?);
    valid(SignExpected { result: Outcome::Valid, public_key: hex(&sk.public_bytes()), signature: hex(&sig) })
}

fn ed25519_verify(i: SigVerifyInput) -> Ran<ValidityExpected, SigVerifyIntermediates> {
    let a = unhex_n::<32>(&i.public_key)?;
    let sig = unhex_n::<64>(&i.signature)?;
    let msg = unhex(&i.message)?;
    let ok = PublicKey::from_bytes(&a).is_some_and(|k| k.verify(&msg, &sig));
    let result = if ok { Outcome::Valid } else { Outcome::Invalid };
    Ok((ValidityExpected { result }, Some(edge::signature_facts(&a, &msg, &sig))))
}

fn ed25519_point(i: PointInput) -> Ran<ValidityExpected, PointIntermediates> {
    let p = unhex_n::<32>(&i.point)?;
    let result = if point_is_valid(&p) { Outcome::Valid } else { Outcome::Invalid };
    Ok((ValidityExpected { result }, Some(edge::point_facts(&p))))
}

fn base45_encode(i: BytesInput) -> Ran<TextExpected, NoIntermediates> {
    valid(TextExpected { result: Outcome::Valid, text: paycode::hazmat::base45::encode(&unhex(&i.bytes)?) })
}

fn base45_decode(i: TextInput) -> Ran<BytesExpected, NoIntermediates> {
    valid(match paycode::hazmat::base45::decode(&i.text) {
        Ok(b) => BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&b)) },
        Err(_) => BytesExpected {
            result: Outcome::Invalid,
            error: Some(Error::Malformed.code().into()),
            bytes: None,
        },
    })
}

fn params_check(i: ParamsJson) -> Ran<ValidityExpected, NoIntermediates> {
    let ok = Params::new(i.t0, i.step, i.back, i.forward).is_ok();
    valid(ValidityExpected { result: if ok { Outcome::Valid } else { Outcome::Invalid } })
}

fn derive_key(i: DeriveInput) -> Ran<DeriveExpected, DeriveIntermediates> {
    let s = seed(&i.seed)?;
    let (label, context) = match (i.purpose, i.account_id, i.key_id) {
        (Purpose::HmacQr, Some(a), None) => (keys::LABEL_HMAC_QR_KEY, a.to_be_bytes().to_vec()),
        (Purpose::HmacNumeric, Some(a), None) => (keys::LABEL_HMAC_NUMERIC_KEY, a.to_be_bytes().to_vec()),
        (Purpose::Ed25519Device, None, None) => (keys::LABEL_DEVICE_KEY, Vec::new()),
        (Purpose::Ed25519Issuer, None, Some(k)) => (keys::LABEL_ISSUER_KEY, k.to_be_bytes().to_vec()),
        _ => return Err(VectorError::new("derive-key: account_id or key_id does not fit the purpose")),
    };
    let key = keys::derive(&s, label, &context);
    let public_key = match i.purpose {
        Purpose::Ed25519Device | Purpose::Ed25519Issuer => {
            Some(hex(&SecretKey::from_secret(key.expose()).public_bytes()))
        }
        Purpose::HmacQr | Purpose::HmacNumeric => None,
    };
    Ok((
        DeriveExpected { result: Outcome::Valid, key: hex(key.expose()), public_key },
        Some(DeriveIntermediates {
            salt: hex(keys::HKDF_SALT),
            prk: hex(keys::prk(&s).expose()),
            info: hex(&[label, &context].concat()),
        }),
    ))
}

// ---------------------------------------------------------------- encodings

fn hmac_code_encode(i: HmacCodeEncodeInput) -> Ran<PayloadExpected, NoIntermediates> {
    let c = HmacCode::new(i.account_id, i.step, i.counter, unhex_n(&i.tag)?);
    valid(PayloadExpected { result: Outcome::Valid, payload: hex(&c.encode()), text: c.to_qr_text() })
}

fn numeric_encode(i: NumericEncodeInput) -> Ran<DigitsExpected, NoIntermediates> {
    if i.tag29 >= 1 << 29 {
        return Err(VectorError::new("numeric-encode: tag29 must be below 2^29"));
    }
    if i.account_id >= paycode::numeric::ACCOUNT_LIMIT || i.counter >= paycode::numeric::COUNTER_LIMIT {
        return valid(DigitsExpected {
            result: Outcome::Invalid,
            error: Some("numeric-unavailable".into()),
            digits: None,
        });
    }
    // spec: R-HMAC-2 (bit layout)
    let n = u128::from(i.account_id) << 49
        | u128::from(i.step & 0xf) << 45
        | u128::from(i.counter) << 29
        | u128::from(i.tag29);
    let digits = format!("{n:024}");
    let back =
        NumericCode::parse(&digits).map_err(|e| VectorError::new(format!("numeric round trip: {e}")))?;
    if back.value() != n {
        return Err(VectorError::new("numeric round trip changed the value"));
    }
    valid(DigitsExpected { result: Outcome::Valid, error: None, digits: Some(digits) })
}

fn ed25519_code_encode(i: Ed25519CodeEncodeInput) -> Ran<PayloadExpected, NoIntermediates> {
    let bytes = [
        &[paycode::VERSION, paycode::Profile::Ed25519.byte()][..],
        &i.step.to_be_bytes(),
        &i.counter.to_be_bytes(),
        &unhex_n::<{ paycode::credential::CREDENTIAL_LEN }>(&i.credential)?,
        &unhex_n::<64>(&i.device_signature)?,
    ]
    .concat();
    let code = Ed25519Code::decode(&bytes).map_err(|e| VectorError::new(format!("ed25519 payload: {e}")))?;
    valid(PayloadExpected { result: Outcome::Valid, payload: hex(code.encode()), text: code.to_qr_text() })
}

fn decoded(code: &Code) -> DecodedCode {
    match code {
        Code::Hmac(c) => DecodedCode::HmacQr {
            account_id: c.account_id(),
            step: c.step(),
            counter: c.counter(),
            tag: hex(c.tag()),
        },
        Code::Numeric(c) => DecodedCode::HmacNumeric {
            account_id: c.account_id(),
            step_low: c.step_low(),
            counter: c.counter(),
            tag29: c.tag(),
        },
        Code::Ed25519(c) => DecodedCode::Ed25519Qr {
            step: c.step(),
            counter: c.counter(),
            credential: credential_json(c.credential()),
            device_signature: hex(&c.signature()),
        },
    }
}

fn code_decode(i: TextInput) -> Ran<CodeDecodeExpected, NoIntermediates> {
    valid(match Code::parse(&i.text) {
        Ok(code) => CodeDecodeExpected { result: Outcome::Valid, error: None, code: Some(decoded(&code)) },
        Err(e) => {
            let (result, error) = invalid_code(e);
            CodeDecodeExpected { result, error, code: None }
        }
    })
}

fn credential_issue(i: CredentialIssueInput) -> Ran<CredentialIssueExpected, SigningIntermediates> {
    let sk = SecretKey::from_secret(&unhex_n(&i.issuer_secret)?);
    let fields = CredentialFields {
        key_id: i.key_id,
        serial: i.serial,
        device_key: unhex_n(&i.device_key)?,
        not_before: i.not_before,
        lifetime: i.lifetime,
        per_payment_limit: i.per_payment_limit,
        cumulative_limit: i.cumulative_limit,
    };
    let c = Credential::issue(fields, &sk);
    Ok((
        CredentialIssueExpected { result: Outcome::Valid, credential: hex(c.as_bytes()) },
        Some(SigningIntermediates {
            public_key: hex(&sk.public_bytes()),
            signing_input: hex(&c.signing_input()),
            signature: hex(c.as_bytes().get(62..).unwrap_or_default()),
        }),
    ))
}

fn credential_decode(i: BytesInput) -> Ran<CredentialDecodeExpected, NoIntermediates> {
    valid(match Credential::decode(&unhex(&i.bytes)?) {
        Ok(c) => CredentialDecodeExpected {
            result: Outcome::Valid,
            error: None,
            credential: Some(credential_json(&c)),
        },
        Err(e) => {
            let (result, error) = invalid_code(e);
            CredentialDecodeExpected { result, error, credential: None }
        }
    })
}

fn trust_entries(list: &TrustList) -> Vec<TrustEntryJson> {
    list.entries()
        .iter()
        .map(|e| TrustEntryJson {
            key_id: e.key_id,
            not_before: e.not_before,
            not_after: e.not_after,
            public_key: hex(&e.key.to_bytes()),
        })
        .collect()
}

fn trust_list_encode(i: TrustListEncodeInput) -> Ran<BytesExpected, NoIntermediates> {
    let entries = i
        .entries
        .iter()
        .map(|e| {
            let key = PublicKey::from_bytes(&unhex_n(&e.public_key)?)
                .ok_or_else(|| VectorError::new("trust-list-encode: invalid public key"))?;
            Ok(TrustEntry { key_id: e.key_id, not_before: e.not_before, not_after: e.not_after, key })
        })
        .collect::<VResult<Vec<_>>>()?;
    let list = TrustList::new(entries).map_err(|e| VectorError::new(format!("trust-list-encode: {e}")))?;
    valid(BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&list.encode())) })
}

fn trust_list_decode(i: BytesInput) -> Ran<TrustListDecodeExpected, NoIntermediates> {
    valid(match TrustList::decode(&unhex(&i.bytes)?) {
        Ok(l) => {
            TrustListDecodeExpected { result: Outcome::Valid, error: None, entries: Some(trust_entries(&l)) }
        }
        Err(e) => {
            let (result, error) = invalid_code(e);
            TrustListDecodeExpected { result, error, entries: None }
        }
    })
}

fn revocation_list_issue(i: RevocationIssueInput) -> Ran<BytesExpected, SigningIntermediates> {
    if i.serials.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
        return Err(VectorError::new("revocation-list-issue: serials must be strictly increasing"));
    }
    let sk = SecretKey::from_secret(&unhex_n(&i.issuer_secret)?);
    let list = RevocationList::issue(i.key_id, &sk, i.number, i.issued_at, i.serials);
    let bytes = list.encode();
    let sig_at = bytes.len().saturating_sub(64);
    Ok((
        BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&bytes)) },
        Some(SigningIntermediates {
            public_key: hex(&sk.public_bytes()),
            signing_input: hex(&list.signing_input()),
            signature: hex(bytes.get(sig_at..).unwrap_or_default()),
        }),
    ))
}

fn revocation_list_decode(i: BytesInput) -> Ran<RevocationDecodeExpected, NoIntermediates> {
    valid(match RevocationList::decode(&unhex(&i.bytes)?) {
        Ok(l) => {
            let bytes = l.encode();
            let sig_at = bytes.len().saturating_sub(64);
            RevocationDecodeExpected {
                result: Outcome::Valid,
                error: None,
                list: Some(RevocationJson {
                    key_id: l.key_id(),
                    number: l.number(),
                    issued_at: l.issued_at(),
                    serials: l.serials().to_vec(),
                    signature: hex(bytes.get(sig_at..).unwrap_or_default()),
                }),
            }
        }
        Err(e) => {
            let (result, error) = invalid_code(e);
            RevocationDecodeExpected { result, error, list: None }
        }
    })
}

fn log_record_encode(i: LogRecordJson) -> Ran<BytesExpected, NoIntermediates> {
    valid(BytesExpected { result: Outcome::Valid, error: None, bytes: Some(hex(&record_of(&i).encode())) })
}

fn log_decode(i: BytesInput) -> Ran<LogDecodeExpected, NoIntermediates> {
    valid(match LogRecord::decode_log(&unhex(&i.bytes)?) {
        Ok(r) => LogDecodeExpected {
            result: Outcome::Valid,
            error: None,
            records: Some(r.iter().map(record_json).collect()),
        },
        Err(e) => {
            let (result, error) = invalid_code(e);
            LogDecodeExpected { result, error, records: None }
        }
    })
}

// ---------------------------------------------------------------- generation

fn generate_error(e: GenerateError) -> VResult<String> {
    match e {
        GenerateError::TimeBeforeEpoch => Ok("time-before-epoch".into()),
        GenerateError::CounterExhausted => Ok("counter-exhausted".into()),
        other => Err(VectorError::new(format!("wallet error outside the vectors: {other}"))),
    }
}

fn hmac_generate(i: HmacGenerateInput) -> Ran<HmacGenerateExpected, HmacGenerateIntermediates> {
    let s = seed(&i.seed)?;
    let mut wallet = HmacWallet::new(params(&i.params)?, i.account_id, &s, i.counter);
    let code = match wallet.generate(i.time) {
        Ok(c) => c,
        Err(e) => {
            return Ok((
                HmacGenerateExpected {
                    result: Outcome::Invalid,
                    error: Some(generate_error(e)?),
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
    let id = i.account_id.to_be_bytes();
    let k_qr = keys::derive(&s, keys::LABEL_HMAC_QR_KEY, &id);
    let k_num = keys::derive(&s, keys::LABEL_HMAC_NUMERIC_KEY, &id);
    let mac_input = [paycode::code::DS_HMAC_QR, &code.maced()].concat();
    let full = mac(k_qr.expose(), &[&mac_input])?;
    let numeric = wallet.numeric(&code);
    let (numeric_mac_input, numeric_mac, tag29) = match &numeric {
        Ok(n) => {
            let input = paycode::numeric::mac_input(i.account_id, code.step(), code.counter());
            let m = mac(k_num.expose(), &[&input])?;
            (Some(hex(&input)), Some(hex(&m)), Some(n.tag()))
        }
        Err(_) => (None, None, None),
    };
    // The keys must give the same code as the wallet (guards the intermediates).
    let keys = HmacKeys::derive(i.account_id, &s);
    if keys.mac_qr(&[&mac_input]) != full || full.get(..16) != Some(&code.tag()[..]) {
        return Err(VectorError::new("hmac-generate: intermediates disagree with the wallet"));
    }
    Ok((
        HmacGenerateExpected {
            result: Outcome::Valid,
            error: None,
            step: Some(code.step()),
            payload: Some(hex(&code.encode())),
            text: Some(code.to_qr_text()),
            digits: numeric.as_ref().ok().map(NumericCode::to_digits),
            numeric_error: numeric.is_err().then(|| "numeric-unavailable".to_owned()),
            next_counter: Some(wallet.next_counter()),
        },
        Some(HmacGenerateIntermediates {
            k_qr: hex(k_qr.expose()),
            k_num: hex(k_num.expose()),
            mac_input: hex(&mac_input),
            mac: hex(&full),
            tag: hex(code.tag()),
            numeric_mac_input,
            numeric_mac,
            tag29,
        }),
    ))
}

fn ed25519_generate(i: Ed25519GenerateInput) -> Ran<Ed25519GenerateExpected, SigningIntermediates> {
    let s = seed(&i.device_seed)?;
    let credential = Credential::decode(&unhex(&i.credential)?)
        .map_err(|e| VectorError::new(format!("ed25519-generate: credential: {e}")))?;
    let mut wallet = Ed25519Wallet::new(params(&i.params)?, &s, credential, i.counter)
        .map_err(|e| VectorError::new(format!("ed25519-generate: {e}")))?;
    let code = match wallet.generate(i.time) {
        Ok(c) => c,
        Err(e) => {
            let error = Some(generate_error(e)?);
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
        Some(SigningIntermediates {
            public_key: hex(&Ed25519Wallet::device_public_key(&s)),
            signing_input: hex(&code.signing_input()),
            signature: hex(&code.signature()),
        }),
    ))
}

// ---------------------------------------------------------------- verification

/// A verifier built from a case's configuration and state, driven step by
/// step: the reference side of `verify` and `scenario` cases.
pub struct ScenarioRunner {
    config: VerifierJson,
    params: Params,
    verifier: Verifier,
    trust: Option<TrustList>,
    revocation: Option<RevocationList>,
    max_time: u64,
}

impl ScenarioRunner {
    /// A verifier with `config` in `state`.
    ///
    /// # Errors
    ///
    /// The configuration or state cannot be loaded.
    pub fn new(config: &VerifierJson, state: &StateJson) -> VResult<ScenarioRunner> {
        let params = params(&config.params)?;
        let snapshot = |profile: ProfileJson| -> VResult<Snapshot> {
            let mut windows = Vec::new();
            for e in state.entries.iter().filter(|e| e.profile == profile) {
                windows.push((
                    e.subject,
                    Window { high: e.high, bitmap: bitmap_from_hex(&e.bitmap)?, top: e.top },
                ));
            }
            let spent = match profile {
                ProfileJson::Ed25519 => state
                    .spent
                    .iter()
                    .map(|s| (s.serial, Spent { total: s.total, not_after: s.not_after }))
                    .collect(),
                ProfileJson::Hmac => Vec::new(),
            };
            Ok(Snapshot { high_water: state.t_hw, quarantine: state.q, windows, spent })
        };
        let durable = VerifierState {
            hmac: snapshot(ProfileJson::Hmac)?,
            ed25519: snapshot(ProfileJson::Ed25519)?,
            revocation_list: None,
        };
        let verifier = Verifier::restore(params, config.terminal_id, &durable);
        let trust = match &config.trust_list {
            Some(h) => Some(
                TrustList::decode(&unhex(h)?).map_err(|e| VectorError::new(format!("trust list: {e}")))?,
            ),
            None => None,
        };
        let mut runner =
            ScenarioRunner { config: config.clone(), params, verifier, trust, revocation: None, max_time: 0 };
        runner.configure()?;
        for t in &state.throttle {
            for _ in 0..t.failures {
                runner
                    .verifier
                    .replay_state(Profile::Hmac)
                    .reserve_attempt(t.account_id, t.step)
                    .map_err(|e| VectorError::new(format!("throttle state: {e}")))?;
            }
        }
        if let Some(h) = &state.revocation_list {
            let list = RevocationList::decode(&unhex(h)?)
                .map_err(|e| VectorError::new(format!("revocation list: {e}")))?;
            runner
                .verifier
                .install_revocation_list(list.clone())
                .map_err(|e| VectorError::new(format!("revocation list in the state: {e}")))?;
            runner.revocation = Some(list);
        }
        Ok(runner)
    }

    /// Accounts and trust list, after construction or a restart.
    fn configure(&mut self) -> VResult<()> {
        if let Some(accounts) = &self.config.hmac_accounts {
            self.verifier.enable_hmac();
            for a in accounts {
                self.verifier.add_account(a.account_id, &seed(&a.seed)?);
            }
        }
        if let Some(t) = &self.trust {
            self.verifier.set_trust_list(t.clone());
        }
        if let Some(l) = &self.revocation {
            // After a restart with state the verifier already holds the list (durable state).
            let held = self.verifier.revocation_number() == Some(l.number());
            match self.verifier.install_revocation_list(l.clone()) {
                Ok(()) => {}
                Err(paycode::InstallError::NotNewer) if held => {}
                Err(e) => return Err(VectorError::new(format!("reinstalling the revocation list: {e}"))),
            }
        }
        Ok(())
    }

    /// Runs one step.
    ///
    /// # Errors
    ///
    /// The step's input cannot be used (not a verdict: verdicts are results).
    pub fn step(&mut self, step: &StepJson) -> VResult<StepExpected> {
        match step {
            StepJson::Verify { time, text, amount } => {
                let v = self.verify(*time, text, *amount)?;
                Ok(StepExpected {
                    result: v.result,
                    error: v.error,
                    log_record: v.log_record,
                    state_after: Some(v.state_after),
                })
            }
            StepJson::InstallRevocationList { list } => {
                let installed = match RevocationList::decode(&unhex(list)?) {
                    Ok(l) => self.verifier.install_revocation_list(l.clone()).is_ok().then_some(l),
                    Err(_) => None,
                };
                let result = match installed {
                    Some(l) => {
                        self.revocation = Some(l);
                        Outcome::Valid
                    }
                    None => Outcome::Invalid,
                };
                Ok(StepExpected { result, error: None, log_record: None, state_after: None })
            }
            StepJson::InstallTrustList { trust_list } => {
                let result = match TrustList::decode(&unhex(trust_list)?) {
                    Ok(t) => {
                        self.verifier.set_trust_list(t.clone());
                        self.trust = Some(t);
                        Outcome::Valid
                    }
                    Err(_) => Outcome::Invalid,
                };
                Ok(StepExpected { result, error: None, log_record: None, state_after: None })
            }
            StepJson::Restart { mode, time } => {
                self.max_time = self.max_time.max(*time);
                self.verifier = match mode {
                    RestartMode::Kept => {
                        Verifier::restore(self.params, self.config.terminal_id, &self.verifier.state())
                    }
                    RestartMode::Lost => {
                        Verifier::after_state_loss(self.params, self.config.terminal_id, *time)
                            .map_err(|e| VectorError::new(format!("restart: {e}")))?
                    }
                };
                self.configure()?;
                Ok(StepExpected {
                    result: Outcome::Valid,
                    error: None,
                    log_record: None,
                    state_after: Some(self.state_after(&[], None)?),
                })
            }
        }
    }

    /// Verifies `text` at `time` for `amount`.
    ///
    /// # Errors
    ///
    /// The verifier's state is inconsistent.
    pub fn verify(&mut self, time: u64, text: &str, amount: u64) -> VResult<VerifyExpected> {
        self.max_time = self.max_time.max(time);
        let verdict = self.verifier.verify_text(text, time, amount);
        let (touched, serial) = match Code::parse(text) {
            Ok(Code::Hmac(c)) => (vec![(Profile::Hmac, c.account_id())], None),
            Ok(Code::Numeric(c)) => (vec![(Profile::Hmac, c.account_id())], None),
            Ok(Code::Ed25519(c)) => {
                let f = c.credential().fields();
                (vec![(Profile::Ed25519, f.serial)], f.not_after().map(|na| (f.serial, na)))
            }
            Err(_) => (Vec::new(), None),
        };
        let state_after = self.state_after(&touched, serial)?;
        Ok(match verdict {
            Ok(acc) => VerifyExpected {
                result: Outcome::Valid,
                error: None,
                log_record: Some(hex(&acc.record.encode())),
                state_after,
            },
            Err(e) => {
                let (result, error) = invalid_code(e);
                VerifyExpected { result, error, log_record: None, state_after }
            }
        })
    }

    fn state_after(&self, touched: &[(Profile, u64)], serial: Option<(u64, u64)>) -> VResult<StateAfterJson> {
        let h = self.verifier.replay_state(Profile::Hmac);
        let e = self.verifier.replay_state(Profile::Ed25519);
        if h.high_water() != e.high_water() || h.quarantine() != e.quarantine() {
            return Err(VectorError::new("the profiles' T_hw or Q differ"));
        }
        let t_hw = h.high_water();
        let low = t_hw.saturating_sub(self.params.back());
        let entries = touched
            .iter()
            .map(|&(p, id)| EntryAfterJson {
                profile: profile_json(p),
                subject: id,
                window: self
                    .verifier
                    .replay_state(p)
                    .window(id)
                    .filter(|w| w.top >= low)
                    .map(|w| WindowJson { high: w.high, bitmap: bitmap_hex(w.bitmap), top: w.top }),
            })
            .collect();
        // spent(serial) is defined while no call after the credential's expiry was processed.
        let spent = match serial {
            Some((s, not_after)) if self.max_time <= not_after => {
                vec![SpentAfterJson { serial: s, total: e.spent(s).map_or(0, |sp| sp.total) }]
            }
            _ => Vec::new(),
        };
        Ok(StateAfterJson { t_hw, q: h.quarantine(), entries, spent })
    }

    /// The verifier's parameters.
    pub const fn params(&self) -> &Params {
        &self.params
    }
}

fn verify(i: VerifyInput) -> Ran<VerifyExpected, VerifyIntermediates> {
    let mut runner = ScenarioRunner::new(&i.verifier, &i.state)?;
    let p = *runner.params();
    let expected = runner.verify(i.time, &i.text, i.amount)?;
    let intermediates = match p.step_at(i.time) {
        Ok(s_now) => {
            let (low, high) = p.window(s_now, i.state.t_hw);
            let code_step = match Code::parse(&i.text) {
                Ok(Code::Hmac(c)) => Some(c.step()),
                Ok(Code::Numeric(c)) => Some(c.step_near(s_now)),
                Ok(Code::Ed25519(c)) => Some(c.step()),
                Err(_) => None,
            };
            Some(VerifyIntermediates { s_now, low, high, code_step })
        }
        Err(_) => None,
    };
    Ok((expected, intermediates))
}

fn scenario(i: ScenarioInput) -> Ran<ScenarioExpected, NoIntermediates> {
    let mut runner = ScenarioRunner::new(&i.verifier, &i.state)?;
    let steps = i
        .steps
        .iter()
        .enumerate()
        .map(|(n, s)| runner.step(s).map_err(|e| e.context(&format!("step {n}"))))
        .collect::<VResult<Vec<_>>>()?;
    valid(ScenarioExpected { steps })
}

fn reconcile(i: ReconcileInput) -> Ran<ReconcileExpected, NoIntermediates> {
    let mut records = Vec::new();
    for log in &i.logs {
        match LogRecord::decode_log(&unhex(log)?) {
            Ok(mut r) => records.append(&mut r),
            Err(e) => {
                let (result, error) = invalid_code(e);
                return valid(ReconcileExpected {
                    result,
                    error,
                    duplicates: None,
                    revoke_serials: None,
                    disable_accounts: None,
                    totals: None,
                });
            }
        }
    }
    let r = reconcile_logs(records);
    valid(ReconcileExpected {
        result: Outcome::Valid,
        error: None,
        duplicates: Some(
            r.duplicates
                .iter()
                .map(|d| DuplicateJson {
                    profile: profile_json(d.profile),
                    subject: d.subject,
                    counter: d.counter,
                    records: d.records.iter().map(record_json).collect(),
                })
                .collect(),
        ),
        revoke_serials: Some(r.revoke_serials),
        disable_accounts: Some(r.flagged_accounts),
        totals: Some(r.totals.iter().map(|&(serial, total)| TotalJson { serial, total }).collect()),
    })
}
