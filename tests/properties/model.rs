//! The executable model of the spec: the verifier state σ and its
//! transitions (spec §7.4, §7.5, §8), authenticity decided by regenerating
//! genuine encodings, and the verdicts the spec gives for window edges (§2.4),
//! single bit flips, Base45 texts (R-ENC-2), payload layouts (V1) and
//! challenge texts (R-CHAL-1). Written from the spec text; nothing here calls
//! the verifier's own checks.

use std::collections::{BTreeMap, BTreeSet};

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use paycode::InstallError;
use paycode::credential::MAX_VALIDITY_SECS;
use paycode::issuer::KeyPeriod;
use paycode::replay::Window;
use paycode::{
    Challenge, Credential, CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, Params, Profile,
    Purpose, Seed,
};
use sha2::{Digest, Sha256};

/// The replay window's width in counters (spec §8.1).
const W: u64 = 64;
/// Numeric codes are the values below 2^79 (spec §4.3).
pub const NUMERIC_LIMIT: u128 = 1 << 79;

/// A replay identity: (profile, subject).
pub type Ident = (Profile, u64);

/// A challenge nonce (spec §4.9).
pub type Nonce = [u8; 16];

/// `DS_chal` (spec §3.3).
const DS_CHAL: &[u8] = b"paycode/v3/challenge\0";
/// The HKDF salt and the handle key's label (spec §3.2), and `DS_handle` (R-HANDLE-1).
const HKDF_SALT: &[u8] = b"paycode v3";
const LABEL_HANDLE_KEY: &[u8] = b"paycode/v3/hmac/handle-key\0";
const DS_HANDLE: &[u8] = b"paycode/v3/hmac/handle\0";
/// `M_h`, the most candidates a handle has (R-HANDLE-3).
const M_H: usize = 4;

/// R-HANDLE-1, from the spec's formulas: `K_h = HKDF(seed, label || u64(account))`,
/// `h = HMAC(K_h, DS_handle || u64(step))`; the handle `h[0..8]` and the pad `u32(h[8..12])`.
pub fn model_handle(seed: &[u8; 32], account: u64, step: u64) -> ([u8; 8], u32) {
    let mut k_h = [0u8; 32];
    Hkdf::<Sha256>::new(Some(HKDF_SALT), seed)
        .expand_multi_info(&[LABEL_HANDLE_KEY, &account.to_be_bytes()], &mut k_h)
        .unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&k_h).unwrap();
    mac.update(DS_HANDLE);
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    (h[..8].try_into().unwrap(), u32::from_be_bytes(h[8..12].try_into().unwrap()))
}

/// What a verifier is handed.
#[derive(Clone, Debug)]
pub enum Input {
    /// Text that fails syntax by construction (see `GARBAGE`).
    Garbage(&'static str),
    /// QR text: `PC3:` + Base45 of these payload bytes.
    Payload(Vec<u8>),
    /// The 24 digits of this value.
    Numeric(u128),
}

impl Input {
    pub fn text(&self) -> String {
        match self {
            Input::Garbage(s) => (*s).to_string(),
            Input::Payload(p) => format!("PC3:{}", paycode::hazmat::base45::encode(p)),
            Input::Numeric(n) => format!("{n:024}"),
        }
    }
}

/// Everything that is not protocol state but decides authenticity: the
/// enrolled accounts' keys, the issuer, the trust list periods, the wallets.
pub struct Oracle {
    pub params: Params,
    pub enrolled: BTreeMap<u64, Seed>,
    pub issuer: Issuer,
    pub trust: Vec<KeyPeriod>,
    pub ed: Vec<(Credential, Seed)>,
}

impl Oracle {
    /// H1 (R-HANDLE-3): the enrolled accounts whose handle for `step`
    /// matches (`numeric`: the top 30 bits of `handle`), in ascending account
    /// id, at most `M_h`, each with its pad.
    fn candidates(&self, step: u64, handle: u64, numeric: bool) -> Vec<(u64, u32)> {
        self.enrolled
            .iter()
            .map(|(&account, seed)| (account, model_handle(seed.expose(), account, step)))
            .filter(|(_, (h, _))| {
                let h = u64::from_be_bytes(*h);
                if numeric { h >> 34 == handle } else { h == handle }
            })
            .map(|(account, (_, pad))| (account, pad))
            .take(M_H)
            .collect()
    }

