//! The threads that run verifications: plain threads outside the async
//! runtime, since a store may block (a database round trip, a file lock)
//! and may refuse to be called from a runtime's thread. Their number bounds
//! the verifications in progress at once; the rest wait in the queue.
//!
//! A thread that takes an item from the queue also takes the items queued
//! behind it, up to a maximum, and hands them over together: under load,
//! the verifications that wait meanwhile go to the store as one
//! transaction (a group commit); with no queue, an item goes alone and
//! waits for nothing.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// What the queue holds: a closure, or an item of the batches.
enum Job<T> {
    Run(Box<dyn FnOnce() + Send>),
    Item(T),
}

/// A fixed set of threads taking jobs from one queue; items of type `T` are
/// handed to the batch function, up to `max` at a time.
pub(crate) struct Workers<T> {
    queue: Mutex<Option<Sender<Job<T>>>>,
}

impl<T> core::fmt::Debug for Workers<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Workers").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Workers<T> {
    /// Starts `n` threads (at least one); `batch` gets up to `max` items (at least one) at a time.
    pub(crate) fn new(n: usize, max: usize, batch: fn(Vec<T>)) -> std::io::Result<Workers<T>> {
        let (tx, rx) = channel::<Job<T>>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n.max(1) {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("paycode-verify-{i}"))
                .spawn(move || work(&rx, max.max(1), batch))?;
        }
        Ok(Workers { queue: Mutex::new(Some(tx)) })
    }

    /// Runs `f` on a worker; `None` if the workers are gone.
    pub(crate) async fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        let job = Job::Run(Box::new(move || {
            let _ = tx.send(f());
        }));
        self.send(job)?;
        rx.await.ok()
    }

    /// Queues `item` for the batch function; `None` if the workers are gone.
    pub(crate) fn submit(&self, item: T) -> Option<()> {
        self.send(Job::Item(item))
    }

    fn send(&self, job: Job<T>) -> Option<()> {
        self.queue.lock().ok()?.as_ref()?.send(job).ok()
    }
}

impl<T> Drop for Workers<T> {
    fn drop(&mut self) {
        // Closing the queue ends every thread once it is idle.
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
    }
}

fn work<T>(rx: &Mutex<Receiver<Job<T>>>, max: usize, batch: fn(Vec<T>)) {
    loop {
        let mut items = Vec::new();
        let mut closure = None;
        {
            let Ok(rx) = rx.lock() else { return };
            match rx.recv() {
                Ok(Job::Run(f)) => closure = Some(f),
                Ok(Job::Item(item)) => {
                    items.push(item);
                    while items.len() < max {
                        match rx.try_recv() {
                            Ok(Job::Item(item)) => items.push(item),
                            Ok(Job::Run(f)) => {
                                closure = Some(f);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                }
                Err(_) => return,
            }
        }
        if !items.is_empty() {
            batch(items);
        }
        if let Some(f) = closure {
            f();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_runtime_and_answer() {
        let workers = Workers::<()>::new(2, 1, |_| {}).unwrap();
        let (a, b) = tokio::join!(
            workers.run(|| (tokio::runtime::Handle::try_current().is_err(), 1)),
            workers.run(|| (tokio::runtime::Handle::try_current().is_err(), 2))
        );
        assert_eq!((a, b), (Some((true, 1)), Some((true, 2))));
    }

    #[test]
    fn queued_items_go_together_up_to_the_maximum() {
        type Item = (u32, std::sync::mpsc::Sender<Vec<u32>>);
        fn batch(items: Vec<Item>) {
            let sizes: Vec<u32> = items.iter().map(|(n, _)| *n).collect();
            for (_, tx) in items {
                let _ = tx.send(sizes.clone());
            }
        }
        let workers = Workers::<Item>::new(1, 4, batch).unwrap();
        // Hold the only thread, queue ten items behind it, then let it go.
        let (hold, held) = std::sync::mpsc::channel::<()>();
        let (started, wait) = std::sync::mpsc::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let w = &workers;
            s.spawn(move || {
                runtime.block_on(w.run(move || {
                    started.send(()).unwrap();
                    held.recv().unwrap();
                }))
            });
            wait.recv().unwrap();
            for n in 0..10 {
                workers.submit((n, tx.clone())).unwrap();
            }
            hold.send(()).unwrap();
        });
        let batches: Vec<Vec<u32>> = rx.iter().take(10).collect();
        // In order, four at a time, the rest together.
        let mut seen: Vec<Vec<u32>> = batches.clone();
        seen.dedup();
        assert_eq!(seen, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
    }
}
