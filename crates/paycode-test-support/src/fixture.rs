//! The fixed world the fuzz targets, their seed corpora and the hostile-input
//! suite share: one hmac account, one issuer with two keys, one ed25519
//! credential, all from constant seeds, at the constant time [`NOW`].
//!
//! The fuzz targets, `tests/fuzz_seeds.rs` and the command's hostile-input
//! tests all use it, so that the seeds the tests write are valid codes for
//! the verifier the fuzz targets build.

use std::sync::OnceLock;

use paycode::code::QR_PREFIX;
use paycode::issuer::KeyPeriod;
use paycode::replay::{Snapshot, Spent, Window};
use paycode::revocation::RevocationList;
use paycode::store::StateStore;
use paycode::trust::{TrustHeader, TrustList};
use paycode::verifier::VerifierState;
use paycode::{
    Credential, CredentialFields, Ed25519Wallet, HmacWallet, Issuer, ListHeader, Params, Profile, PublicKey,
    Seed, Verifier,
};

/// The fixture's unix time.
pub const NOW: u64 = 1_800_000_000;
/// The enrolled hmac account (below 2^30, so it has a numeric form).
pub const ACCOUNT: u64 = 7;
/// The credential's serial.
pub const SERIAL: u64 = 1001;
/// The issuer key that signs the credential.
pub const KEY_ID: u16 = 1;
/// A second trusted issuer key, valid from a day before [`NOW`] too.
pub const OTHER_KEY_ID: u16 = 2;
/// The credential's per-payment limit.
pub const PER_PAYMENT: u32 = 5_000;
/// The credential's cumulative limit.
pub const CUMULATIVE: u32 = 20_000;
/// The verifier's terminal id.
pub const TERMINAL: u32 = 1;

/// The default parameters: `T0 = 0`, `X = 60`, `B = 2`, `F = 1`.
pub fn params() -> Params {
    Params::default()
}

/// The step of [`NOW`].
pub fn step_now() -> u64 {
    NOW / params().step_secs()
}

/// The hmac account's seed.
pub fn account_seed() -> Seed {
    Seed::from_bytes(&[0x11; 32])
}

/// The issuer's seed.
pub fn issuer_seed() -> Seed {
    Seed::from_bytes(&[0x22; 32])
}

/// The ed25519 wallet's device seed.
pub fn device_seed() -> Seed {
    Seed::from_bytes(&[0x33; 32])
}

/// The issuer.
pub fn issuer() -> Issuer {
    Issuer::from_seed(&issuer_seed())
}

/// The trust list's sequence number and issue time: list 1, issued a day
/// before [`NOW`].
pub const TRUST_HEADER: TrustHeader = TrustHeader { sequence: 1, issued_at: NOW - 86_400 };

/// The issuer's root public key, which signs [`trust_list`].
pub fn root_key() -> PublicKey {
    match issuer().root_public_key() {
        Ok(key) => key,
        Err(e) => panic!("fixture root key: {e}"),
    }
}

/// The trust list: keys 1 and 2, valid from a day before [`NOW`] to a year
/// after, signed by the issuer's root key.
pub fn trust_list() -> TrustList {
    // Cached: deriving the keys costs more than most fuzz executions.
    static LIST: OnceLock<TrustList> = OnceLock::new();
    LIST.get_or_init(|| {
        let period = |key_id| KeyPeriod { key_id, not_before: NOW - 86_400, not_after: NOW + 365 * 86_400 };
        match issuer().trust_list(TRUST_HEADER, &[period(KEY_ID), period(OTHER_KEY_ID)]) {
            Ok(list) => list,
            Err(e) => panic!("fixture trust list: {e}"),
        }
    })
    .clone()
}

