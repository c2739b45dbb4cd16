//! How the protocol's values sit in SQL columns, the same for both databases.
//!
//! SQL integers are signed 64-bit. A `u64` (a step, a time, an amount, a
//! bitmap) is stored as the `i64` with the same 64 bits, so that every value
//! below 2^63 — every realistic one — reads as itself in a SQL shell, and
//! the values above it survive unchanged. Where SQL compares two such values
//! it uses [`u64_below`], which orders them as `u64`s.

use paycode::replay::Snapshot;
use paycode::revocation::ListMark;
use paycode::store::{StoreError, StoreErrorKind};
use paycode::{Profile, RevocationList, UsedChallenge, VerifierState};

use crate::Contents;

/// The column value of a `u64`.
pub(crate) const fn to_sql(x: u64) -> i64 {
    i64::from_ne_bytes(x.to_ne_bytes())
}

/// The `u64` of a column value.
pub(crate) const fn from_sql(x: i64) -> u64 {
    u64::from_ne_bytes(x.to_ne_bytes())
}

/// A `u32` column (a counter, a count of failures) read back.
pub(crate) fn u32_from_sql(x: i64, column: &str) -> Result<u32, StoreError> {
    u32::try_from(x).map_err(|_| corrupt(format!("{column} = {x} is not a u32")))
}

/// The stored number of a profile: its byte on the wire (spec §4.1).
pub(crate) fn profile_to_sql(p: Profile) -> i16 {
    i16::from(p.byte())
}

/// The profile of a stored number.
pub(crate) fn profile_from_sql(x: i16) -> Result<Profile, StoreError> {
    u8::try_from(x)
        .ok()
        .and_then(Profile::from_byte)
        .ok_or_else(|| corrupt(format!("profile = {x} is not a profile")))
}

/// SQL that is true when the column `a` is below the parameter `b` as `u64`s,
/// both stored by [`to_sql`]: a negative `i64` is a `u64` at or above 2^63.
pub(crate) fn u64_below(a: &str, b: &str) -> String {
    format!("((({a} < 0) = ({b} < 0) AND {a} < {b}) OR ({a} >= 0 AND {b} < 0))")
}

/// The mark of each window that has none: its highest counter with its top
/// step (see the migration to version 4); the same SQL in both stores.
pub(crate) const MARKS_OF_WINDOWS: &str =
    "INSERT INTO marks (terminal, profile, subject, counter, step, until)
     SELECT w.terminal, w.profile, w.subject, w.high, w.top,
            (SELECT l.not_after FROM ledger l
             WHERE w.profile = 2 AND l.terminal = w.terminal AND l.serial = w.subject)
     FROM windows w
     WHERE NOT EXISTS (SELECT 1 FROM marks m
                       WHERE m.terminal = w.terminal AND m.profile = w.profile AND m.subject = w.subject)";

/// A store whose contents this version cannot have written.
pub(crate) fn corrupt(what: String) -> StoreError {
    StoreError::new(StoreErrorKind::Corrupt, what)
}

/// The contents read from a store's tables, sorted as the core's snapshots
/// are: by identity, serial or nonce as `u64`s and bytes, whatever order
/// the database returned them in. The revocation list is the one in force,
/// or the mark of one the re-check uninstalled (the list itself is not kept).
pub(crate) fn contents(
    (mut hmac, mut ed25519): (Snapshot, Snapshot),
    (revocation_list, revocation_floor): (Option<RevocationList>, Option<ListMark>),
    mut challenges: Vec<UsedChallenge>,
    mut sources: Vec<(u32, u64)>,
) -> Contents {
    for snap in [&mut hmac, &mut ed25519] {
        snap.windows.sort_unstable_by_key(|w| w.0);
        snap.spent.sort_unstable_by_key(|s| s.0);
        snap.marks.sort_unstable_by_key(|m| m.0);
        snap.budgets.sort_unstable_by_key(|b| b.0);
    }
    sources.sort_unstable();
    challenges.sort_unstable_by_key(|c| c.nonce);
    Contents {
        state: VerifierState {
            hmac,
            ed25519,
            revocation_list,
            revocation_withdrawn: revocation_floor.is_some(),
            revocation_floor,
            challenges,
            sources,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_values_round_trip_through_sql_integers() {
        for x in [0, 1, (1 << 63) - 1, 1 << 63, u64::MAX] {
            assert_eq!(from_sql(to_sql(x)), x);
        }
        assert_eq!(to_sql(5), 5);
        assert_eq!(to_sql(u64::MAX), -1);
    }
}
