//! The world the store tests verify codes in: hmac accounts and ed25519
//! credentials from constant seeds, and a verifier over any store.

#![allow(dead_code)]

use paycode::issuer::KeyPeriod;
use paycode::store::StateStore;
use paycode::{CredentialFields, Ed25519Wallet, HmacWallet, Issuer, Params, RevocationList, Seed, Verifier};

/// The tests' unix time.
pub const NOW: u64 = 1_800_000_000;
/// Enrolled hmac accounts: 1 to `ACCOUNTS`.
pub const ACCOUNTS: u64 = 64;
/// ed25519 credential serials: 100 to 100 + `SERIALS` - 1.
pub const SERIALS: u64 = 4;
/// The credentials' per-payment limit.
pub const PER_PAYMENT: u32 = 1_000;
/// The credentials' cumulative limit.
pub const CUMULATIVE: u32 = 2_500;

pub fn params() -> Params {
    Params::default()
}

pub fn step(t: u64) -> u64 {
    t / params().step_secs()
}

fn account_seed(account: u64) -> Seed {
    Seed::from_bytes(&[u8::try_from(account % 251).unwrap(); 32])
}

pub fn issuer() -> Issuer {
    Issuer::from_seed(&Seed::from_bytes(&[0xEE; 32]))
}

/// The hmac wallet of `account`.
pub fn hmac(account: u64) -> HmacWallet {
    HmacWallet::new(params(), account, &account_seed(account), 0)
}

/// The ed25519 wallet of serial `100 + i`.
pub fn ed25519(i: u64) -> Ed25519Wallet {
    let seed = Seed::from_bytes(&[0x40 + u8::try_from(i).unwrap(); 32]);
    let credential = issuer().issue(CredentialFields {
        key_id: 1,
        serial: 100 + i,
        device_key: Ed25519Wallet::device_public_key(&seed),
        not_before: NOW - 86_400,
        lifetime: 7 * 86_400,
        per_payment_limit: PER_PAYMENT,
        cumulative_limit: CUMULATIVE,
    });
    Ed25519Wallet::new(params(), &seed, credential, 0).unwrap()
}

/// Revocation list `number`, listing `serials`.
pub fn revocation_list(number: u64, serials: Vec<u64>) -> RevocationList {
    issuer().revocation_list(1, number, NOW - 60, serials)
}

/// A verifier of both profiles over `store`: every account enrolled, the
/// issuer trusted.
pub fn verifier<S: StateStore>(store: S, terminal: u32) -> Verifier<S> {
    let mut v = Verifier::with_store(params(), terminal, store);
    for a in 1..=ACCOUNTS {
        v.add_account(a, &account_seed(a));
    }
    let period = KeyPeriod { key_id: 1, not_before: NOW - 30 * 86_400, not_after: NOW + 30 * 86_400 };
    v.set_trust_list(issuer().trust_list(&[period]).unwrap());
    v
}

/// The QR text of `account`'s code with `counter` in the step of `t`.
pub fn hmac_text(account: u64, t: u64, counter: u32) -> String {
    hmac(account).code_for(step(t), counter).to_qr_text()
}

/// The QR text of credential `i`'s code with `counter` in the step of `t`.
pub fn ed25519_text(i: u64, t: u64, counter: u32) -> String {
    ed25519(i).code_for(step(t), counter).to_qr_text()
}

/// The QR text of `account`'s code with `counter` in the step of `t`, its
/// tag flipped in one bit: `invalid-code`, counted by the throttle.
pub fn hmac_bad_text(account: u64, t: u64, counter: u32) -> String {
    let mut payload = hmac(account).code_for(step(t), counter).encode();
    *payload.last_mut().unwrap() ^= 1; // the tag's last byte
    paycode::HmacCode::decode(&payload).unwrap().to_qr_text()
}

/// A store that fails on purpose while `failing` is set, the way a full
/// disk fails: for the machines where the tests cannot mount a tmpfs.
pub struct Failing<S> {
    pub inner: S,
    pub failing: std::sync::atomic::AtomicBool,
}

impl<S: StateStore> Failing<S> {
    fn check(&self) -> Result<(), paycode::StoreError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(paycode::StoreError::new(
                paycode::store::StoreErrorKind::Full,
                "database or disk is full (on purpose)",
            ));
        }
        Ok(())
    }
}

impl<S: StateStore> StateStore for Failing<S> {
    fn transact_call(&self, call: &mut paycode::store::Call<'_>) -> Result<(), paycode::StoreError> {
        self.check()?;
        self.inner.transact_call(call)
    }
    fn observe(&self, step: u64) -> Result<(), paycode::StoreError> {
        self.check()?;
        self.inner.observe(step)
    }
    fn high_water(&self) -> Result<u64, paycode::StoreError> {
        self.inner.high_water()
    }
    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), paycode::StoreError> {
        self.check()?;
        self.inner.quarantine(floor, high_water)
    }
    fn install_revocation_list(&self, list: &RevocationList) -> Result<bool, paycode::StoreError> {
        self.check()?;
        self.inner.install_revocation_list(list)
    }
    fn revocation_list(&self) -> Result<Option<RevocationList>, paycode::StoreError> {
        self.inner.revocation_list()
    }
    fn evict(
        &self,
        step: u64,
        plan: &dyn Fn(u64) -> paycode::store::Eviction,
    ) -> Result<(), paycode::StoreError> {
        self.check()?;
        self.inner.evict(step, plan)
    }
}

/// The atomic step of one terminal's records, as `transact_at` gives it.
pub type TransactAt<'a> = &'a dyn Fn(
    u32,
    paycode::store::Identity,
    &mut dyn FnMut(&paycode::store::Records) -> paycode::store::Changes,
) -> Result<(), paycode::StoreError>;

