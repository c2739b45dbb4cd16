//! One case of the `challenge` fuzz target, decoded from fuzz input: a
//! payment in challenge mode or any other at a verifier of the fixture
//! (`paycode_test_support::fixture`). `tests/fuzz_seeds.rs` includes this
//! file too, to write the target's seeds and to check that each seed gives
//! the verdict its name says.
//!
//! Layout (every field big-endian; missing bytes read as zero, so that the
//! zero fields describe a genuine challenge code for a challenge of this
//! terminal, for the call's amount, issued at the call's time):
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 1 | flags: bit 0 challenge text from `raw`, bit 1 code text from `raw`, bit 2 ed25519 wallet, bits 3-4 mode of the code the wallet makes (one-way, capped, challenge, challenge for another nonce), bit 5 no challenge in the call, bit 6 verifier restarted after a loss of state, bit 7 a code was paid for the challenge already |
//! | 1 | 1 | more flags: bit 0 numeric form of a one-way hmac code |
//! | 2 | 8 | time: signed offset from [`NOW`] |
//! | 10 | 8 | amount of the call |
//! | 18 | 4 | the challenge's `terminal_id`, XOR the verifier's |
//! | 22 | 8 | the challenge's `amount`, XOR the call's |
//! | 30 | 8 | the challenge's `issued_at`: signed offset from the time |
//! | 38 | 16 | the challenge's nonce |
//! | 54 | 4 | the cap of a capped code, XOR the low 32 bits of the amount |
//! | 58 | 2 | the code's step: signed offset from the step of the time |
//! | 60 | 4 | the code's counter |
//! | 64 | 2 | the position of a byte of the code's text to change |
//! | 66 | 1 | what to XOR that byte with (0: nothing) |
//! | 67 | .. | `raw`: the challenge text, the code text, or both split at the first `\n` |

// The encoder and the constants are for the seeds, which the fuzz target does not write.
#![allow(dead_code)]

use paycode::{Challenge, Code, Payment, Purpose, Verifier};
use paycode_test_support::fixture::{self, NOW};

/// Flag: the challenge's text is `raw` (or its part before the first `\n`).
pub const RAW_CHALLENGE: u8 = 1;
/// Flag: the code's text is `raw` (or its part after the first `\n`).
pub const RAW_CODE: u8 = 1 << 1;
/// Flag: the ed25519 wallet makes the code, else the hmac wallet.
pub const ED25519: u8 = 1 << 2;
/// Mode (bits 3-4): a one-way code.
pub const ONE_WAY: u8 = 0;
/// Mode: a capped code.
pub const CAPPED: u8 = 1 << 3;
/// Mode: a challenge code for the case's challenge.
pub const CHALLENGE: u8 = 2 << 3;
/// Mode: a challenge code for another challenge: the case's with the first
/// bit of its nonce flipped.
pub const OTHER_CHALLENGE: u8 = 3 << 3;
/// Flag: the call carries no challenge.
pub const NO_CHALLENGE: u8 = 1 << 5;
/// Flag: the verifier restarted after a loss of state, at the case's time.
pub const LOST: u8 = 1 << 6;
/// Flag: before the case, an ed25519 challenge code was paid for the challenge.
pub const USED: u8 = 1 << 7;
/// More flags: the numeric form of a one-way hmac code.
pub const NUMERIC: u8 = 1;

/// Length of the fixed header.
pub const HEADER_LEN: usize = 67;
/// The counter of the code paid before the case with [`USED`].
pub const USED_COUNTER: u32 = 4_000_000;

/// A case of the `challenge` target (see the layout above).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChallengeCase {
    pub flags: u8,
    pub more: u8,
    pub time: i64,
    pub amount: u64,
    pub terminal_xor: u32,
    pub amount_xor: u64,
    pub issued: i64,
    pub nonce: [u8; 16],
    pub cap_xor: u32,
    pub step: i16,
    pub counter: u32,
    pub flip_at: u16,
    pub flip: u8,
    pub raw: Vec<u8>,
}

impl ChallengeCase {
    /// Decodes any bytes into a case.
    pub fn from_bytes(data: &[u8]) -> ChallengeCase {
        let mut r = Bytes(data);
        ChallengeCase {
            flags: r.u8(),
            more: r.u8(),
            time: r.u64() as i64,
            amount: r.u64(),
            terminal_xor: r.u32(),
            amount_xor: r.u64(),
            issued: r.u64() as i64,
            nonce: r.take(),
            cap_xor: r.u32(),
            step: u16::from_be_bytes(r.take()) as i16,
            counter: r.u32(),
            flip_at: u16::from_be_bytes(r.take()),
            flip: r.u8(),
            raw: r.0.to_vec(),
        }
    }

