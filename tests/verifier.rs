//! The verifier through its public API: the high-water step, the order of
//! the first decoding checks, revocation lists across restarts, and batches
//! that give exactly the verdicts and state of calls one at a time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use paycode::code::QR_PREFIX;
use paycode::hazmat::base45;
use paycode::{
    Code, CredentialFields, Ed25519Code, Ed25519Wallet, Error, HmacCode, HmacWallet, InstallError, Issuer,
    KeyPeriod, ListHeader, Params, Profile, RevocationList, Seed, StateStore, TrustHeader, TrustList,
    Verifier,
};
use paycode_test_support::trust;

const NOW: u64 = 1_800_000_000;

/// Revocation list `number` of key 1, fresh for a day after `issued_at`
/// and a day's grace.
fn rl(issuer: &Issuer, number: u64, issued_at: u64, serials: Vec<u64>) -> RevocationList {
    let header = ListHeader { key_id: 1, number, issued_at, next_update: issued_at + 86_400, grace: 86_400 };
    issuer.revocation_list(header, serials).unwrap()
}

fn hmac_verifier() -> (Verifier, HmacWallet) {
    let params = Params::default();
    let seed = Seed::from_bytes(&[4; 32]);
    let mut v = Verifier::new(params, 1);
    v.add_account(9, &seed);
    (v, HmacWallet::new(params, 9, &seed, 0))
}

#[test]
fn undecodable_input_still_raises_high_water() {
    let (v, wallet) = hmac_verifier();
    let code = wallet.code_for(NOW / 60, 0).to_qr_text();
    // Three steps later, garbage arrives: T_hw must move to that step (spec: R-TIME-5).
    assert_eq!(v.verify_text("garbage", NOW + 180, 0).unwrap_err(), Error::Malformed);
    assert_eq!(v.replay_state(Profile::Hmac).high_water(), NOW / 60 + 3);
    // So the code of step T is too old even when the clock reads T again.
    assert_eq!(v.verify_text(&code, NOW, 0).unwrap_err(), Error::TooOld);
}

#[test]
fn disabled_profile_comes_before_the_length_check() {
    let (v, _) = hmac_verifier();
    let text = format!("{}{}", QR_PREFIX, base45::encode(&[3, 2, 0]));
    assert_eq!(v.verify_text(&text, NOW, 0).unwrap_err(), Error::UnsupportedProfile);
    let text = format!("{}{}", QR_PREFIX, base45::encode(&[3, 1, 0]));
    assert_eq!(v.verify_text(&text, NOW, 0).unwrap_err(), Error::Malformed);
    let text = format!("{}{}", QR_PREFIX, base45::encode(&[1, 2, 0]));
    assert_eq!(v.verify_text(&text, NOW, 0).unwrap_err(), Error::UnsupportedVersion);
}

#[test]
fn the_revocation_list_survives_a_restart() {
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
    let period = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    let mut v = Verifier::new(Params::default(), 1);
    trust(&mut v, &issuer, &[period]);
    v.install_revocation_list(rl(&issuer, 5, NOW, vec![9]), NOW).unwrap();
    let state = v.state();
    let mut back = Verifier::restore(Params::default(), 1, &state);
    trust(&mut back, &issuer, &[period]);
    assert_eq!(back.revocation_number(), Some(5));
    // An older list is refused after the restart too (spec: R-REVOKE-2).
    let older = rl(&issuer, 4, NOW, vec![]);
    assert_eq!(back.install_revocation_list(older, NOW), Err(InstallError::NotNewer));
    assert_eq!(back.state(), state);
}

#[test]
fn revocation_numbers_start_above_zero() {
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
    let period = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    let mut v = Verifier::new(Params::default(), 1);
    trust(&mut v, &issuer, &[period]);
    let zero = rl(&issuer, 0, NOW, vec![5]);
    assert_eq!(v.install_revocation_list(zero, NOW), Err(InstallError::NotNewer));
    assert_eq!(v.revocation_number(), None);
    assert_eq!(v.install_revocation_list(rl(&issuer, 1, NOW, vec![5]), NOW), Ok(()));
    assert_eq!(v.revocation_number(), Some(1));
}

