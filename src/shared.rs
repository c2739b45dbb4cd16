//! A value that every verification reads and few calls write (the handle
//! indexes kept, the revocation list in force): one copy per slot, each
//! behind its own lock on its own cache line. A thread always reads the
//! copy of its own slot, so two threads verifying at once take different
//! locks: a reader-writer lock's read still writes its lock word, and
//! threads sharing one lock would pass its cache line back and forth on
//! every verification. A write takes every slot's lock, in order, before
//! it changes anything, so that no reader sees a mix of old and new copies.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LockResult, PoisonError, RwLock, RwLockReadGuard};

/// Copies kept: enough that a verifier's threads seldom share one.
const SLOTS: usize = 16;

/// A lock on a cache-line pair of its own (processors fetch lines in pairs).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Slot<T>(RwLock<T>);

/// A value read through a per-thread copy; see the module's documentation.
/// `T`'s clone should be cheap (reference-counted contents), since a write
/// clones the new value into every slot.
#[derive(Debug)]
pub(crate) struct ReadMostly<T> {
    slots: Box<[Slot<T>; SLOTS]>,
}

/// The slot of the calling thread: threads take slots in turn as they
/// first read.
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        // `SLOTS` until the thread first reads: a constant initial value
        // makes every later read a plain load.
        static SLOT: Cell<usize> = const { Cell::new(SLOTS) };
    }
    SLOT.with(|s| match s.get() {
        SLOTS => {
            let slot = NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS;
            s.set(slot);
            slot
        }
        slot => slot,
    })
}

impl<T: Clone> ReadMostly<T> {
    /// `value` in every slot.
    pub(crate) fn new(value: T) -> ReadMostly<T> {
        ReadMostly { slots: Box::new(std::array::from_fn(|_| Slot(RwLock::new(value.clone())))) }
    }

    /// The calling thread's copy, read-locked.
    pub(crate) fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        // `thread_slot` is below `SLOTS`; the first slot stands in for an
        // impossible miss.
        let [first, ..] = &*self.slots;
        self.slots.get(thread_slot()).unwrap_or(first).0.read()
    }

    /// Runs `f` on the value with every slot write-locked, then gives every
    /// slot a copy of the result; no reader runs in between. Fails, having
    /// changed nothing, if a lock is poisoned.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> Result<R, PoisonError<()>> {
        let mut guards = Vec::with_capacity(self.slots.len());
        for s in self.slots.iter() {
            guards.push(s.0.write().map_err(|_| PoisonError::new(()))?);
        }
        let (first, rest) = guards.split_first_mut().ok_or_else(|| PoisonError::new(()))?;
        let answer = f(first);
        for g in rest {
            **g = (**first).clone();
        }
        Ok(answer)
    }

    /// [`ReadMostly::update`] through exclusive access, which takes no lock
    /// (a poisoned lock's value is used as it is). The other copies are
    /// dropped before `f` runs, so that `f` holds the only references to
    /// what they shared and can change it in place.
    pub(crate) fn update_mut(&mut self, f: impl FnOnce(&mut T))
    where
        T: Default,
    {
        let mut values = self.slots.iter_mut().map(|s| s.0.get_mut().unwrap_or_else(PoisonError::into_inner));
        let Some(first) = values.next() else { return };
        let rest: Vec<&mut T> = values
            .map(|v| {
                *v = T::default();
                v
            })
            .collect();
        f(first);
        for v in rest {
            *v = first.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_reads_the_last_update() {
        let shared = ReadMostly::new(1u64);
        assert_eq!(shared.update(|v| std::mem::replace(v, 7)).unwrap(), 1);
        // More threads than slots, so that every slot is read.
        let seen: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2 * SLOTS).map(|_| s.spawn(|| *shared.read().unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(seen.iter().all(|&v| v == 7), "{seen:?}");
    }

    #[test]
    fn update_mut_changes_every_copy_and_holds_the_only_reference() {
        let mut shared = ReadMostly::new(Some(std::sync::Arc::new(3u64)));
        shared.update_mut(|v| {
            let arc = v.as_mut().unwrap();
            // The other slots' copies were dropped: the value is changed in place.
            assert_eq!(std::sync::Arc::strong_count(arc), 1);
            *std::sync::Arc::make_mut(arc) = 4;
        });
        for s in shared.slots.iter() {
            assert_eq!(s.0.read().unwrap().as_deref(), Some(&4));
        }
    }
}
