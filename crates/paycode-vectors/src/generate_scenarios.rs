//! Stateful scenarios as data: ordered steps of (verifier time, input,
//! expected verdict, relevant state after), and reconciliation of logs.

use serde_json::{Value, json};

use super::format::{Op, StepJson, VectorFile};
use super::generate::{FileBuilder, Want};
use super::generate_fixtures::*;
use super::run::ScenarioRunner;
use super::{VResult, VectorError};
use paycode::CredentialFields;

pub(crate) fn files() -> VResult<Vec<VectorFile>> {
    Ok(vec![
        replay()?,
        clock()?,
        restart()?,
        revocation_file()?,
        limits()?,
        rotation()?,
        throttle()?,
        reconcile()?,
    ])
}

/// One scenario step and what it must give.
enum St {
    /// verify (time, text, amount) → verdict.
    V(u64, String, u64, Result<(), &'static str>),
    /// install a revocation list → installed?
    Rl(String, bool),
    /// install a trust list → installed?
    Tl(String, bool),
    /// restart (kept?, time).
    Restart(bool, u64),
}

#[allow(clippy::too_many_arguments)]
fn sc(
    f: &mut FileBuilder,
    id: &str,
    reqs: &[&str],
    flags: &[&str],
    comment: &str,
    verifier: &Value,
    state: Value,
    steps: Vec<St>,
) -> VResult<()> {
    let mut input = Vec::new();
    let mut want = Vec::new();
    for s in steps {
        let (step, w) = match s {
            St::V(time, text, amount, v) => (
                json!({"action": "verify", "time": time, "text": text, "amount": amount}),
                match v {
                    Ok(()) => ("valid", None),
                    Err(e) => ("invalid", Some(e)),
                },
            ),
            St::Rl(list, ok) => (
                json!({"action": "install-revocation-list", "list": list}),
                (if ok { "valid" } else { "invalid" }, None),
            ),
            St::Tl(list, ok) => (
                json!({"action": "install-trust-list", "trust_list": list}),
                (if ok { "valid" } else { "invalid" }, None),
            ),
            St::Restart(kept, time) => (
                json!({"action": "restart", "mode": if kept { "kept" } else { "lost" }, "time": time}),
                ("valid", None),
            ),
        };
        input.push(step);
        want.push(w);
    }
    f.add(
        id,
        reqs,
        flags,
        comment,
        Op::Scenario,
        json!({"verifier": verifier, "state": state, "steps": input}),
        Want::steps(want),
    )
}

fn ok(t: u64, text: String) -> St {
    St::V(t, text, 0, Ok(()))
}

fn no(t: u64, text: String, e: &'static str) -> St {
    St::V(t, text, 0, Err(e))
}

fn replay() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-replay",
        "Replay across calls (spec §8): a code accepted once, counters out of order inside and outside the 64-counter window, eviction, and the identity shared by the QR and numeric forms.",
    );
    let p = default_params();
    let ver = hmac_verifier(p.clone());
    let c = |step: u64, counter: u32| hmac_text(&p, ACCOUNT, step, counter);
    let n = |step: u64, counter: u32| numeric_text(&p, ACCOUNT, step, counter);
    sc(
        &mut f,
        "scenario.replay.same-code-again",
        &["R-REPLAY-1", "R-TIME-4"],
        &["Replay"],
        "One code presented four times: accepted, replayed (same step), replayed (next step), too old (three steps later).",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 0)?),
            no(T + 10, c(S, 0)?, "replayed"),
            no(T + 70, c(S, 0)?, "replayed"),
            no(T + 180, c(S, 0)?, "too-old"),
        ],
    )?;
    sc(
        &mut f,
        "scenario.replay.out-of-order-inside-window",
        &["R-REPLAY-1", "R-REPLAY-2"],
        &["OutOfOrder", "Replay"],
        "Counters 10, 5, 9, 5, 10, 11, 6: each accepted once, in any order.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 10)?),
            ok(T, c(S, 5)?),
            ok(T + 1, c(S, 9)?),
            no(T + 2, c(S, 5)?, "replayed"),
            no(T + 3, c(S, 10)?, "replayed"),
            ok(T + 4, c(S, 11)?),
            ok(T + 5, c(S, 6)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.replay.out-of-order-outside-window",
        &["R-REPLAY-2"],
        &["OutOfOrder", "StaleCounter", "WindowEdge"],
        "Counter 0, then 63 and 64: counter 0 falls out of the window (stale), 1 is still inside; after 100, 36 is stale and 37 is accepted.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 0)?),
            ok(T, c(S, 63)?),
            no(T, c(S, 0)?, "replayed"),
            ok(T, c(S, 64)?),
            no(T, c(S, 0)?, "stale-counter"),
            ok(T, c(S, 1)?),
            ok(T, c(S, 100)?),
            no(T, c(S, 36)?, "stale-counter"),
            ok(T, c(S, 37)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.replay.eviction",
        &["R-REPLAY-4", "R-REPLAY-1"],
        &["Eviction", "Replay"],
        "Counter 5 accepted at step T. At T + 2 the entry is live (top = L): replayed. At T + 3 it is not live: the old code is too old, and a new code of step T + 3 may reuse the window from scratch.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 5)?),
            no(T + 120, c(S, 5)?, "replayed"),
            no(T + 180, c(S, 5)?, "too-old"),
            ok(T + 180, c(S + 3, 6)?),
            ok(T + 181, c(S + 3, 4)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.replay.qr-then-numeric",
        &["R-REPLAY-1", "R-HMAC-3"],
        &["SharedIdentity", "Replay"],
        "QR counter 7, then its numeric form: replayed; numeric counter 8, then its QR form: replayed.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 7)?),
            no(T + 5, n(S, 7)?, "replayed"),
            ok(T + 10, n(S, 8)?),
            no(T + 15, c(S, 8)?, "replayed"),
        ],
    )?;
    sc(
        &mut f,
        "scenario.replay.two-accounts",
        &["R-REPLAY-1"],
        &["Replay"],
        "Accounts 42 and 7 both use counter 0: separate identities.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 0)?),
            ok(T, hmac_text(&p, ACCOUNT2, S, 0)?),
            no(T, c(S, 0)?, "replayed"),
            no(T, hmac_text(&p, ACCOUNT2, S, 0)?, "replayed"),
        ],
    )?;
    sc(
        &mut f,
        "scenario.replay.rejection-changes-nothing",
        &["R-VERIFY-3", "R-REPLAY-1"],
        &["Replay", "BadTag"],
        "A wrong-tag code for counter 3 is rejected and records nothing: the genuine counter 3 is accepted afterwards.",
        &ver,
        state(0, 0),
        vec![
            no(T, paycode::code::HmacCode::new(ACCOUNT, S, 3, [0; 16]).to_qr_text(), "invalid-code"),
            ok(T + 1, c(S, 3)?),
        ],
    )?;
    f.finish()
}

