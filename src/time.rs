//! Time steps and the acceptance window (spec §2).

use crate::errors::{Error, ParamsError};

/// The time parameters shared by wallet and verifier: epoch `T0`, step length
/// `X`, and the asymmetric acceptance window of `B` steps back and `F` forward;
/// and the verifier's amount and challenge parameters: the challenge lifetime
/// `C` and the numeric ceiling `A_num` (spec §2.1).
///
/// ```
/// let p = paycode::Params::default();
/// assert_eq!(p.step_at(1_800_000_000), Ok(30_000_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    t0: u64,
    step_secs: u64,
    back: u64,
    forward: u64,
    challenge_lifetime: u64,
    numeric_ceiling: u64,
}

impl Params {
    /// Largest allowed back window `B`.
    pub const MAX_BACK: u64 = 8;
    /// Largest allowed forward window `F`.
    pub const MAX_FORWARD: u64 = 7;
    /// Largest allowed step length `X`, in seconds.
    pub const MAX_STEP_SECS: u64 = 86_400;
    /// Shortest allowed challenge lifetime `C`, in seconds.
    pub const MIN_CHALLENGE_LIFETIME: u64 = 30;
    /// Longest allowed challenge lifetime `C`, in seconds.
    pub const MAX_CHALLENGE_LIFETIME: u64 = 600;
    /// The default challenge lifetime `C`, in seconds.
    pub const DEFAULT_CHALLENGE_LIFETIME: u64 = 120;
    /// The default numeric ceiling `A_num`, in minor units.
    pub const DEFAULT_NUMERIC_CEILING: u64 = 5000;

    /// Parameters with the given epoch (unix seconds), step length (seconds)
    /// and window (steps back, steps forward), and the default challenge
    /// lifetime and numeric ceiling.
    ///
    /// # Errors
    ///
    /// A value outside the spec's ranges (spec: R-TIME-6).
    pub const fn new(t0: u64, step_secs: u64, back: u64, forward: u64) -> Result<Params, ParamsError> {
        if step_secs == 0 || step_secs > Params::MAX_STEP_SECS {
            return Err(ParamsError::StepLength);
        }
        if back > Params::MAX_BACK {
            return Err(ParamsError::BackWindow);
        }
        if forward > Params::MAX_FORWARD {
            return Err(ParamsError::ForwardWindow);
        }
        Ok(Params {
            t0,
            step_secs,
            back,
            forward,
            challenge_lifetime: Params::DEFAULT_CHALLENGE_LIFETIME,
            numeric_ceiling: Params::DEFAULT_NUMERIC_CEILING,
        })
    }

    /// These parameters with the challenge lifetime `C` in seconds.
    ///
    /// # Errors
    ///
    /// `C` outside `30..=600` (spec: R-TIME-6).
    pub const fn with_challenge_lifetime(self, secs: u64) -> Result<Params, ParamsError> {
        if secs < Params::MIN_CHALLENGE_LIFETIME || secs > Params::MAX_CHALLENGE_LIFETIME {
            return Err(ParamsError::ChallengeLifetime);
        }
        Ok(Params { challenge_lifetime: secs, ..self })
    }

    /// These parameters with the numeric ceiling `A_num` in minor units (spec: R-CAP-3).
    #[must_use]
    pub const fn with_numeric_ceiling(self, amount: u64) -> Params {
        Params { numeric_ceiling: amount, ..self }
    }

    /// The challenge lifetime `C`, seconds.
    pub const fn challenge_lifetime(&self) -> u64 {
        self.challenge_lifetime
    }

    /// The numeric ceiling `A_num`, minor units.
    pub const fn numeric_ceiling(&self) -> u64 {
        self.numeric_ceiling
    }

    /// The start of step `step`, `T0 + step·X`, exact.
    pub fn step_start(&self, step: u64) -> u128 {
        u128::from(self.t0) + u128::from(step) * u128::from(self.step_secs)
    }