struct Setup {
    issuer: Issuer,
    wallets: Vec<Ed25519Wallet>,
    hmac: HmacWallet,
    hmac_seed: Seed,
}

impl Setup {
    fn new() -> Setup {
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[3; 32]));
        let wallets = (0..5u8)
            .map(|i| {
                let seed = Seed::from_bytes(&[10 + i; 32]);
                let credential = issuer.issue(CredentialFields {
                    key_id: 1,
                    serial: 100 + u64::from(i),
                    device_key: Ed25519Wallet::device_public_key(&seed, 0),
                    // Wallet 4's credential has expired.
                    not_before: if i == 4 { NOW - 90_000 } else { NOW - 3_600 },
                    lifetime: 86_400,
                    per_payment_limit: 500,
                    cumulative_limit: 1_000,
                });
                Ed25519Wallet::new(Params::default(), &seed, 0, credential, 0).unwrap()
            })
            .collect();
        let hmac_seed = Seed::from_bytes(&[4; 32]);
        let hmac = HmacWallet::new(Params::default(), 42, &hmac_seed, 0);
        Setup { issuer, wallets, hmac, hmac_seed }
    }

    fn verifier(&self) -> Verifier {
        let mut v = Verifier::new(Params::default(), 9);
        let period = KeyPeriod { key_id: 1, not_before: NOW - 86_400 * 30, not_after: NOW + 86_400 * 30 };
        trust(&mut v, &self.issuer, &[period]);
        v.install_revocation_list(rl(&self.issuer, 1, NOW - 10, vec![103]), NOW).unwrap();
        v.add_account(42, &self.hmac_seed);
        v
    }
}

fn ed(wallet: &Ed25519Wallet, step: u64, counter: u32) -> Code {
    Code::Ed25519(Box::new(wallet.code_for(step, counter)))
}

#[test]
fn batch_verdicts_and_state_equal_sequential_calls() {
    let s = Setup::new();
    let step = NOW / 60;
    let mut flipped = s.wallets[1].code_for(step, 7).encode().to_vec();
    flipped[200] ^= 4;
    let flipped = Ed25519Code::decode(&flipped).unwrap();
    let mut unknown_issuer = s.wallets[2].code_for(step, 1).encode().to_vec();
    unknown_issuer[14] ^= 1; // credential key id
    let hmac = s.hmac.code_for(step, 3);
    let mut bad_tag = *hmac.tag();
    bad_tag[0] ^= 1;
    let hmac_bad = HmacCode::new(hmac.handle(), hmac.step(), hmac.masked_counter(), bad_tag);
    let numeric = Code::Numeric(s.hmac.numeric(&s.hmac.code_for(step, 4)).unwrap());
    let codes: Vec<(Code, u64)> = vec![
        (ed(&s.wallets[0], step, 1), 100),
        (ed(&s.wallets[1], step, 1), 100),
        (ed(&s.wallets[0], step, 1), 100),       // replayed within the batch
        (Code::Ed25519(Box::new(flipped)), 100), // invalid signature
        (ed(&s.wallets[0], step, 2), 600),       // over the per-payment limit
        (ed(&s.wallets[0], step, 3), 450),
        (ed(&s.wallets[0], step, 4), 450),
        (ed(&s.wallets[0], step, 5), 450),    // cumulative limit reached
        (ed(&s.wallets[2], step - 3, 1), 10), // too old
        (ed(&s.wallets[2], step + 2, 1), 10), // too new
        (ed(&s.wallets[3], step, 1), 10),     // revoked
        (ed(&s.wallets[4], step, 1), 10),     // expired
        (Code::decode_payload(&unknown_issuer).unwrap(), 10),
        (Code::Hmac(hmac), 0),
        (Code::Hmac(hmac), 0),     // replayed
        (Code::Hmac(hmac_bad), 0), // invalid
        (numeric, 0),
        (ed(&s.wallets[1], step, 60), 100),
        (ed(&s.wallets[1], step, 0), 100), // 60 behind: still in the window
        (ed(&s.wallets[1], step + 1, 70), 100),
        (ed(&s.wallets[1], step, 2), 100), // 68 behind: stale
    ];
    let items: Vec<(&Code, u64)> = codes.iter().map(|(c, a)| (c, *a)).collect();
    let sequential = s.verifier();
    let expect: Vec<_> = items.iter().map(|&(c, a)| sequential.verify(c, NOW, a)).collect();
    let batched = s.verifier();
    let got = batched.verify_batch(&items, NOW);
    assert_eq!(got, expect);
    assert_eq!(batched.state(), sequential.state());
    // The batch covers every verdict it should.
    let verdicts: Vec<_> = expect.iter().map(|r| r.as_ref().map(|_| ()).map_err(|e| *e)).collect();
    for e in [
        Error::Replayed,
        Error::InvalidCode,
        Error::OverLimit,
        Error::TooOld,
        Error::TooNew,
        Error::Revoked,
        Error::Expired,
        Error::UnknownIssuer,
        Error::StaleCounter,
    ] {
        assert!(verdicts.contains(&Err(e)), "no {e:?} in {verdicts:?}");
    }
    assert_eq!(verdicts.iter().filter(|v| v.is_ok()).count(), 9, "{verdicts:?}");
    // Running the batch again on the same verifier: everything is now used up.
    let again = batched.verify_batch(&items, NOW);
    let expect_again: Vec<_> = items.iter().map(|&(c, a)| sequential.verify(c, NOW, a)).collect();
    assert_eq!(again, expect_again);
    assert!(again.iter().all(Result::is_err));
}