    /// TagOK of an hmac QR code: the payload equals the one the account's
    /// wallet makes for these fields, in this mode, over the digest of this
    /// challenge (R-HMAC-1, R-CHAL-2).
    fn qr_tag_ok(&self, account: u64, step: u64, counter: u32, mode: Mode, payload: &[u8]) -> bool {
        let seed = &self.enrolled[&account];
        let wallet = HmacWallet::new(self.params, account, seed, 0);
        mode.with_purpose(|purpose| wallet.code_as(step, counter, purpose).encode()[..] == *payload)
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

    /// SigOK: the payload is what the device key's wallet signs for this
    /// step, counter and mode, over the digest of this challenge (R-ED-5, R-CHAL-2).
    fn code_signed(&self, device: [u8; 32], step: u64, counter: u32, mode: Mode, payload: &[u8]) -> bool {
        self.ed.iter().find(|(c, _)| c.fields().device_key == device).is_some_and(|(c, seed)| {
            let w = Ed25519Wallet::new(self.params, seed, 0, *c, 0).unwrap();
            mode.with_purpose(|purpose| w.code_as(step, counter, purpose).encode()[..] == *payload)
        })
    }
}

/// A code's mode as the model decodes it (R-MODE-1), with what its tag or
/// signature covers beside the payload: the cap, or the call's challenge.
#[derive(Clone, Copy, Debug)]
enum Mode {
    OneWay,
    Capped(u32),
    Challenge(ModelChallenge),
}

impl Mode {
    /// Runs `f` with the wallet's purpose for this mode; a challenge is
    /// rebuilt from the fields the model decoded, and its digest is checked
    /// against the spec's `SHA-256(DS_chal || challenge)` computed here.
    fn with_purpose<R>(&self, f: impl FnOnce(Purpose<'_>) -> R) -> R {
        match self {
            Mode::OneWay => f(Purpose::OneWay),
            Mode::Capped(cap) => f(Purpose::Capped(*cap)),
            Mode::Challenge(g) => {
                let c = Challenge::new(g.terminal, g.amount, g.issued_at, g.nonce);
                assert_eq!(c.encode(), g.bytes, "R-CHAL-1: the challenge layout");
                let d: [u8; 32] = Sha256::new().chain_update(DS_CHAL).chain_update(g.bytes).finalize().into();
                assert_eq!(c.digest(), d, "R-CHAL-2: the challenge digest");
                f(Purpose::Challenge(&c))
            }
        }
    }
}

/// A challenge as the model decodes it from its text (R-CHAL-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelChallenge {
    pub bytes: [u8; 37],
    pub terminal: u32,
    pub amount: u64,
    pub issued_at: u64,
    pub nonce: Nonce,
}

/// R-CHAL-1: `PT3:` then canonical Base45 (R-ENC-2) of 37 bytes whose first
/// is `0x02`; every value of the other fields decodes.
pub fn model_challenge(text: &str) -> Option<ModelChallenge> {
    let bytes: [u8; 37] = model_base45(text.strip_prefix("PT3:")?)?.try_into().ok()?;
    (bytes[0] == 0x03).then(|| ModelChallenge {
        bytes,
        terminal: u32::from_be_bytes(bytes[1..5].try_into().unwrap()),
        amount: u64::from_be_bytes(bytes[5..13].try_into().unwrap()),
        issued_at: u64::from_be_bytes(bytes[13..21].try_into().unwrap()),
        nonce: bytes[21..37].try_into().unwrap(),
    })
}

/// A code decoded by V1, before V1.C.
struct Decoded {
    /// The mode number and, for a capped code, the cap (R-MODE-1); a numeric
    /// code is one-way.
    mode: u8,
    cap: Option<u32>,
    body: Body,
}

enum Body {
    Numeric { handle30: u64, low: u64, masked16: u32, tag29: u32 },
    HmacQr { handle: u64, step: u64, masked: u32 },
    Ed,
}

/// The spec's verifier state σ = (T_hw, Q, E, K, Θ, Λ, N, RL) and its transitions.
#[derive(Clone, Debug)]
pub struct Model {
    pub t0: u64,
    pub x: u64,
    pub b: u64,
    pub f: u64,
    /// The challenge lifetime `C` and the numeric ceiling `A_num` (spec §2.1).
    pub c: u64,
    pub a_num: u64,
    /// This verifier's `terminal_id`.
    pub terminal: u32,
    pub hmac_on: bool,
    pub ed_on: bool,
    pub t_hw: u64,
    pub q: u64,
    /// Per identity, the (counter, step) pairs accepted since its entry was
    /// created. An entry is live while its highest step is at least `L`.
    pub entries: BTreeMap<Ident, Vec<(u32, u64)>>,
    /// Counter marks K (R-REPLAY-7): identity -> (highest counter accepted,
    /// the step of that code). Kept when the entry goes; an ed25519 mark
    /// goes with its serial's ledger entry, which changes no verdict (E3).
    pub marks: BTreeMap<Ident, (u32, u64)>,
    /// Numeric failure budgets Θ (R-HMAC-7, R-HMAC-8): account -> `u`, and
    /// this verifier's own source budget (its terminal is the source of every
    /// call). A budget absent is 0. They are durable state like the rest
    /// (R-STATE-6): a restart keeps them; `evict` drops those `u ≤ T_hw`,
    /// which changes no verdict, since every later call's `T'` is at least `T_hw`.
    pub throttle: BTreeMap<u64, u64>,
    /// The source budget `u` of this verifier's terminal (R-HMAC-8).
    pub source_budget: u64,
    /// ed25519 spend ledger Λ: serial -> (exact sum, credential not_after).
    pub spent: BTreeMap<u64, (u128, u64)>,
    /// Revocation state RL: the newest installed list's number and
    /// issue time (initially (0, 0)), its `next_update + grace` (None: no
    /// list installed) and its serials.
    pub revoked: (u64, u64, Option<u128>, BTreeSet<u64>),
    /// The nonce set N (R-CHAL-4): nonce -> `issued_at + C`, exact. Removed
    /// only by `evict` (§8.4: `N(ν) < T0 + T_hw·X`) and with the rest of the
    /// state in restart-lost-state; C2 answers `state-unavailable` for every
    /// challenge whose nonce may have gone, so when it goes changes no
    /// verdict of a terminal that keeps R-CHAL-1 (a fresh nonce per challenge).
    pub nonces: BTreeMap<Nonce, u128>,
    /// The `accepted_at` of the last acceptance since the verifier started,
    /// a bound of the time floor (R-TIME-8). The verifier under test keeps
    /// no log, so a restart loses it; its high-water step stays.
    pub last_accepted: u64,
}

/// An acceptance as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub id: Ident,
    pub key_id: u16,
    pub counter: u32,
    pub step: u64,
    /// The challenge the code was accepted for.
    pub challenge: Option<ModelChallenge>,
}

/// What an ed25519 acceptance also checks and records (C4).
struct Spend {
    per_payment: u64,
    total: u64,
    not_after: u64,
}

/// What V2 settled for C2 - C5: the amount, the bound C4 checks it against
/// (a cap, or `A_num`) and its verdict, and the call's challenge.
#[derive(Clone, Copy)]
struct Terms {
    amount: u64,
    bound: Option<(u64, Error)>,
    challenge: Option<ModelChallenge>,
}

impl Model {
    pub fn new(p: Params, terminal: u32, hmac_on: bool, ed_on: bool) -> Model {
        Model {
            t0: p.t0(),
            x: p.step_secs(),
            b: p.back(),
            f: p.forward(),
            c: p.challenge_lifetime(),
            a_num: p.numeric_ceiling(),
            terminal,
            hmac_on,
            ed_on,
            t_hw: 0,
            q: 0,
            entries: BTreeMap::new(),
            marks: BTreeMap::new(),
            throttle: BTreeMap::new(),
            source_budget: 0,
            spent: BTreeMap::new(),
            revoked: (0, 0, None, BTreeSet::new()),
            nonces: BTreeMap::new(),
            last_accepted: 0,
        }
    }

