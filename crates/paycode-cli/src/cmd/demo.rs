//! `paycode demo`: both profiles end to end, and challenge mode and a capped
//! code, in memory.

use paycode::Error as Rejection;
use paycode::code::HmacCode;
use paycode::codec::to_hex;
use paycode::issuer::KeyPeriod;
use paycode::{
    BatchCredential, BatchTerms, Challenge, Code, Ed25519Wallet, HmacWallet, Issuer, Params, Payment,
    Purpose, Seed, TrustList, Verifier,
};
use paycode::{ListHeader, RevocationList, TrustHeader};
use paycode_render::qr::Symbol;
use serde_json::json;

use paycode_cli::files::ParamsFile;

use super::{EXIT_OK, EXIT_REJECTED, Error, Usage, now_or, print_json};

/// `paycode demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Unix time to run at (default: the system clock).
    #[arg(long)]
    at: Option<u64>,
    /// Print a JSON report instead of text.
    #[arg(long)]
    json: bool,
    /// Derive the demo's secrets from this 32-byte hex seed instead of fresh
    /// randomness (a challenge's nonce stays random, as a terminal's must).
    #[arg(long)]
    seed: Option<String>,
}

/// One demonstrated verification: what was tried, what the spec requires, what happened.
struct Check {
    case: &'static str,
    expected: Result<(), Rejection>,
    verdict: Result<(), Rejection>,
}

impl Check {
    fn ok(&self) -> bool {
        self.expected == self.verdict
    }
}

struct ProfileRun {
    profile: &'static str,
    text: String,
    digits: Option<String>,
    symbol: Symbol,
    step: u64,
    counter: u32,
    checks: Vec<Check>,
}

