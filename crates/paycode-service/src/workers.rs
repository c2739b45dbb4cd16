//! The threads that run verifications: plain threads outside the async
//! runtime, since a store may block (a database round trip, a file lock)
//! and may refuse to be called from a runtime's thread. Their number bounds
//! the verifications in progress at once; the rest wait in the queue.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads taking jobs from one queue.
#[derive(Debug)]
pub(crate) struct Workers {
    queue: Mutex<Option<Sender<Job>>>,
}

impl Workers {
    /// Starts `n` threads (at least one).
    pub(crate) fn new(n: usize) -> std::io::Result<Workers> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n.max(1) {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new().name(format!("paycode-verify-{i}")).spawn(move || work(&rx))?;
        }
        Ok(Workers { queue: Mutex::new(Some(tx)) })
    }

    /// Runs `f` on a worker; `None` if the workers are gone.
    pub(crate) async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        let sent = self.queue.lock().ok()?.as_ref()?.send(job);
        sent.ok()?;
        rx.await.ok()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // Closing the queue ends every thread once it is idle.
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_runtime_and_answer() {
        let workers = Workers::new(2).unwrap();
        let (a, b) = tokio::join!(
            workers.run(|| (tokio::runtime::Handle::try_current().is_err(), 1)),
            workers.run(|| (tokio::runtime::Handle::try_current().is_err(), 2))
        );
        assert_eq!((a, b), (Some((true, 1)), Some((true, 2))));
    }
}
