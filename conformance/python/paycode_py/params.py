"""Parameters and time steps (spec Section 2) and u64 arithmetic (Section 2.3)."""

from dataclasses import dataclass

from . import mutants
from .errors import TIME_BEFORE_EPOCH, Rejected

U64_MAX = 2**64 - 1


def sadd(a, b):
    """Saturating u64 addition (the spec's ⊕)."""
    return min(a + b, U64_MAX)


def ssub(a, b):
    """Saturating u64 subtraction (⊖)."""
    return max(a - b, 0)


def smul(a, b):
    """Saturating u64 multiplication (⊗)."""
    return min(a * b, U64_MAX)


@dataclass(frozen=True)
class Params:
    """T0, X, B, F, C and A_num of Section 2.1."""

    t0: int = 0
    x: int = 60
    back: int = 2
    forward: int = 1
    challenge_lifetime: int = 120  # C
    numeric_ceiling: int = 5000  # A_num

    def problems(self):
        """The reasons this configuration is out of range (R-TIME-6); empty if it is fine."""
        out = []
        if not 0 <= self.t0 <= U64_MAX:
            out.append("T0 is not a u64")
        if not 1 <= self.x <= 86400:
            out.append("X outside 1..86400")
        if not 0 <= self.back <= 8:
            out.append("B outside 0..8")
        if not 0 <= self.forward <= 7:
            out.append("F outside 0..7")
        if not 30 <= self.challenge_lifetime <= 600 and not mutants.on("challenge-lifetime-unchecked"):
            out.append("C outside 30..600")
        if not 0 <= self.numeric_ceiling <= U64_MAX:
            out.append("A_num is not a u64")
        return out

    def step(self, t):
        """T(t) (R-TIME-1); Rejected(time-before-epoch) for t < T0 (R-TIME-2)."""
        if t < self.t0:
            raise Rejected(TIME_BEFORE_EPOCH)
        if mutants.on("step-rounding"):
            return (t - self.t0 + self.x // 2) // self.x
        return (t - self.t0) // self.x
