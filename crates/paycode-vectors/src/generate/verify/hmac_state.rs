//! `verify-hmac.json`, second part: the replay window, eviction, quarantine,
//! time before the epoch and the ends of the u64 range.

use paycode::{Error, Profile};

use super::{VerifyCase, add};
use crate::errors::VectorError;
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, STEP, TIME, entry, hmac_text, hmac_verifier, params, state, state_with_entry,
};
use crate::generate::flags::Flag;

/// The cases, in file order.
pub(super) fn cases(file: &mut FileBuilder) -> Result<(), VectorError> {
    replay_window(file)?;
    eviction(file)?;
    quarantine(file)?;
    epoch_and_extremes(file)
}

/// The requirements of the replay window.
const REPLAY: &[&str] = &["R-REPLAY-1", "R-REPLAY-2"];

/// Account 42's entry with highest counter `high`, `bitmap` and top step `top`, at `T_hw = T`.
fn with_entry(high: u32, bitmap: u64, top: u64) -> crate::format::StateBefore {
    state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, high, bitmap, top))
}

/// Counters above, inside, at the bottom of and below the 64-counter window.
fn replay_window(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let code = |counter| hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, counter);
    for (name, requirements, flags, comment, (high, bitmap), counter, verdict) in [
        (
            "replayed-counter",
            REPLAY,
            &[Flag::Replay][..],
            "Counter 5 = H was accepted.",
            (5, 1),
            5,
            Err(Error::Replayed),
        ),
        (
            "out-of-order-below-high",
            REPLAY,
            &[Flag::OutOfOrder, Flag::Valid],
            "Counter 4 < H = 5, its bit clear: accepted, bit 1 set after.",
            (5, 1),
            4,
            Ok(()),
        ),
        (
            "replayed-below-high",
            REPLAY,
            &[Flag::OutOfOrder, Flag::Replay],
            "Counter 4 < H = 5 with bit 1 set.",
            (5, 0b11),
            4,
            Err(Error::Replayed),
        ),
        (
            "window-bottom-bit-clear",
            REPLAY,
            &[Flag::OutOfOrder, Flag::WindowEdge, Flag::Valid],
            "Counter H - 63, the lowest in the window, bit 63 clear: accepted.",
            (100, 1),
            37,
            Ok(()),
        ),
        (
            "window-bottom-bit-set",
            REPLAY,
            &[Flag::OutOfOrder, Flag::WindowEdge, Flag::Replay],
            "Counter H - 63 with bit 63 set.",
            (100, 1 | 1 << 63),
            37,
            Err(Error::Replayed),
        ),
        (
            "stale-counter-edge",
            REPLAY,
            &[Flag::StaleCounter, Flag::WindowEdge],
            "Counter H - 64: below the window, never accepted, still stale.",
            (100, 1),
            36,
            Err(Error::StaleCounter),
        ),
        (
            "stale-counter-zero",
            REPLAY,
            &[Flag::StaleCounter],
            "Counter 0 with H = 100.",
            (100, u64::MAX),
            0,
            Err(Error::StaleCounter),
        ),
        (
            "jump-ahead-64",
            REPLAY,
            &[Flag::OutOfOrder, Flag::Valid],
            "Counter H + 64: the bitmap shifts out completely (state after: bitmap 1).",
            (100, u64::MAX),
            164,
            Ok(()),
        ),
        (
            "jump-ahead-63",
            REPLAY,
            &[Flag::OutOfOrder, Flag::Valid],
            "Counter H + 63: the old H lands on bit 63.",
            (100, 1),
            163,
            Ok(()),
        ),
        (
            "counter-max",
            &["R-REPLAY-2", "R-TIME-3"],
            &[Flag::U64Extreme, Flag::Valid],
            "Counter 2^32 - 1 after H = 2^32 - 2.",
            (u32::MAX - 1, 1),
            u32::MAX,
            Ok(()),
        ),
        (
            "counter-max-replayed",
            &["R-REPLAY-2", "R-TIME-3"],
            &[Flag::U64Extreme, Flag::Replay],
            "Counter 2^32 - 1 = H.",
            (u32::MAX, 1),
            u32::MAX,
            Err(Error::Replayed),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("hmac.verify.{name}"),
                requirements,
                flags,
                comment,
                state: with_entry(high, bitmap, STEP),
                text: code(counter)?,
                verdict,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    Ok(())
}

/// An entry is live while its top step is at least `L`, and absent below.
fn eviction(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.top-below-low-mark-kept",
            requirements: &["R-REPLAY-4", "R-REPLAY-7", "R-REPLAY-1"],
            flags: &[Flag::Eviction, Flag::CounterMark],
            comment: "An entry with top = T - 3 < L = T - 2 is not live, but the counter mark (5, T - 3) outlives it: counter 5 again, with the later step T, is counter-behind.",
            state: with_entry(5, 1, STEP - 3),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 5)?,
            verdict: Err(Error::CounterBehind),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.top-below-low-higher-counter",
            requirements: &["R-REPLAY-4", "R-REPLAY-7"],
            flags: &[Flag::Eviction, Flag::Valid],
            comment: "An entry with top = T - 3 < L = T - 2 is not live: counter 6 at step T starts a new entry (H = 6, bitmap 1, not the live entry's shift to 0b11) and raises the mark.",
            state: with_entry(5, 1, STEP - 3),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 6)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    file.retire(
        "hmac.verify.top-below-low-is-absent",
        "R-REPLAY-7: the counter mark outlives the entry, so the reused counter is counter-behind; see hmac.verify.top-below-low-mark-kept and hmac.verify.top-below-low-higher-counter",
    );
    add(
        file,
        VerifyCase {
            id: "hmac.verify.top-at-low-is-live",
            requirements: &["R-REPLAY-4", "R-REPLAY-1"],
            flags: &[Flag::Eviction, Flag::Replay],
            comment: "An entry with top = L = T - 2 is live: counter H is replayed.",
            state: with_entry(5, 1, STEP - 2),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 5)?,
            verdict: Err(Error::Replayed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.top-raised-by-older-step",
            requirements: &["R-REPLAY-2"],
            flags: &[Flag::OutOfOrder, Flag::Valid],
            comment: "An older step's code with a higher counter: top stays at the newest step (state after).",
            state: with_entry(5, 1, STEP),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 1, 6)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.lower-counter-later-step-is-behind",
            requirements: &["R-REPLAY-7", "R-REPLAY-1"],
            flags: &[Flag::CounterMark],
            comment: "Entry H = 5, top = T - 1, mark (5, T - 1); counter 3, not yet accepted, at step T claims a later step than counter 5: counter-behind (a code made in advance).",
            state: with_entry(5, 1, STEP - 1),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 3)?,
            verdict: Err(Error::CounterBehind),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.lower-counter-same-step-accepted",
            requirements: &["R-REPLAY-7", "R-REPLAY-2"],
            flags: &[Flag::OutOfOrder, Flag::Valid],
            comment: "Entry H = 5, top = T - 1, mark (5, T - 1); counter 3 at step T - 1, the mark's own step, is not behind: accepted out of order, the mark unchanged.",
            state: with_entry(5, 1, STEP - 1),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 1, 3)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    file.retire(
        "hmac.verify.top-raised-by-lower-counter",
        "R-REPLAY-7: a lower counter with a later step than the highest accepted is counter-behind; see hmac.verify.lower-counter-later-step-is-behind",
    );
    add(
        file,
        VerifyCase {
            id: "hmac.verify.new-top-keeps-bitmap",
            requirements: &["R-REPLAY-1", "R-REPLAY-4"],
            flags: &[Flag::OutOfOrder, Flag::Valid],
            comment: "Entry H = 5 with counters 4 and 5, top = T - 1; counter 6 at step T shifts the bitmap by 1 and keeps both bits (state after).",
            state: with_entry(5, 0b11, STEP - 1),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 6)?,
            ..VerifyCase::at(&verifier)
        },
    )
}

