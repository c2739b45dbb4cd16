//! The verifier: the acceptance predicate and its state (spec §7, §8).

use std::collections::HashMap;
use std::sync::RwLock;

use subtle::ConstantTimeEq;

use crate::code::{Code, DS_HMAC_QR, Ed25519Code, HmacCode, Profile};
use crate::credential::CREDENTIAL_LEN;
use crate::eddsa::PublicKey;
use crate::keys::HmacKeys;
use crate::log::LogRecord;
use crate::numeric::NumericCode;
use crate::replay::{ReplayState, Snapshot, Spend};
use crate::revocation::RevocationList;
use crate::trust::TrustList;
use crate::{Error, Params, Seed};

/// Most credentials kept verified in the cache before expired ones are dropped.
const CREDENTIAL_CACHE_LIMIT: usize = 1 << 20;

/// A verifier of both profiles: an hmac back end (enrolled accounts), an
/// offline ed25519 terminal (trust list, revocation list), or both.
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
pub struct Verifier {
    params: Params,
    terminal_id: u32,
    accounts: Option<HashMap<u64, HmacKeys>>,
    trust: Option<TrustList>,
    revocation: RwLock<Option<RevocationList>>,
    credentials: RwLock<HashMap<u64, CachedCredential>>,
    hmac: ReplayState,
    ed25519: ReplayState,
}

#[derive(Clone, Copy, Debug)]
struct CachedCredential {
    bytes: [u8; CREDENTIAL_LEN],
    device: PublicKey,
}

/// A code the verifier accepted, with the log record the terminal must store
/// before reporting success (spec: R-LOG-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acceptance {
    /// The acceptance log record.
    pub record: LogRecord,
}

/// Why a revocation list was not installed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallError {
    /// This verifier has no trust list.
    NoTrustList,
    /// The list's key id is not trusted, or not valid when the list was issued.
    UnknownKey,
    /// The list's signature does not verify.
    BadSignature,
    /// The list's number is not greater than the installed list's (spec: R-REVOKE-2).
    NotNewer,
}

impl core::fmt::Display for InstallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            InstallError::NoTrustList => "no trust list is configured",
            InstallError::UnknownKey => "the revocation list's signing key is not trusted at its issue time",
            InstallError::BadSignature => "the revocation list's signature is invalid",
            InstallError::NotNewer => "the revocation list is not newer than the installed one",
        })
    }
}

impl std::error::Error for InstallError {}

/// The state a verifier must keep durably between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierState {
    /// hmac replay state.
    pub hmac: Snapshot,
    /// ed25519 replay state and spend ledger.
    pub ed25519: Snapshot,
    /// The installed revocation list, hex of its encoding (spec §8.6: `RL` is durable state,
    /// so a restart cannot fall back to an older list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_list: Option<String>,
}

impl Verifier {
    /// A verifier that has never accepted a code, with no profile enabled yet.
    /// `terminal_id` goes into its log records.
    pub fn new(params: Params, terminal_id: u32) -> Verifier {
        Verifier::with_states(params, terminal_id, ReplayState::new(params), ReplayState::new(params))
    }

    /// A verifier restarted at unix time `now` after losing its replay state:
    /// it quarantines every code whose step is below `T(now) + F + 1` (spec: R-REPLAY-5).
    ///
    /// # Errors
    ///
    /// [`Error::TimeBeforeEpoch`] if `now < T0`.
    pub fn after_state_loss(params: Params, terminal_id: u32, now: u64) -> Result<Verifier, Error> {
        let step = params.step_at(now)?;
        Ok(Verifier::with_states(
            params,
            terminal_id,
            ReplayState::after_loss(params, step),
            ReplayState::after_loss(params, step),
        ))
    }

    /// A verifier restarted with its durable state.
    ///
    /// The revocation list in `state` was checked when it was first installed;
    /// it is the verifier's own durable state, so it is restored as it is.
    /// A stored list that does not decode is left out, and the next install
    /// starts from none.
    pub fn restore(params: Params, terminal_id: u32, state: &VerifierState) -> Verifier {
        let v = Verifier::with_states(
            params,
            terminal_id,
            ReplayState::restore(params, &state.hmac),
            ReplayState::restore(params, &state.ed25519),
        );
        let list = state
            .revocation_list
            .as_deref()
            .and_then(|h| crate::files::from_hex(h).ok())
            .and_then(|b| RevocationList::decode(&b).ok());
        if let (Some(list), Ok(mut slot)) = (list, v.revocation.write()) {
            *slot = Some(list);
        }
        v
    }

