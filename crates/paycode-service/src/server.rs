//! The accept loop: HTTP/1.1 over TCP, or over TLS through rustls, with
//! bounded connections, header and handshake timeouts, and a graceful
//! shutdown that lets requests in flight finish.
//!
//! One loop of our own over `tokio-rustls` and `hyper-util` serves both
//! plain and TLS connections: `tokio-rustls` is rustls's own tokio binding,
//! and the timeouts and limits are set here rather than inherited from a
//! server crate's defaults. The crypto provider is rustls's default, aws-lc-rs.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// Most connections open at once; the next waits to be accepted.
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
}

impl core::fmt::Debug for Listener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Listener").field("tcp", &self.tcp).field("tls", &self.tls.is_some()).finish()
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
        Ok(Listener { tcp, tls: tls.map(TlsAcceptor::from) })
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
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = hyper::server::conn::http1::Builder::new();
    // A client may close its side once its request is sent: it still gets the answer.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .max_header_size(MAX_HEAD_READ)
        .max_buf_size(MAX_HEAD_READ)
        .half_close(true);
    let builder = Arc::new(builder);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
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
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let tls = listener.tls.clone();
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    Ok(())
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
