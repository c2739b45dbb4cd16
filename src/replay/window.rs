//! The replay window of one identity: the highest accepted counter and a
//! 64-bit bitmap behind it (RFC 4303 §3.4.3), with the highest step accepted.

use crate::errors::Error;

/// Width of the replay bitmap `W` (spec: R-REPLAY-2).
pub const WINDOW: u32 = 64;

/// The replay window of one identity (hmac account or ed25519 serial):
/// highest accepted counter `H`, bitmap (bit `i` set: counter `H - i` was
/// accepted), and `top`, the highest step among accepted codes (spec: R-REPLAY-2, R-REPLAY-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Window {
    /// Highest accepted counter `H`.
    pub high: u32,
    /// Bit `i` set: counter `H - i` was accepted. Bit 0 is always set.
    pub bitmap: u64,
    /// Highest step among the accepted codes.
    pub top: u64,
}

impl Window {
    /// The window after accepting only `counter` in `step`.
    pub const fn first(counter: u32, step: u64) -> Window {
        Window { high: counter, bitmap: 1, top: step }
    }

    /// Whether `counter` may be accepted: [`Error::StaleCounter`] below the
    /// window, [`Error::Replayed`] if already accepted (spec: R-REPLAY-1, R-REPLAY-2).
    ///
    /// # Errors
    ///
    /// As above.
    pub const fn check(&self, counter: u32) -> Result<(), Error> {
        if counter > self.high {
            return Ok(());
        }
        let behind = self.high - counter;
        if behind >= WINDOW {
            Err(Error::StaleCounter)
        } else if self.bitmap & (1u64 << behind) != 0 {
            Err(Error::Replayed)
        } else {
            Ok(())
        }
    }

    /// Records `counter` in `step` as accepted; call only after [`Window::check`] passed.
    pub const fn record(&mut self, counter: u32, step: u64) {
        if counter > self.high {
            let ahead = counter - self.high;
            self.bitmap = if ahead >= WINDOW { 1 } else { (self.bitmap << ahead) | 1 };
            self.high = counter;
        } else {
            let behind = self.high - counter;
            if behind < WINDOW {
                self.bitmap |= 1u64 << behind;
            }
        }
        if step > self.top {
            self.top = step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_accepts_each_counter_once() {
        let mut w = Window::first(100, 1);
        assert_eq!(w.check(100), Err(Error::Replayed));
        assert_eq!(w.check(99), Ok(()));
        w.record(99, 1);
        assert_eq!(w.check(99), Err(Error::Replayed));
        assert_eq!(w.check(37), Ok(())); // 100 - 63
        assert_eq!(w.check(36), Err(Error::StaleCounter)); // 100 - 64
        w.record(163, 2);
        assert_eq!(w.high, 163);
        assert_eq!(w.check(100), Err(Error::Replayed));
        assert_eq!(w.check(99), Err(Error::StaleCounter));
        w.record(1000, 3);
        assert_eq!(w.bitmap, 1);
        assert_eq!(w.check(u32::MAX), Ok(()));
        assert_eq!(w.top, 3);
    }
}