    fn with_states(params: Params, terminal_id: u32, hmac: ReplayState, ed25519: ReplayState) -> Verifier {
        Verifier {
            params,
            terminal_id,
            accounts: None,
            trust: None,
            revocation: RwLock::new(None),
            credentials: RwLock::new(HashMap::new()),
            hmac,
            ed25519,
        }
    }

    /// Enables the hmac profile with no accounts yet.
    pub fn enable_hmac(&mut self) {
        self.accounts.get_or_insert_with(HashMap::new);
    }

    /// Enrolls an hmac account (and enables the hmac profile).
    pub fn add_account(&mut self, account_id: u64, seed: &Seed) {
        self.accounts.get_or_insert_with(HashMap::new).insert(account_id, HmacKeys::derive(account_id, seed));
    }

    /// Sets the trust list (and enables the ed25519 profile).
    pub fn set_trust_list(&mut self, trust: TrustList) {
        self.trust = Some(trust);
        if let Ok(mut cache) = self.credentials.write() {
            cache.clear();
        }
    }

    /// Installs a revocation list if it is signed by a trusted key valid at
    /// its issue time and newer than the installed one (spec: R-REVOKE-1, R-REVOKE-2).
    ///
    /// # Errors
    ///
    /// [`InstallError`] says why it was refused; the installed list is unchanged.
    pub fn install_revocation_list(&self, list: RevocationList) -> Result<(), InstallError> {
        let trust = self.trust.as_ref().ok_or(InstallError::NoTrustList)?;
        list.check(trust).map_err(|e| match e {
            Error::UnknownIssuer => InstallError::UnknownKey,
            _ => InstallError::BadSignature,
        })?;
        let mut slot = self.revocation.write().map_err(|_| InstallError::NotNewer)?;
        // The initial installed number is 0, so list number 0 is never installed.
        if slot.as_ref().map_or(0, RevocationList::number) >= list.number() {
            return Err(InstallError::NotNewer);
        }
        *slot = Some(list);
        Ok(())
    }

    /// The installed revocation list's number, if any.
    pub fn revocation_number(&self) -> Option<u64> {
        self.revocation.read().ok().and_then(|r| r.as_ref().map(RevocationList::number))
    }

    /// Verifies `code` at unix time `now` for a payment of `amount` minor
    /// units (ignored by the hmac profile). On acceptance the counter is
    /// recorded and the log record returned (spec: R-VERIFY-1).
    ///
    /// # Errors
    ///
    /// The spec's error code of the first check that fails, in the spec's order.
    pub fn verify(&self, code: &Code, now: u64, amount: u64) -> Result<Acceptance, Error> {
        // spec: R-TIME-2 (V0), R-TIME-5
        let step = self.params.step_at(now)?;
        self.hmac.observe(step);
        self.ed25519.observe(step);
        let record = match code {
            Code::Hmac(c) => self.verify_hmac(c, step)?,
            Code::Numeric(c) => self.verify_numeric(c, step)?,
            Code::Ed25519(c) => self.verify_ed25519(c, now, step, amount)?,
        };
        Ok(Acceptance { record: LogRecord { accepted_at: now, terminal_id: self.terminal_id, ..record } })
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
        // spec: R-TIME-5: T_hw moves on every call at t >= T0, even for input that does not decode.
        let step = self.params.step_at(now)?;
        self.hmac.observe(step);
        self.ed25519.observe(step);
        let code = Code::parse(text).map_err(|e| match e {
            Error::Malformed => self.disabled_profile(text).unwrap_or(e),
            other => other,
        })?;
        self.verify(&code, now, amount)
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
        let payload = crate::base45::decode(text.strip_prefix(crate::code::QR_PREFIX)?).ok()?;
        let enabled = match payload.get(..2)? {
            [crate::VERSION, crate::code::PROFILE_HMAC] => self.accounts.is_some(),
            [crate::VERSION, crate::code::PROFILE_ED25519] => self.trust.is_some(),
            _ => return None,
        };
        (!enabled).then_some(Error::UnsupportedProfile)
    }