    /// R-TIME-8: the time floor φ, the largest of the newest installed
    /// list's `issued_at`, the last `accepted_at` and `T0 ⊕ T_hw ⊗ X` once
    /// `T_hw > 0`.
    pub fn floor(&self) -> u64 {
        let high_water =
            if self.t_hw == 0 { 0 } else { self.t0.saturating_add(self.t_hw.saturating_mul(self.x)) };
        self.revoked.1.max(self.last_accepted).max(high_water)
    }

    /// R-TIME-8: the verifier time `max(t, φ)` every rule reads.
    pub fn verifier_time(&self, t: u64) -> u64 {
        t.max(self.floor())
    }

    /// R-TIME-1, R-TIME-2: `T(t) = floor((t - T0) / X)`, none before the epoch.
    pub fn step(&self, t: u64) -> Option<u64> {
        if t < self.t0 { None } else { Some((t - self.t0) / self.x) }
    }

    /// `L = T_hw ⊖ B`, read after the V0 update.
    pub fn low(&self) -> u64 {
        self.t_hw.saturating_sub(self.b)
    }

    /// V0 .. C5 of spec §7.4 for input `input` at time `t` with amount
    /// `amount`, and the challenge text `challenge` if the call has one.
    pub fn verify(
        &mut self,
        input: &Input,
        challenge: Option<&str>,
        t: u64,
        amount: u64,
        o: &Oracle,
    ) -> Result<Accepted, Error> {
        // R-TIME-8, then V0 and R-TIME-5 at the verifier time.
        let t = self.verifier_time(t);
        let s_now = self.step(t).ok_or(Error::TimeBeforeEpoch)?;
        self.t_hw = self.t_hw.max(s_now);
        // V1, V1.N
        let code = self.decode(input)?;
        // V1.C
        let gamma = match challenge {
            Some(text) => Some(model_challenge(text).ok_or(Error::Malformed)?),
            None => None,
        };
        // V2, R-CHAL-3
        let mode = match (code.mode, gamma) {
            (2, None) => return Err(Error::NoChallenge),
            (_, Some(_)) if code.mode != 2 => return Err(Error::ChallengeRequired),
            (_, Some(g)) => {
                if g.terminal != self.terminal || g.amount != amount {
                    return Err(Error::ChallengeMismatch);
                }
                let (t, issued) = (u128::from(t), u128::from(g.issued_at));
                if t > issued + u128::from(self.c) || issued > t + u128::from(self.x) {
                    return Err(Error::ChallengeExpired);
                }
                Mode::Challenge(g)
            }
            (_, None) => code.cap.map_or(Mode::OneWay, Mode::Capped),
        };
        // What C4 checks beside the ed25519 limits: the cap, or A_num for a numeric code.
        let bound = match (&code.body, code.cap) {
            (Body::Numeric { .. }, _) => Some((self.a_num, Error::OverCeiling)),
            (_, Some(cap)) => Some((u64::from(cap), Error::OverCap)),
            _ => None,
        };
        let terms = Terms { amount, bound, challenge: gamma };
        let verdict = match code.body {
            Body::Numeric { handle30, low, masked16, tag29 } => {
                // R-HMAC-3: lo = min(s_now ⊖ 8, 2^64 - 16); the s in [lo, lo + 15]
                // with s mod 16 = low.
                let lo = s_now.saturating_sub(8).min(u64::MAX - 15);
                let step = lo + (low + 16 - lo % 16) % 16;
                // R-HANDLE-2: c_j = masked16 ⊕ pad16_j.
                let counter = |pad: u32| masked16 ^ (pad >> 16);
                self.hmac(
                    step,
                    s_now,
                    true,
                    terms,
                    o,
                    |o| o.candidates(step, handle30, true),
                    |o, j, pad| o.numeric_tag_ok(j, step, counter(pad), tag29).then_some(counter(pad)),
                )
            }
            Body::HmacQr { handle, step, masked } => {
                let Input::Payload(p) = input else { unreachable!() };
                self.hmac(
                    step,
                    s_now,
                    false,
                    terms,
                    o,
                    |o| o.candidates(step, handle, false),
                    |o, j, pad| o.qr_tag_ok(j, step, masked ^ pad, mode, p).then_some(masked ^ pad),
                )
            }
            Body::Ed => {
                let Input::Payload(p) = input else { unreachable!() };
                self.ed25519(p, t, s_now, mode, terms, o)
            }
        };
        if verdict.is_ok() {
            // R-TIME-8: the record's accepted_at is the verifier time.
            self.last_accepted = self.last_accepted.max(t);
        }
        verdict
    }

