//! Stateless verification vectors: one call from an explicit state, for
//! every error code, every window edge, the u64 extremes and the precedence
//! of the checks.

use serde_json::{Value, json};

use super::format::{Op, VectorFile};
use super::generate::{FileBuilder, Want, seed_bytes};
use super::generate_fixtures::*;
use super::{VResult, VectorError};
use paycode::CredentialFields;
use paycode::code::HmacCode;
use paycode::hazmat::eddsa::SecretKey;

pub(crate) fn files() -> VResult<Vec<VectorFile>> {
    Ok(vec![verify_hmac()?, verify_numeric()?, verify_ed25519()?])
}

#[allow(clippy::too_many_arguments)]
fn v(
    f: &mut FileBuilder,
    id: &str,
    reqs: &[&str],
    flags: &[&str],
    comment: &str,
    verifier: &Value,
    state: Value,
    time: u64,
    text: &str,
    amount: u64,
    want: Result<(), &'static str>,
) -> VResult<()> {
    f.add(
        id,
        reqs,
        flags,
        comment,
        Op::Verify,
        json!({"verifier": verifier, "state": state, "time": time, "text": text, "amount": amount}),
        Want::verdict(want),
    )
}

fn with_throttle(state: Value, account: u64, step: u64, failures: u32) -> Value {
    set(state, "throttle", json!([{"account_id": account, "step": step, "failures": failures}]))
}

fn with_q(state: Value, q: u64) -> Value {
    set(state, "q", json!(q))
}

fn hmac_tag_with(p: &Value, account: u64, step: u64, counter: u32, tag: [u8; 16]) -> VResult<String> {
    let _ = p;
    Ok(HmacCode::new(account, step, counter, tag).to_qr_text())
}

