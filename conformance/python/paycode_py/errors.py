"""The spec's error codes (Section 9) and the exception that carries one."""

# Verdict codes, in the order of Section 9.
TIME_BEFORE_EPOCH = "time-before-epoch"
MALFORMED = "malformed"
UNSUPPORTED_VERSION = "unsupported-version"
UNSUPPORTED_PROFILE = "unsupported-profile"
NO_CHALLENGE = "no-challenge"
CHALLENGE_REQUIRED = "challenge-required"
CHALLENGE_MISMATCH = "challenge-mismatch"
CHALLENGE_EXPIRED = "challenge-expired"
THROTTLED = "throttled"
INVALID_CODE = "invalid-code"
UNKNOWN_ISSUER = "unknown-issuer"
BAD_CREDENTIAL = "bad-credential"
NOT_YET_VALID = "not-yet-valid"
EXPIRED = "expired"
REVOKED = "revoked"
REVOCATION_STALE = "revocation-stale"
TOO_OLD = "too-old"
TOO_NEW = "too-new"
STATE_UNAVAILABLE = "state-unavailable"
STALE_COUNTER = "stale-counter"
REPLAYED = "replayed"
COUNTER_BEHIND = "counter-behind"
CHALLENGE_USED = "challenge-used"
OVER_CAP = "over-cap"
OVER_CEILING = "over-ceiling"
OVER_LIMIT = "over-limit"

# Retired (R-HMAC-9): no verifier returns it; only a mutant does.
UNKNOWN_ACCOUNT = "unknown-account"

# Wallet codes (not verdicts).
COUNTER_EXHAUSTED = "counter-exhausted"
NUMERIC_UNAVAILABLE = "numeric-unavailable"


class Rejected(Exception):
    """An input the spec rejects, with its error code."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code