/// Runs the demo: exit 0 when every verdict is the spec's, 1 otherwise.
pub fn run(args: &Args) -> Result<u8, Error> {
    let base = super::seed_or_random(args.seed.as_deref())?;
    let (now, json) = (now_or(args.at), args.json);
    let params = Params::default();
    // The demo's keys and codes reach a day back and a year ahead of `now`.
    if !(2 * 86_400..=u64::MAX / 2).contains(&now) {
        return Err(Usage::DemoTime.into());
    }
    let account_seed = tweak(&base, 1);
    let issuer_seed = tweak(&base, 2);
    let device_seed = tweak(&base, 3);

    let (hmac, handles) = run_hmac(params, now, &account_seed)?;
    let (mut wallet, trust, list) = ed25519_world(params, now, &issuer_seed, &device_seed)?;
    let mut terminal = Verifier::new(params, 7);
    let root = Issuer::from_seed(&issuer_seed).root_public_key().map_err(Error::Demo)?;
    terminal.set_root_key(root);
    terminal.install_trust_list(trust.clone(), now).map_err(Error::DemoList)?;
    // spec: R-REVOKE-4: a terminal needs a fresh revocation list.
    terminal.install_revocation_list(list.clone(), now).map_err(Error::DemoList)?;
    let (batch, ed) = run_ed25519(params, now, &mut wallet, &terminal)?;
    let mut other = Verifier::new(params, 8);
    other.set_root_key(root);
    other.install_trust_list(trust, now).map_err(Error::DemoList)?;
    other.install_revocation_list(list, now).map_err(Error::DemoList)?;
    let modes = run_challenge(now, &mut wallet, &terminal, &other)?;
    let runs = [hmac, ed];
    let all_ok =
        runs.iter().flat_map(|r| &r.checks).chain(&modes.checks).all(Check::ok) && handles_ok(&handles);
    if json {
        let profiles: Vec<_> = runs
            .iter()
            .map(|r| {
                let mut p = json!({ "profile": r.profile, "step": r.step, "counter": r.counter,
                                    "text": r.text, "qr_version": r.symbol.version(), "checks": checks_json(&r.checks) });
                if let (Some(d), Some(map)) = (&r.digits, p.as_object_mut()) {
                    map.insert("digits".into(), d.as_str().into());
                }
                p
            })
            .collect();
        let c = &modes.challenge;
        let challenge = json!({ "profile": "ed25519", "terminal_id": c.terminal_id(), "amount": c.amount(),
                                "issued_at": c.issued_at(), "text": c.to_qr_text(),
                                "qr_version": modes.symbol.version(), "checks": checks_json(&modes.checks) });
        let batch: Vec<_> =
            batch.iter().map(|(serial, key)| json!({ "serial": serial, "device_key": key })).collect();
        let handles: Vec<_> = handles.iter().map(HandleCode::to_json).collect();
        print_json(&json!({ "spec": paycode::SPEC_VERSION, "now": now, "params": ParamsFile::from(params),
                            "profiles": profiles, "handles": handles, "ed25519_batch": batch,
                            "challenge": challenge, "ok": all_ok }))?;
    } else {
        outln!(
            "{} demo at unix time {now} (step {}; X = {} s, window {} steps back, {} forward)",
            paycode::SPEC_VERSION,
            params.step_at(now).unwrap_or_default(),
            params.step_secs(),
            params.back(),
            params.forward()
        )?;
        outln!(
            "issuer: hmac account 42 enrolled; Ed25519 issuer key 1; a batch of {BATCH} credentials for the \
             ed25519 wallet, each with its own device key and random serial"
        )?;
        for (n, (serial, key)) in batch.iter().enumerate() {
            outln!(
                "  ed25519 code {}: serial {serial}, device key {}..",
                n + 1,
                key.get(..16).unwrap_or(key)
            )?;
        }
        for r in &runs {
            outln!()?;
            outln!(
                "== {} profile: code at step {}, counter {} (QR version {}-M) ==",
                r.profile,
                r.step,
                r.counter,
                r.symbol.version()
            )?;
            outln!("{}", r.symbol.to_terminal())?;
            outln!("text: {}", r.text)?;
            if let Some(d) = &r.digits {
                outln!("digits: {d}")?;
            }
            print_checks(&r.checks)?;
        }
        print_handles(&handles)?;
        let c = &modes.challenge;
        outln!()?;
        outln!(
            "== challenge mode, ed25519: terminal {} shows a challenge for {} (QR version {}-M) ==",
            c.terminal_id(),
            c.amount(),
            modes.symbol.version()
        )?;
        outln!("{}", modes.symbol.to_terminal())?;
        outln!("challenge: {}", c.to_qr_text())?;
        outln!(
            "wallet: pay {} to terminal {}? (the payer confirms; spec R-GEN-5)",
            c.amount(),
            c.terminal_id()
        )?;
        print_checks(&modes.checks)?;
        outln!()?;
        let total = runs.iter().map(|r| r.checks.len()).sum::<usize>() + modes.checks.len() + handles.len();
        if all_ok {
            outln!("all {total} verdicts are the ones the spec requires")?;
        } else {
            outln!("some verdicts differ from the spec: this is a bug")?;
        }
    }
    Ok(if all_ok { EXIT_OK } else { EXIT_REJECTED })
}

/// The demonstrated verifications, one line each.
fn print_checks(checks: &[Check]) -> Result<(), Error> {
    for c in checks {
        outln!("  {:<50} -> {}{}", c.case, verdict(c.verdict), if c.ok() { "" } else { "   (UNEXPECTED)" })?;
    }
    Ok(())
}

fn checks_json(checks: &[Check]) -> Vec<serde_json::Value> {
    checks
        .iter()
        .map(|c| json!({ "case": c.case, "expected": verdict(c.expected), "verdict": verdict(c.verdict), "ok": c.ok() }))
        .collect()
}

/// The demo's hmac account.
const ACCOUNT: u64 = 42;