fn verify_hmac() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "verify-hmac",
        "Stateless verification of hmac QR codes (spec §7.4): the verifier configuration and state before the call are explicit; expected are the verdict, the log record and the relevant state after.",
    );
    let p = default_params();
    let ver = hmac_verifier(p.clone());
    let fresh = || state(0, 0);
    let ok_reqs = ["R-VERIFY-1", "R-HMAC-1", "R-TIME-4", "R-LOG-1", "R-REPLAY-1"];
    v(
        &mut f,
        "hmac.verify.accepted",
        &ok_reqs,
        &["Valid", "LogRecord"],
        "A fresh code, on time, at a fresh verifier.",
        &ver,
        fresh(),
        T,
        &hmac_text(&p, ACCOUNT, S, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.accepted-amount-ignored",
        &["R-VERIFY-1", "R-LOG-1"],
        &["Valid", "LogRecord"],
        "The hmac profile ignores the amount; the log records 0.",
        &ver,
        fresh(),
        T + 30,
        &hmac_text(&p, ACCOUNT, S, 1)?,
        999,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.accepted-other-account",
        &ok_reqs,
        &["Valid"],
        "A second enrolled account with the same counter as the first's entry.",
        &ver,
        state_with_entry(S, "hmac", ACCOUNT, 0, 1, S),
        T,
        &hmac_text(&p, ACCOUNT2, S, 0)?,
        0,
        Ok(()),
    )?;
    // Window edges for several configurations.
    for (b, fw) in [(2u64, 1u64), (0, 0), (8, 7), (1, 3)] {
        let pp = params_json(0, 60, b, fw);
        let vv = hmac_verifier(pp.clone());
        let name = format!("b{b}-f{fw}");
        let cases: [(&str, u64, Result<(), &'static str>, &str); 4] = [
            ("back-edge", S - b, Ok(()), "step T - B, the oldest accepted"),
            ("back-edge-minus-1", S - b - 1, Err("too-old"), "step T - B - 1"),
            ("forward-edge", S + fw, Ok(()), "step T + F, the newest accepted"),
            ("forward-edge-plus-1", S + fw + 1, Err("too-new"), "step T + F + 1"),
        ];
        for (n, (edge, step, want, what)) in cases.into_iter().enumerate() {
            v(
                &mut f,
                &format!("hmac.verify.window-{name}-{edge}"),
                &["R-TIME-4", "R-TIME-1"],
                &["WindowEdge"],
                &format!(
                    "B = {b}, F = {fw}, verifier at step T = {S} (last second of the step): code of {what}."
                ),
                &vv,
                fresh(),
                T + 59,
                &hmac_text(&pp, ACCOUNT, step, n as u32)?,
                0,
                want,
            )?;
        }
    }
    v(
        &mut f,
        "hmac.verify.high-water-raises-back-edge",
        &["R-TIME-4", "R-TIME-5"],
        &["HighWater", "ClockJump"],
        "T_hw = T + 1 while the clock reads T: L = T_hw - B = T - 1, so step T - 2 is too old although T - B = T - 2.",
        &ver,
        state(S + 1, 0),
        T,
        &hmac_text(&p, ACCOUNT, S - 2, 0)?,
        0,
        Err("too-old"),
    )?;
    v(
        &mut f,
        "hmac.verify.high-water-back-edge",
        &["R-TIME-4", "R-TIME-5"],
        &["HighWater", "ClockJump", "WindowEdge"],
        "T_hw = T + 1, clock T: step T - 1 = T_hw - B is accepted.",
        &ver,
        state(S + 1, 0),
        T,
        &hmac_text(&p, ACCOUNT, S - 1, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.high-water-forward-edge-from-clock",
        &["R-TIME-4"],
        &["HighWater", "ClockJump", "WindowEdge"],
        "T_hw = T + 1, clock T: U = T + F uses the clock, so step T + 2 is too new.",
        &ver,
        state(S + 1, 0),
        T,
        &hmac_text(&p, ACCOUNT, S + 2, 0)?,
        0,
        Err("too-new"),
    )?;
    v(
        &mut f,
        "hmac.verify.clock-far-behind-high-water",
        &["R-TIME-4", "R-TIME-5"],
        &["HighWater", "ClockJump"],
        "T_hw = T + 5, clock T: no step is in [T + 3, T + 1]; an on-time code is too old.",
        &ver,
        state(S + 5, 0),
        T,
        &hmac_text(&p, ACCOUNT, S, 0)?,
        0,
        Err("too-old"),
    )?;
    v(
        &mut f,
        "hmac.verify.malformed-raises-high-water",
        &["R-TIME-5"],
        &["HighWater"],
        "Input that does not decode still raises T_hw to T (state after).",
        &ver,
        state(S - 5, 0),
        T,
        "PC1:NOT A CODE",
        0,
        Err("malformed"),
    )?;
    v(
        &mut f,
        "hmac.verify.unknown-account",
        &["R-VERIFY-1"],
        &["UnknownAccount"],
        "A code for account 99, which is not enrolled.",
        &ver,
        fresh(),
        T,
        &hmac_text(&p, 99, S, 0)?,
        0,
        Err("unknown-account"),
    )?;
    v(
        &mut f,
        "hmac.verify.profile-not-enabled",
        &["R-VERIFY-1"],
        &["Profile"],
        "An hmac code at a verifier with only the ed25519 profile.",
        &ed_verifier(p.clone(), &trust1()?),
        fresh(),
        T,
        &hmac_text(&p, ACCOUNT, S, 0)?,
        0,
        Err("unsupported-profile"),
    )?;
    let good = hmac_code(&p, ACCOUNT, S, 0)?;
    let mut bad_tag = *good.tag();
    bad_tag[15] ^= 1;
    v(
        &mut f,
        "hmac.verify.tag-bit-flipped",
        &["R-HMAC-1", "R-HMAC-5"],
        &["BadTag"],
        "The last bit of the tag flipped.",
        &ver,
        fresh(),
        T,
        &hmac_tag_with(&p, ACCOUNT, S, 0, bad_tag)?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "hmac.verify.other-accounts-key",
        &["R-HMAC-1", "R-KEY-3"],
        &["BadTag"],
        "Account 42's fields with a tag under account 7's key.",
        &ver,
        fresh(),
        T,
        &hmac_tag_with(
            &p,
            ACCOUNT,
            S,
            0,
            *hmac_code(&p, ACCOUNT2, S, 0)
                .map(|c| HmacCode::new(ACCOUNT, c.step(), c.counter(), *c.tag()))?
                .tag(),
        )?,
        0,
        Err("invalid-code"),
    )?;
    let keys_seed = paycode::Seed::from_bytes(&hmac_seed(ACCOUNT));
    let k_qr = paycode::hazmat::keys::derive(
        &keys_seed,
        paycode::hazmat::keys::LABEL_HMAC_QR_KEY,
        &ACCOUNT.to_be_bytes(),
    );
    let k_num = paycode::hazmat::keys::derive(
        &keys_seed,
        paycode::hazmat::keys::LABEL_HMAC_NUMERIC_KEY,
        &ACCOUNT.to_be_bytes(),
    );
    let maced = good.maced();
    let tag_of = |key: &[u8], parts: &[&[u8]]| -> VResult<[u8; 16]> {
        use hmac::{KeyInit, Mac};
        let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
            .map_err(|_| VectorError::new("key"))?;
        for part in parts {
            m.update(part);
        }
        let out = m.finalize().into_bytes();
        let mut t = [0u8; 16];
        for (d, s) in t.iter_mut().zip(out.iter()) {
            *d = *s;
        }
        Ok(t)
    };
    v(
        &mut f,
        "hmac.verify.tag-without-domain-separation",
        &["R-KEY-3", "R-HMAC-1"],
        &["BadTag", "DomainSeparation"],
        "Tag = HMAC(K_qr, payload[0..22]) without the DS string.",
        &ver,
        fresh(),
        T,
        &hmac_tag_with(&p, ACCOUNT, S, 0, tag_of(k_qr.expose(), &[&maced])?)?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "hmac.verify.tag-under-numeric-key",
        &["R-KEY-3", "R-HMAC-1"],
        &["BadTag", "DomainSeparation"],
        "Tag computed with K_num instead of K_qr.",
        &ver,
        fresh(),
        T,
        &hmac_tag_with(&p, ACCOUNT, S, 0, tag_of(k_num.expose(), &[paycode::code::DS_HMAC_QR, &maced])?)?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "hmac.verify.tag-under-seed",
        &["R-KEY-3", "R-HMAC-1"],
        &["BadTag", "DomainSeparation"],
        "Tag computed with the seed itself as the key.",
        &ver,
        fresh(),
        T,
        &hmac_tag_with(
            &p,
            ACCOUNT,
            S,
            0,
            tag_of(&hmac_seed(ACCOUNT), &[paycode::code::DS_HMAC_QR, &maced])?,
        )?,
        0,
        Err("invalid-code"),
    )?;
    // Throttle.
    let text0 = hmac_text(&p, ACCOUNT, S, 0)?;
    v(
        &mut f,
        "hmac.verify.throttled-valid-code",
        &["R-HMAC-6"],
        &["Throttle"],
        "8 failures already in this step: even a valid code is throttled.",
        &ver,
        with_throttle(fresh(), ACCOUNT, S, 8),
        T,
        &text0,
        0,
        Err("throttled"),
    )?;
    v(
        &mut f,
        "hmac.verify.seven-failures-valid-code",
        &["R-HMAC-6"],
        &["Throttle", "Valid"],
        "7 failures in this step: a valid code is accepted.",
        &ver,
        with_throttle(fresh(), ACCOUNT, S, 7),
        T,
        &text0,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.seven-failures-bad-tag",
        &["R-HMAC-6"],
        &["Throttle", "BadTag"],
        "7 failures in this step: the 8th bad tag is still invalid-code.",
        &ver,
        with_throttle(fresh(), ACCOUNT, S, 7),
        T,
        &hmac_tag_with(&p, ACCOUNT, S, 0, bad_tag)?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "hmac.verify.failures-of-previous-step",
        &["R-HMAC-6"],
        &["Throttle", "Valid"],
        "8 failures counted in the previous step do not throttle this step.",
        &ver,
        with_throttle(state(S - 1, 0), ACCOUNT, S - 1, 8),
        T,
        &text0,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.other-account-throttled",
        &["R-HMAC-6"],
        &["Throttle", "Valid"],
        "Account 7 is throttled; account 42 is not.",
        &ver,
        with_throttle(fresh(), ACCOUNT2, S, 8),
        T,
        &text0,
        0,
        Ok(()),
    )?;
    // Replay window.
    let entry = |high: u32, bitmap: u64, top: u64| state_with_entry(S, "hmac", ACCOUNT, high, bitmap, top);
    let rr = ["R-REPLAY-1", "R-REPLAY-2"];
    v(
        &mut f,
        "hmac.verify.replayed-counter",
        &rr,
        &["Replay"],
        "Counter 5 = H was accepted.",
        &ver,
        entry(5, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 5)?,
        0,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "hmac.verify.out-of-order-below-high",
        &rr,
        &["OutOfOrder", "Valid"],
        "Counter 4 < H = 5, its bit clear: accepted, bit 1 set after.",
        &ver,
        entry(5, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 4)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.replayed-below-high",
        &rr,
        &["OutOfOrder", "Replay"],
        "Counter 4 < H = 5 with bit 1 set.",
        &ver,
        entry(5, 0b11, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 4)?,
        0,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "hmac.verify.window-bottom-bit-clear",
        &rr,
        &["OutOfOrder", "WindowEdge", "Valid"],
        "Counter H - 63, the lowest in the window, bit 63 clear: accepted.",
        &ver,
        entry(100, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 37)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.window-bottom-bit-set",
        &rr,
        &["OutOfOrder", "WindowEdge", "Replay"],
        "Counter H - 63 with bit 63 set.",
        &ver,
        entry(100, 1 | 1 << 63, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 37)?,
        0,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "hmac.verify.stale-counter-edge",
        &rr,
        &["StaleCounter", "WindowEdge"],
        "Counter H - 64: below the window, never accepted, still stale.",
        &ver,
        entry(100, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 36)?,
        0,
        Err("stale-counter"),
    )?;
    v(
        &mut f,
        "hmac.verify.stale-counter-zero",
        &rr,
        &["StaleCounter"],
        "Counter 0 with H = 100.",
        &ver,
        entry(100, u64::MAX, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 0)?,
        0,
        Err("stale-counter"),
    )?;
    v(
        &mut f,
        "hmac.verify.jump-ahead-64",
        &rr,
        &["OutOfOrder", "Valid"],
        "Counter H + 64: the bitmap shifts out completely (state after: bitmap 1).",
        &ver,
        entry(100, u64::MAX, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 164)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.jump-ahead-63",
        &rr,
        &["OutOfOrder", "Valid"],
        "Counter H + 63: the old H lands on bit 63.",
        &ver,
        entry(100, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S, 163)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.counter-max",
        &["R-REPLAY-2", "R-TIME-3"],
        &["U64Extreme", "Valid"],
        "Counter 2^32 - 1 after H = 2^32 - 2.",
        &ver,
        entry(u32::MAX - 1, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S, u32::MAX)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.counter-max-replayed",
        &["R-REPLAY-2", "R-TIME-3"],
        &["U64Extreme", "Replay"],
        "Counter 2^32 - 1 = H.",
        &ver,
        entry(u32::MAX, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S, u32::MAX)?,
        0,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "hmac.verify.top-below-low-is-absent",
        &["R-REPLAY-4", "R-REPLAY-1"],
        &["Eviction", "Valid"],
        "An entry with top = T - 3 < L = T - 2 is not live: counter H is accepted as if new (its step is in the window).",
        &ver,
        entry(5, 1, S - 3),
        T,
        &hmac_text(&p, ACCOUNT, S, 5)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.top-at-low-is-live",
        &["R-REPLAY-4", "R-REPLAY-1"],
        &["Eviction", "Replay"],
        "An entry with top = L = T - 2 is live: counter H is replayed.",
        &ver,
        entry(5, 1, S - 2),
        T,
        &hmac_text(&p, ACCOUNT, S, 5)?,
        0,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "hmac.verify.top-raised-by-older-step",
        &["R-REPLAY-2"],
        &["OutOfOrder", "Valid"],
        "An older step's code with a higher counter: top stays at the newest step (state after).",
        &ver,
        entry(5, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S - 1, 6)?,
        0,
        Ok(()),
    )?;
    // Quarantine.
    v(
        &mut f,
        "hmac.verify.quarantine",
        &["R-REPLAY-5"],
        &["Quarantine"],
        "Q = T + 2 after a loss at T: an on-time code is state-unavailable.",
        &ver,
        with_q(state(S, 0), S + 2),
        T,
        &text0,
        0,
        Err("state-unavailable"),
    )?;
    v(
        &mut f,
        "hmac.verify.quarantine-edge",
        &["R-REPLAY-5"],
        &["Quarantine", "WindowEdge", "Valid"],
        "Q = T + 2, clock at T + 1: a code of step T + 2 = Q (fast wallet) is accepted.",
        &ver,
        with_q(state(S, 0), S + 2),
        T + 60,
        &hmac_text(&p, ACCOUNT, S + 2, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.quarantine-below-edge",
        &["R-REPLAY-5"],
        &["Quarantine", "WindowEdge"],
        "Q = T + 2, clock at T + 1: a code of step T + 1 = Q - 1 is state-unavailable.",
        &ver,
        with_q(state(S, 0), S + 2),
        T + 60,
        &hmac_text(&p, ACCOUNT, S + 1, 0)?,
        0,
        Err("state-unavailable"),
    )?;
    // Time before T0 and u64 extremes.
    let late = params_json(T, 60, 2, 1);
    v(
        &mut f,
        "hmac.verify.before-epoch",
        &["R-TIME-2"],
        &["BeforeEpoch"],
        "t = T0 - 1.",
        &hmac_verifier(late.clone()),
        fresh(),
        T - 1,
        &hmac_text(&late, ACCOUNT, 0, 0)?,
        0,
        Err("time-before-epoch"),
    )?;
    v(
        &mut f,
        "hmac.verify.at-epoch",
        &["R-TIME-1", "R-TIME-2"],
        &["BeforeEpoch", "Valid"],
        "t = T0: step 0, accepted.",
        &hmac_verifier(late.clone()),
        fresh(),
        T,
        &hmac_text(&late, ACCOUNT, 0, 0)?,
        0,
        Ok(()),
    )?;
    let top = params_json(u64::MAX, 60, 2, 1);
    v(
        &mut f,
        "hmac.verify.before-epoch-max",
        &["R-TIME-2", "R-TIME-3"],
        &["BeforeEpoch", "U64Extreme"],
        "T0 = 2^64 - 1 and t = 0.",
        &hmac_verifier(top.clone()),
        fresh(),
        0,
        &hmac_text(&top, ACCOUNT, 0, 0)?,
        0,
        Err("time-before-epoch"),
    )?;
    v(
        &mut f,
        "hmac.verify.epoch-max",
        &["R-TIME-1", "R-TIME-3"],
        &["U64Extreme", "Valid"],
        "T0 = t = 2^64 - 1: step 0.",
        &hmac_verifier(top.clone()),
        fresh(),
        u64::MAX,
        &hmac_text(&top, ACCOUNT, 1, 0)?,
        0,
        Ok(()),
    )?;
    let one = params_json(0, 1, 2, 1);
    let vone = hmac_verifier(one.clone());
    v(
        &mut f,
        "hmac.verify.step-max",
        &["R-TIME-3", "R-TIME-4"],
        &["U64Extreme", "WindowEdge", "Valid"],
        "X = 1, t = 2^64 - 1: step 2^64 - 1 is accepted; U saturates.",
        &vone,
        fresh(),
        u64::MAX,
        &hmac_text(&one, ACCOUNT, u64::MAX, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.step-max-back-edge",
        &["R-TIME-3", "R-TIME-4"],
        &["U64Extreme", "WindowEdge", "Valid"],
        "X = 1, t = 2^64 - 1: step 2^64 - 3 = T - B is accepted.",
        &vone,
        fresh(),
        u64::MAX,
        &hmac_text(&one, ACCOUNT, u64::MAX - 2, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.step-max-too-old",
        &["R-TIME-3", "R-TIME-4"],
        &["U64Extreme", "WindowEdge"],
        "X = 1, t = 2^64 - 1: step 2^64 - 4 is too old.",
        &vone,
        fresh(),
        u64::MAX,
        &hmac_text(&one, ACCOUNT, u64::MAX - 3, 0)?,
        0,
        Err("too-old"),
    )?;
    v(
        &mut f,
        "hmac.verify.step-zero-too-new",
        &["R-TIME-3", "R-TIME-4"],
        &["U64Extreme", "WindowEdge"],
        "t = 0: the window is [0, 1]; a step of 2^64 - 1 is too new (no wrap-around).",
        &vone,
        fresh(),
        0,
        &hmac_text(&one, ACCOUNT, u64::MAX, 0)?,
        0,
        Err("too-new"),
    )?;
    v(
        &mut f,
        "hmac.verify.step-zero-back-saturates",
        &["R-TIME-3", "R-TIME-4"],
        &["U64Extreme", "Valid"],
        "t = 0: L = 0 - B saturates to 0; step 0 is accepted.",
        &vone,
        fresh(),
        0,
        &hmac_text(&one, ACCOUNT, 0, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "hmac.verify.high-water-max",
        &["R-TIME-3", "R-TIME-5"],
        &["U64Extreme", "HighWater"],
        "T_hw = 2^64 - 1 with the clock at T: every code is too old.",
        &ver,
        state(u64::MAX, 0),
        T,
        &text0,
        0,
        Err("too-old"),
    )?;
    // Precedence.
    let pr = ["R-VERIFY-1", "R-VERIFY-2"];
    v(
        &mut f,
        "hmac.verify.precedence-before-epoch-over-malformed",
        &pr,
        &["Precedence", "BeforeEpoch"],
        "t < T0 and garbage input: V0 comes first.",
        &hmac_verifier(late.clone()),
        fresh(),
        T - 1,
        "garbage",
        0,
        Err("time-before-epoch"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-version-over-length",
        &pr,
        &["Precedence", "Version", "Length"],
        "Version 0x02 in a 5-byte payload.",
        &ver,
        fresh(),
        T,
        &qr(&[2, 1, 0, 0, 0]),
        0,
        Err("unsupported-version"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-disabled-profile-over-length",
        &pr,
        &["Precedence", "Profile", "Length"],
        "A 3-byte ed25519 payload at an hmac-only verifier: the profile is checked before the length.",
        &ver,
        fresh(),
        T,
        &qr(&[1, 2, 0]),
        0,
        Err("unsupported-profile"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-length-of-enabled-profile",
        &pr,
        &["Length"],
        "A 3-byte hmac payload at an hmac verifier: malformed.",
        &ver,
        fresh(),
        T,
        &qr(&[1, 1, 0]),
        0,
        Err("malformed"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-unknown-account-over-bad-tag",
        &pr,
        &["Precedence", "UnknownAccount"],
        "Unknown account, wrong tag and too old: unknown-account.",
        &ver,
        fresh(),
        T,
        &hmac_tag_with(&p, 99, S - 10, 0, [0; 16])?,
        0,
        Err("unknown-account"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-throttled-over-bad-tag",
        &pr,
        &["Precedence", "Throttle"],
        "Throttled and a wrong tag: throttled (no MAC is computed).",
        &ver,
        with_throttle(fresh(), ACCOUNT, S, 8),
        T,
        &hmac_tag_with(&p, ACCOUNT, S, 0, bad_tag)?,
        0,
        Err("throttled"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-throttled-over-too-old",
        &pr,
        &["Precedence", "Throttle"],
        "Throttled and too old: throttled.",
        &ver,
        with_throttle(fresh(), ACCOUNT, S, 8),
        T,
        &hmac_text(&p, ACCOUNT, S - 5, 0)?,
        0,
        Err("throttled"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-bad-tag-over-too-old",
        &pr,
        &["Precedence", "BadTag"],
        "Wrong tag and too old: invalid-code (and a failure is counted).",
        &ver,
        fresh(),
        T,
        &hmac_tag_with(&p, ACCOUNT, S - 5, 0, [0; 16])?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-bad-tag-over-replayed",
        &pr,
        &["Precedence", "BadTag"],
        "Wrong tag for a replayed counter: invalid-code.",
        &ver,
        entry(5, 1, S),
        T,
        &hmac_tag_with(&p, ACCOUNT, S, 5, [0; 16])?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-too-old-over-replayed",
        &pr,
        &["Precedence", "WindowEdge"],
        "A replayed counter whose step is too old: too-old.",
        &ver,
        entry(5, 1, S),
        T,
        &hmac_text(&p, ACCOUNT, S - 3, 5)?,
        0,
        Err("too-old"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-too-new-over-quarantine",
        &pr,
        &["Precedence", "Quarantine"],
        "Too new and below Q: too-new.",
        &ver,
        with_q(state(S, 0), S + 5),
        T,
        &hmac_text(&p, ACCOUNT, S + 2, 0)?,
        0,
        Err("too-new"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-quarantine-over-replayed",
        &pr,
        &["Precedence", "Quarantine"],
        "Below Q and replayed: state-unavailable.",
        &ver,
        with_q(entry(5, 1, S), S + 2),
        T,
        &hmac_text(&p, ACCOUNT, S, 5)?,
        0,
        Err("state-unavailable"),
    )?;
    v(
        &mut f,
        "hmac.verify.precedence-quarantine-over-stale",
        &pr,
        &["Precedence", "Quarantine"],
        "Below Q and stale: state-unavailable.",
        &ver,
        with_q(entry(100, 1, S), S + 2),
        T,
        &hmac_text(&p, ACCOUNT, S, 0)?,
        0,
        Err("state-unavailable"),
    )?;
    f.finish()
}

fn verify_numeric() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "verify-numeric",
        "Stateless verification of the hmac numeric form (spec §5.3, §7.4): step reconstruction from 4 bits, the shared replay identity with the QR form, throttling and u64 edges.",
    );
    let p = default_params();
    let ver = hmac_verifier(p.clone());
    let fresh = || state(0, 0);
    v(
        &mut f,
        "numeric.verify.accepted",
        &["R-VERIFY-1", "R-HMAC-2", "R-HMAC-3", "R-LOG-1"],
        &["Valid", "LogRecord"],
        "A fresh numeric code, on time.",
        &ver,
        fresh(),
        T,
        &numeric_text(&p, ACCOUNT, S, 0)?,
        0,
        Ok(()),
    )?;
    let wide = params_json(0, 60, 8, 7);
    let vw = hmac_verifier(wide.clone());
    for d in [-8i64, -7, -1, 1, 6, 7] {
        let step = S.wrapping_add_signed(d);
        v(
            &mut f,
            &format!(
                "numeric.verify.reconstruct-offset-{}",
                if d < 0 { format!("minus-{}", -d) } else { format!("plus-{d}") }
            ),
            &["R-HMAC-3", "R-TIME-4"],
            &["StepReconstruction", "WindowEdge", "Valid"],
            &format!(
                "B = 8, F = 7: a code of step T {} {}: reconstructed exactly and accepted.",
                if d < 0 { '-' } else { '+' },
                d.unsigned_abs()
            ),
            &vw,
            fresh(),
            T,
            &numeric_text(&wide, ACCOUNT, step, 1)?,
            0,
            Ok(()),
        )?;
    }
    v(
        &mut f,
        "numeric.verify.reconstruct-offset-minus-9",
        &["R-HMAC-3"],
        &["StepReconstruction"],
        "A code of step T - 9 reconstructs to T + 7; the tag covers the full step, so it is invalid-code.",
        &vw,
        fresh(),
        T,
        &numeric_text(&wide, ACCOUNT, S - 9, 1)?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "numeric.verify.reconstruct-offset-plus-8",
        &["R-HMAC-3"],
        &["StepReconstruction"],
        "A code of step T + 8 reconstructs to T - 8: invalid-code.",
        &vw,
        fresh(),
        T,
        &numeric_text(&wide, ACCOUNT, S + 8, 1)?,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "numeric.verify.replay-16-steps-later",
        &["R-HMAC-3", "R-REPLAY-1"],
        &["StepReconstruction", "Replay"],
        "A code shown 16 steps after its step has the same low bits as step T; it reconstructs to T and fails the tag.",
        &ver,
        fresh(),
        T + 16 * 60,
        &numeric_text(&p, ACCOUNT, S, 1)?,
        0,
        Err("invalid-code"),
    )?;
    for (n, step, want, what) in [
        ("back-edge", S - 2, Ok(()), "step T - 2 = T - B"),
        ("back-edge-minus-1", S - 3, Err("too-old"), "step T - 3: reconstructed, tag valid, too old"),
        ("forward-edge", S + 1, Ok(()), "step T + 1 = T + F"),
        ("forward-edge-plus-1", S + 2, Err("too-new"), "step T + 2: too new"),
    ] {
        v(
            &mut f,
            &format!("numeric.verify.window-{n}"),
            &["R-TIME-4", "R-HMAC-3"],
            &["WindowEdge", "StepReconstruction"],
            &format!("Default window: {what}."),
            &ver,
            fresh(),
            T,
            &numeric_text(&p, ACCOUNT, step, 2)?,
            0,
            want,
        )?;
    }
    let vs = hmac_verifier(p.clone());
    v(
        &mut f,
        "numeric.verify.small-step-range",
        &["R-HMAC-3", "R-TIME-3"],
        &["StepReconstruction", "U64Extreme", "Valid"],
        "Verifier step 3 (< 8): the range is [0, 15]; a code of step 2 is accepted.",
        &vs,
        fresh(),
        3 * 60,
        &numeric_text(&p, ACCOUNT, 2, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "numeric.verify.small-step-too-old",
        &["R-HMAC-3", "R-TIME-4"],
        &["StepReconstruction", "WindowEdge"],
        "Verifier step 3: a code of step 0 is reconstructed to 0 and is too old (L = 1).",
        &vs,
        fresh(),
        3 * 60,
        &numeric_text(&p, ACCOUNT, 0, 0)?,
        0,
        Err("too-old"),
    )?;
    v(
        &mut f,
        "numeric.verify.small-step-too-new",
        &["R-HMAC-3", "R-TIME-4"],
        &["StepReconstruction", "WindowEdge"],
        "Verifier step 3: a code of step 15 is reconstructed to 15 and is too new.",
        &vs,
        fresh(),
        3 * 60,
        &numeric_text(&p, ACCOUNT, 15, 0)?,
        0,
        Err("too-new"),
    )?;
    let one = params_json(0, 1, 8, 7);
    let vone = hmac_verifier(one.clone());
    v(
        &mut f,
        "numeric.verify.step-max",
        &["R-HMAC-3", "R-TIME-3"],
        &["StepReconstruction", "U64Extreme", "Valid"],
        "X = 1, t = 2^64 - 1: a code of step 2^64 - 1 is accepted.",
        &vone,
        fresh(),
        u64::MAX,
        &numeric_text(&one, ACCOUNT, u64::MAX, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "numeric.verify.step-max-back-edge",
        &["R-HMAC-3", "R-TIME-3"],
        &["StepReconstruction", "U64Extreme", "WindowEdge", "Valid"],
        "X = 1, t = 2^64 - 1, B = 8: a code of step 2^64 - 9 is accepted.",
        &vone,
        fresh(),
        u64::MAX,
        &numeric_text(&one, ACCOUNT, u64::MAX - 8, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "numeric.verify.clamped-candidates-too-old",
        &["R-HMAC-3", "R-TIME-3"],
        &["StepReconstruction", "U64Extreme"],
        "X = 1, t = 2^64 - 1, B = 8: the candidate steps are clamped to the last 16, so the code of step 2^64 - 10 is reconstructed exactly and is too old.",
        &vone,
        fresh(),
        u64::MAX,
        &numeric_text(&one, ACCOUNT, u64::MAX - 9, 0)?,
        0,
        Err("too-old"),
    )?;
    v(
        &mut f,
        "numeric.verify.shared-identity-replayed",
        &["R-REPLAY-1", "R-HMAC-3"],
        &["SharedIdentity", "Replay"],
        "The QR form of counter 7 was accepted (entry H = 7); its numeric form is replayed.",
        &ver,
        state_with_entry(S, "hmac", ACCOUNT, 7, 1, S),
        T,
        &numeric_text(&p, ACCOUNT, S, 7)?,
        0,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "numeric.verify.shared-identity-stale",
        &["R-REPLAY-2"],
        &["SharedIdentity", "StaleCounter"],
        "QR codes advanced H to 70000; numeric counter 65535 is 4465 below it.",
        &ver,
        state_with_entry(S, "hmac", ACCOUNT, 70_000, 1, S),
        T,
        &numeric_text(&p, ACCOUNT, S, 0xffff)?,
        0,
        Err("stale-counter"),
    )?;
    v(
        &mut f,
        "numeric.verify.unknown-account",
        &["R-VERIFY-1"],
        &["UnknownAccount"],
        "A numeric code for account 99.",
        &ver,
        fresh(),
        T,
        &numeric_text(&p, 99, S, 0)?,
        0,
        Err("unknown-account"),
    )?;
    v(
        &mut f,
        "numeric.verify.profile-not-enabled",
        &["R-VERIFY-1"],
        &["Profile"],
        "Digits at a verifier without the hmac profile.",
        &ed_verifier(p.clone(), &trust1()?),
        fresh(),
        T,
        &numeric_text(&p, ACCOUNT, S, 0)?,
        0,
        Err("unsupported-profile"),
    )?;
    let digits = numeric_text(&p, ACCOUNT, S, 3)?;
    let n: u128 = digits.parse().map_err(|_| VectorError::new("digits"))?;
    let flipped = format!("{:024}", n ^ 1);
    v(
        &mut f,
        "numeric.verify.tag-bit-flipped",
        &["R-HMAC-2", "R-HMAC-5"],
        &["BadTag"],
        "The lowest tag bit flipped.",
        &ver,
        fresh(),
        T,
        &flipped,
        0,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "numeric.verify.throttled",
        &["R-HMAC-6"],
        &["Throttle"],
        "8 failures in this step (from either form): a valid numeric code is throttled.",
        &ver,
        with_throttle(fresh(), ACCOUNT, S, 8),
        T,
        &digits,
        0,
        Err("throttled"),
    )?;
    v(
        &mut f,
        "numeric.verify.seven-failures",
        &["R-HMAC-6"],
        &["Throttle", "Valid"],
        "7 failures: a valid numeric code is accepted.",
        &ver,
        with_throttle(fresh(), ACCOUNT, S, 7),
        T,
        &digits,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "numeric.verify.malformed-2-79",
        &["R-ENC-4"],
        &["NumericSyntax"],
        "N = 2^79.",
        &ver,
        fresh(),
        T,
        "604462909807314587353088",
        0,
        Err("malformed"),
    )?;
    v(
        &mut f,
        "numeric.verify.malformed-23-digits",
        &["R-ENC-4"],
        &["NumericSyntax"],
        "23 digits.",
        &ver,
        fresh(),
        T,
        &digits[1..],
        0,
        Err("malformed"),
    )?;
    let late = params_json(T, 60, 2, 1);
    v(
        &mut f,
        "numeric.verify.before-epoch",
        &["R-TIME-2"],
        &["BeforeEpoch"],
        "t < T0.",
        &hmac_verifier(late.clone()),
        fresh(),
        T - 1,
        &numeric_text(&late, ACCOUNT, 0, 0)?,
        0,
        Err("time-before-epoch"),
    )?;
    let pr = ["R-VERIFY-1", "R-VERIFY-2"];
    v(
        &mut f,
        "numeric.verify.precedence-malformed-over-profile",
        &pr,
        &["Precedence", "NumericSyntax"],
        "N >= 2^79 at a verifier without hmac: malformed comes first.",
        &ed_verifier(p.clone(), &trust1()?),
        fresh(),
        T,
        "604462909807314587353088",
        0,
        Err("malformed"),
    )?;
    v(
        &mut f,
        "numeric.verify.precedence-throttled-at-u64-top",
        &pr,
        &["Precedence", "Throttle", "U64Extreme"],
        "Throttled at the top of u64, where the candidate steps are clamped: throttled.",
        &vone,
        with_throttle(fresh(), ACCOUNT, u64::MAX, 8),
        u64::MAX,
        &numeric_text(&one, ACCOUNT, u64::MAX - 9, 0)?,
        0,
        Err("throttled"),
    )?;
    v(
        &mut f,
        "numeric.verify.precedence-bad-tag-over-replayed",
        &pr,
        &["Precedence", "BadTag"],
        "Flipped tag on a counter already accepted: invalid-code.",
        &ver,
        state_with_entry(S, "hmac", ACCOUNT, 3, 1, S),
        T,
        &flipped,
        0,
        Err("invalid-code"),
    )?;
    f.finish()
}

fn cred_fields(nb: u64, life: u32) -> CredentialFields {
    CredentialFields { not_before: nb, lifetime: life, ..main_fields() }
}

fn verify_ed25519() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "verify-ed25519",
        "Stateless verification of ed25519 codes at an offline terminal (spec §7.4): trust list, credential checks, validity, revocation, device signature, window, replay and limits.",
    );
    let p = default_params();
    let t1 = trust1()?;
    let ver = ed_verifier(p.clone(), &t1);
    let fresh = || state(0, 0);
    let cred = issue(main_fields());
    let text = |step: u64, counter: u32| ed_text(&p, 1, cred, step, counter);
    let ok_reqs = ["R-VERIFY-1", "R-ED-3", "R-ED-5", "R-LOG-1", "R-LIMIT-1", "R-LIMIT-2"];
    v(
        &mut f,
        "ed25519.verify.accepted",
        &ok_reqs,
        &["Valid", "LogRecord"],
        "A fresh code, on time, amount 1250.",
        &ver,
        fresh(),
        T,
        &text(S, 3)?,
        1250,
        Ok(()),
    )?;
    let both = both_verifier(p.clone(), &t1);
    v(
        &mut f,
        "ed25519.verify.accepted-both-profiles",
        &ok_reqs,
        &["Valid", "LogRecord"],
        "A verifier with both profiles enabled.",
        &both,
        fresh(),
        T,
        &text(S, 4)?,
        0,
        Ok(()),
    )?;
    let t12 = trust(&[(1, KEY1.0, KEY1.1), (2, KEY2.0, KEY2.1)])?;
    let ver12 = ed_verifier(p.clone(), &t12);
    let cred2 = issue(CredentialFields { key_id: 2, serial: 2002, ..main_fields() });
    v(
        &mut f,
        "ed25519.verify.key-2-of-two",
        &["R-TRUST-2", "R-ED-3"],
        &["Rotation", "Valid"],
        "A credential of key 2 with keys 1 and 2 trusted.",
        &ver12,
        fresh(),
        T,
        &ed_text(&p, 1, cred2, S, 0)?,
        10,
        Ok(()),
    )?;
    v(
        &mut f,
        "ed25519.verify.unknown-issuer",
        &["R-TRUST-2", "R-VERIFY-1"],
        &["UnknownIssuer"],
        "A credential of key 2 when only key 1 is trusted.",
        &ver,
        fresh(),
        T,
        &ed_text(&p, 1, cred2, S, 0)?,
        10,
        Err("unknown-issuer"),
    )?;
    let wrong_signer = paycode::Credential::issue(
        CredentialFields { key_id: 2, serial: 2002, ..main_fields() },
        &SecretKey::from_secret(&issuer_secret(1)),
    );
    v(
        &mut f,
        "ed25519.verify.key-id-2-signed-by-key-1",
        &["R-TRUST-2", "R-ED-3", "R-ED-4"],
        &["Rotation", "BadCredential"],
        "Key id 2 in the credential, signed by key 1: checked only against key 2.",
        &ver12,
        fresh(),
        T,
        &ed_text(&p, 1, wrong_signer, S, 0)?,
        10,
        Err("bad-credential"),
    )?;
    let mut bad_sig = *cred.as_bytes();
    bad_sig[100] ^= 0x10;
    let cred_bad_sig = paycode::Credential::decode(&bad_sig).map_err(|e| VectorError::new(e.to_string()))?;
    v(
        &mut f,
        "ed25519.verify.credential-signature-flipped",
        &["R-ED-3", "R-ED-4"],
        &["BadCredential", "BadSignature"],
        "One bit of the issuer signature flipped.",
        &ver,
        fresh(),
        T,
        &ed_text(&p, 1, cred_bad_sig, S, 0)?,
        10,
        Err("bad-credential"),
    )?;
    let other_issuer = SecretKey::from_secret(&seed_bytes("other-issuer"));
    v(
        &mut f,
        "ed25519.verify.credential-foreign-issuer",
        &["R-ED-3"],
        &["BadCredential"],
        "A credential naming key 1 but signed by an unrelated key.",
        &ver,
        fresh(),
        T,
        &ed_text(&p, 1, issue_with(main_fields(), &other_issuer), S, 0)?,
        10,
        Err("bad-credential"),
    )?;
    let no_ds = {
        let good = issue(main_fields());
        let signed = good.as_bytes().get(..62).map(<[u8]>::to_vec).unwrap_or_default();
        let sig = SecretKey::from_secret(&issuer_secret(1)).sign(&signed);
        let mut b = *good.as_bytes();
        b[62..].copy_from_slice(&sig);
        paycode::Credential::decode(&b).map_err(|e| VectorError::new(e.to_string()))?
    };
    v(
        &mut f,
        "ed25519.verify.credential-without-domain-separation",
        &["R-ED-3", "R-KEY-3"],
        &["BadCredential", "DomainSeparation"],
        "The issuer signed the credential bytes without the DS string.",
        &ver,
        fresh(),
        T,
        &ed_text(&p, 1, no_ds, S, 0)?,
        10,
        Err("bad-credential"),
    )?;
    for (n, key, comment) in [
        (
            "device-key-identity",
            super::edge::torsion()[0],
            "The device key is the identity point (small order).",
        ),
        ("device-key-order-8", super::edge::torsion()[1], "The device key is a point of order 8."),
        (
            "device-key-non-canonical",
            {
                let mut b = [0xffu8; 32];
                b[0] = 0xee;
                b[31] = 0x7f;
                b
            },
            "The device key is the identity encoded with y = p + 1.",
        ),
    ] {
        let c = issue(CredentialFields { device_key: key, ..main_fields() });
        v(
            &mut f,
            &format!("ed25519.verify.{n}"),
            &["R-ED-4", "R-ED-1"],
            &["BadCredential", "SmallOrder"],
            &format!("{comment} The issuer signed it anyway; the code is signed by wallet 1."),
            &ver,
            fresh(),
            T,
            &ed_text_signed_by(&device_secret(1), &c, S, 0),
            10,
            Err("bad-credential"),
        )?;
    }
    let validity = ["R-ED-4"];
    let longest = issue(cred_fields(T - 600_000, 604_800));
    v(
        &mut f,
        "ed25519.verify.lifetime-7-days",
        &validity,
        &["CredentialValidity", "Valid"],
        "lifetime = 604800, the longest allowed.",
        &ver,
        fresh(),
        T,
        &ed_text(&p, 1, longest, S, 0)?,
        10,
        Ok(()),
    )?;
    let too_long = issue(cred_fields(T - 600_000, 604_801));
    v(
        &mut f,
        "ed25519.verify.lifetime-too-long",
        &validity,
        &["CredentialValidity", "BadCredential"],
        "lifetime = 604801.",
        &ver,
        fresh(),
        T,
        &ed_text(&p, 1, too_long, S, 0)?,
        10,
        Err("bad-credential"),
    )?;
    let overflow = issue(cred_fields(u64::MAX - 10, 100));
    v(
        &mut f,
        "ed25519.verify.validity-overflows",
        &validity,
        &["CredentialValidity", "BadCredential", "U64Extreme"],
        "not_before + lifetime exceeds 2^64 - 1.",
        &ver,
        fresh(),
        T,
        &ed_text(&p, 1, overflow, S, 0)?,
        10,
        Err("bad-credential"),
    )?;
    let at_key_start = issue(cred_fields(KEY1.0, 1000));
    v(
        &mut f,
        "ed25519.verify.starts-with-key",
        &validity,
        &["CredentialValidity", "Valid"],
        "not_before = the key's not_before.",
        &ver,
        fresh(),
        KEY1.0 + 10,
        &ed_text(&p, 1, at_key_start, (KEY1.0 + 10) / 60, 0)?,
        10,
        Ok(()),
    )?;
    let before_key = issue(cred_fields(KEY1.0 - 1, 1000));
    v(
        &mut f,
        "ed25519.verify.starts-before-key",
        &validity,
        &["CredentialValidity", "BadCredential"],
        "not_before one second before the key's not_before.",
        &ver,
        fresh(),
        KEY1.0 + 10,
        &ed_text(&p, 1, before_key, (KEY1.0 + 10) / 60, 0)?,
        10,
        Err("bad-credential"),
    )?;
    let at_key_end = issue(cred_fields(KEY1.1 - 1000, 1000));
    v(
        &mut f,
        "ed25519.verify.ends-with-key",
        &validity,
        &["CredentialValidity", "Valid"],
        "not_after = the key's not_after.",
        &ver,
        fresh(),
        KEY1.1 - 10,
        &ed_text(&p, 1, at_key_end, (KEY1.1 - 10) / 60, 0)?,
        10,
        Ok(()),
    )?;
    let after_key = issue(cred_fields(KEY1.1 - 1000, 1001));
    v(
        &mut f,
        "ed25519.verify.ends-after-key",
        &validity,
        &["CredentialValidity", "BadCredential"],
        "not_after one second after the key's not_after.",
        &ver,
        fresh(),
        KEY1.1 - 10,
        &ed_text(&p, 1, after_key, (KEY1.1 - 10) / 60, 0)?,
        10,
        Err("bad-credential"),
    )?;
    let na = CRED_NB + u64::from(CRED_LIFE);
    for (n, time, want, comment) in [
        ("not-yet-valid", CRED_NB - 1, Err("not-yet-valid"), "t = not_before - 1."),
        ("first-second", CRED_NB, Ok(()), "t = not_before: inclusive."),
        ("last-second", na, Ok(()), "t = not_before + lifetime: inclusive."),
        ("expired", na + 1, Err("expired"), "t = not_before + lifetime + 1."),
    ] {
        v(
            &mut f,
            &format!("ed25519.verify.validity-{n}"),
            &["R-ED-4", "R-VERIFY-1"],
            &["CredentialValidity"],
            comment,
            &ver,
            fresh(),
            time,
            &text(time / 60, 0)?,
            10,
            want,
        )?;
    }
    let revoked = set(fresh(), "revocation_list", json!(revocation(1, 1, T - 100, vec![5, SERIAL])));
    v(
        &mut f,
        "ed25519.verify.revoked",
        &["R-REVOKE-3"],
        &["Revocation"],
        "The serial is on the installed list.",
        &ver,
        revoked.clone(),
        T,
        &text(S, 0)?,
        10,
        Err("revoked"),
    )?;
    let neighbours =
        set(fresh(), "revocation_list", json!(revocation(1, 1, T - 100, vec![SERIAL - 1, SERIAL + 1])));
    v(
        &mut f,
        "ed25519.verify.neighbours-revoked",
        &["R-REVOKE-3"],
        &["Revocation", "Valid"],
        "Serials 1000 and 1002 are revoked, 1001 is not.",
        &ver,
        neighbours,
        T,
        &text(S, 0)?,
        10,
        Ok(()),
    )?;
    let good = ed_code(&p, 1, cred, S, 0)?;
    let mut flipped = *good.encode();
    flipped[203] ^= 0x01;
    v(
        &mut f,
        "ed25519.verify.device-signature-flipped",
        &["R-ED-5", "R-ED-2"],
        &["BadSignature"],
        "One bit of S flipped.",
        &ver,
        fresh(),
        T,
        &qr(&flipped),
        10,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "ed25519.verify.signed-by-other-wallet",
        &["R-ED-5"],
        &["BadSignature"],
        "Wallet 1's credential, signed by wallet 2's device key.",
        &ver,
        fresh(),
        T,
        &ed_text_signed_by(&device_secret(2), &cred, S, 0),
        10,
        Err("invalid-code"),
    )?;
    let mut s_plus_l = *good.encode();
    let mut s = [0u8; 32];
    s.copy_from_slice(&s_plus_l[172..]);
    let big = super::edge::add_order(&s, 1).ok_or_else(|| VectorError::new("S + L"))?;
    s_plus_l[172..].copy_from_slice(&big);
    v(
        &mut f,
        "ed25519.verify.device-signature-s-plus-l",
        &["R-ED-2", "R-ED-5"],
        &["NonCanonicalS"],
        "The device signature's S replaced by S + L.",
        &ver,
        fresh(),
        T,
        &qr(&s_plus_l),
        10,
        Err("invalid-code"),
    )?;
    let no_ds = {
        let unsigned = paycode::code::Ed25519Code::unsigned(S, 0, &cred);
        let sig = device_secret(1).sign(&unsigned);
        let mut b = [0u8; 204];
        b[..140].copy_from_slice(&unsigned);
        b[140..].copy_from_slice(&sig);
        b
    };
    v(
        &mut f,
        "ed25519.verify.signature-without-domain-separation",
        &["R-ED-5", "R-KEY-3"],
        &["BadSignature", "DomainSeparation"],
        "The device signed payload[0..140] without the DS string.",
        &ver,
        fresh(),
        T,
        &qr(&no_ds),
        10,
        Err("invalid-code"),
    )?;
    for (b, fw) in [(2u64, 1u64), (0, 0), (8, 7)] {
        let pp = params_json(0, 60, b, fw);
        let vv = ed_verifier(pp.clone(), &t1);
        for (n, (edge, step, want)) in [
            ("back-edge", S - b, Ok(())),
            ("back-edge-minus-1", S - b - 1, Err("too-old")),
            ("forward-edge", S + fw, Ok(())),
            ("forward-edge-plus-1", S + fw + 1, Err("too-new")),
        ]
        .into_iter()
        .enumerate()
        {
            v(
                &mut f,
                &format!("ed25519.verify.window-b{b}-f{fw}-{edge}"),
                &["R-TIME-4"],
                &["WindowEdge"],
                &format!("B = {b}, F = {fw}, verifier at the first second of step T: a code of step {step}."),
                &vv,
                fresh(),
                T,
                &ed_text(&pp, 1, cred, step, n as u32)?,
                10,
                want,
            )?;
        }
    }
    let entry = |high: u32, bitmap: u64| state_with_entry(S, "ed25519", SERIAL, high, bitmap, S);
    v(
        &mut f,
        "ed25519.verify.replayed-counter",
        &["R-REPLAY-1", "R-REPLAY-2"],
        &["Replay"],
        "Counter 3 = H was accepted.",
        &ver,
        entry(3, 1),
        T,
        &text(S, 3)?,
        10,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "ed25519.verify.stale-counter",
        &["R-REPLAY-2"],
        &["StaleCounter", "WindowEdge"],
        "Counter 6 with H = 70: 6 + 64 <= 70.",
        &ver,
        entry(70, 1),
        T,
        &text(S, 6)?,
        10,
        Err("stale-counter"),
    )?;
    v(
        &mut f,
        "ed25519.verify.window-bottom",
        &["R-REPLAY-2"],
        &["OutOfOrder", "WindowEdge", "Valid"],
        "Counter 7 with H = 70: the lowest in the window, bit clear.",
        &ver,
        entry(70, 1),
        T,
        &text(S, 7)?,
        10,
        Ok(()),
    )?;
    let spent =
        |total: u64| set(fresh(), "spent", json!([{"serial": SERIAL, "total": total, "not_after": na}]));
    let lim = ["R-LIMIT-1", "R-LIMIT-2"];
    v(
        &mut f,
        "ed25519.verify.amount-at-per-payment-limit",
        &lim,
        &["Limit", "Valid"],
        "Amount 5000 = the per-payment limit.",
        &ver,
        fresh(),
        T,
        &text(S, 0)?,
        5_000,
        Ok(()),
    )?;
    v(
        &mut f,
        "ed25519.verify.amount-over-per-payment-limit",
        &lim,
        &["Limit"],
        "Amount 5001.",
        &ver,
        fresh(),
        T,
        &text(S, 0)?,
        5_001,
        Err("over-limit"),
    )?;
    v(
        &mut f,
        "ed25519.verify.amount-zero",
        &lim,
        &["Limit", "Valid"],
        "Amount 0.",
        &ver,
        fresh(),
        T,
        &text(S, 0)?,
        0,
        Ok(()),
    )?;
    v(
        &mut f,
        "ed25519.verify.cumulative-at-limit",
        &lim,
        &["Limit", "Valid"],
        "15000 spent here + 5000 = 20000, the cumulative limit.",
        &ver,
        spent(15_000),
        T,
        &text(S, 0)?,
        5_000,
        Ok(()),
    )?;
    v(
        &mut f,
        "ed25519.verify.cumulative-over-limit",
        &lim,
        &["Limit"],
        "15001 spent + 5000 = 20001.",
        &ver,
        spent(15_001),
        T,
        &text(S, 0)?,
        5_000,
        Err("over-limit"),
    )?;
    v(
        &mut f,
        "ed25519.verify.cumulative-overflow",
        &["R-LIMIT-2", "R-TIME-3"],
        &["Limit", "U64Extreme"],
        "2^64 - 1 spent + 1: the exact sum exceeds every limit (no wrap to 0).",
        &ver,
        spent(u64::MAX),
        T,
        &text(S, 0)?,
        1,
        Err("over-limit"),
    )?;
    v(
        &mut f,
        "ed25519.verify.amount-max",
        &["R-LIMIT-1", "R-TIME-3"],
        &["Limit", "U64Extreme"],
        "Amount 2^64 - 1.",
        &ver,
        fresh(),
        T,
        &text(S, 0)?,
        u64::MAX,
        Err("over-limit"),
    )?;
    v(
        &mut f,
        "ed25519.verify.profile-not-enabled",
        &["R-VERIFY-1"],
        &["Profile"],
        "An ed25519 code at an hmac-only verifier.",
        &hmac_verifier(p.clone()),
        fresh(),
        T,
        &text(S, 0)?,
        10,
        Err("unsupported-profile"),
    )?;
    v(
        &mut f,
        "ed25519.verify.quarantine",
        &["R-REPLAY-5"],
        &["Quarantine"],
        "Q = T + 2: an on-time code is state-unavailable.",
        &ver,
        with_q(state(S, 0), S + 2),
        T,
        &text(S, 0)?,
        10,
        Err("state-unavailable"),
    )?;
    let late = params_json(T, 60, 2, 1);
    v(
        &mut f,
        "ed25519.verify.before-epoch",
        &["R-TIME-2"],
        &["BeforeEpoch"],
        "t < T0.",
        &ed_verifier(late, &t1),
        fresh(),
        T - 1,
        &text(S, 0)?,
        10,
        Err("time-before-epoch"),
    )?;
    let pr = ["R-VERIFY-1", "R-VERIFY-2"];
    let exp_text = text(na / 60 + 10, 0)?;
    v(
        &mut f,
        "ed25519.verify.precedence-unknown-issuer-over-expired",
        &pr,
        &["Precedence", "UnknownIssuer"],
        "Key not trusted and credential expired: unknown-issuer.",
        &ver,
        fresh(),
        T + 200_000,
        &ed_text(&p, 1, cred2, (T + 200_000) / 60, 0)?,
        10,
        Err("unknown-issuer"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-bad-credential-over-not-yet-valid",
        &pr,
        &["Precedence", "BadCredential"],
        "Lifetime too long and not yet valid: bad-credential.",
        &ver,
        fresh(),
        T - 700_000,
        &ed_text(&p, 1, too_long, (T - 700_000) / 60, 0)?,
        10,
        Err("bad-credential"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-expired-over-revoked",
        &pr,
        &["Precedence", "CredentialValidity", "Revocation"],
        "Expired and revoked: expired.",
        &ver,
        revoked.clone(),
        na + 600,
        &exp_text,
        10,
        Err("expired"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-revoked-over-bad-signature",
        &pr,
        &["Precedence", "Revocation"],
        "Revoked and a flipped device signature: revoked.",
        &ver,
        revoked,
        T,
        &qr(&flipped),
        10,
        Err("revoked"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-bad-signature-over-too-old",
        &pr,
        &["Precedence", "BadSignature"],
        "Wallet 2's signature on an old step: invalid-code.",
        &ver,
        fresh(),
        T,
        &ed_text_signed_by(&device_secret(2), &cred, S - 10, 0),
        10,
        Err("invalid-code"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-too-new-over-over-limit",
        &pr,
        &["Precedence", "WindowEdge"],
        "Too new and over the limit: too-new.",
        &ver,
        fresh(),
        T,
        &text(S + 2, 0)?,
        9_999,
        Err("too-new"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-replayed-over-over-limit",
        &pr,
        &["Precedence", "Replay"],
        "Replayed and over the limit: replayed.",
        &ver,
        entry(3, 1),
        T,
        &text(S, 3)?,
        9_999,
        Err("replayed"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-quarantine-over-replayed",
        &pr,
        &["Precedence", "Quarantine"],
        "Below Q and replayed: state-unavailable.",
        &ver,
        with_q(entry(3, 1), S + 2),
        T,
        &text(S, 3)?,
        10,
        Err("state-unavailable"),
    )?;
    v(
        &mut f,
        "ed25519.verify.precedence-not-yet-valid-over-too-new",
        &pr,
        &["Precedence", "CredentialValidity"],
        "Not yet valid and too new: not-yet-valid.",
        &ver,
        fresh(),
        CRED_NB - 60,
        &text(S + 100, 0)?,
        10,
        Err("not-yet-valid"),
    )?;
    f.finish()
}
