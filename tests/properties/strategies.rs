//! The generators: parameters and times (to the ends of u64), worlds,
//! actions with their weightings, payloads and Base45 texts.

use proptest::strategy::Union;
use proptest::{collection::vec, prelude::*};

use crate::world::{Action, Amount, CredCfg, Kind, With, WorldCfg};

fn t0_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => Just(0u64),
        2 => 0u64..2_000_000_000,
        1 => any::<u64>(),
        1 => u64::MAX - 10_000_000..=u64::MAX,
    ]
}

fn step_len_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![2 => Just(1u64), 3 => Just(60u64), 2 => Just(86_400u64), 3 => 1u64..=86_400]
}

/// Steps after T0 of a time: small, realistic, near the top of u64, anything.
pub fn steps_after_epoch() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0u64..20,
        4 => 20_000_000u64..40_000_000,
        2 => (u64::MAX - 40)..=u64::MAX,
        1 => any::<u64>(),
    ]
}

/// A time from params: `T0 + steps * X + r`, saturating; sometimes before T0.
pub fn time_in(t0: u64, x: u64, steps: u64, r: u64, before: bool) -> u64 {
    if before && t0 > 0 {
        t0 - 1 - r % t0.min(1000)
    } else {
        t0.saturating_add(steps.saturating_mul(x)).saturating_add(r % x)
    }
}

pub fn world_strategy(numeric_capable: bool) -> impl Strategy<Value = WorldCfg> {
    let params = (t0_strategy(), step_len_strategy(), 0u64..=8, 0u64..=7);
    let start = (steps_after_epoch(), any::<u64>(), prop::bool::weighted(0.03));
    let profiles = prop_oneof![8 => Just((true, true)), 1 => Just((true, false)), 1 => Just((false, true))];
    let first_counter =
        || prop_oneof![4 => Just(0u32), 2 => 0u32..100_000, 1 => Just(65_530u32), 1 => Just(u32::MAX - 70)];
    let accounts = (
        prop_oneof![Just(1u64), Just((1 << 30) - 1), Just(u64::MAX)],
        prop_oneof![Just(2u64), Just(1 << 30), Just(0)],
        prop_oneof![Just(3u64), Just((1 << 30) + 1), Just(u64::MAX - 1)],
        first_counter(),
        first_counter(),
        first_counter(),
    );
    let cred =
        |serials: [u64; 2]| {
            (
                prop_oneof![5 => Just(1u16), 2 => Just(2u16), 1 => Just(3u16)],
                prop::sample::select(serials.to_vec()),
                // Seconds before the start, or after it (negative): a credential
                // not yet valid at any verifier time until the clock gets there,
                // which no clock set back can reach otherwise (R-TIME-8).
                prop_oneof![
                    3 => Just(1_000i64),
                    2 => 0i64..100_000,
                    1 => Just(0i64),
                    1 => Just(i64::MAX),
                    3 => -7_200i64..0
                ],
                prop_oneof![
                    3 => Just(604_800u32),
                    3 => 0u32..=604_800,
                    1 => Just(604_801u32),
                    1 => Just(u32::MAX)
                ],
                prop_oneof![Just(0u32), 1u32..2_000, Just(u32::MAX)],
                prop_oneof![Just(0u32), 1u32..5_000, Just(u32::MAX)],
                first_counter(),
            )
                .prop_map(|(key_id, serial, back, lifetime, per_payment, total, first)| {
                    CredCfg { key_id, serial, back, lifetime, per_payment, total, first }
                })
        };
    let key2 = (
        prop_oneof![2 => Just(u64::MAX), 1 => Just(0u64), 1 => Just(100u64), 1 => Just(2_000u64)],
        prop_oneof![2 => Just(u64::MAX), 1 => Just(0u64), 1 => Just(100u64), 1 => Just(1_000_000u64)],
    );
    // C in 30..=600 (R-TIME-6), and A_num: any u64 (R-CAP-3).
    let amounts = (
        prop_oneof![2 => Just(120u64), 1 => Just(30u64), 1 => Just(600u64), 2 => 30u64..=600],
        prop_oneof![3 => Just(5_000u64), 1 => Just(0u64), 2 => 1u64..20_000, 1 => Just(u64::MAX)],
    );
    (params, start, profiles, accounts, cred([1, u64::MAX]), cred([2, 0]), key2, amounts).prop_map(
        move |(
            (t0, x, b, f),
            (steps, r, before),
            (hmac_on, ed_on),
            (a0, a1, a2, c0, c1, c2),
            e0,
            e1,
            key2,
            (lifetime, ceiling),
        )| {
            let (a0, c0) = if numeric_capable { ((a0 % (1 << 30)).max(1), c0 % 60_000) } else { (a0, c0) };
            WorldCfg {
                t0,
                x,
                b,
                f,
                start: time_in(t0, x, steps, r, before),
                hmac_on: hmac_on || numeric_capable,
                ed_on,
                accounts: [(a0, c0), (a1, c1), (a2, c2)],
                creds: [e0, e1],
                key2,
                lifetime,
                ceiling,
            }
        },
    )
}

