//! A small client of the HTTP API, over one kept-alive HTTP/1.1 connection:
//! what the tests, the fleet test and the load generator speak, and what a
//! terminal written in Rust could use.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;

use crate::api::{Refusal, VerifyRequest, VerifyResponse};

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body read.
const MAX_RESPONSE: usize = 1 << 20;

/// A connection to one node, reopened when the node closes it.
pub struct Client {
    addr: SocketAddr,
    authority: String,
    bearer: Option<String>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// An HTTP answer as received.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// The answer to a verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A verdict: status 200, or 503 with `state-unavailable` when the store failed.
    Verdict {
        /// The HTTP status.
        status: StatusCode,
        /// The verdict.
        response: VerifyResponse,
    },
    /// Refused before verification (401, 400, 408, 413, 429).
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// Why.
        refusal: Refusal,
    },
}

impl Client {
    /// A client of the node at `addr` over plain HTTP, sending `token` (the
    /// whole `pct_…` text) as the bearer token, if given.
    pub fn new(addr: SocketAddr, token: Option<&str>) -> Client {
        Client {
            addr,
            authority: addr.to_string(),
            bearer: token.map(|t| format!("Bearer {t}")),
            tls: None,
            sender: None,
        }
    }

    /// This client over TLS with `config`, checking the certificate against `server_name`.
    ///
    /// # Errors
    ///
    /// `server_name` is not a valid DNS name or IP address.
    pub fn with_tls(mut self, config: Arc<ClientConfig>, server_name: &str) -> io::Result<Client> {
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.authority = server_name.to_owned();
        self.tls = Some((TlsConnector::from(config), name));
        Ok(self)
    }

    /// Verifies `code` for a payment of `amount`.
    ///
    /// # Errors
    ///
    /// The connection failed, or the answer is not the API's.
    pub async fn verify(&mut self, code: &str, amount: u64) -> io::Result<Answer> {
        self.verify_payment(code, amount, None).await
    }

    /// Verifies `code` for a payment of `amount`, in challenge mode for the
    /// challenge whose QR text is `challenge`.
    ///
    /// # Errors
    ///
    /// As [`Client::verify`].
    pub async fn verify_payment(
        &mut self,
        code: &str,
        amount: u64,
        challenge: Option<&str>,
    ) -> io::Result<Answer> {
        let request =
            VerifyRequest { code: code.to_owned(), amount, challenge: challenge.map(str::to_owned) };
        let body = serde_json::to_vec(&request)?;
        let reply = self.send(Method::POST, "/v1/verify", Some(body)).await?;
        let invalid = |e: serde_json::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        match reply.status {
            StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE => Ok(Answer::Verdict {
                status: reply.status,
                response: serde_json::from_slice(&reply.body).map_err(invalid)?,
            }),
            status => {
                Ok(Answer::Refused { status, refusal: serde_json::from_slice(&reply.body).map_err(invalid)? })
            }
        }
    }

    /// Sends one request and reads the whole answer, on the kept-alive
    /// connection, or on a new one if the node closed it. A request that
    /// failed is not sent again: a verification may have been decided even
    /// when its answer was lost.
    ///
    /// # Errors
    ///
    /// The connection failed or timed out.
    pub async fn send(&mut self, method: Method, path: &str, body: Option<Vec<u8>>) -> io::Result<Reply> {
        let mut r = Request::builder().method(method).uri(path).header(HOST, &self.authority);
        if let Some(b) = &self.bearer {
            r = r.header(AUTHORIZATION, b);
        }
        if body.is_some() {
            r = r.header(CONTENT_TYPE, "application/json");
        }
        let request = r
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        match tokio::time::timeout(REQUEST_TIMEOUT, self.round_trip(request)).await {
            Ok(reply) => reply,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "request timed out")),
        }
    }

    async fn round_trip(&mut self, request: Request<Full<Bytes>>) -> io::Result<Reply> {
        let sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        let mut sender = sender;
        sender.ready().await.map_err(io::Error::other)?;
        let response = sender.send_request(request).await.map_err(io::Error::other)?;
        let (parts, body) = response.into_parts();
        let body = http_body_util::Limited::new(body, MAX_RESPONSE)
            .collect()
            .await
            .map_err(|e| io::Error::other(e.to_string()))?
            .to_bytes();
        self.sender = Some(sender);
        Ok(Reply { status: parts.status, headers: parts.headers, body })
    }

    async fn connect(&self) -> io::Result<SendRequest<Full<Bytes>>> {
        let tcp = TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => handshake(tcp).await,
            Some((connector, name)) => handshake(connector.connect(name.clone(), tcp).await?).await,
        }
    }
}

async fn handshake<S>(stream: S) -> io::Result<SendRequest<Full<Bytes>>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}
