//! Verification: one call, scenarios of calls, and reconciliation.

use std::collections::BTreeMap;

use super::{Ran, hex, params, seed, unhex, unhex_n, valid};
use crate::errors::InputError;
use crate::format::*;
use paycode::hazmat::eddsa::PublicKey;
use paycode::hazmat::handle::{MAX_CANDIDATES, StepHandle};
use paycode::hazmat::keys::HmacKeys;
use paycode::log::{Holder, IssuerKeys, LogRecord, Policy, reconcile as reconcile_logs};
use paycode::replay::{Snapshot, Spent, Window};
use paycode::revocation::RevocationList;
use paycode::store::{Mark, StateStore};
use paycode::trust::TrustList;
use paycode::verifier::VerifierState;
use paycode::{Challenge, Code, Error, Params, Profile, TextPayment, UsedChallenge, Verifier};

/// A verifier built from a case's configuration and state, driven step by
/// step: the reference side of `verify` and `scenario` cases.
pub struct ScenarioRunner {
    config: VerifierConfig,
    params: Params,
    verifier: Verifier,
    root: Option<PublicKey>,
    trust: Option<TrustList>,
    revocation: Option<RevocationList>,
    /// The latest time of a verify call so far: `state_after.spent` is listed
    /// while it is at most the credential's `not_after` (vectors/README.md).
    max_time: u64,
    /// The `accepted_at` of the last acceptance: the acceptance log is kept
    /// apart from the replay state, so it survives a lost-state restart.
    last_accepted: u64,
    /// A restart failed: only another restart may follow (spec §8.6).
    stopped: bool,
    /// The revocation list was uninstalled by a trust list's re-check: kept
    /// with the trust list across restarts (spec: R-REVOKE-6).
    withdrawn: bool,
}

impl ScenarioRunner {
    /// A verifier with `config` in `state`.
    ///
    /// # Errors
    ///
    /// The configuration or state cannot be loaded.
    pub fn new(config: &VerifierConfig, state: &StateBefore) -> Result<ScenarioRunner, InputError> {
        let params = params(&config.params)?;
        let snapshot = |profile: Profile| -> Result<Snapshot, InputError> {
            let mut windows = Vec::new();
            for entry in state.entries.iter().filter(|entry| entry.profile == profile) {
                let bitmap = u64::from_be_bytes(unhex_n::<8>(&entry.bitmap)?);
                windows.push((entry.subject, Window { high: entry.high, bitmap, top: entry.top }));
            }
            let spent = match profile {
                Profile::Ed25519 => state
                    .spent
                    .iter()
                    .map(|entry| (entry.serial, Spent { total: entry.total, not_after: entry.not_after }))
                    .collect(),
                Profile::Hmac => Vec::new(),
            };
            // An ed25519 mark goes with its serial's ledger entry (spec: R-REPLAY-7).
            let until = |serial: u64| match profile {
                Profile::Ed25519 => state.spent.iter().find(|e| e.serial == serial).map(|e| e.not_after),
                Profile::Hmac => None,
            };
            let mut marks: Vec<(u64, Mark)> = Vec::new();
            for m in state.marks.iter().filter(|m| m.profile == profile) {
                if marks.iter().any(|(subject, _)| *subject == m.subject) {
                    return Err(InputError::Repeated(format!(
                        "the mark of {} {}",
                        profile.name(),
                        m.subject
                    )));
                }
                marks.push((m.subject, Mark { counter: m.counter, step: m.step, until: until(m.subject) }));
            }
            // spec: R-HMAC-7: the accounts' budgets are hmac state.
            let mut budgets: Vec<(u64, u64)> = Vec::new();
            for b in state.budgets.iter().filter(|_| profile == Profile::Hmac) {
                if budgets.iter().any(|(account, _)| *account == b.account_id) {
                    return Err(InputError::Repeated(format!("the budget of account {}", b.account_id)));
                }
                budgets.push((b.account_id, b.u));
            }
            Ok(Snapshot { high_water: state.t_hw, quarantine: state.q, windows, spent, marks, budgets })
        };
        let mut challenges: Vec<UsedChallenge> = Vec::new();
        for c in &state.challenges {
            let nonce = unhex_n::<16>(&c.nonce)?;
            if challenges.iter().any(|u| u.nonce == nonce) {
                return Err(InputError::Repeated(format!("the challenge nonce {}", c.nonce)));
            }
            challenges.push(UsedChallenge { nonce, closes: c.closes });
        }
        let mut sources: Vec<(u32, u64)> = Vec::new();
        for b in &state.source_budgets {
            if sources.iter().any(|(terminal, _)| *terminal == b.terminal_id) {
                return Err(InputError::Repeated(format!("the budget of source {}", b.terminal_id)));
            }
            sources.push((b.terminal_id, b.u));
        }
        let durable = VerifierState {
            hmac: snapshot(Profile::Hmac)?,
            ed25519: snapshot(Profile::Ed25519)?,
            revocation_list: None,
            revocation_withdrawn: false,
            revocation_floor: None,
            challenges,
            sources,
        };
        let verifier = Verifier::restore(params, config.terminal_id, &durable);
        let root = match &config.root_key {
            Some(key) => Some(PublicKey::from_bytes(&unhex_n(key)?).ok_or(InputError::PublicKey)?),
            None => None,
        };
        let trust = match &config.trust_list {
            Some(list) => Some(TrustList::decode(&unhex(list)?).map_err(InputError::TrustList)?),
            None => None,
        };
        let mut runner = ScenarioRunner {
            config: config.clone(),
            params,
            verifier,
            root,
            trust,
            revocation: None,
            max_time: 0,
            last_accepted: 0,
            stopped: false,
            withdrawn: false,
        };
        if let Some(list) = &state.revocation_list {
            let list = RevocationList::decode(&unhex(list)?).map_err(InputError::RevocationList)?;
            runner.revocation = Some(list);
        }
        runner.configure()?;
        Ok(runner)
    }