/// How often each action is drawn (0 = never).
#[derive(Clone, Copy)]
pub struct Weights {
    pub tick: u32,
    pub jump: u32,
    pub fresh: u32,
    pub stash: u32,
    pub replay: u32,
    pub replay_all: u32,
    pub tamper: u32,
    pub burst: u32,
    pub reuse: u32,
    pub garbage: u32,
    pub payload: u32,
    pub restart_with_state: u32,
    pub restart_lost_state: u32,
    pub evict: u32,
    pub revoke: u32,
    pub restart_from_snapshot: u32,
    pub restart_from_backup: u32,
    pub forge: u32,
    /// The terminal shows a challenge.
    pub challenge: u32,
    /// How often a new code is one-way, capped or a challenge code.
    pub modes: [u32; 3],
    /// How often a call's amount is its challenge's, against 14 for the others.
    pub exact: u32,
}

pub const BALANCED: Weights = Weights {
    tick: 12,
    jump: 1,
    fresh: 20,
    stash: 5,
    replay: 10,
    replay_all: 1,
    tamper: 4,
    burst: 1,
    reuse: 1,
    garbage: 2,
    payload: 3,
    restart_with_state: 2,
    restart_lost_state: 2,
    evict: 3,
    revoke: 3,
    restart_from_snapshot: 1,
    restart_from_backup: 1,
    forge: 1,
    challenge: 2,
    modes: [8, 1, 2],
    exact: 3,
};

/// Mostly replays, out-of-order codes, clock moves and eviction.
pub const REPLAYS: Weights = Weights {
    challenge: 1,
    modes: [20, 1, 1],
    fresh: 12,
    // Codes kept while the wallet runs ahead: with a clock set back no
    // longer reopening old steps (R-TIME-8), these reach stale-counter.
    stash: 16,
    replay: 30,
    replay_all: 2,
    tamper: 1,
    payload: 0,
    garbage: 0,
    revoke: 0,
    jump: 0,
    restart_from_snapshot: 0,
    restart_from_backup: 0,
    forge: 0,
    ..BALANCED
};

/// Restarts of every kind, each followed by replays.
pub const RESTARTS: Weights = Weights {
    restart_with_state: 4,
    restart_lost_state: 6,
    restart_from_snapshot: 6,
    restart_from_backup: 4,
    replay_all: 4,
    replay: 12,
    tamper: 1,
    payload: 0,
    garbage: 0,
    revoke: 1,
    ..BALANCED
};

/// Flipped codes and random payloads: the throttle.
pub const THROTTLE: Weights = Weights {
    tamper: 20,
    burst: 6,
    payload: 10,
    fresh: 15,
    replay: 8,
    revoke: 0,
    jump: 0,
    forge: 6,
    restart_from_snapshot: 3,
    ..BALANCED
};

/// ed25519: validity, revocation lists, amounts.
pub const OFFLINE: Weights = Weights {
    challenge: 1,
    modes: [10, 2, 1],
    fresh: 25,
    replay: 10,
    revoke: 8,
    evict: 4,
    tamper: 2,
    jump: 0,
    restart_from_snapshot: 0,
    restart_from_backup: 0,
    forge: 0,
    ..BALANCED
};

/// A history for the numeric-and-QR property: every kind of action, mostly fresh codes.
pub const HISTORY: Weights = Weights {
    tick: 10,
    jump: 1,
    fresh: 25,
    stash: 5,
    replay: 10,
    replay_all: 1,
    tamper: 1,
    burst: 0,
    reuse: 1,
    garbage: 1,
    payload: 1,
    restart_with_state: 1,
    restart_lost_state: 2,
    evict: 2,
    revoke: 1,
    restart_from_snapshot: 1,
    restart_from_backup: 1,
    forge: 0,
    challenge: 1,
    modes: [8, 1, 1],
    exact: 3,
};

/// Challenges: several payers per challenge, challenges of this terminal and
/// others, open, closed and from the future, reused; capped codes and
/// amounts around the caps and A_num; replays and restarts of every kind.
pub const CHALLENGES: Weights = Weights {
    tick: 6,
    fresh: 25,
    stash: 6,
    replay: 16,
    replay_all: 2,
    tamper: 2,
    burst: 0,
    payload: 0,
    garbage: 0,
    revoke: 0,
    jump: 0,
    forge: 0,
    restart_with_state: 3,
    restart_lost_state: 2,
    restart_from_snapshot: 3,
    restart_from_backup: 2,
    evict: 4,
    challenge: 5,
    modes: [2, 3, 6],
    exact: 24,
    ..BALANCED
};

