//! The spec's worked examples (§11), recomputed by the reference
//! implementation: every `key: value` line of the spec's `example` blocks
//! must match byte for byte, and every key must be checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use paycode::challenge::DS_CHALLENGE;
use paycode::code::{DS_ED25519_CODE, DS_HMAC_QR};
use paycode::codec::{from_hex, to_hex};
use paycode::credential::DS_CREDENTIAL;
use paycode::hazmat::handle::DS_HMAC_HANDLE;
use paycode::hazmat::keys::{
    self, HmacKeys, LABEL_DEVICE_KEY, LABEL_HMAC_HANDLE_KEY, LABEL_HMAC_NUMERIC_KEY, LABEL_HMAC_QR_KEY,
    LABEL_ISSUER_KEY, LABEL_ROOT_KEY,
};
use paycode::issuer::KeyPeriod;
use paycode::numeric::{self, NumericCode};
use paycode::trust::DS_TRUST;
use paycode::{
    Challenge, Code, CredentialFields, Ed25519Wallet, Error, GenerateError, HmacWallet, Issuer, Params,
    Purpose, Seed, TextPayment, TrustHeader, Verifier,
};

const SPEC: &str = include_str!("../spec/paycode-v3.md");

/// Every `key: value` line of every ```example block.
fn example_values() -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut inside = false;
    for line in SPEC.lines() {
        if line.trim_start().starts_with("```") {
            inside = line.trim() == "```example";
            continue;
        }
        if inside {
            let (k, v) = line.split_once(": ").unwrap_or_else(|| panic!("bad example line {line:?}"));
            assert!(values.insert(k.trim().to_owned(), v.to_owned()).is_none(), "duplicate key {k}");
        }
    }
    values
}

struct Checker {
    values: BTreeMap<String, String>,
    checked: Vec<String>,
}

impl Checker {
    fn get(&mut self, key: &str) -> &str {
        self.checked.push(key.to_owned());
        self.values.get(key).unwrap_or_else(|| panic!("spec example lacks {key}"))
    }
    fn num(&mut self, key: &str) -> u64 {
        self.get(key).parse().unwrap_or_else(|_| panic!("{key} is not a number"))
    }
    fn seed(&mut self, key: &str) -> Seed {
        Seed::try_from(from_hex(self.get(key)).unwrap().as_slice()).unwrap()
    }
    fn expect(&mut self, key: &str, actual: &str) {
        let spec = self.get(key).to_owned();
        assert_eq!(spec, actual, "spec §11 {key}: spec has {spec}, the implementation computes {actual}");
    }
}

