//! The precedence of the checks (spec R-VERIFY-1, R-VERIFY-2): two or more
//! checks fail at once, and only the first in the spec's order may be
//! reported. The cases close each verify file.

use paycode::{Error, Profile};

use super::ed25519::{AMOUNT, Terminal};
use super::ed25519_trust::{flipped_signature, key_2_fields, revoked_state};
use super::hmac::flipped_tag;
use super::numeric::{TWO_TO_79, counter_3_digits};
use super::{VerifyCase, add};
use crate::errors::VectorError;
use crate::format::StateBefore;
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, ACCOUNT_PERIOD, CREDENTIAL_END, CREDENTIAL_START, DEFAULT_PARAMS, SERIAL, STEP, TIME,
    device_secret, ed25519_text, ed25519_text_signed_by, ed25519_verifier, entry, fresh_state, hmac_code,
    hmac_text, hmac_text_with_tag, hmac_verifier, issue, main_fields_valid, numeric_text, params, qr_text,
    state, state_with_entry, trust_list_key_1, with_budget, with_value_xor,
};
use crate::generate::flags::Flag;

/// The requirements of every precedence case.
const PRECEDENCE: &[&str] = &["R-VERIFY-1", "R-VERIFY-2"];

/// `verify-hmac.json`: decoding, account, throttle, tag, window, quarantine and replay in pairs.
pub(super) fn hmac(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let late = params(TIME, 60, 2, 1);
    let with_entry = |high| state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, high, 1, STEP));
    let bad_tag = flipped_tag(&hmac_code(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-before-epoch-over-malformed",
            requirements: PRECEDENCE,
            flags: &[Flag::Precedence, Flag::BeforeEpoch],
            comment: "t < T0 and garbage input: V0 comes first.",
            time: TIME - 1,
            text: "garbage".into(),
            verdict: Err(Error::TimeBeforeEpoch),
            ..VerifyCase::at(&hmac_verifier(late))
        },
    )?;
    for (name, flags, comment, payload, verdict) in [
        (
            "precedence-version-over-length",
            &[Flag::Precedence, Flag::Version, Flag::Length][..],
            "Version 0x01, of the retired v1, in a 5-byte payload.",
            &[1u8, 1, 0, 0, 0][..],
            Error::UnsupportedVersion,
        ),
        (
            "precedence-disabled-profile-over-length",
            &[Flag::Precedence, Flag::Profile, Flag::Length],
            "A 3-byte ed25519 payload at an hmac-only verifier: the profile is checked before the length.",
            &[3, 2, 0],
            Error::UnsupportedProfile,
        ),
        (
            "precedence-length-of-enabled-profile",
            &[Flag::Length],
            "A 3-byte hmac payload at an hmac verifier: malformed.",
            &[3, 1, 0],
            Error::Malformed,
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("hmac.verify.{name}"),
                requirements: PRECEDENCE,
                flags,
                comment,
                text: qr_text(payload),
                verdict: Err(verdict),
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    for (id, reason) in [
        (
            "hmac.verify.precedence-unknown-account-over-bad-tag",
            "unknown-account is retired: an account without keys here is invalid-code (R-HMAC-9)",
        ),
        (
            "hmac.verify.precedence-throttled-over-bad-tag",
            "QR codes are never throttled (R-HMAC-6); numeric.verify.precedence-budget-over-bad-tag takes its place",
        ),
        (
            "hmac.verify.precedence-throttled-over-too-old",
            "QR codes are never throttled (R-HMAC-6); numeric.verify.precedence-budget-over-too-old takes its place",
        ),
        (
            "hmac.verify.precedence-unknown-account-bad-tag-too-old",
            "an hmac code's window is checked before its candidates (H0, R-HANDLE-3): too-old, not invalid-code; hmac.verify.precedence-too-old-over-no-candidate takes its place",
        ),
        (
            "hmac.verify.precedence-bad-tag-over-too-old",
            "an hmac code's window is checked before its MAC (H0, R-HANDLE-3): too-old, not invalid-code; hmac.verify.precedence-too-old-over-bad-tag takes its place",
        ),
    ] {
        file.retire(id, reason);
    }
    for (name, flags, comment, state, text, verdict) in [
        (
            "precedence-too-old-over-no-candidate",
            &[Flag::Precedence, Flag::UnknownAccount][..],
            "The handle of an account without keys here, a wrong tag, and too old: too-old at H0, before any candidate is looked for (R-HANDLE-3).",
            fresh_state(),
            hmac_text_with_tag(&DEFAULT_PARAMS, 99, STEP - 10, 0, [0; 16])?,
            Error::TooOld,
        ),
        (
            "precedence-qr-bad-tag-budget-spent",
            &[Flag::Precedence, Flag::Throttle, Flag::BadTag],
            "The account's numeric budget is spent and a QR code has a wrong tag: invalid-code, since QR codes are never throttled (R-HMAC-6).",
            with_budget(ACCOUNT, STEP + 4 * ACCOUNT_PERIOD),
            hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP, 0, bad_tag)?,
            Error::InvalidCode,
        ),
        (
            "precedence-too-old-over-bad-tag",
            &[Flag::Precedence, Flag::BadTag],
            "Wrong tag and too old: too-old at H0, whatever the tag (R-HANDLE-3).",
            fresh_state(),
            hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP - 5, 0, [0; 16])?,
            Error::TooOld,
        ),
        (
            "precedence-too-new-over-bad-tag",
            &[Flag::Precedence, Flag::BadTag],
            "Wrong tag and too new: too-new at H0, whatever the tag (R-HANDLE-3).",
            fresh_state(),
            hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP + 2, 0, [0; 16])?,
            Error::TooNew,
        ),
        (
            "precedence-bad-tag-over-replayed",
            &[Flag::Precedence, Flag::BadTag],
            "Wrong tag for a replayed counter: invalid-code.",
            with_entry(5),
            hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP, 5, [0; 16])?,
            Error::InvalidCode,
        ),
        (
            "precedence-too-old-over-replayed",
            &[Flag::Precedence, Flag::WindowEdge],
            "A replayed counter whose step is too old: too-old.",
            with_entry(5),
            hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 3, 5)?,
            Error::TooOld,
        ),
        (
            "precedence-too-new-over-quarantine",
            &[Flag::Precedence, Flag::Quarantine],
            "Too new and below Q: too-new.",
            state(STEP, STEP + 5),
            hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 2, 0)?,
            Error::TooNew,
        ),
        (
            "precedence-quarantine-over-replayed",
            &[Flag::Precedence, Flag::Quarantine],
            "Below Q and replayed: state-unavailable.",
            StateBefore { q: STEP + 2, ..with_entry(5) },
            hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 5)?,
            Error::StateUnavailable,
        ),
        (
            "precedence-quarantine-over-stale",
            &[Flag::Precedence, Flag::Quarantine],
            "Below Q and stale: state-unavailable.",
            StateBefore { q: STEP + 2, ..with_entry(100) },
            hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            Error::StateUnavailable,
        ),
        (
            "precedence-replayed-over-counter-behind",
            &[Flag::Precedence, Flag::Replay, Flag::CounterMark],
            "Counter 5 = H accepted at step T - 1 (mark (5, T - 1)), presented again with step T: replayed, checked before the mark.",
            state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, 5, 1, STEP - 1)),
            hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 5)?,
            Error::Replayed,
        ),
        (
            "precedence-stale-over-counter-behind",
            &[Flag::Precedence, Flag::StaleCounter, Flag::CounterMark],
            "Entry H = 100 at step T - 1 (mark (100, T - 1)); counter 6 with step T is 64 or more below H and behind the mark: stale-counter, checked before the mark.",
            state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, 100, 1, STEP - 1)),
            hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 6)?,
            Error::StaleCounter,
        ),
        (
            "precedence-quarantine-over-counter-behind",
            &[Flag::Precedence, Flag::Quarantine, Flag::CounterMark],
            "Below Q and behind the mark (5, T - 1): state-unavailable.",
            StateBefore {
                q: STEP + 2,
                ..state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, 5, 1, STEP - 1))
            },
            hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 3)?,
            Error::StateUnavailable,
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("hmac.verify.{name}"),
                requirements: PRECEDENCE,
                flags,
                comment,
                state,
                text,
                verdict: Err(verdict),
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    Ok(())
}

