//! `paycode demo` (part of the binary): both profiles end to end, in memory.

use paycode::code::HmacCode;
use paycode::issuer::KeyPeriod;
use paycode::{Code, CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, Params, Seed, Verifier};
use paycode_render::qr::Symbol;
use serde_json::json;

use crate::{Failure, params_json};

/// One demonstrated verification: what was tried, what the spec requires, what happened.
struct Check {
    case: &'static str,
    expected: Result<(), Error>,
    verdict: Result<(), Error>,
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

pub fn run(now: u64, json: bool, seed: Option<Seed>) -> Result<u8, Failure> {
    let params = Params::default();
    // The demo's keys and codes reach a day back and a year ahead of `now`.
    if !(2 * 86_400..=u64::MAX / 2).contains(&now) {
        return Err(Failure("the demo needs a time between 1970-01-03 and 2^63 seconds".into()));
    }
    let base = match seed {
        Some(s) => s,
        None => Seed::random().map_err(|e| Failure(format!("no randomness: {e}")))?,
    };
    let account_seed = tweak(&base, 1);
    let issuer_seed = tweak(&base, 2);
    let device_seed = tweak(&base, 3);

    let hmac = run_hmac(params, now, &account_seed)?;
    let ed = run_ed25519(params, now, &issuer_seed, &device_seed)?;
    let runs = [hmac, ed];
    let all_ok = runs.iter().all(|r| r.checks.iter().all(Check::ok));
    if json {
        let profiles: Vec<_> = runs
            .iter()
            .map(|r| {
                let checks: Vec<_> = r
                    .checks
                    .iter()
                    .map(|c| json!({ "case": c.case, "expected": verdict(c.expected), "verdict": verdict(c.verdict), "ok": c.ok() }))
                    .collect();
                json!({ "profile": r.profile, "step": r.step, "counter": r.counter, "text": r.text,
                        "digits": r.digits, "qr_version": r.symbol.version(), "checks": checks })
            })
            .collect();
        let report = json!({ "spec": paycode::SPEC_VERSION, "now": now, "params": params_json(params),
                             "profiles": profiles, "ok": all_ok });
        println!("{report}");
    } else {
        println!(
            "{} demo at unix time {now} (step {}; X = {} s, window {} steps back, {} forward)",
            paycode::SPEC_VERSION,
            params.step_at(now).unwrap_or_default(),
            params.step_secs(),
            params.back(),
            params.forward()
        );
        println!(
            "issuer: hmac account 42 enrolled; Ed25519 issuer key 1; credential serial 1001 for the ed25519 wallet"
        );
        for r in &runs {
            println!();
            println!(
                "== {} profile: code at step {}, counter {} (QR version {}-M) ==",
                r.profile,
                r.step,
                r.counter,
                r.symbol.version()
            );
            println!("{}", r.symbol.to_terminal());
            println!("{}", r.text);
            if let Some(d) = &r.digits {
                println!("digits: {d}");
            }
            for c in &r.checks {
                println!(
                    "  {:<46} -> {}{}",
                    c.case,
                    verdict(c.verdict),
                    if c.ok() { "" } else { "   (UNEXPECTED)" }
                );
            }
        }
        println!();
        let total: usize = runs.iter().map(|r| r.checks.len()).sum();
        if all_ok {
            println!("all {total} verdicts are the ones the spec requires");
        } else {
            println!("some verdicts differ from the spec: this is a bug");
        }
    }
    Ok(if all_ok { 0 } else { 1 })
}

fn run_hmac(params: Params, now: u64, seed: &Seed) -> Result<ProfileRun, Failure> {
    let account = 42;
    let mut wallet = HmacWallet::new(params, account, seed, 0);
    let mut verifier = Verifier::new(params, 1);
    verifier.add_account(account, seed);
    let gen_err = |e: paycode::GenerateError| Failure(e.to_string());
    let code = wallet.generate(now).map_err(gen_err)?;
    let text = code.to_qr_text();
    let digits = wallet.numeric(&code).ok().map(|n| n.to_digits());
    let symbol = Symbol::new(&text).map_err(|e| Failure(e.to_string()))?;
    let check = |case, text: &str, at, expected| Check {
        case,
        expected,
        verdict: verifier.verify_text(text, at, 0).map(|_| ()),
    };
    let mut checks = vec![
        check("fresh code", &text, now, Ok(())),
        check("the same code again", &text, now, Err(Error::Replayed)),
    ];
    let next = wallet.generate(now).map_err(gen_err)?;
    let digits_next = wallet.numeric(&next).map_err(gen_err)?.to_digits();
    checks.push(check("next code, numeric form", &digits_next, now, Ok(())));
    let old = wallet.generate(now - (params.back() + 1) * params.step_secs()).map_err(gen_err)?;
    checks.push(check("code from B + 1 steps ago", &old.to_qr_text(), now, Err(Error::TooOld)));
    let fast = wallet.generate(now + (params.forward() + 1) * params.step_secs()).map_err(gen_err)?;
    checks.push(check("code from a wallet F + 1 steps fast", &fast.to_qr_text(), now, Err(Error::TooNew)));
    let fresh = wallet.generate(now).map_err(gen_err)?;
    checks.push(check("one bit of the tag flipped", &tamper_hmac(&fresh)?, now, Err(Error::InvalidCode)));
    checks.push(check("the untampered code", &fresh.to_qr_text(), now, Ok(())));
    Ok(ProfileRun {
        profile: "hmac",
        text,
        digits,
        symbol,
        step: code.step(),
        counter: code.counter(),
        checks,
    })
}

fn run_ed25519(
    params: Params,
    now: u64,
    issuer_seed: &Seed,
    device_seed: &Seed,
) -> Result<ProfileRun, Failure> {
    let issuer = Issuer::from_seed(issuer_seed);
    let period = KeyPeriod { key_id: 1, not_before: now - 86_400, not_after: now + 365 * 86_400 };
    let credential = issuer.issue(CredentialFields {
        key_id: 1,
        serial: 1001,
        device_key: Ed25519Wallet::device_public_key(device_seed),
        not_before: now - 3_600,
        lifetime: 86_400,
        per_payment_limit: 5_000,
        cumulative_limit: 20_000,
    });
    let gen_err = |e: paycode::GenerateError| Failure(e.to_string());
    let mut wallet = Ed25519Wallet::new(params, device_seed, credential, 0).map_err(gen_err)?;
    let mut verifier = Verifier::new(params, 7);
    verifier.set_trust_list(issuer.trust_list(&[period]).map_err(|e| Failure(e.to_string()))?);
    let code = wallet.generate(now).map_err(gen_err)?;
    let text = code.to_qr_text();
    let symbol = Symbol::new(&text).map_err(|e| Failure(e.to_string()))?;
    let check = |case, text: &str, at, amount, expected| Check {
        case,
        expected,
        verdict: verifier.verify_text(text, at, amount).map(|_| ()),
    };
    let mut checks = vec![
        check("fresh code, payment of 250", &text, now, 250, Ok(())),
        check("the same code again", &text, now, 250, Err(Error::Replayed)),
    ];
    let big = wallet.generate(now).map_err(gen_err)?;
    checks.push(check(
        "payment of 6000 (per-payment limit 5000)",
        &big.to_qr_text(),
        now,
        6_000,
        Err(Error::OverLimit),
    ));
    let old = wallet.generate(now - (params.back() + 1) * params.step_secs()).map_err(gen_err)?;
    checks.push(check("code from B + 1 steps ago", &old.to_qr_text(), now, 250, Err(Error::TooOld)));
    let fast = wallet.generate(now + (params.forward() + 1) * params.step_secs()).map_err(gen_err)?;
    checks.push(check(
        "code from a wallet F + 1 steps fast",
        &fast.to_qr_text(),
        now,
        250,
        Err(Error::TooNew),
    ));
    let fresh = wallet.generate(now).map_err(gen_err)?;
    let mut payload = fresh.encode().to_vec();
    if let Some(last) = payload.last_mut() {
        *last ^= 1;
    }
    let tampered = format!("{}{}", paycode::code::QR_PREFIX, paycode::hazmat::base45::encode(&payload));
    checks.push(check("one bit of the signature flipped", &tampered, now, 250, Err(Error::InvalidCode)));
    checks.push(check("the untampered code", &fresh.to_qr_text(), now, 250, Ok(())));
    Ok(ProfileRun {
        profile: "ed25519",
        text,
        digits: None,
        symbol,
        step: code.step(),
        counter: code.counter(),
        checks,
    })
}

fn tamper_hmac(code: &HmacCode) -> Result<String, Failure> {
    let mut payload = code.encode();
    if let Some(last) = payload.last_mut() {
        *last ^= 1;
    }
    let text = format!("{}{}", paycode::code::QR_PREFIX, paycode::hazmat::base45::encode(&payload));
    // The tampered text still decodes: the rejection is the MAC's, not the parser's.
    Code::parse(&text).map_err(|e| Failure(format!("tampering broke decoding: {e}")))?;
    Ok(text)
}

fn tweak(seed: &Seed, n: u8) -> Seed {
    paycode::Seed::from_bytes(paycode::hazmat::keys::derive(seed, b"paycode/demo\0", &[n]).expose())
}

fn verdict(v: Result<(), Error>) -> &'static str {
    match v {
        Ok(()) => "accepted",
        Err(e) => e.code(),
    }
}
