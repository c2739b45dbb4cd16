//! `scenarios-reconcile.json`: reconciliation of terminals' acceptance logs
//! (spec §10.4).

use paycode::log::LogRecord;
use paycode::{Error, Profile};
use serde_json::json;

use crate::errors::{FixtureError, VectorError};
use crate::format::{Op, ReconcileInput, ScenarioStep, SerialLimit, VectorFile, VerifierConfig};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, TIME, ed25519_text, ed25519_verifier, fixture_error,
    fresh_state, hex, hmac_text, hmac_verifier, issue, main_fields, trust_list_key_1, unhex,
    with_standing_list,
};
use crate::generate::flags::Flag;
use crate::reference::ScenarioRunner;

/// The requirements of reconciliation with a finding.
const RECONCILIATION: &[&str] = &["R-LOG-2", "R-LOG-3"];

/// The order check's tolerance `D = B + F` of the default parameters (spec R-LOG-2).
const TOLERANCE: u64 = 3;

/// The log of terminal `terminal_id` with `verifier`'s configuration after
/// `calls` (time, text, amount), each of which it must accept.
fn log_of(
    terminal_id: u32,
    verifier: &VerifierConfig,
    calls: &[(u64, String, u64)],
) -> Result<String, VectorError> {
    let config = VerifierConfig { terminal_id, ..verifier.clone() };
    let state = with_standing_list(&config, fresh_state())?;
    let mut runner = ScenarioRunner::new(&config, &state).map_err(fixture_error)?;
    let mut log = String::new();
    for (time, text, amount) in calls {
        let step = ScenarioStep::Verify { time: *time, text: text.clone(), amount: *amount, challenge: None };
        let answer = runner.step(&step).map_err(fixture_error)?;
        log.push_str(&answer.log_record.ok_or(FixtureError::NotFound("acceptance of a logged call"))?);
    }
    Ok(log)
}

/// An ed25519 acceptance record of issuer key 1, hex.
fn record(subject: u64, counter: u32, step: u64, accepted_at: u64, amount: u64, terminal_id: u32) -> String {
    let record = LogRecord {
        profile: Profile::Ed25519,
        key_id: 1,
        subject,
        counter,
        step,
        accepted_at,
        amount,
        terminal_id,
    };
    hex(&record.encode())
}