#[test]
fn batch_of_random_mixtures_equals_sequential_calls() {
    let s = Setup::new();
    let step = NOW / 60;
    let mut seed = 5u64;
    let mut rand = move |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let sequential = s.verifier();
    let batched = s.verifier();
    for round in 0..12 {
        let codes: Vec<(Code, u64)> = (0..1 + rand(40))
            .map(|_| {
                let w = &s.wallets[rand(5) as usize];
                let mut code = w.code_for(step + 1 - rand(4), rand(80) as u32).encode().to_vec();
                if rand(6) == 0 {
                    code[(rand(204)) as usize] ^= 1 << rand(8);
                }
                match Code::decode_payload(&code) {
                    Ok(c) => (c, rand(400)),
                    Err(_) => (Code::Hmac(s.hmac.code_for(step, rand(100) as u32)), 0),
                }
            })
            .collect();
        let items: Vec<(&Code, u64)> = codes.iter().map(|(c, a)| (c, *a)).collect();
        let expect: Vec<_> = items.iter().map(|&(c, a)| sequential.verify(c, NOW, a)).collect();
        assert_eq!(batched.verify_batch(&items, NOW), expect, "round {round}");
        assert_eq!(batched.state(), sequential.state(), "round {round}");
    }
}

#[test]
fn text_that_does_not_decode_still_raises_the_high_water_step() {
    let s = Setup::new();
    let v = s.verifier();
    let code = Code::Hmac(s.hmac.code_for(NOW / 60, 1));
    let later = NOW + 10 * 60;
    assert_eq!(v.verify_text("PC3:*", later, 0), Err(Error::Malformed));
    assert_eq!(v.replay_state(Profile::Hmac).high_water(), later / 60);
    // So the code of 10 steps before is too old now, even at its own time.
    assert_eq!(v.verify(&code, NOW, 0), Err(Error::TooOld));
    let fresh = Verifier::new(Params::default(), 1);
    assert_eq!(fresh.verify_text("PC3:*", NOW - 1, 0), Err(Error::Malformed));
    assert_eq!(fresh.replay_state(Profile::Ed25519).high_water(), (NOW - 1) / 60);
}