fn run_hmac(params: Params, now: u64, seed: &Seed) -> Result<(ProfileRun, [HandleCode; 2]), Error> {
    let mut wallet = HmacWallet::new(params, ACCOUNT, seed, 0);
    let mut verifier = Verifier::new(params, 1);
    verifier.add_account(ACCOUNT, seed);
    let counter = wallet.next_counter();
    let code = wallet.generate(now)?;
    let text = code.to_qr_text();
    let digits = wallet.numeric(&code).ok().map(|n| n.to_digits());
    let symbol = Symbol::new(&text)?;
    let check = |case, text: &str, at, expected| Check {
        case,
        expected,
        verdict: verifier.verify_text(text, at, 0).map(|_| ()),
    };
    let mut checks = vec![
        check("fresh code", &text, now, Ok(())),
        check("the same code again", &text, now, Err(Rejection::Replayed)),
    ];
    let next = wallet.generate(now)?;
    let digits_next = wallet.numeric(&next)?.to_digits();
    checks.push(check("next code, numeric form", &digits_next, now, Ok(())));
    let old = wallet.generate(now - (params.back() + 1) * params.step_secs())?;
    checks.push(check("code from B + 1 steps ago", &old.to_qr_text(), now, Err(Rejection::TooOld)));
    let fast = wallet.generate(now + (params.forward() + 1) * params.step_secs())?;
    checks.push(check(
        "code from a wallet F + 1 steps fast",
        &fast.to_qr_text(),
        now,
        Err(Rejection::TooNew),
    ));
    let fresh = wallet.generate(now)?;
    checks.push(check("one bit of the tag flipped", &tamper_hmac(&fresh)?, now, Err(Rejection::InvalidCode)));
    checks.push(check("the untampered code", &fresh.to_qr_text(), now, Ok(())));
    // A code taken with the phone's clock set F steps ahead, then the owner pays
    // on: the taken code's counter is lower and its step later (spec §12.12).
    let ahead = wallet.generate(now + params.forward() * params.step_secs())?;
    let owner = wallet.generate(now)?;
    checks.push(check("the owner's next code", &owner.to_qr_text(), now, Ok(())));
    checks.push(check(
        "a code taken earlier, clock F steps ahead",
        &ahead.to_qr_text(),
        now,
        Err(Rejection::CounterBehind),
    ));
    let run = ProfileRun { profile: "hmac", text, digits, symbol, step: code.step(), counter, checks };
    // Two codes of the payer, one step apart: each carries that step's handle
    // and counter mask; the issuer's verifier resolves both to the account.
    let earlier = now - params.step_secs();
    let handles =
        [handle_code(&mut wallet, &verifier, earlier, now)?, handle_code(&mut wallet, &verifier, now, now)?];
    Ok((run, handles))
}

/// An hmac code as it travels and as the issuer's verifier resolves it.
struct HandleCode {
    step: u64,
    handle: [u8; 8],
    masked_counter: u32,
    counter: u32,
    /// The account and counter the verifier accepted the code for.
    verdict: Result<(u64, u32), Rejection>,
}

impl HandleCode {
    /// Accepted as the demo's account, with the counter the wallet used.
    fn ok(&self) -> bool {
        self.verdict == Ok((ACCOUNT, self.counter))
    }

    fn to_json(&self) -> serde_json::Value {
        let mut v = json!({ "step": self.step, "handle": paycode::codec::to_hex(&self.handle),
                            "masked_counter": self.masked_counter, "counter": self.counter,
                            "verdict": verdict(self.verdict.map(|_| ())), "ok": self.ok() });
        if let (Ok((account, counter)), Some(map)) = (self.verdict, v.as_object_mut()) {
            map.insert("account".into(), account.into());
            map.insert("verified_counter".into(), counter.into());
        }
        v
    }
}

/// The wallet's code made at unix time `made`, verified at `now`.
fn handle_code(
    wallet: &mut HmacWallet,
    verifier: &Verifier,
    made: u64,
    now: u64,
) -> Result<HandleCode, Error> {
    let counter = wallet.next_counter();
    let code = wallet.generate(made)?;
    let verdict = verifier.verify(&Code::Hmac(code), now, 0).map(|a| (a.subject, a.counter));
    Ok(HandleCode {
        step: code.step(),
        handle: code.handle(),
        masked_counter: code.masked_counter(),
        counter,
        verdict,
    })
}

/// The handles section: what a merchant sees of two codes of one payer, and
/// what the issuer's verifier makes of them.
fn print_handles(codes: &[HandleCode]) -> Result<(), Error> {
    outln!()?;
    outln!("== hmac profile: two codes of account {ACCOUNT}, one step apart ==")?;
    for c in codes {
        let seen = match c.verdict {
            Ok((account, counter)) => format!("accepted as account {account}, counter {counter}"),
            Err(e) => e.code().to_owned(),
        };
        outln!(
            "  step {}: handle {} masked counter {:>10} -> {seen}{}",
            c.step,
            paycode::codec::to_hex(&c.handle),
            c.masked_counter,
            if c.ok() { "" } else { "   (UNEXPECTED)" }
        )?;
    }
    if handles_differ(codes) {
        outln!("  the handles differ: a merchant cannot tell that the two codes are one payer's")?;
    } else {
        outln!("  the handles are equal   (UNEXPECTED)")?;
    }
    Ok(())
}

