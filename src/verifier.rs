//! The verifier: the acceptance predicate over a state store (spec §7, §8).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use subtle::ConstantTimeEq;

use crate::acceptance::{Attempt, Bound, ChallengeClaim, Proof, Spend, decide_into, eviction};
use crate::challenge::Challenge;
use crate::code::{Code, DS_ED25519_CODE, DS_HMAC_QR, Ed25519Code, HMAC_MACED_LEN, HmacCode, qr_profile};
use crate::codec::Writer;
use crate::credential::{CREDENTIAL_LEN, Credential};
use crate::eddsa::{self, PublicKey, Signed};
use crate::errors::{Error, InstallError};
use crate::handle::{MAX_CANDIDATES, StepHandle, StepIndex};
use crate::keys::{HmacKeys, Seed};
use crate::log::LogRecord;
use crate::memory::MemoryStore;
pub use crate::memory::VerifierState;
use crate::profile::{Mode, Profile};
use crate::replay::{IdHashing, ReplayState};
use crate::revocation::RevocationList;
use crate::shared::ReadMostly;
use crate::store::{Call, Changes, Identity, Records, StateStore, StoreError};
use crate::time::Params;
use crate::trust::TrustList;

/// The key a code whose handle names no account here is checked under, so
/// that its check takes the time one candidate's takes (spec: R-HMAC-9). Its
/// result is never used: such a code is `invalid-code` whatever its tag.
static DUMMY_KEYS: LazyLock<HmacKeys> = LazyLock::new(|| HmacKeys::derive(0, &Seed::from_bytes(&[0; 32])));

/// Most credentials kept verified in the cache before expired ones are dropped.
const CREDENTIAL_CACHE_LIMIT: usize = 1 << 20;

/// A verifier of both profiles: an hmac back end (enrolled accounts), an
/// offline ed25519 terminal (trust list, revocation list), or both, over a
/// [`StateStore`] that keeps its state: in memory by default
/// ([`MemoryStore`]), or in a database (`paycode-store`).
///
/// Time is a parameter of every call, never read here (spec: R-TIME-7).
/// `Verifier` is `Sync`: share it between threads by reference.
///
/// ```
/// use paycode::{Code, Error, HmacWallet, Params, Seed, Verifier};
/// let params = Params::default();
/// let seed = Seed::from_bytes(&[1; 32]);
/// let mut wallet = HmacWallet::new(params, 42, &seed, 0);
/// let mut verifier = Verifier::new(params, 1);
/// verifier.add_account(42, &seed);
/// let text = wallet.generate(1_800_000_000).unwrap().to_qr_text();
/// let code = Code::parse(&text).unwrap();
/// assert!(verifier.verify(&code, 1_800_000_000, 0).is_ok());
/// assert_eq!(verifier.verify(&code, 1_800_000_000, 0).unwrap_err(), Error::Replayed);
/// ```
#[derive(Debug)]
pub struct Verifier<S = MemoryStore> {
    params: Params,
    terminal_id: u32,
    accounts: Option<Arc<Accounts>>,
    /// The issuer's root public key, which signs trust lists (spec: R-TRUST-3).
    root: Option<PublicKey>,
    trust: Option<TrustList>,
    /// The stored revocation list failed the re-check against the trust
    /// list: it counts as uninstalled, and stays in the store as the floor
    /// of the next install (spec: R-REVOKE-6).
    withdrawn: AtomicBool,
    credentials: RwLock<HashMap<u64, CachedCredential, IdHashing>>,
    store: S,
    /// The time floor's bounds seen so far (spec: R-TIME-8); see [`Verifier::time_floor`].
    floor: AtomicU64,
}

#[derive(Clone, Copy, Debug)]
struct CachedCredential {
    bytes: [u8; CREDENTIAL_LEN],
    device: PublicKey,
}

/// A payment's inputs beside the code and the time: the amount, and in
/// challenge mode the terminal's challenge (spec §7.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Payment<'a> {
    /// The amount, minor units.
    pub amount: u64,
    /// The challenge the terminal showed, for a challenge-mode payment.
    pub challenge: Option<&'a Challenge>,
}

/// A payment in text, as [`Verifier::verify_payments_with_cause`] takes it:
/// the scanned code, the amount, and the challenge's QR text if any.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextPayment<'a> {
    /// The scanned text: QR text or digits.
    pub text: &'a str,
    /// The amount, minor units.
    pub amount: u64,
    /// The challenge's QR text (`PT3:...`), for a challenge-mode payment.
    pub challenge: Option<&'a str>,
}

/// What step V2 settled for a code: the challenge digest its MAC or
/// signature covers, the challenge's claim on the nonce set, and the bound
/// on the amount (spec: R-CHAL-3, R-CAP-2, R-CAP-3).
#[derive(Clone, Copy, Debug, Default)]
struct Terms<'p> {
    digest: Option<[u8; 32]>,
    /// The challenge itself, for the log record (spec: R-LOG-1).
    asked: Option<&'p Challenge>,
    /// The payment's amount, for the log record.
    amount: u64,
    challenge: Option<ChallengeClaim>,
    bound: Option<Bound>,
}

impl Terms<'_> {
    fn nonce(&self) -> Option<[u8; 16]> {
        self.challenge.map(|c| c.used.nonce)
    }
}

/// An hmac code's claim on its account's state (see [`Verifier::claim`]):
/// the candidates' MACs are computed already (H1, H2).
struct Claim<'c, 'p> {
    code: &'c Code,
    /// The matched account, else the first candidate, else (no budget
    /// account) the code's handle, whose records nothing reads or writes.
    identity: Identity,
    /// Whether a candidate's MAC matched (spec: R-HANDLE-3).
    authentic: bool,
    /// Whether `identity` is an account whose numeric budget the code
    /// spends (spec: R-HANDLE-4).
    account_budget: bool,
    step: u64,
    /// The real counter of the identity's account.
    counter: u32,
    terms: Terms<'p>,
}

impl Claim<'_, '_> {
    /// The source whose failure budget a numeric code spends: the terminal
    /// the call is made for (spec: R-HMAC-8). A QR code spends none.
    fn source(&self, terminal_id: u32) -> Option<u32> {
        matches!(self.code, Code::Numeric(_)).then_some(terminal_id)
    }

    /// The attempt of this claim, with `record` its log record.
    fn attempt<'p>(
        &'p self,
        now: u64,
        authentic: &'p dyn Fn() -> bool,
        record: &'p LogRecord,
    ) -> Attempt<'p> {
        Attempt {
            step: self.step,
            counter: self.counter,
            now,
            time: record.accepted_at,
            // spec: R-HMAC-6: only the numeric form is throttled.
            proof: match self.code {
                Code::Numeric(_) => Proof::Guess(authentic),
                _ => Proof::Mac(authentic),
            },
            account_budget: self.account_budget,
            spend: None,
            bound: self.terms.bound,
            challenge: self.terms.challenge,
            record: Some(record),
        }
    }

    fn acceptance(&self, record: LogRecord) -> Acceptance {
        Acceptance { record, subject: self.identity.subject, counter: self.counter }
    }
}

/// An ed25519 code that passed steps E1-E3, with what E4, E5 and C1-C5 need.
struct Pending<'p> {
    device: PublicKey,
    input: Vec<u8>,
    signature: [u8; 64],
    serial: u64,
    step: u64,
    counter: u32,
    spend: Spend,
    record: LogRecord,
    terms: Terms<'p>,
}

/// What a log record's evidence is built from.
enum Evidence<'a> {
    /// A decoded hmac code.
    Code(&'a Code),
    /// An ed25519 code's payload.
    Payload(&'a [u8]),
}

impl Pending<'_> {
    fn signed(&self) -> Signed<'_> {
        Signed { key: &self.device, message: &self.input, signature: &self.signature }
    }
}

