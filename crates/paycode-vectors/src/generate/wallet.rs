//! `generate-hmac.json` and `generate-ed25519.json`: byte-exact wallet output
//! of both profiles, with the keys, MAC and signature inputs as intermediates.

use paycode::credential::{Credential, CredentialFields};
use paycode::{Ed25519Wallet, GenerateError};

use super::builder::{Case, FileBuilder, Intent};
use super::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, TIME, challenge, credential_fields, device_seed, hex, hmac_seed, issue,
    main_fields, params,
};
use super::flags::Flag;
use crate::errors::VectorError;
use crate::format::{
    BatchSlot, Ed25519BatchGenerateInput, Ed25519GenerateInput, HmacGenerateInput, ModeName, Op, TimeParams,
    VectorFile,
};

/// Both files.
pub(super) fn files() -> Result<Vec<VectorFile>, VectorError> {
    Ok(vec![hmac()?, ed25519()?])
}

/// The requirements every valid hmac generation exercises.
const HMAC_GENERATION: &[&str] = &["R-GEN-2", "R-HMAC-1", "R-HMAC-2", "R-KEY-3", "R-ENC-1", "R-TIME-1"];

/// The input of an hmac wallet with `seed` and `account` at `time`, whose next counter is `counter`.
fn hmac_wallet(
    params: TimeParams,
    seed: &[u8],
    account_id: u64,
    time: u64,
    counter: u32,
) -> HmacGenerateInput {
    HmacGenerateInput {
        params,
        seed: hex(seed),
        account_id,
        time,
        counter,
        mode: crate::format::ModeName::OneWay,
        cap: None,
        challenge: None,
    }
}

