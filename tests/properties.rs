//! Property tests of the time, replay and throttle rules against an
//! executable model of the spec (spec §2, §5.3, §7.4, §8).
//!
//! `Model` is written from the spec text, not from `src/`. Its replay state is
//! the list of (counter, step) pairs accepted per identity since that
//! identity's entry was created; `H`, the bitmap and `top` are derived from it
//! on demand. The window bounds are computed as R-TIME-4 writes them.
//! Authenticity (TagOK, CredOK, SigOK) is decided by regenerating the genuine
//! encoding with the issuer's and the wallets' keys: HMAC and Ed25519 signing
//! are deterministic, so a code is authentic exactly when it equals the code
//! its owner would produce for the same fields. The model never calls the
//! verifier's own checks.
//!
//! The stateful properties drive the real `Verifier` and the model with the
//! same generated actions: verifier clock moves (back and forward, to the u64
//! extremes), wallet clock offsets, in-order, skipped, out-of-order and
//! replayed counters, both profiles and both hmac forms, bit flips, random
//! payloads, restarts with and without state, revocation list updates,
//! eviction, and amounts against the limits. At every step they require the
//! same verdict and error code, the same `T_hw` and `Q`, the same replay window
//! per identity, and a spend ledger that agrees; and they check the ghost
//! record of every acceptance for a second acceptance.
//!
//! Every property runs 1000 cases unless `PROPTEST_CASES` says otherwise.

// Test code: clippy.toml allows these inside #[test] functions; the helpers
// here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use paycode::GenerateError;
use paycode::InstallError;
use paycode::credential::MAX_VALIDITY_SECS;
use paycode::issuer::KeyPeriod;
use paycode::numeric::NumericCode;
use paycode::replay::Window;
use paycode::revocation::RevocationList;
use paycode::trust::TrustList;
use paycode::{
    Code, Credential, CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, Params, Profile, Seed,
    Verifier,
};
use proptest::strategy::Union;
use proptest::test_runner::FileFailurePersistence;
use proptest::{collection::vec, prelude::*};

const TERMINAL: u32 = 77;
const W: u64 = 64;
const NUMERIC_LIMIT: u128 = 1 << 79;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/properties.txt"
        )))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// A replay identity: (profile, subject).
type Ident = (Profile, u64);

/// What a verifier is handed.
#[derive(Clone, Debug)]
enum Input {
    /// Text that fails syntax by construction (see `GARBAGE`).
    Garbage(&'static str),
    /// QR text: `PC1:` + Base45 of these payload bytes.
    Payload(Vec<u8>),
    /// The 24 digits of this value.
    Numeric(u128),
}

impl Input {
    fn text(&self) -> String {
        match self {
            Input::Garbage(s) => (*s).to_string(),
            Input::Payload(p) => format!("PC1:{}", paycode::hazmat::base45::encode(p)),
            Input::Numeric(n) => format!("{n:024}"),
        }
    }
}

/// Everything that is not protocol state but decides authenticity: the
/// enrolled accounts' keys, the issuer, the trust list periods, the wallets.
struct Oracle {
    params: Params,
    enrolled: BTreeMap<u64, Seed>,
    issuer: Issuer,
    trust: Vec<KeyPeriod>,
    ed: Vec<(Credential, Seed)>,
}

impl Oracle {
    /// TagOK of an hmac QR code: the tag equals the one the account's wallet computes.
    fn qr_tag_ok(&self, account: u64, step: u64, counter: u32, tag: &[u8]) -> bool {
        let seed = &self.enrolled[&account];
        HmacWallet::new(self.params, account, seed, 0).code_for(step, counter).tag()[..] == *tag
    }

    /// TagOK of a numeric code for its reconstructed step.
    fn numeric_tag_ok(&self, account: u64, step: u64, counter: u32, tag29: u32) -> bool {
        let seed = &self.enrolled[&account];
        let wallet = HmacWallet::new(self.params, account, seed, 0);
        wallet.numeric(&wallet.code_for(step, counter)).is_ok_and(|n| n.tag() == tag29)
    }

    /// The issuer signature part of CredOK: the bytes are what the issuer
    /// signs for these fields (Ed25519 signatures are deterministic).
    fn credential_signed(&self, fields: CredentialFields, bytes: &[u8]) -> bool {
        self.ed.iter().any(|(c, _)| c.as_bytes()[..] == *bytes)
            || self.issuer.issue(fields).as_bytes()[..] == *bytes
    }

    /// SigOK: the payload is what the device key's wallet signs for this step and counter.
    fn code_signed(&self, device: [u8; 32], step: u64, counter: u32, payload: &[u8]) -> bool {
        self.ed.iter().find(|(c, _)| c.fields().device_key == device).is_some_and(|(c, seed)| {
            let w = Ed25519Wallet::new(self.params, seed, *c, 0).unwrap();
            w.code_for(step, counter).encode()[..] == *payload
        })
    }
}

/// The spec's verifier state σ = (T_hw, Q, E, Θ, Λ, RL) and its transitions.
#[derive(Clone, Debug)]
struct Model {
    t0: u64,
    x: u64,
    b: u64,
    f: u64,
    hmac_on: bool,
    ed_on: bool,
    t_hw: u64,
    q: u64,
    /// Per identity, the (counter, step) pairs accepted since its entry was
    /// created. An entry is live while its highest step is at least `L`.
    entries: BTreeMap<Ident, Vec<(u32, u64)>>,
    /// hmac throttle Θ: account -> (step, attempts reserved in that step).
    /// A record of another step counts 0 and is replaced when its account is
    /// next checked (H2); otherwise only `evict` drops records. With the clock
    /// set back, a past step can be current again, so when a record goes
    /// changes verdicts; the spec allows it at any time, the model at these two.
    throttle: BTreeMap<u64, (u64, u64)>,
    /// ed25519 spend ledger Λ: serial -> (exact sum, credential not_after).
    spent: BTreeMap<u64, (u128, u64)>,
    /// Installed revocation list RL: number and serials (initially (0, ∅)).
    revoked: (u64, BTreeSet<u64>),
}

/// An acceptance as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Accepted {
    id: Ident,
    key_id: u16,
    counter: u32,
    step: u64,
}

/// What an ed25519 acceptance also checks and records (C4).
struct Spend {
    amount: u64,
    per_payment: u64,
    total: u64,
    not_after: u64,
}

impl Model {
    fn new(p: Params, hmac_on: bool, ed_on: bool) -> Model {
        Model {
            t0: p.t0(),
            x: p.step_secs(),
            b: p.back(),
            f: p.forward(),
            hmac_on,
            ed_on,
            t_hw: 0,
            q: 0,
            entries: BTreeMap::new(),
            throttle: BTreeMap::new(),
            spent: BTreeMap::new(),
            revoked: (0, BTreeSet::new()),
        }
    }

    /// R-TIME-1, R-TIME-2: `T(t) = floor((t - T0) / X)`, none before the epoch.
    fn step(&self, t: u64) -> Option<u64> {
        if t < self.t0 { None } else { Some((t - self.t0) / self.x) }
    }

    /// `L = T_hw ⊖ B`, read after the V0 update.
    fn low(&self) -> u64 {
        self.t_hw.saturating_sub(self.b)
    }

    /// V0 .. C5 of spec §7.4 for input `input` at time `t` with amount `amount`.
    fn verify(&mut self, input: &Input, t: u64, amount: u64, o: &Oracle) -> Result<Accepted, Error> {
        // V0, R-TIME-5
        let s_now = self.step(t).ok_or(Error::TimeBeforeEpoch)?;
        self.t_hw = self.t_hw.max(s_now);
        match input {
            Input::Garbage(_) => Err(Error::Malformed),
            Input::Numeric(n) => {
                // V1.N
                if *n >= NUMERIC_LIMIT {
                    return Err(Error::Malformed);
                }
                if !self.hmac_on {
                    return Err(Error::UnsupportedProfile);
                }
                let account = (n >> 49) as u64;
                let low = ((n >> 45) & 0xf) as u64;
                let counter = ((n >> 29) & 0xffff) as u32;
                let tag29 = (n & 0x1fff_ffff) as u32;
                self.hmac(account, counter, s_now, o, |o| {
                    // R-HMAC-3: lo = min(s_now ⊖ 8, 2^64 - 16); the s in [lo, lo + 15]
                    // with s mod 16 = low.
                    let lo = s_now.saturating_sub(8).min(u64::MAX - 15);
                    let step = lo + (low + 16 - lo % 16) % 16;
                    o.numeric_tag_ok(account, step, counter, tag29).then_some(step)
                })
            }
            Input::Payload(p) => {
                // V1.3 - V1.6
                if p.is_empty() {
                    return Err(Error::Malformed);
                }
                if p[0] != 0x01 {
                    return Err(Error::UnsupportedVersion);
                }
                if p.len() < 2 {
                    return Err(Error::Malformed);
                }
                match p[1] {
                    0x01 if self.hmac_on => {
                        if p.len() != 38 {
                            return Err(Error::Malformed);
                        }
                        let account = u64::from_be_bytes(p[2..10].try_into().unwrap());
                        let step = u64::from_be_bytes(p[10..18].try_into().unwrap());
                        let counter = u32::from_be_bytes(p[18..22].try_into().unwrap());
                        let tag = &p[22..38];
                        self.hmac(account, counter, s_now, o, |o| {
                            o.qr_tag_ok(account, step, counter, tag).then_some(step)
                        })
                    }
                    0x02 if self.ed_on => {
                        if p.len() != 204 {
                            return Err(Error::Malformed);
                        }
                        self.ed25519(p, t, s_now, amount, o)
                    }
                    _ => Err(Error::UnsupportedProfile),
                }
            }
        }
    }