/// A code the verifier accepted, with its log record, which the verifier's
/// store committed with the acceptance (spec: R-LOG-1), and the identity it
/// was accepted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptance {
    /// The acceptance log record.
    pub record: LogRecord,
    /// The replay identity's subject: the hmac account the code's handle
    /// resolved to, or the credential serial.
    pub subject: u64,
    /// The code's real counter (an hmac code carries it masked).
    pub counter: u32,
}

impl Acceptance {
    fn of_record(record: LogRecord) -> Acceptance {
        Acceptance { subject: record.subject(), counter: record.counter(), record }
    }
}

/// A rejected code: the spec's error code, and for a `state-unavailable`
/// that the state store caused, the store's failure, which names the cause.
#[derive(Debug)]
pub struct Rejection {
    error: Error,
    store: Option<StoreError>,
}

impl Rejection {
    /// The spec's error code.
    pub const fn error(&self) -> Error {
        self.error
    }

    /// The state store's failure, when it caused the rejection.
    pub const fn store_error(&self) -> Option<&StoreError> {
        self.store.as_ref()
    }

    fn store(e: StoreError) -> Rejection {
        Rejection { error: Error::StateUnavailable, store: Some(e) }
    }
}

impl From<StoreError> for Rejection {
    /// A `state-unavailable` that the store's failure `e` caused (spec: R-STATE-4).
    fn from(e: StoreError) -> Rejection {
        Rejection::store(e)
    }
}

impl From<Error> for Rejection {
    fn from(error: Error) -> Rejection {
        Rejection { error, store: None }
    }
}

