//! Acceptance log records and the reconciliation of several terminals' logs
//! (spec §10).

use std::collections::BTreeMap;

use crate::codec::{Reader, Writer};
use crate::errors::Error;
use crate::profile::{Profile, VERSION};

/// Encoded length of one log record.
pub const RECORD_LEN: usize = 44;

/// One accepted code, as a terminal logs it (spec: R-LOG-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct LogRecord {
    /// The code's profile.
    pub profile: Profile,
    /// Issuer key id of the credential (0 for hmac).
    pub key_id: u16,
    /// The replay identity: hmac account id or ed25519 credential serial.
    pub subject: u64,
    /// The code's counter.
    pub counter: u32,
    /// The code's step.
    pub step: u64,
    /// The verifier's time of acceptance (unix seconds).
    pub accepted_at: u64,
    /// The amount accepted (0 for hmac).
    pub amount: u64,
    /// The accepting terminal.
    pub terminal_id: u32,
}

impl LogRecord {
    /// The 44-byte encoding.
    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let mut w = Writer::<RECORD_LEN>::new();
        w.u8(VERSION);
        w.u8(self.profile.byte());
        w.u16(self.key_id);
        w.u64(self.subject);
        w.u32(self.counter);
        w.u64(self.step);
        w.u64(self.accepted_at);
        w.u64(self.amount);
        w.u32(self.terminal_id);
        w.finish()
    }

    /// Decodes one record.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] on a wrong length, version or profile byte, or an
    /// hmac record whose key id or amount is not 0 (spec: R-LOG-2).
    pub fn decode(bytes: &[u8]) -> Result<LogRecord, Error> {
        let bytes: &[u8; RECORD_LEN] = bytes.try_into().map_err(|_| Error::Malformed)?;
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(Error::Malformed);
        }
        let profile = Profile::from_byte(r.u8()?).ok_or(Error::Malformed)?;
        let record = LogRecord {
            profile,
            key_id: r.u16()?,
            subject: r.u64()?,
            counter: r.u32()?,
            step: r.u64()?,
            accepted_at: r.u64()?,
            amount: r.u64()?,
            terminal_id: r.u32()?,
        };
        if profile == Profile::Hmac && (record.key_id != 0 || record.amount != 0) {
            return Err(Error::Malformed);
        }
        Ok(record)
    }

    /// Decodes a log: records back to back.
    ///
    /// # Errors
    ///
    /// As [`LogRecord::decode`]; a length that is not a multiple of 44 is [`Error::Malformed`].
    pub fn decode_log(bytes: &[u8]) -> Result<Vec<LogRecord>, Error> {
        if !bytes.len().is_multiple_of(RECORD_LEN) {
            return Err(Error::Malformed);
        }
        bytes.chunks(RECORD_LEN).map(LogRecord::decode).collect()
    }
}

/// A (profile, subject, counter) accepted more than once across the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Duplicate {
    /// The profile.
    pub profile: Profile,
    /// Account id or credential serial.
    pub subject: u64,
    /// The counter accepted more than once.
    pub counter: u32,
    /// Every record of it, sorted.
    pub records: Vec<LogRecord>,
}

/// Why reconciliation names an identity (spec: R-LOG-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Reason {
    /// A counter accepted more than once.
    Double,
    /// A lower counter with a step more than the tolerance above a higher
    /// counter's: a code made in advance or a clone's.
    Order,
    /// Two consecutive counters more than [`MAX_COUNTER_GAP`] apart: a clone
    /// that started far ahead of the wallet it copies.
    Jump,
    /// An ed25519 serial whose amounts across all logs add up to more than
    /// its credential's cumulative limit, the payer's offline credit.
    Overspend,
}

/// The largest gap between two consecutive counters of one identity in the
/// logs that reconciliation does not flag, `J` (spec: R-LOG-2).
pub const MAX_COUNTER_GAP: u32 = 65_536;

impl Reason {
    /// The reason's name in reports: `double`, `order`, `jump`, `overspend`.
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Double => "double",
            Reason::Order => "order",
            Reason::Jump => "jump",
            Reason::Overspend => "overspend",
        }
    }
}