    /// V1.1 - V1.7 and V1.N: the layout alone decides (R-MODE-1, R-ENC-3, R-ENC-4).
    fn decode(&self, input: &Input) -> Result<Decoded, Error> {
        let be = |b: &[u8]| b.iter().fold(0u64, |v, &x| v << 8 | u64::from(x));
        match input {
            Input::Garbage(_) => Err(Error::Malformed),
            Input::Numeric(n) => {
                if *n >= NUMERIC_LIMIT {
                    return Err(Error::Malformed);
                }
                if !self.hmac_on {
                    return Err(Error::UnsupportedProfile);
                }
                let body = Body::Numeric {
                    handle30: (n >> 49) as u64,
                    low: ((n >> 45) & 0xf) as u64,
                    masked16: ((n >> 29) & 0xffff) as u32,
                    tag29: (n & 0x1fff_ffff) as u32,
                };
                Ok(Decoded { mode: 0, cap: None, body })
            }
            Input::Payload(p) => {
                if p.is_empty() {
                    return Err(Error::Malformed);
                }
                if p[0] != 0x03 {
                    return Err(Error::UnsupportedVersion);
                }
                if p.len() < 2 {
                    return Err(Error::Malformed);
                }
                // The six second bytes of R-MODE-1, the profile's switch, the length.
                let (enabled, len) = match p[1] {
                    0x01 | 0x21 => (self.hmac_on, 38),
                    0x11 => (self.hmac_on, 42),
                    0x02 | 0x22 => (self.ed_on, 204),
                    0x12 => (self.ed_on, 208),
                    _ => return Err(Error::UnsupportedProfile),
                };
                if !enabled {
                    return Err(Error::UnsupportedProfile);
                }
                if p.len() != len {
                    return Err(Error::Malformed);
                }
                let mode = p[1] >> 4;
                let (cap, body) = if p[1] & 0x0f == 0x01 {
                    let body = Body::HmacQr {
                        handle: be(&p[2..10]),
                        step: be(&p[10..18]),
                        masked: be(&p[18..22]) as u32,
                    };
                    ((mode == 1).then(|| be(&p[22..26]) as u32), body)
                } else {
                    ((mode == 1).then(|| be(&p[14..18]) as u32), Body::Ed)
                };
                Ok(Decoded { mode, cap, body })
            }
        }
    }