impl core::fmt::Display for Rejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.store {
            Some(s) => write!(f, "{} ({s})", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.store.as_ref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Verifier<MemoryStore> {
    /// A verifier that has never accepted a code, with no profile enabled yet,
    /// its state in memory. `terminal_id` goes into its log records.
    pub fn new(params: Params, terminal_id: u32) -> Verifier {
        Verifier::with_store(params, terminal_id, MemoryStore::new(params))
    }

    /// A verifier restarted at unix time `now` after losing its replay state:
    /// it quarantines every code whose step is below `T(now) + F + 1` (spec: R-REPLAY-5).
    ///
    /// # Errors
    ///
    /// [`Error::TimeBeforeEpoch`] if `now < T0`.
    pub fn after_state_loss(params: Params, terminal_id: u32, now: u64) -> Result<Verifier, Error> {
        Verifier::after_state_loss_above(params, terminal_id, now, 0)
    }

    /// A verifier restarted at unix time `now` after losing its replay state,
    /// with `floor` the time floor's bounds that survived the loss: the
    /// `accepted_at` of the last record of the acceptance log, kept apart
    /// from the replay state, and the `issued_at` of the revocation list kept
    /// as configuration. It restarts at the verifier time `max(now, floor)`,
    /// so a clock set back across the loss reopens no code accepted before it
    /// (spec: R-TIME-8, R-REPLAY-5).
    ///
    /// # Errors
    ///
    /// [`Error::TimeBeforeEpoch`] if `max(now, floor) < T0`.
    pub fn after_state_loss_above(
        params: Params,
        terminal_id: u32,
        now: u64,
        floor: u64,
    ) -> Result<Verifier, Error> {
        let now = now.max(floor);
        let step = params.step_at(now)?;
        let verifier = Verifier::with_store(params, terminal_id, MemoryStore::after_loss(params, step));
        verifier.raise_floor(floor);
        Ok(verifier)
    }

    /// A verifier restarted with its durable state.
    ///
    /// The revocation list in `state` was checked when it was first installed;
    /// it is the verifier's own durable state, so it is restored as it is.
    pub fn restore(params: Params, terminal_id: u32, state: &VerifierState) -> Verifier {
        Verifier::with_store(params, terminal_id, MemoryStore::restore(params, state))
    }

    /// The replay state of a profile.
    pub const fn replay_state(&self, profile: Profile) -> &ReplayState {
        self.store.replay_state(profile)
    }

    /// A copy of the durable state.
    pub fn state(&self) -> VerifierState {
        self.store.state()
    }
}

impl<S: StateStore> Verifier<S> {
    /// A verifier with no profile enabled yet, its state in `store`; the
    /// trust list the store holds, if any, is installed (it was checked when
    /// it was first installed) and enables the ed25519 profile.
    ///
    /// The time floor starts from what the store holds: its high-water step,
    /// its revocation list's `issued_at` and its log's last `accepted_at`
    /// (spec: R-TIME-8). A store that cannot be read gives no bound here; its
    /// calls then fail on their own.
    pub fn with_store(params: Params, terminal_id: u32, store: S) -> Verifier<S> {
        let mut verifier = Verifier {
            params,
            terminal_id,
            accounts: None,
            root: None,
            trust: None,
            withdrawn: AtomicBool::new(false),
            credentials: RwLock::new(HashMap::with_hasher(IdHashing::random())),
            store,
            floor: AtomicU64::new(0),
        };
        verifier.load_trust_list();
        if let Ok(high_water) = verifier.store.high_water() {
            verifier.raise_floor(params.step_floor(high_water));
        }
        if let Ok(Some(list)) = verifier.store.revocation_list() {
            verifier.raise_floor(list.issued_at());
        }
        if let Ok(Some(at)) = verifier.store.last_accepted_at() {
            verifier.raise_floor(at);
        }
        verifier
    }

    /// The time floor `φ`: the largest of the `issued_at` of the newest
    /// revocation list installed, the `accepted_at` of the last acceptance,
    /// the start of the high-water step `T0 ⊕ T_hw ⊗ X`, and any floor the
    /// verifier was restarted with (spec: R-TIME-8). This is the one place
    /// that computes it. A clock that reads below it is wrong.
    pub fn time_floor(&self) -> u64 {
        self.floor.load(Ordering::Acquire)
    }

    /// The verifier time `t_v = max(now, φ)` that every rule reading the
    /// time uses (spec: R-TIME-8). An application that reads a clock below
    /// [`Verifier::time_floor`] should tell its operator.
    pub fn verifier_time(&self, now: u64) -> u64 {
        now.max(self.time_floor())
    }

    /// Raises the time floor to at least `bound` (spec: R-TIME-8).
    pub fn raise_floor(&self, bound: u64) {
        // Most calls find the floor there already: reading first keeps the
        // shared cache line clean, so concurrent verifications do not contend.
        if self.floor.load(Ordering::Acquire) < bound {
            self.floor.fetch_max(bound, Ordering::AcqRel);
        }
    }

    /// The state store.
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// Enables the hmac profile with no accounts yet.
    pub fn enable_hmac(&mut self) {
        self.accounts.get_or_insert_with(|| Arc::new(Accounts::new()));
    }

    /// Enrolls an hmac account (and enables the hmac profile), or replaces
    /// the keys of an enrolled one (re-enrolment, a new seed): the handle
    /// indexes built so far are updated in place (spec: R-HANDLE-3).
    pub fn add_account(&mut self, account_id: u64, seed: &Seed) {
        let accounts = self.accounts.get_or_insert_with(|| Arc::new(Accounts::new()));
        // A verifier made by `for_terminal` shares the keys until one of them enrolls more.
        Arc::make_mut(accounts).insert(HmacKeys::derive(account_id, seed));
    }

    /// Builds the handle indexes of the steps a code may name at unix time
    /// `now` that are not built yet: the acceptance window's and the next
    /// step's (spec: R-HANDLE-3). A verification builds a missing one on
    /// demand; a service calls this ahead of each step so that no payment
    /// waits for it.
    ///
    /// # Errors
    ///
    /// [`Error::TimeBeforeEpoch`] if `now < T0`.
    pub fn prepare_handles(&self, now: u64) -> Result<(), Error> {
        let step = self.params.step_at(self.verifier_time(now))?;
        if let Some(accounts) = &self.accounts {
            let (low, high) = indexed_steps(&self.params, step);
            for s in low..=high {
                accounts.with_index(&self.params, s, step, |_| ());
            }
        }
        Ok(())
    }

    /// The steps whose handle index is built and kept at step `now`.
    pub fn indexed_steps(&self) -> Vec<u64> {
        self.accounts.as_ref().map(|a| a.built_steps()).unwrap_or_default()
    }

    /// A verifier of terminal `terminal_id` over `store`, with this
    /// verifier's parameters, trust list and enrolled accounts, whose keys
    /// it shares rather than copies. A service that verifies for many
    /// terminals keeps one set of hmac keys for all of them: the terminal's
    /// verifier checks challenges against that terminal and writes its id
    /// into the log records (spec: R-CHAL-3). An account enrolled in either
    /// verifier afterwards is enrolled in that one only.
    pub fn for_terminal<T: StateStore>(&self, terminal_id: u32, store: T) -> Verifier<T> {
        let verifier = Verifier {
            params: self.params,
            terminal_id,
            accounts: self.accounts.clone(),
            root: self.root,
            trust: self.trust.clone(),
            withdrawn: AtomicBool::new(false),
            credentials: RwLock::new(HashMap::with_hasher(IdHashing::random())),
            store,
            floor: AtomicU64::new(self.time_floor()),
        };
        verifier.recheck_revocation_list();
        verifier
    }

    /// Whether `account_id` is an enrolled hmac account.
    pub fn has_account(&self, account_id: u64) -> bool {
        self.keys(account_id).is_ok_and(|k| k.is_some())
    }

    /// Configures the issuer's root public key, under which trust lists are
    /// checked (spec: R-TRUST-3). The ed25519 profile is enabled once a trust
    /// list is installed ([`Verifier::install_trust_list`]).
    pub fn set_root_key(&mut self, root: PublicKey) {
        self.root = Some(root);
    }

    /// Installs a trust list at unix time `now` if its root signature is valid
    /// under the configured root key (spec: R-TRUST-3) and it is newer than
    /// the installed one (spec: R-TRUST-4); this enables the ed25519 profile.
    /// Then checks the installed revocation list again under it: a list whose
    /// key is no longer trusted at its issue time, or whose signature fails
    /// under it, counts as uninstalled (ed25519 codes get
    /// [`Error::RevocationStale`]) until a newer list is installed; its number
    /// and issue time stay the floor of that install (spec: R-REVOKE-6).
    ///
    /// # Errors
    ///
    /// [`InstallError::NoRootKey`] without a root key,
    /// [`InstallError::BadSignature`] if the root signature fails,
    /// [`InstallError::NotNewer`] if the list is not newer; the installed
    /// trust list is then unchanged.
    pub fn install_trust_list(&mut self, list: TrustList, now: u64) -> Result<(), InstallError> {
        let root = self.root.as_ref().ok_or(InstallError::NoRootKey)?;
        // spec: R-TRUST-3
        if !list.verify(root) {
            return Err(InstallError::BadSignature);
        }
        // spec: R-TRUST-4: against the list the store holds, which may be
        // newer than this verifier's (another process, a restart).
        let (mark, step_secs) = (list.mark(), self.params.step_secs());
        let newer = |newest| mark.is_newer_than(newest, now, step_secs);
        match self.store.install_trust_list(&list, &newer) {
            Ok(true) => {}
            Ok(false) => {
                self.load_trust_list();
                return Err(InstallError::NotNewer);
            }
            Err(_) => return Err(InstallError::StateUnavailable),
        }
        self.trust = Some(list);
        if let Ok(mut cache) = self.credentials.write() {
            cache.clear();
        }
        self.recheck_revocation_list();
        Ok(())
    }

    /// The installed trust list, if any.
    pub const fn trust_list(&self) -> Option<&TrustList> {
        self.trust.as_ref()
    }

    /// Takes the trust list the store holds, if it is not the one this
    /// verifier holds already: installed before a restart, or by another
    /// process over the same store. It was checked when it was installed.
    fn load_trust_list(&mut self) {
        if let Ok(Some(stored)) = self.store.trust_list()
            && self.trust.as_ref() != Some(&stored)
        {
            self.trust = Some(stored);
            if let Ok(mut cache) = self.credentials.write() {
                cache.clear();
            }
            self.recheck_revocation_list();
        }
    }

    /// Whether the stored revocation list counts as uninstalled because it
    /// failed the re-check of a trust list, here or before this verifier
    /// started over its store, and no list was installed since (spec: R-REVOKE-6).
    pub fn revocation_list_withdrawn(&self) -> bool {
        self.withdrawn_here() || matches!(self.store.revocation_withdrawn(), Ok(true))
    }

    /// Whether this verifier's re-check withdrew the stored list since it
    /// last installed one. A verification reads only this: a list the store
    /// holds withdrawn gives its records no list already, and a newer list
    /// another verifier over the store installs since is in force here too.
    /// The flag matters when the store could not be written.
    fn withdrawn_here(&self) -> bool {
        self.withdrawn.load(Ordering::Acquire)
    }

    fn recheck_revocation_list(&self) {
        // spec: R-REVOKE-6: once uninstalled, only an install brings a list back.
        let fails = match (&self.trust, self.store.revocation_list()) {
            (Some(trust), Ok(Some(list))) => list.check(trust).is_err(),
            _ => false,
        };
        if fails {
            // Kept with the state, so that a restart does not bring it back;
            // the flag holds it here if the store cannot be written.
            let _ = self.store.withdraw_revocation_list();
        }
        let withdrawn = self.withdrawn_here() || fails;
        self.withdrawn.store(withdrawn, Ordering::Release);
    }

    /// Installs a revocation list at unix time `now` if it is signed by a
    /// trusted key valid at its issue time and newer than the newest list
    /// installed: a higher number, by at most one more than the minutes
    /// between their issue times, issued no earlier, and not dated after
    /// `now + X` (spec: R-REVOKE-1, R-REVOKE-2).
    ///
    /// # Errors
    ///
    /// [`InstallError`] says why it was refused; the installed list is unchanged.
    pub fn install_revocation_list(&self, list: RevocationList, now: u64) -> Result<(), InstallError> {
        let now = self.verifier_time(now);
        let trust = self.trust.as_ref().ok_or(InstallError::NoTrustList)?;
        list.check(trust).map_err(|e| match e {
            Error::UnknownIssuer => InstallError::UnknownKey,
            _ => InstallError::BadSignature,
        })?;
        let step_secs = self.params.step_secs();
        let mark = list.mark();
        let newer = |newest| mark.is_newer_than(newest, now, step_secs);
        match self.store.install_revocation_list(&list, &newer) {
            Ok(true) => {
                self.withdrawn.store(false, Ordering::Release);
                self.raise_floor(mark.issued_at);
                Ok(())
            }
            Ok(false) => Err(InstallError::NotNewer),
            Err(_) => Err(InstallError::StateUnavailable),
        }
    }

    /// The installed revocation list's number, if any.
    pub fn revocation_number(&self) -> Option<u64> {
        self.store.revocation_list().ok().flatten().map(|l| l.number())
    }

    /// Verifies `code` at unix time `now` for a payment of `amount` minor
    /// units (ignored by the hmac profile). On acceptance the counter and the
    /// log record are committed to the store (spec: R-VERIFY-1, R-LOG-1).
    ///
    /// # Errors
    ///
    /// The spec's error code of the first check that fails, in the spec's order.
    pub fn verify(&self, code: &Code, now: u64, amount: u64) -> Result<Acceptance, Error> {
        self.verify_code(code, now, Payment { amount, challenge: None }).map_err(|r| r.error)
    }

    /// Verifies `code` at unix time `now` for `payment`: its amount, and in
    /// challenge mode the challenge this verifier's terminal showed (spec
    /// §7.4, R-CHAL-3). On acceptance the counter, the challenge's nonce and
    /// the log record are committed to the store.
    ///
    /// ```
    /// use paycode::{Challenge, Code, Error, HmacWallet, Params, Payment, Purpose, Seed, Verifier};
    /// let seed = Seed::from_bytes(&[1; 32]);
    /// let mut wallet = HmacWallet::new(Params::default(), 42, &seed, 0);
    /// let mut verifier = Verifier::new(Params::default(), 7);
    /// verifier.add_account(42, &seed);
    /// let now = 1_800_000_000;
    /// let challenge = Challenge::new(7, 250, now, [3; 16]);
    /// let code = Code::Hmac(wallet.generate_for(now, Purpose::Challenge(&challenge)).unwrap());
    /// let pay = |amount| Payment { amount, challenge: Some(&challenge) };
    /// assert_eq!(verifier.verify_payment(&code, now, pay(900)).unwrap_err().error(), Error::ChallengeMismatch);
    /// assert!(verifier.verify_payment(&code, now, pay(250)).is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// The spec's error code of the first check that fails, and the store's
    /// failure when one caused a `state-unavailable`.
    pub fn verify_payment(
        &self,
        code: &Code,
        now: u64,
        payment: Payment<'_>,
    ) -> Result<Acceptance, Rejection> {
        self.verify_code(code, now, payment)
    }

    fn verify_code(&self, code: &Code, now: u64, payment: Payment<'_>) -> Result<Acceptance, Rejection> {
        let now = self.verifier_time(now);
        let step = self.params.step_at(now)?;
        self.verify_at(code, now, step, payment)
    }

    /// [`Verifier::verify_code`] at verifier time `now`, in step `step`.
    fn verify_at(
        &self,
        code: &Code,
        now: u64,
        step: u64,
        payment: Payment<'_>,
    ) -> Result<Acceptance, Rejection> {
        let terms = self.terms(code, now, payment).map_err(|e| self.early(step, e))?;
        match code {
            Code::Hmac(_) | Code::Numeric(_) => self.verify_hmac(code, now, step, terms),
            Code::Ed25519(c) => {
                let p =
                    self.prepare_ed25519(c, now, payment.amount, terms).map_err(|e| self.early(step, e))?;
                // spec: R-ED-5 (E5), decided after E4 in the store's step
                let valid = p.device.verify(&p.input, &p.signature);
                self.admit_ed25519(p, step, valid).map(Acceptance::of_record)
            }
        }
    }

    /// Step V2 of `code` for `payment` at unix time `now`, after checking
    /// that the code's profile is enabled (V1.5): the mode against the
    /// challenge, the challenge against this terminal, the amount and the
    /// time (spec: R-CHAL-3); and the bound on the amount C4 will check.
    fn terms<'p>(&self, code: &Code, now: u64, payment: Payment<'p>) -> Result<Terms<'p>, Error> {
        if !self.enables(code.profile()) {
            return Err(Error::UnsupportedProfile);
        }
        let amount = payment.amount;
        let bound = match code {
            Code::Numeric(_) => {
                Some(Bound { amount, limit: self.params.numeric_ceiling(), error: Error::OverCeiling })
            }
            _ => code.mode().cap().map(|cap| Bound { amount, limit: u64::from(cap), error: Error::OverCap }),
        };
        match (code.mode(), payment.challenge) {
            (Mode::Challenge, None) => Err(Error::NoChallenge),
            (Mode::OneWay | Mode::Capped(_), Some(_)) => Err(Error::ChallengeRequired),
            (Mode::OneWay | Mode::Capped(_), None) => {
                Ok(Terms { digest: None, asked: None, amount, challenge: None, bound })
            }
            (Mode::Challenge, Some(ch)) => {
                if ch.terminal_id() != self.terminal_id || ch.amount() != amount {
                    return Err(Error::ChallengeMismatch);
                }
                if !ch.is_open(&self.params, now) {
                    return Err(Error::ChallengeExpired);
                }
                let claim = ChallengeClaim { used: ch.used(&self.params), issued_at: ch.issued_at() };
                Ok(Terms {
                    digest: Some(ch.digest()),
                    asked: Some(ch),
                    amount,
                    challenge: Some(claim),
                    bound,
                })
            }
        }
    }

