//! The flags a case carries, each with the class of implementation bug it
//! targets (after Wycheproof). A file's `notes` explain the flags its cases use.

/// Declares [`Flag`] with each flag's bug class and description.
macro_rules! flags {
    ($($flag:ident => $bug_class:literal, $description:literal;)*) => {
        /// A label on a case: the class of bug the case catches.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Flag {
            $(
                #[doc = $description]
                $flag,
            )*
        }

        impl Flag {
            /// The flag's name in the files.
            pub(crate) const fn name(self) -> &'static str {
                match self {
                    $(Flag::$flag => stringify!($flag),)*
                }
            }

            /// The class of implementation bug the flagged cases catch.
            pub(crate) const fn bug_class(self) -> &'static str {
                match self {
                    $(Flag::$flag => $bug_class,)*
                }
            }

            /// What the flag means.
            pub(crate) const fn description(self) -> &'static str {
                match self {
                    $(Flag::$flag => $description,)*
                }
            }
        }
    };
}

flags! {
    Published => "wrong primitive",
        "Expected values are published test vectors; a mismatch means the primitive itself is wrong.";
    Valid => "false rejection",
        "A well-formed input that a conforming implementation must accept, with exactly these outputs.";
    Derived => "wrong derivation",
        "Key material derived with the protocol's HKDF salt and labels; a mismatch points at a label, its zero byte, the context encoding or the salt.";
    DomainSeparation => "missing or wrong domain separation",
        "The MAC or signature input starts with a domain-separation string; the intermediates show the exact bytes.";
    NonCanonicalBase45 => "malleable encoding",
        "A Base45 text that decodes under a lax decoder but is not the canonical encoding of any byte string.";
    Base45Alphabet => "lax character set",
        "A character outside the 45-character alphabet (lower case, white space, non-ASCII).";
    Prefix => "lax prefix",
        "The QR prefix must be exactly PC3: in upper case.";
    Length => "missing length check",
        "A structure one byte too short or too long, or otherwise of the wrong length.";
    Version => "missing version check",
        "A version byte other than 0x02.";
    Profile => "missing profile check",
        "A profile byte that is unknown, or a profile the verifier has not enabled.";
    NumericSyntax => "lax numeric parsing",
        "Digits that are not exactly 24 ASCII digits, or a value of 2^79 or more.";
    NumericLayout => "wrong bit layout",
        "Fields packed into or read from the wrong bits of the 79-bit numeric value.";
    NumericUnavailable => "numeric form for values it cannot carry",
        "Account ids of 2^30 or more and counters of 2^16 or more have no numeric form.";
    StepReconstruction => "wrong step reconstruction",
        "The numeric form carries 4 bits of the step; the verifier must pick the one step in its 16-step range.";
    SharedIdentity => "separate replay state per form",
        "The QR and numeric forms of one code share one replay identity.";
    WindowEdge => "off-by-one window",
        "A code exactly at, or one step beyond, an edge of the acceptance window [T_hw - B, T + F].";
    HighWater => "window from the clock instead of T_hw",
        "The lower window edge uses the high-water step T_hw, not the current step, so a clock set back reopens nothing.";
    U64Extreme => "overflow or wrap-around",
        "Times, steps, counters or amounts at the ends of their unsigned ranges; arithmetic must saturate or compare exactly.";
    BeforeEpoch => "panic or underflow before T0",
        "A time before the epoch gives time-before-epoch, never a crash or a wrapped step.";
    Precedence => "wrong error precedence",
        "Two or more checks fail at once; only the first in the spec's order may be reported.";
    UnknownAccount => "unknown account accepted or told apart",
        "The code names an account the verifier does not hold keys for: invalid-code, as a wrong tag, and for a numeric code charged to its source.";
    BadTag => "MAC not checked or checked wrongly",
        "The tag does not match the code's fields under the account's key.";
    Throttle => "missing or leaky failure budget",
        "Numeric codes only: 4 failures per account and 64 per source at once, one forgiven a day (account) or an hour (source), kept across steps and restarts; QR codes are never throttled.";
    Replay => "replay accepted",
        "A (identity, counter) that was already accepted.";
    StaleCounter => "window too wide or too narrow",
        "A counter 64 or more below the highest accepted one cannot be told apart from a used one.";
    CounterMark => "code made in advance accepted",
        "A counter at or below the highest accepted, with a later step than that code's, is counter-behind; the mark outlives the replay entry.";
    OutOfOrder => "in-order-only replay check",
        "Counters accepted out of order inside the 64-counter window.";
    Eviction => "state evicted too early or never",
        "Entries whose top step fell below the window are treated as absent, and no sooner.";
    Quarantine => "replay hole after restart",
        "After losing its state a verifier rejects codes below Q = T + F + 1 with state-unavailable.";
    Restart => "state not kept across restart",
        "A restart with durable state keeps T_hw, Q, the entries, the ledger and the failure budgets.";
    ClockJump => "clock manipulation",
        "The verifier's clock goes back or jumps forward.";
    UnknownIssuer => "credential checked against the wrong key",
        "The credential's key id is not in the trust list.";
    BadCredential => "credential not validated",
        "Issuer signature, device key, lifetime, or validity outside the issuer key's period.";
    CredentialValidity => "off-by-one validity",
        "Credential validity is inclusive at both ends: not_before <= t <= not_before + lifetime.";
    Revocation => "revocation ignored or mis-installed",
        "Revoked serials are rejected; a list installs only when signed by a trusted key valid at its issue time and newer than the installed one.";
    Batch => "batch credentials mis-derived or mis-revoked",
        "A payer's batch: one device key per index, one serial per credential, used in turn; revoking the payer lists every serial of the batch.";
    Rotation => "key rotation",
        "Several issuer keys with overlapping validity; each credential is checked against the key its key id names.";
    BadSignature => "signature not checked",
        "A device or issuer signature that does not verify.";
    Limit => "offline limits",
        "Per-payment and cumulative per-terminal limits, exact at the boundary and without overflow.";
    Reconciliation => "double acceptance missed",
        "Logs of several terminals: proven records grouped by (profile, subject, counter); two different codes of one counter are a double acceptance, one code recorded twice is a copy.";
    Evidence => "fabricated log record trusted",
        "A log record whose evidence does not verify under the issuer's keys, or claims what its code does not allow, proves nothing and flags no one.";
    LogRecord => "wrong log record",
        "The acceptance log record of an accepted code, with its evidence.";
    NonCanonicalS => "malleable signature",
        "S >= L: the same signature modulo L; must be rejected (S < L).";
    SmallOrder => "small-order point accepted",
        "A public key or R of small order (one of the 8 torsion points).";
    NonCanonicalPoint => "non-canonical point accepted",
        "A point encoding with y >= p, or x = 0 with the sign bit set.";
    Cofactored => "cofactored equation",
        "A signature that the cofactored equation (the spec's) accepts and the cofactorless one rejects: a verifier built on a cofactorless library (OpenSSL, libsodium, verify_strict) gets it wrong.";
    MixedOrder => "mixed-order key rejected",
        "A public key with a torsion component but not of small order is a valid point.";
    Params => "parameters out of range",
        "X in [1, 86400], B <= 8, F <= 7, C in [30, 600].";
    Generation => "wrong generation",
        "Byte-exact wallet output for given keys, time and counter.";
    CounterExhausted => "counter wrap-around",
        "The wallet never uses counter 2^32 - 1, whose successor does not exist.";
    Mode => "mode byte ignored",
        "The second payload byte is mode * 16 + profile; each mode has its own layout and length.";
    Cap => "cap not enforced",
        "A capped code pays at most its cap, and its tag or signature covers the cap.";
    Ceiling => "numeric ceiling missing",
        "A numeric code pays at most the issuer's numeric ceiling A_num.";
    Challenge => "challenge not bound",
        "A challenge code pays only its challenge's terminal and amount, while the challenge is open, once.";
    SpecExample => "disagreement with the spec",
        "The worked example of the spec, byte for byte.";
}