/// The wallet's credential: valid from an hour before [`NOW`] for a day.
pub fn credential() -> Credential {
    static CREDENTIAL: OnceLock<Credential> = OnceLock::new();
    *CREDENTIAL.get_or_init(|| {
        issuer().issue(CredentialFields {
            key_id: KEY_ID,
            serial: SERIAL,
            device_key: Ed25519Wallet::device_public_key(&device_seed(), 0),
            not_before: NOW - 3_600,
            lifetime: 86_400,
            per_payment_limit: PER_PAYMENT,
            cumulative_limit: CUMULATIVE,
        })
    })
}

/// A revocation list signed with key 1 an hour before [`NOW`], so that its
/// `issued_at`, a bound of the verifier's time floor (spec: R-TIME-8), leaves
/// times before [`NOW`] to the cases; fresh for a day and a day's grace: number 2, listing [`SERIAL`], if `revoke_fixture`; else
/// number 1, listing two other serials.
pub fn revocation_list(revoke_fixture: bool) -> RevocationList {
    static LISTS: OnceLock<[Result<RevocationList, paycode::Error>; 2]> = OnceLock::new();
    let [other, fixture] = LISTS.get_or_init(|| {
        [false, true].map(|revoke| {
            let serials = if revoke { vec![3, SERIAL, 9_999] } else { vec![3, 9_999] };
            let number = if revoke { 2 } else { 1 };
            let header = ListHeader {
                key_id: KEY_ID,
                number,
                issued_at: NOW - 3_600,
                next_update: NOW + 86_400,
                grace: 86_400,
            };
            issuer().revocation_list(header, serials)
        })
    });
    match if revoke_fixture { fixture } else { other } {
        Ok(list) => list.clone(),
        // The header above is well-formed.
        Err(e) => panic!("fixture revocation list: {e}"),
    }
}

/// The hmac wallet, whose next code has counter `counter`.
pub fn hmac_wallet(counter: u32) -> HmacWallet {
    HmacWallet::new(params(), ACCOUNT, &account_seed(), counter)
}

/// The ed25519 wallet, whose next code has counter `counter`.
pub fn ed25519_wallet(counter: u32) -> Ed25519Wallet {
    match Ed25519Wallet::new(params(), &device_seed(), 0, credential(), counter) {
        Ok(w) => w,
        Err(e) => panic!("fixture wallet: {e}"),
    }
}

/// A verifier of both profiles with the account enrolled and the trust list set.
pub fn verifier() -> Verifier {
    configure(Verifier::new(params(), TERMINAL))
}

/// Enrolls the account, sets the trust list and installs revocation list
/// 1 (which revokes nothing of the fixture's) on `v`, whatever its store:
/// an ed25519 terminal needs a fresh list (spec: R-REVOKE-4).
pub fn configure<S: StateStore>(mut v: Verifier<S>) -> Verifier<S> {
    v.add_account(ACCOUNT, &account_seed());
    v.set_root_key(root_key());
    match v.install_trust_list(trust_list(), NOW) {
        // Not newer: the verifier holds it already.
        Ok(()) | Err(paycode::InstallError::NotNewer) => {}
        Err(e) => panic!("fixture trust list: {e}"),
    }
    match v.install_revocation_list(revocation_list(false), NOW) {
        // Not newer: the store holds it, or list 2, already.
        Ok(()) | Err(paycode::InstallError::NotNewer) => {}
        Err(e) => panic!("fixture revocation list refused: {e}"),
    }
    v
}

/// A valid input of the fixture, as scanned.
#[derive(Clone, Debug)]
pub struct Valid {
    /// Short name, used for seed file names.
    pub label: &'static str,
    /// The scanned text: QR text or 24 digits.
    pub text: String,
    /// The profile.
    pub profile: Profile,
}