    /// Whether a numeric code whose budget account is `account` (none: the
    /// code has no candidate) at step `s_now` is throttled: the source's or
    /// the account's budget is spent (R-HMAC-7, R-HMAC-8, R-HANDLE-4).
    pub fn numeric_throttled(&self, account: Option<u64>, s_now: u64) -> bool {
        let t = self.t_hw.max(s_now);
        let u = account.and_then(|a| self.throttle.get(&a).copied()).unwrap_or(0);
        self.source_budget.saturating_sub(t) > 63 * 3_600u64.div_ceil(self.x)
            || u.saturating_sub(t) > 3 * 86_400u64.div_ceil(self.x)
    }

    /// H0 - H3, then the common checks. `candidates` finds H1's candidates
    /// (account, pad); `tag_ok` gives a candidate's real counter if its tag
    /// is right (H2).
    #[allow(clippy::too_many_arguments)]
    fn hmac(
        &mut self,
        step: u64,
        s_now: u64,
        numeric: bool,
        terms: Terms,
        o: &Oracle,
        candidates: impl FnOnce(&Oracle) -> Vec<(u64, u32)>,
        tag_ok: impl Fn(&Oracle, u64, u32) -> Option<u32>,
    ) -> Result<Accepted, Error> {
        // H0, R-HANDLE-3: the window before the candidates.
        if step < self.low() {
            return Err(Error::TooOld);
        }
        if step > s_now.saturating_add(self.f) {
            return Err(Error::TooNew);
        }
        // H1, H2: the first candidate whose tag is right is the code's account.
        let candidates = candidates(o);
        let matched = candidates.iter().find_map(|&(j, pad)| tag_ok(o, j, pad).map(|c| (j, c)));
        // H3, R-HANDLE-4: the budget account is the matched one, else the
        // first candidate, else none.
        let budget = matched.map(|(j, _)| j).or(candidates.first().map(|&(j, _)| j));
        let t = self.t_hw.max(s_now);
        let (p, p_src) = (86_400u64.div_ceil(self.x), 3_600u64.div_ceil(self.x));
        if numeric && self.numeric_throttled(budget, s_now) {
            return Err(Error::Throttled);
        }
        let Some((account, counter)) = matched else {
            if numeric {
                self.source_budget = self.source_budget.max(t).saturating_add(p_src);
                if let Some(j) = budget {
                    let u = self.throttle.get(&j).copied().unwrap_or(0);
                    self.throttle.insert(j, u.max(t).saturating_add(p));
                }
            }
            return Err(Error::InvalidCode);
        };
        self.common((Profile::Hmac, account), 0, step, counter, s_now, None, terms)
    }