fn clock() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-clock",
        "The verifier's clock going back and jumping forward (spec §2.4, §12.7, §12.8): T_hw never decreases, so no window reopens.",
    );
    let p = default_params();
    let ver = hmac_verifier(p.clone());
    let c = |step: u64, counter: u32| hmac_text(&p, ACCOUNT, step, counter);
    sc(
        &mut f,
        "scenario.clock.back",
        &["R-TIME-5", "R-TIME-4"],
        &["ClockJump", "HighWater"],
        "Accepted at T; the clock goes back 10 minutes: a code of the current (earlier) step is too old and the code of step T too new; when the clock returns, step T codes are accepted again.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 0)?),
            no(T - 600, c(S - 10, 1)?, "too-old"),
            no(T - 600, c(S, 1)?, "too-new"),
            ok(T, c(S, 1)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.clock.forward",
        &["R-TIME-5", "R-TIME-4"],
        &["ClockJump", "HighWater"],
        "A call (even with garbage) one hour ahead raises T_hw; back at T every code is too old until real time passes T_hw - B.",
        &ver,
        state(0, 0),
        vec![
            no(T + 3_600, "garbage".into(), "malformed"),
            no(T, c(S, 0)?, "too-old"),
            no(T + 3_480, c(S + 57, 0)?, "too-old"),
            ok(T + 3_480, c(S + 58, 0)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.clock.forward-recovered-by-lost-state",
        &["R-REPLAY-5", "R-TIME-5"],
        &["ClockJump", "Quarantine"],
        "After a jump forward, the operator applies restart-lost-state at the corrected time: T_hw returns to T, and codes pass after the quarantine.",
        &ver,
        state(0, 0),
        vec![
            no(T + 3_600, "garbage".into(), "malformed"),
            St::Restart(false, T),
            no(T + 1, c(S, 0)?, "state-unavailable"),
            ok(T + 120, c(S + 2, 1)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.clock.before-epoch-changes-nothing",
        &["R-TIME-2", "R-TIME-5"],
        &["BeforeEpoch"],
        "A call before T0 is rejected and leaves T_hw alone.",
        &hmac_verifier(params_json(T, 60, 2, 1)),
        state(0, 0),
        vec![
            no(T - 1, hmac_text(&params_json(T, 60, 2, 1), ACCOUNT, 0, 0)?, "time-before-epoch"),
            ok(T, hmac_text(&params_json(T, 60, 2, 1), ACCOUNT, 0, 0)?),
        ],
    )?;
    f.finish()
}

fn restart() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-restart",
        "Restarts (spec §8.6): with durable state the window survives; without it the verifier quarantines every step below Q = T + F + 1.",
    );
    let p = default_params();
    let ver = hmac_verifier(p.clone());
    let c = |step: u64, counter: u32| hmac_text(&p, ACCOUNT, step, counter);
    sc(
        &mut f,
        "scenario.restart.kept-state",
        &["R-REPLAY-5", "R-REPLAY-1"],
        &["Restart", "Replay"],
        "Counters 0 and 1 accepted; restart with durable state; counter 1 is still replayed, 2 is accepted.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 0)?),
            ok(T + 1, c(S, 1)?),
            St::Restart(true, T + 10),
            no(T + 11, c(S, 1)?, "replayed"),
            ok(T + 12, c(S, 2)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.restart.lost-state-quarantine",
        &["R-REPLAY-5", "R-REPLAY-1"],
        &["Quarantine", "Restart"],
        "Counter 0 accepted at T; the state is lost at T + 10 (Q = T + 2). The old code is not replayable: state-unavailable, then too old. A fast wallet's code of step T + 2 passes at T + 1; on-time codes pass from T + 2.",
        &ver,
        state(0, 0),
        vec![
            ok(T, c(S, 0)?),
            St::Restart(false, T + 10),
            no(T + 20, c(S, 0)?, "state-unavailable"),
            no(T + 30, c(S, 1)?, "state-unavailable"),
            ok(T + 60, c(S + 2, 2)?),
            ok(T + 120, c(S + 2, 3)?),
            no(T + 180, c(S, 0)?, "too-old"),
        ],
    )?;
    sc(
        &mut f,
        "scenario.restart.lost-state-forward-zero",
        &["R-REPLAY-5"],
        &["Quarantine", "Restart", "WindowEdge"],
        "F = 0: Q = T + 1 after a loss at T, so nothing passes until the next step.",
        &hmac_verifier(params_json(0, 60, 2, 0)),
        state(0, 0),
        vec![
            St::Restart(false, T),
            no(T + 59, hmac_text(&params_json(0, 60, 2, 0), ACCOUNT, S, 0)?, "state-unavailable"),
            ok(T + 60, hmac_text(&params_json(0, 60, 2, 0), ACCOUNT, S + 1, 1)?),
        ],
    )?;
    let t1 = trust1()?;
    let ed = ed_verifier(p.clone(), &t1);
    let cred = issue(main_fields());
    let e = |step: u64, counter: u32| ed_text(&p, 1, cred, step, counter);
    sc(
        &mut f,
        "scenario.restart.lost-state-ed25519",
        &["R-REPLAY-5", "R-LIMIT-2"],
        &["Quarantine", "Restart", "Limit"],
        "An offline terminal loses its state: quarantine, then the spend ledger starts again from zero (one more cumulative limit becomes available, spec §10.2).",
        &ed,
        state(0, 0),
        vec![
            St::V(T, e(S, 0)?, 5_000, Ok(())),
            St::V(T, e(S, 1)?, 5_000, Ok(())),
            St::V(T, e(S, 2)?, 5_000, Ok(())),
            St::V(T, e(S, 3)?, 5_000, Ok(())),
            St::V(T, e(S, 4)?, 1, Err("over-limit")),
            St::Restart(false, T + 5),
            St::V(T + 6, e(S, 4)?, 1, Err("state-unavailable")),
            St::V(T + 120, e(S + 2, 5)?, 5_000, Ok(())),
        ],
    )?;
    sc(
        &mut f,
        "scenario.restart.kept-state-ed25519",
        &["R-REPLAY-5", "R-LIMIT-2"],
        &["Restart", "Limit"],
        "With durable state the ledger survives a restart: the cumulative limit still binds.",
        &ed,
        state(0, 0),
        vec![
            St::V(T, e(S, 0)?, 15_000 / 3, Ok(())),
            St::V(T, e(S, 1)?, 5_000, Ok(())),
            St::V(T, e(S, 2)?, 5_000, Ok(())),
            St::Restart(true, T + 5),
            St::V(T + 6, e(S, 3)?, 5_001, Err("over-limit")),
            St::V(T + 7, e(S, 3)?, 5_000, Ok(())),
            St::V(T + 8, e(S, 4)?, 1, Err("over-limit")),
        ],
    )?;
    f.finish()
}

fn revocation_file() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-revocation",
        "Revocation list updates (spec §4.7, §10.5): a list installs only if valid, signed by a trusted key whose validity contains issued_at, and numbered above the installed one (initially 0); the installed list replaces the old one.",
    );
    let p = default_params();
    let t12 = trust(&[(1, KEY1.0, KEY1.1), (2, KEY2.0, KEY2.1)])?;
    let ed = ed_verifier(p.clone(), &t12);
    let cred = issue(main_fields());
    let e = |step: u64, counter: u32| ed_text(&p, 1, cred, step, counter);
    let rv = ["R-REVOKE-1", "R-REVOKE-2", "R-REVOKE-3"];
    sc(
        &mut f,
        "scenario.revocation.install-update-unrevoke",
        &rv,
        &["Revocation"],
        "Accepted; list 1 revokes 1001; list 1 again and an older list are refused; list 2 (empty) replaces it and the serial is accepted again.",
        &ed,
        state(0, 0),
        vec![
            ok(T, e(S, 0)?),
            St::Rl(revocation(1, 1, T, vec![SERIAL]), true),
            no(T + 1, e(S, 1)?, "revoked"),
            St::Rl(revocation(1, 1, T, vec![]), false),
            no(T + 2, e(S, 1)?, "revoked"),
            St::Rl(revocation(1, 2, T + 5, vec![]), true),
            ok(T + 6, e(S, 1)?),
            St::Rl(revocation(1, 1, T, vec![SERIAL]), false),
            ok(T + 7, e(S, 2)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.revocation.number-zero",
        &["R-REVOKE-2"],
        &["Revocation"],
        "The installed number starts at 0, so a list numbered 0 is never installed.",
        &ed,
        state(0, 0),
        vec![
            St::Rl(revocation(1, 0, T, vec![SERIAL]), false),
            ok(T, e(S, 0)?),
            St::Rl(revocation(1, u64::MAX, T, vec![SERIAL]), true),
            no(T, e(S, 1)?, "revoked"),
        ],
    )?;
    let mut bad_sig = crate::run::unhex(&revocation(1, 3, T, vec![SERIAL]))?;
    if let Some(last) = bad_sig.last_mut() {
        *last ^= 1;
    }
    let mut unsorted = crate::run::unhex(&revocation(1, 3, T, vec![5, SERIAL]))?;
    put(&mut unsorted, 23, &SERIAL.to_be_bytes())?;
    put(&mut unsorted, 31, &5u64.to_be_bytes())?;
    sc(
        &mut f,
        "scenario.revocation.refused-lists",
        &["R-REVOKE-1", "R-REVOKE-2"],
        &["Revocation", "BadSignature", "Rotation"],
        "Refused: a flipped signature, a key not in the trust list, key 1 after its validity, unsorted serials. Installed: key 2 within its validity.",
        &ed,
        state(0, 0),
        vec![
            St::Rl(h(&bad_sig), false),
            St::Rl(
                super::generate_fixtures::h(&issuer().revocation_list(3, 3, T, vec![SERIAL]).encode()),
                false,
            ),
            St::Rl(revocation(1, 3, KEY1.1 + 1, vec![SERIAL]), false),
            St::Rl(h(&unsorted), false),
            ok(T, e(S, 0)?),
            St::Rl(revocation(2, 3, T, vec![SERIAL]), true),
            no(T + 1, e(S, 1)?, "revoked"),
        ],
    )?;
    sc(
        &mut f,
        "scenario.revocation.kept-across-restarts",
        &["R-REVOKE-2", "R-REPLAY-5"],
        &["Revocation", "Restart"],
        "The installed list survives both kinds of restart (revoked, E4, comes before the quarantine check, C2).",
        &ed,
        state(0, 0),
        vec![
            St::Rl(revocation(1, 4, T, vec![SERIAL]), true),
            St::Restart(true, T + 1),
            no(T + 2, e(S, 0)?, "revoked"),
            St::Restart(false, T + 3),
            no(T + 4, e(S, 0)?, "revoked"),
            no(T + 125, e(S + 2, 1)?, "revoked"),
        ],
    )?;
    f.finish()
}

fn limits() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-limits",
        "Offline limits (spec §10.1, §10.2): per payment, and cumulative per terminal through the spend ledger; rejected payments add nothing.",
    );
    let p = default_params();
    let t1 = trust1()?;
    let ed = ed_verifier(p.clone(), &t1);
    let cred = issue(main_fields());
    let e = |step: u64, counter: u32| ed_text(&p, 1, cred, step, counter);
    let lim = ["R-LIMIT-1", "R-LIMIT-2"];
    sc(
        &mut f,
        "scenario.limits.cumulative",
        &lim,
        &["Limit"],
        "5000 three times; 5001 is over the per-payment limit; 5000 reaches 20000 exactly; then 1 is over the cumulative limit and 0 is still accepted.",
        &ed,
        state(0, 0),
        vec![
            St::V(T, e(S, 0)?, 5_000, Ok(())),
            St::V(T + 1, e(S, 1)?, 5_000, Ok(())),
            St::V(T + 2, e(S, 2)?, 5_000, Ok(())),
            St::V(T + 3, e(S, 3)?, 5_001, Err("over-limit")),
            St::V(T + 4, e(S, 3)?, 5_000, Ok(())),
            St::V(T + 5, e(S, 4)?, 1, Err("over-limit")),
            St::V(T + 6, e(S, 4)?, 0, Ok(())),
        ],
    )?;
    sc(
        &mut f,
        "scenario.limits.rejections-add-nothing",
        &["R-LIMIT-2", "R-VERIFY-3"],
        &["Limit", "Replay"],
        "A replayed code and an over-limit code leave the ledger as it was.",
        &ed,
        state(0, 0),
        vec![
            St::V(T, e(S, 0)?, 10_000 / 2, Ok(())),
            St::V(T + 1, e(S, 0)?, 5_000, Err("replayed")),
            St::V(T + 2, e(S, 1)?, 6_000, Err("over-limit")),
            St::V(T + 3, e(S, 1)?, 5_000, Ok(())),
        ],
    )?;
    let cred2 = issue(CredentialFields { serial: 1002, ..fields(2, 1, 1002, CRED_NB, CRED_LIFE) });
    sc(
        &mut f,
        "scenario.limits.per-credential",
        &lim,
        &["Limit"],
        "Two credentials have separate ledgers.",
        &ed,
        state(0, 0),
        vec![
            St::V(T, e(S, 0)?, 5_000, Ok(())),
            St::V(T, e(S, 1)?, 5_000, Ok(())),
            St::V(T, e(S, 2)?, 5_000, Ok(())),
            St::V(T, e(S, 3)?, 5_000, Ok(())),
            St::V(T, e(S, 4)?, 1, Err("over-limit")),
            St::V(T, ed_text(&p, 2, cred2, S, 0)?, 5_000, Ok(())),
        ],
    )?;
    let na = CRED_NB + u64::from(CRED_LIFE);
    sc(
        &mut f,
        "scenario.limits.until-expiry",
        &lim,
        &["Limit", "CredentialValidity"],
        "The ledger holds until the credential's last second; after it the credential is expired anyway.",
        &ed,
        state(0, 0),
        vec![
            St::V(na - 60, e((na - 60) / 60, 0)?, 5_000, Ok(())),
            St::V(na, e(na / 60, 1)?, 5_000, Ok(())),
            St::V(na + 1, e(na / 60, 2)?, 5_000, Err("expired")),
        ],
    )?;
    f.finish()
}

fn rotation() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-rotation",
        "Issuer key rotation (spec §10.5): keys with overlapping validity in one trust list; each credential is checked only against the key its key id names; replacing the trust list retires a key.",
    );
    let p = default_params();
    let t1 = trust1()?;
    let t12 = trust(&[(1, KEY1.0, KEY1.1), (2, KEY2.0, KEY2.1)])?;
    let t2 = trust(&[(2, KEY2.0, KEY2.1)])?;
    let a = issue(main_fields());
    let b = issue(fields(2, 2, 2002, T - 60, CRED_LIFE));
    let ea = |step: u64, counter: u32| ed_text(&p, 1, a, step, counter);
    let eb = |step: u64, counter: u32| ed_text(&p, 2, b, step, counter);
    let rot = ["R-TRUST-1", "R-TRUST-2"];
    sc(
        &mut f,
        "scenario.rotation.overlap-then-retire",
        &rot,
        &["Rotation", "UnknownIssuer"],
        "Keys 1 and 2 trusted: both credentials pass. The trust list is replaced by key 2 alone: key 1's credential is unknown-issuer. A malformed trust list is refused and changes nothing.",
        &ed_verifier(p.clone(), &t12),
        state(0, 0),
        vec![
            ok(T, ea(S, 0)?),
            ok(T, eb(S, 0)?),
            St::Tl(t2, true),
            no(T + 1, ea(S, 1)?, "unknown-issuer"),
            ok(T + 2, eb(S, 1)?),
            St::Tl("01000000".into(), false),
            ok(T + 3, eb(S, 2)?),
        ],
    )?;
    sc(
        &mut f,
        "scenario.rotation.key-added",
        &rot,
        &["Rotation", "UnknownIssuer"],
        "Only key 1 trusted: key 2's credential is unknown-issuer until the trust list adds key 2.",
        &ed_verifier(p.clone(), &t1),
        state(0, 0),
        vec![
            no(T, eb(S, 0)?, "unknown-issuer"),
            St::Tl(t12.clone(), true),
            ok(T + 1, eb(S, 0)?),
            ok(T + 2, ea(S, 0)?),
        ],
    )?;
    let t2_narrow = trust(&[(1, KEY1.0, KEY1.1), (2, T, KEY2.1)])?;
    sc(
        &mut f,
        "scenario.rotation.key-period-shrinks",
        &["R-TRUST-2", "R-ED-4"],
        &["Rotation", "BadCredential"],
        "Key 2's period is narrowed to start at T: its credential (valid from T - 60) no longer lies inside and becomes bad-credential.",
        &ed_verifier(p.clone(), &t12),
        state(0, 0),
        vec![ok(T, eb(S, 0)?), St::Tl(t2_narrow, true), no(T + 1, eb(S, 1)?, "bad-credential")],
    )?;
    f.finish()
}

