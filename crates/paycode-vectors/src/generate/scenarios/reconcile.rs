//! `scenarios-reconcile.json`: reconciliation of terminals' acceptance logs
//! (spec §10.4), with each record's evidence checked against the issuer's
//! keys first.

use paycode::Error;
use paycode::Purpose;
use serde_json::json;

use crate::errors::{FixtureError, VectorError};
use crate::format::{
    EnrolledAccount, Op, ReconcileInput, ScenarioStep, SerialHolder, VectorFile, VerifierConfig,
};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    ACCOUNT, CREDENTIAL_LIFETIME, CREDENTIAL_START, DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, TIME, challenge,
    credential_fields, ed25519_code_for, ed25519_text, enrolled, enrolled_accounts, fixture_error,
    fresh_state, hex, hmac_code_for, hmac_text, hmac_verifier, issue, main_fields, numeric_text,
    trust_list_key_1, unhex, with_bytes_at, with_standing_list,
};
use crate::generate::flags::Flag;
use crate::reference::ScenarioRunner;

/// The requirements of reconciliation with a finding.
const RECONCILIATION: &[&str] = &["R-LOG-2", "R-LOG-3"];

/// The requirements of a fabricated record set apart.
const EVIDENCE: &[&str] = &["R-LOG-1", "R-LOG-2", "R-LOG-4"];

/// The order check's tolerance `D = B + F` of the default parameters (spec R-LOG-2).
const TOLERANCE: u64 = 3;

/// The ids of the cases of 44-byte records without evidence, whose meaning changed.
const RETIRED: &[&str] = &[
    "scenario.reconcile.two-terminals-double-acceptance",
    "scenario.reconcile.no-double-acceptance",
    "scenario.reconcile.same-log-twice",
    "scenario.reconcile.hmac-double-acceptance",
    "scenario.reconcile.spec-example",
    "scenario.reconcile.same-number-across-profiles",
    "scenario.reconcile.same-number-across-profiles-one-log",
    "scenario.reconcile.identical-records-in-one-log",
    "scenario.reconcile.made-in-advance-at-another-terminal",
    "scenario.reconcile.order-at-the-tolerance",
    "scenario.reconcile.order-at-the-tolerance-hmac",
    "scenario.reconcile.order-past-the-tolerance",
    "scenario.reconcile.order-and-double-hmac",
    "scenario.reconcile.counter-jump",
    "scenario.reconcile.counter-jump-closed-by-another-counter",
    "scenario.reconcile.overspend-across-terminals",
    "scenario.reconcile.spend-at-the-limit",
    "scenario.reconcile.overspend-needs-the-limit",
    "scenario.reconcile.no-logs",
    "scenario.reconcile.malformed-log",
    "scenario.reconcile.hmac-record-with-amount",
];

/// One verify call of a log: time, text, amount, and the challenge's QR text.
type Call = (u64, String, u64, Option<String>);

/// The log of terminal `terminal_id` with `verifier`'s configuration after
/// `calls`, each of which it must accept.
fn log_of(terminal_id: u32, verifier: &VerifierConfig, calls: &[Call]) -> Result<String, VectorError> {
    let config = VerifierConfig { terminal_id, ..verifier.clone() };
    let state = with_standing_list(&config, fresh_state())?;
    let mut runner = ScenarioRunner::new(&config, &state).map_err(fixture_error)?;
    let mut log = String::new();
    for (time, text, amount, challenge) in calls {
        let step = ScenarioStep::Verify {
            time: *time,
            text: text.clone(),
            amount: *amount,
            challenge: challenge.clone(),
        };
        let answer = runner.step(&step).map_err(fixture_error)?;
        log.push_str(&answer.log_record.ok_or(FixtureError::NotFound("acceptance of a logged call"))?);
    }
    Ok(log)
}

/// A call without a challenge.
fn call(time: u64, text: String, amount: u64) -> Call {
    (time, text, amount, None)
}

/// `log` (hex) with the byte at `at` of record `index` changed by `f`; every
/// record of these logs is one of `len` bytes.
fn edit(log: &str, len: usize, index: usize, at: usize, f: impl Fn(u8) -> u8) -> Result<String, VectorError> {
    let bytes = unhex(log)?;
    let pos = index * len + at;
    let old = *bytes.get(pos).ok_or(FixtureError::NotFound("a byte of the record"))?;
    Ok(hex(&with_bytes_at(bytes, pos, &[f(old)])?))
}

/// A record's amount (offset 10, u64) set to `amount`.
fn with_amount(record: &str, amount: u64) -> Result<String, VectorError> {
    Ok(hex(&with_bytes_at(unhex(record)?, 10, &amount.to_be_bytes())?))
}

/// A record's terminal id (offset 18, u32) set to `terminal`.
fn with_terminal(record: &str, terminal: u32) -> Result<String, VectorError> {
    Ok(hex(&with_bytes_at(unhex(record)?, 18, &terminal.to_be_bytes())?))
}