    /// H1 - H3, then the common checks. `auth` returns the code's step if its tag is right.
    fn hmac(
        &mut self,
        account: u64,
        counter: u32,
        s_now: u64,
        o: &Oracle,
        auth: impl FnOnce(&Oracle) -> Option<u64>,
    ) -> Result<Accepted, Error> {
        // H1
        if !o.enrolled.contains_key(&account) {
            return Err(Error::UnknownAccount);
        }
        // H2, R-HMAC-6: att(j) counts only in its own step; reserve an attempt.
        let att = match self.throttle.get(&account) {
            Some(&(step, n)) if step == s_now => n,
            _ => 0,
        };
        if att >= 8 {
            return Err(Error::Throttled);
        }
        self.throttle.insert(account, (s_now, att + 1));
        // H3: on a mismatch the reservation stays and counts as a failure.
        let Some(step) = auth(o) else {
            return Err(Error::InvalidCode);
        };
        self.throttle.insert(account, (s_now, att));
        self.common((Profile::Hmac, account), 0, step, counter, s_now, None)
    }

    /// E1 - E5, then the common checks.
    fn ed25519(&mut self, p: &[u8], t: u64, s_now: u64, amount: u64, o: &Oracle) -> Result<Accepted, Error> {
        let step = u64::from_be_bytes(p[2..10].try_into().unwrap());
        let counter = u32::from_be_bytes(p[10..14].try_into().unwrap());
        let cred = &p[14..140];
        let fields = CredentialFields {
            key_id: u16::from_be_bytes(cred[0..2].try_into().unwrap()),
            serial: u64::from_be_bytes(cred[2..10].try_into().unwrap()),
            device_key: cred[10..42].try_into().unwrap(),
            not_before: u64::from_be_bytes(cred[42..50].try_into().unwrap()),
            lifetime: u32::from_be_bytes(cred[50..54].try_into().unwrap()),
            per_payment_limit: u32::from_be_bytes(cred[54..58].try_into().unwrap()),
            cumulative_limit: u32::from_be_bytes(cred[58..62].try_into().unwrap()),
        };
        // E1
        let Some(key) = o.trust.iter().find(|k| k.key_id == fields.key_id) else {
            return Err(Error::UnknownIssuer);
        };
        // E2, R-ED-4 (every device key the issuer signs here is a valid point)
        let not_after = fields.not_before.checked_add(u64::from(fields.lifetime));
        let Some(not_after) = not_after.filter(|&na| {
            o.credential_signed(fields, cred)
                && u64::from(fields.lifetime) <= MAX_VALIDITY_SECS
                && fields.not_before >= key.not_before
                && na <= key.not_after
        }) else {
            return Err(Error::BadCredential);
        };
        // E3
        if t < fields.not_before {
            return Err(Error::NotYetValid);
        }
        if t > not_after {
            return Err(Error::Expired);
        }
        // E4
        if self.revoked.1.contains(&fields.serial) {
            return Err(Error::Revoked);
        }
        // E5
        if !o.code_signed(fields.device_key, step, counter, p) {
            return Err(Error::InvalidCode);
        }
        let spend = Spend {
            amount,
            per_payment: u64::from(fields.per_payment_limit),
            total: u64::from(fields.cumulative_limit),
            not_after,
        };
        self.common((Profile::Ed25519, fields.serial), fields.key_id, step, counter, s_now, Some(spend))
    }

    /// C1 - C5.
    fn common(
        &mut self,
        id: Ident,
        key_id: u16,
        step: u64,
        counter: u32,
        s_now: u64,
        spend: Option<Spend>,
    ) -> Result<Accepted, Error> {
        let l = self.low();
        let u = s_now.saturating_add(self.f);
        // C1, R-TIME-4
        if step < l {
            return Err(Error::TooOld);
        }
        if step > u {
            return Err(Error::TooNew);
        }
        // C2, R-REPLAY-5
        if step < self.q {
            return Err(Error::StateUnavailable);
        }
        // C3, R-REPLAY-2: an entry that is not live is absent.
        let live = self.live(id);
        if let Some(accepted) = &live {
            let h = accepted.iter().map(|a| a.0).max().unwrap();
            if u64::from(counter) + W <= u64::from(h) {
                return Err(Error::StaleCounter);
            }
            if accepted.iter().any(|a| a.0 == counter) {
                return Err(Error::Replayed);
            }
        }
        // C4, R-LIMIT-1, R-LIMIT-2 (exact sums)
        if let Some(s) = &spend {
            let before = self.spent.get(&id.1).map_or(0, |e| e.0);
            if s.amount > s.per_payment || before + u128::from(s.amount) > u128::from(s.total) {
                return Err(Error::OverLimit);
            }
        }
        // C5
        if live.is_some() {
            self.entries.get_mut(&id).unwrap().push((counter, step));
        } else {
            self.entries.insert(id, vec![(counter, step)]);
        }
        if let Some(s) = spend {
            let e = self.spent.entry(id.1).or_insert((0, s.not_after));
            e.0 += u128::from(s.amount);
        }
        Ok(Accepted { id, key_id, counter, step })
    }

    /// The accepted pairs of a live entry.
    fn live(&self, id: Ident) -> Option<Vec<(u32, u64)>> {
        let l = self.low();
        self.entries.get(&id).filter(|a| a.iter().map(|p| p.1).max().unwrap() >= l).cloned()
    }

    /// The window (H, bitmap, top) a live entry stands for (spec §8.1, §8.3).
    fn window(&self, id: Ident) -> Option<Window> {
        let accepted = self.live(id)?;
        let high = accepted.iter().map(|a| a.0).max().unwrap();
        let top = accepted.iter().map(|a| a.1).max().unwrap();
        let bitmap =
            accepted.iter().filter(|a| u64::from(high - a.0) < W).fold(0u64, |m, a| m | 1u64 << (high - a.0));
        Some(Window { high, bitmap, top })
    }

    fn live_count(&self, profile: Profile) -> usize {
        self.entries.keys().filter(|id| id.0 == profile && self.live(**id).is_some()).count()
    }

    /// Whether a ledger entry can no longer matter (R-LIMIT-2): `not_after <
    /// T0 + (L - F) * X`, saturating.
    fn ledger_dead(&self, not_after: u64) -> bool {
        let horizon = self.low().saturating_sub(self.f).saturating_mul(self.x).saturating_add(self.t0);
        not_after < horizon
    }

    /// The evict operation at time `t`: a call that observes the time (like
    /// V0), and the one moment throttle records of other steps than `T(t)` go
    /// (§8.4 evict: `Θ(j).step ≠ s_now`). Removing entries never changes a
    /// verdict here, because `live` treats an entry with `top < L` as absent.
    fn evict(&mut self, t: u64) -> Result<(), Error> {
        let s = self.step(t).ok_or(Error::TimeBeforeEpoch)?;
        self.t_hw = self.t_hw.max(s);
        self.throttle.retain(|_, r| r.0 == s);
        Ok(())
    }

    /// restart-with-state: σ as stored; Θ is volatile (R-REPLAY-5 allows it).
    fn restart_with_state(&mut self) {
        self.throttle.clear();
    }

    /// restart-lost-state at time `t` (R-REPLAY-5): E, Θ, Λ emptied, `T_hw := T(t)`,
    /// `Q := T(t) ⊕ F ⊕ 1`; RL is kept as installed configuration.
    fn restart_lost_state(&mut self, t: u64) {
        let s = self.step(t).unwrap();
        self.entries.clear();
        self.throttle.clear();
        self.spent.clear();
        self.t_hw = s;
        self.q = s.saturating_add(self.f).saturating_add(1);
    }

