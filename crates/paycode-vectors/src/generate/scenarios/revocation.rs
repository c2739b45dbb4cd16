//! `scenarios-revocation.json`: revocation list updates (spec §4.7, §10.5).

use paycode::Error;
use paycode::revocation::ListHeader;

use super::{Scenario, accept, add, install_revocation_list, reject, restart};
use crate::errors::VectorError;
use crate::format::{RestartMode, VectorFile};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    DEFAULT_PARAMS, KEY_1, SERIAL, STEP, TIME, ed25519_text, ed25519_verifier, fresh_list, hex, issue,
    main_fields, revocation_list, trust_list_keys_1_2, unhex, with_bytes_at,
};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-revocation",
        "Revocation list updates (spec §4.7, §10.5): a list installs only if valid, signed by a trusted key whose validity contains issued_at, and newer than the newest installed: numbered above it by at most one more than the whole minutes between their issue times, issued no earlier, and not dated after t + X; the installed list replaces the old one, and an ed25519 terminal whose list is past next_update + grace accepts no ed25519 code. Every scenario starts with the standing list (number 0, issued at key 1's not_before, fresh at every time) unless its state names another.",
    );
    let terminal = ed25519_verifier(DEFAULT_PARAMS, &trust_list_keys_1_2()?);
    let credential = issue(main_fields());
    let code = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, credential, step, counter);
    let mut flipped_signature = unhex(&revocation_list(1, 3, TIME, vec![SERIAL]))?;
    if let Some(last) = flipped_signature.last_mut() {
        *last ^= 1;
    }
    let unsorted = unhex(&revocation_list(1, 3, TIME, vec![5, SERIAL]))?;
    let unsorted =
        with_bytes_at(with_bytes_at(unsorted, 35, &SERIAL.to_be_bytes())?, 43, &5u64.to_be_bytes())?;
    let untrusted_key = revocation_list(3, 3, TIME, vec![SERIAL]);
    let expired_at = credential.fields().not_after().unwrap_or(u64::MAX).saturating_add(1);
    let scenarios = [
        Scenario {
            id: "scenario.revocation.install-update-unrevoke",
            requirements: &["R-REVOKE-1", "R-REVOKE-2", "R-REVOKE-3"],
            flags: &[Flag::Revocation],
            comment: "Accepted; list 1 revokes 1001; list 1 again and an older list are refused; list 2 (empty) replaces it and the serial is accepted again.",
            verifier: &terminal,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(TIME, revocation_list(1, 1, TIME, vec![SERIAL]), true),
                reject(TIME + 1, code(STEP, 1)?, Error::Revoked),
                install_revocation_list(TIME, revocation_list(1, 1, TIME, vec![]), false),
                reject(TIME + 2, code(STEP, 1)?, Error::Revoked),
                install_revocation_list(TIME + 5, revocation_list(1, 2, TIME + 5, vec![]), true),
                accept(TIME + 6, code(STEP, 1)?),
                install_revocation_list(TIME, revocation_list(1, 1, TIME, vec![SERIAL]), false),
                accept(TIME + 7, code(STEP, 2)?),
            ],
        },
        Scenario {
            id: "scenario.revocation.number-bounds",
            requirements: &["R-REVOKE-2"],
            flags: &[Flag::Revocation, Flag::U64Extreme],
            comment: "From the standing list (0, issued at key 1's not_before, 10 days before): a list numbered 0 is not newer, one numbered 2^64 - 1 jumps too far, as does 14402 issued 10 days (14400 minutes) later; 14401 is the most that time allows.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 0, TIME, vec![SERIAL]), false),
                install_revocation_list(TIME, revocation_list(1, u64::MAX, TIME, vec![SERIAL]), false),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(TIME, revocation_list(1, 14_402, TIME, vec![SERIAL]), false),
                accept(TIME, code(STEP, 1)?),
                install_revocation_list(TIME, revocation_list(1, 14_401, TIME, vec![SERIAL]), true),
                reject(TIME, code(STEP, 2)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.one-number-a-minute",
            requirements: &["R-REVOKE-2"],
            flags: &[Flag::Revocation],
            comment: "After list 14401 issued at the fixed time: 14403 issued 59 s later is refused, 60 s later installed; 14404 issued before that list is refused.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 14_401, TIME, vec![]), true),
                install_revocation_list(
                    TIME + 59,
                    revocation_list(1, 14_403, TIME + 59, vec![SERIAL]),
                    false,
                ),
                accept(TIME + 59, code(STEP, 0)?),
                install_revocation_list(TIME + 60, revocation_list(1, 14_403, TIME + 60, vec![SERIAL]), true),
                reject(TIME + 60, code(STEP + 1, 1)?, Error::Revoked),
                install_revocation_list(TIME + 90, revocation_list(1, 14_404, TIME + 59, vec![]), false),
                reject(TIME + 90, code(STEP + 1, 2)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.not-from-the-future",
            requirements: &["R-REVOKE-2"],
            flags: &[Flag::Revocation],
            comment: "A list issued 61 s after the terminal's time (X = 60) is refused; one second later it is installed.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 5, TIME + 61, vec![SERIAL]), false),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(TIME + 1, revocation_list(1, 5, TIME + 61, vec![SERIAL]), true),
                reject(TIME + 1, code(STEP, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.dated-ahead-edge",
            requirements: &["R-REVOKE-2"],
            flags: &[Flag::Revocation],
            comment: "At the fixed time t: a list revoking 1001 issued at t + 61 is refused and the code accepted; one issued at t + X = t + 60 is installed (the edge is inclusive) and the next code revoked.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 5, TIME + 61, vec![SERIAL]), false),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(TIME, revocation_list(1, 5, TIME + 60, vec![SERIAL]), true),
                reject(TIME, code(STEP, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.stale-then-refreshed",
            requirements: &["R-REVOKE-4", "R-REVOKE-2"],
            flags: &[Flag::Revocation],
            comment: "The standing list is replaced by list 1 (next_update = t + 100, grace 60): accepted through t + 160, revocation-stale at t + 161, accepted again once list 2 arrives.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, short_list(1, TIME, vec![5]), true),
                accept(TIME + 160, code(STEP + 2, 0)?),
                reject(TIME + 161, code(STEP + 2, 1)?, Error::RevocationStale),
                install_revocation_list(TIME + 161, short_list(2, TIME + 161, vec![5]), true),
                accept(TIME + 161, code(STEP + 2, 1)?),
            ],
        },
        Scenario {
            id: "scenario.revocation.stale-revoked",
            requirements: &["R-REVOKE-4", "R-REVOKE-3"],
            flags: &[Flag::Revocation],
            comment: "A list that names the serial stays in force once stale: revoked, not revocation-stale.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, short_list(1, TIME, vec![SERIAL]), true),
                reject(TIME + 161, code(STEP + 2, 0)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.refused-lists",
            requirements: &["R-REVOKE-1", "R-REVOKE-2"],
            flags: &[Flag::Revocation, Flag::BadSignature, Flag::Rotation],
            comment: "Refused: a flipped signature, a key not in the trust list, key 1 after its validity, unsorted serials. Installed: key 2 within its validity.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, hex(&flipped_signature), false),
                install_revocation_list(TIME, untrusted_key, false),
                install_revocation_list(
                    TIME,
                    revocation_list(1, 3, KEY_1.not_after + 1, vec![SERIAL]),
                    false,
                ),
                install_revocation_list(TIME, hex(&unsorted), false),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(TIME, revocation_list(2, 3, TIME, vec![SERIAL]), true),
                reject(TIME + 1, code(STEP, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.key-validity-edges-floored",
            requirements: &["R-REVOKE-1", "R-TIME-8"],
            flags: &[Flag::Revocation, Flag::Rotation],
            comment: "A list signed by key 1 one second before the key's not_before is refused; one issued at its not_before, and one at its not_after, are installed: the key's validity includes both ends; one a second after its not_after is refused. The last installed list's issued_at is the time floor, past the credential's not_after, so the last codes are expired.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(
                    TIME,
                    revocation_list(1, 1, KEY_1.not_before - 1, vec![SERIAL]),
                    false,
                ),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(
                    TIME,
                    fresh_list(
                        ListHeader {
                            key_id: 1,
                            number: 1,
                            issued_at: KEY_1.not_before,
                            next_update: TIME + 86_400,
                            grace: 0,
                        },
                        vec![],
                    ),
                    true,
                ),
                accept(TIME, code(STEP, 1)?),
                install_revocation_list(
                    KEY_1.not_after,
                    revocation_list(1, 6, KEY_1.not_after, vec![SERIAL]),
                    true,
                ),
                reject(TIME, code(STEP, 2)?, Error::Expired),
                install_revocation_list(
                    KEY_1.not_after + 1,
                    revocation_list(1, 7, KEY_1.not_after + 1, vec![]),
                    false,
                ),
                reject(TIME, code(STEP, 3)?, Error::Expired),
            ],
        },
        Scenario {
            id: "scenario.revocation.kept-across-restarts",
            requirements: &["R-REVOKE-2", "R-REPLAY-5"],
            flags: &[Flag::Revocation, Flag::Restart],
            comment: "The installed list survives both kinds of restart (revoked, E4, comes before the quarantine check, C2).",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 4, TIME, vec![SERIAL]), true),
                restart(RestartMode::Kept, TIME + 1),
                reject(TIME + 2, code(STEP, 0)?, Error::Revoked),
                restart(RestartMode::Lost, TIME + 3),
                reject(TIME + 4, code(STEP, 0)?, Error::Revoked),
                reject(TIME + 125, code(STEP + 2, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.floor-after-loss-expired-stays-expired",
            requirements: &["R-TIME-8", "R-REPLAY-5"],
            flags: &[Flag::Revocation, Flag::Restart, Flag::ClockJump],
            comment: "A list issued after the credential's not_after is installed; the replay state is lost and the terminal restarts with its clock set back inside the credential's validity. The list is kept as configuration, so the verifier time is at least its issued_at: the credential stays expired.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(expired_at, revocation_list(1, 4, expired_at, vec![]), true),
                restart(RestartMode::Lost, TIME),
                reject(TIME + 1, code(STEP, 0)?, Error::Expired),
                reject(TIME + 600, code(STEP + 10, 1)?, Error::Expired),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    file.retire(
        "scenario.revocation.key-validity-edges",
        "a list installed with a later issued_at raises the verifier time (R-TIME-8), so the last code is expired, not revoked; see scenario.revocation.key-validity-edges-floored",
    );
    file.retire(
        "scenario.revocation.number-zero",
        "a list numbered 2^64 - 1 is no longer installed (R-REVOKE-2 bounds the number); see scenario.revocation.number-bounds",
    );
    Ok(file.finish())
}

/// List `number` of key 1 issued at `issued_at`, next update 100 s later, 60 s grace.
fn short_list(number: u64, issued_at: u64, serials: Vec<u64>) -> String {
    fresh_list(ListHeader { key_id: 1, number, issued_at, next_update: issued_at + 100, grace: 60 }, serials)
}