    /// Verifies several codes at unix time `now`, each with its amount, and
    /// returns exactly what [`Verifier::verify`] called on each in turn would
    /// return, with the same effect on the state; the ed25519 signatures are
    /// checked together in one batch (spec: R-ED-6).
    ///
    /// ```
    /// use paycode::{Code, Error, HmacWallet, Params, Seed, Verifier};
    /// let seed = Seed::from_bytes(&[1; 32]);
    /// let mut wallet = HmacWallet::new(Params::default(), 42, &seed, 0);
    /// let mut verifier = Verifier::new(Params::default(), 1);
    /// verifier.add_account(42, &seed);
    /// let code = Code::Hmac(wallet.generate(1_800_000_000).unwrap());
    /// let verdicts = verifier.verify_batch(&[(&code, 0), (&code, 0)], 1_800_000_000);
    /// assert!(verdicts[0].is_ok());
    /// assert_eq!(verdicts[1], Err(Error::Replayed));
    /// ```
    pub fn verify_batch(&self, codes: &[(&Code, u64)], now: u64) -> Vec<Result<Acceptance, Error>> {
        let now = self.verifier_time(now);
        let step = match self.params.step_at(now) {
            Ok(step) => step,
            Err(e) => return vec![Err(e); codes.len()],
        };
        // E1-E3 depend on no state, so they may run ahead of the earlier
        // codes' admission; E5 depends on nothing but the code.
        let prepared: Vec<Option<Result<Pending, Error>>> = codes
            .iter()
            .map(|&(code, amount)| match code {
                Code::Ed25519(c) => Some(
                    self.terms(code, now, Payment { amount, challenge: None })
                        .and_then(|terms| self.prepare_ed25519(c, now, amount, terms)),
                ),
                Code::Hmac(_) | Code::Numeric(_) => None,
            })
            .collect();
        let signed: Vec<Signed<'_>> =
            prepared.iter().flatten().filter_map(|p| p.as_ref().ok()).map(Pending::signed).collect();
        // spec: R-ED-6
        let mut valid = eddsa::verify_each(&signed).into_iter();
        // Then every code in order, as sequential calls would run.
        codes
            .iter()
            .zip(prepared)
            .map(|(&(code, amount), prepared)| {
                let accepted = match (code, prepared) {
                    (Code::Hmac(_) | Code::Numeric(_), _) => self
                        .terms(code, now, Payment { amount, challenge: None })
                        .map_err(|e| self.early(step, e))
                        .and_then(|terms| self.verify_hmac(code, now, step, terms)),
                    (Code::Ed25519(_), Some(Ok(p))) => {
                        self.admit_ed25519(p, step, valid.next() == Some(true)).map(Acceptance::of_record)
                    }
                    (Code::Ed25519(_), Some(Err(e))) => Err(self.early(step, e)),
                    (Code::Ed25519(_), None) => Err(self.early(step, Error::StateUnavailable)),
                };
                accepted.map_err(|r| r.error)
            })
            .collect()
    }

    /// Parses `text` and verifies it: [`Code::parse`] then [`Verifier::verify`],
    /// with the spec's order: `T_hw` is raised before decoding, and a payload
    /// of a profile this verifier does not enable is `unsupported-profile`
    /// even when its length is wrong (spec: R-VERIFY-1, R-TIME-5).
    ///
    /// # Errors
    ///
    /// As those two; `time-before-epoch` comes first.
    pub fn verify_text(&self, text: &str, now: u64, amount: u64) -> Result<Acceptance, Error> {
        self.verify_text_with_cause(text, now, amount).map_err(|r| r.error)
    }