/// Every code accepted as the account, each with its own handle.
fn handles_ok(codes: &[HandleCode]) -> bool {
    codes.iter().all(HandleCode::ok) && handles_differ(codes)
}

fn handles_differ(codes: &[HandleCode]) -> bool {
    codes.iter().enumerate().all(|(i, a)| codes.iter().skip(i + 1).all(|b| a.handle != b.handle))
}

/// Credentials in the ed25519 wallet's batch.
const BATCH: u32 = 4;
/// The ed25519 payer's per-terminal cumulative limit, split over the batch.
const PAYER_LIMIT: u64 = 20_000;

/// The ed25519 wallet, with a batch of credentials of issuer key 1, and the
/// trust list of that key.
fn ed25519_world(
    params: Params,
    now: u64,
    issuer_seed: &Seed,
    device_seed: &Seed,
) -> Result<(Ed25519Wallet, TrustList, RevocationList), Error> {
    let issuer = Issuer::from_seed(issuer_seed);
    let period = KeyPeriod { key_id: 1, not_before: now - 86_400, not_after: now + 365 * 86_400 };
    // spec: R-BATCH-1..3: one device key per index, random serials, the
    // payer's limit split over the batch (5000 each).
    let keys: Vec<[u8; 32]> = (0..BATCH).map(|i| Ed25519Wallet::device_public_key(device_seed, i)).collect();
    let terms = BatchTerms {
        key_id: 1,
        not_before: now - 3_600,
        lifetime: 86_400,
        per_payment_limit: 5_000,
        cumulative_limit: BatchTerms::split(PAYER_LIMIT, BATCH),
        payer_limit: PAYER_LIMIT,
    };
    let credentials = issuer.issue_batch(&terms, &keys, |_| false).map_err(Error::DemoBatch)?;
    let batch: Vec<BatchCredential> = (0..BATCH)
        .zip(credentials)
        .map(|(index, credential)| BatchCredential { index, credential, next_counter: 0 })
        .collect();
    let wallet = Ed25519Wallet::batch(params, device_seed, &batch)?;
    // The issuer's list of the day, revoking nothing.
    let header =
        ListHeader { key_id: 1, number: 1, issued_at: now, next_update: now + 86_400, grace: 86_400 };
    let list = issuer.revocation_list(header, vec![]).map_err(Error::Demo)?;
    // The issuer's first trust list, issued with it.
    let trust =
        issuer.trust_list(TrustHeader { sequence: 1, issued_at: now }, &[period]).map_err(Error::Demo)?;
    Ok((wallet, trust, list))
}

fn run_ed25519(
    params: Params,
    now: u64,
    wallet: &mut Ed25519Wallet,
    verifier: &Verifier,
) -> Result<([(u64, String); 2], ProfileRun), Error> {
    let code = wallet.generate(now)?;
    let text = code.to_qr_text();
    let symbol = Symbol::new(&text)?;
    // spec: R-BATCH-4: the next code uses the next credential of the batch.
    let second = wallet.generate(now)?;
    let check = |case, text: &str, at, amount, expected| Check {
        case,
        expected,
        verdict: verifier.verify_text(text, at, amount).map(|_| ()),
    };
    let mut checks = vec![
        check("fresh code, payment of 250", &text, now, 250, Ok(())),
        check("the same code again", &text, now, 250, Err(Rejection::Replayed)),
        check("the payer's next code: next serial and device key", &second.to_qr_text(), now, 250, Ok(())),
    ];
    let big = wallet.generate(now)?;
    checks.push(check(
        "payment of 6000 (per-payment limit 5000)",
        &big.to_qr_text(),
        now,
        6_000,
        Err(Rejection::OverLimit),
    ));
    let old = wallet.generate(now - (params.back() + 1) * params.step_secs())?;
    checks.push(check("code from B + 1 steps ago", &old.to_qr_text(), now, 250, Err(Rejection::TooOld)));
    let fast = wallet.generate(now + (params.forward() + 1) * params.step_secs())?;
    checks.push(check(
        "code from a wallet F + 1 steps fast",
        &fast.to_qr_text(),
        now,
        250,
        Err(Rejection::TooNew),
    ));
    let fresh = wallet.generate(now)?;
    let mut payload = fresh.encode().to_vec();
    if let Some(last) = payload.last_mut() {
        *last ^= 1;
    }
    let tampered = format!("{}{}", paycode::code::QR_PREFIX, paycode::hazmat::base45::encode(&payload));
    checks.push(check("one bit of the signature flipped", &tampered, now, 250, Err(Rejection::InvalidCode)));
    checks.push(check("the untampered code", &fresh.to_qr_text(), now, 250, Ok(())));
    let shown = [&code, &second]
        .map(|c| (c.credential().fields().serial, to_hex(&c.credential().fields().device_key)));
    Ok((
        shown,
        ProfileRun {
            profile: "ed25519",
            text,
            digits: None,
            symbol,
            step: code.step(),
            counter: code.counter(),
            checks,
        },
    ))
}