/// The issuer's keys: the hmac accounts 7 and 42 and trust list key 1.
fn input(logs: Vec<String>, trust: &str) -> ReconcileInput {
    ReconcileInput {
        logs,
        tolerance: TOLERANCE,
        hmac_accounts: enrolled_accounts(),
        trust_list: Some(trust.to_owned()),
        holders: None,
    }
}

const ED: usize = 234;
const HM: usize = 68;

/// The file.
#[allow(clippy::too_many_lines)]
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-reconcile",
        "Reconciliation of terminals' acceptance logs (spec §10.4): each record's evidence is checked first against the issuer's hmac account keys and trust list (the tag or signature with the challenge digest; a capped code's amount within its cap; an ed25519 amount within the per-payment limit; a challenge record's terminal and amount those of its challenge); records that fail are listed apart as unproven, with the numeric records of a log that has one, and nothing else rests on them. Over the proven records: one code recorded more than once is a copy (counted once, at its smallest amount); two different codes of one (profile, subject, counter) are a double acceptance; a lower counter whose step is more than D steps above a higher counter's is out of order; consecutive counters more than J = 65536 apart jump; a serial whose proven amounts add up to more than its credential's cumulative limit overspends. The serials with a reason are revoked and the accounts disabled.",
    );
    for id in RETIRED {
        file.retire(id, "records of 44 bytes without evidence: reconciliation now checks each record's evidence (spec R-LOG-2)");
    }
    file.retire(
        "scenario.reconcile-evidence.fabricated-hmac-double",
        "the fabricated record's code carries step T's handle: the issuer finds no account for it at step T + 1 (unknown-account), not a wrong tag; scenario.reconcile-evidence.fabricated-hmac-double-handle takes its place",
    );
    let trust = trust_list_key_1()?;
    let credential = issue(main_fields());
    let other = issue(credential_fields(2, 1, 2002, CREDENTIAL_START, CREDENTIAL_LIFETIME));
    let code = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, credential, step, counter);
    let code_2002 = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 2, other, step, counter);
    let terminal = crate::generate::fixtures::ed25519_verifier(DEFAULT_PARAMS, &trust);
    let online = hmac_verifier(DEFAULT_PARAMS);
    let hmac = |account: u64, step: u64, counter: u32| hmac_text(&DEFAULT_PARAMS, account, step, counter);

    // The spec's example (section 10.4): a photographed code at two
    // terminals, and a record fabricated for serial 2002.
    let spec_7 = log_of(7, &terminal, &[call(TIME, code(STEP, 3)?, 1_250)])?;
    let spec_9_honest = log_of(
        9,
        &terminal,
        &[
            call(TIME + 30, code(STEP, 3)?, 4_000),
            call(TIME + 100, code_2002(STEP + 1, 0)?, 300),
            call(TIME + 150, code(STEP + 2, 4)?, 800),
        ],
    )?;
    let made_elsewhere = log_of(9, &terminal, &[call(TIME + 110, code_2002(STEP + 2, 0)?, 5_000)])?;
    // Counter 0 of 2002 at step T + 2, its signature changed: it would make a double.
    let fabricated_2002 = edit(&made_elsewhere, ED, 0, 200, |b| b ^ 1)?;
    let spec_9 = [spec_9_honest, fabricated_2002.clone()].concat();

    // A clone: two different codes of counter 3.
    let log_7 =
        log_of(7, &terminal, &[call(TIME, code(STEP, 3)?, 1_250), call(TIME + 5, code(STEP, 4)?, 100)])?;
    let clone_9 = log_of(9, &terminal, &[call(TIME + 60, code(STEP + 1, 3)?, 4_000)])?;
    let other_counter_9 = log_of(9, &terminal, &[call(TIME + 30, code(STEP, 6)?, 4_000)])?;
    // hmac: verifiers 1 and 2 did not share state.
    let online_1 = log_of(1, &online, &[call(TIME, hmac(ACCOUNT, STEP, 0)?, 10)])?;
    let online_2_same = log_of(2, &online, &[call(TIME + 1, hmac(ACCOUNT, STEP, 0)?, 10)])?;
    let online_2_clone = log_of(2, &online, &[call(TIME + 60, hmac(ACCOUNT, STEP + 1, 0)?, 10)])?;
    // A fabricated hmac record: the honest record of counter 0 with a step
    // one higher in its evidence and record, so its tag fails.
    let fabricated_hmac = {
        let moved = edit(&online_1, HM, 0, 29, |b| b ^ 1)?; // the record's step
        edit(&moved, HM, 0, 30 + 17, |b| b ^ 1)? // the evidence's step
    };
    // Codes made in advance: counter 0 for step T + 10 after counters 1 to 3.
    let owner_7 = log_of(
        7,
        &terminal,
        &[
            call(TIME, code(STEP, 1)?, 100),
            call(TIME + 60, code(STEP + 1, 2)?, 100),
            call(TIME + 120, code(STEP + 2, 3)?, 100),
        ],
    )?;
    let ahead_9 = log_of(9, &terminal, &[call(TIME + 600, code(STEP + 10, 0)?, 900)])?;
    let first_7 = log_of(7, &terminal, &[call(TIME, code(STEP, 1)?, 100)])?;
    let at_edge_9 = log_of(9, &terminal, &[call(TIME + 180, code(STEP + 3, 0)?, 100)])?;
    let past_edge_9 = log_of(9, &terminal, &[call(TIME + 240, code(STEP + 4, 0)?, 100)])?;
    // Counter jumps.
    let jump_7 =
        log_of(7, &terminal, &[call(TIME, code(STEP, 3)?, 100), call(TIME, code_2002(STEP, 3)?, 100)])?;
    let jump_9 = log_of(
        9,
        &terminal,
        &[call(TIME + 60, code(STEP + 1, 65_539)?, 100), call(TIME + 60, code_2002(STEP + 1, 65_540)?, 100)],
    )?;
    // Serial 1001 (cumulative limit 20000): 15000 at terminal 7, 10000 at terminal 9.
    let spend_7 = log_of(
        7,
        &terminal,
        &[
            call(TIME, code(STEP, 1)?, 5_000),
            call(TIME + 1, code(STEP, 2)?, 5_000),
            call(TIME + 2, code(STEP, 3)?, 5_000),
        ],
    )?;
    let spend_9 = log_of(
        9,
        &terminal,
        &[call(TIME + 60, code(STEP + 1, 4)?, 5_000), call(TIME + 61, code(STEP + 1, 5)?, 5_000)],
    )?;
    let spend_9_at_limit = log_of(9, &terminal, &[call(TIME + 60, code(STEP + 1, 4)?, 5_000)])?;
    // Serial 2002 spends exactly its limit at one terminal.
    let spend_2002 = log_of(
        9,
        &terminal,
        &(0..4)
            .map(|n| Ok(call(TIME + 70 + u64::from(n), code_2002(STEP + 1, n)?, 5_000)))
            .collect::<Result<Vec<_>, VectorError>>()?,
    )?;
    // A clone at terminal 9 uses counters 3 and 4 of serial 1001 at step T + 1.
    let clone_spend_9 = log_of(
        9,
        &terminal,
        &[call(TIME + 60, code(STEP + 1, 3)?, 5_000), call(TIME + 61, code(STEP + 1, 4)?, 5_000)],
    )?;
    // hmac: counters at the order and jump edges.
    let edges_1 = log_of(
        1,
        &online,
        &[call(TIME, hmac(ACCOUNT, STEP, 1)?, 10), call(TIME, hmac(OTHER_ACCOUNT, STEP, 0)?, 10)],
    )?;
    let edges_2 = log_of(
        2,
        &online,
        &[
            call(TIME + 180, hmac(ACCOUNT, STEP + 3, 0)?, 10),
            call(TIME + 180, hmac(OTHER_ACCOUNT, STEP + 3, 65_536)?, 10),
        ],
    )?;
    // A capped code (cap 2000) paid 1500, and a challenge code for terminal 7.
    let capped =
        ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, 7, Purpose::Capped(2_000))?.to_qr_text();
    let capped_7 = log_of(7, &terminal, &[call(TIME, capped, 1_500)])?;
    let ch = challenge(7, 250, TIME, "reconcile");
    let answered =
        ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, 8, Purpose::Challenge(&ch))?.to_qr_text();
    let challenge_7 = log_of(7, &terminal, &[(TIME + 10, answered, 250, Some(ch.to_qr_text()))])?;
    let hmac_ch = challenge(1, 90, TIME, "reconcile-hmac");
    let hmac_answered =
        hmac_code_for(&DEFAULT_PARAMS, ACCOUNT, STEP, 9, Purpose::Challenge(&hmac_ch))?.to_qr_text();
    let hmac_challenge_1 = log_of(1, &online, &[(TIME + 10, hmac_answered, 90, Some(hmac_ch.to_qr_text()))])?;
    let hmac_capped = hmac_code_for(&DEFAULT_PARAMS, ACCOUNT, STEP, 10, Purpose::Capped(300))?.to_qr_text();
    let hmac_capped_1 = log_of(1, &online, &[call(TIME + 20, hmac_capped, 300)])?;
    // Numeric: the QR and numeric forms of one code, and a numeric record beside a fabricated one.
    let numeric_1 = log_of(1, &online, &[call(TIME, numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 6)?, 10)])?;
    let qr_2 = log_of(2, &online, &[call(TIME + 5, hmac(ACCOUNT, STEP, 6)?, 10)])?;
    let unknown = log_of(
        1,
        &VerifierConfig { hmac_accounts: Some(vec![enrolled(99)]), ..online.clone() },
        &[call(TIME, hmac(99, STEP, 0)?, 10)],
    )?;
    let mut truncated = unhex(&log_7)?;
    truncated.pop();
    let none: &[EnrolledAccount] = &[];
    let cases = [
        Case {
            id: "scenario.reconcile-evidence.spec-example",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::SpecExample],
            comment: "The example of spec section 10.4: serial 1001's one-way code with counter 3, photographed, is accepted at terminals 7 (1250) and 9 (4000): one code recorded twice, a copy, not a double acceptance; terminal 9's record for serial 2002 counter 0 at step T + 2 has an invalid signature: unproven (log 1, record 3), so serial 2002 has no double. Nothing flagged; totals 1001 -> 2050 (the copy at its smallest amount, 1250, and 800), 2002 -> 300.",
            op: Op::Reconcile,
            input: input(vec![spec_7.clone(), spec_9], &trust),
            intent: Intent::valid()
                .with("revoke_serials", Vec::<u64>::new())
                .with("unproven", json!([{"log": 1, "index": 3, "why": "invalid-code"}]))
                .with("totals", json!([{"serial": 1001, "total": 2050}, {"serial": 2002, "total": 300}])),
        },
        Case {
            id: "scenario.reconcile-evidence.clone-double",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "Terminal 7 accepted serial 1001's counter 3 at step T, terminal 9 a different code with counter 3 at step T + 1: two codes the device key made for one counter (a clone): double; revoke 1001.",
            op: Op::Reconcile,
            input: input(vec![log_7.clone(), clone_9], &trust),
            intent: Intent::valid()
                .with("revoke_serials", vec![1001u64])
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["double"]}])),
        },
        Case {
            id: "scenario.reconcile-evidence.no-double",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "Different counters at the two terminals: nothing to revoke; totals summed.",
            op: Op::Reconcile,
            input: input(vec![log_7.clone(), other_counter_9], &trust),
            intent: Intent::valid().with("revoke_serials", Vec::<u64>::new()),
        },
        Case {
            id: "scenario.reconcile-evidence.same-log-twice",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation, Flag::Evidence],
            comment: "The same log given twice: every code is recorded twice, so every code is a copy; nothing flagged, and the totals count each code once.",
            op: Op::Reconcile,
            input: input(vec![log_7.clone(), log_7.clone()], &trust),
            intent: Intent::valid()
                .with("revoke_serials", Vec::<u64>::new())
                .with("totals", json!([{"serial": 1001, "total": 1350}])),
        },
        Case {
            id: "scenario.reconcile-evidence.hmac-copy",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation, Flag::Evidence],
            comment: "Verifiers 1 and 2, which did not share state, both accepted account 42's one code with counter 0: a copy; nothing disabled.",
            op: Op::Reconcile,
            input: input(vec![online_1.clone(), online_2_same], &trust),
            intent: Intent::valid().with("disable_accounts", Vec::<u64>::new()),
        },
        Case {
            id: "scenario.reconcile-evidence.hmac-double",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation],
            comment: "Account 42's counter 0 at step T (verifier 1) and at step T + 1 (verifier 2): two codes for one counter: double; disable 42.",
            op: Op::Reconcile,
            input: input(vec![online_1.clone(), online_2_clone], &trust),
            intent: Intent::valid()
                .with("disable_accounts", vec![ACCOUNT])
                .with("flagged", json!([{"profile": "hmac", "subject": ACCOUNT, "reasons": ["double"]}])),
        },
        Case {
            id: "scenario.reconcile-evidence.fabricated-hmac-double-handle",
            requirements: &["R-LOG-2", "R-HANDLE-1"],
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::LogRecord],
            comment: "Beside account 42's honest record of counter 0 at step T, a record claiming step T + 1 whose evidence is the honest code (its handle is step T's): no account's handle for step T + 1 is the code's, so unproven (unknown-account); nothing disabled.",
            op: Op::Reconcile,
            input: input(vec![online_1.clone(), fabricated_hmac], &trust),
            intent: Intent::valid()
                .with("disable_accounts", Vec::<u64>::new())
                .with("unproven", json!([{"log": 1, "index": 0, "why": "unknown-account"}])),
        },
        Case {
            id: "scenario.reconcile-evidence.fabricated-signature",
            requirements: EVIDENCE,
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::BadSignature],
            comment: "Beside serial 1001's honest counters 3 and 4, a record of counter 3 at step T + 1 whose device signature does not verify: unproven; nothing revoked, and its amount is in no total.",
            op: Op::Reconcile,
            input: input(vec![log_7.clone(), edit(&log_of(9, &terminal, &[call(TIME + 60, code(STEP + 1, 3)?, 4_000)])?, ED, 0, 230, |b| b ^ 0x10)?], &trust),
            intent: Intent::valid()
                .with("revoke_serials", Vec::<u64>::new())
                .with("unproven", json!([{"log": 1, "index": 0, "why": "invalid-code"}]))
                .with("totals", json!([{"serial": 1001, "total": 1350}])),
        },
        Case {
            id: "scenario.reconcile-evidence.above-the-cap",
            requirements: &["R-LOG-2", "R-LOG-4", "R-CAP-1"],
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::Cap],
            comment: "A capped code (cap 2000) paid 1500 at terminal 7, and a copy of its record at terminal 9 claiming 3000: above the cap the payer confirmed, so unproven (over-cap); the honest record stands alone.",
            op: Op::Reconcile,
            input: input(vec![capped_7.clone(), with_terminal(&with_amount(&capped_7, 3_000)?, 9)?], &trust),
            intent: Intent::valid()
                .with("unproven", json!([{"log": 1, "index": 0, "why": "over-cap"}]))
                .with("totals", json!([{"serial": 1001, "total": 1500}])),
        },
        Case {
            id: "scenario.reconcile-evidence.hmac-above-the-cap",
            requirements: &["R-LOG-2", "R-LOG-4", "R-CAP-1"],
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::Cap],
            comment: "Account 42's capped code (cap 300) accepted for 300; the same record claiming 301: unproven (over-cap).",
            op: Op::Reconcile,
            input: input(vec![hmac_capped_1.clone(), with_amount(&hmac_capped_1, 301)?], &trust),
            intent: Intent::valid().with("unproven", json!([{"log": 1, "index": 0, "why": "over-cap"}])),
        },
        Case {
            id: "scenario.reconcile-evidence.challenge-for-another-terminal",
            requirements: &["R-LOG-2", "R-LOG-4", "R-CHAL-2"],
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::Challenge],
            comment: "A challenge code paid 250 at terminal 7 for its challenge; the record copied into terminal 9's log (terminal id 9): the challenge names terminal 7, so unproven (challenge-mismatch); and with amount 2500: unproven too.",
            op: Op::Reconcile,
            input: input(vec![challenge_7.clone(), with_terminal(&challenge_7, 9)?, with_amount(&challenge_7, 2_500)?], &trust),
            intent: Intent::valid()
                .with("unproven", json!([{"log": 1, "index": 0, "why": "challenge-mismatch"}, {"log": 2, "index": 0, "why": "challenge-mismatch"}]))
                .with("totals", json!([{"serial": 1001, "total": 250}])),
        },
        Case {
            id: "scenario.reconcile-evidence.challenge-digest",
            requirements: &["R-LOG-2", "R-LOG-4", "R-CHAL-2"],
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::Challenge],
            comment: "Account 42's challenge code paid 90 at verifier 1, proven; the same record with another nonce in its challenge (and terminal and amount unchanged): the tag does not cover that challenge's digest, so unproven (invalid-code).",
            op: Op::Reconcile,
            input: input(vec![hmac_challenge_1.clone(), edit(&hmac_challenge_1, 105, 0, 104, |b| b ^ 1)?], &trust),
            intent: Intent::valid().with("unproven", json!([{"log": 1, "index": 0, "why": "invalid-code"}])),
        },
        Case {
            id: "scenario.reconcile-evidence.over-the-per-payment-limit",
            requirements: EVIDENCE,
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::Limit],
            comment: "Serial 1001's honest record of 1250, copied with amount 6000, above the credential's per-payment limit of 5000 that no terminal accepts: unproven (over-limit).",
            op: Op::Reconcile,
            input: input(vec![spec_7.clone(), with_amount(&spec_7, 6_000)?], &trust),
            intent: Intent::valid().with("unproven", json!([{"log": 1, "index": 0, "why": "over-limit"}])),
        },
        Case {
            id: "scenario.reconcile-evidence.copy-with-a-larger-amount",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation, Flag::Evidence],
            comment: "Serial 1001's record of 1250 at terminal 7 and a copy claiming 5000 at terminal 9: one code, a copy; the total counts it once at 1250.",
            op: Op::Reconcile,
            input: input(vec![spec_7.clone(), with_terminal(&with_amount(&spec_7, 5_000)?, 9)?], &trust),
            intent: Intent::valid()
                .with("revoke_serials", Vec::<u64>::new())
                .with("totals", json!([{"serial": 1001, "total": 1250}])),
        },
        Case {
            id: "scenario.reconcile-evidence.unknown-keys",
            requirements: EVIDENCE,
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::UnknownIssuer],
            comment: "An issuer without a trust list and without account 99: serial 1001's records are unproven (unknown-issuer), and so is account 99's (unknown-account).",
            op: Op::Reconcile,
            input: ReconcileInput { logs: vec![spec_7.clone(), unknown], tolerance: TOLERANCE, hmac_accounts: enrolled_accounts(), trust_list: None, holders: None },
            intent: Intent::valid().with(
                "unproven",
                json!([{"log": 0, "index": 0, "why": "unknown-issuer"}, {"log": 1, "index": 0, "why": "unknown-account"}]),
            ),
        },
        Case {
            id: "scenario.reconcile-evidence.numeric-beside-unproven",
            requirements: EVIDENCE,
            flags: &[Flag::Reconciliation, Flag::Evidence, Flag::SharedIdentity],
            comment: "Account 42's numeric record (tag29 verifies) and, in the same log, a fabricated QR record: the numeric record's 29-bit tag is not evidence beside a fabrication, so both are unproven.",
            op: Op::Reconcile,
            input: input(vec![[numeric_1.clone(), edit(&online_1, HM, 0, 67, |b| b ^ 1)?].concat()], &trust),
            intent: Intent::valid().with(
                "unproven",
                json!([{"log": 0, "index": 0, "why": "numeric-beside-unproven"}, {"log": 0, "index": 1, "why": "invalid-code"}]),
            ),
        },
        Case {
            id: "scenario.reconcile-evidence.qr-and-numeric-one-code",
            requirements: RECONCILIATION,
            flags: &[Flag::Reconciliation, Flag::SharedIdentity],
            comment: "Account 42's code with counter 6 at step T accepted as digits at verifier 1 and as QR text at verifier 2: two forms of one code, a copy; nothing disabled.",
            op: Op::Reconcile,
            input: input(vec![numeric_1, qr_2], &trust),
            intent: Intent::valid().with("disable_accounts", Vec::<u64>::new()),
        },
        Case {
            id: "scenario.reconcile-evidence.made-in-advance",
            requirements: &["R-LOG-2", "R-LOG-3", "R-REPLAY-7"],
            flags: &[Flag::Reconciliation, Flag::CounterMark],
            comment: "Terminal 7 accepted serial 1001's counters 1, 2, 3 in steps T to T + 2; terminal 9 accepted counter 0 made for step T + 10: more than D = 3 above counter 1's step: order; revoke 1001.",
            op: Op::Reconcile,
            input: input(vec![owner_7, ahead_9], &trust),
            intent: Intent::valid()
                .with("revoke_serials", vec![1001u64])
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["order"]}])),
        },
        Case {
            id: "scenario.reconcile-evidence.order-at-the-tolerance",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Counter 1 at step T (terminal 7), counter 0 at step T + 3 (terminal 9): 3 steps apart, not more than D = 3: not flagged.",
            op: Op::Reconcile,
            input: input(vec![first_7.clone(), at_edge_9], &trust),
            intent: Intent::valid().with("flagged", json!([])),
        },
        Case {
            id: "scenario.reconcile-evidence.order-past-the-tolerance",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Counter 1 at step T, counter 0 at step T + 4: more than D = 3: order; revoke 1001.",
            op: Op::Reconcile,
            input: input(vec![first_7, past_edge_9], &trust),
            intent: Intent::valid()
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["order"]}])),
        },
        Case {
            id: "scenario.reconcile-evidence.counter-jump",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Serial 1001: counters 3 and 65539, J = 65536 apart: not flagged. Serial 2002: counters 3 and 65540, J + 1 apart: jump; revoke 2002.",
            op: Op::Reconcile,
            input: input(vec![jump_7, jump_9], &trust),
            intent: Intent::valid()
                .with("revoke_serials", vec![2002u64])
                .with("flagged", json!([{"profile": "ed25519", "subject": 2002, "reasons": ["jump"]}])),
        },
        Case {
            id: "scenario.reconcile-evidence.overspend-across-terminals",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation, Flag::Limit],
            comment: "Serial 1001, whose credential's cumulative limit is 20000: 15000 at terminal 7 and 10000 at terminal 9, each within its own limit; 25000 across the logs: overspend; revoke 1001. The limit is the credential's, in the evidence.",
            op: Op::Reconcile,
            input: input(vec![spend_7.clone(), spend_9], &trust),
            intent: Intent::valid()
                .with("revoke_serials", vec![1001u64])
                .with("totals", json!([{"serial": 1001, "total": 25_000}]))
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["overspend"]}])),
        },
        Case {
            id: "scenario.reconcile-evidence.clone-double-and-overspend",
            requirements: &["R-LOG-2", "R-LOG-3"],
            flags: &[Flag::Reconciliation, Flag::Limit],
            comment: "Serial 1001: counters 1, 2, 3 at step T (terminal 7, 5000 each), and a clone's counters 3 and 4 at step T + 1 (terminal 9, 5000 each): five codes, two of them for counter 3: double, and 25000 above the limit of 20000: overspend. Serial 2002 spent exactly its 20000: not flagged.",
            op: Op::Reconcile,
            input: input(vec![spend_7.clone(), clone_spend_9, spend_2002], &trust),
            intent: Intent::valid()
                .with("totals", json!([{"serial": 1001, "total": 25_000}, {"serial": 2002, "total": 20_000}]))
                .with("flagged", json!([{"profile": "ed25519", "subject": 1001, "reasons": ["double", "overspend"]}])),
        },
        Case {
            id: "scenario.reconcile-evidence.hmac-order-and-jump-edges",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::WindowEdge],
            comment: "Account 42: counter 1 at step T, counter 0 at step T + 3: not more than D = 3 apart, not flagged. Account 7: counters 0 and 65536, exactly J apart: not a jump. Nothing flagged.",
            op: Op::Reconcile,
            input: input(vec![edges_1, edges_2], &trust),
            intent: Intent::valid().with("flagged", json!([])),
        },
        Case {
            id: "scenario.reconcile-evidence.spend-at-the-limit",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::Limit],
            comment: "Serial 1001: 15000 at terminal 7 and 5000 at terminal 9, exactly its cumulative limit of 20000: not flagged.",
            op: Op::Reconcile,
            input: input(vec![spend_7, spend_9_at_limit], &trust),
            intent: Intent::valid().with("flagged", json!([])),
        },
        Case {
            id: "scenario.reconcile-evidence.no-logs",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation],
            comment: "No logs: an empty report.",
            op: Op::Reconcile,
            input: ReconcileInput { logs: Vec::new(), tolerance: TOLERANCE, hmac_accounts: none.to_vec(), trust_list: None, holders: None },
            intent: Intent::valid(),
        },
        Case {
            id: "scenario.reconcile-evidence.malformed-log",
            requirements: &["R-LOG-2"],
            flags: &[Flag::Reconciliation, Flag::Length],
            comment: "A log that ends inside a record is malformed, and the whole reconciliation is rejected.",
            op: Op::Reconcile,
            input: input(vec![log_7, hex(&truncated)], &trust),
            intent: Intent::invalid(Error::Malformed),
        },
    ];
    for case in cases {
        file.add(case)?;
    }
    payers(&mut file, &trust, &terminal, &online)?;
    Ok(file.finish())
}