    /// Accounts, revocation list, root key and trust list, after
    /// construction or a restart. The revocation list is put back as it
    /// was: it is the verifier's configuration, not installed anew, so no
    /// newer test applies (spec §8.6, §10.5). The root key and the latest
    /// trust list installed are configuration too: the list is installed
    /// under the root key with no time to be dated after (spec: R-TRUST-3),
    /// which checks the revocation list again; one that fails the re-check
    /// stays in the store as the floor and counts as uninstalled (spec:
    /// R-REVOKE-6).
    fn configure(&mut self) -> Result<(), InputError> {
        if let Some(accounts) = &self.config.hmac_accounts {
            self.verifier.enable_hmac();
            for account in accounts {
                self.verifier.add_account(account.account_id, &seed(&account.seed)?);
            }
        }
        if let Some(l) = &self.revocation {
            // After a restart with state the verifier already holds it (durable state).
            let unavailable = |_| InputError::RevocationInstall(paycode::InstallError::StateUnavailable);
            // The store's list, in force or withdrawn: a restart with state holds it.
            let held = self.verifier.state().revocation_list.map(|h| h.number());
            if held != Some(l.number()) {
                self.verifier.store().install_revocation_list(l, &|_| true).map_err(unavailable)?;
            }
            // spec: R-REVOKE-6: an uninstalled list stays so, as the floor only.
            if self.withdrawn {
                self.verifier.store().withdraw_revocation_list().map_err(unavailable)?;
            }
        }
        if let Some(root) = self.root {
            self.verifier.set_root_key(root);
        }
        if let Some(trust) = &self.trust {
            self.verifier.install_trust_list(trust.clone(), u64::MAX).map_err(InputError::TrustInstall)?;
        }
        Ok(())
    }