    /// [`Verifier::verify_text`], with the state store's failure kept in the
    /// [`Rejection`] when one caused a `state-unavailable`, so that an
    /// operator can be told the cause (a full disk, a database that is down).
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify_text`].
    pub fn verify_text_with_cause(&self, text: &str, now: u64, amount: u64) -> Result<Acceptance, Rejection> {
        self.verify_text_payment(TextPayment { text, amount, challenge: None }, now)
    }

    /// Parses a payment's code and challenge and verifies them:
    /// [`Verifier::verify_payment`] on the decoded inputs, with the spec's
    /// order: the code decodes first (V1), then the challenge (V1.C), whose
    /// failure is `malformed` (spec: R-CHAL-1).
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify_text_with_cause`].
    pub fn verify_text_payment(&self, payment: TextPayment<'_>, now: u64) -> Result<Acceptance, Rejection> {
        let now = self.verifier_time(now);
        let step = self.params.step_at(now)?;
        let (code, challenge) = self.decode_payment(&payment, step)?;
        self.verify_at(&code, now, step, Payment { amount: payment.amount, challenge: challenge.as_ref() })
    }

    /// Decodes a payment's code (V1, with `unsupported-profile` for a
    /// profile not enabled here, V1.5), then its challenge (V1.C).
    fn decode_payment(
        &self,
        payment: &TextPayment<'_>,
        step: u64,
    ) -> Result<(Code, Option<Challenge>), Rejection> {
        let code = self.parse_text(payment.text, step)?;
        if !self.enables(code.profile()) {
            return Err(self.early(step, Error::UnsupportedProfile));
        }
        let challenge =
            payment.challenge.map(|t| Challenge::parse(t).map_err(|e| self.early(step, e))).transpose()?;
        Ok((code, challenge))
    }

    /// [`Code::parse`], with the verifier's order of errors.
    fn parse_text(&self, text: &str, step: u64) -> Result<Code, Rejection> {
        // T_hw rises even when nothing decodes (spec: R-TIME-5).
        Code::parse(text).map_err(|e| {
            let e = match e {
                Error::Malformed => self.disabled_profile(text).unwrap_or(e),
                other => other,
            };
            self.early(step, e)
        })
    }

    /// Whether this verifier verifies codes of `profile`.
    pub const fn enables(&self, profile: Profile) -> bool {
        match profile {
            Profile::Hmac => self.accounts.is_some(),
            Profile::Ed25519 => self.trust.is_some(),
        }
    }

    /// `unsupported-profile` for QR text whose payload names a known profile that is
    /// not enabled here: V1 checks the profile before the exact length (spec: R-VERIFY-1).
    fn disabled_profile(&self, text: &str) -> Option<Error> {
        match qr_profile(text)? {
            p if !self.enables(p) => Some(Error::UnsupportedProfile),
            _ => None,
        }
    }

    /// Drops the state that can no longer matter at unix time `now` (spec: R-REPLAY-4).
    /// Verification evicts as it goes; this sweeps everything at once.
    ///
    /// # Errors
    ///
    /// [`Error::TimeBeforeEpoch`] if `now < T0`; [`Error::StateUnavailable`] if the store failed.
    pub fn evict(&self, now: u64) -> Result<(), Error> {
        let now = self.verifier_time(now);
        let step = self.params.step_at(now)?;
        let params = self.params;
        self.store
            .evict(step, &|high_water| eviction(&params, step, high_water))
            .map_err(|_| Error::StateUnavailable)?;
        // spec: R-TIME-8, T_hw rose to at least `step`.
        self.raise_floor(params.step_floor(step));
        Ok(())
    }

    /// Enters quarantine at unix time `now`, for a node that starts on a
    /// store that may have lost committed changes (restored from a backup,
    /// an asynchronous replica that took over): `Q := max(Q, T(now) + F + 1)`
    /// and `T_hw := max(T_hw, T(now))`; the stored records are kept (spec:
    /// R-REPLAY-5, R-STATE-5).
    ///
    /// # Errors
    ///
    /// `time-before-epoch` if `now < T0`; `state-unavailable`, with the
    /// store's failure, if the store could not be written.
    pub fn quarantine(&self, now: u64) -> Result<(), Rejection> {
        let now = self.verifier_time(now);
        let step = self.params.step_at(now)?;
        let floor = step.saturating_add(self.params.forward()).saturating_add(1);
        self.store.quarantine(floor, step).map_err(Rejection::store)?;
        self.raise_floor(self.params.step_floor(step));
        Ok(())
    }

    /// The time parameters.
    pub const fn params(&self) -> &Params {
        &self.params
    }

    /// A rejection before the store's step: `T_hw` still rises to `step`, as
    /// every call's must (spec: R-TIME-5, R-VERIFY-3).
    fn early(&self, step: u64, error: Error) -> Rejection {
        match self.store.observe(step) {
            Ok(()) => {
                self.raise_floor(self.params.step_floor(step));
                error.into()
            }
            Err(e) => Rejection::store(e),
        }
    }

    /// The log record of an acceptance: the code's payload (or `N`) and the
    /// challenge, exactly as verified (spec: R-LOG-1).
    fn record(
        &self,
        evidence: Evidence<'_>,
        step: u64,
        now: u64,
        amount: u64,
        terms: &Terms<'_>,
    ) -> Result<LogRecord, Error> {
        match evidence {
            Evidence::Code(code) => LogRecord::new(code, step, now, amount, self.terminal_id, terms.asked),
            Evidence::Payload(payload) => {
                LogRecord::from_payload(payload, step, now, amount, self.terminal_id, terms.asked)
            }
        }
    }

    /// Runs `attempt` on `identity`'s records in the store's atomic step
    /// (spec: R-REPLAY-3, R-LOG-1).
    fn commit(
        &self,
        identity: Identity,
        source: Option<u32>,
        attempt: &Attempt<'_>,
    ) -> Result<(), Rejection> {
        let mut verdict = Err(Error::StateUnavailable);
        let withdrawn = self.withdrawn_here();
        let mut decide =
            |records: &Records| decide_in_force(&self.params, attempt, records, withdrawn, &mut verdict);
        let nonce = attempt.challenge.map(|c| c.used.nonce);
        self.store
            .transact_call(&mut Call { identity, nonce, source, decide: &mut decide })
            .map_err(Rejection::store)?;
        // spec: R-TIME-8: T_hw rose to the call's step; an acceptance's
        // accepted_at, the verifier time, is in that step, so it alone bounds both.
        let accepted = verdict.is_ok().then_some(attempt.record).flatten();
        self.raise_floor(accepted.map_or(self.params.step_floor(attempt.now), |r| r.accepted_at));
        verdict?;
        accepted.map(|_| ()).ok_or_else(|| Error::StateUnavailable.into())
    }

    fn keys(&self, account_id: u64) -> Result<Option<&HmacKeys>, Error> {
        let accounts = self.accounts.as_ref().ok_or(Error::UnsupportedProfile)?;
        Ok(accounts.get(account_id))
    }

    /// The claim of an hmac code (QR or numeric) before its state is read:
    /// its candidate accounts (H1), the MAC of each (H2), and the identity
    /// whose state and budget the code spends.
    fn claim<'c, 'p>(
        &'c self,
        code: &'c Code,
        step: u64,
        terms: Terms<'p>,
    ) -> Result<Claim<'c, 'p>, Rejection> {
        let accounts =
            self.accounts.as_deref().ok_or(Error::UnsupportedProfile).map_err(|e| self.early(step, e))?;
        let (code_step, lookup) = match code {
            Code::Hmac(c) => (c.step, Lookup::Qr(c.handle_value(), c.masked_counter)),
            // spec: R-HMAC-3
            Code::Numeric(c) => (c.step_near(step), Lookup::Numeric(c.handle30(), c.masked_counter())),
            Code::Ed25519(_) => return Err(Error::UnsupportedProfile.into()),
        };
        // spec: R-HANDLE-3 (H0): the window before the candidates. T_hw is at
        // least `step`, so a code below `step - B` is below L and one above
        // `step + F` above U; the store's step checks L again against T_hw.
        // A code outside makes no index be built.
        let (low, high) = self.params.window(step, step);
        if code_step < low {
            return Err(self.early(step, Error::TooOld));
        }
        if code_step > high {
            return Err(self.early(step, Error::TooNew));
        }
        // H1: at most M_h candidates, ascending account id, in the index of
        // the code's step, which the verifier keeps, as every step of the window.
        let Some(candidates) = accounts.candidates(&self.params, code_step, step, lookup) else {
            return Err(self.early(step, Error::TooNew));
        };
        // H2: every candidate's MAC, no early exit; with none, one under the
        // dummy key, whose answer is never used (spec: R-HMAC-9).
        let digest = terms.digest.as_ref();
        if candidates.is_empty() {
            std::hint::black_box(mac_matches(&DUMMY_KEYS, code, code_step, lookup.masked(), digest));
        }
        let mut matched: Option<(u64, u32)> = None;
        for (keys, counter) in candidates.iter() {
            let ok = mac_matches(keys, code, code_step, counter, digest);
            if ok && matched.is_none() {
                matched = Some((keys.account_id(), counter));
            }
        }
        // spec: R-HANDLE-4: the matched account, else the first candidate, else none.
        let first = candidates.first().map(|(keys, counter)| (keys.account_id(), counter));
        let (subject, counter, account_budget) = match matched.or(first) {
            Some((account, counter)) => (account, counter, true),
            None => (lookup.subject(), lookup.masked(), false),
        };
        let identity = Identity { profile: Profile::Hmac, subject };
        Ok(Claim {
            code,
            identity,
            authentic: matched.is_some(),
            account_budget,
            step: code_step,
            counter,
            terms,
        })
    }

    /// The log record of `claim`'s code, were it accepted at unix time `now`.
    fn claim_record(&self, claim: &Claim<'_, '_>, now: u64, step: u64) -> Result<LogRecord, Rejection> {
        self.record(Evidence::Code(claim.code), claim.step, now, claim.terms.amount, &claim.terms)
            .map_err(|e| self.early(step, e))
    }

    fn verify_hmac(
        &self,
        code: &Code,
        now: u64,
        step: u64,
        terms: Terms<'_>,
    ) -> Result<Acceptance, Rejection> {
        let claim = self.claim(code, step, terms)?;
        // The acceptance is built before the store's step, in place, so that
        // the store appends the very record it returns.
        let acceptance = claim.acceptance(self.claim_record(&claim, now, step)?);
        // spec: R-HMAC-5, R-HANDLE-4 (H3): the MAC's answer, used in the store's step
        let authentic = || claim.authentic;
        let attempt = claim.attempt(step, &authentic, &acceptance.record);
        self.commit(claim.identity, claim.source(self.terminal_id), &attempt)?;
        Ok(acceptance)
    }

    /// Verifies several codes in QR text or digits at unix time `now`, each
    /// with its amount, and returns what [`Verifier::verify_text_with_cause`]
    /// called on each in turn would return, with the same effect on the
    /// state. The steps of consecutive hmac codes go to the store together
    /// ([`StateStore::transact_all`]), so that a database can commit them
    /// as one transaction: an online verifier's group commit. Their MACs are
    /// checked before the store's step; the verdicts are the same.
    pub fn verify_texts_with_cause(
        &self,
        items: &[(&str, u64)],
        now: u64,
    ) -> Vec<Result<Acceptance, Rejection>> {
        let payments: Vec<TextPayment<'_>> =
            items.iter().map(|&(text, amount)| TextPayment { text, amount, challenge: None }).collect();
        self.verify_payments_with_cause(&payments, now)
    }

    /// [`Verifier::verify_texts_with_cause`] for payments that may carry a
    /// challenge: returns what [`Verifier::verify_text_payment`] called on
    /// each in turn would return, with the same effect on the state.
    pub fn verify_payments_with_cause(
        &self,
        items: &[TextPayment<'_>],
        now: u64,
    ) -> Vec<Result<Acceptance, Rejection>> {
        let now = self.verifier_time(now);
        let step = match self.params.step_at(now) {
            Ok(step) => step,
            Err(e) => return items.iter().map(|_| Err(e.into())).collect(),
        };
        let mut decoded = Vec::with_capacity(items.len());
        let mut out: Vec<Option<Result<Acceptance, Rejection>>> = Vec::with_capacity(items.len());
        for item in items {
            match self.decode_payment(item, step) {
                Ok(pair) => {
                    decoded.push(Some(pair));
                    out.push(None);
                }
                Err(r) => {
                    decoded.push(None);
                    out.push(Some(Err(r)));
                }
            }
        }
        // In order: the hmac codes' steps wait in `claims` and go to the
        // store together, before any ed25519 code that follows them.
        let mut claims = Vec::new();
        for (i, (pair, item)) in decoded.iter().zip(items).enumerate() {
            let Some((code, challenge)) = pair else { continue };
            let payment = Payment { amount: item.amount, challenge: challenge.as_ref() };
            let outcome = match code {
                Code::Ed25519(_) => {
                    self.commit_claims(step, &claims, &mut out);
                    claims.clear();
                    Some(self.verify_at(code, now, step, payment))
                }
                _ => match self.terms(code, now, payment).map_err(|e| self.early(step, e)) {
                    Err(r) => Some(Err(r)),
                    Ok(terms) => match self
                        .claim(code, step, terms)
                        .and_then(|claim| Ok((self.claim_record(&claim, now, step)?, claim)))
                    {
                        Ok((record, claim)) => {
                            claims.push((i, claim.authentic, claim, record));
                            None
                        }
                        Err(r) => Some(Err(r)),
                    },
                },
            };
            if let (Some(outcome), Some(slot)) = (outcome, out.get_mut(i)) {
                *slot = Some(outcome);
            }
        }
        self.commit_claims(step, &claims, &mut out);
        out.into_iter().map(|o| o.unwrap_or_else(|| Err(Error::StateUnavailable.into()))).collect()
    }

    /// The store's steps of `claims` (index in the output, MAC valid, claim, log record),
    /// as one [`StateStore::transact_all`]; each verdict goes to its slot.
    fn commit_claims(
        &self,
        step: u64,
        claims: &[(usize, bool, Claim<'_, '_>, LogRecord)],
        out: &mut [Option<Result<Acceptance, Rejection>>],
    ) {
        if claims.is_empty() {
            return;
        }
        let proofs: Vec<_> = claims.iter().map(|&(_, valid, ..)| move || valid).collect();
        let attempts: Vec<Attempt<'_>> = claims
            .iter()
            .zip(&proofs)
            .map(|((_, _, claim, record), proof)| claim.attempt(step, proof, record))
            .collect();
        let mut verdicts = vec![Err(Error::StateUnavailable); attempts.len()];
        let withdrawn = self.withdrawn_here();
        let mut deciders: Vec<_> = attempts
            .iter()
            .zip(verdicts.iter_mut())
            .map(|(attempt, verdict)| {
                move |records: &Records| decide_in_force(&self.params, attempt, records, withdrawn, verdict)
            })
            .collect();
        let mut calls: Vec<Call<'_>> = claims
            .iter()
            .zip(deciders.iter_mut())
            .map(|((_, _, claim, _), decide)| Call {
                identity: claim.identity,
                nonce: claim.terms.nonce(),
                source: claim.source(self.terminal_id),
                decide,
            })
            .collect();
        let results = self.store.transact_all(&mut calls);
        // The calls borrow the deciders, which borrow the verdicts, for as
        // long as the attempts' records live.
        drop(calls);
        // spec: R-TIME-8: one bound for the whole batch, the start of its step
        // once a store step went through, the latest accepted_at once one was accepted.
        let mut bound = 0;
        for (((i, _, claim, record), result), verdict) in claims.iter().zip(results).zip(verdicts) {
            let outcome = match result {
                Err(e) => Err(Rejection::store(e)),
                Ok(()) => {
                    bound = bound.max(self.params.step_floor(step));
                    verdict.map(|()| claim.acceptance(record.clone())).map_err(Rejection::from)
                }
            };
            if outcome.is_ok() {
                bound = bound.max(record.accepted_at);
            }
            if let Some(slot) = out.get_mut(*i) {
                *slot = Some(outcome);
            }
        }
        self.raise_floor(bound);
    }

    /// Steps E1-E3 of an ed25519 code, and the input of its signature check.
    fn prepare_ed25519<'p>(
        &self,
        c: &Ed25519Code,
        now: u64,
        amount: u64,
        terms: Terms<'p>,
    ) -> Result<Pending<'p>, Error> {
        let trust = self.trust.as_ref().ok_or(Error::UnsupportedProfile)?;
        let cred = c.credential();
        let f = cred.fields();
        // spec: R-TRUST-2 (E1)
        let entry = trust.get(f.key_id).ok_or(Error::UnknownIssuer)?;
        // E2, from the cache when this exact credential was checked before.
        let device = match self.cached(f.serial, cred.as_bytes()) {
            Some(device) => device,
            None => {
                let device = cred.check(&entry.key, entry.not_before, entry.not_after)?;
                self.cache(f.serial, cred.as_bytes(), device, now);
                device
            }
        };
        // E3 (check() guaranteed that not_after exists)
        let not_after = f.not_after().ok_or(Error::BadCredential)?;
        if now < f.not_before {
            return Err(Error::NotYetValid);
        }
        if now > not_after {
            return Err(Error::Expired);
        }
        // spec: R-ED-5: DS_code || head || D
        let digest = terms.digest.as_ref().map_or(&[][..], |d| &d[..]);
        let input = [DS_ED25519_CODE, c.head(), digest].concat();
        let spend = Spend {
            amount,
            per_payment_limit: u64::from(f.per_payment_limit),
            cumulative_limit: u64::from(f.cumulative_limit),
            not_after,
        };
        Ok(Pending {
            device,
            input,
            signature: c.signature(),
            serial: f.serial,
            step: c.step,
            counter: c.counter,
            spend,
            record: self.record(Evidence::Payload(c.encode()), c.step, now, amount, &terms)?,
            terms,
        })
    }

    /// Steps E4, E5 and C1-C5 of an ed25519 code whose signature check gave `valid`.
    fn admit_ed25519(&self, p: Pending<'_>, step: u64, valid: bool) -> Result<LogRecord, Rejection> {
        let identity = Identity { profile: Profile::Ed25519, subject: p.serial };
        let attempt = Attempt {
            step: p.step,
            counter: p.counter,
            now: step,
            time: p.record.accepted_at,
            proof: Proof::Signature(valid),
            account_budget: false,
            spend: Some(p.spend),
            bound: p.terms.bound,
            challenge: p.terms.challenge,
            record: Some(&p.record),
        };
        self.commit(identity, None, &attempt)?;
        Ok(p.record)
    }

    fn cached(&self, serial: u64, bytes: &[u8; CREDENTIAL_LEN]) -> Option<PublicKey> {
        let cache = self.credentials.read().ok()?;
        cache.get(&serial).filter(|c| c.bytes == *bytes).map(|c| c.device)
    }

    fn cache(&self, serial: u64, bytes: &[u8; CREDENTIAL_LEN], device: PublicKey, now: u64) {
        if let Ok(mut cache) = self.credentials.write() {
            if cache.len() >= CREDENTIAL_CACHE_LIMIT {
                cache.retain(|_, c| {
                    Credential::decode(&c.bytes)
                        .is_ok_and(|cr| cr.fields().not_after().is_some_and(|na| na >= now))
                });
                if cache.len() >= CREDENTIAL_CACHE_LIMIT {
                    cache.clear();
                }
            }
            cache.insert(serial, CachedCredential { bytes: *bytes, device });
        }
    }
}