fn throttle() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-throttle",
        "Throttling of the hmac profile (spec R-HMAC-6): at most 8 invalid-code verdicts per account per verifier step, then throttled for the rest of the step, for both forms, even for valid codes.",
    );
    let p = default_params();
    let ver = hmac_verifier(p.clone());
    let digits = numeric_text(&p, ACCOUNT, S, 1)?;
    let n: u128 = digits.parse().map_err(|_| VectorError::new("digits"))?;
    let wrong = |i: u128| format!("{:024}", n ^ (i + 1));
    let mut steps: Vec<St> = (0..8).map(|i| no(T + i as u64, wrong(i), "invalid-code")).collect();
    steps.push(no(T + 10, digits.clone(), "throttled"));
    steps.push(no(T + 11, hmac_text(&p, ACCOUNT, S, 2)?, "throttled"));
    steps.push(no(T + 12, wrong(9), "throttled"));
    steps.push(ok(T + 60, digits.clone()));
    sc(
        &mut f,
        "scenario.throttle.numeric-eight-failures",
        &["R-HMAC-6", "R-HMAC-2"],
        &["Throttle", "NumericSyntax"],
        "8 wrong numeric codes: invalid-code each; then the valid numeric code, a valid QR code and another wrong code are all throttled; in the next step the valid code is accepted.",
        &ver,
        state(0, 0),
        steps,
    )?;
    let bad_qr = |c: u32| paycode::code::HmacCode::new(ACCOUNT, S, c, [0; 16]).to_qr_text();
    let mut steps: Vec<St> = (0..7).map(|i| no(T, bad_qr(i), "invalid-code")).collect();
    steps.push(ok(T, hmac_text(&p, ACCOUNT, S, 20)?));
    steps.push(no(T, bad_qr(8), "invalid-code"));
    steps.push(no(T, hmac_text(&p, ACCOUNT, S, 21)?, "throttled"));
    sc(
        &mut f,
        "scenario.throttle.success-does-not-reset",
        &["R-HMAC-6"],
        &["Throttle"],
        "7 failures, a success, an 8th failure: the next valid code is throttled (successes do not reset the count).",
        &ver,
        state(0, 0),
        steps,
    )?;
    let mut steps: Vec<St> = (0..8).map(|i| no(T, bad_qr(i), "invalid-code")).collect();
    steps.push(ok(T, hmac_text(&p, ACCOUNT2, S, 0)?));
    steps.push(no(T, hmac_text(&p, ACCOUNT, S, 0)?, "throttled"));
    sc(
        &mut f,
        "scenario.throttle.per-account",
        &["R-HMAC-6"],
        &["Throttle"],
        "Account 42 is throttled; account 7 is not.",
        &ver,
        state(0, 0),
        steps,
    )?;
    let mut steps: Vec<St> = (0..8).map(|i| no(T, bad_qr(i), "invalid-code")).collect();
    steps.push(no(T, hmac_text(&p, 99, S, 0)?, "unknown-account"));
    steps.push(no(T, "garbage".into(), "malformed"));
    steps.push(no(T, hmac_text(&p, ACCOUNT, S, 9)?, "throttled"));
    sc(
        &mut f,
        "scenario.throttle.other-rejections-do-not-count",
        &["R-HMAC-6"],
        &["Throttle"],
        "Only invalid-code counts: after 8 failures, unknown-account and malformed verdicts are reported as such, and the account stays throttled.",
        &ver,
        state(0, 0),
        steps,
    )?;
    // A verifier whose clock is behind T_hw: the current step's throttle record must survive
    // other identities' acceptances (the sibling account shares a shard with 42 in the reference).
    let sibling = sibling_account(ACCOUNT);
    let mut accounts = match accounts() {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    accounts.push(json!({"account_id": sibling, "seed": h(&hmac_seed(sibling))}));
    let ver2 = json!({"params": p, "terminal_id": 1, "hmac_accounts": accounts, "trust_list": null});
    let mut steps = vec![no(T + 600, "garbage".into(), "malformed")];
    steps.extend((0..8).map(|i| no(T, bad_qr(i), "invalid-code")));
    steps.push(no(T, hmac_text(&p, sibling, S, 0)?, "too-old"));
    steps.push(no(T, hmac_text(&p, ACCOUNT, S, 0)?, "throttled"));
    sc(
        &mut f,
        "scenario.throttle.clock-behind-high-water",
        &["R-HMAC-6", "R-TIME-5"],
        &["Throttle", "ClockJump"],
        &format!(
            "T_hw is 10 steps ahead of the clock. Account 42 fails 8 times in the current step; account {sibling}'s valid code (too old) must not clear that count: account 42 stays throttled."
        ),
        &ver2,
        state(0, 0),
        steps,
    )?;
    f.finish()
}