/// Valid codes at [`NOW`]: hmac QR (counter 0), hmac numeric (counter 1),
/// ed25519 QR (counter 0). Each verifies as accepted at [`NOW`] with amount 0.
pub fn valid_codes() -> Vec<Valid> {
    let hmac = hmac_wallet(0);
    let qr = hmac.code_for(step_now(), 0);
    let numeric = match hmac.numeric(&hmac.code_for(step_now(), 1)) {
        Ok(n) => n.to_digits(),
        Err(e) => panic!("fixture numeric code: {e}"),
    };
    let ed = ed25519_wallet(0).code_for(step_now(), 0);
    vec![
        Valid { label: "hmac-qr", text: qr.to_qr_text(), profile: Profile::Hmac },
        Valid { label: "hmac-numeric", text: numeric, profile: Profile::Hmac },
        Valid { label: "ed25519-qr", text: ed.to_qr_text(), profile: Profile::Ed25519 },
    ]
}

/// `PC3:` + Base45 of `payload`.
pub fn qr_text(payload: &[u8]) -> String {
    format!("{QR_PREFIX}{}", paycode::hazmat::base45::encode(payload))
}

/// One verification case of the `verify` fuzz target, decoded from fuzz
/// input: the verifier's starting state, the time, the amount and the text.
///
/// Layout (every field big-endian; missing bytes read as zero):
///
/// | off | size | field |
/// |---|---|---|
/// | 0 | 1 | flags: bit 0 state lost, bit 1 revocation list that lists [`SERIAL`] installed, bit 2 absolute time, bit 3 text is a binary payload, bits 4-7 failed hmac codes verified first |
/// | 1 | 8 | time: unix seconds if absolute, else signed offset from [`NOW`] |
/// | 9 | 8 | amount |
/// | 17 | 19 | hmac state: high water, quarantine, window of [`ACCOUNT`] |
/// | 36 | 32 | ed25519 state: high water, quarantine, window and ledger entry of [`SERIAL`] |
/// | 68 | 23 | one more window, of any identity, in the hmac state |
/// | 91 | .. | the text (lossy UTF-8), or the payload |
///
/// A step field `s` (2 bytes) means `T(NOW) + (s as i16)`, and `0x8000` means 0.
#[derive(Clone, Debug)]
pub struct VerifyCase {
    /// Start as after a state loss at `now` (quarantine) instead of from `state`.
    pub lost: bool,
    /// Install the revocation list that lists [`SERIAL`].
    pub revoke: bool,
    /// Failed numeric codes of the hmac account to verify before the case
    /// (failure budget pressure: more than 4 spend the account's budget).
    pub failures: u8,
    /// Verifier time.
    pub now: u64,
    /// Payment amount.
    pub amount: u64,
    /// Starting state.
    pub state: VerifierState,
    /// The scanned text.
    pub text: String,
}

/// Length of the fixed header of a [`VerifyCase`].
pub const CASE_HEADER_LEN: usize = 91;
/// Step field value meaning 0.
const STEP_ZERO: u16 = 0x8000;

impl VerifyCase {
    /// Decodes any bytes into a case.
    pub fn from_bytes(data: &[u8]) -> VerifyCase {
        let mut r = Bytes(data);
        let flags = r.u8();
        let time = r.u64();
        let now = if flags & 4 != 0 { time } else { NOW.wrapping_add(time) };
        let amount = r.u64();
        let mut hmac = Snapshot { high_water: r.step(), quarantine: r.step(), ..Snapshot::default() };
        if let Some(w) = r.window() {
            hmac.windows.push((ACCOUNT, w));
        }
        let mut ed = Snapshot { high_water: r.step(), quarantine: r.step(), ..Snapshot::default() };
        if let Some(w) = r.window() {
            ed.windows.push((SERIAL, w));
        }
        let spent = (r.u8() != 0, r.u64(), r.u32());
        if spent.0 {
            let not_after = NOW.wrapping_add_signed(i64::from(spent.2 as i32));
            ed.spent.push((SERIAL, Spent { total: spent.1, not_after }));
        }
        let id = r.u64();
        if let Some(w) = r.window() {
            hmac.windows.push((id, w));
        }
        let rest = r.0;
        let text = if flags & 8 != 0 { qr_text(rest) } else { String::from_utf8_lossy(rest).into_owned() };
        VerifyCase {
            lost: flags & 1 != 0,
            revoke: flags & 2 != 0,
            failures: flags >> 4,
            now,
            amount,
            state: VerifierState {
                hmac,
                ed25519: ed,
                revocation_list: None,
                revocation_withdrawn: false,
                revocation_floor: None,
                challenges: Vec::new(),
                sources: Vec::new(),
            },
            text,
        }
    }

