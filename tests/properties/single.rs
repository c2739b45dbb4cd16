//! A verifier with one account of each profile and the matching wallets,
//! and the checks the window-edge and bit-flip properties run on it.

use paycode::credential::MAX_VALIDITY_SECS;
use paycode::issuer::KeyPeriod;
use paycode::numeric::NumericCode;
use paycode::{CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, Params, Seed, Verifier};
use paycode_test_support::trust;

use crate::TERMINAL;
use crate::model::{Form, expected_window_verdict, flip_verdicts};

/// The hmac account of every [`Single`].
pub const ACCOUNT: u64 = 7;
/// An account no [`Single`] knows.
const UNKNOWN_ACCOUNT: u64 = 8;

/// A verifier with one hmac account (numeric form available) and, unless
/// only hmac is needed, one ed25519 credential valid at time `t`; and the
/// matching wallets.
pub struct Single {
    pub verifier: Verifier,
    pub hmac: HmacWallet,
    pub ed: Option<Ed25519Wallet>,
    pub serial: u64,
    pub not_after: u64,
}

/// [`single`] without the ed25519 profile (its key derivations and
/// signatures dominate the cost of the hmac-only tests).
pub fn single_hmac(p: Params) -> Single {
    let seed = Seed::from_bytes(&[0x17; 32]);
    let mut verifier = Verifier::new(p, TERMINAL);
    verifier.add_account(ACCOUNT, &seed);
    Single { verifier, hmac: HmacWallet::new(p, ACCOUNT, &seed, 0), ed: None, serial: 0, not_after: 0 }
}

pub fn single_for(p: Params, t: u64, form: Form) -> Single {
    if form == Form::Ed { single(p, t) } else { single_hmac(p) }
}

pub fn single(p: Params, t: u64) -> Single {
    let seed = Seed::from_bytes(&[0x17; 32]);
    let device = Seed::from_bytes(&[0x29; 32]);
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[0x3b; 32]));
    let not_before = t.saturating_sub(1000);
    let lifetime = MAX_VALIDITY_SECS.min(u64::MAX - not_before) as u32;
    let fields = CredentialFields {
        key_id: 1,
        serial: 4242,
        device_key: Ed25519Wallet::device_public_key(&device, 0),
        not_before,
        lifetime,
        per_payment_limit: 100,
        cumulative_limit: 1000,
    };
    let cred = issuer.issue(fields);
    let mut verifier = Verifier::new(p, TERMINAL);
    verifier.add_account(ACCOUNT, &seed);
    let period = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    trust(&mut verifier, &issuer, &[period]);
    // A list fresh at every time, revoking nothing (spec: R-REVOKE-4).
    let always = paycode::ListHeader { key_id: 1, number: 1, issued_at: 0, next_update: u64::MAX, grace: 0 };
    verifier.install_revocation_list(issuer.revocation_list(always, vec![]).unwrap(), 0).unwrap();
    Single {
        verifier,
        hmac: HmacWallet::new(p, ACCOUNT, &seed, 0),
        ed: Some(Ed25519Wallet::new(p, &device, 0, cred, 0).unwrap()),
        serial: 4242,
        not_after: fields.not_after().unwrap(),
    }
}

impl Single {
    pub fn text(&self, form: Form, step: u64, counter: u32) -> String {
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
        let got = self.verifier.verify_text(&text, t, 0);
        assert!(matches!(got, Err(Error::TooOld | Error::InvalidCode)), "{got:?}");
    }
}

/// Presents codes at the steps `L - 1`, `L`, `U`, `U + 1` (those that exist
/// in u64) at time `t`, after a call at `hw_time` raised T_hw.
pub fn check_edges(p: Params, t: u64, hw_time: u64, form: Form) {
    // The verifier time after the call at `hw_time` (R-TIME-8): at least the
    // start of the high-water step. The credential is valid around it.
    let hw_step = (hw_time - p.t0()) / p.step_secs();
    let floor = if hw_step == 0 { 0 } else { p.t0().saturating_add(hw_step.saturating_mul(p.step_secs())) };
    let one = single_for(p, t.max(floor), form);
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

/// `text` with one change: bit `bit` (of 0..7, so the text stays ASCII) of
/// character `pos`; or, with `payload`, bit `pos` of the binary payload (or of
/// `N` for the numeric form), re-encoded canonically.
pub fn flip(text: &str, form: Form, payload: bool, pos: usize, bit: u8) -> String {
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
            format!("PC3:{}", paycode::hazmat::base45::encode(&p))
        }
    }
}

/// Presents `flipped` and requires a rejection from `flip_verdicts` that
/// leaves the durable state as it was; then the genuine code is accepted.
pub fn check_flip(v: &Verifier, genuine: &str, flipped: &str, form: Form, t: u64) {
    let mut before = v.state();
    let got = v.verify_text(flipped, t, 0);
    assert!(
        got.as_ref().is_err_and(|e| flip_verdicts(form).contains(e)),
        "{form:?}: {flipped:?} (from {genuine:?}) gave {got:?}"
    );
    // Only T_hw may move (V0), and a numeric invalid-code charges the
    // failure budgets (R-VERIFY-3, R-HMAC-8): the source's always.
    let s_now = v.params().step_at(t).unwrap();
    for snap in [&mut before.hmac, &mut before.ed25519] {
        snap.high_water = snap.high_water.max(s_now);
    }
    let mut after = v.state();
    if form == Form::Numeric && got == Err(Error::InvalidCode) {
        assert_ne!(after.sources, before.sources, "R-HMAC-8: a numeric failure spends the source's budget");
        (after.sources, after.hmac.budgets) = (before.sources.clone(), before.hmac.budgets.clone());
    }
    assert_eq!(after, before, "R-VERIFY-3: a rejection changed the state");
}