/// Whom serials 1001, 2002 and 3003 were issued to: payer 5's batch 1
/// (1001 and 2002, limit 2 x 20000) and payer 6's batch 1 (3003). Serial 42
/// is also mapped, to payer 6's batch 2, as account 42 is an hmac account:
/// the mapping is of ed25519 serials, and an hmac record is never a payer's.
fn holders() -> Vec<SerialHolder> {
    let holder = |serial: u64, payer: u64, batch: u32, batch_limit: u64| SerialHolder {
        serial,
        payer,
        batch,
        batch_limit,
    };
    vec![
        holder(1001, 5, 1, 40_000),
        holder(2002, 5, 1, 40_000),
        holder(3003, 6, 1, 20_000),
        holder(ACCOUNT, 6, 2, 20_000),
    ]
}

/// Reconciliation with the issuer's mapping of serials to payers (spec
/// R-LOG-2 step 7, R-BATCH-3, R-BATCH-5).
fn payers(
    file: &mut FileBuilder,
    trust: &str,
    terminal: &VerifierConfig,
    online: &VerifierConfig,
) -> Result<(), VectorError> {
    let c1001 = issue(main_fields());
    let c2002 = issue(credential_fields(2, 1, 2002, CREDENTIAL_START, CREDENTIAL_LIFETIME));
    let c3003 = issue(credential_fields(3, 1, 3003, CREDENTIAL_START, CREDENTIAL_LIFETIME));
    let code = |wallet: u32, credential, step: u64, counter: u32| {
        ed25519_text(&DEFAULT_PARAMS, wallet, credential, step, counter)
    };
    // Four payments of 5000 by serial `wallet`'s credential at steps T and
    // T + 1, counters from `first`, starting at `time`.
    let four = |wallet: u32, credential, first: u32, time: u64| -> Result<Vec<Call>, VectorError> {
        (0..4u32)
            .map(|n| Ok(call(time + u64::from(n), code(wallet, credential, STEP, first + n)?, 5_000)))
            .collect()
    };
    let with_mapping = |logs: Vec<String>| ReconcileInput { holders: Some(holders()), ..input(logs, trust) };

    // Payer 5's batch takes exactly its limit at terminal 7; serial 1001's
    // counter 1 is also recorded at terminal 9, for 3000.
    let at_limit_7 =
        log_of(7, terminal, &[four(1, c1001, 1, TIME)?, four(2, c2002, 1, TIME + 10)?].concat())?;
    let copy_9 = log_of(9, terminal, &[call(TIME + 20, code(1, c1001, STEP, 1)?, 3_000)])?;
    let hmac_42 = log_of(1, online, &[call(TIME, hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?, 10)])?;
    // A clone of serial 1001: another code for counter 3 at terminal 9;
    // serial 3003 pays 5000 there.
    let clone_9 = log_of(
        9,
        terminal,
        &[
            call(TIME + 60, code(1, c1001, STEP + 1, 3)?, 5_000),
            call(TIME + 61, code(3, c3003, STEP + 1, 1)?, 5_000),
        ],
    )?;
    // Terminal 7 loses its state between two runs: serial 1001 pays 4 x
    // 5000 in each, and serial 2002 once more, all recorded as terminal 7.
    let lost_7 = [
        log_of(7, terminal, &four(1, c1001, 1, TIME)?)?,
        log_of(
            7,
            terminal,
            &[four(1, c1001, 5, TIME + 10)?, vec![call(TIME + 20, code(2, c2002, STEP, 1)?, 5_000)]].concat(),
        )?,
    ]
    .concat();

    let payer = |payer: u64,
                 serials: &[u64],
                 codes: u64,
                 terminals: serde_json::Value,
                 flagged: &[u64],
                 over: bool| {
        json!({"payer": payer, "serials": serials, "codes": codes, "terminals": terminals, "flagged_serials": flagged, "over_batch_limit": over})
    };
    let at = |batch: u32, terminal_id: u32, total: u64, limit: u64| json!({"batch": batch, "terminal_id": terminal_id, "total": total, "limit": limit});
    let cases = [
        Case {
            id: "scenario.reconcile-payers.batch-at-its-limit",
            requirements: &["R-LOG-2", "R-BATCH-3", "R-BATCH-5"],
            flags: &[Flag::Reconciliation, Flag::Batch, Flag::Limit],
            comment: "Payer 5's batch (serials 1001 and 2002, limit 40000 at one terminal) takes 4 x 5000 on each serial at terminal 7: exactly its limit, not over it. Serial 1001's counter 1 is also recorded at terminal 9 for 3000: a copy, one code, which counts at each terminal that recorded it (5000 at 7, 3000 at 9). Account 42's hmac record is not payer 6's, though serial 42 is mapped: payer 6 has no proven ed25519 code and is not listed. Nothing flagged.",
            op: Op::Reconcile,
            input: with_mapping(vec![at_limit_7, copy_9, hmac_42]),
            intent: Intent::valid()
                .with(
                    "payers",
                    json!([payer(
                        5,
                        &[1001, 2002],
                        8,
                        json!([at(1, 7, 40_000, 40_000), at(1, 9, 3_000, 40_000)]),
                        &[],
                        false
                    )]),
                )
                .with("flagged_payers", Vec::<u64>::new()),
        },
        Case {
            id: "scenario.reconcile-payers.clone-flags-its-payer",
            requirements: &["R-LOG-2", "R-BATCH-5"],
            flags: &[Flag::Reconciliation, Flag::Batch],
            comment: "Serial 1001 (payer 5) has two codes for counter 3, at terminals 7 and 9: a double, so payer 5 is listed, with 1001 as its flagged serial. Payer 6's serial 3003 paid 5000 at terminal 9 and has no reason: payer 6 is reported, not listed.",
            op: Op::Reconcile,
            input: with_mapping(vec![
                log_of(7, terminal, &[call(TIME, code(1, c1001, STEP, 3)?, 1_000)])?,
                clone_9,
            ]),
            intent: Intent::valid()
                .with(
                    "payers",
                    json!([
                        payer(
                            5,
                            &[1001],
                            2,
                            json!([at(1, 7, 1_000, 40_000), at(1, 9, 5_000, 40_000)]),
                            &[1001],
                            false
                        ),
                        payer(6, &[3003], 1, json!([at(1, 9, 5_000, 20_000)]), &[], false)
                    ]),
                )
                .with("flagged_payers", vec![5u64]),
        },
        Case {
            id: "scenario.reconcile-payers.batch-over-its-limit",
            requirements: &["R-LOG-2", "R-BATCH-3", "R-BATCH-5"],
            flags: &[Flag::Reconciliation, Flag::Batch, Flag::Limit],
            comment: "Terminal 7 lost its state between two runs: serial 1001 paid 8 x 5000 there and serial 2002 5000, so payer 5's batch took 45000 at terminal 7, above its limit of 40000, and serial 1001 overspent its 20000. Payer 5 is listed, over its batch limit, with 1001 flagged.",
            op: Op::Reconcile,
            input: with_mapping(vec![lost_7]),
            intent: Intent::valid()
                .with(
                    "payers",
                    json!([payer(5, &[1001, 2002], 9, json!([at(1, 7, 45_000, 40_000)]), &[1001], true)]),
                )
                .with("flagged_payers", vec![5u64]),
        },
    ];
    for case in cases {
        file.add(case)?;
    }
    Ok(())
}