    /// install-revocation-list (R-REVOKE-1, R-REVOKE-2).
    fn install(
        &mut self,
        o: &Oracle,
        key_id: u16,
        number: u64,
        issued_at: u64,
        serials: &BTreeSet<u64>,
        signature_ok: bool,
    ) -> Result<(), InstallError> {
        if !self.ed_on {
            return Err(InstallError::NoTrustList);
        }
        let key = o.trust.iter().find(|k| k.key_id == key_id).ok_or(InstallError::UnknownKey)?;
        if issued_at < key.not_before || issued_at > key.not_after {
            return Err(InstallError::UnknownKey);
        }
        if !signature_ok {
            return Err(InstallError::BadSignature);
        }
        if number <= self.revoked.0 {
            return Err(InstallError::NotNewer);
        }
        self.revoked = (number, serials.clone());
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The world: real verifier, real wallets, and the model side by side
// ---------------------------------------------------------------------------

/// Texts that are malformed by construction (R-ENC-1, R-ENC-2, R-ENC-4).
const GARBAGE: &[&str] = &[
    "",
    "PC1",
    "PC1:",
    "pc1:BB8",
    "PC1:A",
    "PC1:GGW",
    "PC1:V5",
    "PC1:bb8",
    "PC1:BB8\n",
    "PC1:BB8=",
    "00000000000000000000000",
    "0000000000000000000000000",
    "999999999999999999999999",
    "604462909807314587353088",
    "00000000000000000000000a",
    " 00000000000000000000000",
    "PC2:BB8",
];

#[derive(Clone, Copy, Debug)]
enum Amount {
    Zero,
    PerPayment,
    AbovePerPayment,
    HalfTotal,
    Small(u16),
    Max,
}

#[derive(Clone, Debug)]
enum Action {
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
    },
    /// As `Fresh`, but the code is kept for later (out of order).
    Stash {
        who: usize,
        offset: i64,
        jitter: i64,
        skip: u32,
    },
    /// Any code seen so far (with `recent`, one of the last six), shown
    /// again or for the first time.
    Replay {
        pick: usize,
        recent: bool,
        numeric: bool,
        amount: Amount,
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
    /// A random payload; `account` pins bytes 2..10 to an enrolled account.
    Payload {
        bytes: Vec<u8>,
        account: Option<usize>,
    },
    RestartWithState,
    RestartLostState {
        later: u64,
    },
    Evict,
    Revoke {
        key: usize,
        delta: i8,
        issued: usize,
        mask: u8,
        corrupt: bool,
    },
}

#[derive(Clone, Debug)]
struct CredCfg {
    key_id: u16,
    serial: u64,
    back: u64,
    lifetime: u32,
    per_payment: u32,
    total: u32,
    first: u32,
}

#[derive(Clone, Debug)]
struct WorldCfg {
    t0: u64,
    x: u64,
    b: u64,
    f: u64,
    start: u64,
    hmac_on: bool,
    ed_on: bool,
    /// (account id, first counter); the third is not enrolled.
    accounts: [(u64, u32); 3],
    creds: [CredCfg; 2],
    /// Key 2's validity, as (seconds before start, seconds after start).
    key2: (u64, u64),
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Hmac(usize),
    Ed(usize),
}

#[derive(Clone, Debug)]
struct Issued {
    who: Who,
    step: u64,
    counter: u32,
    payload: Vec<u8>,
    numeric: Option<u128>,
}

struct HmacAccount {
    id: u64,
    seed: Seed,
    next: u32,
}

struct EdAccount {
    seed: Seed,
    cred: Credential,
    next: u32,
}

struct World {
    params: Params,
    cfg: WorldCfg,
    oracle: Oracle,
    hmac: Vec<HmacAccount>,
    ed: Vec<EdAccount>,
    trust: Option<TrustList>,
    verifier: Verifier,
    model: Model,
    clock: u64,
    max_clock: u64,
    pool: Vec<Issued>,
    rl: Option<RevocationList>,
    /// Every (identity, counter) accepted, over the whole run.
    ghost: BTreeSet<(Ident, u32)>,
    /// Every (identity, counter, step) accepted, over the whole run.
    ghost_codes: BTreeSet<(Ident, u32, u64)>,
    /// Pairs whose counter a misbehaving wallet reused with another step.
    reused: BTreeSet<(Ident, u32)>,
    idents: Vec<Ident>,
    /// A restart-lost-state saturated `Q` at 2^64 - 1 (spec §12.9).
    q_saturated: bool,
    /// How often each verdict occurred.
    verdicts: BTreeMap<&'static str, usize>,
}

fn shift(t: u64, steps: i64, x: u64, secs: i64) -> u64 {
    let v = i128::from(t) + i128::from(steps) * i128::from(x) + i128::from(secs);
    v.clamp(0, i128::from(u64::MAX)) as u64
}

impl World {
    fn new(cfg: WorldCfg) -> World {
        let params = Params::new(cfg.t0, cfg.x, cfg.b, cfg.f).unwrap();
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
                    device_key: Ed25519Wallet::device_public_key(&seed),
                    not_before: cfg.start.saturating_sub(c.back),
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
        let trust = cfg.ed_on.then(|| issuer.trust_list(&periods).unwrap());
        let oracle = Oracle {
            params,
            enrolled,
            issuer,
            trust: periods,
            ed: ed.iter().map(|e| (e.cred, e.seed.clone())).collect(),
        };
        let mut idents: Vec<Ident> = hmac.iter().map(|a| (Profile::Hmac, a.id)).collect();
        idents.extend(ed.iter().map(|e| (Profile::Ed25519, e.cred.fields().serial)));
        let model = Model::new(params, cfg.hmac_on, cfg.ed_on);
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
            idents,
            q_saturated: false,
            verdicts: BTreeMap::new(),
        };
        let mut v = Verifier::new(params, TERMINAL);
        w.configure(&mut v);
        w.verifier = v;
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
        if let Some(t) = &self.trust {
            v.set_trust_list(t.clone());
        }
        if let Some(rl) = &self.rl {
            // A restart with state already holds the list (it is durable state, spec §8.6).
            let r = v.install_revocation_list(rl.clone());
            let held = v.revocation_number() == Some(rl.number());
            assert!(r.is_ok() || (r == Err(paycode::InstallError::NotNewer) && held), "reinstalling: {r:?}");
        }
    }

    fn run(cfg: WorldCfg, actions: &[Action]) -> World {
        let mut w = World::new(cfg);
        w.check_state("start");
        for (i, a) in actions.iter().enumerate() {
            let ctx = format!("action {i} {a:?} at clock {}", w.clock);
            w.apply(a, &ctx);
            w.check_state(&ctx);
        }
        w
    }

    fn apply(&mut self, action: &Action, ctx: &str) {
        let x = self.params.step_secs();
        match *action {
            Action::Tick { steps, secs } => self.clock = shift(self.clock, steps, x, (secs % x) as i64),
            Action::Jump(t) => self.clock = t,
            Action::Fresh { who, offset, jitter, skip, numeric, amount } => {
                if let Some(i) = self.issue(who, offset, jitter, skip, ctx) {
                    self.show(i, numeric, amount, ctx);
                }
            }
            Action::Stash { who, offset, jitter, skip } => {
                self.issue(who, offset, jitter, skip, ctx);
            }
            Action::Replay { pick, recent, numeric, amount } => {
                let n = self.pool.len();
                if n > 0 {
                    let i = if recent { n - 1 - pick % n.min(6) } else { pick % n };
                    self.show(i, numeric, amount, ctx);
                }
            }
            Action::ReplayAll => {
                for i in 0..self.pool.len() {
                    self.show(i, false, Amount::Small(1), ctx);
                    self.show(i, true, Amount::Small(1), ctx);
                }
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
                    self.show(i, numeric, Amount::Small(1), ctx);
                }
            }
            Action::Reuse { pick, offset } => {
                if !self.pool.is_empty() {
                    let i = pick % self.pool.len();
                    if let Some(j) = self.reuse(i, offset) {
                        self.show(j, false, Amount::Zero, ctx);
                    }
                }
            }
            Action::Garbage(i) => self.present(&Input::Garbage(GARBAGE[i % GARBAGE.len()]), 0, ctx),
            Action::Payload { ref bytes, account } => {
                let mut p = bytes.clone();
                if let (Some(a), true) = (account, p.len() >= 10) {
                    p[2..10].copy_from_slice(&self.hmac[a % 2].id.to_be_bytes());
                }
                self.present(&Input::Payload(p), 0, ctx);
            }
            Action::RestartWithState => {
                let state = self.verifier.state();
                let mut v = Verifier::restore(self.params, TERMINAL, &state);
                self.configure(&mut v);
                self.verifier = v;
                self.model.restart_with_state();
            }
            Action::RestartLostState { later } => {
                // The spec's assumption: the clock did not go back across the restart.
                let t = self.max_clock.max(self.params.t0()).saturating_add(later);
                let mut v = Verifier::after_state_loss(self.params, TERMINAL, t).unwrap();
                self.configure(&mut v);
                self.verifier = v;
                self.model.restart_lost_state(t);
                let s = u128::from(self.model.step(t).unwrap());
                self.q_saturated |= s + u128::from(self.params.forward()) + 1 > u128::from(u64::MAX);
                self.clock = t;
                self.max_clock = t;
            }
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

    /// A wallet generates a code (R-GEN-1, R-GEN-2, R-TIME-2, R-HMAC-4); the
    /// result must be the one the spec predicts. Returns its pool index.
    fn issue(&mut self, who: usize, offset: i64, jitter: i64, skip: u32, ctx: &str) -> Option<usize> {
        let x = self.params.step_secs();
        let tw = shift(self.clock, offset, x, jitter % x as i64);
        let step = self.model.step(tw);
        let who = if who % 5 < 3 { Who::Hmac(who % 5) } else { Who::Ed(who % 5 - 3) };
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
                match wallet.generate(tw) {
                    Ok(code) => {
                        assert_eq!(wallet.next_counter(), counter + 1, "{ctx}: R-GEN-1");
                        let n = wallet.numeric(&code);
                        let available = a.id < 1 << 30 && counter < 1 << 16;
                        assert_eq!(
                            n.err(),
                            (!available).then_some(GenerateError::NumericUnavailable),
                            "{ctx}: R-HMAC-4"
                        );
                        (Ok((code.step(), code.counter(), code.encode().to_vec())), n.ok().map(|n| n.value()))
                    }
                    Err(e) => (Err(e), None),
                }
            }
            Who::Ed(i) => {
                let e = &self.ed[i];
                let mut wallet = Ed25519Wallet::new(self.params, &e.seed, e.cred, counter).unwrap();
                match wallet.generate(tw) {
                    Ok(code) => (Ok((code.step(), code.counter(), code.encode().to_vec())), None),
                    Err(e) => (Err(e), None),
                }
            }
        };
        match (got, want) {
            (Ok((s, c, payload)), Ok(step)) => {
                assert_eq!((s, c), (step, counter), "{ctx}: wallet step and counter");
                match who {
                    Who::Hmac(i) => self.hmac[i].next = counter + 1,
                    Who::Ed(i) => self.ed[i].next = counter + 1,
                }
                self.pool.push(Issued { who, step, counter, payload, numeric });
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
    /// numeric form, else a payload bit.
    fn tamper(&mut self, i: usize, bit: usize, numeric: bool, ctx: &str) {
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
        self.present(&input, 0, ctx);
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
                let wallet = Ed25519Wallet::new(self.params, &e.seed, e.cred, 0).unwrap();
                let code = wallet.code_for(step, old.counter);
                (code.encode().to_vec(), None, (Profile::Ed25519, e.cred.fields().serial))
            }
        };
        if step != old.step {
            self.reused.insert((id, old.counter));
        }
        self.pool.push(Issued { who: old.who, step, counter: old.counter, payload, numeric });
        Some(self.pool.len() - 1)
    }

    fn show(&mut self, i: usize, numeric: bool, amount: Amount, ctx: &str) {
        let code = &self.pool[i];
        let input = match (numeric, code.numeric) {
            (true, Some(n)) => Input::Numeric(n),
            _ => Input::Payload(code.payload.clone()),
        };
        let amount = match code.who {
            Who::Hmac(_) => 5,
            Who::Ed(k) => {
                let f = self.ed[k].cred.fields();
                match amount {
                    Amount::Zero => 0,
                    Amount::PerPayment => u64::from(f.per_payment_limit),
                    Amount::AbovePerPayment => u64::from(f.per_payment_limit) + 1,
                    Amount::HalfTotal => u64::from(f.cumulative_limit / 2),
                    Amount::Small(a) => u64::from(a),
                    Amount::Max => u64::MAX,
                }
            }
        };
        self.present(&input, amount, ctx);
    }

    /// One verify call on both sides; verdicts must match exactly.
    fn present(&mut self, input: &Input, amount: u64, ctx: &str) {
        let t = self.clock;
        self.max_clock = self.max_clock.max(t);
        let want = self.model.verify(input, t, amount, &self.oracle);
        let got = self.verifier.verify_text(&input.text(), t, amount);
        *self.verdicts.entry(got.as_ref().map_or_else(|e| e.code(), |_| "accepted")).or_default() += 1;
        match (got, want) {
            (Ok(acc), Ok(m)) => {
                let r = acc.record;
                let amount = if m.id.0 == Profile::Hmac { 0 } else { amount };
                assert_eq!(
                    (
                        r.profile,
                        r.subject,
                        r.key_id,
                        r.counter,
                        r.step,
                        r.amount,
                        r.accepted_at,
                        r.terminal_id
                    ),
                    (m.id.0, m.id.1, m.key_id, m.counter, m.step, amount, t, TERMINAL),
                    "{ctx}: R-LOG-1 log record"
                );
                // R-REPLAY-1 holds for wallets that keep R-GEN-3, and outside the
                // one corner spec §12.9 leaves open (Q saturated, step 2^64 - 1).
                let pair = (m.id, m.counter);
                let excused = self.q_saturated && m.step == u64::MAX;
                let fresh_pair = self.ghost.insert(pair);
                assert!(
                    fresh_pair || excused || self.reused.contains(&pair),
                    "{ctx}: R-REPLAY-1: {pair:?} accepted twice"
                );
                let fresh_code = self.ghost_codes.insert((m.id, m.counter, m.step));
                assert!(fresh_code || excused, "{ctx}: R-REPLAY-1: code accepted twice");
            }
            (Err(g), Err(w)) => assert_eq!(g, w, "{ctx}: error code for {input:?}"),
            (g, w) => panic!("{ctx}: verifier gave {g:?}, model says {w:?} for {input:?}"),
        }
    }

    fn revoke(&mut self, key: usize, delta: i8, issued: usize, mask: u8, corrupt: bool, ctx: &str) {
        let key_id = [1u16, 2, 3][key % 3];
        let number =
            (i128::from(self.model.revoked.0) + i128::from(delta)).clamp(0, i128::from(u64::MAX)) as u64;
        let k2 = &self.oracle.trust[1];
        let issued_at = [
            self.clock,
            k2.not_before,
            k2.not_after,
            k2.not_before.saturating_sub(1),
            k2.not_after.saturating_add(1),
        ][issued % 5];
        let candidates = [self.ed[0].cred.fields().serial, self.ed[1].cred.fields().serial, 12_345];
        let serials: BTreeSet<u64> =
            candidates.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1).map(|(_, s)| *s).collect();
        let mut list =
            self.oracle.issuer.revocation_list(key_id, number, issued_at, serials.iter().copied().collect());
        if corrupt {
            let mut bytes = list.encode();
            *bytes.last_mut().unwrap() ^= 1;
            list = RevocationList::decode(&bytes).unwrap();
        }
        let got = self.verifier.install_revocation_list(list.clone());
        let want = self.model.install(&self.oracle, key_id, number, issued_at, &serials, !corrupt);
        assert_eq!(got, want, "{ctx}: R-REVOKE-1, R-REVOKE-2 install");
        if got.is_ok() {
            self.rl = Some(list);
        }
    }

