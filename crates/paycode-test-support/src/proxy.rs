//! A TCP proxy in front of a server that loses a connection at a chosen
//! moment: when a client sends a given message, the proxy either forwards
//! it and loses the server's answers ([`Cut::Deliver`]), or withholds it
//! ([`Cut::Withhold`]). So a test can make a client's request take effect,
//! or not, while its answer never arrives.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// What the proxy does to the connection that sends the armed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Forwards the message, drops every answer from then on, and closes
    /// both sides of the connection once a dropped answer holds these bytes
    /// (the server acted on the message), or after [`WAIT`].
    Deliver(&'static [u8]),
    /// Drops the message and closes the client's side at once; the server's
    /// side stays open and silent, as a network partition leaves it, until
    /// the proxy is dropped.
    Withhold,
}

#[derive(Default)]
struct Shared {
    /// The message and what to do when a client sends it; taken when it fires.
    armed: Mutex<Option<(Vec<u8>, Cut)>>,
    fired: AtomicBool,
    /// Server connections that [`Cut::Withhold`] keeps open.
    held: Mutex<Vec<TcpStream>>,
    /// Whether new connections are closed at once.
    refusing: AtomicBool,
    stop: AtomicBool,
}

/// A proxy listening on a local port of its own; each connection to it is
/// forwarded to the target port on the same host.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

/// How long [`Cut::Deliver`] waits for the server's answer at most.
pub const WAIT: Duration = Duration::from_secs(20);

/// One connection's answers dropped since it was muted, and whether it is.
#[derive(Default)]
struct Muted {
    on: AtomicBool,
    dropped: Mutex<Vec<u8>>,
    more: Condvar,
}

impl Muted {
    /// Waits until the dropped answers hold `answer`, for [`WAIT`] at most.
    fn wait_for(&self, answer: &[u8]) {
        let dropped = self.dropped.lock().unwrap();
        let missing = |d: &mut Vec<u8>| !d.windows(answer.len()).any(|w| w == answer);
        drop(self.more.wait_timeout_while(dropped, WAIT, missing).unwrap());
    }
}

impl Proxy {
    /// Starts a proxy to `127.0.0.1:target`.
    pub fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.stop.load(Ordering::Acquire) {
                    return;
                }
                let Ok(client) = client else { continue };
                if s.refusing.load(Ordering::Acquire) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                connect(&s, client, server);
            }
        });
        Proxy { port, shared }
    }

    /// The port clients connect to.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Arms a cut: the next connection that sends `message` (found in the
    /// bytes it sends, also across two reads) is cut as `cut` says. Once.
    pub fn cut_after(&self, message: &[u8], cut: Cut) {
        self.shared.fired.store(false, Ordering::Release);
        *self.shared.armed.lock().unwrap() = Some((message.to_vec(), cut));
    }

    /// Closes every new connection at once (`true`), as a server that is
    /// gone does, or forwards them again (`false`). Open ones go on.
    pub fn refuse_new(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::Release);
    }

    /// Whether the armed cut took place.
    pub fn fired(&self) -> bool {
        self.shared.fired.load(Ordering::Acquire)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for s in self.shared.held.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        // Wakes the accepting thread, which then sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Forwards one connection, in a thread per direction.
fn connect(shared: &Arc<Shared>, client: TcpStream, server: TcpStream) {
    let muted = Arc::new(Muted::default());
    let (Ok(client_out), Ok(server_in)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    // Server to client: every answer, until the connection is muted.
    let m = Arc::clone(&muted);
    std::thread::spawn(move || pump_answers(server_in, client_out, &m));
    // Client to server: every message, watching for the armed one.
    let s = Arc::clone(shared);
    std::thread::spawn(move || pump_requests(client, server, &s, &muted));
}

fn pump_answers(mut from: TcpStream, mut to: TcpStream, muted: &Muted) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) if muted.on.load(Ordering::Acquire) => {
                muted.dropped.lock().unwrap().extend_from_slice(&buf[..n]);
                muted.more.notify_all();
            }
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn pump_requests(mut from: TcpStream, mut to: TcpStream, shared: &Shared, muted: &Muted) {
    let mut buf = [0u8; 16 * 1024];
    // The end of the bytes sent so far, to find a message split over two reads.
    let mut seen: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let before = seen.len();
        seen.extend_from_slice(chunk);
        let cut = {
            let mut armed = shared.armed.lock().unwrap();
            // Only where the new bytes end a message: one sent before the
            // cut was armed does not fire it.
            let hit = armed.as_ref().is_some_and(|(m, _)| {
                let from = before.saturating_sub(m.len().saturating_sub(1));
                seen[from..].windows(m.len()).any(|w| w == m.as_slice())
            });
            if hit { armed.take().map(|(_, cut)| cut) } else { None }
        };
        let keep = seen.len().saturating_sub(64);
        seen.drain(..keep);
        match cut {
            None => {
                if to.write_all(chunk).is_err() {
                    break;
                }
            }
            Some(Cut::Deliver(answer)) => {
                muted.on.store(true, Ordering::Release);
                let _ = to.write_all(chunk);
                muted.wait_for(answer);
                shared.fired.store(true, Ordering::Release);
                let _ = from.shutdown(Shutdown::Both);
                let _ = to.shutdown(Shutdown::Both);
                return;
            }
            Some(Cut::Withhold) => {
                muted.on.store(true, Ordering::Release);
                shared.fired.store(true, Ordering::Release);
                shared.held.lock().unwrap().push(to);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