    /// Fuzz input for a case with `flags` (see the layout) at `NOW + offset`
    /// with amount `amount`, and `text` (or the payload, with flag bit 3).
    /// The state has high water and quarantine 0 and, if `replayed`, a
    /// window for [`ACCOUNT`] and for [`SERIAL`] that holds counters 0 and 1
    /// at `T(NOW)` (every code of [`valid_codes`]), else no window; no ledger entry.
    pub fn seed(flags: u8, offset: i64, amount: u64, replayed: bool, text: &[u8]) -> Vec<u8> {
        let mut out = vec![flags];
        out.extend_from_slice(&offset.to_be_bytes());
        out.extend_from_slice(&amount.to_be_bytes());
        for _ in 0..2 {
            // High water, quarantine, then the window.
            out.extend_from_slice(&STEP_ZERO.to_be_bytes());
            out.extend_from_slice(&STEP_ZERO.to_be_bytes());
            out.push(u8::from(replayed));
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(&3u64.to_be_bytes());
            out.extend_from_slice(&0u16.to_be_bytes());
        }
        // No ledger entry, no extra window.
        out.extend_from_slice(&[0; 13 + 23]);
        debug_assert_eq!(out.len(), CASE_HEADER_LEN);
        out.extend_from_slice(text);
        out
    }

    /// The verifier this case starts from, after the failed hmac codes.
    pub fn verifier(&self) -> Verifier {
        let v = if self.lost {
            match Verifier::after_state_loss(params(), TERMINAL, self.now) {
                Ok(v) => v,
                // T0 = 0: no time is before the epoch.
                Err(e) => panic!("after_state_loss: {e}"),
            }
        } else {
            Verifier::restore(params(), TERMINAL, &self.state)
        };
        let v = configure(v);
        if self.revoke
            && let Err(e) = v.install_revocation_list(revocation_list(true), NOW)
            && e != paycode::InstallError::NotNewer
        {
            panic!("fixture revocation list refused: {e}");
        }
        if self.failures > 0 {
            let wallet = hmac_wallet(0);
            let step = params().step_at(self.now).unwrap_or(0);
            for i in 0..u32::from(self.failures) {
                // Numeric codes with a wrong tag: only the numeric form spends a budget (spec: R-HMAC-6).
                // A verifier time far from `now` (a restored state, the time floor) can put the
                // reconstructed step outside the window: too-old or too-new at H0, charging nothing.
                let Ok(digits) = wallet.numeric(&wallet.code_for(step, i)).map(|n| n.to_digits()) else {
                    continue;
                };
                let wrong = format!("{:024}", digits.parse::<u128>().unwrap_or(0) ^ 1);
                let verdict = v.verify_text(&wrong, self.now, 0);
                assert!(
                    matches!(
                        verdict,
                        Err(paycode::Error::InvalidCode
                            | paycode::Error::Throttled
                            | paycode::Error::TooOld
                            | paycode::Error::TooNew)
                    ),
                    "failed code gave {verdict:?}"
                );
            }
        }
        v
    }
}

/// A reader that yields zeros once the input runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        out[..n].copy_from_slice(head);
        self.0 = rest;
        out
    }

    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }

    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take())
    }

    fn step(&mut self) -> u64 {
        match u16::from_be_bytes(self.take()) {
            STEP_ZERO => 0,
            s => step_now().wrapping_add_signed(i64::from(s as i16)),
        }
    }

    /// present (1) | high (4) | bitmap (8) | top (2)
    fn window(&mut self) -> Option<Window> {
        let present = self.u8() != 0;
        let w = Window { high: self.u32(), bitmap: self.u64(), top: self.step() };
        present.then_some(w)
    }
}