/// `verify-numeric.json`: syntax before profile, throttle at the top of u64, tag before replay.
pub(super) fn numeric(file: &mut FileBuilder) -> Result<(), VectorError> {
    let (_, flipped) = counter_3_digits()?;
    let one_second = params(0, 1, 8, 7);
    add(
        file,
        VerifyCase {
            id: "numeric.verify.precedence-malformed-over-profile",
            requirements: PRECEDENCE,
            flags: &[Flag::Precedence, Flag::NumericSyntax],
            comment: "N >= 2^79 at a verifier without hmac: malformed comes first.",
            text: TWO_TO_79.into(),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?))
        },
    )?;
    file.retire(
        "numeric.verify.precedence-throttled-at-u64-top",
        "its state was a per-step throttle record; numeric.verify.precedence-budget-near-u64-top takes its place (R-HMAC-7)",
    );
    file.retire(
        "numeric.verify.precedence-budget-near-u64-top",
        "its code, of step T - 9, reconstructs to T + 7, whose handles are not the code's: no candidate, so no account budget (R-HANDLE-4); numeric.verify.precedence-budget-near-u64-top-window-edge presents a code of the window",
    );
    // At X = 1, P = 86400 steps: u at the top of u64 is exhausted while
    // T' < 2^64 - 1 - 3P.
    let top = u64::MAX - 3 * 86_400 - 10;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.precedence-budget-near-u64-top-window-edge",
            requirements: &["R-VERIFY-1", "R-VERIFY-2", "R-HMAC-7", "R-TIME-3"],
            flags: &[Flag::Precedence, Flag::Throttle, Flag::U64Extreme],
            comment: "X = 1, B = 8, an account budget at u = 2^64 - 1 (saturated) and the time 3P + 10 steps below it: u - T = 3P + 10 > 3P, so the code of step T - 8, the window's first, is throttled; the candidate steps near the top of u64 change nothing.",
            state: with_budget(ACCOUNT, u64::MAX),
            time: top,
            text: numeric_text(&one_second, ACCOUNT, top - 8, 0)?,
            verdict: Err(Error::Throttled),
            ..VerifyCase::at(&hmac_verifier(one_second))
        },
    )?;
    let (digits, _) = counter_3_digits()?;
    let spent = with_budget(ACCOUNT, STEP + 4 * ACCOUNT_PERIOD);
    file.retire(
        "numeric.verify.precedence-budget-over-too-old",
        "an hmac code's window is checked before its candidates and budgets (H0, R-HANDLE-3): too-old, not throttled; numeric.verify.precedence-too-old-over-budget takes its place",
    );
    for (id, requirements, comment, text, verdict) in [
        (
            "numeric.verify.precedence-budget-over-bad-tag",
            &["R-VERIFY-1", "R-VERIFY-2", "R-HMAC-7"][..],
            "The account's budget is spent and the tag is wrong: throttled, whatever the MAC gave (H3).",
            with_value_xor(&digits, 1)?,
            Error::Throttled,
        ),
        (
            "numeric.verify.precedence-too-old-over-budget",
            &["R-VERIFY-1", "R-VERIFY-2", "R-HANDLE-3"],
            "The account's budget is spent and the code is too old (step T - 5, reconstructed): too-old at H0, before any candidate or budget is read.",
            numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 5, 3)?,
            Error::TooOld,
        ),
    ] {
        add(
            file,
            VerifyCase {
                id,
                requirements,
                flags: &[Flag::Precedence, Flag::Throttle],
                comment,
                state: spent.clone(),
                text,
                verdict: Err(verdict),
                ..VerifyCase::at(&hmac_verifier(DEFAULT_PARAMS))
            },
        )?;
    }
    add(
        file,
        VerifyCase {
            id: "numeric.verify.precedence-bad-tag-over-replayed",
            requirements: PRECEDENCE,
            flags: &[Flag::Precedence, Flag::BadTag],
            comment: "Flipped tag on a counter already accepted: invalid-code.",
            state: state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, 3, 1, STEP)),
            text: flipped,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&hmac_verifier(DEFAULT_PARAMS))
        },
    )
}

