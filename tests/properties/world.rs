//! The world the stateful properties run in: the real verifier, real
//! wallets, a terminal's challenges and the model side by side, driven by one
//! list of actions, with the checks that their verdicts and states agree after
//! every action, and the ghost records of what was accepted.

use std::collections::{BTreeMap, BTreeSet};

use paycode::PublicKey;
use paycode::issuer::KeyPeriod;
use paycode::replay::Window;
use paycode::revocation::{ListHeader, RevocationList};
use paycode::trust::{TrustHeader, TrustList};
use paycode::{
    Challenge, Code, Credential, CredentialFields, Ed25519Wallet, Error, GenerateError, HmacWallet, Issuer,
    Params, Payment, Profile, Purpose, Seed, StateStore, TextPayment, Verifier, VerifierState,
};

use crate::TERMINAL;
use crate::model::{Ident, Input, Model, Nonce, Oracle, model_handle};

/// Texts that are malformed by construction (R-ENC-1, R-ENC-2, R-ENC-4).
const GARBAGE: &[&str] = &[
    "",
    "PC2",
    "PC3:",
    "pc2:BB8",
    "PC3:A",
    "PC3:GGW",
    "PC3:V5",
    "PC3:bb8",
    "PC3:BB8\n",
    "PC3:BB8=",
    "00000000000000000000000",
    "0000000000000000000000000",
    "999999999999999999999999",
    "604462909807314587353088",
    "00000000000000000000000a",
    " 00000000000000000000000",
    "PC1:BB8",
];

/// Challenge texts that do not decode (R-CHAL-1): no prefix, a code's
/// prefix, lower case, other lengths, a bad version byte, bad Base45.
const BROKEN_CHALLENGES: &[&str] = &[
    "",
    "PT3:",
    "PT2",
    "pt2:BB8",
    "PC3:0100000000000000000000000000000000000000000000000000000",
    "PT3:BB8",
    "PT3:GGW",
    "PT3:0100000000000000000000000000000000000000000000000000000",
    "PT3:02000000000000000000000000000000000000000000000000000000",
    "PT3:A1000000000000000000000000000000000000000000000000000000",
    "PT3:01000000000000000000000000000000000000000000000000000000 ",
];

#[derive(Clone, Copy, Debug)]
pub enum Amount {
    Zero,
    PerPayment,
    AbovePerPayment,
    HalfTotal,
    Small(u16),
    Max,
    /// The code's bound plus this: a capped code's cap, `A_num` for a
    /// numeric code, an ed25519 per-payment limit, else 5.
    Bound(i8),
    /// The amount of the call's challenge (1 without one).
    Challenge,
}

/// What a wallet makes a code for (R-MODE-1, R-GEN-2).
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    OneWay,
    /// A capped code with this cap, which the payer confirmed.
    Capped(u32),
    /// A challenge code for one of the last two challenges shown (a new
    /// open challenge of this terminal if there is none).
    Challenge(usize),
}

/// The challenge a verify call carries.
#[derive(Clone, Copy, Debug)]
pub enum With {
    /// The challenge the code was made for; none for a code of another mode.
    Own,
    Nothing,
    /// One of the challenges shown so far (none if there is none).
    Pick(usize),
    /// A text that does not decode as a challenge.
    Broken(usize),
}

#[derive(Clone, Debug)]
pub enum Action {
    /// Verifier clock moves by `steps` steps plus `secs` seconds (mod X), clamped to u64.
    Tick {
        steps: i64,
        secs: u64,
    },
    /// Verifier clock set to any time.
    Jump(u64),
    /// A wallet generates a code at verifier time + `offset` steps + `jitter`
    /// seconds, after skipping `skip` counters, and shows it now.
    Fresh {
        who: usize,
        offset: i64,
        jitter: i64,
        skip: u32,
        numeric: bool,
        amount: Amount,
        kind: Kind,
        with: With,
    },
    /// As `Fresh`, but the code is kept for later (out of order).
    Stash {
        who: usize,
        offset: i64,
        jitter: i64,
        skip: u32,
        kind: Kind,
    },
    /// Any code seen so far (with `recent`, one of the last six), shown
    /// again or for the first time.
    Replay {
        pick: usize,
        recent: bool,
        numeric: bool,
        amount: Amount,
        with: With,
    },
    /// The terminal shows a challenge (R-CHAL-1): its own terminal id or
    /// another's, an amount, and `issued_at` = `delta` seconds from one of
    /// the edges (see `World::issued_at`); a fresh nonce, or with `reuse` the
    /// nonce of an earlier challenge, which breaks R-CHAL-1.
    Challenge {
        other: Option<u32>,
        amount: u64,
        edge: u8,
        delta: i64,
        reuse: Option<usize>,
    },
    /// Every code seen so far, in order, in both forms.
    ReplayAll,
    /// A code seen so far with one bit flipped (payload bit, or bit of N).
    Tamper {
        pick: usize,
        bit: usize,
        numeric: bool,
    },
    /// Several flipped copies of one code at the same clock reading, then
    /// the code itself: enough failures to reach the throttle.
    Burst {
        pick: usize,
        bits: Vec<usize>,
        numeric: bool,
    },
    /// A wallet that breaks R-GEN-3: a counter already used, with another step.
    Reuse {
        pick: usize,
        offset: i64,
    },
    Garbage(usize),
    /// A random payload; `account` pins bytes 2..18 to an enrolled account's
    /// handle for the current step, and that step.
    Payload {
        bytes: Vec<u8>,
        account: Option<usize>,
    },
    /// A restart with the current state, failure budgets included (R-STATE-6).
    RestartWithState,
    /// A restart from a snapshot taken at or after the last durable write,
    /// as durable mode leaves it (R-REPLAY-5, R-STATE-1): `pick` 0 is the
    /// state as last made durable; T_hw raised and entries evicted since may be lost.
    RestartFromSnapshot {
        pick: usize,
    },
    /// A restart from any earlier snapshot (a backup, a replica behind its
    /// primary), in quarantine at a time after every call so far (R-STATE-5).
    RestartFromBackup {
        pick: usize,
        later: u64,
    },
    RestartLostState {
        later: u64,
    },
    /// restart-lost-state at the current clock, even one behind T_hw: outside
    /// the assumption of spec §8.6, a second acceptance is then the exposure
    /// §12.8 describes, and is recorded rather than failed.
    RestartLostStateNow,
    Evict,
    /// A code of wallet `who` with a wrong tag or signature, at the current step.
    Forge {
        who: usize,
    },
    Revoke {
        key: usize,
        delta: i8,
        issued: usize,
        mask: u8,
        corrupt: bool,
    },
}

