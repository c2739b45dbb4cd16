"""Deliberately broken behaviours, each off by default.

The conformance suite has to catch every one of them: each is one rule of the
spec broken in one place, the way real implementations get it wrong. The code
that a mutant changes asks `on(NAME)` at that one place.
"""

MUTANTS = {
    "no-replay-check": "C3 is skipped: neither stale-counter nor replayed is ever returned (R-REPLAY-1, R-REPLAY-2)",
    "back-edge-off-by-one": "L = T_hw - (B + 1): a code of step T - B - 1 is accepted (R-TIME-4)",
    "forward-edge-off-by-one": "U = T(t) + F + 1: a code of step T + F + 1 is accepted (R-TIME-4)",
    "symmetric-window": "U = T(t) + B: the back window is used on both sides (R-TIME-4)",
    "step-rounding": "T(t) = round((t - T0) / X) instead of the floor, at wallet and verifier (R-TIME-1)",
    "counter-little-endian": "the counter enters the MAC input as a little-endian u32 (R-HMAC-1, R-HMAC-2)",
    "missing-qr-label": "the QR tag is computed without DS_qr in front of the head (R-KEY-3, R-HMAC-1)",
    "tag-wrong-offset": "the QR tag is the last 16 bytes of the HMAC instead of the first (R-HMAC-1)",
    "base45-no-overflow-check": "Base45 groups above 65535 (or 255 for a final pair) are accepted, truncated (R-ENC-2)",
    "noncanonical-s": "an Ed25519 S >= l is accepted, reduced mod l (R-ED-2 condition 1)",
    "small-order-keys": "public keys of small order are accepted as valid points (R-ED-1 condition 3 for A)",
    "ignore-revocation": "E4 is skipped: revoked serials are accepted (R-REVOKE-3)",
    "ignore-expiry": "the t > not_after half of E3 is skipped (R-ED-4, E3)",
    "window-before-mac": "C1 runs right after decoding, before H1-H3 and E1-E5: a forged old code is too-old (R-VERIFY-1)",
    "eviction-early": "a replay entry counts as absent once top <= L instead of top < L (R-REPLAY-4)",
    "t-hw-not-monotonic": "T_hw := T(t) on every call instead of max(T_hw, T(t)) (R-TIME-5)",
    "cofactorless-only": "signatures are checked only by OpenSSL's cofactorless equation (R-ED-2)",
    "throttle-off-by-one": "throttled only once att > 8, so 9 failures per step are possible (R-HMAC-6)",
    "throttle-counts-successes": "a verified MAC does not return its reserved attempt (R-HMAC-6)",
    "quarantine-one-short": "restart-lost-state sets Q := T(t) + F instead of T(t) + F + 1 (R-REPLAY-5)",
    "revocation-equal-number": "a revocation list whose number equals the installed one is installed (R-REVOKE-2)",
    "length-before-profile": "the payload length is checked before the profile byte (V1.5, V1.6)",
    "key-validity-unchecked": "E2 does not check that the credential's validity lies inside the key's (R-ED-4)",
    "unicode-digits": "any 24 Unicode decimal digits are taken as a numeric code (R-ENC-4)",
}

_active = set()


def enable(name):
    """Turn one mutant on; an unknown name is a ValueError."""
    if name not in MUTANTS:
        raise ValueError(f"unknown mutant {name!r}")
    _active.add(name)


def on(name):
    """Whether the named mutant is on (a name not in MUTANTS is a bug here)."""
    if name not in MUTANTS:
        raise KeyError(name)
    return name in _active