#[test]
fn enrolling_an_account_again_replaces_its_keys() {
    let (old, new) = (Seed::from_bytes(&[1; 32]), Seed::from_bytes(&[2; 32]));
    let mut v = Verifier::new(Params::default(), 1);
    v.add_account(7, &old);
    v.add_account(8, &old);
    v.add_account(7, &new);
    let step = NOW / 60;
    let code =
        |seed: &Seed, id| Code::Hmac(HmacWallet::new(Params::default(), id, seed, 0).code_for(step, 1));
    assert_eq!(v.verify(&code(&old, 7), NOW, 0), Err(Error::InvalidCode));
    assert!(v.verify(&code(&new, 7), NOW, 0).is_ok());
    assert!(v.verify(&code(&old, 8), NOW, 0).is_ok());
    assert!(v.has_account(8) && !v.has_account(9));
    // spec: R-HMAC-9: an account without keys is told from a wrong tag by nothing.
    assert_eq!(v.verify(&code(&old, 9), NOW, 0), Err(Error::InvalidCode));
}

#[test]
fn batch_before_the_epoch() {
    let s = Setup::new();
    let v = Verifier::new(Params::new(NOW + 1, 60, 2, 1).unwrap(), 1);
    let code = ed(&s.wallets[0], 0, 0);
    assert_eq!(v.verify_batch(&[(&code, 1), (&code, 1)], NOW), vec![Err(Error::TimeBeforeEpoch); 2]);
    assert!(v.verify_batch(&[], NOW).is_empty());
}

#[test]
fn used_challenges_survive_a_snapshot_and_go_once_closed() {
    use paycode::{Challenge, Payment, Purpose};
    let (v, wallet) = hmac_verifier();
    let step = NOW / 60;
    let challenge = Challenge::new(1, 250, NOW, [5; 16]);
    let pay = Payment { amount: 250, challenge: Some(&challenge) };
    let first = Code::Hmac(wallet.code_as(step, 0, Purpose::Challenge(&challenge)));
    let second = Code::Hmac(wallet.code_as(step, 1, Purpose::Challenge(&challenge)));
    assert!(v.verify_payment(&first, NOW, pay).is_ok());
    let state = v.state();
    assert_eq!(state.challenges.len(), 1);
    assert_eq!(state.challenges[0].closes, NOW + 120);
    // Restarted with its state, the verifier still knows the challenge was used.
    let mut restored = Verifier::restore(Params::default(), 1, &state);
    restored.add_account(9, &Seed::from_bytes(&[4; 32]));
    assert_eq!(restored.verify_payment(&second, NOW + 1, pay).unwrap_err().error(), Error::ChallengeUsed);
    // Once the start of the high-water step is past `closes`, the nonce may go,
    // and the challenge is closed at every later call anyway.
    restored.evict(NOW + 120).unwrap();
    assert_eq!(restored.state().challenges.len(), 1, "still open at NOW + 120");
    restored.evict(NOW + 180).unwrap();
    assert!(restored.state().challenges.is_empty());
    assert_eq!(
        restored.verify_payment(&second, NOW + 180, pay).unwrap_err().error(),
        Error::ChallengeExpired
    );
    // A clock set back does not reopen it: the verifier time is the floor,
    // the start of the high-water step NOW + 180 (spec: R-TIME-8).
    let later = Code::Hmac(wallet.code_as(step + 1, 2, Purpose::Challenge(&challenge)));
    assert_eq!(restored.verify_payment(&later, NOW + 60, pay).unwrap_err().error(), Error::ChallengeExpired);
}