#[derive(Clone, Debug)]
pub struct CredCfg {
    pub key_id: u16,
    pub serial: u64,
    pub back: i64,
    pub lifetime: u32,
    pub per_payment: u32,
    pub total: u32,
    pub first: u32,
}

#[derive(Clone, Debug)]
pub struct WorldCfg {
    pub t0: u64,
    pub x: u64,
    pub b: u64,
    pub f: u64,
    pub start: u64,
    pub hmac_on: bool,
    pub ed_on: bool,
    /// (account id, first counter); the third is not enrolled.
    pub accounts: [(u64, u32); 3],
    pub creds: [CredCfg; 2],
    /// Key 2's validity, as (seconds before start, seconds after start).
    pub key2: (u64, u64),
    /// The challenge lifetime `C` and the numeric ceiling `A_num` (spec §2.1).
    pub lifetime: u64,
    pub ceiling: u64,
}

/// A complete copy of the verifier's state and of the model's, for restarts
/// from snapshots.
#[derive(Clone)]
pub struct Saved {
    state: VerifierState,
    model: Model,
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Hmac(usize),
    Ed(usize),
}

impl Who {
    /// Wallets 0 to 2 are the hmac accounts, 3 and 4 the ed25519 credentials.
    const fn of(who: usize) -> Who {
        if who % 5 < 3 { Who::Hmac(who % 5) } else { Who::Ed(who % 5 - 3) }
    }
}

/// A code's mode as its wallet made it: the cap the payer confirmed, or the
/// challenge (an index into `World::challenges`) it was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Made {
    OneWay,
    Capped(u32),
    Challenge(usize),
}

#[derive(Clone, Debug)]
struct Issued {
    who: Who,
    step: u64,
    counter: u32,
    made: Made,
    payload: Vec<u8>,
    numeric: Option<u128>,
}

pub struct HmacAccount {
    pub id: u64,
    pub seed: Seed,
    pub next: u32,
}

struct EdAccount {
    seed: Seed,
    cred: Credential,
    next: u32,
}

pub struct World {
    pub params: Params,
    cfg: WorldCfg,
    pub oracle: Oracle,
    pub hmac: Vec<HmacAccount>,
    ed: Vec<EdAccount>,
    /// The issuer's root key and its trust list (spec: R-TRUST-3).
    trust: Option<(PublicKey, TrustList)>,
    verifier: Verifier,
    pub model: Model,
    pub clock: u64,
    max_clock: u64,
    pool: Vec<Issued>,
    rl: Option<RevocationList>,
    /// Every (identity, counter) accepted, over the whole run.
    ghost: BTreeSet<(Ident, u32)>,
    /// Every (identity, counter, step) accepted, over the whole run.
    ghost_codes: BTreeSet<(Ident, u32, u64)>,
    /// Pairs whose counter a misbehaving wallet reused with another step.
    reused: BTreeSet<(Ident, u32)>,
    /// The challenges shown so far, in order.
    pub challenges: Vec<Challenge>,
    /// Nonces a misbehaving terminal used for more than one challenge.
    reused_nonces: BTreeSet<Nonce>,
    /// Every challenge a code was accepted for, by nonce, over the whole
    /// run, with the number of state losses before that acceptance.
    ghost_nonces: BTreeMap<Nonce, (Challenge, usize)>,
    /// The last fresh nonce's number.
    next_nonce: u64,
    /// Restarts that lost state or quarantined an older copy of it.
    losses: usize,
    /// Second acceptances for one challenge that the spec's own rules allow
    /// (see `r_chal_4_one_step_ahead_challenge_after_state_loss`).
    pub challenge_exposures: Vec<Nonce>,
    /// Verify calls so far; every third decodable one goes through the typed API.
    calls: usize,
    idents: Vec<Ident>,
    /// A restart-lost-state saturated `Q` at 2^64 - 1 (spec §12.9).
    q_saturated: bool,
    /// A restart after state loss happened with the clock behind T_hw.
    clock_went_back: bool,
    /// Second acceptances after such a restart (spec §12.8).
    pub exposures: Vec<(Ident, u32)>,
    /// The state as last made durable, then a copy after every action since.
    since_durable: Vec<Saved>,
    /// A copy of the state after every action.
    pub history: Vec<Saved>,
    /// How often each verdict occurred.
    pub verdicts: BTreeMap<&'static str, usize>,
    /// The verdict of the last verify call.
    pub last: Option<Result<(), Error>>,
}

/// `t` moved by `steps` steps of `x` seconds and by `secs` seconds, clamped to u64.
pub fn shift(t: u64, steps: i64, x: u64, secs: i64) -> u64 {
    let v = i128::from(t) + i128::from(steps) * i128::from(x) + i128::from(secs);
    v.clamp(0, i128::from(u64::MAX)) as u64
}