/// Terminals 7 and 9 of one store: each has its own replay window and
/// ledger entry for a serial, while `T_hw` is the store's.
pub fn terminals_keep_their_own_windows_and_ledger(transact_at: TransactAt<'_>) {
    use paycode::replay::Window;
    use paycode::store::{Changes, Identity, Records, Spent};
    let id = Identity { profile: paycode::Profile::Ed25519, subject: 100 };
    let read = |terminal| {
        let mut seen = Records::default();
        transact_at(terminal, id, &mut |r| {
            seen = *r;
            Changes { high_water: r.high_water, ..Changes::default() }
        })
        .unwrap();
        seen
    };
    let window = Window::first(3, step(NOW));
    let spent = Spent { total: 400, not_after: NOW + 86_400 };
    transact_at(7, id, &mut |_| Changes {
        high_water: step(NOW),
        window: Some(window),
        spent: Some(spent),
        ..Changes::default()
    })
    .unwrap();
    let at7 = read(7);
    assert_eq!((at7.window, at7.spent, at7.high_water), (Some(window), Some(spent), step(NOW)));
    // Terminal 9 and terminal 0 (the store's own verifier) see none of it but T_hw.
    for other in [9, 0] {
        let seen = read(other);
        assert_eq!((seen.window, seen.spent, seen.high_water), (None, None, step(NOW)), "terminal {other}");
    }
    transact_at(9, id, &mut |_| Changes {
        high_water: step(NOW),
        spent: Some(Spent { total: 50, ..spent }),
        window: Some(Window::first(4, step(NOW))),
        ..Changes::default()
    })
    .unwrap();
    assert_eq!(read(9).spent.map(|s| s.total), Some(50));
    assert_eq!(read(7).spent.map(|s| s.total), Some(400));
    assert_eq!(read(7).window, Some(window));
}

/// A token table's round trip: insert, list oldest first, revoke once, and
/// a second token with the same id refused.
pub fn tokens_round_trip(
    insert: &dyn Fn(&paycode_store::TokenRow) -> Result<(), paycode::StoreError>,
    list: &dyn Fn() -> Result<Vec<paycode_store::TokenRow>, paycode::StoreError>,
    revoke: &dyn Fn([u8; 8], u64) -> Result<bool, paycode::StoreError>,
) {
    let a = paycode_store::TokenRow {
        id: [1; 8],
        hash: [0xAB; 32],
        terminal_id: u32::MAX,
        name: "till 1 ✓".into(),
        created_at: NOW,
        revoked_at: None,
    };
    let b = paycode_store::TokenRow { id: [2; 8], terminal_id: 9, created_at: NOW + 1, ..a.clone() };
    insert(&b).unwrap();
    insert(&a).unwrap();
    assert!(insert(&a).is_err());
    assert_eq!(list().unwrap(), vec![a.clone(), b.clone()]);
    assert!(revoke([2; 8], NOW + 5).unwrap());
    assert!(!revoke([2; 8], NOW + 6).unwrap());
    assert!(!revoke([3; 8], NOW + 6).unwrap());
    assert_eq!(list().unwrap(), vec![a, paycode_store::TokenRow { revoked_at: Some(NOW + 5), ..b }]);
}

/// What a store holds, as `contents` gives it.
pub type ContentsOf<'a> = &'a dyn Fn() -> paycode_store::Contents;

/// The counter marks (spec: R-REPLAY-7) outlive the windows: a reused counter
/// with a later step is `counter-behind` after its window was evicted; an
/// hmac mark stays, an ed25519 mark goes with its ledger entry (R-LIMIT-2).
pub fn marks_outlive_windows_and_go_with_the_ledger<S: StateStore>(
    v: &Verifier<S>,
    contents: ContentsOf<'_>,
) {
    use paycode::Error;
    use paycode::store::Mark;
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    v.verify_text(&ed25519_text(1, NOW, 2), NOW, 10).unwrap();
    // A lower counter in the same step raises neither mark.
    v.verify_text(&hmac_text(12, NOW, 1), NOW, 0).unwrap();
    let wallet = ed25519(1);
    let fields = wallet.credential().fields();
    let not_after = fields.not_before + u64::from(fields.lifetime);
    let later = NOW + 10 * 60;
    v.evict(later).unwrap();
    let c = contents();
    assert!(c.state.hmac.windows.is_empty() && c.state.ed25519.windows.is_empty(), "the windows are dead");
    assert_eq!(c.state.hmac.marks, [(12, Mark { counter: 3, step: step(NOW), until: None })]);
    assert_eq!(c.state.ed25519.marks, [(101, Mark { counter: 2, step: step(NOW), until: Some(not_after) })]);
    // Codes made for the later step with counters at or below the marks.
    for counter in [0, 3] {
        let text = hmac_text(12, later, counter);
        assert_eq!(v.verify_text(&text, later, 0).unwrap_err(), Error::CounterBehind, "hmac {counter}");
    }
    let text = ed25519_text(1, later, 1);
    assert_eq!(v.verify_text(&text, later, 10).unwrap_err(), Error::CounterBehind);
    // A rejection changes no mark; a higher counter raises it.
    v.verify_text(&hmac_text(12, later, 4), later, 0).unwrap();
    assert_eq!(contents().state.hmac.marks, [(12, Mark { counter: 4, step: step(later), until: None })]);
    // Once the credential is past its not_after and the ledger's bound, its mark goes; the hmac mark stays.
    let gone = not_after + 10 * 60;
    v.evict(gone).unwrap();
    let c = contents();
    assert!(c.state.ed25519.marks.is_empty() && c.state.ed25519.spent.is_empty(), "{:?}", c.state.ed25519);
    assert_eq!(c.state.hmac.marks, [(12, Mark { counter: 4, step: step(later), until: None })]);
}
