//! `params.json` (the parameter ranges) and `keys.json` (key derivation).

use crate::errors::VectorError;
use crate::format::{DeriveInput, HandleInput, Op, Purpose, TimeParams, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{hex, params as time_params, seed_bytes};
use crate::generate::flags::Flag;

/// `params.json`: `X` in `[1, 86400]`, `B <= 8`, `F <= 7`, `C` in `[30, 600]`, any `T0` (spec R-TIME-6).
pub(super) fn params() -> Result<VectorFile, VectorError> {
    let lifetime = |c: u64| TimeParams { challenge_lifetime: Some(c), ..time_params(0, 60, 2, 1) };
    let ceiling = |a: u64| TimeParams { numeric_ceiling: Some(a), ..time_params(0, 60, 2, 1) };
    let mut file = FileBuilder::new(
        "params",
        "Parameter ranges (spec R-TIME-6): X in [1, 86400], B in [0, 8], F in [0, 7], C in [30, 600], T0 and A_num any u64. Wallets and verifiers refuse other values.",
    );
    for (name, params, valid, comment) in [
        ("defaults", time_params(0, 60, 2, 1), true, "The defaults T0 = 0, X = 60, B = 2, F = 1."),
        ("step-1", time_params(0, 1, 2, 1), true, "X = 1, the shortest step."),
        ("step-86400", time_params(0, 86_400, 2, 1), true, "X = 86400, the longest step."),
        ("step-0", time_params(0, 0, 2, 1), false, "X = 0 would divide by zero."),
        ("step-86401", time_params(0, 86_401, 2, 1), false, "X one above the range."),
        ("step-max", time_params(0, u64::MAX, 2, 1), false, "X = 2^64 - 1."),
        ("back-0-forward-0", time_params(0, 60, 0, 0), true, "The narrowest window, one step."),
        ("back-8-forward-7", time_params(0, 60, 8, 7), true, "The widest window, 16 steps."),
        ("back-9", time_params(0, 60, 9, 1), false, "B one above the range."),
        ("forward-8", time_params(0, 60, 2, 8), false, "F one above the range."),
        ("t0-max", time_params(u64::MAX, 60, 2, 1), true, "Any T0 is allowed, even 2^64 - 1."),
        ("challenge-lifetime-30", lifetime(30), true, "C = 30 s, the shortest challenge lifetime."),
        ("challenge-lifetime-600", lifetime(600), true, "C = 600 s, the longest."),
        ("challenge-lifetime-29", lifetime(29), false, "C one below the range."),
        ("challenge-lifetime-601", lifetime(601), false, "C one above the range."),
        ("challenge-lifetime-0", lifetime(0), false, "C = 0: no challenge could ever be open."),
        ("numeric-ceiling-max", ceiling(u64::MAX), true, "Every numeric ceiling A_num is in range."),
    ] {
        file.add(Case {
            id: &format!("params.check.{name}"),
            requirements: &["R-TIME-6"],
            flags: &[if valid { Flag::Valid } else { Flag::Params }],
            comment,
            op: Op::ParamsCheck,
            input: params,
            intent: Intent::validity(valid),
        })?;
    }
    Ok(file.finish())
}

/// `keys.json`: `K_qr`, `K_num`, device and issuer keys from their seeds
/// (spec §3.2), with the PRK and info bytes as intermediates.
pub(super) fn derivation() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "keys",
        "Key derivation (spec §3.2): HKDF-SHA256 with salt \"paycode v3\" and the zero-terminated labels, for K_qr, K_num, K_h, the device key and issuer keys. Intermediates give the PRK and the info bytes. Then an hmac account's handle and pads for a step (R-HANDLE-1).",
    );
    let spec_seed: Vec<u8> = (0u8..32).collect();
    let hmac_seed = seed_bytes("keys/hmac").to_vec();
    for (name, seed, account, comment) in [
        ("spec-example", &spec_seed, 42u64, "The seed and account of the spec's worked example."),
        ("account-0", &hmac_seed, 0, "Account id 0."),
        ("account-numeric-max", &hmac_seed, (1 << 30) - 1, "Account id 2^30 - 1."),
        ("account-max", &hmac_seed, u64::MAX, "Account id 2^64 - 1: the context is 8 bytes ff."),
    ] {
        for (purpose, label, key) in [
            (Purpose::HmacQr, "k-qr", "hmac-qr"),
            (Purpose::HmacNumeric, "k-num", "hmac-numeric"),
            (Purpose::HmacHandle, "k-h", "hmac-handle"),
        ] {
            let requirements: &[&str] = if purpose == Purpose::HmacHandle {
                &["R-KEY-2", "R-KEY-3", "R-HANDLE-1"]
            } else {
                &["R-KEY-2", "R-KEY-3"]
            };
            file.add(Case {
                id: &format!("keys.derive.{label}-{name}"),
                requirements,
                flags: &[Flag::Derived],
                comment: &format!("{key} key: {comment}"),
                op: Op::DeriveKey,
                input: DeriveInput {
                    purpose,
                    seed: hex(seed),
                    account_id: Some(account),
                    key_id: None,
                    key_index: None,
                },
                intent: Intent::valid(),
            })?;
        }
    }
    // The device key of index i: the context is u32(i) (spec R-BATCH-1).
    for id in ["keys.derive.device-spec-example", "keys.derive.device-labelled"] {
        file.retire(
            id,
            "the device key derived without a key index: a device key now has an index, u32(i) after the label (spec R-BATCH-1)",
        );
    }
    for (name, seed, index, comment) in [
        (
            "spec-example-index-0",
            [0x22u8; 32],
            0u32,
            "The wallet seed of the spec's worked example, index 0.",
        ),
        ("index-0", seed_bytes("keys/device"), 0, "Index 0, a batch's first key: the context is 4 bytes 00."),
        ("index-1", seed_bytes("keys/device"), 1, "Index 1: the same seed gives another key."),
        ("index-2", seed_bytes("keys/device"), 2, "Index 2."),
        (
            "index-max",
            seed_bytes("keys/device"),
            u32::MAX,
            "Index 2^32 - 1, the last: the context is 4 bytes ff.",
        ),
    ] {
        file.add(Case {
            id: &format!("keys.derive.device-{name}"),
            requirements: &["R-KEY-2", "R-KEY-3", "R-BATCH-1"],
            flags: &[Flag::Derived],
            comment: &format!("Device key: {comment}"),
            op: Op::DeriveKey,
            input: DeriveInput {
                purpose: Purpose::Ed25519Device,
                seed: hex(&seed),
                account_id: None,
                key_id: None,
                key_index: Some(index),
            },
            intent: Intent::valid(),
        })?;
    }
    for (name, seed, key_id, comment) in [
        ("spec-example", [0x11u8; 32], 1u16, "The issuer seed of the spec's worked example, key id 1."),
        ("key-0", seed_bytes("keys/issuer"), 0, "Key id 0."),
        ("key-2", seed_bytes("keys/issuer"), 2, "Key id 2: a rotation of the same issuer seed."),
        ("key-max", seed_bytes("keys/issuer"), u16::MAX, "Key id 65535: the context is 2 bytes ff."),
    ] {
        file.add(Case {
            id: &format!("keys.derive.issuer-{name}"),
            requirements: &["R-KEY-2", "R-KEY-3"],
            flags: &[Flag::Derived],
            comment: &format!("Issuer key: {comment}"),
            op: Op::DeriveKey,
            input: DeriveInput {
                purpose: Purpose::Ed25519Issuer,
                seed: hex(&seed),
                account_id: None,
                key_id: Some(key_id),
                key_index: None,
            },
            intent: Intent::valid(),
        })?;
    }
    for (name, seed, comment) in [
        ("spec-example", [0x11u8; 32], "The issuer seed of the spec's worked example."),
        ("other-seed", seed_bytes("keys/issuer"), "Another issuer seed."),
    ] {
        file.add(Case {
            id: &format!("keys.derive.root-{name}"),
            requirements: &["R-KEY-2", "R-KEY-3", "R-TRUST-3"],
            flags: &[Flag::Derived],
            comment: &format!("Root key, which signs trust lists only: {comment}"),
            op: Op::DeriveKey,
            input: DeriveInput {
                purpose: Purpose::Ed25519Root,
                seed: hex(&seed),
                account_id: None,
                key_id: None,
                key_index: None,
            },
            intent: Intent::valid(),
        })?;
    }
    handles(&mut file, &spec_seed, &hmac_seed)?;
    Ok(file.finish())
}