/// Challenge mode and a capped code, for the ed25519 wallet.
struct ModesRun {
    challenge: Challenge,
    symbol: Symbol,
    checks: Vec<Check>,
}

/// Challenge mode (spec §4.9, §7.5): terminal 7 shows a challenge for 250,
/// the wallet pays it; the code lifted to terminal 8, or presented for
/// another amount, is refused, and the challenge pays once. Then a capped
/// code, which pays at most its cap.
fn run_challenge(
    now: u64,
    wallet: &mut Ed25519Wallet,
    terminal: &Verifier,
    other: &Verifier,
) -> Result<ModesRun, Error> {
    let challenge = Challenge::random(7, 250, now).map_err(Error::Randomness)?;
    let theirs = Challenge::random(8, 250, now).map_err(Error::Randomness)?;
    let symbol = Symbol::new(&challenge.to_qr_text())?;
    let check = |case, verifier: &Verifier, code: &Code, amount, challenge, expected| Check {
        case,
        expected,
        verdict: verifier
            .verify_payment(code, now, Payment { amount, challenge })
            .map(|_| ())
            .map_err(|r| r.error()),
    };
    let paid = Code::Ed25519(Box::new(wallet.generate_for(now, Purpose::Challenge(&challenge))?));
    let mine = Some(&challenge);
    let mut checks = vec![
        check(
            "the code lifted to terminal 8, with its challenge",
            other,
            &paid,
            250,
            Some(&theirs),
            Err(Rejection::InvalidCode),
        ),
        check(
            "the code lifted to terminal 8, with terminal 7's",
            other,
            &paid,
            250,
            mine,
            Err(Rejection::ChallengeMismatch),
        ),
        check(
            "the code at terminal 7, for 900",
            terminal,
            &paid,
            900,
            mine,
            Err(Rejection::ChallengeMismatch),
        ),
        check("the code at terminal 7, for 250", terminal, &paid, 250, mine, Ok(())),
        check("the same code again", terminal, &paid, 250, mine, Err(Rejection::Replayed)),
    ];
    let again = Code::Ed25519(Box::new(wallet.generate_for(now, Purpose::Challenge(&challenge))?));
    checks.push(check(
        "a second code for that challenge",
        terminal,
        &again,
        250,
        mine,
        Err(Rejection::ChallengeUsed),
    ));
    let capped = Code::Ed25519(Box::new(wallet.generate_for(now, Purpose::Capped(250))?));
    checks.push(check(
        "capped code (cap 250), payment of 300",
        terminal,
        &capped,
        300,
        None,
        Err(Rejection::OverCap),
    ));
    checks.push(check("the same capped code, payment of 250", terminal, &capped, 250, None, Ok(())));
    Ok(ModesRun { challenge, symbol, checks })
}

fn tamper_hmac(code: &HmacCode) -> Result<String, Error> {
    let mut payload = code.encode();
    if let Some(last) = payload.last_mut() {
        *last ^= 1;
    }
    let text = format!("{}{}", paycode::code::QR_PREFIX, paycode::hazmat::base45::encode(&payload));
    // The tampered text still decodes: the rejection is the MAC's, not the parser's.
    Code::parse(&text).map_err(Error::Demo)?;
    Ok(text)
}

fn tweak(seed: &Seed, n: u8) -> Seed {
    paycode::Seed::from_bytes(paycode::hazmat::keys::derive(seed, b"paycode/demo\0", &[n]).expose())
}

fn verdict(v: Result<(), Rejection>) -> &'static str {
    match v {
        Ok(()) => "accepted",
        Err(e) => e.code(),
    }
}