/// An identity reconciliation names, with every reason found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Flagged {
    /// The profile.
    pub profile: Profile,
    /// Account id or credential serial.
    pub subject: u64,
    /// The reasons, in the order of [`Reason`].
    pub reasons: Vec<Reason>,
}

/// What reconciliation checks the records against (spec: R-LOG-2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// The order check's tolerance `D`, in steps.
    pub tolerance: u64,
    /// The cumulative limit of each ed25519 serial's credential that the
    /// issuer gives, by serial; a serial not listed is not checked.
    pub limits: BTreeMap<u64, u64>,
}

impl Policy {
    /// The order check with tolerance `tolerance` and no limits.
    pub const fn with_tolerance(tolerance: u64) -> Policy {
        Policy { tolerance, limits: BTreeMap::new() }
    }
}

/// The result of reconciling logs (spec: R-LOG-2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Reconciliation {
    /// Records read.
    pub records: usize,
    /// Every (profile, subject, counter) accepted twice or more.
    pub duplicates: Vec<Duplicate>,
    /// Every identity with a reason, by profile and subject.
    pub flagged: Vec<Flagged>,
    /// Credential serials to put on the next revocation list (spec: R-LOG-3).
    pub revoke_serials: Vec<u64>,
    /// hmac accounts flagged for any reason (to disable at the issuer).
    pub flagged_accounts: Vec<u64>,
    /// Total accepted amount per ed25519 serial, across all logs.
    pub totals: Vec<(u64, u64)>,
}