/// The enrolled hmac accounts: a small index from account id to position
/// (the account's slot), the keys in a vector, and the handle index of each
/// step built so far (spec: R-HANDLE-3).
#[derive(Debug)]
struct Accounts {
    index: HashMap<u64, usize, IdHashing>,
    keys: Vec<HmacKeys>,
    steps: ReadMostly<BTreeMap<u64, Arc<StepIndex>>>,
}

impl Clone for Accounts {
    fn clone(&self) -> Accounts {
        let steps = self.steps.read().map(|s| s.clone()).unwrap_or_default();
        Accounts { index: self.index.clone(), keys: self.keys.clone(), steps: ReadMostly::new(steps) }
    }
}

/// What a code's handle looks up: the QR form's 64-bit handle or the
/// numeric form's 30 bits, each with the masked counter.
#[derive(Clone, Copy)]
enum Lookup {
    Qr(u64, u32),
    Numeric(u32, u16),
}

impl Lookup {
    /// The counter of the account whose pad is `pad` (spec: R-HANDLE-2).
    fn unmask(self, pad: u32) -> u32 {
        match self {
            Lookup::Qr(_, masked) => masked ^ pad,
            Lookup::Numeric(_, masked) => u32::from(masked ^ StepHandle::pad16_of(pad)),
        }
    }

