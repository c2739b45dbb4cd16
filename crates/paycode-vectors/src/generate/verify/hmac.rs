//! `verify-hmac.json`, first part: acceptance, the window's edges, the
//! high-water step, unknown accounts, wrong tags and throttling.

use paycode::Error;
use paycode::code::DS_HMAC_QR;
use paycode::hazmat::keys::{LABEL_HMAC_NUMERIC_KEY, LABEL_HMAC_QR_KEY, derive};

use super::{VerifyCase, add};
use crate::errors::VectorError;
use crate::format::{EnrolledAccount, StateBefore, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, ACCOUNT_PERIOD, DEFAULT_PARAMS, OTHER_ACCOUNT, SOURCE_PERIOD, STEP, TIME, budget,
    ed25519_verifier, entry, fresh_state, hmac_code, hmac_seed, hmac_text, hmac_text_with_tag, hmac_verifier,
    params, qr_text, state, state_with_entry, tag_with, trust_list_key_1,
};
use crate::generate::flags::Flag;

/// The requirements an accepted hmac code exercises.
const ACCEPTED: &[&str] = &["R-VERIFY-1", "R-HMAC-1", "R-TIME-4", "R-LOG-1", "R-REPLAY-1"];

/// The cases, in file order.
pub(super) fn cases(file: &mut FileBuilder) -> Result<(), VectorError> {
    accepted(file)?;
    window_edges(file)?;
    high_water(file)?;
    not_verifiable(file)?;
    wrong_tags(file)?;
    throttle(file)?;
    other_version(file)
}

/// Fresh codes that a fresh verifier accepts, with their log records.
fn accepted(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.accepted",
            requirements: ACCEPTED,
            flags: &[Flag::Valid, Flag::LogRecord],
            comment: "A fresh code, on time, at a fresh verifier.",
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.accepted-amount-ignored",
            requirements: &["R-VERIFY-1", "R-LOG-1"],
            flags: &[Flag::Valid, Flag::LogRecord],
            comment: "A one-way QR code binds no amount, so any amount is accepted; the hmac log record carries 0.",
            time: TIME + 30,
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 1)?,
            amount: 999,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.accepted-other-account",
            requirements: ACCEPTED,
            flags: &[Flag::Valid],
            comment: "A second enrolled account with the same counter as the first's entry.",
            state: state_with_entry(STEP, entry(paycode::Profile::Hmac, ACCOUNT, 0, 1, STEP)),
            text: hmac_text(&DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, 0)?,
            ..VerifyCase::at(&verifier)
        },
    )
}

/// Codes exactly at, and one step beyond, each edge of `[T - B, T + F]`,
/// for several windows, at the last second of the verifier's step.
fn window_edges(file: &mut FileBuilder) -> Result<(), VectorError> {
    for (back, forward) in [(2u64, 1u64), (0, 0), (8, 7), (1, 3)] {
        let window = params(0, 60, back, forward);
        let verifier = hmac_verifier(window);
        for (counter, (edge, step, verdict, what)) in [
            ("back-edge", STEP - back, Ok(()), "step T - B, the oldest accepted"),
            ("back-edge-minus-1", STEP - back - 1, Err(Error::TooOld), "step T - B - 1"),
            ("forward-edge", STEP + forward, Ok(()), "step T + F, the newest accepted"),
            ("forward-edge-plus-1", STEP + forward + 1, Err(Error::TooNew), "step T + F + 1"),
        ]
        .into_iter()
        .enumerate()
        {
            add(
                file,
                VerifyCase {
                    id: &format!("hmac.verify.window-b{back}-f{forward}-{edge}"),
                    requirements: &["R-TIME-4", "R-TIME-1"],
                    flags: &[Flag::WindowEdge],
                    comment: &format!(
                        "B = {back}, F = {forward}, verifier at step T = {STEP} (last second of the step): code of {what}."
                    ),
                    time: TIME + 59,
                    text: hmac_text(&window, ACCOUNT, step, counter as u32)?,
                    verdict,
                    ..VerifyCase::at(&verifier)
                },
            )?;
        }
    }
    Ok(())
}