    /// State after every action: T_hw, Q, each identity's window, the
    /// number of entries, and the ledger.
    fn check_state(&self, ctx: &str) {
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

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

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
fn steps_after_epoch() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0u64..20,
        4 => 20_000_000u64..40_000_000,
        2 => (u64::MAX - 40)..=u64::MAX,
        1 => any::<u64>(),
    ]
}

/// A time from params: `T0 + steps * X + r`, saturating; sometimes before T0.
fn time_in(t0: u64, x: u64, steps: u64, r: u64, before: bool) -> u64 {
    if before && t0 > 0 {
        t0 - 1 - r % t0.min(1000)
    } else {
        t0.saturating_add(steps.saturating_mul(x)).saturating_add(r % x)
    }
}

fn world_strategy(numeric_capable: bool) -> impl Strategy<Value = WorldCfg> {
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
                prop_oneof![3 => Just(1_000u64), 2 => 0u64..100_000, 1 => Just(0u64), 1 => Just(u64::MAX)],
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
    (params, start, profiles, accounts, cred([1, u64::MAX]), cred([2, 0]), key2).prop_map(
        move |(
            (t0, x, b, f),
            (steps, r, before),
            (hmac_on, ed_on),
            (a0, a1, a2, c0, c1, c2),
            e0,
            e1,
            key2,
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
            }
        },
    )
}

/// How often each action is drawn (0 = never).
#[derive(Clone, Copy)]
struct Weights {
    tick: u32,
    jump: u32,
    fresh: u32,
    stash: u32,
    replay: u32,
    replay_all: u32,
    tamper: u32,
    burst: u32,
    reuse: u32,
    garbage: u32,
    payload: u32,
    restart_with_state: u32,
    restart_lost_state: u32,
    evict: u32,
    revoke: u32,
}

const BALANCED: Weights = Weights {
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
};

/// Mostly replays, out-of-order codes, clock moves and eviction.
const REPLAYS: Weights = Weights {
    fresh: 12,
    stash: 10,
    replay: 30,
    replay_all: 2,
    tamper: 1,
    payload: 0,
    garbage: 0,
    revoke: 0,
    jump: 0,
    ..BALANCED
};

/// Restarts of both kinds, each followed by replays.
const RESTARTS: Weights = Weights {
    restart_with_state: 6,
    restart_lost_state: 6,
    replay_all: 4,
    replay: 12,
    tamper: 1,
    payload: 0,
    garbage: 0,
    revoke: 1,
    ..BALANCED
};

/// Flipped codes and random payloads: the throttle.
const THROTTLE: Weights =
    Weights { tamper: 20, burst: 6, payload: 10, fresh: 15, replay: 8, revoke: 0, jump: 0, ..BALANCED };

/// ed25519: validity, revocation lists, amounts.
const OFFLINE: Weights =
    Weights { fresh: 25, replay: 10, revoke: 8, evict: 4, tamper: 2, jump: 0, ..BALANCED };

fn amount_strategy() -> impl Strategy<Value = Amount> {
    prop_oneof![
        Just(Amount::Zero),
        Just(Amount::PerPayment),
        Just(Amount::AbovePerPayment),
        Just(Amount::HalfTotal),
        any::<u16>().prop_map(Amount::Small),
        Just(Amount::Max),
    ]
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

fn payload_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..4),
        (any::<u8>(), vec(any::<u8>(), 0..40)).prop_map(|(b, rest)| [vec![1, b], rest].concat()),
        vec(any::<u8>(), 36).prop_map(|rest| [vec![1, 1], rest].concat()),
        vec(any::<u8>(), 202).prop_map(|rest| [vec![1, 2], rest].concat()),
        prop_oneof![Just(1u8), Just(2u8)].prop_flat_map(|p| vec(any::<u8>(), 0..210).prop_map(move |rest| [
            vec![1, p],
            rest
        ]
        .concat())),
    ]
}

fn action_strategy(w: Weights) -> BoxedStrategy<Action> {
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
                amount_strategy(),
            )
                .prop_map(|(who, offset, jitter, skip, numeric, amount)| Action::Fresh {
                    who,
                    offset,
                    jitter,
                    skip,
                    numeric,
                    amount,
                })
                .boxed(),
        ),
        (
            w.stash,
            (who_strategy(), wallet_offset(), any::<i64>(), skip_strategy())
                .prop_map(|(who, offset, jitter, skip)| Action::Stash { who, offset, jitter, skip })
                .boxed(),
        ),
        (
            w.replay,
            (any::<usize>(), prop::bool::weighted(0.7), any::<bool>(), amount_strategy())
                .prop_map(|(pick, recent, numeric, amount)| Action::Replay { pick, recent, numeric, amount })
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
    ];
    Union::new_weighted(options.into_iter().filter(|o| o.0 > 0).collect()).boxed()
}

