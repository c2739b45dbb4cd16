//! Verification: the verifier's configuration and state, one call, scenarios
//! of calls, and reconciliation of logs.

use paycode::Error;
use paycode::Profile;
use paycode::log::{Duplicate, Flagged, Rejected};
use serde::{Deserialize, Serialize};

use super::{Outcome, TimeParams};

/// An enrolled hmac account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolledAccount {
    /// Account id.
    pub account_id: u64,
    /// Seed, hex.
    pub seed: String,
}

/// A verifier's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierConfig {
    /// Parameters.
    pub params: TimeParams,
    /// Terminal id, written into log records.
    pub terminal_id: u32,
    /// hmac accounts; null: the hmac profile is not enabled.
    pub hmac_accounts: Option<Vec<EnrolledAccount>>,
    /// The issuer's root public key, hex, under which trust lists are checked
    /// (spec: R-TRUST-3); null: none is configured.
    pub root_key: Option<String>,
    /// The trust list the verifier is configured with, hex, signed by the
    /// root key; null: the ed25519 profile is not enabled.
    pub trust_list: Option<String>,
}

/// A replay entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayEntry {
    /// Profile of the identity.
    pub profile: Profile,
    /// Account id or serial.
    pub subject: u64,
    /// Highest accepted counter `H`.
    pub high: u32,
    /// Bitmap, 16 hex digits (bit `i` set: counter `H - i` accepted).
    pub bitmap: String,
    /// Highest accepted step.
    pub top: u64,
}

/// A counter mark (spec: R-REPLAY-7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkEntry {
    /// Profile of the identity.
    pub profile: Profile,
    /// Account id or serial.
    pub subject: u64,
    /// Highest accepted counter `H*`.
    pub counter: u32,
    /// The step of the code that carried it, `S*`.
    pub step: u64,
}

/// A spend ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// Serial.
    pub serial: u64,
    /// Total accepted.
    pub total: u64,
    /// The credential's `not_after`.
    pub not_after: u64,
}

/// An account's numeric failure budget (spec R-HMAC-7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountBudget {
    /// Account id.
    pub account_id: u64,
    /// The budget's `u`, a step.
    pub u: u64,
}

/// A source's numeric failure budget (spec R-HMAC-8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceBudget {
    /// The source: a terminal id.
    pub terminal_id: u32,
    /// The budget's `u`, a step.
    pub u: u64,
}

/// A challenge nonce in the nonce set `N` (spec R-CHAL-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeEntry {
    /// The nonce, 16 bytes hex.
    pub nonce: String,
    /// `issued_at + C`.
    pub closes: u64,
}

/// Verifier state before a call (spec §8.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateBefore {
    /// `T_hw`.
    pub t_hw: u64,
    /// `Q`.
    pub q: u64,
    /// Replay entries.
    pub entries: Vec<ReplayEntry>,
    /// Counter marks; absent in a file means none.
    #[serde(default)]
    pub marks: Vec<MarkEntry>,
    /// Spend ledger.
    pub spent: Vec<LedgerEntry>,
    /// The accounts' numeric failure budgets; absent means none charged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<AccountBudget>,
    /// The sources' numeric failure budgets; absent means none charged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_budgets: Vec<SourceBudget>,
    /// The installed revocation list, hex, or null.
    pub revocation_list: Option<String>,
    /// The nonce set `N`; absent in a file means empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub challenges: Vec<ChallengeEntry>,
}

/// A replay window as observed after a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveWindow {
    /// `H`.
    pub high: u32,
    /// Bitmap, 16 hex digits.
    pub bitmap: String,
    /// `top`.
    pub top: u64,
}

/// The live entry of one identity after a call; null: none (absent or not live).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryAfter {
    /// Profile.
    pub profile: Profile,
    /// Account id or serial.
    pub subject: u64,
    /// The live window, or null.
    pub window: Option<LiveWindow>,
}

/// `spent(serial)` after a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpentAfter {
    /// Serial.
    pub serial: u64,
    /// Total (0 if no entry).
    pub total: u64,
}

/// The relevant verifier state after a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateAfter {
    /// `T_hw`.
    pub t_hw: u64,
    /// `Q`.
    pub q: u64,
    /// The identities this call touched.
    pub entries: Vec<EntryAfter>,
    /// The ledger of the serial this call touched, while its credential is unexpired.
    pub spent: Vec<SpentAfter>,
}

/// Stateless verification input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// Configuration.
    pub verifier: VerifierConfig,
    /// State before the call.
    pub state: StateBefore,
    /// Verifier time.
    pub time: u64,
    /// The scanned text.
    pub text: String,
    /// Amount.
    pub amount: u64,
    /// The challenge's QR text, for a challenge-mode call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// A verdict with its effects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyExpected {
    /// Valid (accepted) or invalid.
    pub result: Outcome,
    /// The spec error code when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The log record (spec §4.8) when accepted, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_record: Option<String>,
    /// Relevant state after the call.
    pub state_after: StateAfter,
}

/// Where the window was for this call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyIntermediates {
    /// `T(t)`.
    pub s_now: u64,
    /// `L = T_hw ⊖ B` after V0.
    pub low: u64,
    /// `U = T(t) ⊕ F`.
    pub high: u64,
    /// The code's step (numeric: reconstructed), where the text decodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_step: Option<u64>,
}