    /// E1 - E5, then the common checks.
    fn ed25519(
        &mut self,
        p: &[u8],
        t: u64,
        s_now: u64,
        mode: Mode,
        terms: Terms,
        o: &Oracle,
    ) -> Result<Accepted, Error> {
        let step = u64::from_be_bytes(p[2..10].try_into().unwrap());
        let counter = u32::from_be_bytes(p[10..14].try_into().unwrap());
        // The credential follows the counter, or the cap of a capped code (§4.5).
        let at = if p.len() == 208 { 18 } else { 14 };
        let cred = &p[at..at + 126];
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
        if self.revoked.3.contains(&fields.serial) {
            return Err(Error::Revoked);
        }
        // E4, R-REVOKE-4: no list, or t past next_update + grace, exact.
        if self.revoked.2.is_none_or(|f| u128::from(t) > f) {
            return Err(Error::RevocationStale);
        }
        // E5
        if !o.code_signed(fields.device_key, step, counter, mode, p) {
            return Err(Error::InvalidCode);
        }
        let spend = Spend {
            per_payment: u64::from(fields.per_payment_limit),
            total: u64::from(fields.cumulative_limit),
            not_after,
        };
        self.common(
            (Profile::Ed25519, fields.serial),
            fields.key_id,
            step,
            counter,
            s_now,
            Some(spend),
            terms,
        )
    }