/// `hmac-handle`: an account's handle, `handle30`, pad and `pad16` for a
/// step, `HMAC(K_h, DS_handle || u64(step))` cut as R-HANDLE-1 says.
fn handles(file: &mut FileBuilder, spec_seed: &[u8], hmac_seed: &[u8]) -> Result<(), VectorError> {
    for (name, seed, account_id, step, comment) in [
        (
            "spec-example",
            spec_seed,
            42u64,
            30_000_000u64,
            "The spec's worked example: seed 00..1f, account 42, step 30000000 (t = 1800000000).",
        ),
        (
            "spec-example-next-step",
            spec_seed,
            42,
            30_000_001,
            "The same account one step later: another handle and another pad.",
        ),
        (
            "other-account",
            spec_seed,
            43,
            30_000_000,
            "Account 43 with the same seed and step: another handle.",
        ),
        ("step-0", hmac_seed, 0, 0, "Account 0 at step 0: the MAC input ends in 8 zero bytes."),
        ("step-max", hmac_seed, u64::MAX, u64::MAX, "Account and step 2^64 - 1."),
    ] {
        file.add(Case {
            id: &format!("keys.handle.{name}"),
            requirements: &["R-HANDLE-1", "R-HANDLE-2"],
            flags: &[Flag::Derived],
            comment,
            op: Op::HmacHandle,
            input: HandleInput { seed: hex(seed), account_id, step },
            intent: Intent::valid(),
        })?;
    }
    Ok(())
}
