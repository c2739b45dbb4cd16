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
    "hmac-back-edge-wide": "C1 for hmac QR codes tests step < L - 1: a code of step L - 1 is accepted (R-TIME-4)",
    "hmac-back-edge-narrow": "C1 for hmac QR codes tests step <= L: a code of step L is too-old (R-TIME-4)",
    "hmac-forward-edge-wide": "C1 for hmac QR codes tests step > U + 1: a code of step U + 1 is accepted (R-TIME-4)",
    "hmac-forward-edge-narrow": "C1 for hmac QR codes tests step >= U: a code of step U is too-new (R-TIME-4)",
    "numeric-back-edge-wide": "C1 for numeric codes tests step < L - 1: a code of step L - 1 is accepted (R-TIME-4)",
    "numeric-back-edge-narrow": "C1 for numeric codes tests step <= L: a code of step L is too-old (R-TIME-4)",
    "numeric-forward-edge-wide": "C1 for numeric codes tests step > U + 1: a code of step U + 1 is accepted (R-TIME-4)",
    "numeric-forward-edge-narrow": "C1 for numeric codes tests step >= U: a code of step U is too-new (R-TIME-4)",
    "ed25519-back-edge-wide": "C1 for ed25519 codes tests step < L - 1: a code of step L - 1 is accepted (R-TIME-4)",
    "ed25519-back-edge-narrow": "C1 for ed25519 codes tests step <= L: a code of step L is too-old (R-TIME-4)",
    "ed25519-forward-edge-wide": "C1 for ed25519 codes tests step > U + 1: a code of step U + 1 is accepted (R-TIME-4)",
    "ed25519-forward-edge-narrow": "C1 for ed25519 codes tests step >= U: a code of step U is too-new (R-TIME-4)",
    "back-edge-wraps": "L = T_hw - B wraps modulo 2^64 instead of saturating at 0: near the epoch every code is too-old (R-TIME-3, R-TIME-4)",
    "forward-edge-wraps": "U = T(t) + F wraps modulo 2^64 instead of saturating: near step 2^64 - 1 every code is too-new (R-TIME-3, R-TIME-4)",
    "quarantine-wraps": "restart-lost-state computes Q = T(t) + F + 1 modulo 2^64: near step 2^64 - 1 nothing is quarantined (R-TIME-3, R-REPLAY-5)",
    "expiry-after-revocation": "E4 runs before the expiry half of E3: an expired, revoked credential is revoked (R-VERIFY-1)",
    "revocation-after-signature": "E5 runs before E4: a revoked credential with a bad device signature is invalid-code (R-VERIFY-1)",
    "validity-before-credential-check": "E3 runs before E2: a bad credential outside its validity is not-yet-valid or expired (R-VERIFY-1)",
    "throttle-after-mac": "H2 runs only once H3 has failed: a throttled account's valid code is accepted (R-VERIFY-1, R-HMAC-6)",
    "replay-before-window": "C3 runs before C1: an old replayed code is replayed instead of too-old (R-VERIFY-1)",
    "quarantine-before-window": "C2 runs before C1: a too-new code inside quarantine is state-unavailable (R-VERIFY-1)",
    "replay-before-quarantine": "C3 runs before C2: a quarantined replay is replayed instead of state-unavailable (R-VERIFY-1)",
    "limit-before-replay": "C4 runs before C3: a replayed code over the limit is over-limit (R-VERIFY-1)",
    "limit-before-window": "C4 runs before C1: a too-new or too-old code over the limit is over-limit (R-VERIFY-1)",
    "total-u32-wraps": "the cumulative spend is kept modulo 2^32: a total above 2^32 - 1 wraps under the limit (R-LIMIT-1)",
    "amount-u32-truncated": "the amount is truncated to 32 bits before C4: an amount of 2^32 or more passes as its low bits (R-LIMIT-1)",
    "counter-window-u32-wraps": "C3's counter + 64 is computed in u32 and wraps: a counter near 2^32 - 1 is stale-counter (R-REPLAY-2)",
    "not-after-wraps": "not_before + lifetime wraps modulo 2^64 instead of making the credential bad: it is expired (R-ED-4)",
    "numeric-reconstruct-offset-7": "the numeric step is reconstructed in [T(t) - 7, T(t) + 8] instead of [T(t) - 8, T(t) + 7] (R-HMAC-3)",
    "numeric-reconstruct-unclamped": "the numeric candidates are not clamped below 2^64 - 15: near step 2^64 - 1 a step beyond u64 is chosen (R-HMAC-3)",
    "numeric-reconstruct-wraps": "the numeric candidates are computed in wrapping u64: near the epoch a step near 2^64 is chosen (R-HMAC-3)",
    "numeric-no-range-check": "a numeric N >= 2^79 is taken modulo 2^79 instead of malformed (R-ENC-4)",
    "numeric-strips-whitespace": "whitespace around 24 digits is trimmed before the numeric test (R-ENC-4)",
    "base45-lowercase-folded": "Base45 text is upper-cased before decoding, so lowercase letters are accepted (R-ENC-2)",
    "base45-trailing-char-dropped": "a Base45 text with length 1 mod 3 has its last character dropped instead of rejected (R-ENC-2)",
    "top-overwritten": "a counter above H sets top := step instead of max(top, step), so top can move back (R-REPLAY-4)",
    "bitmap-shift-short": "a counter above H shifts the bitmap by counter - H - 1: the bit of the old H is lost (R-REPLAY-1)",
    "bitmap-cleared-on-new-top": "an acceptance at a step above top clears the bitmap, as if the window were per step (R-REPLAY-1)",
    "evict-by-counter": "liveness compares the entry's counter H with L instead of its step top (R-REPLAY-4)",
    "stale-width-63": "stale-counter once counter + 63 <= H: the bitmap is one counter narrower than 64 (R-REPLAY-2)",
    "mark-unchecked": "C3 never returns counter-behind: a reused or lower counter with a later step is accepted (R-REPLAY-7)",
    "mark-evicted-with-window": "the counter mark is dropped with the replay entry, so once the window is gone a reused counter with a later step is accepted (R-REPLAY-7)",
    "mark-any-counter": "every acceptance overwrites the counter mark, not only a counter above H*, so a lower counter lowers the mark (R-REPLAY-7)",
    "mark-equal-step-behind": "counter-behind once step >= S* instead of step > S*: a lower counter of the same step is rejected (R-REPLAY-7)",
    "throttle-global": "one throttle count for all accounts instead of one per account (R-HMAC-6)",
    "throttle-never-resets": "the throttle count is not reset when the step changes (R-HMAC-6)",
    "throttle-success-resets": "a verified MAC resets the account's throttle count to 0 (R-HMAC-6)",
    "throttle-counts-later-rejections": "the reserved attempt is returned only on acceptance, so too-old, replayed and others count as failures (R-HMAC-6)",
    "mode-byte-ignored": "V1.5 reads only the profile, the low four bits of the second byte: every code is taken as one-way, and bytes such as 0x31 name a profile (R-MODE-1)",
    "cap-not-covered": "the cap is left out of the tag's MAC input and the device signature's input, at wallet and verifier (R-CAP-1)",
    "cap-unchecked": "C4 never returns over-cap: a capped code pays any amount (R-CAP-2)",
    "cap-edge-inclusive": "over-cap once a >= cap instead of a > cap: a payment of exactly the cap is refused (R-CAP-2)",
    "ceiling-unchecked": "C4 never returns over-ceiling: a numeric code pays any amount (R-CAP-3)",
    "numeric-for-any-mode": "the wallet gives digits for capped and challenge codes too (R-HMAC-4)",
    "challenge-lifetime-unchecked": "C outside 30..600 is taken as a valid configuration (R-TIME-6)",
    "challenge-version-unchecked": "a challenge whose version byte is not 0x01 decodes (R-CHAL-1)",
    "challenge-digest-unlabelled": "the challenge digest is SHA-256(challenge), without DS_chal in front (R-CHAL-2, R-KEY-3)",
    "challenge-digest-ignored": "a challenge code's tag and signature leave out the challenge digest, at wallet and verifier (R-CHAL-2, R-HMAC-1, R-ED-5)",
    "no-challenge-accepted": "V2.1 lets a challenge code through a call without a challenge; H3 or E5 then checks it with an empty digest (R-CHAL-3)",
    "challenge-required-unchecked": "a one-way, capped or numeric code in a call with a challenge is verified as if the call had none (R-CHAL-3)",
    "challenge-terminal-unchecked": "V2.2 does not compare the challenge's terminal_id with the verifier's (R-CHAL-3)",
    "challenge-amount-unchecked": "V2.2 does not compare the challenge's amount with the call's (R-CHAL-3)",
    "challenge-expiry-off-by-one": "a challenge closes at issued_at + C + 1 instead of issued_at + C, at V2.3 and C2 (R-CHAL-3, R-CHAL-4)",
    "challenge-hw-unchecked": "C2 does not refuse a challenge that closed before T0 + T'*X, the start of the high-water step (R-CHAL-4)",
    "challenge-future-unchecked": "V2.3 accepts a challenge issued more than X seconds after t (R-CHAL-3)",
    "challenge-after-auth": "V2 runs after H1-H3 and E1-E5: a challenge code in a call without a challenge is invalid-code (R-VERIFY-1)",
    "challenge-reuse": "C3 never returns challenge-used: a second code for one challenge is accepted (R-CHAL-4)",
    "challenge-after-loss": "C2 does not refuse a challenge issued before T0 + Q*X after a lost state (R-CHAL-4)",
    "log-hmac-amount-zero": "an hmac log record carries amount 0, as the 44-byte record did, not the amount accepted (R-LOG-1)",
    "log-accepted-at-step-start": "accepted_at is the start of the code's step, T0 + step * X, instead of t (R-LOG-1)",
    "reconcile-trusts-records": "reconciliation takes a record whose tag or signature does not verify as proven (R-LOG-2, R-LOG-4)",
    "reconcile-challenge-digest-ignored": "reconciliation checks a challenge record's tag or signature without the challenge digest (R-LOG-2)",
    "reconcile-cap-unchecked": "reconciliation takes a capped record whose amount is above its cap as proven (R-LOG-2)",
    "reconcile-copies-are-doubles": "two records of one code are a double acceptance, so a copied record flags its payer (R-LOG-2, R-LOG-4)",
    "reconcile-order-edge-inclusive": "two records are out of order once r1.step >= r2.step + D instead of r1.step > r2.step + D (R-LOG-2)",
    "reconcile-jump-edge-inclusive": "two consecutive counters J = 65536 apart are flagged as a jump, not only those more than J apart (R-LOG-2)",
    "reconcile-overspend-at-limit": "a serial whose total equals its cumulative limit is flagged for overspend, not only one above it (R-LOG-2)",
    "reconcile-totals-once-per-group": "the sums count one code per (profile, subject, counter) group (R-LOG-2)",
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