fn actions(w: Weights, max: usize) -> impl Strategy<Value = Vec<Action>> {
    vec(action_strategy(w), 1..max)
}

// ---------------------------------------------------------------------------
// Stateful properties: real verifier and model, step by step
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Verdicts, error codes, T_hw, Q and replay windows agree with the model
    /// over a balanced mix of every action (R-VERIFY-1, R-VERIFY-2, R-VERIFY-3,
    /// R-TIME-4, R-TIME-5, R-REPLAY-2, R-REPLAY-4, R-REPLAY-6, R-HMAC-3).
    #[test]
    fn r_verify_1_r_time_4_r_time_5_r_replay_2_verdicts_match_model(
        cfg in world_strategy(false),
        acts in actions(BALANCED, 40),
    ) {
        World::run(cfg, &acts);
    }

    /// No (identity, counter) is accepted twice under any interleaving of
    /// fresh, stashed and replayed codes, clock jumps, eviction and restarts
    /// (R-REPLAY-1, R-REPLAY-2, R-REPLAY-4).
    #[test]
    fn r_replay_1_no_double_acceptance(
        cfg in world_strategy(false),
        acts in actions(REPLAYS, 50),
    ) {
        World::run(cfg, &acts);
    }

    /// A restart, with the state or without it, opens no replay hole: every
    /// code seen so far is replayed after restarts (R-REPLAY-1, R-REPLAY-5).
    #[test]
    fn r_replay_5_restart_opens_no_replay_hole(
        cfg in world_strategy(false),
        acts in actions(RESTARTS, 40),
    ) {
        World::run(cfg, &acts);
    }

    /// Throttling counts exactly the spec's invalid-code verdicts per account
    /// and step, in both hmac forms (R-HMAC-6, R-HMAC-3, R-HMAC-5).
    #[test]
    fn r_hmac_6_throttle_matches_model(
        cfg in world_strategy(true),
        acts in actions(THROTTLE, 50),
    ) {
        World::run(cfg, &acts);
    }

    /// Offline rules: validity, revocation list updates, per-payment and
    /// cumulative limits (R-LIMIT-1, R-LIMIT-2, R-REVOKE-2, R-REVOKE-3, R-ED-4).
    #[test]
    fn r_limit_1_r_limit_2_r_revoke_2_r_revoke_3_offline_rules_match_model(
        cfg in world_strategy(false),
        acts in actions(OFFLINE, 40),
    ) {
        World::run(cfg, &acts);
    }
}

// ---------------------------------------------------------------------------
// Window edges, fresh codes, state bounds
// ---------------------------------------------------------------------------

/// The three forms a code can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Qr,
    Numeric,
    Ed,
}

const FORMS: [Form; 3] = [Form::Qr, Form::Numeric, Form::Ed];
const ACCOUNT: u64 = 7;
const UNKNOWN_ACCOUNT: u64 = 8;

/// A verifier with one hmac account (numeric form available) and, unless
/// only hmac is needed, one ed25519 credential valid at time `t`; and the
/// matching wallets.
struct Single {
    verifier: Verifier,
    hmac: HmacWallet,
    ed: Option<Ed25519Wallet>,
    serial: u64,
    not_after: u64,
}

/// [`single`] without the ed25519 profile (its key derivations and
/// signatures dominate the cost of the hmac-only tests).
fn single_hmac(p: Params) -> Single {
    let seed = Seed::from_bytes(&[0x17; 32]);
    let mut verifier = Verifier::new(p, TERMINAL);
    verifier.add_account(ACCOUNT, &seed);
    Single { verifier, hmac: HmacWallet::new(p, ACCOUNT, &seed, 0), ed: None, serial: 0, not_after: 0 }
}

fn single_for(p: Params, t: u64, form: Form) -> Single {
    if form == Form::Ed { single(p, t) } else { single_hmac(p) }
}

fn single(p: Params, t: u64) -> Single {
    let seed = Seed::from_bytes(&[0x17; 32]);
    let device = Seed::from_bytes(&[0x29; 32]);
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[0x3b; 32]));
    let not_before = t.saturating_sub(1000);
    let lifetime = MAX_VALIDITY_SECS.min(u64::MAX - not_before) as u32;
    let fields = CredentialFields {
        key_id: 1,
        serial: 4242,
        device_key: Ed25519Wallet::device_public_key(&device),
        not_before,
        lifetime,
        per_payment_limit: 100,
        cumulative_limit: 1000,
    };
    let cred = issuer.issue(fields);
    let mut verifier = Verifier::new(p, TERMINAL);
    verifier.add_account(ACCOUNT, &seed);
    let period = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    verifier.set_trust_list(issuer.trust_list(&[period]).unwrap());
    Single {
        verifier,
        hmac: HmacWallet::new(p, ACCOUNT, &seed, 0),
        ed: Some(Ed25519Wallet::new(p, &device, cred, 0).unwrap()),
        serial: 4242,
        not_after: fields.not_after().unwrap(),
    }
}

impl Single {
    fn text(&self, form: Form, step: u64, counter: u32) -> String {
        match form {
            Form::Qr => self.hmac.code_for(step, counter).to_qr_text(),
            Form::Numeric => self.hmac.numeric(&self.hmac.code_for(step, counter)).unwrap().to_digits(),
            Form::Ed => self.ed.as_ref().unwrap().code_for(step, counter).to_qr_text(),
        }
    }

    /// Raises T_hw to the step of `t` with a call that is rejected before any state changes.
    fn observe(&self, t: u64) {
        let stranger =
            HmacWallet::new(*self.verifier.params(), UNKNOWN_ACCOUNT, &Seed::from_bytes(&[1; 32]), 0);
        let text = stranger.code_for(0, 0).to_qr_text();
        assert_eq!(self.verifier.verify_text(&text, t, 0).unwrap_err(), Error::UnknownAccount);
    }
}

fn params_strategy() -> impl Strategy<Value = (u64, u64, u64, u64)> {
    (t0_strategy(), step_len_strategy(), 0u64..=8, 0u64..=7)
}

/// The verdict spec §2.4 and R-HMAC-3 give a fresh code of step `s` at verifier step
/// `s_now` with high-water step `t_hw`, in unbounded integers (no saturation).
fn expected_window_verdict(form: Form, s: u64, s_now: u64, t_hw: u64, b: u64, f: u64) -> Result<(), Error> {
    let (s, s_now) = (i128::from(s), i128::from(s_now));
    let lo = (s_now - 8).clamp(0, i128::from(u64::MAX) - 15);
    if form == Form::Numeric && (s < lo || s > lo + 15) {
        return Err(Error::InvalidCode);
    }
    let low = i128::from(t_hw.max(s_now as u64)) - i128::from(b);
    let high = s_now + i128::from(f);
    if s < low {
        Err(Error::TooOld)
    } else if s > high {
        Err(Error::TooNew)
    } else {
        Ok(())
    }
}