/// Reconciles records from any number of logs (spec: R-LOG-2, R-LOG-3):
/// finds each (profile, subject, counter) accepted more than once, each
/// identity with a lower counter whose step is more than `policy.tolerance`
/// steps above a higher counter's step, each identity with two consecutive
/// counters more than [`MAX_COUNTER_GAP`] apart, and each serial whose total
/// is above its limit in `policy.limits`.
///
/// ```
/// use paycode::log::{reconcile, LogRecord, Policy, Reason};
/// use paycode::Profile;
/// let r = LogRecord { profile: Profile::Ed25519, key_id: 1, subject: 7, counter: 3, step: 1,
///     accepted_at: 60, amount: 100, terminal_id: 1 };
/// let again = LogRecord { terminal_id: 2, ..r };
/// let rec = reconcile([r, again], &Policy::with_tolerance(3));
/// assert_eq!(rec.revoke_serials, [7]);
/// // Counter 1 with step 10 after counter 3 with step 1: out of order by more than 3 steps.
/// let ahead = LogRecord { counter: 1, step: 10, ..r };
/// assert_eq!(reconcile([r, ahead], &Policy::with_tolerance(3)).flagged[0].reasons, [Reason::Order]);
/// assert!(reconcile([r, ahead], &Policy::with_tolerance(9)).flagged.is_empty());
/// // 100 + 100 is more than a limit of 150.
/// let limited = Policy { limits: [(7, 150)].into(), ..Policy::with_tolerance(3) };
/// let other = LogRecord { counter: 4, step: 2, ..r };
/// assert_eq!(reconcile([r, other], &limited).flagged[0].reasons, [Reason::Overspend]);
/// ```
pub fn reconcile(records: impl IntoIterator<Item = LogRecord>, policy: &Policy) -> Reconciliation {
    let tolerance = policy.tolerance;
    let mut groups: BTreeMap<(Profile, u64, u32), Vec<LogRecord>> = BTreeMap::new();
    let mut totals: BTreeMap<u64, u64> = BTreeMap::new();
    // The exact sums, for the limits: a u64 total saturates.
    let mut exact: BTreeMap<u64, u128> = BTreeMap::new();
    let mut count = 0usize;
    for r in records {
        count += 1;
        if r.profile == Profile::Ed25519 {
            let t = totals.entry(r.subject).or_insert(0);
            *t = t.saturating_add(r.amount);
            *exact.entry(r.subject).or_insert(0) += u128::from(r.amount);
        }
        groups.entry((r.profile, r.subject, r.counter)).or_default().push(r);
    }
    let mut out =
        Reconciliation { records: count, totals: totals.into_iter().collect(), ..Default::default() };
    let mut reasons: BTreeMap<(Profile, u64), Vec<Reason>> = BTreeMap::new();
    // The groups come by identity, then counter: per identity, the highest
    // step of its lower counters so far, and the counter before.
    let mut highest_below: Option<((Profile, u64), u64)> = None;
    let mut previous: Option<((Profile, u64), u32)> = None;
    for ((profile, subject, counter), mut records) in groups {
        let id = (profile, subject);
        if previous.is_some_and(|(of, c)| of == id && counter - c > MAX_COUNTER_GAP) {
            let r = reasons.entry(id).or_default();
            if !r.contains(&Reason::Jump) {
                r.push(Reason::Jump);
            }
        }
        previous = Some((id, counter));
        let below = highest_below.filter(|(of, _)| *of == id).map(|(_, step)| step);
        if let Some(high) = below
            && records.iter().any(|r| high > r.step.saturating_add(tolerance))
        {
            let r = reasons.entry(id).or_default();
            if !r.contains(&Reason::Order) {
                r.push(Reason::Order);
            }
        }
        let top = records.iter().map(|r| r.step).max().unwrap_or(0);
        highest_below = Some((id, below.map_or(top, |b| b.max(top))));
        if records.len() < 2 {
            continue;
        }
        records.sort();
        let r = reasons.entry(id).or_default();
        if !r.contains(&Reason::Double) {
            r.push(Reason::Double);
        }
        out.duplicates.push(Duplicate { profile, subject, counter, records });
    }
    for (serial, total) in exact {
        if policy.limits.get(&serial).is_some_and(|&limit| total > u128::from(limit)) {
            reasons.entry((Profile::Ed25519, serial)).or_default().push(Reason::Overspend);
        }
    }
    for ((profile, subject), mut why) in reasons {
        why.sort_unstable();
        match profile {
            Profile::Ed25519 => out.revoke_serials.push(subject),
            Profile::Hmac => out.flagged_accounts.push(subject),
        }
        out.flagged.push(Flagged { profile, subject, reasons: why });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip_and_duplicates() {
        let r = LogRecord {
            profile: Profile::Ed25519,
            key_id: 2,
            subject: 1001,
            counter: 3,
            step: 30_000_000,
            accepted_at: 1_800_000_000,
            amount: 250,
            terminal_id: 9,
        };
        let bytes = r.encode();
        assert_eq!(LogRecord::decode(&bytes), Ok(r));
        let mut log = bytes.to_vec();
        let other = LogRecord { counter: 4, ..r };
        log.extend_from_slice(&other.encode());
        assert_eq!(LogRecord::decode_log(&log).unwrap(), vec![r, other]);
        assert_eq!(LogRecord::decode_log(&log[1..]), Err(Error::Malformed));
        let mut v2 = bytes;
        v2[0] = 2;
        assert_eq!(LogRecord::decode(&v2), Err(Error::Malformed));
        let rec = reconcile([r, other, LogRecord { terminal_id: 10, ..r }], &Policy::with_tolerance(3));
        assert_eq!(rec.records, 3);
        assert_eq!(rec.duplicates.len(), 1);
        assert_eq!(rec.duplicates[0].counter, 3);
        assert_eq!(rec.revoke_serials, [1001]);
        assert_eq!(rec.totals, [(1001, 750)]);
        let hm = LogRecord { profile: Profile::Hmac, key_id: 0, amount: 0, ..r };
        let rec = reconcile([hm, hm, r], &Policy::with_tolerance(3));
        assert_eq!(rec.flagged_accounts, [1001]);
        assert!(rec.revoke_serials.is_empty());
        assert_eq!(LogRecord::decode(&hm.encode()), Ok(hm));
        for bad in [LogRecord { key_id: 2, ..hm }, LogRecord { amount: 250, ..hm }] {
            assert_eq!(LogRecord::decode(&bad.encode()), Err(Error::Malformed));
        }
    }

    #[test]
    fn out_of_order_needs_more_than_the_tolerance() {
        // spec: R-LOG-2 step 4: a lower counter with a step more than D above a higher counter's.
        let at = |counter, step| LogRecord {
            profile: Profile::Ed25519,
            key_id: 1,
            subject: 9,
            counter,
            step,
            accepted_at: 0,
            amount: 1,
            terminal_id: 1,
        };
        let flagged =
            |records: &[LogRecord], d| reconcile(records.iter().copied(), &Policy::with_tolerance(d)).flagged;
        // Counter 2 at step 100, counter 5 at step 97: 100 > 97 + 2, not > 97 + 3.
        assert_eq!(flagged(&[at(5, 97), at(2, 100)], 2)[0].reasons, [Reason::Order]);
        assert!(flagged(&[at(5, 97), at(2, 100)], 3).is_empty());
        // Steps that rise with the counters, or one counter in two steps, are in order.
        assert!(flagged(&[at(1, 1), at(2, 50), at(3, 50), at(9, 51)], 0).is_empty());
        assert_eq!(flagged(&[at(4, 10), at(4, 90)], 0)[0].reasons, [Reason::Double]);
        // The highest step of every lower counter counts, not only the next one.
        // (Counter 6 at step 84 is within 5 of counter 5's step 86, not of counter 1's 90.)
        assert_eq!(flagged(&[at(1, 90), at(5, 86), at(6, 84)], 5)[0].reasons, [Reason::Order]);
        assert!(flagged(&[at(1, 89), at(5, 86), at(6, 84)], 5).is_empty());
        // Both reasons on one identity; another identity is apart.
        let other = LogRecord { subject: 10, ..at(1, 1000) };
        let rec = reconcile([at(3, 5), at(3, 5), at(1, 50), other], &Policy::with_tolerance(3));
        assert_eq!(rec.flagged.len(), 1);
        assert_eq!(rec.flagged[0].reasons, [Reason::Double, Reason::Order]);
        assert_eq!(rec.revoke_serials, [9]);
        // Consecutive counters J apart are not flagged; J + 1 apart are; a gap
        // across another identity's counters is not a gap.
        let j = MAX_COUNTER_GAP;
        assert!(flagged(&[at(3, 1), at(3 + j, 2)], 3).is_empty());
        assert_eq!(flagged(&[at(3, 1), at(4 + j, 2)], 3)[0].reasons, [Reason::Jump]);
        assert!(flagged(&[at(3, 1), at(4, 1), at(4 + j, 2)], 3).is_empty());
        let apart = LogRecord { subject: 8, ..at(4 + j, 2) };
        assert!(flagged(&[at(3, 1), apart], 3).is_empty());
        assert_eq!(flagged(&[at(0, 1), at(u32::MAX, 2)], 3)[0].reasons, [Reason::Jump]);
        // Overspend: the exact total of every log above the serial's limit, not at it.
        let limits = |limit| Policy { limits: [(9, limit)].into(), ..Policy::with_tolerance(3) };
        let pay = |counter, amount| LogRecord { amount, ..at(counter, 1) };
        assert!(reconcile([pay(1, 600), pay(2, 400)], &limits(1000)).flagged.is_empty());
        assert_eq!(
            reconcile([pay(1, 600), pay(2, 401)], &limits(1000)).flagged[0].reasons,
            [Reason::Overspend]
        );
        let huge = reconcile([pay(1, u64::MAX), pay(2, 1)], &limits(u64::MAX));
        assert_eq!(huge.flagged[0].reasons, [Reason::Overspend], "the sum is exact");
        assert!(reconcile([pay(1, 600), pay(2, 401)], &Policy::with_tolerance(3)).flagged.is_empty());
        // A step near the top of u64 plus the tolerance does not wrap.
        assert!(flagged(&[at(2, u64::MAX - 1), at(1, u64::MAX)], 5).is_empty());
        assert!(flagged(&[at(2, 0), at(1, u64::MAX)], u64::MAX).is_empty());
        assert_eq!(flagged(&[at(2, 0), at(1, u64::MAX)], u64::MAX - 1)[0].reasons, [Reason::Order]);
    }
}
