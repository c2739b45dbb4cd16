//! The world the store tests verify codes in: hmac accounts and ed25519
//! credentials from constant seeds, and a verifier over any store.

#![allow(dead_code)]

use paycode::issuer::KeyPeriod;
use paycode::log::LogRecord;
use paycode::revocation::ListHeader;
use paycode::store::StateStore;
use paycode::{
    Acceptance, Challenge, CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, Params, Purpose,
    RevocationList, Seed, TextPayment, UsedChallenge, Verifier,
};
pub use paycode_test_support::trust;

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
        device_key: Ed25519Wallet::device_public_key(&seed, 0),
        not_before: NOW - 86_400,
        lifetime: 7 * 86_400,
        per_payment_limit: PER_PAYMENT,
        cumulative_limit: CUMULATIVE,
    });
    Ed25519Wallet::new(params(), &seed, 0, credential, 0).unwrap()
}

/// Revocation list `number`, listing `serials`.
pub fn revocation_list(number: u64, serials: Vec<u64>) -> RevocationList {
    // A minute apart by number, so that each is newer than the lower ones
    // (spec: R-REVOKE-2); fresh for a year.
    let issued_at = (NOW - 86_400).saturating_add(60 * number.min(1_000));
    let header = ListHeader { key_id: 1, number, issued_at, next_update: NOW + 365 * 86_400, grace: 0 };
    issuer().revocation_list(header, serials).unwrap()
}