/// Presents codes at the steps `L - 1`, `L`, `U`, `U + 1` (those that exist
/// in u64) at time `t`, after a call at `hw_time` raised T_hw.
fn check_edges(p: Params, t: u64, hw_time: u64, form: Form) {
    let one = single_for(p, t, form);
    one.observe(hw_time);
    let s_now = (t - p.t0()) / p.step_secs();
    let t_hw = s_now.max((hw_time - p.t0()) / p.step_secs());
    let low = i128::from(t_hw) - i128::from(p.back());
    let high = i128::from(s_now) + i128::from(p.forward());
    let edges = [low - 1, low.max(0), high.min(i128::from(u64::MAX)), high + 1];
    let mut counter = 0;
    for s in edges {
        let Ok(s) = u64::try_from(s) else { continue };
        let want = expected_window_verdict(form, s, s_now, t_hw, p.back(), p.forward());
        let got = one.verifier.verify_text(&one.text(form, s, counter), t, 0).map(|_| ());
        assert_eq!(got, want, "{form:?} step {s} at s_now {s_now}, T_hw {t_hw}, {p:?}");
        counter += 1;
    }
    if t_hw == s_now {
        // The edges as R-TIME-4 states them, for a clock that never went back.
        let (b, f) = (p.back(), p.forward());
        let verdict = |s: u64, c: u32| one.verifier.verify_text(&one.text(Form::Qr, s, c), t, 0).map(|_| ());
        if let Some(s) = s_now.checked_sub(b) {
            assert_eq!(verdict(s, 100), Ok(()), "T - B accepted");
        }
        if let Some(s) = s_now.checked_sub(b + 1) {
            assert_eq!(verdict(s, 101), Err(Error::TooOld), "T - B - 1 too old");
        }
        if let Some(s) = s_now.checked_add(f) {
            assert_eq!(verdict(s, 102), Ok(()), "T + F accepted");
        }
        if let Some(s) = s_now.checked_add(f + 1) {
            assert_eq!(verdict(s, 103), Err(Error::TooNew), "T + F + 1 too new");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Window edges are exact for every window configuration and every u64
    /// time, with and without a high-water step above the clock; times before
    /// T0 are an error, not a panic (R-TIME-2, R-TIME-3, R-TIME-4, R-TIME-5, R-HMAC-3).
    #[test]
    fn r_time_3_r_time_4_window_edges_exact(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        ahead in prop_oneof![4 => Just(0u64), 2 => 1u64..=20, 1 => any::<u64>()],
        form in prop::sample::select(FORMS.to_vec()),
        before in any::<u64>(),
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let s_now = (t - t0) / x;
        let hw_time = time_in(t0, x, s_now.saturating_add(ahead), 0, false).max(t);
        check_edges(p, t, hw_time, form);
        if t0 > 0 {
            let early = before % t0;
            let one = single_for(p, t, form);
            prop_assert_eq!(one.verifier.verify_text(&one.text(form, s_now, 0), early, 0).unwrap_err(), Error::TimeBeforeEpoch);
            prop_assert_eq!(one.verifier.evict(early), Err(Error::TimeBeforeEpoch));
            prop_assert_eq!(HmacWallet::new(p, 1, &Seed::from_bytes(&[1; 32]), 0).generate(early).unwrap_err(), GenerateError::TimeBeforeEpoch);
            prop_assert_eq!(one.verifier.replay_state(Profile::Hmac).high_water(), 0);
        }
    }

    /// A freshly generated code is accepted whenever the wallet clock's step is
    /// inside the window, and otherwise rejected as too-old or too-new (or, in
    /// numeric form outside the 16-step reconstruction range, invalid-code)
    /// (R-TIME-4, R-GEN-2, R-HMAC-3).
    #[test]
    fn r_time_4_fresh_code_accepted_inside_window(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        offset in prop_oneof![4 => -12i64..=12, 1 => any::<i64>()],
        jitter in any::<i64>(),
        form in prop::sample::select(FORMS.to_vec()),
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let tw = shift(t, offset, x, jitter % x as i64);
        let mut one = single_for(p, t, form);
        let s_now = (t - t0) / x;
        let text = match form {
            Form::Qr | Form::Numeric => one.hmac.generate(tw).map(|c| match form {
                Form::Qr => c.to_qr_text(),
                _ => one.hmac.numeric(&c).unwrap().to_digits(),
            }),
            Form::Ed => one.ed.as_mut().unwrap().generate(tw).map(|c| c.to_qr_text()),
        };
        if tw < t0 {
            prop_assert_eq!(text.unwrap_err(), GenerateError::TimeBeforeEpoch);
            return Ok(());
        }
        let sw = (tw - t0) / x;
        let got = one.verifier.verify_text(&text.unwrap(), t, 0).map(|_| ());
        let inside = i128::from(sw) >= i128::from(s_now) - i128::from(b) && i128::from(sw) <= i128::from(s_now) + i128::from(f);
        if inside {
            prop_assert_eq!(got, Ok(()));
        } else {
            prop_assert_eq!(got, expected_window_verdict(form, sw, s_now, s_now, b, f));
            prop_assert!(got.is_err());
        }
    }

    /// State is bounded: one window per identity that paid, exactly the spec's
    /// (H, bitmap, top); after evict only live windows remain, and a wallet idle
    /// past the window holds no state, nor, after its credential expired, a
    /// ledger entry (R-REPLAY-4, R-REPLAY-6, R-LIMIT-2).
    #[test]
    fn r_replay_4_r_replay_6_idle_wallet_holds_no_state(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        pays in vec((0usize..5, -8i64..=7, 0u32..3), 1..25),
        advance in 0u64..20,
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let s_now = (t - t0) / x;
        let mut one = single(p, t);
        let seeds: Vec<Seed> = (0..4).map(|i| Seed::from_bytes(&[0x70 + i; 32])).collect();
        for (i, s) in seeds.iter().enumerate() {
            one.verifier.add_account(100 + i as u64, s);
        }
        // Accepted (counter, step) per identity; each payer's counters increase.
        let mut accepted: BTreeMap<Ident, Vec<(u32, u64)>> = BTreeMap::new();
        let mut next = [0u32; 5];
        for &(who, off, skip) in &pays {
            let Ok(step) = u64::try_from(i128::from(s_now) + i128::from(off)) else { continue };
            let counter = next[who] + skip;
            next[who] = counter + 1;
            let (id, text) = if who < 4 {
                let w = HmacWallet::new(p, 100 + who as u64, &seeds[who], 0);
                ((Profile::Hmac, 100 + who as u64), w.code_for(step, counter).to_qr_text())
            } else {
                ((Profile::Ed25519, one.serial), one.text(Form::Ed, step, counter))
            };
            if one.verifier.verify_text(&text, t, 1).is_ok() {
                accepted.entry(id).or_default().push((counter, step));
            }
            for profile in [Profile::Hmac, Profile::Ed25519] {
                let n = accepted.keys().filter(|k| k.0 == profile).count();
                prop_assert!(one.verifier.replay_state(profile).len() <= n, "R-REPLAY-6: at most one entry per identity");
            }
        }
        for (id, acc) in &accepted {
            let high = acc.iter().map(|a| a.0).max().unwrap();
            let bitmap = acc.iter().fold(0u64, |m, a| m | 1 << (high - a.0));
            let top = acc.iter().map(|a| a.1).max().unwrap();
            prop_assert_eq!(one.verifier.replay_state(id.0).window(id.1), Some(Window { high, bitmap, top }));
        }
        // Some steps later, evict keeps exactly the windows with top >= L.
        let t2 = shift(t, advance as i64, x, 0);
        one.verifier.evict(t2).unwrap();
        let low = ((t2 - t0) / x).max(s_now).saturating_sub(b);
        for profile in [Profile::Hmac, Profile::Ed25519] {
            let live = accepted.iter().filter(|(id, acc)| id.0 == profile && acc.iter().any(|a| a.1 >= low)).count();
            prop_assert_eq!(one.verifier.replay_state(profile).len(), live);
        }
        for (id, acc) in &accepted {
            let top = acc.iter().map(|a| a.1).max().unwrap();
            prop_assert_eq!(one.verifier.replay_state(id.0).window(id.1).is_some(), top >= low);
        }
        // Idle past the window: once T_hw - B exceeds every top, nothing is left.
        let top = accepted.values().flat_map(|a| a.iter().map(|p| p.1)).max().unwrap_or(0);
        let last_step = (u64::MAX - t0) / x;
        if let Some(idle) = top.checked_add(b + 1).filter(|&s| s <= last_step) {
            let t3 = (t0 + idle * x).max(t2);
            one.verifier.evict(t3).unwrap();
            prop_assert!(one.verifier.replay_state(Profile::Hmac).is_empty());
            prop_assert!(one.verifier.replay_state(Profile::Ed25519).is_empty());
        } else {
            // No u64 time has a step B + 1 past the top: L never exceeds it,
            // and at the last second of u64 exactly the entries with top >= L stay.
            one.verifier.evict(u64::MAX).unwrap();
            let low = last_step.saturating_sub(b);
            let kept = accepted.values().filter(|a| a.iter().any(|p| p.1 >= low)).count();
            let len = one.verifier.replay_state(Profile::Hmac).len() + one.verifier.replay_state(Profile::Ed25519).len();
            prop_assert!(kept >= 1 || accepted.is_empty());
            prop_assert_eq!(len, kept);
        }
        // The ledger entry goes once no acceptable time can be inside the
        // credential's validity: T0 + (L - F) * X > not_after.
        if accepted.contains_key(&(Profile::Ed25519, one.serial)) {
            let after = (one.not_after.saturating_sub(t0) / x).checked_add(b + f + 2);
            if let Some(s4) = after {
                let t4 = time_in(t0, x, s4, 0, false);
                if u128::from(t0) + u128::from(s4 - b - f) * u128::from(x) > u128::from(one.not_after) && t4 < u64::MAX {
                    one.verifier.evict(t4).unwrap();
                    prop_assert_eq!(one.verifier.replay_state(Profile::Ed25519).spent(one.serial), None);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Numeric and QR forms, bit flips, canonical encodings
// ---------------------------------------------------------------------------

/// A copy of `w`'s verifier restored from its durable state (throttle records
/// are volatile, so the copy has none).
fn restored_copy(w: &World) -> Verifier {
    let mut v = Verifier::restore(w.params, TERMINAL, &w.verifier.state());
    w.configure(&mut v);
    v
}

/// Allowed rejections of a code with one bit changed, by form.
fn flip_verdicts(form: Form) -> &'static [Error] {
    match form {
        Form::Qr => &[
            Error::Malformed,
            Error::UnsupportedVersion,
            Error::UnsupportedProfile,
            Error::UnknownAccount,
            Error::InvalidCode,
        ],
        Form::Numeric => &[Error::Malformed, Error::UnknownAccount, Error::InvalidCode],
        Form::Ed => &[
            Error::Malformed,
            Error::UnsupportedVersion,
            Error::UnsupportedProfile,
            Error::UnknownIssuer,
            Error::BadCredential,
            Error::InvalidCode,
        ],
    }
}

/// `text` with one change: bit `bit` (of 0..7, so the text stays ASCII) of
/// character `pos`; or, with `payload`, bit `pos` of the binary payload (or of
/// `N` for the numeric form), re-encoded canonically.
fn flip(text: &str, form: Form, payload: bool, pos: usize, bit: u8) -> String {
    if !payload {
        let mut bytes = text.as_bytes().to_vec();
        let i = pos % bytes.len();
        bytes[i] ^= 1 << (bit % 7);
        return String::from_utf8(bytes).unwrap();
    }
    match form {
        Form::Numeric => {
            let n = NumericCode::parse(text).unwrap().value();
            format!("{:024}", n ^ 1 << (pos % 79))
        }
        Form::Qr | Form::Ed => {
            let mut p = paycode::hazmat::base45::decode(&text[4..]).unwrap();
            let i = pos % (p.len() * 8);
            p[i / 8] ^= 0x80 >> (i % 8);
            format!("PC1:{}", paycode::hazmat::base45::encode(&p))
        }
    }
}

/// Presents `flipped` and requires a rejection from `flip_verdicts` that
/// leaves the durable state as it was; then the genuine code is accepted.
fn check_flip(v: &Verifier, genuine: &str, flipped: &str, form: Form, t: u64) {
    let mut before = v.state();
    let got = v.verify_text(flipped, t, 0);
    assert!(
        got.as_ref().is_err_and(|e| flip_verdicts(form).contains(e)),
        "{form:?}: {flipped:?} (from {genuine:?}) gave {got:?}"
    );
    // Only T_hw may move (V0).
    let s_now = v.params().step_at(t).unwrap();
    for snap in [&mut before.hmac, &mut before.ed25519] {
        snap.high_water = snap.high_water.max(s_now);
    }
    assert_eq!(v.state(), before, "R-VERIFY-3: a rejection changed the state");
}

/// RFC 9285 decoding with the spec's canonical rules (R-ENC-2), written from
/// their text: every character in the 45-character alphabet, length not 1 mod
/// 3, each 3-character group at most 65535 and each final pair at most 255.
fn model_base45(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let values: Vec<u32> = s.chars().map(|c| ALPHABET.find(c).map(|i| i as u32)).collect::<Option<_>>()?;
    if values.len() % 3 == 1 {
        return None;
    }
    let mut out = Vec::new();
    for group in values.chunks(3) {
        match *group {
            [c, d, e] => {
                let n = c + d * 45 + e * 45 * 45;
                if n > 65535 {
                    return None;
                }
                out.extend_from_slice(&[(n / 256) as u8, (n % 256) as u8]);
            }
            [c, d] => {
                let n = c + d * 45;
                if n > 255 {
                    return None;
                }
                out.push(n as u8);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// V1 on a payload, from the layout alone (both profiles enabled).
fn model_payload_verdict(p: &[u8]) -> Result<(), Error> {
    match p {
        [] => Err(Error::Malformed),
        [v, ..] if *v != 1 => Err(Error::UnsupportedVersion),
        [_] => Err(Error::Malformed),
        [_, 1, ..] if p.len() == 38 => Ok(()),
        [_, 2, ..] if p.len() == 204 => Ok(()),
        [_, 1 | 2, ..] => Err(Error::Malformed),
        _ => Err(Error::UnsupportedProfile),
    }
}

fn base45_text_strategy() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".chars().collect();
    let other = vec!['a', 'z', '\n', '=', '_', 'é', '\0'];
    vec(prop_oneof![30 => prop::sample::select(alphabet), 1 => prop::sample::select(other)], 0..40)
        .prop_map(String::from_iter)
}

const HISTORY: Weights = Weights {
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
};

proptest! {
    #![proptest_config(config())]

    /// The numeric and the QR form of the same hmac code get the same verdict
    /// and the same log record, in any verifier state reached by a random
    /// history, whenever the code's step lies in the numeric reconstruction
    /// range [lo, lo + 15], lo = min(s_now ⊖ 8, 2^64 - 16) (that is
    /// [s_now - 8, s_now + 7] away from the ends of u64), and no throttling is involved (both
    /// verifiers are restored from the same durable state, which holds no
    /// throttle records). Outside that range the numeric form is invalid-code
    /// and the QR form too-old or too-new. The two forms share one replay
    /// identity: after one is accepted, the other is replayed (R-HMAC-3,
    /// R-REPLAY-1, R-HMAC-2, R-HMAC-1).
    #[test]
    fn r_hmac_3_numeric_and_qr_same_verdict(
        cfg in world_strategy(true),
        history in actions(HISTORY, 25),
        offset in prop_oneof![4 => -9i64..=8, 1 => -40i64..=40],
        pick in 0usize..4,
        skip in 0u32..80,
    ) {
        let w = World::run(cfg, &history);
        let a = &w.hmac[0];
        let wallet = HmacWallet::new(w.params, a.id, &a.seed, 0);
        let t = w.clock;
        let s_now = w.model.step(t);
        let step = shift(s_now.unwrap_or(0), offset, 1, 0);
        let id = (Profile::Hmac, a.id);
        let high = w.model.window(id).map(|win| win.high);
        let used = w.model.entries.get(&id).and_then(|e| e.first().map(|p| p.0));
        let counter = match pick {
            0 => a.next,
            1 => used.unwrap_or(a.next),
            2 => a.next.saturating_add(skip),
            _ => high.map_or(0, |h| h.saturating_sub(64 + skip)),
        } % (1 << 16);
        let qr = wallet.code_for(step, counter);
        let digits = wallet.numeric(&qr).unwrap().to_digits();
        let (v_qr, v_num) = (restored_copy(&w), restored_copy(&w));
        let by_qr = v_qr.verify_text(&qr.to_qr_text(), t, 0).map(|a| a.record);
        let by_num = v_num.verify_text(&digits, t, 0).map(|a| a.record);
        let lo = s_now.unwrap_or(0).saturating_sub(8).min(u64::MAX - 15);
        let in_range = s_now.is_none() || (step >= lo && step <= lo + 15);
        if in_range {
            prop_assert_eq!(by_qr, by_num);
        } else {
            prop_assert_eq!(by_num, Err(Error::InvalidCode));
            prop_assert!(matches!(by_qr, Err(Error::TooOld | Error::TooNew)), "{:?}", by_qr);
        }
        // The model agrees (its copy also loses the volatile throttle).
        let mut model = w.model.clone();
        model.restart_with_state();
        let want = model.verify(&Input::Payload(qr.encode().to_vec()), t, 0, &w.oracle).map(|_| ());
        prop_assert_eq!(by_qr.map(|_| ()), want);
        // One identity: whichever form was accepted, the other is now replayed.
        if by_qr.is_ok() && in_range {
            prop_assert_eq!(v_qr.verify_text(&digits, t, 0).unwrap_err(), Error::Replayed);
            prop_assert_eq!(v_num.verify_text(&qr.to_qr_text(), t, 0).unwrap_err(), Error::Replayed);
        }
    }

    /// Any single-bit change to a valid code (a bit of a character of its
    /// text, or a bit of its payload or of N) is rejected with a decode or
    /// authentication code and changes no state; the genuine code is accepted
    /// afterwards (R-ENC-2, R-HMAC-1, R-HMAC-2, R-ED-3, R-ED-5, R-VERIFY-3).
    #[test]
    fn r_enc_2_r_hmac_1_r_ed_5_single_bit_flip_rejected(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        form in prop::sample::select(FORMS.to_vec()),
        payload in any::<bool>(),
        pos in any::<usize>(),
        bit in 0u8..8,
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let one = single_for(p, t, form);
        let genuine = one.text(form, (t - t0) / x, 9);
        let flipped = flip(&genuine, form, payload, pos, bit);
        check_flip(&one.verifier, &genuine, &flipped, form, t);
        prop_assert!(one.verifier.verify_text(&genuine, t, 0).is_ok());
    }

    /// Base45: decode(encode(b)) = b for all bytes (R-ENC-1).
    #[test]
    fn r_enc_1_base45_round_trip(bytes in vec(any::<u8>(), 0..300)) {
        let text = paycode::hazmat::base45::encode(&bytes);
        prop_assert_eq!(text.len(), bytes.len() / 2 * 3 + bytes.len() % 2 * 2);
        prop_assert_eq!(paycode::hazmat::base45::decode(&text).unwrap(), bytes);
    }

    /// Base45 decoding accepts exactly the canonical strings (the model's
    /// reading of R-ENC-2), and encode(decode(s)) = s for every s that decodes.
    #[test]
    fn r_enc_2_base45_canonical(s in base45_text_strategy()) {
        let got = paycode::hazmat::base45::decode(&s);
        let want = model_base45(&s);
        prop_assert_eq!(got.as_ref().ok(), want.as_ref());
        if let Ok(bytes) = got {
            prop_assert_eq!(paycode::hazmat::base45::encode(&bytes), s);
        }
    }

    /// QR text: a payload decodes exactly when its layout is right, decoding
    /// gives back the same payload, and encode(decode(s)) = s for every s that
    /// decodes, including texts with characters changed (R-ENC-1, R-ENC-2, R-ENC-3).
    #[test]
    fn r_enc_1_r_enc_3_code_text_canonical(
        payload in payload_strategy(),
        edits in vec((any::<usize>(), prop::sample::select("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a".chars().collect::<Vec<_>>())), 0..3),
    ) {
        let text = format!("PC1:{}", paycode::hazmat::base45::encode(&payload));
        let parsed = Code::parse(&text);
        prop_assert_eq!(parsed.as_ref().map(|_| ()).map_err(|e| *e), model_payload_verdict(&payload));
        if let Ok(code) = parsed {
            prop_assert_eq!(code.to_text(), text.clone());
            let bytes = match &code {
                Code::Hmac(c) => c.encode().to_vec(),
                Code::Ed25519(c) => c.encode().to_vec(),
                Code::Numeric(_) => Vec::new(),
            };
            prop_assert_eq!(bytes, payload);
            prop_assert_eq!(Code::parse(&code.to_text()), Ok(code));
        }
        let mut chars: Vec<char> = text.chars().collect();
        for (pos, c) in edits {
            let i = 4 + pos % (chars.len() - 4).max(1);
            if i < chars.len() {
                chars[i] = c;
            }
        }
        let edited: String = chars.into_iter().collect();
        if let Ok(code) = Code::parse(&edited) {
            prop_assert_eq!(code.to_text(), edited);
        }
    }

    /// Numeric form: every N < 2^79 round-trips through its 24 digits with the
    /// fields of the layout; N >= 2^79, other lengths and non-digits are
    /// malformed (R-ENC-4, R-HMAC-2).
    #[test]
    fn r_enc_4_numeric_canonical(
        n in prop_oneof![3 => 0u128..NUMERIC_LIMIT, 1 => NUMERIC_LIMIT..10u128.pow(24)],
        junk_at in 0usize..24,
        junk in prop::sample::select(vec!['a', ' ', '+', '-', '.', 'Z', '\u{661}', '\0']),
        len in 0usize..40,
    ) {
        let s = format!("{n:024}");
        if n < NUMERIC_LIMIT {
            let c = NumericCode::parse(&s).unwrap();
            prop_assert_eq!(c.value(), n);
            prop_assert_eq!(c.to_digits(), s.clone());
            prop_assert_eq!(
                (c.account_id(), c.step_low(), c.counter(), c.tag()),
                ((n >> 49) as u64, (n >> 45 & 0xf) as u8, (n >> 29 & 0xffff) as u32, (n & 0x1fff_ffff) as u32)
            );
            let code = Code::parse(&s).unwrap();
            prop_assert_eq!(code.to_text(), s.clone());
            prop_assert_eq!(Code::parse(&code.to_text()), Ok(code));
        } else {
            prop_assert_eq!(NumericCode::parse(&s), Err(Error::Malformed));
            prop_assert_eq!(Code::parse(&s), Err(Error::Malformed));
        }
        let mut bad: Vec<char> = s.chars().collect();
        bad[junk_at] = junk;
        let bad: String = bad.into_iter().collect();
        prop_assert_eq!(Code::parse(&bad), Err(Error::Malformed));
        if len != 24 {
            prop_assert_eq!(Code::parse(&"7".repeat(len)), Err(Error::Malformed));
        }
    }
}

// ---------------------------------------------------------------------------
// Deterministic companions
// ---------------------------------------------------------------------------

/// Every window configuration the spec allows (B in 0..=8, F in 0..=7), at
/// the extremes of u64 time, for three step lengths and epochs
/// (R-TIME-3, R-TIME-4, R-TIME-6).
#[test]
fn r_time_4_window_edges_every_configuration_at_extremes() {
    for b in 0..=Params::MAX_BACK {
        for f in 0..=Params::MAX_FORWARD {
            for x in [1, 60, Params::MAX_STEP_SECS] {
                for t0 in [0, 1_000_003, u64::MAX - 30 * Params::MAX_STEP_SECS] {
                    let p = Params::new(t0, x, b, f).unwrap();
                    let times =
                        [Some(t0), t0.checked_add(x * b), t0.checked_add(31 * x - 1), Some(u64::MAX - 3 * x)];
                    for t in times.into_iter().flatten().filter(|&t| t >= t0).chain([u64::MAX]) {
                        for form in [Form::Qr, Form::Numeric] {
                            check_edges(p, t, t, form);
                            check_edges(p, t, t.saturating_add(3 * x), form);
                        }
                    }
                }
            }
            check_edges(Params::new(0, 1, b, f).unwrap(), u64::MAX, u64::MAX, Form::Ed);
            check_edges(Params::new(0, 60, b, f).unwrap(), 1_800_000_000, 1_800_000_000, Form::Ed);
        }
    }
    for (b, f) in [(9, 1), (2, 8)] {
        assert!(Params::new(0, 60, b, f).is_err());
    }
    for x in [0, Params::MAX_STEP_SECS + 1] {
        assert!(Params::new(0, x, 2, 1).is_err());
    }
}

/// Every single-bit change (bits 0-6 of each text character, every payload
/// bit, every bit of N) of one code of each form is rejected.
#[test]
fn r_enc_2_every_single_bit_flip_rejected() {
    let p = Params::default();
    let t = 1_800_000_000;
    let base = single(p, t);
    let s = p.step_at(t).unwrap();
    for (i, form) in FORMS.into_iter().enumerate() {
        // One counter per form: the QR and numeric forms share one identity.
        let genuine = base.text(form, s, 3 + i as u32);
        let payload_bits = match form {
            Form::Qr => 38 * 8,
            Form::Numeric => 79,
            Form::Ed => 204 * 8,
        };
        let text_flips = (0..genuine.len()).flat_map(|i| (0..7).map(move |b| (false, i, b)));
        let payload_flips = (0..payload_bits).map(|i| (true, i, 0));
        let mut n = 0;
        for (payload, pos, bit) in text_flips.chain(payload_flips) {
            // A fresh verifier per flip for hmac: eight invalid-code verdicts
            // would otherwise turn the rest into `throttled`.
            let fresh;
            let v = if form == Form::Ed {
                &base.verifier
            } else {
                fresh = single_hmac(p).verifier;
                &fresh
            };
            check_flip(v, &genuine, &flip(&genuine, form, payload, pos, bit), form, t);
            n += 1;
        }
        assert_eq!(n, genuine.len() * 7 + payload_bits);
        assert!(base.verifier.verify_text(&genuine, t, 0).is_ok(), "{form:?}: genuine code after the flips");
    }
}

/// Spec §12.9: with X = 1 and restart-lost-state at a time where T(t) + F + 1
/// exceeds 2^64 - 1, Q saturates and a code of step 2^64 - 1 accepted before
/// the restart is accepted again. The property tests excuse exactly this
/// case; this test pins that it exists and that it is the only one.
#[test]
fn r_replay_5_quarantine_saturation_is_the_documented_limit() {
    let p = Params::new(0, 1, 0, 0).unwrap();
    let t = u64::MAX;
    let one = single_hmac(p);
    let last = one.text(Form::Qr, u64::MAX, 0);
    assert!(one.verifier.verify_text(&last, t, 0).is_ok());
    let mut v = Verifier::after_state_loss(p, TERMINAL, t).unwrap();
    v.add_account(ACCOUNT, &Seed::from_bytes(&[0x17; 32]));
    assert_eq!(v.replay_state(Profile::Hmac).quarantine(), u64::MAX);
    assert!(v.verify_text(&last, t, 0).is_ok(), "the §12.9 exposure");
    // One step lower nothing saturates, and the quarantine holds.
    let one = single_hmac(p);
    let before = one.text(Form::Qr, u64::MAX - 1, 0);
    assert!(one.verifier.verify_text(&before, t - 1, 0).is_ok());
    let mut v = Verifier::after_state_loss(p, TERMINAL, t - 1).unwrap();
    v.add_account(ACCOUNT, &Seed::from_bytes(&[0x17; 32]));
    assert_eq!(v.verify_text(&before, t - 1, 0).unwrap_err(), Error::StateUnavailable);
}

/// R-REPLAY-1 rests on R-GEN-3: the verifier forgets an identity's counters
/// once its entry is evicted, so a wallet that reused a counter with a later
/// step would get the same (identity, counter) accepted twice. The same code
/// never is: its step is too old by then.
#[test]
fn r_replay_1_rests_on_r_gen_3() {
    let p = Params::new(0, 60, 2, 1).unwrap();
    let t = 6_000;
    let one = single_hmac(p);
    let first = one.text(Form::Qr, 100, 5);
    assert!(one.verifier.verify_text(&first, t, 0).is_ok());
    let later = t + 3 * 60;
    one.verifier.evict(later).unwrap();
    assert!(one.verifier.replay_state(Profile::Hmac).is_empty());
    assert_eq!(one.verifier.verify_text(&first, later, 0).unwrap_err(), Error::TooOld);
    assert!(one.verifier.verify_text(&one.text(Form::Qr, 103, 5), later, 0).is_ok());
}

/// The stateful generators reach every verdict of the closed list, and each
/// weighting reaches the verdicts it is there for, so no rule of the model
/// goes untested (checked over fixed seeds, 100 sequences per weighting).
#[test]
fn stateful_generators_reach_every_verdict() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let sets: [(&str, Weights, bool, &[&str]); 5] = [
        ("balanced", BALANCED, false, &["accepted", "replayed", "too-old", "too-new", "malformed"]),
        ("replays", REPLAYS, false, &["replayed", "stale-counter", "too-old"]),
        ("restarts", RESTARTS, false, &["state-unavailable", "replayed"]),
        ("throttle", THROTTLE, true, &["throttled", "invalid-code", "unknown-account"]),
        ("offline", OFFLINE, false, &["revoked", "over-limit", "expired", "not-yet-valid", "bad-credential"]),
    ];
    let mut all: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut runner = TestRunner::deterministic();
    for (name, w, numeric, wanted) in sets {
        let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
        for _ in 0..100 {
            let cfg = world_strategy(numeric).new_tree(&mut runner).unwrap().current();
            let acts = actions(w, 40).new_tree(&mut runner).unwrap().current();
            for (k, n) in World::run(cfg, &acts).verdicts {
                *seen.entry(k).or_default() += n;
                *all.entry(k).or_default() += n;
            }
        }
        eprintln!("{name}: {seen:?}");
        for v in wanted {
            assert!(seen.get(v).is_some_and(|&n| n >= 5), "{name} reached {v} fewer than 5 times: {seen:?}");
        }
    }
    let missing: Vec<&str> =
        Error::ALL.iter().map(|e| e.code()).chain(["accepted"]).filter(|c| !all.contains_key(c)).collect();
    assert!(missing.is_empty(), "never reached: {missing:?}; reached: {all:?}");
}
