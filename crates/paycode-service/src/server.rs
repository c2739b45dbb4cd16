//! The accept loop: HTTP/1.1 over TCP, or over TLS through rustls, with
//! bounded connections (at the limit, the one idle the longest makes room
//! for a new one), header and handshake timeouts, and a graceful shutdown
//! that lets requests in flight finish.
//!
//! One loop of our own over `tokio-rustls` and `hyper-util` serves both
//! plain and TLS connections: `tokio-rustls` is rustls's own tokio binding,
//! and the timeouts and limits are set here rather than inherited from a
//! server crate's defaults. The crypto provider is rustls's default, aws-lc-rs.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// Most connections open at once, unless [`Listener::max_connections`] says
/// otherwise. At the limit a new connection closes the one idle the longest
/// (no request in flight); if every one has a request in flight, it waits.
const MAX_CONNECTIONS: usize = 4096;
/// How long a client may take for its TLS handshake, and for a request's headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head (request line and header fields) the service
/// takes, bytes: the routes answer a larger one with 431 and a JSON body.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Largest request head the HTTP layer reads at all, bytes: twice
/// [`MAX_HEAD`], so that the routes see, and answer, a head over the limit.
/// hyper answers a larger one itself, with 431 and no body, and closes.
const MAX_HEAD_READ: usize = 2 * MAX_HEAD;

/// A bound socket, with the TLS configuration if the service speaks HTTPS.
pub struct Listener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    max_connections: usize,
}

impl core::fmt::Debug for Listener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Listener")
            .field("tcp", &self.tcp)
            .field("tls", &self.tls.is_some())
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl Listener {
    /// Binds `addr`; with `tls`, every connection is TLS.
    ///
    /// # Errors
    ///
    /// The socket could not be bound.
    pub async fn bind(addr: SocketAddr, tls: Option<Arc<ServerConfig>>) -> io::Result<Listener> {
        let tcp = TcpListener::bind(addr).await?;
        Ok(Listener { tcp, tls: tls.map(TlsAcceptor::from), max_connections: MAX_CONNECTIONS })
    }

    /// At most `n` connections open at once (at least 1, at most
    /// `u32::MAX`; 4096 unless set). A connection over the limit closes the
    /// one that has been idle the longest, with no request in flight,
    /// waiting for its next request or its first; it waits only if every
    /// connection has a request in flight.
    #[must_use]
    pub fn max_connections(mut self, n: usize) -> Listener {
        // Shutdown waits for every connection's permit at once, a `u32` of them.
        let most = usize::try_from(u32::MAX).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS);
        self.max_connections = n.clamp(1, most);
        self
    }

    /// The address bound (with the port the system chose for port 0).
    ///
    /// # Errors
    ///
    /// The socket's address could not be read.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Why the TLS certificate or key could not be used.
#[derive(Debug)]
pub struct TlsError(String);

impl core::fmt::Display for TlsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// The TLS configuration of a certificate chain and its private key, both
/// PEM files: TLS 1.2 and 1.3 with rustls's safe defaults, HTTP/1.1 by ALPN.
///
/// # Errors
///
/// [`TlsError`] names the file and what is wrong with it.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| TlsError(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(TlsError(format!("{}: no certificate in the file", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| TlsError(format!("certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and waits up to 10 s for the requests in flight.
///
/// # Errors
///
/// Only if the listener itself fails; a failed connection is that client's.
pub async fn serve(router: Router, listener: Listener, shutdown: impl Future<Output = ()>) -> io::Result<()> {
    let max = listener.max_connections;
    let permits = Arc::new(Semaphore::new(max));
    let open = Arc::new(Connections::default());
    let (stop, stopping) = watch::channel(false);
    let mut builder = http1::Builder::new();
    // A client may close its side once its request is sent: it still gets the answer.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .max_header_size(MAX_HEAD_READ)
        .max_buf_size(MAX_HEAD_READ)
        .half_close(true);
    let builder = Arc::new(builder);
    let mut shutdown = std::pin::pin!(shutdown);
    'serving: loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.tcp.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, say: wait and go on, rather than stop serving.
                    log_line!("paycode serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let permit = loop {
            if let Ok(p) = Arc::clone(&permits).try_acquire_owned() {
                break p;
            }
            // At the limit: the connection idle the longest makes room, so
            // that idle sockets cannot keep every other client out. If every
            // connection has a request in flight, look again as they finish.
            open.close_longest_idle();
            tokio::select! {
                () = &mut shutdown => break 'serving,
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(p) => break p,
                    Err(_) => break 'serving,
                },
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, mut close) = open.open();
        let slot = Slot { open: Arc::clone(&open), id };
        let service = Tracked { inner: TowerToHyperService::new(router.clone()), slot: slot.clone() };
        let tls = listener.tls.clone();
        let builder = Arc::clone(&builder);
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = SlotGuard(slot.clone());
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    drive(conn, close, stopping, &slot).await;
                }
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    let stream = tokio::select! {
                        // Closed to make room, or at shutdown: no request was made on it yet.
                        _ = &mut close => return,
                        _ = stopping.wait_for(|s| *s) => return,
                        done = handshake => match done {
                            Ok(Ok(stream)) => stream,
                            _ => return,
                        },
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    drive(conn, close, stopping, &slot).await;
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, permits.acquire_many(all)).await;
    Ok(())
}