    fn masked(self) -> u32 {
        match self {
            Lookup::Qr(_, masked) => masked,
            Lookup::Numeric(_, masked) => u32::from(masked),
        }
    }

    /// The subject of a code with no candidate: its handle. No budget or
    /// record of it is read or written (spec: R-HANDLE-4).
    fn subject(self) -> u64 {
        match self {
            Lookup::Qr(handle, _) => handle,
            Lookup::Numeric(handle30, _) => u64::from(handle30),
        }
    }
}

/// The steps whose handle index a verifier at step `now` keeps: the
/// acceptance window `[now - B, now + F]` and the next step.
fn indexed_steps(params: &Params, now: u64) -> (u64, u64) {
    (now.saturating_sub(params.back()), now.saturating_add(params.forward()).saturating_add(1))
}

impl Accounts {
    fn new() -> Accounts {
        Accounts {
            index: HashMap::with_hasher(IdHashing::random()),
            keys: Vec::new(),
            steps: ReadMostly::new(BTreeMap::new()),
        }
    }

    /// Enrolls `keys`, or replaces the keys of their account, and updates
    /// every step index built: the old handle out, the new one in.
    fn insert(&mut self, keys: HmacKeys) {
        let id = keys.account_id();
        let (slot, old) = match self.index.get(&id).copied() {
            Some(i) => match self.keys.get_mut(i) {
                Some(held) => (i, Some(core::mem::replace(held, keys))),
                None => return,
            },
            None => {
                self.index.insert(id, self.keys.len());
                self.keys.push(keys);
                (self.keys.len() - 1, None)
            }
        };
        let (Ok(slot32), Some(new)) = (u32::try_from(slot), self.keys.get(slot)) else { return };
        self.steps.update_mut(|steps| {
            for (&step, index) in steps.iter_mut() {
                let before = old.as_ref().map(|k| StepHandle::derive(k.handle_key(), step));
                let after = StepHandle::derive(new.handle_key(), step);
                Arc::make_mut(index).replace(slot32, before.as_ref(), &after);
            }
        });
    }

    fn get(&self, account_id: u64) -> Option<&HmacKeys> {
        self.index.get(&account_id).and_then(|&i| self.keys.get(i))
    }