    /// The fuzz input of this case.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.flags, self.more];
        out.extend_from_slice(&self.time.to_be_bytes());
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.extend_from_slice(&self.terminal_xor.to_be_bytes());
        out.extend_from_slice(&self.amount_xor.to_be_bytes());
        out.extend_from_slice(&self.issued.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.cap_xor.to_be_bytes());
        out.extend_from_slice(&self.step.to_be_bytes());
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(&self.flip_at.to_be_bytes());
        out.push(self.flip);
        debug_assert_eq!(out.len(), HEADER_LEN);
        out.extend_from_slice(&self.raw);
        out
    }

    /// The verifier's time.
    pub fn now(&self) -> u64 {
        NOW.wrapping_add_signed(self.time)
    }

    /// The challenge the fields describe.
    pub fn challenge(&self) -> Challenge {
        let issued_at = self.now().wrapping_add_signed(self.issued);
        Challenge::new(
            fixture::TERMINAL ^ self.terminal_xor,
            self.amount ^ self.amount_xor,
            issued_at,
            self.nonce,
        )
    }

    /// The challenge text of the call, if it has one.
    pub fn challenge_text(&self) -> Option<String> {
        if self.flags & NO_CHALLENGE != 0 {
            return None;
        }
        if self.flags & RAW_CHALLENGE != 0 {
            let raw = match self.flags & RAW_CODE {
                0 => &self.raw[..],
                _ => self.raw.split(|&b| b == b'\n').next().unwrap_or_default(),
            };
            return Some(String::from_utf8_lossy(raw).into_owned());
        }
        Some(self.challenge().to_qr_text())
    }

    /// The cap of a capped code the wallet makes.
    pub fn cap(&self) -> u32 {
        (self.amount as u32) ^ self.cap_xor
    }

    /// The code's text: `raw`, or what the fixture's wallet makes, with one
    /// byte changed if `flip` says so.
    pub fn code_text(&self) -> String {
        let mut text = if self.flags & RAW_CODE != 0 {
            let raw = match self.flags & RAW_CHALLENGE {
                0 => &self.raw[..],
                _ => self.raw.splitn(2, |&b| b == b'\n').nth(1).unwrap_or_default(),
            };
            raw.to_vec()
        } else {
            self.made().into_bytes()
        };
        if self.flip != 0 && !text.is_empty() {
            let i = usize::from(self.flip_at) % text.len();
            text[i] ^= self.flip;
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    /// The text of the code the fixture's wallet makes for the fields.
    fn made(&self) -> String {
        let step =
            fixture::params().step_at(self.now()).unwrap_or(0).wrapping_add_signed(i64::from(self.step));
        let challenge = self.challenge();
        let mut other = challenge.encode();
        other[21] ^= 0x80;
        let other = Challenge::decode(&other).unwrap_or(challenge);
        let purpose = match self.flags & (3 << 3) {
            ONE_WAY => Purpose::OneWay,
            CAPPED => Purpose::Capped(self.cap()),
            CHALLENGE => Purpose::Challenge(&challenge),
            _ => Purpose::Challenge(&other),
        };
        if self.flags & ED25519 != 0 {
            return fixture::ed25519_wallet(0).code_as(step, self.counter, purpose).to_qr_text();
        }
        let wallet = fixture::hmac_wallet(0);
        let code = wallet.code_as(step, self.counter, purpose);
        match wallet.numeric(&code) {
            Ok(n) if self.more & NUMERIC != 0 => n.to_digits(),
            _ => code.to_qr_text(),
        }
    }

    /// The fixture's verifier at the case's time: new, or restarted after a
    /// loss of state (quarantine), with a code paid for the challenge first
    /// if the case says so.
    pub fn verifier(&self) -> Verifier {
        let v = if self.flags & LOST != 0 {
            match Verifier::after_state_loss(fixture::params(), fixture::TERMINAL, self.now()) {
                Ok(v) => fixture::configure(v),
                // T0 = 0: no time is before the epoch.
                Err(e) => panic!("after_state_loss: {e}"),
            }
        } else {
            fixture::verifier()
        };
        if self.flags & USED != 0 {
            let challenge = self.challenge();
            let step = fixture::params().step_at(self.now()).unwrap_or(0);
            let code = fixture::ed25519_wallet(0).code_as(step, USED_COUNTER, Purpose::Challenge(&challenge));
            let payment = Payment { amount: challenge.amount(), challenge: Some(&challenge) };
            // Whatever its verdict: the case decides what it needs.
            let _ = v.verify_payment(&Code::Ed25519(Box::new(code)), self.now(), payment);
        }
        v
    }
}

/// A reader that yields zeros once the input runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        out[..n].copy_from_slice(head);
        self.0 = rest;
        out
    }

    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }

    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take())
    }
}