/// `generate-hmac.json`.
fn hmac() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "generate-hmac",
        "hmac wallet generation (spec §7.2): byte-exact payload, QR text and digits from seed, account, time and counter, with K_qr, K_num, the MAC inputs and outputs as intermediates.",
    );
    let spec_seed: Vec<u8> = (0u8..32).collect();
    file.retire(
        "hmac.generate.spec-worked-example",
        "the worked example's code carries the account's handle and the masked counter (R-HANDLE-1, R-HANDLE-2); hmac.generate.spec-worked-example-handle takes its place",
    );
    file.add(Case {
        id: "hmac.generate.spec-worked-example-handle",
        requirements: &["R-GEN-2", "R-HMAC-1", "R-HMAC-2", "R-HANDLE-1", "R-HANDLE-2", "R-KEY-3", "R-ENC-1", "R-TIME-1"],
        flags: &[Flag::SpecExample, Flag::Generation, Flag::DomainSeparation],
        comment: "The spec's worked example (section 11.1): seed 00..1f, account 42, counter 7, t = 1800000000; the code carries the handle of step 30000000 and the counter masked with its pad.",
        op: Op::HmacGenerate,
        input: hmac_wallet(DEFAULT_PARAMS, &spec_seed, 42, TIME, 7),
        intent: Intent::valid()
            .with("text", "PC3:4H05ERP23$VILAL0000007A08WOEXV83C64M%YE%Q2OXT234CT1DSBQ3D")
            .with("digits", "510145578276524468176134"),
    })?;
    let seed = hmac_seed(ACCOUNT);
    for (name, params, time, counter, comment) in [
        ("basic", DEFAULT_PARAMS, TIME, 0u32, "Counter 0 at the fixed time."),
        (
            "step-boundary-last",
            DEFAULT_PARAMS,
            TIME + 59,
            1,
            "The last second of step S: floor, not rounding.",
        ),
        ("step-boundary-first", DEFAULT_PARAMS, TIME + 60, 2, "The first second of step S + 1."),
        ("t0-offset", params(1_000_000_000, 30, 2, 1), TIME, 3, "T0 = 10^9, X = 30: step (t - T0) / 30."),
        ("t-equals-t0", params(TIME, 60, 2, 1), TIME, 4, "t = T0: step 0."),
        ("step-1-second-max-time", params(0, 1, 2, 1), u64::MAX, 5, "X = 1 and t = 2^64 - 1: step 2^64 - 1."),
        (
            "counter-numeric-max",
            DEFAULT_PARAMS,
            TIME,
            0xffff,
            "Counter 2^16 - 1, the largest with a numeric form.",
        ),
        (
            "counter-max-usable",
            DEFAULT_PARAMS,
            TIME,
            u32::MAX - 1,
            "Counter 2^32 - 2, the last one a wallet may use; no numeric form.",
        ),
    ] {
        file.add(Case {
            id: &format!("hmac.generate.{name}"),
            requirements: HMAC_GENERATION,
            flags: &[Flag::Generation],
            comment,
            op: Op::HmacGenerate,
            input: hmac_wallet(params, &seed, ACCOUNT, time, counter),
            intent: Intent::valid(),
        })?;
    }
    numeric_limits(&mut file, &seed)?;
    let wallet_errors = [
        Case {
            id: "hmac.generate.before-epoch",
            requirements: &["R-TIME-2"],
            flags: &[Flag::BeforeEpoch],
            comment: "t = T0 - 1: the wallet fails with time-before-epoch.",
            op: Op::HmacGenerate,
            input: hmac_wallet(params(TIME, 60, 2, 1), &seed, ACCOUNT, TIME - 1, 0),
            intent: Intent::invalid(GenerateError::TimeBeforeEpoch),
        },
        Case {
            id: "hmac.generate.before-epoch-max",
            requirements: &["R-TIME-2", "R-TIME-3"],
            flags: &[Flag::BeforeEpoch, Flag::U64Extreme],
            comment: "T0 = 2^64 - 1 and t = 0.",
            op: Op::HmacGenerate,
            input: hmac_wallet(params(u64::MAX, 60, 2, 1), &seed, ACCOUNT, 0, 0),
            intent: Intent::invalid(GenerateError::TimeBeforeEpoch),
        },
        Case {
            id: "hmac.generate.counter-exhausted",
            requirements: &["R-GEN-1"],
            flags: &[Flag::CounterExhausted, Flag::U64Extreme],
            comment: "Counter 2^32 - 1: its successor does not exist, so the wallet refuses.",
            op: Op::HmacGenerate,
            input: hmac_wallet(DEFAULT_PARAMS, &seed, ACCOUNT, TIME, u32::MAX),
            intent: Intent::invalid(GenerateError::CounterExhausted),
        },
    ];
    for case in wallet_errors {
        file.add(case)?;
    }
    let till = challenge(1, 250, TIME, "till").to_qr_text();
    let modes = [
        Case {
            id: "hmac.generate.capped",
            requirements: &["R-GEN-2", "R-MODE-1", "R-CAP-1", "R-HMAC-1", "R-HMAC-4"],
            flags: &[Flag::Generation, Flag::Cap, Flag::NumericUnavailable],
            comment: "A capped code, cap 500: the tag covers the 26-byte head with the cap; no numeric form.",
            op: Op::HmacGenerate,
            input: HmacGenerateInput {
                mode: ModeName::Capped,
                cap: Some(500),
                ..hmac_wallet(DEFAULT_PARAMS, &seed, ACCOUNT, TIME, 7)
            },
            intent: Intent::valid(),
        },
        Case {
            id: "hmac.generate.challenge",
            requirements: &["R-GEN-2", "R-MODE-1", "R-CHAL-2", "R-HMAC-1", "R-HMAC-4", "R-KEY-3"],
            flags: &[Flag::Generation, Flag::Challenge, Flag::DomainSeparation, Flag::NumericUnavailable],
            comment: "A challenge code for terminal 1's challenge of 250: the MAC input ends with the challenge digest; no numeric form.",
            op: Op::HmacGenerate,
            input: HmacGenerateInput {
                mode: ModeName::Challenge,
                challenge: Some(till),
                ..hmac_wallet(DEFAULT_PARAMS, &seed, ACCOUNT, TIME, 7)
            },
            intent: Intent::valid(),
        },
    ];
    for case in modes {
        file.add(case)?;
    }
    Ok(file.finish())
}

/// Every account has a numeric form; the largest counter with one, and the smallest without.
fn numeric_limits(file: &mut FileBuilder, seed: &[u8]) -> Result<(), VectorError> {
    let unavailable = GenerateError::NumericUnavailable.code();
    for id in ["hmac.generate.account-numeric-max", "hmac.generate.account-2-30"] {
        file.retire(
            id,
            "the numeric form carries the handle, not the account id: every account has one (R-HMAC-4); hmac.generate.account-max-numeric takes their place",
        );
    }
    let cases = [
        Case {
            id: "hmac.generate.account-max-numeric",
            requirements: &["R-GEN-2", "R-HMAC-4", "R-HANDLE-1"],
            flags: &[Flag::Generation, Flag::NumericLayout],
            comment: "Account 2^64 - 1 has a numeric form: it carries the account's 30-bit handle.",
            op: Op::HmacGenerate,
            input: hmac_wallet(DEFAULT_PARAMS, seed, u64::MAX, TIME, 1),
            intent: Intent::valid(),
        },
        Case {
            id: "hmac.generate.counter-2-16",
            requirements: &["R-GEN-2", "R-HMAC-4"],
            flags: &[Flag::Generation, Flag::NumericUnavailable],
            comment: "Counter 2^16: QR text only; numeric-unavailable.",
            op: Op::HmacGenerate,
            input: hmac_wallet(DEFAULT_PARAMS, seed, ACCOUNT, TIME, 1 << 16),
            intent: Intent::valid().with("numeric_error", unavailable),
        },
    ];
    for case in cases {
        file.add(case)?;
    }
    Ok(())
}

