//! Time steps and the acceptance window (spec §2).

use crate::errors::{Error, ParamsError};

/// The time parameters shared by wallet and verifier: epoch `T0`, step length
/// `X`, and the asymmetric acceptance window of `B` steps back and `F` forward.
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
}

impl Params {
    /// Largest allowed back window `B`.
    pub const MAX_BACK: u64 = 8;
    /// Largest allowed forward window `F`.
    pub const MAX_FORWARD: u64 = 7;
    /// Largest allowed step length `X`, in seconds.
    pub const MAX_STEP_SECS: u64 = 86_400;

    /// Parameters with the given epoch (unix seconds), step length (seconds)
    /// and window (steps back, steps forward).
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
        Ok(Params { t0, step_secs, back, forward })
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
    /// `T0 = 0`, `X = 60 s`, `B = 2`, `F = 1` (spec: R-TIME-6).
    fn default() -> Params {
        Params { t0: 0, step_secs: 60, back: 2, forward: 1 }
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
    }
}