    /// C1 - C5.
    #[allow(clippy::too_many_arguments)]
    fn common(
        &mut self,
        id: Ident,
        key_id: u16,
        step: u64,
        counter: u32,
        s_now: u64,
        spend: Option<Spend>,
        terms: Terms,
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
        // C2, R-CHAL-4: known(γ) ⇔ (Q = 0 ∨ issued_at ≥ T0 + (Q + 1)·X)
        // ∧ T0 + T'·X ≤ issued_at + C, exact; T' is T_hw after V0.
        if let Some(g) = &terms.challenge {
            let issued = u128::from(g.issued_at);
            let start = |s: u64| u128::from(self.t0) + u128::from(s) * u128::from(self.x);
            let lost = self.q > 0 && issued < start(self.q) + u128::from(self.x);
            if lost || start(self.t_hw) > issued + u128::from(self.c) {
                return Err(Error::StateUnavailable);
            }
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
        // C3, R-REPLAY-7: a counter at or below the mark with a later step.
        if let Some(&(h, s)) = self.marks.get(&id)
            && counter <= h
            && step > s
        {
            return Err(Error::CounterBehind);
        }
        // C3, R-CHAL-4
        if terms.challenge.is_some_and(|g| self.nonces.contains_key(&g.nonce)) {
            return Err(Error::ChallengeUsed);
        }
        // C4, R-CAP-2, R-CAP-3
        if let Some((limit, error)) = terms.bound
            && terms.amount > limit
        {
            return Err(error);
        }
        // C4, R-LIMIT-1, R-LIMIT-2 (exact sums)
        if let Some(s) = &spend {
            let before = self.spent.get(&id.1).map_or(0, |e| e.0);
            let amount = terms.amount;
            if amount > s.per_payment || before + u128::from(amount) > u128::from(s.total) {
                return Err(Error::OverLimit);
            }
        }
        // C5
        if live.is_some() {
            self.entries.get_mut(&id).unwrap().push((counter, step));
        } else {
            self.entries.insert(id, vec![(counter, step)]);
        }
        if self.marks.get(&id).is_none_or(|&(h, _)| counter > h) {
            self.marks.insert(id, (counter, step));
        }
        if let Some(s) = spend {
            let e = self.spent.entry(id.1).or_insert((0, s.not_after));
            e.0 += u128::from(terms.amount);
        }
        if let Some(g) = &terms.challenge {
            self.nonces.insert(g.nonce, u128::from(g.issued_at) + u128::from(self.c));
        }
        Ok(Accepted { id, key_id, counter, step, challenge: terms.challenge })
    }

    /// The accepted pairs of a live entry.
    fn live(&self, id: Ident) -> Option<Vec<(u32, u64)>> {
        let l = self.low();
        self.entries.get(&id).filter(|a| a.iter().map(|p| p.1).max().unwrap() >= l).cloned()
    }

    /// The window (H, bitmap, top) a live entry stands for (spec §8.1, §8.3).
    pub fn window(&self, id: Ident) -> Option<Window> {
        let accepted = self.live(id)?;
        let high = accepted.iter().map(|a| a.0).max().unwrap();
        let top = accepted.iter().map(|a| a.1).max().unwrap();
        let bitmap =
            accepted.iter().filter(|a| u64::from(high - a.0) < W).fold(0u64, |m, a| m | 1u64 << (high - a.0));
        Some(Window { high, bitmap, top })
    }

    pub fn live_count(&self, profile: Profile) -> usize {
        self.entries.keys().filter(|id| id.0 == profile && self.live(**id).is_some()).count()
    }

    /// Whether a ledger entry can no longer matter (R-LIMIT-2): `not_after <
    /// T0 + (L - F) * X`, saturating.
    pub fn ledger_dead(&self, not_after: u64) -> bool {
        let horizon = self.low().saturating_sub(self.f).saturating_mul(self.x).saturating_add(self.t0);
        not_after < horizon
    }

    /// The evict operation at time `t`: a call that observes the time (like
    /// V0), and the one moment failure budgets at or below `T_hw` go (§8.4
    /// evict), and so do the nonces of challenges
    /// closed before the start of the high-water step (`N(ν) < T0 + T_hw·X`).
    /// Removing entries never changes a verdict here, because `live` treats
    /// an entry with `top < L` as absent.
    pub fn evict(&mut self, t: u64) -> Result<(), Error> {
        let s = self.step(self.verifier_time(t)).ok_or(Error::TimeBeforeEpoch)?;
        self.t_hw = self.t_hw.max(s);
        let t_hw = self.t_hw;
        self.throttle.retain(|_, u| *u > t_hw);
        if self.source_budget <= t_hw {
            self.source_budget = 0;
        }
        let horizon = self.nonce_horizon();
        self.nonces.retain(|_, closes| *closes >= horizon);
        Ok(())
    }

    /// `T0 + T_hw·X`, exact: a nonce whose challenge closed before it may go (R-CHAL-4).
    pub fn nonce_horizon(&self) -> u128 {
        u128::from(self.t0) + u128::from(self.t_hw) * u128::from(self.x)
    }

    /// A start on a store that may have lost committed changes, at time `t`
    /// (R-STATE-5): the records are kept, `Q := max(Q, T(t) ⊕ F ⊕ 1)` and
    /// `T_hw := max(T_hw, T(t))`. (A restart with the complete state changes
    /// nothing: σ as stored, Θ included, R-STATE-6.)
    pub fn quarantine(&mut self, t: u64) {
        let s = self.step(self.verifier_time(t)).unwrap();
        self.q = self.q.max(s.saturating_add(self.f).saturating_add(1));
        self.t_hw = self.t_hw.max(s);
    }

    /// restart-lost-state at time `t` (R-REPLAY-5): E, K, Θ, Λ, N emptied, `T_hw := T(t)`,
    /// `Q := T(t) ⊕ F ⊕ 1`; RL is kept as installed configuration.
    pub fn restart_lost_state(&mut self, t: u64) {
        // R-TIME-8: of the floor's bounds only the list kept as configuration
        // survives (the verifier under test keeps no log).
        self.last_accepted = 0;
        let s = self.step(t.max(self.revoked.1)).unwrap();
        self.entries.clear();
        self.marks.clear();
        self.throttle.clear();
        self.source_budget = 0;
        self.spent.clear();
        self.nonces.clear();
        self.t_hw = s;
        self.q = s.saturating_add(self.f).saturating_add(1);
    }

    /// install-revocation-list (R-REVOKE-1, R-REVOKE-2): the list's fields
    /// one by one, as the spec's rule reads them.
    #[allow(clippy::too_many_arguments)]
    pub fn install(
        &mut self,
        o: &Oracle,
        key_id: u16,
        number: u64,
        issued_at: u64,
        fresh_until: u128,
        serials: &BTreeSet<u64>,
        signature_ok: bool,
        t: u64,
    ) -> Result<(), InstallError> {
        if !self.ed_on {
            return Err(InstallError::NoTrustList);
        }
        let t = self.verifier_time(t);
        let key = o.trust.iter().find(|k| k.key_id == key_id).ok_or(InstallError::UnknownKey)?;
        if issued_at < key.not_before || issued_at > key.not_after {
            return Err(InstallError::UnknownKey);
        }
        if !signature_ok {
            return Err(InstallError::BadSignature);
        }
        // R-REVOKE-2: newer than the newest installed, by at most one a
        // minute, issued no earlier, and not dated after t + X; exact.
        let (newest, newest_at) = (self.revoked.0, self.revoked.1);
        let most = u128::from(newest) + 1 + u128::from(issued_at.saturating_sub(newest_at) / 60);
        if number <= newest
            || u128::from(number) > most
            || issued_at < newest_at
            || u128::from(issued_at) > u128::from(t) + u128::from(self.x)
        {
            return Err(InstallError::NotNewer);
        }
        self.revoked = (number, issued_at, Some(fresh_until), serials.clone());
        Ok(())
    }
}

/// The three forms a code can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Qr,
    Numeric,
    Ed,
}

pub const FORMS: [Form; 3] = [Form::Qr, Form::Numeric, Form::Ed];

/// The verdict spec §2.4 and R-HMAC-3 give a fresh code of step `s` at verifier step
/// `s_now` with high-water step `t_hw`, in unbounded integers (no saturation).
pub fn expected_window_verdict(
    form: Form,
    s: u64,
    s_now: u64,
    t_hw: u64,
    b: u64,
    f: u64,
) -> Result<(), Error> {
    // R-TIME-8: the verifier time is at least the start of the high-water
    // step, so the step of the call is at least T_hw.
    let (s, s_now) = (i128::from(s), i128::from(s_now.max(t_hw)));
    let lo = (s_now - 8).clamp(0, i128::from(u64::MAX) - 15);
    // R-HMAC-3: a numeric code outside [lo, lo + 15] is read as the step of
    // that range with its low 4 bits, whose handle is not the code's: the
    // window (H0) judges that step, and inside it no candidate matches.
    let read = if form == Form::Numeric { lo + (s - lo).rem_euclid(16) } else { s };
    let low = i128::from(t_hw.max(s_now as u64)) - i128::from(b);
    let high = s_now + i128::from(f);
    if read < low {
        Err(Error::TooOld)
    } else if read > high {
        Err(Error::TooNew)
    } else if read != s {
        Err(Error::InvalidCode)
    } else {
        Ok(())
    }
}

/// Allowed rejections of a code with one bit changed, by form.
pub fn flip_verdicts(form: Form) -> &'static [Error] {
    match form {
        // A flip of the mode's low bit makes a one-way code a challenge code
        // (R-MODE-1), which a call without a challenge refuses (V2.1).
        Form::Qr => &[
            Error::Malformed,
            Error::UnsupportedVersion,
            Error::UnsupportedProfile,
            Error::NoChallenge,
            Error::TooOld,
            Error::TooNew,
            Error::InvalidCode,
        ],
        Form::Numeric => {
            &[Error::Malformed, Error::TooOld, Error::TooNew, Error::InvalidCode, Error::Throttled]
        }
        Form::Ed => &[
            Error::Malformed,
            Error::UnsupportedVersion,
            Error::UnsupportedProfile,
            Error::NoChallenge,
            Error::UnknownIssuer,
            Error::BadCredential,
            Error::InvalidCode,
        ],
    }
}

/// RFC 9285 decoding with the spec's canonical rules (R-ENC-2), written from
/// their text: every character in the 45-character alphabet, length not 1 mod
/// 3, each 3-character group at most 65535 and each final pair at most 255.
pub fn model_base45(s: &str) -> Option<Vec<u8>> {
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

/// V1 on a payload, from the layout alone (both profiles enabled; R-MODE-1, R-ENC-3).
pub fn model_payload_verdict(p: &[u8]) -> Result<(), Error> {
    match p {
        [] => Err(Error::Malformed),
        [v, ..] if *v != 3 => Err(Error::UnsupportedVersion),
        [_] => Err(Error::Malformed),
        [_, 0x01 | 0x21, ..] if p.len() == 38 => Ok(()),
        [_, 0x11, ..] if p.len() == 42 => Ok(()),
        [_, 0x02 | 0x22, ..] if p.len() == 204 => Ok(()),
        [_, 0x12, ..] if p.len() == 208 => Ok(()),
        [_, 0x01 | 0x02 | 0x11 | 0x12 | 0x21 | 0x22, ..] => Err(Error::Malformed),
        _ => Err(Error::UnsupportedProfile),
    }
}