/// The lower edge follows `T_hw`, the upper edge the clock; any call raises `T_hw`.
fn high_water(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.high-water-raises-back-edge",
            requirements: &["R-TIME-4", "R-TIME-5"],
            flags: &[Flag::HighWater, Flag::ClockJump],
            comment: "T_hw = T + 1 while the clock reads T: L = T_hw - B = T - 1, so step T - 2 is too old although T - B = T - 2.",
            state: state(STEP + 1, 0),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 2, 0)?,
            verdict: Err(Error::TooOld),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.high-water-back-edge",
            requirements: &["R-TIME-4", "R-TIME-5"],
            flags: &[Flag::HighWater, Flag::ClockJump, Flag::WindowEdge],
            comment: "T_hw = T + 1, clock T: step T - 1 = T_hw - B is accepted.",
            state: state(STEP + 1, 0),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 1, 0)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.high-water-forward-edge-from-floor",
            requirements: &["R-TIME-4", "R-TIME-8"],
            flags: &[Flag::HighWater, Flag::ClockJump, Flag::WindowEdge],
            comment: "T_hw = T + 1, clock T: the verifier time is the floor T0 + T_hw·X, so U = T + 1 + F and step T + 2 is accepted.",
            state: state(STEP + 1, 0),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 2, 0)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.high-water-too-new-above-floor",
            requirements: &["R-TIME-4", "R-TIME-8"],
            flags: &[Flag::HighWater, Flag::ClockJump, Flag::WindowEdge],
            comment: "T_hw = T + 1, clock T: step T + 3 is past U = T + 1 + F, too new.",
            state: state(STEP + 1, 0),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 3, 0)?,
            verdict: Err(Error::TooNew),
            ..VerifyCase::at(&verifier)
        },
    )?;
    file.retire(
        "hmac.verify.high-water-forward-edge-from-clock",
        "the window's upper edge uses the verifier time max(t, φ) (R-TIME-8); see hmac.verify.high-water-forward-edge-from-floor",
    );
    add(
        file,
        VerifyCase {
            id: "hmac.verify.clock-far-behind-high-water",
            requirements: &["R-TIME-4", "R-TIME-5"],
            flags: &[Flag::HighWater, Flag::ClockJump],
            comment: "T_hw = T + 5, clock T: no step is in [T + 3, T + 1]; an on-time code is too old.",
            state: state(STEP + 5, 0),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            verdict: Err(Error::TooOld),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.malformed-raises-high-water",
            requirements: &["R-TIME-5"],
            flags: &[Flag::HighWater],
            comment: "Input that does not decode still raises T_hw to T (state after).",
            state: state(STEP - 5, 0),
            text: "PC3:NOT A CODE".into(),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )
}