/// Serves one connection until it ends; or, when told to close it or at
/// shutdown, closes it at once if no request is in flight on it (even with
/// part of a request head read), and after the request's answer if one is.
async fn drive<I>(
    conn: http1::Connection<I, Tracked>,
    mut close: oneshot::Receiver<()>,
    mut stopping: watch::Receiver<bool>,
    slot: &Slot,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        // The connection first: a request that has arrived starts (and is
        // then in flight) before a close signal is looked at.
        biased;
        _ = conn.as_mut() => return,
        _ = &mut close => {}
        _ = stopping.wait_for(|s| *s) => {}
    }
    if !slot.busy() {
        // A request that has reached the socket may not have been seen yet:
        // its readiness is delivered when the runtime next polls its I/O
        // driver, which it does before it wakes a task that yielded. So the
        // connection is served until then, and closed if still idle.
        tokio::select! {
            biased;
            _ = conn.as_mut() => return,
            () = tokio::task::yield_now() => {}
        }
        // Only this task polls the connection, so no request can start
        // between this look and the drop that closes the socket. A graceful
        // shutdown would wait for a head already begun, up to its 10 s.
        if !slot.busy() {
            return;
        }
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The open connections: whether each has a request in flight, since when
/// it has had none, and how to tell it to close.
#[derive(Default)]
struct Connections {
    inner: Mutex<ConnectionTable>,
}

#[derive(Default)]
struct ConnectionTable {
    next: u64,
    open: HashMap<u64, Open>,
}

struct Open {
    /// Requests in flight: from the head read to the answer's last byte.
    busy: usize,
    /// When the connection was opened, or finished its last request.
    idle_since: Instant,
    /// Tells the connection to close; taken when it is told.
    close: Option<oneshot::Sender<()>>,
}

impl Connections {
    /// The table, locked. A thread that panicked while holding it left it
    /// as whole as any other (each change is one insertion, removal or
    /// field update), so a poisoned lock is taken as it is, rather than
    /// closing every new connection at once.
    fn table(&self) -> MutexGuard<'_, ConnectionTable> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new connection's id, and the receiver that tells it to close.
    fn open(&self) -> (u64, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let mut table = self.table();
        let id = table.next;
        table.next = table.next.wrapping_add(1);
        table.open.insert(id, Open { busy: 0, idle_since: Instant::now(), close: Some(tx) });
        (id, rx)
    }

    /// Tells the connection that has been idle the longest to close, if one is idle.
    fn close_longest_idle(&self) {
        let mut table = self.table();
        let longest =
            table.open.values_mut().filter(|c| c.busy == 0 && c.close.is_some()).min_by_key(|c| c.idle_since);
        if let Some(tx) = longest.and_then(|c| c.close.take()) {
            let _ = tx.send(());
        }
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Open)) {
        if let Some(c) = self.table().open.get_mut(&id) {
            f(c);
        }
    }
}

/// One connection's entry in [`Connections`].
#[derive(Clone)]
struct Slot {
    open: Arc<Connections>,
    id: u64,
}

impl Slot {
    fn busy(&self) -> bool {
        self.open.table().open.get(&self.id).is_some_and(|c| c.busy > 0)
    }
}

/// Removes the connection's entry when its task ends.
struct SlotGuard(Slot);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.open.table().open.remove(&self.0.id);
    }
}

/// A request in flight on a connection: counted from its head until its
/// answer's body is written (or dropped).
struct InFlight(Slot);

impl InFlight {
    fn start(slot: &Slot) -> InFlight {
        slot.open.update(slot.id, |c| c.busy = c.busy.saturating_add(1));
        InFlight(slot.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.open.update(self.0.id, |c| {
            c.busy = c.busy.saturating_sub(1);
            c.idle_since = Instant::now();
        });
    }
}

/// The router as hyper calls it, with each request counted in flight on
/// its connection until the answer is written.
#[derive(Clone)]
struct Tracked {
    inner: TowerToHyperService<Router>,
    slot: Slot,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Tracked {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::start(&self.slot);
        let answer = hyper::service::Service::call(&self.inner, request);
        Box::pin(async move {
            let response = answer.await?;
            // hyper drops the body once it has written it: the request ends then.
            Ok(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _in_flight = &in_flight;
                    frame
                }))
            }))
        })
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
///
/// # Errors
///
/// The signal handlers could not be installed.
pub fn termination() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