    /// Runs one step.
    ///
    /// # Errors
    ///
    /// The step's input cannot be used (not a verdict: verdicts are results).
    pub fn step(&mut self, step: &ScenarioStep) -> Result<StepExpected, InputError> {
        if self.stopped && !matches!(step, ScenarioStep::Restart { .. }) {
            return Err(InputError::NotStarted);
        }
        match step {
            ScenarioStep::Verify { time, text, amount, challenge } => {
                let v = self.verify(*time, text, *amount, challenge.as_deref())?;
                Ok(StepExpected {
                    result: v.result,
                    error: v.error,
                    log_record: v.log_record,
                    state_after: Some(v.state_after),
                })
            }
            ScenarioStep::InstallRevocationList { time, list } => {
                let installed = match RevocationList::decode(&unhex(list)?) {
                    Ok(l) => self.verifier.install_revocation_list(l.clone(), *time).is_ok().then_some(l),
                    Err(_) => None,
                };
                let result = match installed {
                    Some(l) => {
                        self.revocation = Some(l);
                        self.withdrawn = false;
                        Outcome::Valid
                    }
                    None => Outcome::Invalid,
                };
                Ok(StepExpected { result, error: None, log_record: None, state_after: None })
            }
            ScenarioStep::InstallTrustList { time, trust_list } => {
                let installed = match TrustList::decode(&unhex(trust_list)?) {
                    Ok(t) => self.verifier.install_trust_list(t.clone(), *time).is_ok().then_some(t),
                    Err(_) => None,
                };
                let result = match installed {
                    Some(t) => {
                        self.trust = Some(t);
                        // As the store holds it, which a restart with state keeps.
                        self.withdrawn = self.verifier.state().revocation_withdrawn;
                        Outcome::Valid
                    }
                    None => Outcome::Invalid,
                };
                Ok(StepExpected { result, error: None, log_record: None, state_after: None })
            }
            ScenarioStep::Restart { mode, time } => {
                self.verifier = match mode {
                    // spec: R-STATE-6: the failure budgets are in the durable state.
                    RestartMode::Kept if !self.stopped => {
                        Verifier::restore(self.params, self.config.terminal_id, &self.verifier.state())
                    }
                    RestartMode::Kept => return Err(InputError::NotStarted),
                    RestartMode::Lost => {
                        // spec: R-TIME-8, the bounds kept apart from the replay state
                        let floor = self
                            .revocation
                            .as_ref()
                            .map_or(0, RevocationList::issued_at)
                            .max(self.last_accepted);
                        match Verifier::after_state_loss_above(
                            self.params,
                            self.config.terminal_id,
                            *time,
                            floor,
                        ) {
                            Ok(verifier) => verifier,
                            // spec §8.6: no step before T0, so the verifier does not start.
                            Err(e) => {
                                self.stopped = true;
                                return Ok(StepExpected {
                                    result: Outcome::Invalid,
                                    error: Some(e),
                                    log_record: None,
                                    state_after: None,
                                });
                            }
                        }
                    }
                };
                self.stopped = false;
                self.configure()?;
                Ok(StepExpected {
                    result: Outcome::Valid,
                    error: None,
                    log_record: None,
                    state_after: Some(self.state_after(&[], None)?),
                })
            }
            ScenarioStep::Enrol { account_id, seed: seed_hex } => {
                // spec §7.1: a new seed replaces all three keys; the replay
                // state of the account stays. Kept in the configuration, so
                // that a restart enrolls it again.
                let key = seed(seed_hex)?;
                let accounts = self.config.hmac_accounts.get_or_insert_with(Vec::new);
                let account = EnrolledAccount { account_id: *account_id, seed: seed_hex.clone() };
                match accounts.iter_mut().find(|a| a.account_id == *account_id) {
                    Some(held) => *held = account,
                    None => accounts.push(account),
                }
                self.verifier.add_account(*account_id, &key);
                Ok(StepExpected { result: Outcome::Valid, error: None, log_record: None, state_after: None })
            }
            ScenarioStep::Evict { time } => match self.verifier.evict(*time) {
                Ok(()) => Ok(StepExpected {
                    result: Outcome::Valid,
                    error: None,
                    log_record: None,
                    state_after: Some(self.state_after(&[], None)?),
                }),
                Err(e) => Ok(StepExpected {
                    result: Outcome::Invalid,
                    error: Some(e),
                    log_record: None,
                    state_after: None,
                }),
            },
        }
    }

    /// Verifies `text` at `time` for `amount`, with the challenge's text in challenge mode.
    ///
    /// # Errors
    ///
    /// The verifier's state is inconsistent.
    pub fn verify(
        &mut self,
        time: u64,
        text: &str,
        amount: u64,
        challenge: Option<&str>,
    ) -> Result<VerifyExpected, InputError> {
        self.max_time = self.max_time.max(time);
        let verdict = self
            .verifier
            .verify_text_payment(TextPayment { text, amount, challenge }, time)
            .map_err(|r| r.error());
        let (touched, serial) = match Code::parse(text) {
            // The account H2 found, once the code passed H3 (vectors/README.md).
            Ok(code @ (Code::Hmac(_) | Code::Numeric(_))) => {
                let account = if past_h3(&verdict) { self.account_of(&code, time, challenge)? } else { None };
                (account.map(|a| (Profile::Hmac, a)).into_iter().collect(), None)
            }
            Ok(Code::Ed25519(code)) => {
                let fields = code.credential().fields();
                (vec![(Profile::Ed25519, fields.serial)], fields.not_after().map(|end| (fields.serial, end)))
            }
            Err(_) => (Vec::new(), None),
        };
        let state_after = self.state_after(&touched, serial)?;
        Ok(match verdict {
            Ok(acceptance) => {
                self.last_accepted = self.last_accepted.max(acceptance.record.accepted_at);
                VerifyExpected {
                    result: Outcome::Valid,
                    error: None,
                    log_record: Some(hex(&acceptance.record.encode())),
                    state_after,
                }
            }
            Err(e) => {
                VerifyExpected { result: Outcome::Invalid, error: Some(e), log_record: None, state_after }
            }
        })
    }