/// After a loss at `T`, `Q = T + 2`: codes below `Q` are `state-unavailable`.
fn quarantine(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.quarantine",
            requirements: &["R-REPLAY-5"],
            flags: &[Flag::Quarantine],
            comment: "Q = T + 2 after a loss at T: an on-time code is state-unavailable.",
            state: state(STEP, STEP + 2),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            verdict: Err(Error::StateUnavailable),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.quarantine-edge",
            requirements: &["R-REPLAY-5"],
            flags: &[Flag::Quarantine, Flag::WindowEdge, Flag::Valid],
            comment: "Q = T + 2, clock at T + 1: a code of step T + 2 = Q (fast wallet) is accepted.",
            state: state(STEP, STEP + 2),
            time: TIME + 60,
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 2, 0)?,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.quarantine-below-edge",
            requirements: &["R-REPLAY-5"],
            flags: &[Flag::Quarantine, Flag::WindowEdge],
            comment: "Q = T + 2, clock at T + 1: a code of step T + 1 = Q - 1 is state-unavailable.",
            state: state(STEP, STEP + 2),
            time: TIME + 60,
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 1, 0)?,
            verdict: Err(Error::StateUnavailable),
            ..VerifyCase::at(&verifier)
        },
    )
}

/// Times before `T0`, and steps, times and `T_hw` at the ends of the u64 range.
fn epoch_and_extremes(file: &mut FileBuilder) -> Result<(), VectorError> {
    let late = params(TIME, 60, 2, 1);
    let late_verifier = hmac_verifier(late);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.before-epoch",
            requirements: &["R-TIME-2"],
            flags: &[Flag::BeforeEpoch],
            comment: "t = T0 - 1.",
            time: TIME - 1,
            text: hmac_text(&late, ACCOUNT, 0, 0)?,
            verdict: Err(Error::TimeBeforeEpoch),
            ..VerifyCase::at(&late_verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.at-epoch",
            requirements: &["R-TIME-1", "R-TIME-2"],
            flags: &[Flag::BeforeEpoch, Flag::Valid],
            comment: "t = T0: step 0, accepted.",
            text: hmac_text(&late, ACCOUNT, 0, 0)?,
            ..VerifyCase::at(&late_verifier)
        },
    )?;
    let last = params(u64::MAX, 60, 2, 1);
    let last_verifier = hmac_verifier(last);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.before-epoch-max",
            requirements: &["R-TIME-2", "R-TIME-3"],
            flags: &[Flag::BeforeEpoch, Flag::U64Extreme],
            comment: "T0 = 2^64 - 1 and t = 0.",
            time: 0,
            text: hmac_text(&last, ACCOUNT, 0, 0)?,
            verdict: Err(Error::TimeBeforeEpoch),
            ..VerifyCase::at(&last_verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.epoch-max",
            requirements: &["R-TIME-1", "R-TIME-3"],
            flags: &[Flag::U64Extreme, Flag::Valid],
            comment: "T0 = t = 2^64 - 1: step 0.",
            time: u64::MAX,
            text: hmac_text(&last, ACCOUNT, 1, 0)?,
            ..VerifyCase::at(&last_verifier)
        },
    )?;
    let one_second = params(0, 1, 2, 1);
    let one_second_verifier = hmac_verifier(one_second);
    for (name, flags, comment, time, step, verdict) in [
        (
            "step-max",
            &[Flag::U64Extreme, Flag::WindowEdge, Flag::Valid][..],
            "X = 1, t = 2^64 - 1: step 2^64 - 1 is accepted; U saturates.",
            u64::MAX,
            u64::MAX,
            Ok(()),
        ),
        (
            "step-max-back-edge",
            &[Flag::U64Extreme, Flag::WindowEdge, Flag::Valid],
            "X = 1, t = 2^64 - 1: step 2^64 - 3 = T - B is accepted.",
            u64::MAX,
            u64::MAX - 2,
            Ok(()),
        ),
        (
            "step-max-too-old",
            &[Flag::U64Extreme, Flag::WindowEdge],
            "X = 1, t = 2^64 - 1: step 2^64 - 4 is too old.",
            u64::MAX,
            u64::MAX - 3,
            Err(Error::TooOld),
        ),
        (
            "step-zero-too-new",
            &[Flag::U64Extreme, Flag::WindowEdge],
            "t = 0: the window is [0, 1]; a step of 2^64 - 1 is too new (no wrap-around).",
            0,
            u64::MAX,
            Err(Error::TooNew),
        ),
        (
            "step-zero-back-saturates",
            &[Flag::U64Extreme, Flag::Valid],
            "t = 0: L = 0 - B saturates to 0; step 0 is accepted.",
            0,
            0,
            Ok(()),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("hmac.verify.{name}"),
                requirements: &["R-TIME-3", "R-TIME-4"],
                flags,
                comment,
                time,
                text: hmac_text(&one_second, ACCOUNT, step, 0)?,
                verdict,
                ..VerifyCase::at(&one_second_verifier)
            },
        )?;
    }
    add(
        file,
        VerifyCase {
            id: "hmac.verify.high-water-max",
            requirements: &["R-TIME-3", "R-TIME-5"],
            flags: &[Flag::U64Extreme, Flag::HighWater],
            comment: "T_hw = 2^64 - 1 with the clock at T: every code is too old.",
            state: state(u64::MAX, 0),
            text: hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            verdict: Err(Error::TooOld),
            ..VerifyCase::at(&hmac_verifier(DEFAULT_PARAMS))
        },
    )
}