/// The requirements every valid ed25519 generation exercises.
const ED25519_GENERATION: &[&str] = &["R-GEN-2", "R-ED-5", "R-KEY-3", "R-ENC-1", "R-TIME-1"];

/// The input of ed25519 wallet `wallet` holding `credential` at `time`, whose next counter is `counter`.
fn ed25519_wallet(
    params: TimeParams,
    wallet: u32,
    credential: &Credential,
    time: u64,
    counter: u32,
) -> Ed25519GenerateInput {
    Ed25519GenerateInput {
        mode: crate::format::ModeName::OneWay,
        cap: None,
        challenge: None,
        params,
        device_seed: hex(device_seed(wallet).expose()),
        credential: hex(credential.as_bytes()),
        time,
        counter,
    }
}

/// `generate-ed25519.json`.
fn ed25519() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "generate-ed25519",
        "ed25519 wallet generation (spec §7.3): byte-exact payload and QR text from the wallet seed, credential, time and counter; the device key, signing input and signature as intermediates.",
    );
    let credential = issue(main_fields());
    let key_2_credential = issue(credential_fields(2, 2, 2002, TIME, 604_800));
    let cases = [
        Case {
            id: "ed25519.generate.basic",
            requirements: ED25519_GENERATION,
            flags: &[Flag::Generation, Flag::DomainSeparation],
            comment: "Counter 3 at the fixed time.",
            op: Op::Ed25519Generate,
            input: ed25519_wallet(DEFAULT_PARAMS, 1, &credential, TIME, 3),
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.counter-0",
            requirements: ED25519_GENERATION,
            flags: &[Flag::Generation],
            comment: "Counter 0, one minute later.",
            op: Op::Ed25519Generate,
            input: ed25519_wallet(DEFAULT_PARAMS, 1, &credential, TIME + 60, 0),
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.key-2-wallet-2",
            requirements: ED25519_GENERATION,
            flags: &[Flag::Generation, Flag::Rotation],
            comment: "Another wallet with a credential of issuer key 2.",
            op: Op::Ed25519Generate,
            input: ed25519_wallet(DEFAULT_PARAMS, 2, &key_2_credential, TIME + 1, 9),
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.step-1-second-max-time",
            requirements: ED25519_GENERATION,
            flags: &[Flag::Generation, Flag::U64Extreme],
            comment: "X = 1 and t = 2^64 - 1.",
            op: Op::Ed25519Generate,
            input: ed25519_wallet(params(0, 1, 2, 1), 1, &credential, u64::MAX, 1),
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.before-epoch",
            requirements: &["R-TIME-2"],
            flags: &[Flag::BeforeEpoch],
            comment: "t < T0: time-before-epoch.",
            op: Op::Ed25519Generate,
            input: ed25519_wallet(params(TIME, 60, 2, 1), 1, &credential, TIME - 1, 0),
            intent: Intent::invalid(GenerateError::TimeBeforeEpoch),
        },
        Case {
            id: "ed25519.generate.counter-exhausted",
            requirements: &["R-GEN-1"],
            flags: &[Flag::CounterExhausted],
            comment: "Counter 2^32 - 1 is never used.",
            op: Op::Ed25519Generate,
            input: ed25519_wallet(DEFAULT_PARAMS, 1, &credential, TIME, u32::MAX),
            intent: Intent::invalid(GenerateError::CounterExhausted),
        },
    ];
    for case in cases {
        file.add(case)?;
    }
    let stall = challenge(7, 250, TIME, "stall").to_qr_text();
    let modes = [
        Case {
            id: "ed25519.generate.capped",
            requirements: &["R-GEN-2", "R-MODE-1", "R-CAP-1", "R-ED-5"],
            flags: &[Flag::Generation, Flag::Cap],
            comment: "A capped code, cap 1200: the signature covers the 144-byte head with the cap.",
            op: Op::Ed25519Generate,
            input: Ed25519GenerateInput {
                mode: ModeName::Capped,
                cap: Some(1200),
                ..ed25519_wallet(DEFAULT_PARAMS, 1, &credential, TIME, 3)
            },
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.challenge",
            requirements: &["R-GEN-2", "R-MODE-1", "R-CHAL-2", "R-ED-5", "R-KEY-3"],
            flags: &[Flag::Generation, Flag::Challenge, Flag::DomainSeparation],
            comment: "A challenge code for terminal 7's challenge of 250: the signed message ends with the challenge digest.",
            op: Op::Ed25519Generate,
            input: Ed25519GenerateInput {
                mode: ModeName::Challenge,
                challenge: Some(stall),
                ..ed25519_wallet(DEFAULT_PARAMS, 1, &credential, TIME, 3)
            },
            intent: Intent::valid(),
        },
    ];
    for case in modes {
        file.add(case)?;
    }
    batch_turns(&mut file)?;
    Ok(file.finish())
}