impl World {
    fn new(cfg: WorldCfg) -> World {
        let params = Params::new(cfg.t0, cfg.x, cfg.b, cfg.f)
            .unwrap()
            .with_challenge_lifetime(cfg.lifetime)
            .unwrap()
            .with_numeric_ceiling(cfg.ceiling);
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[0xa5; 32]));
        let periods = vec![
            KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX },
            KeyPeriod {
                key_id: 2,
                not_before: cfg.start.saturating_sub(cfg.key2.0),
                not_after: cfg.start.saturating_add(cfg.key2.1),
            },
        ];
        let hmac: Vec<HmacAccount> = cfg
            .accounts
            .iter()
            .enumerate()
            .map(|(i, &(id, first))| HmacAccount {
                id,
                seed: Seed::from_bytes(&[i as u8 + 1; 32]),
                next: first,
            })
            .collect();
        let ed: Vec<EdAccount> = cfg
            .creds
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let seed = Seed::from_bytes(&[i as u8 + 0x41; 32]);
                let fields = CredentialFields {
                    key_id: c.key_id,
                    serial: c.serial,
                    device_key: Ed25519Wallet::device_public_key(&seed, 0),
                    not_before: cfg.start.saturating_add_signed(c.back.saturating_neg()),
                    lifetime: c.lifetime,
                    per_payment_limit: c.per_payment,
                    cumulative_limit: c.total,
                };
                EdAccount { seed, cred: issuer.issue(fields), next: c.first }
            })
            .collect();
        let enrolled: BTreeMap<u64, Seed> = if cfg.hmac_on {
            hmac[..2].iter().map(|a| (a.id, a.seed.clone())).collect()
        } else {
            BTreeMap::new()
        };
        let trust = cfg.ed_on.then(|| {
            let header = TrustHeader { sequence: 1, issued_at: 0 };
            (issuer.root_public_key().unwrap(), issuer.trust_list(header, &periods).unwrap())
        });
        let oracle = Oracle {
            params,
            enrolled,
            issuer,
            trust: periods,
            ed: ed.iter().map(|e| (e.cred, e.seed.clone())).collect(),
        };
        let mut idents: Vec<Ident> = hmac.iter().map(|a| (Profile::Hmac, a.id)).collect();
        idents.extend(ed.iter().map(|e| (Profile::Ed25519, e.cred.fields().serial)));
        let model = Model::new(params, TERMINAL, cfg.hmac_on, cfg.ed_on);
        let mut w = World {
            params,
            clock: cfg.start,
            max_clock: cfg.start,
            cfg,
            oracle,
            hmac,
            ed,
            trust,
            verifier: Verifier::new(params, TERMINAL),
            model,
            pool: Vec::new(),
            rl: None,
            ghost: BTreeSet::new(),
            ghost_codes: BTreeSet::new(),
            reused: BTreeSet::new(),
            challenges: Vec::new(),
            reused_nonces: BTreeSet::new(),
            ghost_nonces: BTreeMap::new(),
            next_nonce: 0,
            losses: 0,
            challenge_exposures: Vec::new(),
            calls: 0,
            idents,
            q_saturated: false,
            clock_went_back: false,
            exposures: Vec::new(),
            since_durable: Vec::new(),
            history: Vec::new(),
            verdicts: BTreeMap::new(),
            last: None,
        };
        let mut v = Verifier::new(params, TERMINAL);
        w.configure(&mut v);
        w.verifier = v;
        w.durable();
        if w.cfg.ed_on {
            // The terminal's first list, signed with key 2, fresh for an hour
            // and ten minutes' grace (spec: R-REVOKE-4).
            w.revoke(1, 1, 0, 0b0100_0000, false, "the first revocation list");
        }
        w
    }

    /// The configuration an operator gives every (re)started verifier: the
    /// enrolled accounts, the trust list and the current revocation list.
    fn configure(&self, v: &mut Verifier) {
        if self.cfg.hmac_on {
            v.enable_hmac();
            for a in &self.hmac[..2] {
                v.add_account(a.id, &a.seed);
            }
        }
        if let Some((root, t)) = &self.trust {
            v.set_root_key(*root);
            if v.trust_list() != Some(t) {
                v.install_trust_list(t.clone(), 0).unwrap();
            }
        }
        if let Some(rl) = &self.rl {
            // A restart with state already holds the list (it is durable state,
            // spec §8.6); after a loss it is put back as configuration, not
            // installed anew, so the newer test does not apply.
            if v.revocation_number() != Some(rl.number()) {
                assert_eq!(rl.check(&self.trust.as_ref().unwrap().1), Ok(()), "reinstalling");
                assert!(v.store().install_revocation_list(rl, &|_| true).unwrap(), "reinstalling");
            }
            // R-TIME-8: the configuration's list bounds the time floor, as the command's does.
            v.raise_floor(rl.issued_at());
        }
    }

    pub fn run(cfg: WorldCfg, actions: &[Action]) -> World {
        let mut w = World::start(cfg);
        for (i, a) in actions.iter().enumerate() {
            w.act(a, &format!("action {i}"));
        }
        w
    }

    /// A world before any action, its state checked.
    pub fn start(cfg: WorldCfg) -> World {
        let w = World::new(cfg);
        w.check_state(&w.saved(), "start");
        w
    }

    /// Applies one action on both sides and checks that their states agree.
    pub fn act(&mut self, action: &Action, at: &str) {
        let ctx = format!("{at} {action:?} at clock {}", self.clock);
        self.apply(action, &ctx);
        let now = self.saved();
        self.check_state(&now, &ctx);
        self.since_durable.push(now.clone());
        self.history.push(now);
    }

    /// A complete copy of the state now.
    pub fn saved(&self) -> Saved {
        Saved { state: self.verifier.state(), model: self.model.clone() }
    }

    /// The changes so far are durable: a restart comes back to no older state
    /// than this (R-REPLAY-5 mode 1, R-STATE-1).
    fn durable(&mut self) {
        self.since_durable = vec![self.saved()];
    }

    /// A verifier restarted from `saved`, configured as the operator configures it.
    pub fn restored(&self, saved: &Saved) -> Verifier {
        let mut v = Verifier::restore(self.params, TERMINAL, &saved.state);
        self.configure(&mut v);
        v
    }

    /// Restarts both sides from `saved`. The revocation list installed since
    /// is installed again, as `configure` does.
    fn restart_from(&mut self, saved: &Saved) {
        self.verifier = self.restored(saved);
        let revoked = self.model.revoked.clone();
        self.model = saved.model.clone();
        self.model.revoked = revoked;
        // R-TIME-8: the verifier under test keeps no log to read it back from.
        self.model.last_accepted = 0;
    }

    /// The latest clock reading of any call so far.
    pub const fn latest(&self) -> u64 {
        self.max_clock
    }

    /// The real verifier's replay window of `id`, live or not.
    pub fn window(&self, id: Ident) -> Option<Window> {
        self.verifier.replay_state(id.0).window(id.1)
    }

    /// The identity of wallet `who`, as `issue` numbers the wallets.
    pub fn ident(&self, who: usize) -> Ident {
        match Who::of(who) {
            Who::Hmac(i) => (Profile::Hmac, self.hmac[i].id),
            Who::Ed(i) => (Profile::Ed25519, self.ed[i].cred.fields().serial),
        }
    }

    /// The text of pool code `i`, in QR form.
    pub fn text_of(&self, i: usize) -> String {
        Input::Payload(self.pool[i].payload.clone()).text()
    }

    /// Codes issued so far.
    pub fn pool_len(&self) -> usize {
        self.pool.len()
    }

    fn apply(&mut self, action: &Action, ctx: &str) {
        let x = self.params.step_secs();
        match *action {
            Action::Tick { steps, secs } => self.clock = shift(self.clock, steps, x, (secs % x) as i64),
            Action::Jump(t) => self.clock = t,
            Action::Fresh { who, offset, jitter, skip, numeric, amount, kind, with } => {
                if let Some(i) = self.issue(who, offset, jitter, skip, kind, ctx) {
                    self.show(i, numeric, amount, with, ctx);
                }
            }
            Action::Stash { who, offset, jitter, skip, kind } => {
                self.issue(who, offset, jitter, skip, kind, ctx);
            }
            Action::Replay { pick, recent, numeric, amount, with } => {
                let n = self.pool.len();
                if n > 0 {
                    let i = if recent { n - 1 - pick % n.min(6) } else { pick % n };
                    self.show(i, numeric, amount, with, ctx);
                }
            }
            Action::ReplayAll => {
                for i in 0..self.pool.len() {
                    self.show(i, false, Amount::Challenge, With::Own, ctx);
                    self.show(i, true, Amount::Challenge, With::Own, ctx);
                }
            }
            Action::Challenge { other, amount, edge, delta, reuse } => {
                self.challenge(other, amount, edge, delta, reuse);
            }
            Action::Tamper { pick, bit, numeric } => {
                if !self.pool.is_empty() {
                    self.tamper(pick % self.pool.len(), bit, numeric, ctx);
                }
            }
            Action::Burst { pick, ref bits, numeric } => {
                if !self.pool.is_empty() {
                    let i = pick % self.pool.len();
                    for &bit in bits {
                        self.tamper(i, bit, numeric, ctx);
                    }
                    self.show(i, numeric, Amount::Challenge, With::Own, ctx);
                }
            }
            Action::Reuse { pick, offset } => {
                if !self.pool.is_empty() {
                    let i = pick % self.pool.len();
                    if let Some(j) = self.reuse(i, offset) {
                        self.show(j, false, Amount::Zero, With::Own, ctx);
                    }
                }
            }
            Action::Garbage(i) => {
                self.present(&Input::Garbage(GARBAGE[i % GARBAGE.len()]), None, 0, None, ctx)
            }
            Action::Payload { ref bytes, account } => {
                let mut p = bytes.clone();
                // The step of the clock and an enrolled account's handle for
                // it (R-HANDLE-1): the payload reaches H1 with a candidate.
                if let (Some(a), true) = (account, p.len() >= 18) {
                    let step = self.model.step(self.clock).unwrap_or(0);
                    let a = &self.hmac[a % 2];
                    p[2..10].copy_from_slice(&model_handle(a.seed.expose(), a.id, step).0);
                    p[10..18].copy_from_slice(&step.to_be_bytes());
                }
                self.present(&Input::Payload(p), None, 0, None, ctx);
            }
            Action::RestartWithState => {
                let now = self.saved();
                self.restart_from(&now);
                self.durable();
            }
            Action::RestartFromSnapshot { pick } => {
                let saved = self.since_durable[pick % self.since_durable.len()].clone();
                self.restart_from(&saved);
                self.durable();
            }
            Action::RestartFromBackup { pick, later } => {
                let Some(saved) =
                    (!self.history.is_empty()).then(|| self.history[pick % self.history.len()].clone())
                else {
                    return;
                };
                let t = self.max_clock.max(self.params.t0()).saturating_add(later);
                self.restart_from(&saved);
                // R-STATE-5 at the verifier time (R-TIME-8).
                self.verifier.quarantine(t).unwrap();
                self.model.quarantine(t);
                self.losses += 1;
                let s = u128::from(self.model.step(self.model.verifier_time(t)).unwrap());
                self.q_saturated |= s + u128::from(self.params.forward()) + 1 > u128::from(u64::MAX);
                self.clock = t;
                self.max_clock = t;
                self.durable();
            }
            Action::RestartLostState { later } => {
                // The spec's assumption: the clock did not go back across the restart.
                let t = self.max_clock.max(self.params.t0()).saturating_add(later);
                // R-TIME-8: the list kept as configuration bounds the restart's time.
                let kept = self.rl.as_ref().map_or(0, RevocationList::issued_at);
                let mut v = Verifier::after_state_loss_above(self.params, TERMINAL, t, kept).unwrap();
                self.configure(&mut v);
                self.verifier = v;
                self.model.restart_lost_state(t);
                self.losses += 1;
                let s = u128::from(self.model.step(t.max(kept)).unwrap());
                self.q_saturated |= s + u128::from(self.params.forward()) + 1 > u128::from(u64::MAX);
                self.clock = t;
                self.max_clock = t;
                self.durable();
            }
            Action::RestartLostStateNow => {
                let t = self.clock;
                let Some(s) = self.model.step(t) else { return };
                // R-TIME-8: the list kept as configuration bounds the restart's time.
                let kept = self.rl.as_ref().map_or(0, RevocationList::issued_at);
                let mut v = Verifier::after_state_loss_above(self.params, TERMINAL, t, kept).unwrap();
                self.configure(&mut v);
                self.verifier = v;
                self.clock_went_back |= s < self.model.t_hw;
                self.model.restart_lost_state(t);
                self.losses += 1;
                let s = self.model.step(t.max(kept)).unwrap_or(s);
                self.q_saturated |=
                    u128::from(s) + u128::from(self.params.forward()) + 1 > u128::from(u64::MAX);
                self.max_clock = self.max_clock.max(t);
                self.durable();
            }
            Action::Forge { who } => self.forge(who, ctx),
            Action::Evict => {
                let got = self.verifier.evict(self.clock);
                let want = self.model.evict(self.clock);
                self.max_clock = self.max_clock.max(self.clock);
                assert_eq!(got, want, "{ctx}: evict");
                if got.is_ok() {
                    for profile in [Profile::Hmac, Profile::Ed25519] {
                        let rs = self.verifier.replay_state(profile);
                        assert_eq!(
                            rs.len(),
                            self.model.live_count(profile),
                            "{ctx}: R-REPLAY-4 entries left"
                        );
                    }
                    for e in &self.ed {
                        let serial = e.cred.fields().serial;
                        let kept =
                            self.model.spent.get(&serial).is_some_and(|s| !self.model.ledger_dead(s.1));
                        let rs = self.verifier.replay_state(Profile::Ed25519);
                        assert_eq!(rs.spent(serial).is_some(), kept, "{ctx}: R-LIMIT-2 ledger entry kept");
                    }
                }
            }
            Action::Revoke { key, delta, issued, mask, corrupt } => {
                self.revoke(key, delta, issued, mask, corrupt, ctx)
            }
        }
    }

    /// A wallet generates a code in the mode `kind` names (R-GEN-1, R-GEN-2,
    /// R-TIME-2, R-HMAC-4, R-MODE-1); the result must be the one the spec
    /// predicts. Returns its pool index.
    fn issue(
        &mut self,
        who: usize,
        offset: i64,
        jitter: i64,
        skip: u32,
        kind: Kind,
        ctx: &str,
    ) -> Option<usize> {
        let made = match kind {
            Kind::OneWay => Made::OneWay,
            Kind::Capped(cap) => Made::Capped(cap),
            Kind::Challenge(pick) => {
                if self.challenges.is_empty() {
                    self.challenge(None, 250, 0, 0, None);
                }
                let n = self.challenges.len();
                Made::Challenge(n - 1 - pick % n.min(2))
            }
        };
        let challenge = match made {
            Made::Challenge(k) => Some(self.challenges[k]),
            _ => None,
        };
        let purpose = match (made, &challenge) {
            (Made::Capped(cap), _) => Purpose::Capped(cap),
            (_, Some(c)) => Purpose::Challenge(c),
            _ => Purpose::OneWay,
        };
        let x = self.params.step_secs();
        let tw = shift(self.clock, offset, x, jitter % x as i64);
        let step = self.model.step(tw);
        let who = Who::of(who);
        let first = match who {
            Who::Hmac(i) => self.hmac[i].next,
            Who::Ed(i) => self.ed[i].next,
        };
        let counter = first.saturating_add(skip);
        let want = match step {
            None => Err(GenerateError::TimeBeforeEpoch),
            Some(_) if counter == u32::MAX => Err(GenerateError::CounterExhausted),
            Some(s) => Ok(s),
        };
        let (got, numeric) = match who {
            Who::Hmac(i) => {
                let a = &self.hmac[i];
                let mut wallet = HmacWallet::new(self.params, a.id, &a.seed, counter);
                match wallet.generate_for(tw, purpose) {
                    Ok(code) => {
                        assert_eq!(wallet.next_counter(), counter + 1, "{ctx}: R-GEN-1");
                        let n = wallet.numeric(&code);
                        let available = made == Made::OneWay && counter < 1 << 16;
                        assert_eq!(
                            n.err(),
                            (!available).then_some(GenerateError::NumericUnavailable),
                            "{ctx}: R-HMAC-4"
                        );
                        // The wire carries the counter masked with the step's pad (spec: R-HANDLE-2).
                        let pad = wallet.handle_for(code.step()).pad();
                        let real = code.masked_counter() ^ pad;
                        (Ok((code.step(), real, code.encode().to_vec())), n.ok().map(|n| n.value()))
                    }
                    Err(e) => (Err(e), None),
                }
            }
            Who::Ed(i) => {
                let e = &self.ed[i];
                let mut wallet = Ed25519Wallet::new(self.params, &e.seed, 0, e.cred, counter).unwrap();
                match wallet.generate_for(tw, purpose) {
                    Ok(code) => (Ok((code.step(), code.counter(), code.encode().to_vec())), None),
                    Err(e) => (Err(e), None),
                }
            }
        };
        match (got, want) {
            (Ok((s, c, payload)), Ok(step)) => {
                assert_eq!((s, c), (step, counter), "{ctx}: wallet step and counter");
                // R-MODE-1: mode · 16 + profile; the cap, when there is one,
                // right after the counter (§4.2, §4.5).
                let (profile, cap_at) = match who {
                    Who::Hmac(_) => (0x01, 22),
                    Who::Ed(_) => (0x02, 14),
                };
                let (mode, len) = match (made, who) {
                    (Made::OneWay, Who::Hmac(_)) => (0, 38),
                    (Made::Capped(_), Who::Hmac(_)) => (1, 42),
                    (Made::Challenge(_), Who::Hmac(_)) => (2, 38),
                    (Made::OneWay, Who::Ed(_)) => (0, 204),
                    (Made::Capped(_), Who::Ed(_)) => (1, 208),
                    (Made::Challenge(_), Who::Ed(_)) => (2, 204),
                };
                assert_eq!((payload[1], payload.len()), (mode * 16 + profile, len), "{ctx}: R-MODE-1 layout");
                if let Made::Capped(cap) = made {
                    assert_eq!(payload[cap_at..cap_at + 4], cap.to_be_bytes(), "{ctx}: the cap");
                }
                match who {
                    Who::Hmac(i) => self.hmac[i].next = counter + 1,
                    Who::Ed(i) => self.ed[i].next = counter + 1,
                }
                self.pool.push(Issued { who, step, counter, made, payload, numeric });
                Some(self.pool.len() - 1)
            }
            (Err(g), Err(w)) => {
                assert_eq!(g, w, "{ctx}: wallet error");
                None
            }
            (g, w) => panic!("{ctx}: wallet gave {g:?}, spec says {w:?}"),
        }
    }

    /// Presents pool code `i` with one bit flipped: a bit of `N` for the
    /// numeric form, else a payload bit; with the challenge the code was made
    /// for and its amount, so that only the flip can fail it.
    fn tamper(&mut self, i: usize, bit: usize, numeric: bool, ctx: &str) {
        let (challenge, amount) = self.call_for(i, Amount::Challenge, numeric, With::Own);
        let code = &self.pool[i];
        let input = match (numeric, code.numeric) {
            (true, Some(n)) => Input::Numeric(n ^ (1u128 << (bit % 79))),
            _ => {
                let mut p = code.payload.clone();
                let bit = bit % (p.len() * 8);
                p[bit / 8] ^= 0x80 >> (bit % 8);
                Input::Payload(p)
            }
        };
        self.present(&input, challenge.as_deref(), amount, None, ctx);
    }

    /// A misbehaving wallet: counter of pool code `i` with the step at clock + offset.
    fn reuse(&mut self, i: usize, offset: i64) -> Option<usize> {
        let old = self.pool[i].clone();
        let tw = shift(self.clock, offset, self.params.step_secs(), 0);
        let step = self.model.step(tw)?;
        let (payload, numeric, id) = match old.who {
            Who::Hmac(k) => {
                let a = &self.hmac[k];
                let wallet = HmacWallet::new(self.params, a.id, &a.seed, 0);
                let code = wallet.code_for(step, old.counter);
                let n = wallet.numeric(&code).ok().map(|n| n.value());
                (code.encode().to_vec(), n, (Profile::Hmac, a.id))
            }
            Who::Ed(k) => {
                let e = &self.ed[k];
                let wallet = Ed25519Wallet::new(self.params, &e.seed, 0, e.cred, 0).unwrap();
                let code = wallet.code_for(step, old.counter);
                (code.encode().to_vec(), None, (Profile::Ed25519, e.cred.fields().serial))
            }
        };
        if step != old.step {
            self.reused.insert((id, old.counter));
        }
        self.pool.push(Issued {
            who: old.who,
            step,
            counter: old.counter,
            made: Made::OneWay,
            payload,
            numeric,
        });
        Some(self.pool.len() - 1)
    }

    /// Presents a code of wallet `who` for the current step and counter 0,
    /// with the last byte (of the tag, or of the device signature) flipped.
    fn forge(&mut self, who: usize, ctx: &str) {
        let step = self.model.step(self.clock).unwrap_or(0);
        let mut payload = match Who::of(who) {
            Who::Hmac(i) => {
                let a = &self.hmac[i];
                HmacWallet::new(self.params, a.id, &a.seed, 0).code_for(step, 0).encode().to_vec()
            }
            Who::Ed(i) => {
                let e = &self.ed[i];
                Ed25519Wallet::new(self.params, &e.seed, 0, e.cred, 0)
                    .unwrap()
                    .code_for(step, 0)
                    .encode()
                    .to_vec()
            }
        };
        *payload.last_mut().unwrap() ^= 1;
        self.present(&Input::Payload(payload), None, 0, None, ctx);
    }

    fn show(&mut self, i: usize, numeric: bool, amount: Amount, with: With, ctx: &str) {
        let (input, challenge, value) = self.call(i, numeric, amount, with);
        self.present(&input, challenge.as_deref(), value, Some(i), ctx);
    }

    /// The inputs of a call that shows pool code `i` (in numeric form if
    /// `numeric` and it has one): the code, the challenge text and the amount.
    pub fn call(&self, i: usize, numeric: bool, amount: Amount, with: With) -> (Input, Option<String>, u64) {
        let (challenge, value) = self.call_for(i, amount, numeric, with);
        let code = &self.pool[i];
        let input = match (numeric, code.numeric) {
            (true, Some(n)) => Input::Numeric(n),
            _ => Input::Payload(code.payload.clone()),
        };
        (input, challenge, value)
    }

    /// The challenge text and the amount of a call that shows pool code `i`
    /// (in numeric form if `numeric` and it has one).
    fn call_for(&self, i: usize, amount: Amount, numeric: bool, with: With) -> (Option<String>, u64) {
        let code = &self.pool[i];
        let pick =
            |k: usize| (!self.challenges.is_empty()).then(|| self.challenges[k % self.challenges.len()]);
        let (text, challenge) = match with {
            With::Own => match code.made {
                Made::Challenge(k) => (Some(self.challenges[k].to_qr_text()), Some(self.challenges[k])),
                Made::OneWay | Made::Capped(_) => (None, None),
            },
            With::Nothing => (None, None),
            With::Pick(k) => (pick(k).map(|c| c.to_qr_text()), pick(k)),
            With::Broken(k) => (Some(BROKEN_CHALLENGES[k % BROKEN_CHALLENGES.len()].to_string()), None),
        };
        let numeric = numeric && code.numeric.is_some();
        let limits = match code.who {
            Who::Hmac(_) => None,
            Who::Ed(k) => Some(self.ed[k].cred.fields()),
        };
        let bound = match (code.made, limits) {
            (Made::Capped(cap), _) => u64::from(cap),
            _ if numeric => self.cfg.ceiling,
            (_, Some(f)) => u64::from(f.per_payment_limit),
            (_, None) => 5,
        };
        let value = match (amount, limits) {
            (Amount::Zero, _) => 0,
            (Amount::Small(a), _) => u64::from(a),
            (Amount::Max, _) => u64::MAX,
            (Amount::Bound(d), _) => bound.saturating_add_signed(i64::from(d)),
            (Amount::Challenge, _) => challenge.map_or(1, |c| c.amount()),
            (Amount::PerPayment | Amount::AbovePerPayment | Amount::HalfTotal, None) => 5,
            (Amount::PerPayment, Some(f)) => u64::from(f.per_payment_limit),
            (Amount::AbovePerPayment, Some(f)) => u64::from(f.per_payment_limit) + 1,
            (Amount::HalfTotal, Some(f)) => u64::from(f.cumulative_limit / 2),
        };
        (text, value)
    }

    /// The terminal shows a challenge (see [`Action::Challenge`]).
    fn challenge(&mut self, other: Option<u32>, amount: u64, edge: u8, delta: i64, reuse: Option<usize>) {
        let terminal = match other {
            None => TERMINAL,
            Some(t) if t == TERMINAL => TERMINAL + 1,
            Some(t) => t,
        };
        let issued_at = self.issued_at(edge, delta);
        let nonce = match reuse.filter(|_| !self.challenges.is_empty()) {
            Some(k) => {
                let n = *self.challenges[k % self.challenges.len()].nonce();
                self.reused_nonces.insert(n);
                n
            }
            None => {
                self.next_nonce += 1;
                let mut n = [0xc5; 16];
                n[8..].copy_from_slice(&self.next_nonce.to_be_bytes());
                n
            }
        };
        self.challenges.push(Challenge::new(terminal, amount, issued_at, nonce));
    }

    /// A challenge's `issued_at`: `delta` seconds from an edge of the rules,
    /// clamped to u64. The edges: the clock; the earliest time a challenge
    /// open now was issued (`t - C`); the latest one not from the future
    /// (`t + X`); the earliest C2 knows after a loss (`T0 + Q·X`); the one that
    /// closes at the start of the high-water step (`T0 + T_hw·X - C`); 0; and
    /// 2^64 - 1 (R-CHAL-3, R-CHAL-4).
    fn issued_at(&self, edge: u8, delta: i64) -> u64 {
        let (t, c, x) = (i128::from(self.clock), i128::from(self.cfg.lifetime), i128::from(self.cfg.x));
        let start = |s: u64| i128::from(self.cfg.t0) + i128::from(s) * x;
        let base = match edge % 7 {
            0 => t,
            1 => t - c,
            2 => t + x,
            3 => start(self.model.q),
            4 => start(self.model.t_hw) - c,
            5 => 0,
            _ => i128::from(u64::MAX),
        };
        (base + i128::from(delta)).clamp(0, i128::from(u64::MAX)) as u64
    }

    /// One verify call on both sides; verdicts must match exactly. `origin`
    /// is the pool index of the code, when a wallet made it as it is.
    fn present(
        &mut self,
        input: &Input,
        challenge: Option<&str>,
        amount: u64,
        origin: Option<usize>,
        ctx: &str,
    ) {
        let t = self.clock;
        self.max_clock = self.max_clock.max(t);
        let throttle = (self.model.throttle.clone(), self.model.source_budget);
        let want = self.model.verify(input, challenge, t, amount, &self.oracle);
        let text = input.text();
        // Every third call whose code and challenge decode goes through the
        // typed API, the others through the text API.
        self.calls += 1;
        let typed =
            self.calls.is_multiple_of(3).then(|| Code::parse(&text).ok()).flatten().and_then(|code| {
                match challenge.map(Challenge::parse) {
                    None => Some((code, None)),
                    Some(Ok(c)) => Some((code, Some(c))),
                    Some(Err(_)) => None,
                }
            });
        let got = match &typed {
            Some((code, c)) => {
                self.verifier.verify_payment(code, t, Payment { amount, challenge: c.as_ref() })
            }
            None => self.verifier.verify_text_payment(TextPayment { text: &text, amount, challenge }, t),
        }
        .map_err(|r| r.error());
        *self.verdicts.entry(got.as_ref().map_or_else(|e| e.code(), |_| "accepted")).or_default() += 1;
        self.last = Some(got.as_ref().map(|_| ()).map_err(|e| *e));
        match &got {
            // Durable before it is reported (R-STATE-1).
            Ok(_) => self.durable(),
            // A failure's charge is durable with its verdict, and so is the
            // T_hw of that call (R-STATE-6); nothing else is written.
            Err(Error::InvalidCode)
                if (self.model.throttle.clone(), self.model.source_budget) != throttle =>
            {
                let t_hw = self.model.t_hw;
                let now = self.verifier.state();
                self.since_durable.truncate(1);
                let d = &mut self.since_durable[0];
                d.state.hmac.high_water = t_hw;
                d.state.ed25519.high_water = t_hw;
                d.state.hmac.budgets = now.hmac.budgets;
                d.state.sources = now.sources;
                d.model.t_hw = t_hw;
                d.model.throttle.clone_from(&self.model.throttle);
                d.model.source_budget = self.model.source_budget;
            }
            Err(_) => {}
        }
        match (got, want) {
            (Ok(acc), Ok(m)) => {
                let r = acc.record;
                // spec: R-LOG-1: the accepted amount for both profiles, and the code itself.
                let key_id = match r.code() {
                    Some(paycode::Code::Ed25519(c)) => c.credential().fields().key_id,
                    _ => 0,
                };
                // R-HANDLE-1, R-HANDLE-2: an hmac record's evidence names the
                // account's handle for the step and the masked counter.
                if m.id.0 == Profile::Hmac {
                    let seed = self.oracle.enrolled[&m.id.1].expose();
                    let (handle, pad) = model_handle(seed, m.id.1, m.step);
                    let handle = u64::from_be_bytes(handle);
                    let want = match r.code() {
                        Some(paycode::Code::Numeric(_)) => (handle >> 34, m.counter ^ (pad >> 16)),
                        _ => (handle, m.counter ^ pad),
                    };
                    assert_eq!((r.subject(), r.counter()), want, "{ctx}: R-HANDLE-1 evidence");
                }
                assert_eq!(
                    (
                        r.profile(),
                        acc.subject,
                        key_id,
                        acc.counter,
                        r.step(),
                        r.amount,
                        r.accepted_at,
                        r.terminal_id
                    ),
                    // accepted_at is the verifier time max(t, φ) (R-TIME-8), which
                    // the model has just recorded as its last acceptance.
                    (m.id.0, m.id.1, m.key_id, m.counter, m.step, amount, self.model.last_accepted, TERMINAL),
                    "{ctx}: R-LOG-1 log record"
                );
                // R-REPLAY-1 holds for wallets that keep R-GEN-3, and outside the
                // one corner spec §12.9 leaves open (Q saturated, step 2^64 - 1).
                let pair = (m.id, m.counter);
                let excused = self.q_saturated && m.step == u64::MAX;
                let fresh_pair = self.ghost.insert(pair) || self.reused.contains(&pair);
                let fresh_code = self.ghost_codes.insert((m.id, m.counter, m.step));
                if !(excused || fresh_pair && fresh_code) {
                    // Only a restart that broke the clock assumption of spec §8.6 excuses it.
                    assert!(self.clock_went_back, "{ctx}: R-REPLAY-1: {pair:?} accepted twice");
                    self.exposures.push(pair);
                }
                self.check_terms(input, challenge, amount, origin, excused, ctx);
            }
            (Err(g), Err(w)) => assert_eq!(g, w, "{ctx}: error code for {input:?}"),
            (g, w) => panic!("{ctx}: verifier gave {g:?}, model says {w:?} for {input:?}"),
        }
    }

    /// What no acceptance may do, whatever the model says: pay a capped code
    /// above the cap its payer confirmed (R-CAP-2), a numeric code above
    /// `A_num` (R-CAP-3), a challenge code under any challenge but the one it
    /// was made for, or at another terminal, for another amount or outside
    /// the challenge's lifetime (R-CHAL-2, R-CHAL-3), and one challenge twice
    /// (R-CHAL-4). `excused`: the acceptance is the one spec §12.9 leaves open.
    fn check_terms(
        &mut self,
        input: &Input,
        challenge: Option<&str>,
        amount: u64,
        origin: Option<usize>,
        excused: bool,
        ctx: &str,
    ) {
        let mode = match input {
            Input::Numeric(_) => {
                assert!(amount <= self.cfg.ceiling, "{ctx}: R-CAP-3: a numeric code paid {amount}");
                return;
            }
            Input::Payload(p) => p[1] >> 4,
            Input::Garbage(_) => panic!("{ctx}: garbage accepted"),
        };
        if mode == 0 {
            return;
        }
        let i =
            origin.unwrap_or_else(|| panic!("{ctx}: a code of mode {mode} that no wallet made was accepted"));
        match self.pool[i].made {
            Made::OneWay => panic!("{ctx}: a one-way code was accepted as mode {mode}"),
            Made::Capped(cap) => {
                assert_eq!(mode, 1, "{ctx}: a capped code was accepted as mode {mode}");
                assert!(amount <= u64::from(cap), "{ctx}: R-CAP-2: a code capped at {cap} paid {amount}");
            }
            Made::Challenge(k) => {
                let c = self.challenges[k];
                assert_eq!(mode, 2, "{ctx}: a challenge code was accepted as mode {mode}");
                assert_eq!(
                    challenge,
                    Some(c.to_qr_text().as_str()),
                    "{ctx}: R-CHAL-2: accepted under another challenge"
                );
                assert_eq!(
                    (c.terminal_id(), c.amount()),
                    (TERMINAL, amount),
                    "{ctx}: R-CHAL-3: terminal and amount"
                );
                // At the verifier time max(t, φ) (R-TIME-8), the acceptance's accepted_at.
                let (t, issued) = (u128::from(self.model.last_accepted), u128::from(c.issued_at()));
                assert!(
                    t <= issued + u128::from(self.cfg.lifetime) && issued <= t + u128::from(self.cfg.x),
                    "{ctx}: R-CHAL-3: accepted while the challenge is not open"
                );
                let nonce = *c.nonce();
                if let Some((first, _)) = self.ghost_nonces.insert(nonce, (c, self.losses)) {
                    if excused || first != c && self.reused_nonces.contains(&nonce) {
                        // Q saturated (§12.9), or the terminal broke R-CHAL-1:
                        // another challenge with this nonce, after the first
                        // one's nonce was evicted.
                    } else if self.clock_went_back {
                        // A clock set back across a restart breaks the
                        // assumption of spec §8.6 (Section 12.8).
                        self.challenge_exposures.push(nonce);
                    } else {
                        panic!("{ctx}: R-CHAL-4: a second code accepted for challenge {c:?}");
                    }
                }
            }
        }
    }

    fn revoke(&mut self, key: usize, delta: i8, issued: usize, mask: u8, corrupt: bool, ctx: &str) {
        let key_id = [1u16, 2, 3][key % 3];
        // Mostly one or two above the newest (two may pass the bound of one a
        // minute, R-REVOKE-2), else at or below it.
        let delta = if delta > 2 { 1 } else { delta };
        let number =
            (i128::from(self.model.revoked.0) + i128::from(delta)).clamp(0, i128::from(u64::MAX)) as u64;
        let k2 = &self.oracle.trust[1];
        // The clock; the newest list's issue time (not before it, R-REVOKE-2);
        // the key's edges.
        let issued_at = [
            self.clock,
            self.model.revoked.1.max(k2.not_before),
            k2.not_before,
            k2.not_after,
            k2.not_before.saturating_sub(1),
            k2.not_after.saturating_add(1),
        ][issued % 6];
        let candidates = [self.ed[0].cred.fields().serial, self.ed[1].cred.fields().serial, 12_345];
        let serials: BTreeSet<u64> =
            candidates.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1).map(|(_, s)| *s).collect();
        // Fresh for a while after issue, or already past next_update.
        let next_update = issued_at.saturating_add([0, 120, 3_600][usize::from(mask >> 3) % 3]);
        let grace = [0u32, 60, 600][usize::from(mask >> 5) % 3];
        let header = ListHeader { key_id, number, issued_at, next_update, grace };
        let mut list = self.oracle.issuer.revocation_list(header, serials.iter().copied().collect()).unwrap();
        if corrupt {
            let mut bytes = list.encode();
            *bytes.last_mut().unwrap() ^= 1;
            list = RevocationList::decode(&bytes).unwrap();
        }
        let got = self.verifier.install_revocation_list(list.clone(), self.clock);
        let fresh_until = u128::from(next_update) + u128::from(grace);
        let t = self.clock;
        let want =
            self.model.install(&self.oracle, key_id, number, issued_at, fresh_until, &serials, !corrupt, t);
        assert_eq!(got, want, "{ctx}: R-REVOKE-1, R-REVOKE-2 install");
        if got.is_ok() {
            self.rl = Some(list);
            self.durable();
        }
    }

    /// State after every action: T_hw, Q, each identity's window, the
    /// number of entries, the ledger and the nonce set; `now` is a copy of
    /// the state.
    fn check_state(&self, now: &Saved, ctx: &str) {
        let real: BTreeMap<Nonce, u64> = now.state.challenges.iter().map(|c| (c.nonce, c.closes)).collect();
        // The verifier keeps `issued_at + C` saturated to u64; no u64 time is above either.
        let model: BTreeMap<Nonce, u64> =
            self.model.nonces.iter().map(|(n, c)| (*n, u64::try_from(*c).unwrap_or(u64::MAX))).collect();
        assert_eq!(real, model, "{ctx}: R-CHAL-4 nonce set N");
        for profile in [Profile::Hmac, Profile::Ed25519] {
            let rs = self.verifier.replay_state(profile);
            assert_eq!(rs.high_water(), self.model.t_hw, "{ctx}: R-TIME-5 T_hw");
            assert_eq!(rs.quarantine(), self.model.q, "{ctx}: R-REPLAY-5 Q");
            let known = self.model.entries.keys().filter(|id| id.0 == profile).count();
            assert!(rs.len() <= known, "{ctx}: R-REPLAY-6 more entries than identities");
        }
        let l = self.model.low();
        for &id in &self.idents {
            let real = self.verifier.replay_state(id.0).window(id.1);
            match self.model.window(id) {
                Some(w) => assert_eq!(real, Some(w), "{ctx}: R-REPLAY-2 window of {id:?}"),
                None => {
                    assert!(real.is_none_or(|r| r.top < l), "{ctx}: R-REPLAY-4 entry of {id:?}: {real:?}")
                }
            }
        }
        for e in &self.ed {
            let serial = e.cred.fields().serial;
            let real = self.verifier.replay_state(Profile::Ed25519).spent(serial);
            let model = self.model.spent.get(&serial);
            match (real, model) {
                (Some(r), Some(m)) => {
                    assert_eq!((u128::from(r.total), r.not_after), *m, "{ctx}: R-LIMIT-2 ledger of {serial}");
                }
                (None, Some(m)) => {
                    assert!(self.model.ledger_dead(m.1), "{ctx}: R-LIMIT-2 ledger of {serial} dropped")
                }
                (Some(r), None) => panic!("{ctx}: ledger of {serial} is {r:?}, model has none"),
                (None, None) => {}
            }
        }
    }
}

/// A copy of `w`'s verifier restored from its current state, throttle
/// records included (R-STATE-6).
pub fn restored_copy(w: &World) -> Verifier {
    w.restored(&w.saved())
}