/// An hmac acceptance record (key id 0, amount 0), hex.
fn hmac_record(subject: u64, counter: u32, step: u64, accepted_at: u64, terminal_id: u32) -> String {
    let record = LogRecord {
        profile: Profile::Hmac,
        key_id: 0,
        subject,
        counter,
        step,
        accepted_at,
        amount: 0,
        terminal_id,
    };
    hex(&record.encode())
}

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-reconcile",
        "Reconciliation of terminals' acceptance logs (spec §10.4): records grouped by (profile, subject, counter); groups of two or more are double acceptances; an identity with a lower counter whose step is more than D steps above a higher counter's is out of order, one with consecutive counters more than J = 65536 apart jumps, and a serial whose amounts add up to more than its credential's cumulative limit (when the issuer gives it) overspends; the ed25519 serials of any of these are revoked and the hmac accounts disabled, each with its reasons; amounts are summed per serial.",
    );
    let credential = issue(main_fields());
    let code = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, credential, step, counter);
    let terminal = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    // Two offline terminals accept the same photographed code.
    let log_7 = log_of(7, &terminal, &[(TIME, code(STEP, 3)?, 1_250), (TIME + 5, code(STEP, 4)?, 100)])?;
    let log_9 =
        log_of(9, &terminal, &[(TIME + 30, code(STEP, 3)?, 4_000), (TIME + 150, code(STEP + 2, 5)?, 800)])?;
    let log_9_other_counter = log_of(9, &terminal, &[(TIME + 30, code(STEP, 6)?, 4_000)])?;
    let online = hmac_verifier(DEFAULT_PARAMS);
    let hmac_code = |account: u64| hmac_text(&DEFAULT_PARAMS, account, STEP, 0);
    let online_1 = log_of(1, &online, &[(TIME, hmac_code(ACCOUNT)?, 0)])?;
    let online_2 =
        log_of(2, &online, &[(TIME + 1, hmac_code(ACCOUNT)?, 0), (TIME + 2, hmac_code(OTHER_ACCOUNT)?, 0)])?;
    // The spec's example (section 10.4), records written directly.
    let spec_7 = record(1001, 3, 30_000_000, 1_800_000_000, 1_250, 7);
    let spec_9 = [
        record(1001, 3, 30_000_000, 1_800_000_030, 4_000, 9),
        record(1001, 4, 30_000_002, 1_800_000_150, 800, 9),
        record(2002, 0, 30_000_001, 1_800_000_100, 300, 9),
    ]
    .concat();
    let hmac_with_amount = hex(&LogRecord {
        profile: Profile::Hmac,
        key_id: 0,
        subject: ACCOUNT,
        counter: 0,
        step: STEP,
        accepted_at: TIME,
        amount: 250,
        terminal_id: 1,
    }
    .encode());
    // A code made for step T + 10 with counter 0, accepted at terminal 9 when
    // its step came; terminal 7 had accepted counters 1 to 3 in steps T to T + 2.
    let owner_7 = log_of(
        7,
        &terminal,
        &[
            (TIME, code(STEP, 1)?, 100),
            (TIME + 60, code(STEP + 1, 2)?, 100),
            (TIME + 120, code(STEP + 2, 3)?, 100),
        ],
    )?;
    let ahead_9 = log_of(9, &terminal, &[(TIME + 600, code(STEP + 10, 0)?, 900)])?;
    // Serial 1001 (cumulative limit 20000) pays 15000 at terminal 7 and
    // 10000 at terminal 9, each within that terminal's limit.
    let spend_7 = log_of(
        7,
        &terminal,
        &[
            (TIME, code(STEP, 1)?, 5_000),
            (TIME + 1, code(STEP, 2)?, 5_000),
            (TIME + 2, code(STEP, 3)?, 5_000),
        ],
    )?;
    let spend_9 = log_of(
        9,
        &terminal,
        &[(TIME + 60, code(STEP + 1, 4)?, 5_000), (TIME + 61, code(STEP + 1, 5)?, 5_000)],
    )?;
    let spend_9_at_limit = log_of(9, &terminal, &[(TIME + 60, code(STEP + 1, 4)?, 5_000)])?;
    let limit_1001 = || vec![SerialLimit { serial: 1001, cumulative_limit: 20_000 }];
    let mut truncated = unhex(&log_7)?;
    truncated.pop();
    let cases = [
        Case {
            id: "scenario.reconcile.two-terminals-double-acceptance",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "Terminals 7 and 9 both accepted counter 3 of serial 1001 (logs produced by running two verifiers): one double acceptance; revoke 1001.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![log_7.clone(), log_9.clone()],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid(),
        },
        Case {
            id: "scenario.reconcile.no-double-acceptance",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "Different counters at the two terminals: nothing to revoke; totals still summed.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![log_7.clone(), log_9_other_counter],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid(),
        },
        Case {
            id: "scenario.reconcile.same-log-twice",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "The same log given twice duplicates every record (feed each log once).",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![log_7.clone(), log_7],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid(),
        },
        Case {
            id: "scenario.reconcile.hmac-double-acceptance",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "Two online verifiers that did not share state both accepted account 42's counter 0: disable the account; nothing to revoke.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![online_1, online_2],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid(),
        },
        Case {
            id: "scenario.reconcile.spec-example",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation, Flag::SpecExample],
            comment: "The example of spec section 10.4: revoke 1001; totals 1001 -> 6050 and 2002 -> 300.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![spec_7.clone(), spec_9],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid()
                .with("revoke_serials", vec![1001u64])
                .with("totals", json!([{"serial": 1001, "total": 6050}, {"serial": 2002, "total": 300}])),
        },
        Case {
            id: "scenario.reconcile.same-number-across-profiles",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "Serial 1001's counter 3 (ed25519) at terminal 7 and account 1001's counter 3 (hmac) online: different profiles, so no double acceptance; total 1001 -> 1250.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![spec_7.clone(), hmac_record(1001, 3, 30_000_000, 1_800_000_010, 1)],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid()
                .with("revoke_serials", Vec::<u64>::new())
                .with("disable_accounts", Vec::<u64>::new()),
        },
        Case {
            id: "scenario.reconcile.same-number-across-profiles-one-log",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "One log with account 1001's counter 3 (hmac) and then serial 1001's counter 3 (ed25519): different profiles, so no double acceptance.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![[hmac_record(1001, 3, 30_000_000, 1_800_000_010, 9), spec_7.clone()].concat()],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid()
                .with("revoke_serials", Vec::<u64>::new())
                .with("disable_accounts", Vec::<u64>::new()),
        },
        Case {
            id: "scenario.reconcile.identical-records-in-one-log",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "One log holding the same record twice: two records, so a double acceptance; revoke 1001; total 1001 -> 2500.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![[spec_7.clone(), spec_7].concat()],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid().with("revoke_serials", vec![1001u64]),
        },
        Case {
            id: "scenario.reconcile.made-in-advance-at-another-terminal",
            requirements: &["R-LOG-2", "R-LOG-3", "R-REPLAY-7"],
            flags: &[Flag::Reconciliation, Flag::CounterMark],
            comment: "Terminal 7 accepted serial 1001's counters 1, 2, 3 in steps T to T + 2; terminal 9, which had seen none of them, accepted counter 0 made for step T + 10. Counter 0's step is more than D = 3 above counter 1's: flagged for order; revoke 1001.",
            op: Op::Reconcile,
            input: ReconcileInput { logs: vec![owner_7, ahead_9], tolerance: TOLERANCE, limits: Vec::new() },
            intent: Intent::valid()
                .with("revoke_serials", vec![1001u64])
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["order"]}])),
        },
        Case {
            id: "scenario.reconcile.order-at-the-tolerance",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Counter 0 at step T + 3, counter 1 at step T: 3 steps apart, not more than D = 3, so not flagged (an honest wallet's codes accepted within the window can be this far apart).",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![
                    [record(1001, 1, STEP, TIME, 100, 7), record(1001, 0, STEP + 3, TIME + 180, 100, 9)]
                        .concat(),
                ],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid().with("revoke_serials", Vec::<u64>::new()).with("flagged", json!([])),
        },
        Case {
            id: "scenario.reconcile.order-at-the-tolerance-hmac",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Account 42: counter 0 at step T + 3 and counter 1 at step T, 3 steps apart, not more than D = 3: not flagged; counter 0 at step T + 4 of account 7, with its counter 1 at step T: flagged for order; disable 7.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![
                    [hmac_record(ACCOUNT, 1, STEP, TIME, 1), hmac_record(OTHER_ACCOUNT, 1, STEP, TIME, 1)]
                        .concat(),
                    [
                        hmac_record(ACCOUNT, 0, STEP + 3, TIME + 180, 2),
                        hmac_record(OTHER_ACCOUNT, 0, STEP + 4, TIME + 240, 2),
                    ]
                    .concat(),
                ],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid().with("disable_accounts", vec![OTHER_ACCOUNT]).with(
                "flagged",
                json!([{"profile": "hmac", "subject": OTHER_ACCOUNT, "reasons": ["order"]}]),
            ),
        },
        Case {
            id: "scenario.reconcile.order-past-the-tolerance",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Counter 0 at step T + 4, counter 1 at step T: 4 steps apart, more than D = 3: flagged for order; revoke 1001.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![
                    [record(1001, 1, STEP, TIME, 100, 7), record(1001, 0, STEP + 4, TIME + 240, 100, 9)]
                        .concat(),
                ],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid()
                .with("revoke_serials", vec![1001u64])
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["order"]}])),
        },
        Case {
            id: "scenario.reconcile.order-and-double-hmac",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation],
            comment: "Account 42: counter 5 accepted twice in step T, and counter 2 in step T + 9. Both reasons, in the order double, order; disable 42. Account 7's steps rise with its counters: not flagged.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![
                    [
                        hmac_record(ACCOUNT, 5, STEP, TIME, 1),
                        hmac_record(OTHER_ACCOUNT, 1, STEP, TIME, 1),
                        hmac_record(OTHER_ACCOUNT, 2, STEP + 9, TIME + 540, 1),
                    ]
                    .concat(),
                    [
                        hmac_record(ACCOUNT, 5, STEP, TIME + 1, 2),
                        hmac_record(ACCOUNT, 2, STEP + 9, TIME + 540, 2),
                    ]
                    .concat(),
                ],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid().with("disable_accounts", vec![ACCOUNT]).with(
                "flagged",
                json!([{"profile": "hmac", "subject": ACCOUNT, "reasons": ["double", "order"]}]),
            ),
        },
        Case {
            id: "scenario.reconcile.counter-jump",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Serial 1001: counters 3 and 65539, J = 65536 apart: not flagged. Serial 2002: counters 3 and 65540, with nothing between, J + 1 apart: flagged for jump (a clone started far above the wallet's counters); revoke 2002.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![
                    [record(1001, 3, STEP, TIME, 100, 7), record(2002, 3, STEP, TIME, 100, 7)].concat(),
                    [
                        record(1001, 65_539, STEP + 1, TIME + 60, 100, 9),
                        record(2002, 65_540, STEP + 1, TIME + 60, 100, 9),
                    ]
                    .concat(),
                ],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid()
                .with("revoke_serials", vec![2002u64])
                .with("flagged", json!([{"profile": "ed25519", "subject": 2002, "reasons": ["jump"]}])),
        },
        Case {
            id: "scenario.reconcile.counter-jump-closed-by-another-counter",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation],
            comment: "Account 42: counters 0, 65536 and 120000: each gap at most J = 65536 (the first exactly J), so not flagged, though 0 and 120000 are further apart. Account 7: counters 10 and 4294967294, at the two ends of the counter range: flagged for jump; disable 7.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![
                    [
                        hmac_record(ACCOUNT, 0, STEP, TIME, 1),
                        hmac_record(ACCOUNT, 120_000, STEP + 2, TIME + 120, 1),
                        hmac_record(OTHER_ACCOUNT, 10, STEP, TIME, 1),
                    ]
                    .concat(),
                    [
                        hmac_record(ACCOUNT, 65_536, STEP + 1, TIME + 60, 2),
                        hmac_record(OTHER_ACCOUNT, u32::MAX - 1, STEP + 1, TIME + 60, 2),
                    ]
                    .concat(),
                ],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::valid()
                .with("disable_accounts", vec![OTHER_ACCOUNT])
                .with("flagged", json!([{"profile": "hmac", "subject": OTHER_ACCOUNT, "reasons": ["jump"]}])),
        },
        Case {
            id: "scenario.reconcile.overspend-across-terminals",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation, Flag::Limit],
            comment: "Serial 1001, cumulative limit 20000: terminal 7 accepted 15000 and terminal 9 10000, each within its own limit; 25000 across the logs is more than the payer's offline credit: flagged for overspend; revoke 1001. Serial 2002 spent exactly its limit of 300: not flagged.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![spend_7.clone(), spend_9.clone(), record(2002, 0, STEP + 1, TIME + 100, 300, 9)],
                tolerance: TOLERANCE,
                limits: vec![
                    SerialLimit { serial: 1001, cumulative_limit: 20_000 },
                    SerialLimit { serial: 2002, cumulative_limit: 300 },
                ],
            },
            intent: Intent::valid()
                .with("revoke_serials", vec![1001u64])
                .with("totals", json!([{"serial": 1001, "total": 25_000}, {"serial": 2002, "total": 300}]))
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["overspend"]}])),
        },
        Case {
            id: "scenario.reconcile.spend-at-the-limit",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::Limit],
            comment: "Serial 1001, cumulative limit 20000: 15000 at terminal 7 and 5000 at terminal 9, exactly 20000: not flagged.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![spend_7.clone(), spend_9_at_limit],
                tolerance: TOLERANCE,
                limits: limit_1001(),
            },
            intent: Intent::valid().with("revoke_serials", Vec::<u64>::new()).with("flagged", json!([])),
        },
        Case {
            id: "scenario.reconcile.overspend-needs-the-limit",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::Limit],
            comment: "The logs of serial 1001's 25000, with a limit given for serial 2002 only: serial 1001 is not checked, nothing is flagged.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![spend_7, spend_9],
                tolerance: TOLERANCE,
                limits: vec![SerialLimit { serial: 2002, cumulative_limit: 0 }],
            },
            intent: Intent::valid().with("revoke_serials", Vec::<u64>::new()).with("flagged", json!([])),
        },
        Case {
            id: "scenario.reconcile.no-logs",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation],
            comment: "No logs: an empty report.",
            op: Op::Reconcile,
            input: ReconcileInput { logs: Vec::new(), tolerance: TOLERANCE, limits: Vec::new() },
            intent: Intent::valid(),
        },
        Case {
            id: "scenario.reconcile.malformed-log",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::Length],
            comment: "A log whose length is not a multiple of 44 is rejected as malformed.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![log_9.clone(), hex(&truncated)],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::invalid(Error::Malformed),
        },
        Case {
            id: "scenario.reconcile.hmac-record-with-amount",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::LogRecord],
            comment: "A log holding an hmac record with amount 250 (hmac records have key id 0 and amount 0) is malformed, and the whole reconciliation is rejected.",
            op: Op::Reconcile,
            input: ReconcileInput {
                logs: vec![log_9, hmac_with_amount],
                tolerance: TOLERANCE,
                limits: Vec::new(),
            },
            intent: Intent::invalid(Error::Malformed),
        },
    ];
    for case in cases {
        file.add(case)?;
    }
    Ok(file.finish())
}