/// A verifier of both profiles over `store`: every account enrolled, the
/// issuer trusted.
pub fn verifier<S: StateStore>(store: S, terminal: u32) -> Verifier<S> {
    let mut v = Verifier::with_store(params(), terminal, store);
    for a in 1..=ACCOUNTS {
        v.add_account(a, &account_seed(a));
    }
    let period = KeyPeriod { key_id: 1, not_before: NOW - 30 * 86_400, not_after: NOW + 30 * 86_400 };
    trust(&mut v, &issuer(), &[period]);
    // List 1, revoking nothing: an ed25519 terminal needs a fresh list (spec: R-REVOKE-4).
    match v.install_revocation_list(revocation_list(1, vec![]), NOW) {
        Ok(()) | Err(paycode::InstallError::NotNewer) => {}
        Err(e) => panic!("list 1: {e}"),
    }
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
/// tag flipped in one bit: `invalid-code`, which spends no budget.
pub fn hmac_bad_text(account: u64, t: u64, counter: u32) -> String {
    let mut payload = hmac(account).code_for(step(t), counter).encode();
    *payload.last_mut().unwrap() ^= 1; // the tag's last byte
    paycode::HmacCode::decode(&payload).unwrap().to_qr_text()
}

/// The digits of `account`'s numeric code with `counter` in the step of
/// `t`, bit 0 of `tag29` flipped: `invalid-code`, charged to the account's
/// and the source's failure budgets (spec: R-HMAC-7, R-HMAC-8).
pub fn numeric_bad_text(account: u64, t: u64, counter: u32) -> String {
    let wallet = hmac(account);
    let digits = wallet.numeric(&wallet.code_for(step(t), counter)).unwrap().to_digits();
    format!("{:024}", digits.parse::<u128>().unwrap() ^ 1)
}

/// The digits of `account`'s numeric code with `counter` in the step of `t`.
pub fn numeric_text(account: u64, t: u64, counter: u32) -> String {
    let wallet = hmac(account);
    wallet.numeric(&wallet.code_for(step(t), counter)).unwrap().to_digits()
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
    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(paycode::revocation::ListMark) -> bool,
    ) -> Result<bool, paycode::StoreError> {
        self.check()?;
        self.inner.install_revocation_list(list, newer)
    }
    fn revocation_list(&self) -> Result<Option<RevocationList>, paycode::StoreError> {
        self.inner.revocation_list()
    }

    fn withdraw_revocation_list(&self) -> Result<(), paycode::StoreError> {
        self.inner.withdraw_revocation_list()
    }

    fn revocation_withdrawn(&self) -> Result<bool, paycode::StoreError> {
        self.inner.revocation_withdrawn()
    }

    fn install_trust_list(
        &self,
        list: &paycode::TrustList,
        newer: &dyn Fn(paycode::revocation::ListMark) -> bool,
    ) -> Result<bool, paycode::StoreError> {
        self.inner.install_trust_list(list, newer)
    }

    fn trust_list(&self) -> Result<Option<paycode::TrustList>, paycode::StoreError> {
        self.inner.trust_list()
    }

    fn last_accepted_at(&self) -> Result<Option<u64>, paycode::StoreError> {
        self.inner.last_accepted_at()
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

/// The atomic step of one call on a scope of a store, as `transact_at` gives it.
pub type TransactAt<'a> =
    &'a dyn Fn(paycode_store::Scope, &mut paycode::store::Call<'_>) -> Result<(), paycode::StoreError>;

/// Terminals 7 and 9 of one store: each has its own replay window and
/// ledger entry for a serial, while `T_hw` is the store's.
pub fn terminals_keep_their_own_windows_and_ledger(transact_at: TransactAt<'_>) {
    use paycode::replay::Window;
    use paycode::store::{Call, Changes, Identity, Records, Spent};
    let id = Identity { profile: paycode::Profile::Ed25519, subject: 100 };
    fn call<'c>(
        transact_at: TransactAt<'_>,
        identity: Identity,
        terminal: u32,
        decide: &'c mut dyn FnMut(&Records) -> Changes<'c>,
    ) -> Result<(), paycode::StoreError> {
        transact_at(
            paycode_store::Scope::terminal(terminal),
            &mut Call { identity, nonce: None, source: None, decide },
        )
    }
    let read = |terminal| {
        let mut seen = Records::default();
        call(transact_at, id, terminal, &mut |r| {
            seen = *r;
            Changes { high_water: r.high_water, ..Changes::default() }
        })
        .unwrap();
        seen
    };
    let window = Window::first(3, step(NOW));
    let spent = Spent { total: 400, not_after: NOW + 86_400 };
    call(transact_at, id, 7, &mut |_| Changes {
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
    call(transact_at, id, 9, &mut |_| Changes {
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

/// The nonce sets of a store (spec: R-CHAL-4): a nonce recorded in
/// terminal 7's set is used for every call whose nonces are terminal 7's,
/// whichever terminal's records it uses, and unknown to the other
/// terminals' sets; a decision records only its call's own nonce.
pub fn terminals_keep_their_own_nonce_sets(transact_at: TransactAt<'_>) {
    use paycode::UsedChallenge;
    use paycode::store::{Call, Changes, Identity};
    use paycode_store::Scope;
    let identity = Identity { profile: paycode::Profile::Hmac, subject: 5 };
    let nonce = [7; 16];
    let used = |scope: Scope| {
        let mut seen = None;
        let decide = &mut |r: &paycode::store::Records| {
            seen = Some(r.challenge_used);
            Changes { high_water: r.high_water, ..Changes::default() }
        };
        transact_at(scope, &mut Call { identity, nonce: Some(nonce), source: None, decide }).unwrap();
        seen.unwrap()
    };
    let record = |scope: Scope, nonce: Option<[u8; 16]>, named: [u8; 16]| {
        let decide = &mut |r: &paycode::store::Records| Changes {
            high_water: r.high_water,
            challenge: Some(UsedChallenge { nonce: named, closes: NOW + 120 }),
            ..Changes::default()
        };
        transact_at(scope, &mut Call { identity, nonce, source: None, decide }).unwrap();
    };
    let shared = Scope { records: 0, nonces: 7 };
    assert!(!used(shared));
    record(shared, Some(nonce), nonce);
    assert!(used(shared));
    assert!(used(Scope::terminal(7)));
    assert!(!used(Scope::terminal(9)));
    assert!(!used(Scope::terminal(0)));
    // Not the call's nonce, or no nonce: nothing is recorded.
    record(Scope::terminal(9), Some([8; 16]), nonce);
    record(Scope::terminal(9), None, nonce);
    assert!(!used(Scope::terminal(9)));
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

/// The terminal the challenges of the tests are made by, and the id of the
/// verifiers they are paid at.
pub const TILL: u32 = 7;

/// The QR text of `account`'s code for challenge `ch`, with `counter` in the step of `t`.
pub fn hmac_challenge_text(account: u64, t: u64, counter: u32, ch: &Challenge) -> String {
    hmac(account).code_as(step(t), counter, Purpose::Challenge(ch)).to_qr_text()
}

/// The QR text of credential `i`'s code for challenge `ch`, with `counter` in the step of `t`.
pub fn ed25519_challenge_text(i: u64, t: u64, counter: u32, ch: &Challenge) -> String {
    ed25519(i).code_as(step(t), counter, Purpose::Challenge(ch)).to_qr_text()
}

/// Pays challenge `ch` with the code `text` at unix time `t`, both as text.
pub fn pay<S: StateStore>(v: &Verifier<S>, text: &str, ch: &Challenge, t: u64) -> Result<Acceptance, Error> {
    let challenge = ch.to_qr_text();
    let payment = TextPayment { text, amount: ch.amount(), challenge: Some(&challenge) };
    v.verify_text_payment(payment, t).map_err(|r| {
        assert!(r.store_error().is_none(), "the store failed: {r}");
        r.error()
    })
}

/// What the nonce set holds of a challenge made at `issued_at`: `closes`
/// is `issued_at + C`, with the default `C` of 120 s (spec §2.1).
pub fn used(nonce: u8, issued_at: u64) -> UsedChallenge {
    UsedChallenge { nonce: [nonce; 16], closes: issued_at + 120 }
}

/// A challenge is paid once (spec: R-CHAL-4): after the first payer's code,
/// every other code for it is `challenge-used`, of another payer in either
/// profile or the first payer's next one, while codes for other challenges
/// are accepted; a rejected code changes nothing of its payer's window. `v`'s
/// terminal is [`TILL`].
pub fn a_challenge_is_paid_once<S: StateStore>(v: &Verifier<S>, contents: ContentsOf<'_>) {
    let ch = Challenge::new(TILL, 250, NOW, [1; 16]);
    let first = pay(v, &hmac_challenge_text(20, NOW, 0, &ch), &ch, NOW).unwrap();
    assert_eq!((first.subject, first.record.terminal_id), (20, TILL));
    assert_eq!(pay(v, &hmac_challenge_text(21, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    assert_eq!(pay(v, &ed25519_challenge_text(0, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    assert_eq!(pay(v, &hmac_challenge_text(20, NOW, 1, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    // The rejected payers' counters are still free, for other challenges.
    let other = Challenge::new(TILL, 250, NOW + 30, [2; 16]);
    pay(v, &hmac_challenge_text(21, NOW, 0, &other), &other, NOW + 30).unwrap();
    let third = Challenge::new(TILL, 300, NOW + 30, [3; 16]);
    pay(v, &ed25519_challenge_text(0, NOW, 0, &third), &third, NOW + 30).unwrap();
    assert_eq!(
        pay(v, &hmac_challenge_text(22, NOW, 0, &third), &third, NOW + 30).unwrap_err(),
        Error::ChallengeUsed
    );
    assert_eq!(contents().state.challenges, [used(1, NOW), used(2, NOW + 30), used(3, NOW + 30)]);
    // A challenge of another terminal is not this verifier's to check.
    let elsewhere = Challenge::new(TILL + 1, 250, NOW, [4; 16]);
    let text = hmac_challenge_text(23, NOW, 0, &elsewhere);
    assert_eq!(pay(v, &text, &elsewhere, NOW).unwrap_err(), Error::ChallengeMismatch);
    assert_eq!(contents().state.challenges.len(), 3);
}

/// Several codes for one challenge in one group commit
/// ([`Verifier::verify_payments_with_cause`], [`StateStore::transact_all`]):
/// the first is accepted and the later ones read its nonce as used, as if
/// they were verified one after another; codes for another challenge and a
/// one-way code in the same run are accepted.
pub fn a_group_commit_pays_a_challenge_once<S: StateStore>(v: &Verifier<S>, contents: ContentsOf<'_>) {
    let ch = Challenge::new(TILL, 40, NOW, [9; 16]);
    let other = Challenge::new(TILL, 40, NOW, [10; 16]);
    let (ct, ot) = (ch.to_qr_text(), other.to_qr_text());
    let texts = [
        (hmac_challenge_text(40, NOW, 0, &ch), Some(ct.as_str())),
        (hmac_challenge_text(41, NOW, 0, &ch), Some(ct.as_str())),
        (hmac_challenge_text(42, NOW, 0, &other), Some(ot.as_str())),
        (hmac_text(43, NOW, 0), None),
        (hmac_challenge_text(44, NOW, 0, &ch), Some(ct.as_str())),
        (hmac_challenge_text(41, NOW, 1, &other), Some(ot.as_str())),
    ];
    let items: Vec<TextPayment<'_>> = texts
        .iter()
        .map(|(text, challenge)| TextPayment { text, amount: 40, challenge: *challenge })
        .collect();
    let verdicts: Vec<Result<u64, Error>> = v
        .verify_payments_with_cause(&items, NOW)
        .into_iter()
        .map(|r| r.map(|a| a.subject).map_err(|r| r.error()))
        .collect();
    let used_up = Err(Error::ChallengeUsed);
    assert_eq!(verdicts, [Ok(40), used_up, Ok(42), Ok(43), used_up, used_up]);
    assert_eq!(contents().state.challenges, [used(9, NOW), used(10, NOW)]);
    // As one call after another would leave it: account 41's counter 0 is still free.
    let fresh = Challenge::new(TILL, 5, NOW, [11; 16]);
    pay(v, &hmac_challenge_text(41, NOW, 0, &fresh), &fresh, NOW).unwrap();
}

/// Eviction drops a nonce once its challenge closed before `T0 + T_hw·X`,
/// and no other (spec: R-CHAL-4, §8.4 evict); a code for a challenge whose
/// nonce is gone is never accepted: at the verifier time (R-TIME-8) its
/// challenge is closed.
pub fn eviction_drops_closed_nonces_only<S: StateStore>(v: &Verifier<S>, contents: ContentsOf<'_>) {
    let a = Challenge::new(TILL, 5, NOW, [0xA1; 16]);
    let b = Challenge::new(TILL, 5, NOW + 60, [0xB1; 16]);
    let c = Challenge::new(TILL, 5, NOW + 100, [0xC1; 16]);
    pay(v, &hmac_challenge_text(50, NOW, 0, &a), &a, NOW).unwrap();
    pay(v, &hmac_challenge_text(51, NOW + 60, 0, &b), &b, NOW + 60).unwrap();
    pay(v, &ed25519_challenge_text(1, NOW + 100, 0, &c), &c, NOW + 100).unwrap();
    assert_eq!(contents().state.challenges, [used(0xA1, NOW), used(0xB1, NOW + 60), used(0xC1, NOW + 100)]);
    // At NOW + 180, T0 + T_hw·X = NOW + 180 (NOW starts a step): `a` closed
    // at NOW + 120, before it; `b` closes at NOW + 180 exactly and stays.
    v.evict(NOW + 180).unwrap();
    assert_eq!(contents().state.challenges, [used(0xB1, NOW + 60), used(0xC1, NOW + 100)]);
    // A clock set back to when `a` was open: the verifier time is the floor
    // NOW + 180 (R-TIME-8), so `a` is closed, whose nonce is gone.
    let late = hmac_challenge_text(53, NOW + 110, 0, &a);
    assert_eq!(pay(v, &late, &a, NOW + 110).unwrap_err(), Error::ChallengeExpired);
    let again = hmac_challenge_text(54, NOW + 120, 0, &b);
    assert_eq!(pay(v, &again, &b, NOW + 120).unwrap_err(), Error::ChallengeUsed);
    v.evict(NOW + 240).unwrap();
    assert!(contents().state.challenges.is_empty());
}

/// `verifiers`, each on its own connection to one state, race on
/// `challenges` challenges: for each, one payer per verifier and thread
/// presents a code at once (hmac and ed25519 payers), in runs of `batch`
/// payments per call ([`Verifier::verify_payments_with_cause`], a group
/// commit of the hmac codes in it). Each challenge is paid exactly once and
/// every other code for it is `challenge-used` (spec: R-CHAL-4, R-REPLAY-3,
/// R-STATE-3). Returns the acceptances.
pub fn racing_payers_pay_each_challenge_once<S: StateStore + Sync>(
    verifiers: &[Verifier<S>],
    threads: usize,
    challenges: u8,
    batch: usize,
) -> usize {
    let payers = verifiers.len() * threads;
    assert!(payers <= 8, "payers: hmac accounts 30.. and credentials 0..{SERIALS}");
    let chs: Vec<Challenge> = (0..challenges).map(|k| Challenge::new(TILL, 10, NOW, [k; 16])).collect();
    let barrier = std::sync::Barrier::new(payers);
    let verdicts: Vec<Vec<Result<Acceptance, Error>>> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (n, v) in verifiers.iter().enumerate() {
            for t in 0..threads {
                let payer = n * threads + t;
                let (chs, barrier) = (&chs, &barrier);
                handles.push(s.spawn(move || {
                    let texts: Vec<String> = chs
                        .iter()
                        .zip(0..)
                        .map(|(ch, counter)| match payer % 2 {
                            0 => hmac_challenge_text(30 + payer as u64, NOW, counter, ch),
                            _ => ed25519_challenge_text((payer / 2) as u64, NOW, counter, ch),
                        })
                        .collect();
                    let shown: Vec<String> = chs.iter().map(Challenge::to_qr_text).collect();
                    let items: Vec<TextPayment<'_>> = texts
                        .iter()
                        .zip(&shown)
                        .map(|(text, ch)| TextPayment { text, amount: 10, challenge: Some(ch) })
                        .collect();
                    barrier.wait();
                    let mut out: Vec<Result<Acceptance, Error>> = Vec::new();
                    for run in items.chunks(batch.max(1)) {
                        out.extend(v.verify_payments_with_cause(run, NOW).into_iter().map(|r| {
                            r.map_err(|r| {
                                assert!(r.store_error().is_none(), "the store failed: {r}");
                                r.error()
                            })
                        }));
                    }
                    out
                }));
            }
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for k in 0..usize::from(challenges) {
        let of_k: Vec<&Result<Acceptance, Error>> = verdicts.iter().map(|v| &v[k]).collect();
        assert_eq!(of_k.iter().filter(|r| r.is_ok()).count(), 1, "challenge {k}: {of_k:?}");
        assert!(
            of_k.iter().all(|r| matches!(r, Ok(_) | Err(Error::ChallengeUsed))),
            "challenge {k}: {of_k:?}"
        );
    }
    verdicts.iter().flatten().filter(|r| r.is_ok()).count()
}

/// The log's `subject` and `counter` columns name the account an hmac code
/// resolved to and its real counter, for one call and for a group commit
/// ([`StateStore::transact_all`]); the exported record keeps what the code
/// carries, the step's handle and the masked counter. `columns` reads the
/// two columns in the log's order.
pub fn log_columns_name_the_account_and_the_real_counter<S: StateStore>(
    v: &Verifier<S>,
    columns: &dyn Fn() -> Vec<(u64, u32)>,
    export: &dyn Fn() -> Vec<LogRecord>,
) {
    v.verify_text(&hmac_text(1, NOW, 5), NOW, 0).unwrap();
    v.verify_text(&numeric_text(2, NOW, 7), NOW, 0).unwrap();
    v.verify_text(&ed25519_text(0, NOW, 2), NOW, 700).unwrap();
    let texts = [hmac_text(3, NOW, 9), hmac_text(4, NOW, 11)];
    let items: Vec<TextPayment<'_>> =
        texts.iter().map(|text| TextPayment { text, amount: 0, challenge: None }).collect();
    for r in v.verify_payments_with_cause(&items, NOW) {
        r.unwrap();
    }
    assert_eq!(columns(), [(1, 5), (2, 7), (100, 2), (3, 9), (4, 11)]);
    let code = hmac(1).code_for(step(NOW), 5);
    let first = export()[0].clone();
    assert_eq!(
        (first.subject(), first.counter()),
        (u64::from_be_bytes(code.handle()), code.masked_counter())
    );
    assert_ne!(first.subject(), 1);
}

/// After the store under `v` lost committed changes (its `T_hw` went back
/// below one `v` saw, and its records of `code`, which `v` accepted at
/// `NOW`, with them), every call fails as damaged and writes nothing (spec:
/// R-STATE-5, R-STATE-7): `code` again, a group, a sweep now and a step
/// later, a code rejected before the store's step (malformed) a step later,
/// which would otherwise raise `T_hw` over what `v` saw and hide the loss,
/// and a read of `T_hw`.
pub fn a_store_that_went_back_rejects_every_call<S: StateStore>(
    v: &Verifier<S>,
    code: &str,
    export: &dyn Fn() -> Vec<LogRecord>,
) {
    let r = v.verify_text_with_cause(code, NOW, 0).unwrap_err();
    assert_eq!(r.error(), Error::StateUnavailable, "{r}");
    assert_eq!(r.store_error().unwrap().kind(), paycode::store::StoreErrorKind::Corrupt, "{r}");
    assert!(r.to_string().contains("went back"), "{r}");
    let other = hmac_text(7, NOW, 0);
    let payments = [
        TextPayment { text: code, amount: 0, challenge: None },
        TextPayment { text: &other, amount: 0, challenge: None },
    ];
    for r in v.verify_payments_with_cause(&payments, NOW) {
        assert_eq!(r.unwrap_err().error(), Error::StateUnavailable);
    }
    let later = NOW + 60;
    assert_eq!(v.evict(NOW), Err(Error::StateUnavailable));
    assert_eq!(v.evict(later), Err(Error::StateUnavailable));
    assert_eq!(v.verify_text("PC3:%%%", later, 0).unwrap_err(), Error::StateUnavailable);
    assert_eq!(v.verify_text(code, NOW, 0).unwrap_err(), Error::StateUnavailable);
    assert_eq!(v.store().high_water().unwrap_err().kind(), paycode::store::StoreErrorKind::Corrupt);
    assert!(export().is_empty(), "nothing written");
}

/// A revocation list withdrawn by the re-check, through a state export and
/// an import (spec: R-REVOKE-2, R-REVOKE-6): `first` exports it as its mark
/// alone; imported into a new store (`import` makes one, named, holding the
/// state), as exported and as a memory store's snapshot gives it (the list
/// itself, marked withdrawn), it stays uninstalled and its mark stays the
/// floor of the next install. Returns the exported state.
pub fn a_withdrawn_list_is_exported_as_its_floor_and_imported_withdrawn<S: StateStore>(
    first: S,
    contents: &dyn Fn(&S) -> paycode::VerifierState,
    import: &dyn Fn(&str, &paycode::VerifierState) -> S,
) -> paycode::VerifierState {
    let issuer = issuer();
    let key = |key_id| KeyPeriod { key_id, not_before: NOW - 30 * 86_400, not_after: NOW + 30 * 86_400 };
    let trust = |sequence, keys: &[KeyPeriod]| {
        issuer.trust_list(paycode::TrustHeader { sequence, issued_at: NOW }, keys).unwrap()
    };
    let mut v = Verifier::with_store(params(), TILL, first);
    v.set_root_key(issuer.root_public_key().unwrap());
    v.install_trust_list(trust(1, &[key(1), key(2)]), NOW).unwrap();
    let withdrawn = revocation_list(7, vec![]);
    v.install_revocation_list(withdrawn.clone(), NOW).unwrap();
    v.install_trust_list(trust(2, &[key(2)]), NOW).unwrap();
    assert!(v.revocation_list_withdrawn());
    let exported = contents(v.store());
    assert_eq!(exported.revocation_list, None, "the database keeps no encoding of it");
    assert!(exported.revocation_withdrawn);
    assert_eq!(exported.revocation_floor, Some(withdrawn.mark()));
    let memory = paycode::VerifierState {
        revocation_list: Some(withdrawn),
        revocation_floor: None,
        ..exported.clone()
    };
    for (name, state) in [("exported", &exported), ("memory", &memory)] {
        let store = import(name, state);
        assert_eq!(contents(&store), exported, "{name}");
        let mut v = Verifier::with_store(params(), TILL, store);
        assert!(v.revocation_list_withdrawn(), "{name}");
        assert_eq!(v.store().revocation_list().unwrap(), None, "{name}: no list in force");
        v.set_root_key(issuer.root_public_key().unwrap());
        v.install_trust_list(trust(3, &[key(1), key(2)]), NOW).unwrap();
        assert_eq!(v.store().revocation_list().unwrap(), None, "{name}: trusting its key again");
        // spec: R-REVOKE-4: no list in force, so every ed25519 code is revocation-stale.
        assert_eq!(v.verify_text(&ed25519_text(2, NOW, 0), NOW, 0).unwrap_err(), Error::RevocationStale);
        for older in [6, 7] {
            assert_eq!(
                v.install_revocation_list(revocation_list(older, vec![]), NOW),
                Err(paycode::InstallError::NotNewer),
                "{name}: list {older}"
            );
        }
        assert_eq!(v.install_revocation_list(revocation_list(8, vec![]), NOW), Ok(()), "{name}");
        assert!(!v.revocation_list_withdrawn(), "{name}");
    }
    exported
}