#[test]
fn spec_worked_examples_reproduce() {
    let mut c = Checker { values: example_values(), checked: Vec::new() };
    let params = Params::default();

    // hmac profile.
    let seed = c.seed("hmac.seed");
    let account = c.num("hmac.account_id");
    let t = c.num("hmac.t");
    let counter = u32::try_from(c.num("hmac.counter")).unwrap();
    let step = params.step_at(t).unwrap();
    c.expect("hmac.step", &step.to_string());
    let id = account.to_be_bytes();
    c.expect("hmac.k_qr", &to_hex(keys::derive(&seed, LABEL_HMAC_QR_KEY, &id).expose()));
    c.expect("hmac.k_num", &to_hex(keys::derive(&seed, LABEL_HMAC_NUMERIC_KEY, &id).expose()));
    // spec: R-HANDLE-1, R-HANDLE-2: the handle material, cut and applied by hand.
    let k_h = keys::derive(&seed, LABEL_HMAC_HANDLE_KEY, &id);
    c.expect("hmac.k_h", &to_hex(k_h.expose()));
    let material = |s: u64| hmac_sha256(k_h.expose(), &[DS_HMAC_HANDLE, &s.to_be_bytes()].concat());
    let hm = material(step);
    c.expect("hmac.handle_material", &to_hex(&hm));
    let handle: [u8; 8] = hm[..8].try_into().unwrap();
    let handle30 = u32::from_be_bytes(hm[..4].try_into().unwrap()) >> 2;
    let pad = u32::from_be_bytes(hm[8..12].try_into().unwrap());
    let pad16 = u16::try_from(pad >> 16).unwrap();
    c.expect("hmac.handle", &to_hex(&handle));
    c.expect("hmac.handle30", &handle30.to_string());
    c.expect("hmac.pad", &pad.to_string());
    c.expect("hmac.pad16", &pad16.to_string());
    c.expect("hmac.masked", &(counter ^ pad).to_string());
    c.expect("hmac.masked16", &(u16::try_from(counter).unwrap() ^ pad16).to_string());
    let wallet = HmacWallet::new(params, account, &seed, counter);
    let code = wallet.code_for(step, counter);
    assert_eq!((code.handle(), code.masked_counter()), (handle, counter ^ pad));
    // The same wallet's code one step later, with counter 8: another handle, another pad.
    let next_handle: [u8; 8] = material(step + 1)[..8].try_into().unwrap();
    c.expect("hmac.next_handle", &to_hex(&next_handle));
    let next = wallet.code_for(step + 1, 8);
    assert_eq!(next.handle(), next_handle);
    c.expect("hmac.next_payload", &to_hex(&next.encode()));
    c.expect("hmac.next_qr_text", &next.to_qr_text());
    let mac_input = [DS_HMAC_QR, &code.maced()].concat();
    c.expect("hmac.mac_input", &to_hex(&mac_input));
    c.expect(
        "hmac.mac",
        &to_hex(&hmac_sha256(keys::derive(&seed, LABEL_HMAC_QR_KEY, &id).expose(), &mac_input)),
    );
    c.expect("hmac.tag", &to_hex(code.tag()));
    c.expect("hmac.payload", &to_hex(&code.encode()));
    c.expect("hmac.qr_text", &code.to_qr_text());
    let num_input = numeric::mac_input(account, step, counter);
    c.expect("hmac.numeric_mac_input", &to_hex(&num_input));
    let num_mac = hmac_sha256(keys::derive(&seed, LABEL_HMAC_NUMERIC_KEY, &id).expose(), &num_input);
    c.expect("hmac.numeric_mac", &to_hex(&num_mac));
    let n = NumericCode::generate(&HmacKeys::derive(account, &seed), step, counter).unwrap();
    c.expect("hmac.tag29", &n.tag().to_string());
    c.expect("hmac.numeric_value", &n.value().to_string());
    c.expect("hmac.digits", &n.to_digits());
    assert_eq!((n.handle30(), n.masked_counter()), (handle30, u16::try_from(counter).unwrap() ^ pad16));
    assert_eq!(wallet.numeric(&code).unwrap(), n);
    // spec: R-LOG-1: the record the verifier of §11.1 writes (amount 0, terminal 1).
    let mut verifier = paycode::Verifier::new(params, 1);
    verifier.add_account(account, &seed);
    let accepted = verifier.verify_text(&code.to_qr_text(), t, 0).unwrap();
    c.expect("hmac.log_record", &to_hex(&accepted.record.encode()));

    // ed25519 profile.
    let issuer_seed = c.seed("ed25519.issuer_seed");
    let key_id = u16::try_from(c.num("ed25519.key_id")).unwrap();
    let issuer = Issuer::from_seed(&issuer_seed);
    c.expect("ed25519.issuer_public", &to_hex(&issuer.key(key_id).public_bytes()));
    c.expect("ed25519.root_public", &to_hex(&issuer.root_key().public_bytes()));
    let header = TrustHeader {
        sequence: c.num("ed25519.trust_sequence"),
        issued_at: c.num("ed25519.trust_issued_at"),
    };
    let period = KeyPeriod { key_id, not_before: 1_790_000_000, not_after: 1_820_000_000 };
    let trust = issuer.trust_list(header, &[period]).unwrap();
    assert!(trust.signing_input().starts_with(DS_TRUST));
    c.expect("ed25519.trust_signing_input", &to_hex(&trust.signing_input()));
    c.expect("ed25519.trust_list", &to_hex(&trust.encode()));
    assert!(trust.verify(&issuer.root_public_key().unwrap()));
    let wallet_seed = c.seed("ed25519.wallet_seed");
    // The device key of batch index i: HKDF(wallet seed, label || u32(i)) (spec §3.2).
    let device_of = |i: u32| {
        paycode::hazmat::eddsa::SecretKey::derive(&wallet_seed, LABEL_DEVICE_KEY, &i.to_be_bytes())
            .public_bytes()
    };
    let key_index = u32::try_from(c.num("ed25519.key_index")).unwrap();
    let device = device_of(key_index);
    c.expect("ed25519.device_public", &to_hex(&device));
    c.expect("ed25519.device_public_1", &to_hex(&device_of(1)));
    let fields = CredentialFields {
        key_id,
        serial: c.num("ed25519.serial"),
        device_key: device,
        not_before: c.num("ed25519.not_before"),
        lifetime: u32::try_from(c.num("ed25519.lifetime")).unwrap(),
        per_payment_limit: u32::try_from(c.num("ed25519.per_payment_limit")).unwrap(),
        cumulative_limit: u32::try_from(c.num("ed25519.cumulative_limit")).unwrap(),
    };
    let credential = issuer.issue(fields);
    c.expect("ed25519.credential_signing_input", &to_hex(&credential.signing_input()));
    c.expect("ed25519.credential", &to_hex(credential.as_bytes()));
    let t = c.num("ed25519.t");
    let counter = u32::try_from(c.num("ed25519.counter")).unwrap();
    let step = params.step_at(t).unwrap();
    c.expect("ed25519.step", &step.to_string());
    let w = Ed25519Wallet::new(params, &wallet_seed, 0, credential, counter).unwrap();
    let code = w.code_for(step, counter);
    assert!(code.signing_input().starts_with(DS_ED25519_CODE));
    assert!(credential.signing_input().starts_with(DS_CREDENTIAL));
    c.expect("ed25519.code_signing_input", &to_hex(&code.signing_input()));
    c.expect("ed25519.signature", &to_hex(&code.signature()));
    c.expect("ed25519.payload", &to_hex(code.encode()));
    c.expect("ed25519.qr_text", &code.to_qr_text());
    let record =
        paycode::LogRecord::new(&Code::Ed25519(Box::new(code.clone())), step, t, 1250, 7, None).unwrap();
    c.expect("ed25519.log_record", &to_hex(&record.encode()));
    assert!(matches!(Code::parse(&code.to_qr_text()), Ok(Code::Ed25519(_))));

    // The issuer key and device key derivations are the spec's labels.
    assert_eq!(
        issuer.key(key_id).public_bytes(),
        paycode::hazmat::eddsa::SecretKey::derive(&issuer_seed, LABEL_ISSUER_KEY, &key_id.to_be_bytes())
            .public_bytes()
    );
    assert_eq!(
        issuer.root_key().public_bytes(),
        paycode::hazmat::eddsa::SecretKey::derive(&issuer_seed, LABEL_ROOT_KEY, &[]).public_bytes()
    );

    // Capped and challenge codes (§11.3), for the account of §11.1.
    let hmac_seed = c.seed("hmac.seed");
    let account = c.num("hmac.account_id");
    let t = c.num("hmac.t");
    let step = params.step_at(t).unwrap();
    let k_qr = keys::derive(&hmac_seed, LABEL_HMAC_QR_KEY, &account.to_be_bytes());
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&from_hex(c.get("challenge.nonce")).unwrap());
    let challenge = Challenge::new(
        u32::try_from(c.num("challenge.terminal_id")).unwrap(),
        c.num("challenge.amount"),
        c.num("challenge.issued_at"),
        nonce,
    );
    c.expect("challenge.bytes", &to_hex(&challenge.encode()));
    c.expect("challenge.text", &challenge.to_qr_text());
    let digest = sha256(&[DS_CHALLENGE, &challenge.encode()].concat());
    assert_eq!(digest, challenge.digest());
    c.expect("challenge.digest", &to_hex(&digest));
    let counter = u32::try_from(c.num("challenge.counter")).unwrap();
    let wallet = HmacWallet::new(params, account, &hmac_seed, counter);
    let code = wallet.code_as(step, counter, Purpose::Challenge(&challenge));
    c.expect("challenge.masked", &(counter ^ pad).to_string());
    assert_eq!(code.masked_counter(), counter ^ pad);
    let mac_input = [DS_HMAC_QR, &code.maced(), &digest].concat();
    c.expect("challenge.mac_input", &to_hex(&mac_input));
    c.expect("challenge.mac", &to_hex(&hmac_sha256(k_qr.expose(), &mac_input)));
    c.expect("challenge.payload", &to_hex(&code.encode()));
    c.expect("challenge.qr_text", &code.to_qr_text());
    let cap = u32::try_from(c.num("capped.cap")).unwrap();
    let capped_counter = u32::try_from(c.num("capped.counter")).unwrap();
    let capped = wallet.code_as(step, capped_counter, Purpose::Capped(cap));
    c.expect("capped.masked", &(capped_counter ^ pad).to_string());
    assert_eq!(capped.masked_counter(), capped_counter ^ pad);
    let capped_input = [DS_HMAC_QR, &capped.maced()].concat();
    c.expect("capped.mac_input", &to_hex(&capped_input));
    c.expect("capped.mac", &to_hex(&hmac_sha256(k_qr.expose(), &capped_input)));
    c.expect("capped.payload", &to_hex(&capped.encode()));
    c.expect("capped.qr_text", &capped.to_qr_text());
    assert_eq!(wallet.numeric(&capped), Err(GenerateError::NumericUnavailable));

    // The verdicts §11.3 lists, from the state §11.1 left.
    let verifier = || {
        let v = Verifier::new(params, 1);
        let mut v = v;
        v.add_account(account, &hmac_seed);
        v.verify(&Code::Hmac(HmacWallet::new(params, account, &hmac_seed, 7).code_for(step, 7)), t, 0)
            .unwrap();
        v
    };
    let text = code.to_qr_text();
    let ch = challenge.to_qr_text();
    let pay = |v: &Verifier, text: &str, amount, challenge: Option<&str>, at| {
        v.verify_text_payment(TextPayment { text, amount, challenge }, at).map(|_| ()).map_err(|r| r.error())
    };
    let v = verifier();
    assert_eq!(pay(&v, &text, 251, Some(&ch), t), Err(Error::ChallengeMismatch));
    assert_eq!(pay(&v, &text, 250, None, t), Err(Error::NoChallenge));
    let other = Challenge::new(1, 250, t, [0; 16]).to_qr_text();
    assert_eq!(pay(&v, &text, 250, Some(&other), t), Err(Error::InvalidCode));
    assert_eq!(pay(&v, &text, 250, Some(&ch), t + 121), Err(Error::ChallengeExpired));
    assert_eq!(pay(&v, &text, 250, Some(&ch), t), Ok(()));
    let second = wallet.code_as(step, capped_counter, Purpose::Challenge(&challenge)).to_qr_text();
    assert_eq!(pay(&v, &second, 250, Some(&ch), t), Err(Error::ChallengeUsed));
    let mut elsewhere = Verifier::new(params, 2);
    elsewhere.add_account(account, &hmac_seed);
    assert_eq!(pay(&elsewhere, &text, 250, Some(&ch), t), Err(Error::ChallengeMismatch));
    let v = verifier();
    assert_eq!(pay(&v, &capped.to_qr_text(), u64::from(cap) + 1, None, t), Err(Error::OverCap));
    assert_eq!(pay(&v, &capped.to_qr_text(), u64::from(cap), None, t), Ok(()));

    // §11.5: the failure budgets of account 42 and of terminal 1 (spec: R-HMAC-7, R-HMAC-8).
    let digits = c.get("hmac.digits").to_owned();
    let wrong = format!("{:024}", digits.parse::<u128>().unwrap() ^ 1);
    c.expect("budget.wrong_digits", &wrong);
    let p = paycode::replay::Budget::account(&params);
    c.expect("budget.p_acct", &p.period.to_string());
    c.expect("budget.p_src", &paycode::replay::Budget::source(&params).period.to_string());
    let mut v = Verifier::new(params, 1);
    v.add_account(account, &seed);
    let t = c.num("hmac.t");
    for _ in 0..4 {
        assert_eq!(v.verify_text(&wrong, t, 0).unwrap_err(), Error::InvalidCode);
    }
    let budgets = |v: &Verifier| (v.state().hmac.budgets, v.state().sources);
    let (acct, src) = budgets(&v);
    c.expect("budget.account_u_after_four", &acct[0].1.to_string());
    c.expect("budget.source_u_after_four", &src[0].1.to_string());
    c.expect("budget.fifth_verdict", v.verify_text(&wrong, t, 0).unwrap_err().code());
    let later = c.num("budget.day_later_t");
    // The wrong digits a day later are read as a step of that day (R-HMAC-3).
    let later_step = params.step_at(later).unwrap();
    let reread = NumericCode::parse(&wrong).unwrap().step_near(later_step);
    c.expect("budget.day_later_step", &reread.to_string());
    assert_eq!(v.verify_text(&wrong, later, 0).unwrap_err(), Error::InvalidCode);
    let (acct, src) = budgets(&v);
    c.expect("budget.account_u_after_day", &acct[0].1.to_string());
    c.expect("budget.source_u_after_day", &src[0].1.to_string());

    let unchecked: Vec<_> = c.values.keys().filter(|k| !c.checked.contains(k)).collect();
    assert!(unchecked.is_empty(), "example values no test checks: {unchecked:?}");
}

/// SHA-256 of `msg`.
fn sha256(msg: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(msg).into()
}

/// HMAC-SHA256 (RFC 2104) written out on SHA-256, independent of the
/// library's keyed HMAC state.
fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new().chain_update(ipad).chain_update(msg).finalize();
    let outer = Sha256::new().chain_update(opad).chain_update(inner).finalize();
    outer.into()
}