    /// The account of an hmac code as H0-H2 find it at `time`, from the
    /// enrolled accounts' keys (spec §7.4): the first of the first `M_h`
    /// candidates, by account id, whose tag is the code's.
    fn account_of(&self, code: &Code, time: u64, challenge: Option<&str>) -> Result<Option<u64>, InputError> {
        let Ok(s_now) = self.params.step_at(self.verifier.verifier_time(time)) else { return Ok(None) };
        let (low, high) = self.params.window(s_now, self.verifier.replay_state(Profile::Hmac).high_water());
        let step = match code {
            Code::Hmac(c) => c.step(),
            Code::Numeric(c) => c.step_near(s_now),
            Code::Ed25519(_) => return Ok(None),
        };
        if step < low || step > high {
            return Ok(None);
        }
        let digest = challenge.and_then(|t| Challenge::parse(t).ok()).map(|c| c.digest());
        let mut candidates = Vec::new();
        for account in self.config.hmac_accounts.iter().flatten() {
            let keys = HmacKeys::derive(account.account_id, &seed(&account.seed)?);
            let handle = StepHandle::derive(keys.handle_key(), step);
            let found = match code {
                Code::Hmac(c) => handle.bytes() == c.handle(),
                Code::Numeric(c) => handle.handle30() == c.handle30(),
                Code::Ed25519(_) => false,
            };
            if found {
                candidates.push((account.account_id, keys, handle));
            }
        }
        candidates.sort_by_key(|(id, ..)| *id);
        candidates.truncate(MAX_CANDIDATES);
        Ok(candidates
            .iter()
            .find(|(_, keys, handle)| match code {
                Code::Hmac(c) => {
                    let d = digest.as_ref().map_or(&[][..], |d| &d[..]);
                    let mac = keys.mac_qr(&[paycode::code::DS_HMAC_QR, &c.maced(), d]);
                    mac.get(..16) == Some(&c.tag()[..])
                }
                Code::Numeric(c) => {
                    let counter = u32::from(c.masked_counter() ^ handle.pad16());
                    c.tag_matches(keys, step, counter)
                }
                Code::Ed25519(_) => false,
            })
            .map(|(id, ..)| *id))
    }

    fn state_after(
        &self,
        touched: &[(Profile, u64)],
        serial: Option<(u64, u64)>,
    ) -> Result<StateAfter, InputError> {
        let hmac = self.verifier.replay_state(Profile::Hmac);
        let ed25519 = self.verifier.replay_state(Profile::Ed25519);
        if hmac.high_water() != ed25519.high_water() || hmac.quarantine() != ed25519.quarantine() {
            return Err(InputError::ProfilesDisagree);
        }
        let t_hw = hmac.high_water();
        let low = t_hw.saturating_sub(self.params.back());
        let entries =
            touched
                .iter()
                .map(|&(profile, subject)| EntryAfter {
                    profile,
                    subject,
                    window: self.verifier.replay_state(profile).window(subject).filter(|w| w.top >= low).map(
                        |w| LiveWindow { high: w.high, bitmap: format!("{:016x}", w.bitmap), top: w.top },
                    ),
                })
                .collect();
        // spent(serial) is defined while no call after the credential's expiry was processed.
        let spent = match serial {
            Some((serial, not_after)) if self.max_time <= not_after => {
                vec![SpentAfter { serial, total: ed25519.spent(serial).map_or(0, |spent| spent.total) }]
            }
            _ => Vec::new(),
        };
        Ok(StateAfter { t_hw, q: hmac.quarantine(), entries, spent })
    }

    /// The verifier's parameters.
    pub const fn params(&self) -> &Params {
        &self.params
    }
}

/// Whether a verdict comes from a step after H3: an hmac code with it has
/// an account (spec §7.4).
fn past_h3(verdict: &Result<paycode::Acceptance, Error>) -> bool {
    match verdict {
        Ok(_) => true,
        Err(e) => matches!(
            e,
            Error::StateUnavailable
                | Error::StaleCounter
                | Error::Replayed
                | Error::CounterBehind
                | Error::ChallengeUsed
                | Error::OverCap
                | Error::OverCeiling
        ),
    }
}