/// How a verifier restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestartMode {
    /// With its durable state (`T_hw`, `Q`, entries, ledger, revocation list).
    Kept,
    /// Without it: restart-lost-state at `time` (quarantine).
    Lost,
}

/// One step of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ScenarioStep {
    /// Verify a text.
    Verify {
        /// Verifier time.
        time: u64,
        /// The scanned text.
        text: String,
        /// Amount.
        amount: u64,
        /// The challenge's QR text, for a challenge-mode call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        challenge: Option<String>,
    },
    /// Install a revocation list at a time (spec: R-REVOKE-2).
    InstallRevocationList {
        /// The verifier's time, Unix seconds.
        time: u64,
        /// The list, hex.
        list: String,
    },
    /// Install a trust list at a time (spec: R-TRUST-3, R-TRUST-4).
    InstallTrustList {
        /// The verifier's time, Unix seconds.
        time: u64,
        /// The list, hex.
        trust_list: String,
    },
    /// Restart the verifier.
    Restart {
        /// Kept or lost state.
        mode: RestartMode,
        /// The time of the restart.
        time: u64,
    },
    /// Enrol an hmac account, or give an enrolled one a new seed (spec §7.1
    /// hmac provisioning step 3, R-HANDLE-3).
    Enrol {
        /// The account.
        account_id: u64,
        /// Its seed, 32 bytes hex.
        seed: String,
    },
    /// The evict transition at a time (spec §8.4, R-REPLAY-4).
    Evict {
        /// The verifier's time, Unix seconds.
        time: u64,
    },
}

/// A stateful scenario: ordered steps from a given state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInput {
    /// Configuration.
    pub verifier: VerifierConfig,
    /// State before the first step.
    pub state: StateBefore,
    /// The steps.
    pub steps: Vec<ScenarioStep>,
}

/// What one step must give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepExpected {
    /// verify: accepted or rejected; install: installed or refused; restart: valid.
    pub result: Outcome,
    /// verify: the spec error code when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// verify: the log record when accepted, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_record: Option<String>,
    /// verify and restart: relevant state after the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_after: Option<StateAfter>,
}

/// What a scenario must give, step by step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioExpected {
    /// One entry per input step.
    pub steps: Vec<StepExpected>,
}

/// Logs to reconcile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileInput {
    /// Each log, hex.
    pub logs: Vec<String>,
    /// The order check's tolerance `D`, in steps (spec R-LOG-2).
    pub tolerance: u64,
    /// The issuer's hmac accounts, whose keys check the hmac records.
    pub hmac_accounts: Vec<EnrolledAccount>,
    /// The issuer's trust list, hex, whose keys check the ed25519 records'
    /// credentials; null: the issuer has no ed25519 keys.
    pub trust_list: Option<String>,
    /// The issuer's mapping of serials to payers and batches (spec
    /// R-BATCH-5, R-LOG-2 step 7); absent: reconciliation without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holders: Option<Vec<SerialHolder>>,
}

/// Whom the issuer issued one serial to (spec R-BATCH-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialHolder {
    /// The serial.
    pub serial: u64,
    /// The payer.
    pub payer: u64,
    /// The payer's batch that holds it, numbered by the issuer.
    pub batch: u32,
    /// The sum of `limit_total` over the batch's credentials (spec R-BATCH-3).
    pub batch_limit: u64,
}

/// What one batch of a payer took at one terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchAtTerminal {
    /// The batch.
    pub batch: u32,
    /// The terminal.
    pub terminal_id: u32,
    /// The exact sum of the batch's codes' amounts there (each code once, at
    /// the smallest amount of its records there), or `2^64 - 1` if larger.
    pub total: u64,
    /// The batch's limit: its `batch_limit`.
    pub limit: u64,
}

/// One payer's proven ed25519 codes (spec R-LOG-2 step 7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerSummary {
    /// The payer.
    pub payer: u64,
    /// Its serials with a proven record, ascending.
    pub serials: Vec<u64>,
    /// Its proven codes, each once.
    pub codes: u64,
    /// Per batch and terminal, ascending.
    pub terminals: Vec<BatchAtTerminal>,
    /// Its serials with a reason of step 4, ascending.
    pub flagged_serials: Vec<u64>,
    /// Whether a batch took more than its limit at one terminal.
    pub over_batch_limit: bool,
}

/// The total accepted for one serial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialTotal {
    /// Serial.
    pub serial: u64,
    /// Sum of amounts.
    pub total: u64,
}

/// The reconciliation report (spec R-LOG-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when a log is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The records whose evidence does not verify, by log and position, with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unproven: Option<Vec<Rejected>>,
    /// Two or more different proven codes for one (profile, subject, counter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doubles: Option<Vec<Duplicate>>,
    /// Proven codes recorded more than once, by (profile, subject, counter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<Vec<Duplicate>>,
    /// Every identity with a reason, by profile and subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<Vec<Flagged>>,
    /// Serials to revoke, increasing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_serials: Option<Vec<u64>>,
    /// hmac accounts to disable, increasing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_accounts: Option<Vec<u64>>,
    /// Totals per ed25519 serial, by serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<Vec<SerialTotal>>,
    /// With `holders`: every payer with a proven record, ascending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payers: Option<Vec<PayerSummary>>,
    /// With `holders`: the payers listed for revocation, ascending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged_payers: Option<Vec<u64>>,
}