#[test]
fn a_verifier_for_another_terminal_shares_the_accounts_not_the_state() {
    use paycode::{Challenge, MemoryStore, Payment, Purpose};
    let (v, wallet) = hmac_verifier();
    let step = NOW / 60;
    let params = Params::default();
    let mut two = v.for_terminal(2, MemoryStore::new(params));
    let challenge = Challenge::new(2, 250, NOW, [8; 16]);
    let pay = Payment { amount: 250, challenge: Some(&challenge) };
    let code = Code::Hmac(wallet.code_as(step, 0, Purpose::Challenge(&challenge)));
    // Terminal 1's verifier refuses terminal 2's challenge; terminal 2's pays it,
    // with the accounts terminal 1's verifier enrolled, and logs terminal 2.
    assert_eq!(v.verify_payment(&code, NOW, pay).unwrap_err().error(), Error::ChallengeMismatch);
    assert_eq!(two.verify_payment(&code, NOW, pay).unwrap().record.terminal_id, 2);
    // Its state is its own store's: terminal 1 has accepted nothing.
    assert!(v.verify(&Code::Hmac(wallet.code_for(step, 0)), NOW, 0).is_ok());
    // An account enrolled afterwards is enrolled where it was enrolled only.
    two.add_account(77, &Seed::from_bytes(&[7; 32]));
    assert!(two.has_account(77) && !v.has_account(77) && two.has_account(9));
}

#[test]
fn a_list_cannot_jump_to_the_end_of_its_range_or_come_from_the_future() {
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
    let period = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    let mut v = Verifier::new(Params::default(), 1);
    trust(&mut v, &issuer, &[period]);
    // From none, (0, 0): number up to 1 + issued_at / 60, so 2^64 - 1 is out of reach.
    assert_eq!(
        v.install_revocation_list(rl(&issuer, u64::MAX, NOW, vec![]), NOW),
        Err(InstallError::NotNewer)
    );
    assert_eq!(v.install_revocation_list(rl(&issuer, 5, NOW, vec![]), NOW), Ok(()));
    // One more per whole minute of issue time.
    assert_eq!(
        v.install_revocation_list(rl(&issuer, 8, NOW + 119, vec![]), NOW + 119),
        Err(InstallError::NotNewer)
    );
    assert_eq!(v.install_revocation_list(rl(&issuer, 7, NOW + 120, vec![]), NOW + 120), Ok(()));
    // Issued before the installed one.
    assert_eq!(
        v.install_revocation_list(rl(&issuer, 8, NOW + 119, vec![]), NOW + 200),
        Err(InstallError::NotNewer)
    );
    // Dated after t + X.
    assert_eq!(
        v.install_revocation_list(rl(&issuer, 8, NOW + 200, vec![]), NOW + 139),
        Err(InstallError::NotNewer)
    );
    assert_eq!(v.install_revocation_list(rl(&issuer, 8, NOW + 200, vec![]), NOW + 140), Ok(()));
    assert_eq!(v.revocation_number(), Some(8));
}

#[test]
fn ed25519_codes_need_a_fresh_revocation_list() {
    let s = Setup::new();
    let mut v = Verifier::new(Params::default(), 9);
    let period = KeyPeriod { key_id: 1, not_before: NOW - 86_400 * 30, not_after: NOW + 86_400 * 30 };
    trust(&mut v, &s.issuer, &[period]);
    let step = NOW / 60;
    // No list: stale, for a revoked-to-be credential and any other.
    assert_eq!(v.verify(&ed(&s.wallets[0], step, 0), NOW, 1).unwrap_err(), Error::RevocationStale);
    let header = ListHeader { key_id: 1, number: 1, issued_at: NOW - 10, next_update: NOW + 50, grace: 60 };
    v.install_revocation_list(s.issuer.revocation_list(header, vec![103]).unwrap(), NOW).unwrap();
    assert!(v.verify(&ed(&s.wallets[0], step, 0), NOW, 1).is_ok());
    // Fresh through next_update + grace = NOW + 110, exactly.
    let t = NOW + 110;
    assert!(v.verify(&ed(&s.wallets[0], t / 60, 1), t, 1).is_ok());
    let t = NOW + 111;
    assert_eq!(v.verify(&ed(&s.wallets[0], t / 60, 2), t, 1).unwrap_err(), Error::RevocationStale);
    // A listed serial is revoked, stale or not.
    assert_eq!(v.verify(&ed(&s.wallets[3], t / 60, 0), t, 1).unwrap_err(), Error::Revoked);
}