pub(super) fn verify(input: VerifyInput) -> Ran<VerifyExpected, VerifyIntermediates> {
    let mut runner = ScenarioRunner::new(&input.verifier, &input.state)?;
    let params = *runner.params();
    let expected = runner.verify(input.time, &input.text, input.amount, input.challenge.as_deref())?;
    let intermediates = match params.step_at(input.time) {
        Ok(s_now) => {
            let (low, high) = params.window(s_now, input.state.t_hw);
            let code_step = match Code::parse(&input.text) {
                Ok(Code::Hmac(code)) => Some(code.step()),
                Ok(Code::Numeric(code)) => Some(code.step_near(s_now)),
                Ok(Code::Ed25519(code)) => Some(code.step()),
                Err(_) => None,
            };
            Some(VerifyIntermediates { s_now, low, high, code_step })
        }
        Err(_) => None,
    };
    Ok((expected, intermediates))
}

pub(super) fn scenario(input: ScenarioInput) -> Ran<ScenarioExpected, NoIntermediates> {
    let mut runner = ScenarioRunner::new(&input.verifier, &input.state)?;
    let steps = input
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| runner.step(step).map_err(|e| InputError::Step { index, source: Box::new(e) }))
        .collect::<Result<Vec<_>, InputError>>()?;
    valid(ScenarioExpected { steps })
}

pub(super) fn reconcile(input: ReconcileInput) -> Ran<ReconcileExpected, NoIntermediates> {
    let mut logs = Vec::new();
    for log in &input.logs {
        match LogRecord::decode_log(&unhex(log)?) {
            Ok(r) => logs.push(r),
            Err(e) => {
                return valid(ReconcileExpected {
                    result: Outcome::Invalid,
                    error: Some(e),
                    unproven: None,
                    doubles: None,
                    copies: None,
                    flagged: None,
                    revoke_serials: None,
                    disable_accounts: None,
                    totals: None,
                    payers: None,
                    flagged_payers: None,
                });
            }
        }
    }
    let mut keys = IssuerKeys::default();
    for a in &input.hmac_accounts {
        let account = HmacKeys::derive(a.account_id, &seed(&a.seed)?);
        if keys.accounts.insert(a.account_id, account).is_some() {
            return Err(InputError::Repeated(format!("account {}", a.account_id)));
        }
    }
    if let Some(list) = &input.trust_list {
        keys.trust = Some(TrustList::decode(&unhex(list)?).map_err(InputError::TrustList)?);
    }
    let mut policy = Policy::with_tolerance(input.tolerance);
    if let Some(holders) = &input.holders {
        let mut mapping = BTreeMap::new();
        let mut index: BTreeMap<(u64, u32), u32> = BTreeMap::new();
        for h in holders {
            let at = index.entry((h.payer, h.batch)).or_insert(0);
            let holder = Holder { payer: h.payer, batch: h.batch, index: *at, batch_limit: h.batch_limit };
            *at += 1;
            if mapping.insert(h.serial, holder).is_some() {
                return Err(InputError::Repeated(format!("serial {}", h.serial)));
            }
        }
        policy = policy.with_holders(mapping);
    }
    let r = reconcile_logs(&logs, &keys, &policy);
    let mapped = input.holders.is_some();
    valid(ReconcileExpected {
        result: Outcome::Valid,
        error: None,
        unproven: Some(r.unproven),
        doubles: Some(r.doubles),
        copies: Some(r.copies),
        flagged: Some(r.flagged),
        revoke_serials: Some(r.revoke_serials),
        disable_accounts: Some(r.flagged_accounts),
        totals: Some(r.totals.iter().map(|&(serial, total)| SerialTotal { serial, total }).collect()),
        payers: mapped.then(|| {
            r.payers
                .iter()
                .map(|p| PayerSummary {
                    payer: p.payer,
                    serials: p.serials.clone(),
                    codes: p.codes as u64,
                    terminals: p
                        .terminals
                        .iter()
                        .map(|t| BatchAtTerminal {
                            batch: t.batch,
                            terminal_id: t.terminal_id,
                            total: t.total,
                            limit: t.limit,
                        })
                        .collect(),
                    flagged_serials: p.flagged_serials.clone(),
                    over_batch_limit: p.over_batch_limit,
                })
                .collect()
        }),
        flagged_payers: mapped.then(|| r.flagged_payers.clone()),
    })
}