    /// Drops the state that can no longer matter at unix time `now` (spec: R-REPLAY-4).
    /// Verification evicts as it goes; this sweeps everything at once.
    ///
    /// # Errors
    ///
    /// [`Error::TimeBeforeEpoch`] if `now < T0`.
    pub fn evict(&self, now: u64) -> Result<(), Error> {
        let step = self.params.step_at(now)?;
        self.hmac.evict(step);
        self.ed25519.evict(step);
        Ok(())
    }

    /// The replay state of a profile.
    pub const fn replay_state(&self, profile: Profile) -> &ReplayState {
        match profile {
            Profile::Hmac => &self.hmac,
            Profile::Ed25519 => &self.ed25519,
        }
    }

    /// A copy of the durable state.
    pub fn state(&self) -> VerifierState {
        let revocation_list =
            self.revocation.read().ok().and_then(|r| r.as_ref().map(|l| crate::files::to_hex(&l.encode())));
        VerifierState { hmac: self.hmac.snapshot(), ed25519: self.ed25519.snapshot(), revocation_list }
    }

    /// The time parameters.
    pub const fn params(&self) -> &Params {
        &self.params
    }

    fn keys(&self, account_id: u64) -> Result<&HmacKeys, Error> {
        let accounts = self.accounts.as_ref().ok_or(Error::UnsupportedProfile)?;
        // spec: R-VERIFY-1 (H1)
        accounts.get(&account_id).ok_or(Error::UnknownAccount)
    }

    fn verify_hmac(&self, c: &HmacCode, step: u64) -> Result<LogRecord, Error> {
        let keys = self.keys(c.account_id)?;
        // spec: R-HMAC-6 (H2)
        self.hmac.reserve_attempt(c.account_id, step)?;
        // spec: R-HMAC-1, R-HMAC-5 (H3)
        let mac = keys.mac_qr(&[DS_HMAC_QR, &c.maced()]);
        let ok: bool = mac.get(..16).unwrap_or_default().ct_eq(&c.tag).into();
        if !ok {
            return Err(Error::InvalidCode);
        }
        self.hmac.release_attempt(c.account_id, step);
        self.hmac.admit(c.account_id, c.step, c.counter, step, None)?;
        Ok(record(Profile::Hmac, 0, c.account_id, c.counter, c.step, 0))
    }

    fn verify_numeric(&self, c: &NumericCode, step: u64) -> Result<LogRecord, Error> {
        let account = c.account_id();
        let keys = self.keys(account)?;
        self.hmac.reserve_attempt(account, step)?;
        // spec: R-HMAC-3
        let code_step = c.step_near(step);
        if !c.tag_matches(keys, code_step) {
            return Err(Error::InvalidCode);
        }
        self.hmac.release_attempt(account, step);
        self.hmac.admit(account, code_step, c.counter(), step, None)?;
        Ok(record(Profile::Hmac, 0, account, c.counter(), code_step, 0))
    }

    fn verify_ed25519(&self, c: &Ed25519Code, now: u64, step: u64, amount: u64) -> Result<LogRecord, Error> {
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
        // spec: R-REVOKE-3 (E4)
        let revoked = self.revocation.read().map_err(|_| Error::StateUnavailable)?;
        if revoked.as_ref().is_some_and(|list| list.contains(f.serial)) {
            return Err(Error::Revoked);
        }
        drop(revoked);
        // spec: R-ED-5 (E5)
        let mut input = [0u8; crate::code::DS_ED25519_CODE.len() + crate::code::ED25519_SIGNED_LEN];
        let (ds, rest) = input.split_at_mut(crate::code::DS_ED25519_CODE.len());
        ds.copy_from_slice(crate::code::DS_ED25519_CODE);
        rest.copy_from_slice(c.bytes.get(..crate::code::ED25519_SIGNED_LEN).unwrap_or_default());
        if !device.verify(&input, &c.signature()) {
            return Err(Error::InvalidCode);
        }
        let spend = Spend {
            amount,
            per_payment_limit: u64::from(f.per_payment_limit),
            cumulative_limit: u64::from(f.cumulative_limit),
            not_after,
        };
        self.ed25519.admit(f.serial, c.step, c.counter, step, Some(spend))?;
        Ok(record(Profile::Ed25519, f.key_id, f.serial, c.counter, c.step, amount))
    }

    fn cached(&self, serial: u64, bytes: &[u8; CREDENTIAL_LEN]) -> Option<PublicKey> {
        let cache = self.credentials.read().ok()?;
        cache.get(&serial).filter(|c| c.bytes == *bytes).map(|c| c.device)
    }