/// A code of an account the verifier does not hold, and of a profile it has not enabled.
fn not_verifiable(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    for id in ["hmac.verify.unknown-account", "hmac.verify.no-accounts-enrolled"] {
        file.retire(
            id,
            "unknown-account is retired: an account without keys here is invalid-code, as a wrong tag is (R-HMAC-9)",
        );
    }
    add(
        file,
        VerifyCase {
            id: "hmac.verify.unknown-account-invalid-code",
            requirements: &["R-VERIFY-1", "R-HMAC-9"],
            flags: &[Flag::UnknownAccount],
            comment: "A code for account 99, which is not enrolled, made with a seed of its own: invalid-code, the verdict of a wrong tag, so that no verdict tells which accounts exist.",
            text: hmac_text(&DEFAULT_PARAMS, 99, STEP, 0)?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.profile-not-enabled",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile],
            comment: "An hmac code at a verifier with only the ed25519 profile.",
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            verdict: Err(Error::UnsupportedProfile),
            ..VerifyCase::at(&ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?))
        },
    )?;
    file.retire(
        "hmac.verify.profile-not-enabled-entry-listed",
        "an hmac code names no account: state_after lists an hmac identity only once H2 has found the account and the code has passed H3, which a code of a profile not enabled never reaches; hmac.verify.profile-not-enabled-lists-no-entry takes its place",
    );
    add(
        file,
        VerifyCase {
            id: "hmac.verify.profile-not-enabled-lists-no-entry",
            requirements: &["R-VERIFY-1", "R-VERIFY-3", "R-HANDLE-1"],
            flags: &[Flag::Profile],
            comment: "An hmac code at a verifier with only the ed25519 profile, whose state holds a live entry for account 42 (H = 5). The code carries a handle, not the account id, and is rejected before H1, so state_after lists no entry.",
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 6)?,
            verdict: Err(Error::UnsupportedProfile),
            state: state_with_entry(STEP, entry(paycode::Profile::Hmac, ACCOUNT, 5, 1, STEP)),
            ..VerifyCase::at(&ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?))
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.no-accounts-enrolled-invalid-code",
            requirements: &["R-VERIFY-1", "R-HMAC-9"],
            flags: &[Flag::UnknownAccount, Flag::Profile],
            comment: "A verifier with the hmac profile enabled and no account enrolled yet (hmac_accounts is an empty list, not null): the profile is supported and the account is unknown, so the code is invalid-code.",
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&VerifierConfig {
                hmac_accounts: Some(Vec::new()),
                ..hmac_verifier(DEFAULT_PARAMS)
            })
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.profile-not-enabled-short",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile, Flag::Length, Flag::Precedence],
            comment: "A payload naming version 1 and the hmac profile, 30 bytes long instead of 42, at a verifier with only the ed25519 profile: the profile is checked before the length.",
            text: qr_text(&[&[2u8, 1][..], &[0; 28]].concat()),
            verdict: Err(Error::UnsupportedProfile),
            ..VerifyCase::at(&ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?))
        },
    )
}

