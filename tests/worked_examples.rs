//! The spec's worked examples (§11), recomputed by the reference
//! implementation: every `key: value` line of the spec's `example` blocks
//! must match byte for byte, and every key must be checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use paycode::code::{DS_ED25519_CODE, DS_HMAC_QR};
use paycode::codec::{from_hex, to_hex};
use paycode::credential::DS_CREDENTIAL;
use paycode::hazmat::keys::{
    self, HmacKeys, LABEL_DEVICE_KEY, LABEL_HMAC_NUMERIC_KEY, LABEL_HMAC_QR_KEY, LABEL_ISSUER_KEY,
};
use paycode::numeric::{self, NumericCode};
use paycode::{Code, CredentialFields, Ed25519Wallet, HmacWallet, Issuer, Params, Seed};

const SPEC: &str = include_str!("../spec/paycode-v1.md");

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
    let wallet = HmacWallet::new(params, account, &seed, counter);
    let code = wallet.code_for(step, counter);
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
    assert_eq!(wallet.numeric(&code).unwrap(), n);

    // ed25519 profile.
    let issuer_seed = c.seed("ed25519.issuer_seed");
    let key_id = u16::try_from(c.num("ed25519.key_id")).unwrap();
    let issuer = Issuer::from_seed(&issuer_seed);
    c.expect("ed25519.issuer_public", &to_hex(&issuer.key(key_id).public_bytes()));
    let wallet_seed = c.seed("ed25519.wallet_seed");
    let device = Ed25519Wallet::device_public_key(&wallet_seed);
    c.expect("ed25519.device_public", &to_hex(&device));
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
    let w = Ed25519Wallet::new(params, &wallet_seed, credential, counter).unwrap();
    let code = w.code_for(step, counter);
    assert!(code.signing_input().starts_with(DS_ED25519_CODE));
    assert!(credential.signing_input().starts_with(DS_CREDENTIAL));
    c.expect("ed25519.code_signing_input", &to_hex(&code.signing_input()));
    c.expect("ed25519.signature", &to_hex(&code.signature()));
    c.expect("ed25519.payload", &to_hex(code.encode()));
    c.expect("ed25519.qr_text", &code.to_qr_text());
    assert!(matches!(Code::parse(&code.to_qr_text()), Ok(Code::Ed25519(_))));

    // The issuer key and device key derivations are the spec's labels.
    assert_eq!(
        issuer.key(key_id).public_bytes(),
        paycode::hazmat::eddsa::SecretKey::derive(&issuer_seed, LABEL_ISSUER_KEY, &key_id.to_be_bytes())
            .public_bytes()
    );
    assert_eq!(
        device,
        paycode::hazmat::eddsa::SecretKey::derive(&wallet_seed, LABEL_DEVICE_KEY, &[]).public_bytes()
    );

    let unchecked: Vec<_> = c.values.keys().filter(|k| !c.checked.contains(k)).collect();
    assert!(unchecked.is_empty(), "example values no test checks: {unchecked:?}");
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