/// `ed25519-batch-generate`: a wallet with a batch uses its credentials in
/// turn, fewest codes first, then lowest key index (spec R-BATCH-4).
fn batch_turns(file: &mut FileBuilder) -> Result<(), VectorError> {
    let seed = device_seed(7);
    // The credential of key index `index` of wallet 7, serial 7000 + index.
    let slot = |index: u32, next_counter: u32| BatchSlot {
        key_index: index,
        credential: hex(issue(CredentialFields {
            serial: 7_000 + u64::from(index),
            device_key: Ed25519Wallet::device_public_key(&seed, index),
            ..main_fields()
        })
        .as_bytes()),
        next_counter,
    };
    let input = |params: TimeParams, batch: Vec<BatchSlot>, times: Vec<u64>| Ed25519BatchGenerateInput {
        params,
        device_seed: hex(seed.expose()),
        batch,
        times,
    };
    let minutes = |n: u64| (0..n).map(|i| TIME + 60 * i).collect::<Vec<_>>();
    let cases = [
        Case {
            id: "ed25519.generate.batch-in-turn",
            requirements: &["R-BATCH-4", "R-BATCH-1", "R-GEN-2"],
            flags: &[Flag::Generation, Flag::Batch],
            comment: "Three credentials (key indexes 0, 1, 2), none used: seven codes take indexes 0, 1, 2, 0, 1, 2, 0 with counters 0, 0, 0, 1, 1, 1, 2, each signed by its own device key.",
            op: Op::Ed25519BatchGenerate,
            input: input(DEFAULT_PARAMS, vec![slot(0, 0), slot(1, 0), slot(2, 0)], minutes(7)),
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.batch-fewest-codes-first",
            requirements: &["R-BATCH-4"],
            flags: &[Flag::Generation, Flag::Batch],
            comment: "Key indexes 4, 5, 6 with next counters 2, 0, 1: the codes take 5 (counter 0), 5 (1: its 1 ties with index 6's, and 5 is the lower index), 6 (1), then 4, 5, 6 (2 each).",
            op: Op::Ed25519BatchGenerate,
            input: input(DEFAULT_PARAMS, vec![slot(4, 2), slot(5, 0), slot(6, 1)], minutes(6)),
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.batch-key-index-order",
            requirements: &["R-BATCH-4"],
            flags: &[Flag::Generation, Flag::Batch],
            comment: "The batch held in the order 6, 4, 5, none used: the turn follows the key index, not the order the wallet holds them in: 4, 5, 6, 4.",
            op: Op::Ed25519BatchGenerate,
            input: input(DEFAULT_PARAMS, vec![slot(6, 0), slot(4, 0), slot(5, 0)], minutes(4)),
            intent: Intent::valid(),
        },
        Case {
            id: "ed25519.generate.batch-before-epoch",
            requirements: &["R-TIME-2", "R-BATCH-4"],
            flags: &[Flag::BeforeEpoch, Flag::Batch],
            comment: "A batch wallet at t < T0: time-before-epoch.",
            op: Op::Ed25519BatchGenerate,
            input: input(params(TIME, 60, 2, 1), vec![slot(0, 0), slot(1, 0)], vec![TIME - 1]),
            intent: Intent::invalid(GenerateError::TimeBeforeEpoch),
        },
        Case {
            id: "ed25519.generate.batch-exhausted",
            requirements: &["R-GEN-1", "R-BATCH-4"],
            flags: &[Flag::CounterExhausted, Flag::Batch],
            comment: "Both credentials at counter 2^32 - 1, which is never used: counter-exhausted.",
            op: Op::Ed25519BatchGenerate,
            input: input(DEFAULT_PARAMS, vec![slot(0, u32::MAX), slot(1, u32::MAX)], vec![TIME]),
            intent: Intent::invalid(GenerateError::CounterExhausted),
        },
    ];
    for case in cases {
        file.add(case)?;
    }
    Ok(())
}