#[test]
fn a_trust_list_that_drops_the_lists_key_uninstalls_the_list_and_keeps_its_floor() {
    // spec: R-REVOKE-6
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
    let key_1 = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    let key_2 = KeyPeriod { key_id: 2, ..key_1 };
    let mut v = Verifier::new(Params::default(), 1);
    trust(&mut v, &issuer, &[key_1, key_2]);
    v.install_revocation_list(rl(&issuer, 3, NOW, vec![]), NOW).unwrap();
    // Key 1 still trusted: the list stays.
    trust(&mut v, &issuer, &[key_1]);
    assert!(!v.revocation_list_withdrawn());
    trust(&mut v, &issuer, &[key_2]);
    assert!(v.revocation_list_withdrawn());
    // Trusting key 1 again does not bring the list back; an install does.
    trust(&mut v, &issuer, &[key_1, key_2]);
    assert!(v.revocation_list_withdrawn());
    // The durable state keeps the list as the floor, uninstalled: a verifier
    // restored from it, with the same trust list, has no list in force.
    let state = v.state();
    assert_eq!(
        (state.revocation_list.as_ref().map(|l| l.number()), state.revocation_withdrawn),
        (Some(3), true)
    );
    let mut restored = Verifier::restore(Params::default(), 1, &state);
    assert!(restored.revocation_list_withdrawn(), "restored with the state");
    assert!(restored.store().revocation_withdrawn().unwrap());
    trust(&mut restored, &issuer, &[key_1, key_2]);
    assert!(restored.revocation_list_withdrawn());
    assert_eq!(restored.revocation_number(), None);
    assert_eq!(
        restored.install_revocation_list(rl(&issuer, 3, NOW, vec![]), NOW),
        Err(InstallError::NotNewer)
    );
    let by_2 = |number, issued_at| {
        let header = ListHeader { key_id: 2, number, issued_at, next_update: issued_at + 60, grace: 0 };
        issuer.revocation_list(header, vec![]).unwrap()
    };
    // The uninstalled list is the floor: its number, and its issue time.
    assert_eq!(v.install_revocation_list(by_2(3, NOW), NOW), Err(InstallError::NotNewer));
    assert_eq!(v.install_revocation_list(by_2(4, NOW - 60), NOW), Err(InstallError::NotNewer));
    assert!(v.revocation_list_withdrawn());
    assert_eq!(v.install_revocation_list(by_2(4, NOW), NOW), Ok(()));
    assert!(!v.revocation_list_withdrawn());
    assert_eq!(v.revocation_number(), Some(4));
}