/// The last tag bit flipped, and tags a wrong implementation computes: under
/// another account's key, without the DS string, under `K_num`, under the seed.
fn wrong_tags(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let good = hmac_code(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?;
    let seed = paycode::Seed::from_bytes(&hmac_seed(ACCOUNT));
    let k_qr = derive(&seed, LABEL_HMAC_QR_KEY, &ACCOUNT.to_be_bytes());
    let k_num = derive(&seed, LABEL_HMAC_NUMERIC_KEY, &ACCOUNT.to_be_bytes());
    let maced = good.maced();
    let other_accounts_tag = *hmac_code(&DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, 0)?.tag();
    for (name, requirements, flags, comment, tag) in [
        (
            "tag-bit-flipped",
            &["R-HMAC-1", "R-HMAC-5"][..],
            &[Flag::BadTag][..],
            "The last bit of the tag flipped.",
            flipped_tag(&good),
        ),
        (
            "other-accounts-key",
            &["R-HMAC-1", "R-KEY-3"],
            &[Flag::BadTag],
            "Account 42's fields with a tag under account 7's key.",
            other_accounts_tag,
        ),
        (
            "tag-without-domain-separation",
            &["R-KEY-3", "R-HMAC-1"],
            &[Flag::BadTag, Flag::DomainSeparation],
            "Tag = HMAC(K_qr, payload[0..22]) without the DS string.",
            tag_with(k_qr.expose(), &[&maced])?,
        ),
        (
            "tag-under-numeric-key",
            &["R-KEY-3", "R-HMAC-1"],
            &[Flag::BadTag, Flag::DomainSeparation],
            "Tag computed with K_num instead of K_qr.",
            tag_with(k_num.expose(), &[DS_HMAC_QR, &maced])?,
        ),
        (
            "tag-under-seed",
            &["R-KEY-3", "R-HMAC-1"],
            &[Flag::BadTag, Flag::DomainSeparation],
            "Tag computed with the seed itself as the key.",
            tag_with(&hmac_seed(ACCOUNT), &[DS_HMAC_QR, &maced])?,
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("hmac.verify.{name}"),
                requirements,
                flags,
                comment,
                text: hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP, 0, tag)?,
                verdict: Err(Error::InvalidCode),
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    Ok(())
}

/// The tag of `code` with its last bit flipped.
pub(super) fn flipped_tag(code: &paycode::code::HmacCode) -> [u8; 16] {
    let mut tag = *code.tag();
    tag[15] ^= 1;
    tag
}

/// QR codes are never throttled (spec: R-HMAC-6): the ids of the per-step
/// throttle, which throttled both forms, are retired.
fn throttle(file: &mut FileBuilder) -> Result<(), VectorError> {
    for id in [
        "hmac.verify.throttled-valid-code",
        "hmac.verify.seven-failures-valid-code",
        "hmac.verify.seven-failures-bad-tag",
        "hmac.verify.failures-of-previous-step",
        "hmac.verify.other-account-throttled",
    ] {
        file.retire(
            id,
            "the per-step throttle of both forms is retired: QR codes are never throttled, numeric codes spend failure budgets (R-HMAC-6 to R-HMAC-8)",
        );
    }
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let spent = StateBefore {
        budgets: vec![budget(ACCOUNT, STEP + 10 * ACCOUNT_PERIOD)],
        source_budgets: vec![crate::format::SourceBudget {
            terminal_id: verifier.terminal_id,
            u: STEP + 100 * SOURCE_PERIOD,
        }],
        ..fresh_state()
    };
    add(
        file,
        VerifyCase {
            id: "hmac.verify.qr-never-throttled",
            requirements: &["R-HMAC-6"],
            flags: &[Flag::Throttle, Flag::Valid],
            comment: "The account's numeric failure budget and the source's are spent many times over: a valid QR code is accepted, since a 128-bit tag cannot be guessed and a throttle on it would only let anyone lock the account's codes.",
            state: spent.clone(),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.qr-bad-tag-with-budgets-spent",
            requirements: &["R-HMAC-6"],
            flags: &[Flag::Throttle, Flag::BadTag],
            comment: "Both budgets spent and a QR code with a wrong tag: invalid-code, not throttled.",
            state: spent,
            text: hmac_text_with_tag(
                &DEFAULT_PARAMS,
                ACCOUNT,
                STEP,
                0,
                flipped_tag(&hmac_code(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?),
            )?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )
}

/// The hmac worked example of v1 (seed 00..1f, account 42, counter 7,
/// t = 1800000000), its QR text and digits as v1's spec gave them.
const V1_QR_TEXT: &str = "PC1:W50000000000.000000007A08WO000700S3C2:2PCJ4TMDURV8K8AJOCG";
const V1_DIGITS: &str = "000000023643902217535274";

/// Codes of v1 at a verifier of this version, which holds the account of
/// v1's worked example (spec: R-ENC-6).
fn other_version(file: &mut FileBuilder) -> Result<(), VectorError> {
    let seed: Vec<u8> = (0u8..32).collect();
    let verifier = VerifierConfig {
        hmac_accounts: Some(vec![EnrolledAccount {
            account_id: 42,
            seed: crate::generate::fixtures::hex(&seed),
        }]),
        ..hmac_verifier(DEFAULT_PARAMS)
    };
    add(
        file,
        VerifyCase {
            id: "hmac.verify.v1-qr-text",
            requirements: &["R-ENC-6", "R-ENC-1"],
            flags: &[Flag::Prefix, Flag::Version],
            comment: "The QR text of v1's worked example, prefix PC1:: a text of no code of this version, malformed.",
            text: V1_QR_TEXT.into(),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.v1-numeric",
            requirements: &["R-ENC-6", "R-HMAC-2"],
            flags: &[Flag::Version],
            comment: "The digits of v1's worked example, for account 42 at its time: made under v1's labels, they fail H3 under this version's keys, invalid-code, and charge the failure budgets.",
            text: V1_DIGITS.into(),
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )
}