    /// `f` of the handle index of `step` at verifier step `now`, if `step`
    /// is one a verifier keeps at `now`: run under the index's read lock
    /// when it is built already, with no reference count taken; else on a
    /// new index, which is then kept, after the steps below those are
    /// dropped (the new index is built in the memory of one of them). No
    /// index is built for any other step.
    fn with_index<T>(
        &self,
        params: &Params,
        step: u64,
        now: u64,
        f: impl Fn(&Arc<StepIndex>) -> T,
    ) -> Option<T> {
        let (low, high) = indexed_steps(params, now);
        if !(low..=high).contains(&step) {
            return None;
        }
        if let Ok(steps) = self.steps.read()
            && let Some(index) = steps.get(&step)
        {
            return Some(f(index));
        }
        // The steps below the window leave now; the memory of one that no
        // other reference holds is the new index's.
        let left = self.steps.update(|steps| {
            let kept = steps.split_off(&low);
            core::mem::replace(steps, kept)
        });
        let recycled = left.into_iter().flat_map(BTreeMap::into_values).find_map(|i| Arc::try_unwrap(i).ok());
        let keys = self.keys.iter().map(HmacKeys::handle_key);
        let built = Arc::new(recycled.unwrap_or_default().rebuild(step, keys));
        let answer = f(&built);
        let _ = self.steps.update(|steps| {
            steps.retain(|&s, _| s >= low);
            steps.entry(step).or_insert(built);
        });
        Some(answer)
    }

    fn built_steps(&self) -> Vec<u64> {
        self.steps.read().map(|s| s.keys().copied().collect()).unwrap_or_default()
    }

    /// The candidates of `lookup` in the index of `step` at verifier step
    /// `now`: at most `M_h`, in ascending account id order, each with its
    /// real counter (spec: R-HANDLE-3). None if the verifier keeps no
    /// index of `step` at `now`.
    fn candidates(&self, params: &Params, step: u64, now: u64, lookup: Lookup) -> Option<Candidates<'_>> {
        self.with_index(params, step, now, |index| {
            let entries = match lookup {
                Lookup::Qr(handle, _) => index.exact(handle),
                Lookup::Numeric(handle30, _) => index.numeric(handle30),
            };
            let mut found = Candidates::default();
            for e in entries {
                if let Some(keys) = usize::try_from(e.slot).ok().and_then(|i| self.keys.get(i)) {
                    found.add(keys, lookup.unmask(e.pad));
                }
            }
            found
        })
    }
}

/// A code's candidate accounts: at most `M_h`, ascending account id, each
/// with its real counter (spec: R-HANDLE-3).
#[derive(Clone, Copy, Default)]
struct Candidates<'a> {
    found: [Option<(&'a HmacKeys, u32)>; MAX_CANDIDATES],
}

impl<'a> Candidates<'a> {
    /// Adds an account in its place by id; beyond `M_h`, the largest id is dropped.
    fn add(&mut self, keys: &'a HmacKeys, counter: u32) {
        let mut carry = Some((keys, counter));
        for held in &mut self.found {
            match (*held, carry) {
                (None, _) => {
                    *held = carry;
                    return;
                }
                (Some(h), Some(c)) if c.0.account_id() < h.0.account_id() => {
                    *held = carry;
                    carry = Some(h);
                }
                _ => {}
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&'a HmacKeys, u32)> + '_ {
        self.found.iter().flatten().copied()
    }

    fn first(&self) -> Option<(&'a HmacKeys, u32)> {
        self.iter().next()
    }

    fn is_empty(&self) -> bool {
        self.first().is_none()
    }
}

/// Whether `code`'s tag is the MAC of `keys`' account for `step` and the
/// real `counter` (the QR tag covers the wire bytes, so not the counter).
fn mac_matches(keys: &HmacKeys, code: &Code, step: u64, counter: u32, digest: Option<&[u8; 32]>) -> bool {
    match code {
        Code::Hmac(c) => qr_tag_matches(keys, c, digest),
        Code::Numeric(c) => c.tag_matches(keys, step, counter),
        Code::Ed25519(_) => false,
    }
}

/// Whether a QR code's tag is the MAC of `DS || head || D` (spec: R-HMAC-1).
/// A one-way code's input, the one a verifier sees most, goes to the MAC in
/// one piece of a length known when compiling.
fn qr_tag_matches(keys: &HmacKeys, c: &HmacCode, digest: Option<&[u8; 32]>) -> bool {
    let mac = match (c.mode, digest) {
        (Mode::OneWay, None) => keys.mac_qr_array(&one_way_mac_input(c)),
        (Mode::Challenge, Some(d)) => keys.mac_qr_array(&challenge_mac_input(c, d)),
        (_, digest) => keys.mac_qr(&[DS_HMAC_QR, &c.maced(), digest.map_or(&[][..], |d| &d[..])]),
    };
    tags_equal(&mac, &c.tag)
}

/// A challenge code's MAC input, `DS || payload[0..22] || D`, in one piece.
fn challenge_mac_input(c: &HmacCode, digest: &[u8; 32]) -> [u8; DS_HMAC_QR.len() + HMAC_MACED_LEN + 32] {
    let mut w = Writer::<{ DS_HMAC_QR.len() + HMAC_MACED_LEN + 32 }>::new();
    w.bytes(DS_HMAC_QR);
    w.u8(crate::profile::VERSION);
    w.u8(Mode::Challenge.byte(Profile::Hmac));
    w.bytes(&c.handle);
    w.u64(c.step);
    w.u32(c.masked_counter);
    w.bytes(digest);
    w.finish()
}

/// A one-way code's MAC input, `DS || payload[0..22]`, in one piece.
fn one_way_mac_input(c: &HmacCode) -> [u8; DS_HMAC_QR.len() + HMAC_MACED_LEN] {
    let mut w = Writer::<{ DS_HMAC_QR.len() + HMAC_MACED_LEN }>::new();
    w.bytes(DS_HMAC_QR);
    w.u8(crate::profile::VERSION);
    w.u8(Mode::OneWay.byte(Profile::Hmac));
    w.bytes(&c.handle);
    w.u64(c.step);
    w.u32(c.masked_counter);
    w.finish()
}

/// Compares the first 16 bytes of `mac` with `tag` in constant time (spec: R-HMAC-5).
fn tags_equal(mac: &[u8; 32], tag: &[u8; 16]) -> bool {
    let mut first = [0u8; 16];
    first.iter_mut().zip(mac).for_each(|(f, m)| *f = *m);
    u128::from_ne_bytes(first).ct_eq(&u128::from_ne_bytes(*tag)).into()
}

/// [`decide`] on the records as the acceptance predicate sees them: with
/// the revocation list withdrawn by the re-check, no list is installed
/// (spec: R-REVOKE-6).
fn decide_in_force<'a>(
    params: &Params,
    attempt: &Attempt<'a>,
    records: &Records,
    withdrawn: bool,
    verdict: &mut Result<(), Error>,
) -> Changes<'a> {
    if withdrawn {
        decide_into(params, attempt, &Records { revoked: false, fresh_until: None, ..*records }, verdict)
    } else {
        decide_into(params, attempt, records, verdict)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn candidates_keep_the_lowest_account_ids_in_ascending_order() {
        let keys: Vec<HmacKeys> = [9u64, 3, 12, 7, 1, 30, 5]
            .iter()
            .map(|&id| HmacKeys::derive(id, &Seed::from_bytes(&[id as u8; 32])))
            .collect();
        let mut found = Candidates::default();
        assert!(found.is_empty());
        for (counter, k) in keys.iter().enumerate() {
            found.add(k, counter as u32);
        }
        // M_h = 4 of the seven: ids 1, 3, 5, 7, each with the counter it came with.
        let got: Vec<(u64, u32)> = found.iter().map(|(k, c)| (k.account_id(), c)).collect();
        assert_eq!(got, [(1, 4), (3, 1), (5, 6), (7, 3)]);
        assert_eq!(found.first().map(|(k, _)| k.account_id()), Some(1));
        let mut two = Candidates::default();
        two.add(&keys[0], 0);
        two.add(&keys[1], 1);
        assert_eq!(two.iter().map(|(k, _)| k.account_id()).collect::<Vec<_>>(), [3, 9]);
    }
}