/// `verify-ed25519.json`: issuer, credential, validity, revocation, signature,
/// window, replay, quarantine and limits in pairs.
pub(super) fn ed25519(file: &mut FileBuilder) -> Result<(), VectorError> {
    let terminal = Terminal::new()?;
    let key_2_credential = issue(key_2_fields());
    let too_long = issue(main_fields_valid(TIME - 600_000, 604_801));
    for (name, flags, comment, state, time, text, amount, verdict) in [
        (
            "precedence-unknown-issuer-over-expired",
            &[Flag::Precedence, Flag::UnknownIssuer][..],
            "Key not trusted and credential expired: unknown-issuer.",
            fresh_state(),
            TIME + 200_000,
            ed25519_text(&DEFAULT_PARAMS, 1, key_2_credential, (TIME + 200_000) / 60, 0)?,
            AMOUNT,
            Error::UnknownIssuer,
        ),
        (
            "precedence-bad-credential-over-not-yet-valid",
            &[Flag::Precedence, Flag::BadCredential],
            "Lifetime too long and not yet valid: bad-credential.",
            fresh_state(),
            TIME - 700_000,
            ed25519_text(&DEFAULT_PARAMS, 1, too_long, (TIME - 700_000) / 60, 0)?,
            AMOUNT,
            Error::BadCredential,
        ),
        (
            "precedence-expired-over-revoked",
            &[Flag::Precedence, Flag::CredentialValidity, Flag::Revocation],
            "Expired and revoked: expired.",
            revoked_state(),
            CREDENTIAL_END + 600,
            terminal.code(CREDENTIAL_END / 60 + 10, 0)?,
            AMOUNT,
            Error::Expired,
        ),
        (
            "precedence-revoked-over-bad-signature",
            &[Flag::Precedence, Flag::Revocation],
            "Revoked and a flipped device signature: revoked.",
            revoked_state(),
            TIME,
            flipped_signature(&terminal)?,
            AMOUNT,
            Error::Revoked,
        ),
        (
            "precedence-bad-signature-over-too-old",
            &[Flag::Precedence, Flag::BadSignature],
            "Wallet 2's signature on an old step: invalid-code.",
            fresh_state(),
            TIME,
            ed25519_text_signed_by(&device_secret(2), &terminal.credential, STEP - 10, 0),
            AMOUNT,
            Error::InvalidCode,
        ),
        (
            "precedence-too-new-over-over-limit",
            &[Flag::Precedence, Flag::WindowEdge],
            "Too new and over the limit: too-new.",
            fresh_state(),
            TIME,
            terminal.code(STEP + 2, 0)?,
            9_999,
            Error::TooNew,
        ),
        (
            "precedence-replayed-over-over-limit",
            &[Flag::Precedence, Flag::Replay],
            "Replayed and over the limit: replayed.",
            Terminal::with_entry(3, 1),
            TIME,
            terminal.code(STEP, 3)?,
            9_999,
            Error::Replayed,
        ),
        (
            "precedence-stale-over-over-limit",
            &[Flag::Precedence, Flag::StaleCounter],
            "Stale (counter 6 with H = 70) and over the limit: stale-counter.",
            Terminal::with_entry(70, 1),
            TIME,
            terminal.code(STEP, 6)?,
            9_999,
            Error::StaleCounter,
        ),
        (
            "precedence-counter-behind-over-over-limit",
            &[Flag::Precedence, Flag::CounterMark],
            "Counter 3 with step T behind the mark (5, T - 1), and over the limit: counter-behind (C3 before C4).",
            state_with_entry(STEP, entry(Profile::Ed25519, SERIAL, 5, 1, STEP - 1)),
            TIME,
            terminal.code(STEP, 3)?,
            9_999,
            Error::CounterBehind,
        ),
        (
            "precedence-expired-over-revoked-one-second-late",
            &[Flag::Precedence, Flag::CredentialValidity, Flag::Revocation],
            "Revoked, and presented at not_after + 1 with a code of that step: expired.",
            revoked_state(),
            CREDENTIAL_END + 1,
            terminal.code((CREDENTIAL_END + 1) / 60, 0)?,
            AMOUNT,
            Error::Expired,
        ),
        (
            "precedence-revoked-over-other-wallet-signature",
            &[Flag::Precedence, Flag::Revocation, Flag::BadSignature],
            "Revoked and signed by wallet 2's key instead of the credential's: revoked.",
            revoked_state(),
            TIME,
            ed25519_text_signed_by(&device_secret(2), &terminal.credential, STEP, 0),
            AMOUNT,
            Error::Revoked,
        ),
        (
            "precedence-quarantine-over-replayed",
            &[Flag::Precedence, Flag::Quarantine],
            "Below Q and replayed: state-unavailable.",
            StateBefore { q: STEP + 2, ..Terminal::with_entry(3, 1) },
            TIME,
            terminal.code(STEP, 3)?,
            AMOUNT,
            Error::StateUnavailable,
        ),
        (
            "precedence-too-old-over-replayed",
            &[Flag::Precedence, Flag::WindowEdge, Flag::Replay],
            "Counter 3 = H accepted at step T, presented again with step T - 3, below the window: too-old (C1 before C3).",
            Terminal::with_entry(3, 1),
            TIME,
            terminal.code(STEP - 3, 3)?,
            AMOUNT,
            Error::TooOld,
        ),
        (
            "precedence-too-new-over-replayed",
            &[Flag::Precedence, Flag::WindowEdge, Flag::Replay],
            "Counter 3 = H accepted at step T, presented again with step T + 2, above the window: too-new (C1 before C3).",
            Terminal::with_entry(3, 1),
            TIME,
            terminal.code(STEP + 2, 3)?,
            AMOUNT,
            Error::TooNew,
        ),
        (
            "precedence-not-yet-valid-over-too-new",
            &[Flag::Precedence, Flag::CredentialValidity],
            "Not yet valid and too new: not-yet-valid.",
            fresh_state(),
            CREDENTIAL_START - 60,
            terminal.code(STEP + 100, 0)?,
            AMOUNT,
            Error::NotYetValid,
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements: PRECEDENCE,
                flags,
                comment,
                state,
                time,
                text,
                amount,
                verdict: Err(verdict),
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}