/// An account id that shares the reference's replay-state shard with `id`.
fn sibling_account(id: u64) -> u64 {
    let shard = |x: u64| x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60;
    (id + 1..id + 1000).find(|&x| shard(x) == shard(id)).unwrap_or(id + 1)
}

fn reconcile() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "scenarios-reconcile",
        "Reconciliation of terminals' acceptance logs (spec §10.4): records grouped by (profile, subject, counter); groups of two or more are double acceptances; their ed25519 serials are revoked and hmac accounts disabled; amounts are summed per serial.",
    );
    let p = default_params();
    let t1 = trust1()?;
    let cred = issue(main_fields());
    let e = |step: u64, counter: u32| ed_text(&p, 1, cred, step, counter);
    // Two offline terminals accept the same photographed code.
    let log_of = |terminal: u32, verifier: Value, calls: &[(u64, String, u64)]| -> VResult<String> {
        let mut v = verifier;
        if let Some(o) = v.as_object_mut() {
            o.insert("terminal_id".into(), json!(terminal));
        }
        let config = serde_json::from_value(v)?;
        let mut runner = ScenarioRunner::new(&config, &super::format::StateJson::default())?;
        let mut log = String::new();
        for (t, text, amount) in calls {
            let r = runner.step(&StepJson::Verify { time: *t, text: text.clone(), amount: *amount })?;
            log.push_str(
                &r.log_record.ok_or_else(|| VectorError::new("reconcile fixture: a call was rejected"))?,
            );
        }
        Ok(log)
    };
    let ed = ed_verifier(p.clone(), &t1);
    let log7 = log_of(7, ed.clone(), &[(T, e(S, 3)?, 1_250), (T + 5, e(S, 4)?, 100)])?;
    let log9 = log_of(9, ed.clone(), &[(T + 30, e(S, 3)?, 4_000), (T + 150, e(S + 2, 5)?, 800)])?;
    let lr = ["R-LOG-2", "R-LOG-3"];
    f.add("scenario.reconcile.two-terminals-double-acceptance", &lr, &["Reconciliation"], "Terminals 7 and 9 both accepted counter 3 of serial 1001 (logs produced by running two verifiers): one double acceptance; revoke 1001.", Op::Reconcile, json!({"logs": [log7, log9]}), Want::valid())?;
    let log9b = log_of(9, ed.clone(), &[(T + 30, e(S, 6)?, 4_000)])?;
    f.add(
        "scenario.reconcile.no-double-acceptance",
        &lr,
        &["Reconciliation"],
        "Different counters at the two terminals: nothing to revoke; totals still summed.",
        Op::Reconcile,
        json!({"logs": [log7, log9b]}),
        Want::valid(),
    )?;
    f.add(
        "scenario.reconcile.same-log-twice",
        &lr,
        &["Reconciliation"],
        "The same log given twice duplicates every record (feed each log once).",
        Op::Reconcile,
        json!({"logs": [log7, log7]}),
        Want::valid(),
    )?;
    let hv = hmac_verifier(p.clone());
    let h1 = log_of(1, hv.clone(), &[(T, hmac_text(&p, ACCOUNT, S, 0)?, 0)])?;
    let h2 = log_of(
        2,
        hv,
        &[(T + 1, hmac_text(&p, ACCOUNT, S, 0)?, 0), (T + 2, hmac_text(&p, ACCOUNT2, S, 0)?, 0)],
    )?;
    f.add("scenario.reconcile.hmac-double-acceptance", &lr, &["Reconciliation"], "Two online verifiers that did not share state both accepted account 42's counter 0: disable the account; nothing to revoke.", Op::Reconcile, json!({"logs": [h1, h2]}), Want::valid())?;
    // The spec's example (section 10.4), records written directly.
    let rec = |subject: u64, counter: u32, step: u64, at: u64, amount: u64, terminal: u32| -> String {
        h(&paycode::log::LogRecord {
            profile: paycode::Profile::Ed25519,
            key_id: 1,
            subject,
            counter,
            step,
            accepted_at: at,
            amount,
            terminal_id: terminal,
        }
        .encode())
    };
    let t7 = rec(1001, 3, 30_000_000, 1_800_000_000, 1_250, 7);
    let t9 = [
        rec(1001, 3, 30_000_000, 1_800_000_030, 4_000, 9),
        rec(1001, 4, 30_000_002, 1_800_000_150, 800, 9),
        rec(2002, 0, 30_000_001, 1_800_000_100, 300, 9),
    ]
    .concat();
    f.add("scenario.reconcile.spec-example", &lr, &["Reconciliation", "SpecExample"], "The example of spec section 10.4: revoke 1001; totals 1001 -> 6050 and 2002 -> 300.", Op::Reconcile, json!({"logs": [t7, t9]}), Want::valid().with(json!({"revoke_serials": [1001], "totals": [{"serial": 1001, "total": 6050}, {"serial": 2002, "total": 300}]})))?;
    f.add(
        "scenario.reconcile.no-logs",
        &["R-LOG-2"],
        &["Reconciliation"],
        "No logs: an empty report.",
        Op::Reconcile,
        json!({"logs": []}),
        Want::valid(),
    )?;
    let mut bad = crate::run::unhex(&log7)?;
    bad.pop();
    f.add(
        "scenario.reconcile.malformed-log",
        &["R-LOG-2"],
        &["Reconciliation", "Length"],
        "A log whose length is not a multiple of 44 is rejected as malformed.",
        Op::Reconcile,
        json!({"logs": [log9, h(&bad)]}),
        Want::invalid("malformed"),
    )?;
    f.finish()
}