#[test]
fn a_state_that_keeps_only_the_mark_of_an_uninstalled_list_restores_it_as_the_floor() {
    // spec: R-REVOKE-2, R-REVOKE-6: a database store keeps only the number
    // and issue time of a list the re-check uninstalled, and exports that.
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
    let key_1 = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    let floor = paycode::revocation::ListMark { number: 5, issued_at: NOW };
    let state = paycode::VerifierState {
        revocation_withdrawn: true,
        revocation_floor: Some(floor),
        ..paycode::VerifierState::default()
    };
    let mut v = Verifier::restore(Params::default(), 1, &state);
    assert!(v.revocation_list_withdrawn());
    assert_eq!(v.revocation_number(), None);
    assert_eq!(v.state(), state, "kept as it came");
    trust(&mut v, &issuer, &[key_1]);
    assert_eq!(v.install_revocation_list(rl(&issuer, 5, NOW, vec![]), NOW), Err(InstallError::NotNewer));
    assert_eq!(v.install_revocation_list(rl(&issuer, 6, NOW - 60, vec![]), NOW), Err(InstallError::NotNewer));
    assert_eq!(v.install_revocation_list(rl(&issuer, 6, NOW, vec![]), NOW), Ok(()));
    assert!(!v.revocation_list_withdrawn());
    let after = v.state();
    assert_eq!((after.revocation_list.map(|l| l.number()), after.revocation_floor), (Some(6), None));
    // A floor is only ever an uninstalled list's mark: one given without the
    // withdrawal is still the floor; one numbered 0 (no list has it) is none.
    let unflagged = paycode::VerifierState { revocation_withdrawn: false, ..state.clone() };
    let mut v = Verifier::restore(Params::default(), 1, &unflagged);
    assert!(v.revocation_list_withdrawn());
    assert_eq!(v.state(), state);
    trust(&mut v, &issuer, &[key_1]);
    assert_eq!(v.install_revocation_list(rl(&issuer, 5, NOW, vec![]), NOW), Err(InstallError::NotNewer));
    let zero = paycode::VerifierState {
        revocation_floor: Some(paycode::revocation::ListMark { number: 0, issued_at: NOW }),
        ..state
    };
    let mut v = Verifier::restore(Params::default(), 1, &zero);
    assert!(!v.revocation_list_withdrawn());
    assert_eq!(v.state(), paycode::VerifierState::default());
    trust(&mut v, &issuer, &[key_1]);
    assert_eq!(v.install_revocation_list(rl(&issuer, 1, NOW, vec![]), NOW), Ok(()));
}

#[test]
fn a_trust_list_installs_only_under_the_root_key_and_only_if_newer() {
    // spec: R-TRUST-3, R-TRUST-4
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[6; 32]));
    let key_1 = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    let list =
        |sequence, issued_at| issuer.trust_list(TrustHeader { sequence, issued_at }, &[key_1]).unwrap();
    let mut v = Verifier::new(Params::default(), 1);
    // No root key configured: nothing installs.
    assert_eq!(v.install_trust_list(list(1, NOW), NOW), Err(InstallError::NoRootKey));
    v.set_root_key(issuer.root_public_key().unwrap());
    // Signed by an issuer key, or by another issuer's root: refused.
    let entries = list(1, NOW).entries().to_vec();
    let by_key_1 =
        TrustList::issue(TrustHeader { sequence: 1, issued_at: NOW }, &issuer.key(1), entries).unwrap();
    assert_eq!(v.install_trust_list(by_key_1, NOW), Err(InstallError::BadSignature));
    let other = Issuer::from_seed(&Seed::from_bytes(&[7; 32]));
    let foreign = other.trust_list(TrustHeader { sequence: 1, issued_at: NOW }, &[key_1]).unwrap();
    assert_eq!(v.install_trust_list(foreign, NOW), Err(InstallError::BadSignature));
    assert!(v.trust_list().is_none());
    // Dated after t + X: refused until that time comes.
    assert_eq!(v.install_trust_list(list(5, NOW + 61), NOW), Err(InstallError::NotNewer));
    assert_eq!(v.install_trust_list(list(5, NOW + 61), NOW + 1), Ok(()));
    // Equal, older, or issued before: refused.
    assert_eq!(v.install_trust_list(list(5, NOW + 61), NOW + 100), Err(InstallError::NotNewer));
    assert_eq!(v.install_trust_list(list(4, NOW + 100), NOW + 100), Err(InstallError::NotNewer));
    assert_eq!(v.install_trust_list(list(6, NOW + 60), NOW + 100), Err(InstallError::NotNewer));
    // At most one more per whole minute of issue time: 2^64 - 1 is out of reach.
    assert_eq!(v.install_trust_list(list(u64::MAX, NOW + 61), NOW + 100), Err(InstallError::NotNewer));
    assert_eq!(v.install_trust_list(list(8, NOW + 180), NOW + 180), Err(InstallError::NotNewer));
    assert_eq!(v.install_trust_list(list(7, NOW + 180), NOW + 180), Ok(()));
    assert_eq!(v.trust_list().map(TrustList::sequence), Some(7));
}