    fn cache(&self, serial: u64, bytes: &[u8; CREDENTIAL_LEN], device: PublicKey, now: u64) {
        if let Ok(mut cache) = self.credentials.write() {
            if cache.len() >= CREDENTIAL_CACHE_LIMIT {
                cache.retain(|_, c| {
                    crate::Credential::decode(&c.bytes)
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

const fn record(
    profile: Profile,
    key_id: u16,
    subject: u64,
    counter: u32,
    step: u64,
    amount: u64,
) -> LogRecord {
    LogRecord { profile, key_id, subject, counter, step, accepted_at: 0, amount, terminal_id: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HmacWallet;

    const NOW: u64 = 1_800_000_000;

    fn hmac_verifier() -> (Verifier, HmacWallet) {
        let params = Params::default();
        let seed = Seed::from_bytes(&[4; 32]);
        let mut v = Verifier::new(params, 1);
        v.add_account(9, &seed);
        (v, HmacWallet::new(params, 9, &seed, 0))
    }

    #[test]
    fn undecodable_input_still_raises_high_water() {
        let (v, wallet) = hmac_verifier();
        let code = wallet.code_for(NOW / 60, 0).to_qr_text();
        // Three steps later, garbage arrives: T_hw must move to that step (spec: R-TIME-5).
        assert_eq!(v.verify_text("garbage", NOW + 180, 0).unwrap_err(), Error::Malformed);
        assert_eq!(v.replay_state(Profile::Hmac).high_water(), NOW / 60 + 3);
        // So the code of step T is too old even when the clock reads T again.
        assert_eq!(v.verify_text(&code, NOW, 0).unwrap_err(), Error::TooOld);
    }

    #[test]
    fn disabled_profile_comes_before_the_length_check() {
        let (v, _) = hmac_verifier();
        // An ed25519 payload of the wrong length at an hmac-only verifier.
        let text = format!("{}{}", crate::code::QR_PREFIX, crate::base45::encode(&[1, 2, 0]));
        assert_eq!(v.verify_text(&text, NOW, 0).unwrap_err(), Error::UnsupportedProfile);
        // An hmac payload of the wrong length stays malformed there.
        let text = format!("{}{}", crate::code::QR_PREFIX, crate::base45::encode(&[1, 1, 0]));
        assert_eq!(v.verify_text(&text, NOW, 0).unwrap_err(), Error::Malformed);
        // A bad version is still reported first.
        let text = format!("{}{}", crate::code::QR_PREFIX, crate::base45::encode(&[2, 2, 0]));
        assert_eq!(v.verify_text(&text, NOW, 0).unwrap_err(), Error::UnsupportedVersion);
    }

    #[test]
    fn the_revocation_list_survives_a_restart() {
        let issuer = crate::Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
        let period = crate::issuer::KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
        let mut v = Verifier::new(Params::default(), 1);
        v.set_trust_list(issuer.trust_list(&[period]).unwrap());
        v.install_revocation_list(issuer.revocation_list(1, 5, NOW, vec![9])).unwrap();
        let state = v.state();
        let mut back = Verifier::restore(Params::default(), 1, &state);
        back.set_trust_list(issuer.trust_list(&[period]).unwrap());
        assert_eq!(back.revocation_number(), Some(5));
        // An older list is refused after the restart too (spec: R-REVOKE-2).
        let older = issuer.revocation_list(1, 4, NOW, vec![]);
        assert_eq!(back.install_revocation_list(older), Err(InstallError::NotNewer));
        assert_eq!(back.state(), state);
    }

    #[test]
    fn revocation_numbers_start_above_zero() {
        let issuer = crate::Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
        let period = crate::issuer::KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
        let mut v = Verifier::new(Params::default(), 1);
        v.set_trust_list(issuer.trust_list(&[period]).unwrap());
        // spec: R-REVOKE-2: the installed number starts at 0 and must increase.
        let zero = issuer.revocation_list(1, 0, NOW, vec![5]);
        assert_eq!(v.install_revocation_list(zero), Err(InstallError::NotNewer));
        assert_eq!(v.revocation_number(), None);
        assert_eq!(v.install_revocation_list(issuer.revocation_list(1, 1, NOW, vec![5])), Ok(()));
        assert_eq!(v.revocation_number(), Some(1));
    }
}
