//! A load generator for fleets of nodes: clients that race copies of the
//! same codes at different nodes, and the tally of what every node answered.
//! The fleet tests and the service benchmark drive nodes with it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::StatusCode;
use tokio::sync::Mutex;

use paycode::Error;

use crate::api::{Record, VerifyResponse};
use crate::client::{Answer, Client};

/// The pause before a retry.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// What to send: `codes` distinct codes, each sent `copies` times by
/// different clients to different nodes, one after another in the queue so
/// that the copies race.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The nodes.
    pub nodes: Vec<SocketAddr>,
    /// Bearer tokens; client `i` uses token `i % tokens.len()`.
    pub tokens: Vec<String>,
    /// Concurrent clients, each with one connection at a time.
    pub clients: usize,
    /// Distinct codes.
    pub codes: usize,
    /// Copies of each code (at most the number of nodes, so that each goes to another node).
    pub copies: usize,
    /// The amount of every payment.
    pub amount: u64,
    /// Requests per second over all clients, if the rate is fixed; else as fast as they go.
    pub rate: Option<f64>,
    /// How often a copy that got no answer or a 503 is sent again, to the
    /// next node, as a terminal would retry it; 0 for never.
    pub retries: usize,
}

/// What happened to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted, with its record.
    Accepted(Record),
    /// A verdict other than accepted, with its HTTP status (200, or 503).
    Rejected(StatusCode, Error),
    /// Refused before verification.
    Refused(StatusCode),
    /// No answer: the connection failed or timed out.
    NoAnswer,
}

/// One request's code, node, answer, and when it was sent and answered.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The code's index in the plan.
    pub code: usize,
    /// The node it went to.
    pub node: usize,
    /// What came back.
    pub outcome: Outcome,
    /// When it was sent, since the start.
    pub at: Duration,
    /// How long the answer took.
    pub latency: Duration,
    /// 0 for the first try of this copy, then 1, 2, … for its retries.
    pub attempt: usize,
}

/// Every request of a run, in the order they were answered.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// The requests.
    pub sent: Vec<Sent>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Tally {
    /// Answers per second over the run.
    pub fn throughput(&self) -> f64 {
        self.sent.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The accepted answers' records, by code.
    pub fn accepted(&self) -> HashMap<usize, Vec<&Record>> {
        let mut by_code: HashMap<usize, Vec<&Record>> = HashMap::new();
        for s in &self.sent {
            if let Outcome::Accepted(r) = &s.outcome {
                by_code.entry(s.code).or_default().push(r);
            }
        }
        by_code
    }

    /// How many requests had each outcome, by a short label (`accepted`,
    /// `replayed`, `503 state-unavailable`, `429`, `no answer`).
    pub fn counts(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for s in &self.sent {
            let label = match &s.outcome {
                Outcome::Accepted(_) => "accepted".to_owned(),
                Outcome::Rejected(StatusCode::OK, e) => e.code().to_owned(),
                Outcome::Rejected(status, e) => format!("{} {}", status.as_u16(), e.code()),
                Outcome::Refused(status) => status.as_u16().to_string(),
                Outcome::NoAnswer => "no answer".to_owned(),
            };
            *counts.entry(label).or_insert(0) += 1;
        }
        counts
    }

    /// The `q` quantile (0 to 1) of the latencies of answered requests.
    pub fn latency(&self, q: f64) -> Duration {
        let mut l: Vec<Duration> =
            self.sent.iter().filter(|s| s.outcome != Outcome::NoAnswer).map(|s| s.latency).collect();
        l.sort_unstable();
        let i = ((l.len() as f64 - 1.0) * q.clamp(0.0, 1.0)).round() as usize;
        l.get(i).copied().unwrap_or_default()
    }
}

/// Controls a run from outside: how far it is, and which nodes to stop using.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicUsize,
    dead: std::sync::Mutex<Vec<usize>>,
    stop: AtomicBool,
}

impl Progress {
    /// Requests answered (or failed) so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }

    /// Stops sending to `node` (it was killed): its jobs go to the next node.
    pub fn avoid(&self, node: usize) {
        if let Ok(mut d) = self.dead.lock() {
            d.push(node);
        }
    }

