//! `scenarios-replay.json`: replay across calls (spec §8).

use paycode::{Error, Profile};

use super::{Scenario, accept, add, add_from, reject};
use crate::errors::VectorError;
use crate::format::{MarkEntry, StateBefore, VectorFile};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, TIME, hmac_text, hmac_text_with_tag, hmac_verifier,
    numeric_text,
};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-replay",
        "Replay across calls (spec §8): a code accepted once, counters out of order inside and outside the 64-counter window, eviction, and the identity shared by the QR and numeric forms.",
    );
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let code = |step: u64, counter: u32| hmac_text(&DEFAULT_PARAMS, ACCOUNT, step, counter);
    let digits = |step: u64, counter: u32| numeric_text(&DEFAULT_PARAMS, ACCOUNT, step, counter);
    let other = |counter: u32| hmac_text(&DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, counter);
    let scenarios = [
        Scenario {
            id: "scenario.replay.same-code-again",
            requirements: &["R-REPLAY-1", "R-TIME-4"],
            flags: &[Flag::Replay],
            comment: "One code presented four times: accepted, replayed (same step), replayed (next step), too old (three steps later).",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                reject(TIME + 10, code(STEP, 0)?, Error::Replayed),
                reject(TIME + 70, code(STEP, 0)?, Error::Replayed),
                reject(TIME + 180, code(STEP, 0)?, Error::TooOld),
            ],
        },
        Scenario {
            id: "scenario.replay.out-of-order-inside-window",
            requirements: &["R-REPLAY-1", "R-REPLAY-2"],
            flags: &[Flag::OutOfOrder, Flag::Replay],
            comment: "Counters 10, 5, 9, 5, 10, 11, 6: each accepted once, in any order.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 10)?),
                accept(TIME, code(STEP, 5)?),
                accept(TIME + 1, code(STEP, 9)?),
                reject(TIME + 2, code(STEP, 5)?, Error::Replayed),
                reject(TIME + 3, code(STEP, 10)?, Error::Replayed),
                accept(TIME + 4, code(STEP, 11)?),
                accept(TIME + 5, code(STEP, 6)?),
            ],
        },
        Scenario {
            id: "scenario.replay.out-of-order-outside-window",
            requirements: &["R-REPLAY-2"],
            flags: &[Flag::OutOfOrder, Flag::StaleCounter, Flag::WindowEdge],
            comment: "Counter 0, then 63 and 64: counter 0 falls out of the window (stale), 1 is still inside; after 100, 36 is stale and 37 is accepted.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                accept(TIME, code(STEP, 63)?),
                reject(TIME, code(STEP, 0)?, Error::Replayed),
                accept(TIME, code(STEP, 64)?),
                reject(TIME, code(STEP, 0)?, Error::StaleCounter),
                accept(TIME, code(STEP, 1)?),
                accept(TIME, code(STEP, 100)?),
                reject(TIME, code(STEP, 36)?, Error::StaleCounter),
                accept(TIME, code(STEP, 37)?),
            ],
        },
        Scenario {
            id: "scenario.replay.eviction",
            requirements: &["R-REPLAY-4", "R-REPLAY-1"],
            flags: &[Flag::Eviction, Flag::Replay],
            comment: "Counter 5 accepted at step T. At T + 2 the entry is live (top = L): replayed. At T + 3 it is not live: the old code is too old, and a new code of step T + 3 may reuse the window from scratch.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 5)?),
                reject(TIME + 120, code(STEP, 5)?, Error::Replayed),
                reject(TIME + 180, code(STEP, 5)?, Error::TooOld),
                accept(TIME + 180, code(STEP + 3, 6)?),
                accept(TIME + 181, code(STEP + 3, 4)?),
            ],
        },
        Scenario {
            id: "scenario.replay.made-in-advance",
            requirements: &["R-REPLAY-7"],
            flags: &[Flag::CounterMark],
            comment: "With the phone's clock set 3 steps ahead, counter 0 was made for step T + 3 and kept. The owner pays with counters 1, 2, 3 at steps T, T + 1, T + 2. At T + 3 the kept code, in both forms, is counter-behind (mark (3, T + 2)); the owner's counter 4 at T + 3 is accepted.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 1)?),
                accept(TIME + 60, code(STEP + 1, 2)?),
                accept(TIME + 120, code(STEP + 2, 3)?),
                reject(TIME + 180, code(STEP + 3, 0)?, Error::CounterBehind),
                reject(TIME + 181, digits(STEP + 3, 0)?, Error::CounterBehind),
                accept(TIME + 182, code(STEP + 3, 4)?),
            ],
        },
        Scenario {
            id: "scenario.replay.made-in-advance-after-eviction",
            requirements: &["R-REPLAY-7", "R-REPLAY-4"],
            flags: &[Flag::CounterMark, Flag::Eviction],
            comment: "Counters 1 to 3 accepted at step T. Ten steps later the entry is long dead, but the mark (3, T) is not: a code of counter 2 made for step T + 10 is counter-behind, and counter 4 at T + 10 starts a new entry.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 1)?),
                accept(TIME + 1, code(STEP, 2)?),
                accept(TIME + 2, code(STEP, 3)?),
                reject(TIME + 600, code(STEP + 10, 2)?, Error::CounterBehind),
                reject(TIME + 601, code(STEP + 10, 3)?, Error::CounterBehind),
                accept(TIME + 602, code(STEP + 10, 4)?),
            ],
        },
        Scenario {
            id: "scenario.replay.mark-not-raised-by-lower-counter",
            requirements: &["R-REPLAY-7"],
            flags: &[Flag::CounterMark, Flag::OutOfOrder],
            comment: "Counter 5 at step T sets the mark (5, T); counter 2 at step T, out of order, leaves it (a mark lowered to (2, T) would let counter 3 through). Counter 3 with step T + 1 is then counter-behind, and its rejection records nothing. Counter 6 at step T + 1 raises the mark to (6, T + 1); counter 3 with step T + 1 is no longer behind it, and is accepted.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 5)?),
                accept(TIME + 1, code(STEP, 2)?),
                reject(TIME + 60, code(STEP + 1, 3)?, Error::CounterBehind),
                accept(TIME + 61, code(STEP + 1, 6)?),
                accept(TIME + 62, code(STEP + 1, 3)?),
            ],
        },
        Scenario {
            id: "scenario.replay.qr-then-numeric",
            requirements: &["R-REPLAY-1", "R-HMAC-3"],
            flags: &[Flag::SharedIdentity, Flag::Replay],
            comment: "QR counter 7, then its numeric form: replayed; numeric counter 8, then its QR form: replayed.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 7)?),
                reject(TIME + 5, digits(STEP, 7)?, Error::Replayed),
                accept(TIME + 10, digits(STEP, 8)?),
                reject(TIME + 15, code(STEP, 8)?, Error::Replayed),
            ],
        },
        Scenario {
            id: "scenario.replay.two-accounts",
            requirements: &["R-REPLAY-1"],
            flags: &[Flag::Replay],
            comment: "Accounts 42 and 7 both use counter 0: separate identities.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                accept(TIME, other(0)?),
                reject(TIME, code(STEP, 0)?, Error::Replayed),
                reject(TIME, other(0)?, Error::Replayed),
            ],
        },
        Scenario {
            id: "scenario.replay.rejection-changes-nothing",
            requirements: &["R-VERIFY-3", "R-REPLAY-1"],
            flags: &[Flag::Replay, Flag::BadTag],
            comment: "A wrong-tag code for counter 3 is rejected and records nothing: the genuine counter 3 is accepted afterwards.",
            verifier: &verifier,
            steps: vec![
                reject(
                    TIME,
                    hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP, 3, [0; 16])?,
                    Error::InvalidCode,
                ),
                accept(TIME + 1, code(STEP, 3)?),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    // A mark of counter 5 and step T + 1 with no entry (a state given as
    // input, as a verifier's state may be): counter 5 at step T is not behind
    // it and is accepted, and leaves the mark, since its counter is not above
    // H*; so counter 4 at step T + 1 is not behind either.
    let marked = StateBefore {
        t_hw: STEP,
        marks: vec![MarkEntry { profile: Profile::Hmac, subject: ACCOUNT, counter: 5, step: STEP + 1 }],
        ..StateBefore::default()
    };
    let scenario = Scenario {
        id: "scenario.replay.equal-counter-keeps-mark",
        requirements: &["R-REPLAY-7"],
        flags: &[Flag::CounterMark],
        comment: "The verifier holds the mark (5, T + 1) of account 42 and no entry. Counter 5 at step T is not behind the mark (T is not after T + 1) and is accepted; the mark is raised only by a counter above H* = 5, so it stays (5, T + 1), not (5, T). Counter 4 with step T + 1 is then not behind it, and is accepted.",
        verifier: &verifier,
        steps: vec![accept(TIME, code(STEP, 5)?), accept(TIME + 60, code(STEP + 1, 4)?)],
    };
    add_from(&mut file, scenario, marked)?;
    Ok(file.finish())
}
