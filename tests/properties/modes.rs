//! The verdicts the spec gives a capped code, a numeric code and a
//! challenge code on a verifier that has accepted nothing else (spec §4.9,
//! §7.4 V2, §7.5), written from the spec text, and the checks the targeted
//! properties on caps and challenges run with them.

use paycode::{Challenge, Code, Error, Params, Payment, Purpose};

use crate::TERMINAL;
use crate::single::{Single, single, single_hmac};

/// The per-payment limit of [`single`]'s credential.
const PER_PAYMENT: u64 = 100;

/// What a call under test does to a challenge code's payment.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// Nothing: the challenge the code was made for, its amount.
    None,
    /// This bit of the challenge's 37 bytes flipped (R-CHAL-1, R-CHAL-2).
    Bit(usize),
    /// Another amount than the challenge's (R-CHAL-3).
    Amount(u64),
    /// No challenge at all (V2.1).
    Omit,
}

/// The verdict of V1.C - C4 for a challenge code of step `step` made for
/// `made`, presented at `t` on a fresh verifier with the challenge bytes
/// `call` (`None`: without a challenge) and amount `amount`.
pub fn challenge_verdict(
    p: &Params,
    ed: bool,
    made: &Challenge,
    call: Option<[u8; 37]>,
    amount: u64,
    step: u64,
    t: u64,
) -> Result<(), Error> {
    // V1.C: every value decodes but the version byte (R-CHAL-1).
    let Some(call) = call else { return Err(Error::NoChallenge) };
    if call[0] != paycode::VERSION {
        return Err(Error::Malformed);
    }
    let terminal = u32::from_be_bytes(call[1..5].try_into().unwrap());
    let wanted = u64::from_be_bytes(call[5..13].try_into().unwrap());
    let issued = u128::from(u64::from_be_bytes(call[13..21].try_into().unwrap()));
    // V2.2, V2.3 (exact)
    if terminal != TERMINAL || wanted != amount {
        return Err(Error::ChallengeMismatch);
    }
    let (c, x) = (u128::from(p.challenge_lifetime()), u128::from(p.step_secs()));
    if u128::from(t) > issued + c || issued > u128::from(t) + x {
        return Err(Error::ChallengeExpired);
    }
    // C1 (T_hw is T(t) on a fresh verifier); for an hmac code it comes
    // first, as H0 (R-HANDLE-3).
    let s_now = (t - p.t0()) / p.step_secs();
    let window = if step < s_now.saturating_sub(p.back()) {
        Err(Error::TooOld)
    } else if step > s_now.saturating_add(p.forward()) {
        Err(Error::TooNew)
    } else {
        Ok(())
    };
    if !ed {
        window?;
    }
    // H2, E5: the code covers the digest of the challenge it was made for.
    if call != made.encode() {
        return Err(Error::InvalidCode);
    }
    window?;
    // C2: Q = 0 (no floor on the issue time), T' = s_now.
    let start = |s: u64| u128::from(p.t0()) + u128::from(s) * x;
    if start(s_now) > issued + c {
        return Err(Error::StateUnavailable);
    }
    // C4: the credential's per-payment limit.
    if ed && amount > PER_PAYMENT {
        return Err(Error::OverLimit);
    }
    Ok(())
}

/// The verdict C4 gives a capped code with cap `cap` and amount `amount`, on
/// an hmac account or on [`single`]'s credential (R-CAP-2, then R-LIMIT-1).
pub fn cap_verdict(ed: bool, cap: u32, amount: u64) -> Result<(), Error> {
    if amount > u64::from(cap) {
        Err(Error::OverCap)
    } else if ed && amount > PER_PAYMENT {
        Err(Error::OverLimit)
    } else {
        Ok(())
    }
}

/// A verifier with one account (and with `ed`, one credential) valid at `t`.
pub fn one(p: Params, t: u64, ed: bool) -> Single {
    if ed { single(p, t) } else { single_hmac(p) }
}

impl Single {
    /// The code of the account, or with `ed` of the credential, for `purpose`.
    pub fn code_as(&self, ed: bool, step: u64, counter: u32, purpose: Purpose<'_>) -> Code {
        if ed {
            Code::Ed25519(Box::new(self.ed.as_ref().unwrap().code_as(step, counter, purpose)))
        } else {
            Code::Hmac(self.hmac.code_as(step, counter, purpose))
        }
    }

    /// Verifies `code` at `t` with `amount` and the challenge text `challenge`.
    pub fn pay(&self, code: &Code, t: u64, amount: u64, challenge: Option<&str>) -> Result<(), Error> {
        let text = code.to_text();
        let payment = paycode::TextPayment { text: &text, amount, challenge };
        self.verifier.verify_text_payment(payment, t).map(|_| ()).map_err(|r| r.error())
    }

    /// [`Single::pay`] through the typed API.
    pub fn pay_typed(
        &self,
        code: &Code,
        t: u64,
        amount: u64,
        challenge: Option<&Challenge>,
    ) -> Result<(), Error> {
        let payment = Payment { amount, challenge };
        self.verifier.verify_payment(code, t, payment).map(|_| ()).map_err(|r| r.error())
    }
}
