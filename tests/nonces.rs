//! The in-memory store's nonce set (spec: R-CHAL-4): a nonce whose challenge
//! has closed is swept, so that the set stays bounded, but only once the set
//! has doubled since the last sweep, so that many open challenges do not
//! make every call sweep them all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use paycode::store::{Call, Changes, Identity, StateStore};
use paycode::{MemoryStore, Params, Profile, UsedChallenge};

/// The set's size at which the first sweep runs (`NONCE_SWEEP_AT`).
const FIRST_SWEEP: usize = 4096;

/// Records `nonce`, closing at `closes`, in a call at high-water step `step`.
fn record(store: &MemoryStore, subject: u64, step: u64, nonce: u64, closes: u64) {
    let mut bytes = [0u8; 16];
    bytes[8..].copy_from_slice(&nonce.to_be_bytes());
    let used = UsedChallenge { nonce: bytes, closes };
    let mut decide = |_: &_| Changes { high_water: step, challenge: Some(used), ..Changes::default() };
    let identity = Identity { profile: Profile::Hmac, subject };
    store
        .transact_call(&mut Call { identity, nonce: Some(bytes), source: None, decide: &mut decide })
        .unwrap();
}

fn held(store: &MemoryStore) -> usize {
    store.state().challenges.len()
}

#[test]
fn closed_nonces_are_swept_once_the_set_has_doubled() {
    let params = Params::default();
    let step = 30_000_000u64;
    let store = MemoryStore::new(params);
    let far = u64::MAX;
    // Open nonces past the first sweep, which removes none of them.
    let open = FIRST_SWEEP + 904;
    for n in 0..open as u64 {
        record(&store, n, step, n, far);
    }
    assert_eq!(held(&store), open);
    // 100 nonces whose challenges close before the next step starts.
    let closes = u64::try_from(params.step_start(step + 1)).unwrap() - 1;
    for n in 0..100u64 {
        record(&store, n, step, 1_000_000 + n, closes);
    }
    // Later calls see them closed, but the set has not doubled since the
    // last sweep: they stay until it has.
    let later = step + 5;
    // The first sweep left 4096 nonces: the next runs at 8192.
    let next = 2_000_000u64;
    let calls = (2 * FIRST_SWEEP - open - 100) as u64;
    for n in 0..calls {
        record(&store, 0, later, next + n, far);
    }
    assert_eq!(held(&store), 2 * FIRST_SWEEP, "the closed nonces are still held");
    // The call that finds the set doubled sweeps them.
    record(&store, 0, later, next + calls, far);
    let left = store.state().challenges;
    assert_eq!(left.len(), 2 * FIRST_SWEEP - 100 + 1);
    assert!(left.iter().all(|c| c.closes == far), "every closed nonce is swept");
}