    /// Ends the run after the requests in flight.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    fn avoided(&self, node: usize) -> bool {
        self.dead.lock().map(|d| d.contains(&node)).unwrap_or(false)
    }
}

/// A code's text and the copies of it still to send.
struct Pending {
    text: Arc<str>,
    left: usize,
}

/// Runs `plan`, making code `k`'s text with `code(k)` when its first copy is
/// due (so that codes are fresh however long the run), and reporting to
/// `progress`.
pub async fn run(
    plan: Plan,
    code: impl Fn(usize) -> String + Send + Sync + 'static,
    progress: Arc<Progress>,
) -> Tally {
    let total = plan.codes.saturating_mul(plan.copies.max(1));
    let next = Arc::new(AtomicUsize::new(0));
    let made: Arc<Mutex<HashMap<usize, Pending>>> = Arc::new(Mutex::new(HashMap::new()));
    let code = Arc::new(code);
    let start = Instant::now();
    let plan = Arc::new(plan);
    let mut clients = Vec::with_capacity(plan.clients);
    for c in 0..plan.clients {
        let (plan, next, made, code, progress) = (
            Arc::clone(&plan),
            Arc::clone(&next),
            Arc::clone(&made),
            Arc::clone(&code),
            Arc::clone(&progress),
        );
        clients.push(tokio::spawn(async move {
            let token = plan.tokens.get(c % plan.tokens.len().max(1)).cloned();
            let mut conns: HashMap<usize, Client> = HashMap::new();
            let mut sent = Vec::new();
            loop {
                if progress.stop.load(Ordering::SeqCst) {
                    break;
                }
                let job = next.fetch_add(1, Ordering::SeqCst);
                if job >= total {
                    break;
                }
                if let Some(rate) = plan.rate {
                    // Job j is due at j / rate seconds: an open-loop schedule.
                    let due = Duration::from_secs_f64(job as f64 / rate);
                    let now = start.elapsed();
                    if due > now {
                        tokio::time::sleep(due - now).await;
                    }
                }
                let copies = plan.copies.max(1);
                let (k, copy) = (job / copies, job % copies);
                let text = {
                    let mut made = made.lock().await;
                    let entry =
                        made.entry(k).or_insert_with(|| Pending { text: Arc::from(code(k)), left: copies });
                    let text = Arc::clone(&entry.text);
                    entry.left = entry.left.saturating_sub(1);
                    if entry.left == 0 {
                        made.remove(&k);
                    }
                    text
                };
                let n = plan.nodes.len().max(1);
                let mut node = (k + copy) % n;
                for attempt in 0..=plan.retries {
                    for _ in 0..n {
                        if !progress.avoided(node) {
                            break;
                        }
                        node = (node + 1) % n;
                    }
                    let Some(addr) = plan.nodes.get(node).copied() else { break };
                    let client = conns.entry(node).or_insert_with(|| Client::new(addr, token.as_deref()));
                    let at = start.elapsed();
                    let answer = client.verify(&text, plan.amount).await;
                    let latency = start.elapsed().saturating_sub(at);
                    let outcome = match answer {
                        Ok(Answer::Verdict { response: VerifyResponse::Accepted { record }, .. }) => {
                            Outcome::Accepted(record)
                        }
                        Ok(Answer::Verdict { status, response }) => {
                            Outcome::Rejected(status, response.verdict().err().unwrap_or(Error::Malformed))
                        }
                        Ok(Answer::Refused { status, .. }) => Outcome::Refused(status),
                        Err(_) => {
                            conns.remove(&node);
                            Outcome::NoAnswer
                        }
                    };
                    let undecided = matches!(
                        outcome,
                        Outcome::NoAnswer | Outcome::Rejected(StatusCode::SERVICE_UNAVAILABLE, _)
                    );
                    sent.push(Sent { code: k, node, outcome, at, latency, attempt });
                    if !undecided || attempt == plan.retries || progress.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    node = (node + 1) % n;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                progress.done.fetch_add(1, Ordering::SeqCst);
            }
            sent
        }));
    }
    let mut tally = Tally::default();
    for c in clients {
        if let Ok(sent) = c.await {
            tally.sent.extend(sent);
        }
    }
    tally.elapsed = start.elapsed();
    tally
}