    /// The part of the time floor that a high-water step `step` gives: its
    /// start `T0 ⊕ step ⊗ X`, saturating, and none for `T_hw = 0`, the value
    /// of a verifier that has seen no time yet (spec: R-TIME-8).
    pub const fn step_floor(&self, step: u64) -> u64 {
        if step == 0 {
            return 0;
        }
        self.t0.saturating_add(step.saturating_mul(self.step_secs))
    }

    /// The epoch `T0`, unix seconds.
    pub const fn t0(&self) -> u64 {
        self.t0
    }

    /// The step length `X`, seconds.
    pub const fn step_secs(&self) -> u64 {
        self.step_secs
    }

    /// The back window `B`, steps.
    pub const fn back(&self) -> u64 {
        self.back
    }

    /// The forward window `F`, steps.
    pub const fn forward(&self) -> u64 {
        self.forward
    }

    /// The time step `T = floor((t - T0) / X)` of unix time `t`.
    ///
    /// # Errors
    ///
    /// [`Error::TimeBeforeEpoch`] if `t < T0` (spec: R-TIME-2).
    pub const fn step_at(&self, t: u64) -> Result<u64, Error> {
        // spec: R-TIME-1, R-TIME-3
        match t.checked_sub(self.t0) {
            Some(d) => Ok(d / self.step_secs),
            None => Err(Error::TimeBeforeEpoch),
        }
    }

    /// The acceptance window `[L, U]` for current step `now` and high-water step `high`:
    /// `L = max(now, high) - B`, `U = now + F`, both saturating (spec: R-TIME-4, R-TIME-3).
    pub const fn window(&self, now: u64, high: u64) -> (u64, u64) {
        let top = if high > now { high } else { now };
        (top.saturating_sub(self.back), now.saturating_add(self.forward))
    }
}

impl Default for Params {
    /// `T0 = 0`, `X = 60 s`, `B = 2`, `F = 1`, `C = 120 s`, `A_num = 5000` (spec: R-TIME-6).
    fn default() -> Params {
        Params {
            t0: 0,
            step_secs: 60,
            back: 2,
            forward: 1,
            challenge_lifetime: Params::DEFAULT_CHALLENGE_LIFETIME,
            numeric_ceiling: Params::DEFAULT_NUMERIC_CEILING,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_is_floor_and_checked() {
        let p = Params::new(100, 60, 2, 1).unwrap();
        assert_eq!(p.step_at(99), Err(Error::TimeBeforeEpoch));
        assert_eq!(p.step_at(100), Ok(0));
        assert_eq!(p.step_at(159), Ok(0));
        assert_eq!(p.step_at(160), Ok(1));
        assert_eq!(p.step_at(u64::MAX), Ok((u64::MAX - 100) / 60));
    }

    #[test]
    fn window_saturates_and_respects_high_water() {
        let p = Params::new(0, 1, 8, 7).unwrap();
        assert_eq!(p.window(3, 0), (0, 10));
        assert_eq!(p.window(u64::MAX, 0), (u64::MAX - 8, u64::MAX));
        assert_eq!(p.window(100, 110), (102, 107));
    }

    #[test]
    fn ranges_enforced() {
        assert_eq!(Params::new(0, 0, 2, 1), Err(ParamsError::StepLength));
        assert_eq!(Params::new(0, 86_401, 2, 1), Err(ParamsError::StepLength));
        assert_eq!(Params::new(0, 60, 9, 1), Err(ParamsError::BackWindow));
        assert_eq!(Params::new(0, 60, 2, 8), Err(ParamsError::ForwardWindow));
        assert!(Params::new(0, 86_400, 8, 7).is_ok());
        let p = Params::default();
        assert_eq!(p.with_challenge_lifetime(29), Err(ParamsError::ChallengeLifetime));
        assert_eq!(p.with_challenge_lifetime(601), Err(ParamsError::ChallengeLifetime));
        assert_eq!(p.with_challenge_lifetime(30).map(|p| p.challenge_lifetime()), Ok(30));
        assert_eq!(p.with_challenge_lifetime(600).map(|p| p.challenge_lifetime()), Ok(600));
        assert_eq!(p.challenge_lifetime(), 120);
        assert_eq!(p.numeric_ceiling(), 5000);
    }
}