/// A call's amount; the challenge's with weight `exact` against 14.
pub fn amount_strategy(exact: u32) -> impl Strategy<Value = Amount> {
    prop_oneof![
        2 => Just(Amount::Zero),
        2 => Just(Amount::PerPayment),
        2 => Just(Amount::AbovePerPayment),
        2 => Just(Amount::HalfTotal),
        2 => any::<u16>().prop_map(Amount::Small),
        2 => Just(Amount::Max),
        2 => (-1i8..=1).prop_map(Amount::Bound),
        exact => Just(Amount::Challenge),
    ]
}

/// What a new code is made for, weighted by `modes`.
fn kind_strategy(modes: [u32; 3]) -> BoxedStrategy<Kind> {
    let caps = prop_oneof![Just(0u32), 1u32..10_000, Just(u32::MAX)].prop_map(Kind::Capped);
    let options: Vec<(u32, BoxedStrategy<Kind>)> = vec![
        (modes[0], Just(Kind::OneWay).boxed()),
        (modes[1], caps.boxed()),
        (modes[2], any::<usize>().prop_map(Kind::Challenge).boxed()),
    ];
    Union::new_weighted(options.into_iter().filter(|o| o.0 > 0).collect()).boxed()
}

/// The challenge a call carries.
pub fn with_strategy() -> impl Strategy<Value = With> {
    prop_oneof![
        12 => Just(With::Own),
        1 => Just(With::Nothing),
        3 => any::<usize>().prop_map(With::Pick),
        1 => any::<usize>().prop_map(With::Broken),
    ]
}

/// A challenge the terminal shows (see `Action::Challenge`).
fn challenge_strategy() -> impl Strategy<Value = Action> {
    let other = prop_oneof![
        8 => Just(None),
        1 => Just(Some(0u32)),
        1 => Just(Some(u32::MAX)),
        1 => any::<u32>().prop_map(Some),
    ];
    let amount = prop_oneof![3 => 1u64..10_000, 1 => Just(0u64), 1 => Just(5_000u64), 1 => Just(u64::MAX), 1 => any::<u64>()];
    let delta = prop_oneof![4 => Just(0i64), 4 => -3i64..=3, 2 => -200i64..=200, 1 => any::<i64>()];
    let reuse = prop_oneof![12 => Just(None), 1 => any::<usize>().prop_map(Some)];
    (other, amount, prop_oneof![8 => Just(0u8), 6 => 1u8..7], delta, reuse).prop_map(
        |(other, amount, edge, delta, reuse)| Action::Challenge { other, amount, edge, delta, reuse },
    )
}

fn clock_steps() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => Just(0i64),
        8 => -1i64..=1,
        4 => -12i64..=12,
        1 => -2_000i64..=2_000,
    ]
}

fn wallet_offset() -> impl Strategy<Value = i64> {
    prop_oneof![8 => Just(0i64), 6 => -10i64..=9, 1 => -100i64..=100]
}

/// Which wallet: 0 and 1 are enrolled hmac accounts, 2 is not enrolled, 3
/// and 4 hold ed25519 credentials.
fn who_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..2, 1 => Just(2usize), 3 => 3usize..5]
}

fn skip_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![12 => Just(0u32), 3 => 1u32..4, 3 => 62u32..70, 1 => Just(1_000u32), 1 => Just(u32::MAX / 2)]
}

/// Payloads: short ones, any second byte, and each of the six second bytes
/// of R-MODE-1 with its length or any other.
pub fn payload_strategy() -> impl Strategy<Value = Vec<u8>> {
    let lengths = [(0x01u8, 38usize), (0x21, 38), (0x11, 42), (0x02, 204), (0x22, 204), (0x12, 208)];
    prop_oneof![
        vec(any::<u8>(), 0..4),
        (any::<u8>(), vec(any::<u8>(), 0..44))
            .prop_map(|(b, rest)| [vec![paycode::VERSION, b], rest].concat()),
        prop::sample::select(lengths.to_vec()).prop_flat_map(|(b, len)| vec(any::<u8>(), len - 2)
            .prop_map(move |rest| [vec![paycode::VERSION, b], rest].concat())),
        prop::sample::select(lengths.map(|l| l.0).to_vec()).prop_flat_map(
            |b| vec(any::<u8>(), 0..210).prop_map(move |rest| [vec![paycode::VERSION, b], rest].concat())
        ),
    ]
}

fn action_strategy(w: Weights) -> BoxedStrategy<Action> {
    let kind = || kind_strategy(w.modes);
    let options: Vec<(u32, BoxedStrategy<Action>)> = vec![
        (
            w.tick,
            (clock_steps(), any::<u64>()).prop_map(|(steps, secs)| Action::Tick { steps, secs }).boxed(),
        ),
        (
            w.jump,
            prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), u64::MAX - 200_000..=u64::MAX]
                .prop_map(Action::Jump)
                .boxed(),
        ),
        (
            w.fresh,
            (
                who_strategy(),
                wallet_offset(),
                any::<i64>(),
                skip_strategy(),
                any::<bool>(),
                amount_strategy(w.exact),
                kind(),
                with_strategy(),
            )
                .prop_map(|(who, offset, jitter, skip, numeric, amount, kind, with)| Action::Fresh {
                    who,
                    offset,
                    jitter,
                    skip,
                    numeric,
                    amount,
                    kind,
                    with,
                })
                .boxed(),
        ),
        (
            w.stash,
            (who_strategy(), wallet_offset(), any::<i64>(), skip_strategy(), kind())
                .prop_map(|(who, offset, jitter, skip, kind)| Action::Stash {
                    who,
                    offset,
                    jitter,
                    skip,
                    kind,
                })
                .boxed(),
        ),
        (
            w.replay,
            (
                any::<usize>(),
                prop::bool::weighted(0.7),
                any::<bool>(),
                amount_strategy(w.exact),
                with_strategy(),
            )
                .prop_map(|(pick, recent, numeric, amount, with)| Action::Replay {
                    pick,
                    recent,
                    numeric,
                    amount,
                    with,
                })
                .boxed(),
        ),
        (w.replay_all, Just(Action::ReplayAll).boxed()),
        (
            w.tamper,
            (any::<usize>(), any::<usize>(), any::<bool>())
                .prop_map(|(pick, bit, numeric)| Action::Tamper { pick, bit, numeric })
                .boxed(),
        ),
        (
            w.burst,
            (any::<usize>(), vec(any::<usize>(), 6..12), any::<bool>())
                .prop_map(|(pick, bits, numeric)| Action::Burst { pick, bits, numeric })
                .boxed(),
        ),
        (
            w.reuse,
            (any::<usize>(), -3i64..=3).prop_map(|(pick, offset)| Action::Reuse { pick, offset }).boxed(),
        ),
        (w.garbage, any::<usize>().prop_map(Action::Garbage).boxed()),
        (
            w.payload,
            (payload_strategy(), prop::option::of(0usize..2))
                .prop_map(|(bytes, account)| Action::Payload { bytes, account })
                .boxed(),
        ),
        (w.restart_with_state, Just(Action::RestartWithState).boxed()),
        (
            w.restart_lost_state,
            prop_oneof![Just(0u64), 0u64..300, any::<u64>()]
                .prop_map(|later| Action::RestartLostState { later })
                .boxed(),
        ),
        (w.evict, Just(Action::Evict).boxed()),
        (
            w.revoke,
            (
                prop_oneof![4 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize)],
                prop_oneof![1 => Just(-1i8), 1 => Just(0i8), 4 => Just(1i8), 1 => Just(2i8)],
                0usize..5,
                any::<u8>(),
                prop::bool::weighted(0.15),
            )
                .prop_map(|(key, delta, issued, mask, corrupt)| Action::Revoke {
                    key,
                    delta,
                    issued,
                    mask,
                    corrupt,
                })
                .boxed(),
        ),
        (
            w.restart_from_snapshot,
            any::<usize>().prop_map(|pick| Action::RestartFromSnapshot { pick }).boxed(),
        ),
        (
            w.restart_from_backup,
            (any::<usize>(), prop_oneof![Just(0u64), 0u64..300, any::<u64>()])
                .prop_map(|(pick, later)| Action::RestartFromBackup { pick, later })
                .boxed(),
        ),
        (w.forge, (0usize..5).prop_map(|who| Action::Forge { who }).boxed()),
        (w.challenge, challenge_strategy().boxed()),
    ];
    Union::new_weighted(options.into_iter().filter(|o| o.0 > 0).collect()).boxed()
}

pub fn actions(w: Weights, max: usize) -> impl Strategy<Value = Vec<Action>> {
    vec(action_strategy(w), 1..max)
}

pub fn params_strategy() -> impl Strategy<Value = (u64, u64, u64, u64)> {
    (t0_strategy(), step_len_strategy(), 0u64..=8, 0u64..=7)
}

pub fn base45_text_strategy() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".chars().collect();
    let other = vec!['a', 'z', '\n', '=', '_', 'é', '\0'];
    vec(prop_oneof![30 => prop::sample::select(alphabet), 1 => prop::sample::select(other)], 0..40)
        .prop_map(String::from_iter)
}
