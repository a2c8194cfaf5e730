//! The gRPC service: Info, Challenge, ChallengeOpen, Throughput, ThroughputOpen; plus health and
//! reflection.
//!
//! Order of work in every signed call: shape checks and limits, then the [`Gate`] (assignment,
//! freshness, signature, replay, rate), then a concurrency permit (bounded wait), and only then
//! proof work, on a blocking thread that stops when the caller's deadline passes or it goes away.

// tonic's handlers return Result<_, Status>; Status is large by design, so helpers share the type.
#![allow(clippy::result_large_err)]

use crate::auth::{Gate, Kind, Refusal, body_challenge, body_challenge_open};
use crate::backend::Backend;
use crate::metrics::Metrics;
use crate::pb::{self, prover_server};
use crate::sessions::{Pending, SessionError, Sessions};
use crate::state::ProverState;
use crate::wire;
use loopin_pocps::merkle::Hash;
use loopin_pocps::transcript::{Transcript, transcript_message};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Request, Response, Status};

pub use crate::limits::Limits;

mod gemm;
pub use gemm::CARD_BUSY;

/// GEMM tickets used: (verifier key, answer-by time of its open challenge).
type GemmTickets = std::collections::HashSet<(Vec<u8>, u64)>;

/// The Prover gRPC service.
pub struct ProverService {
    state: Arc<ProverState>,
    backend: Arc<dyn Backend>,
    gate: Arc<Gate>,
    limits: Limits,
    permits: Arc<Semaphore>,
    sessions: Arc<Sessions>,
    metrics: Arc<Metrics>,
    /// One GEMM at a time (it needs the whole card); another is refused at once as busy, never
    /// queued, so no GEMM's time is spent waiting for another's.
    gemm_permit: Arc<Semaphore>,
    /// The GEMM tickets used: (verifier, answer-by of its open challenge), one GEMM each.
    gemm_used: Arc<std::sync::Mutex<GemmTickets>>,
}

/// Sets the flag when dropped: the caller went away or the deadline passed.
struct CancelOnDrop(Arc<AtomicBool>);
impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn refusal_status(r: Refusal) -> Status {
    match r {
        Refusal::Malformed(_) => Status::invalid_argument(r.to_string()),
        Refusal::Unassigned => Status::permission_denied(r.to_string()),
        Refusal::Stale => Status::failed_precondition(r.to_string()),
        Refusal::BadSignature => Status::unauthenticated(r.to_string()),
        Refusal::Replay => Status::already_exists(r.to_string()),
        Refusal::RateLimited => Status::resource_exhausted(r.to_string()),
    }
}

impl From<SessionError> for Status {
    fn from(e: SessionError) -> Status {
        match e {
            SessionError::Full | SessionError::VerifierFull => {
                Status::resource_exhausted(e.to_string())
            }
            SessionError::NotFound => Status::not_found(e.to_string()),
        }
    }
}

fn session_id(bytes: &[u8]) -> Result<[u8; 16], Status> {
    bytes
        .try_into()
        .map_err(|_| Status::invalid_argument("session must be 16 bytes"))
}

fn refusal_label(r: &Refusal) -> &'static str {
    match r {
        Refusal::Malformed(_) => "malformed",
        Refusal::Unassigned => "unassigned",
        Refusal::Stale => "stale",
        Refusal::BadSignature => "bad_signature",
        Refusal::Replay => "replay",
        Refusal::RateLimited => "rate_limited",
    }
}

impl ProverService {
    /// The card as the device's audit answerer uses it: the backend, and the permit that keeps
    /// one GEMM on it at a time.
    pub fn gemm_card(&self) -> crate::audits::GemmCard {
        crate::audits::GemmCard {
            backend: self.backend.clone(),
            permit: self.gemm_permit.clone(),
        }
    }

    /// New service.
    pub fn new(
        state: Arc<ProverState>,
        backend: Arc<dyn Backend>,
        gate: Arc<Gate>,
        limits: Limits,
        metrics: Arc<Metrics>,
    ) -> ProverService {
        metrics.describe(
            "loopin_prover_requests_total",
            "counter",
            "gRPC calls by method and status code",
        );
        metrics.describe(
            "loopin_prover_request_seconds",
            "histogram",
            "gRPC call latency by method (server side)",
        );
        metrics.describe(
            "loopin_prover_refusals_total",
            "counter",
            "signed requests refused before any work, by reason",
        );
        metrics.describe(
            "loopin_prover_inflight",
            "gauge",
            "proof computations running",
        );
        ProverService {
            gemm_permit: Arc::new(Semaphore::new(1)),
            gemm_used: Arc::default(),
            permits: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            sessions: Arc::new(Sessions::new(
                limits.max_sessions,
                limits.max_sessions_per_verifier,
                Duration::from_millis(limits.session_ttl_ms),
            )),
            state,
            backend,
            gate,
            limits,
            metrics,
        }
    }

    fn record<T>(&self, method: &str, started: Instant, r: &Result<T, Status>) {
        let code = match r {
            Ok(_) => "OK".to_string(),
            Err(s) => format!("{:?}", s.code()),
        };
        self.metrics.inc(
            "loopin_prover_requests_total",
            &[("method", method), ("code", &code)],
            1.0,
        );
        self.metrics.observe(
            "loopin_prover_request_seconds",
            &[("method", method)],
            started.elapsed().as_secs_f64(),
        );
    }

    fn gate(&self, kind: Kind, auth: Option<&pb::Auth>, body: &Hash) -> Result<Vec<u8>, Status> {
        let a = auth.ok_or_else(|| Status::unauthenticated("missing auth header"))?;
        let h = wire::auth_from_pb(a);
        match self.gate.check(kind, &self.state.root(), &h, body) {
            Ok(()) => Ok(h.verifier_pubkey),
            Err(r) => {
                self.metrics.inc(
                    "loopin_prover_refusals_total",
                    &[("reason", refusal_label(&r))],
                    1.0,
                );
                tracing::debug!(reason = %r, "refused");
                Err(refusal_status(r))
            }
        }
    }

    /// Deadline of this call: the grpc-timeout header, capped by max_call_ms.
    fn deadline<T>(&self, req: &Request<T>, started: Instant) -> Instant {
        let cap = Duration::from_millis(self.limits.max_call_ms);
        let d = req
            .metadata()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(wire::parse_grpc_timeout)
            .map_or(cap, |d| d.min(cap));
        started + d
    }

    async fn permit(&self, deadline: Instant) -> Result<OwnedSemaphorePermit, Status> {
        let wait = Duration::from_millis(self.limits.queue_wait_ms)
            .min(deadline.saturating_duration_since(Instant::now()));
        match tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => {
                self.metrics
                    .inc("loopin_prover_refusals_total", &[("reason", "busy")], 1.0);
                Err(Status::resource_exhausted(
                    "prover busy: too many concurrent challenges",
                ))
            }
        }
    }

    /// Run `f` on a blocking thread holding `permit`; cancelled at `deadline` or when the caller drops.
    async fn work<T: Send + 'static>(
        &self,
        permit: OwnedSemaphorePermit,
        deadline: Instant,
        f: impl FnOnce(&AtomicBool) -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        let cancel = Arc::new(AtomicBool::new(false));
        let _guard = CancelOnDrop(cancel.clone());
        let c = cancel.clone();
        let metrics = self.metrics.clone();
        metrics.gauge_add("loopin_prover_inflight", &[], 1.0);
        let task = tokio::task::spawn_blocking(move || {
            let r = f(&c);
            drop(permit);
            metrics.gauge_add("loopin_prover_inflight", &[], -1.0);
            r
        });
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, task).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(Status::internal(format!("worker failed: {e}"))),
            Err(_) => {
                cancel.store(true, Ordering::Relaxed);
                Err(Status::deadline_exceeded(
                    "deadline passed during the computation",
                ))
            }
        }
    }

    async fn challenge_inner(
        &self,
        req: Request<pb::ChallengeRequest>,
    ) -> Result<pb::ChallengeCommit, Status> {
        let started = Instant::now();
        let deadline = self.deadline(&req, started);
        let r = req.into_inner();
        let seed =
            wire::hash(&r.seed, "seed").map_err(|e| Status::invalid_argument(e.to_string()))?;
        let l = &self.limits;
        if r.chain_rounds == 0 || r.chain_rounds > l.max_chain_rounds {
            return Err(Status::invalid_argument(format!(
                "chain_rounds must be in 1..={}",
                l.max_chain_rounds
            )));
        }
        if r.spots > l.max_spots || r.openings > l.max_openings {
            return Err(Status::invalid_argument(format!(
                "spots <= {} and openings <= {}",
                l.max_spots, l.max_openings
            )));
        }
        let body = body_challenge(&r.seed, r.chain_rounds, r.spots, r.openings);
        let verifier = self.gate(Kind::Challenge, r.auth.as_ref(), &body)?;
        if !self.sessions.has_room(&verifier) {
            return Err(SessionError::Full.into());
        }
        let permit = self.permit(deadline).await?;
        let state = self.state.clone();
        let rounds = r.chain_rounds;
        let (transcript, commit) = self
            .work(permit, deadline, move |cancel| {
                state
                    .run_chain(&seed, rounds, cancel)
                    .map_err(|_| Status::deadline_exceeded("cancelled"))
            })
            .await?;
        let pending = Pending::Timed {
            seed,
            transcript,
            spots: r.spots,
            openings: r.openings,
        };
        let id = self
            .sessions
            .insert(verifier, pending)
            .map_err(Status::from)?;
        Ok(pb::ChallengeCommit {
            session: id.to_vec(),
            final_state: commit.final_state.to_vec(),
            timed_signature: commit.signature,
            server_us: started.elapsed().as_micros() as u64,
        })
    }

    async fn challenge_open_inner(
        &self,
        req: Request<pb::ChallengeOpenRequest>,
    ) -> Result<pb::ChallengeOpening, Status> {
        let started = Instant::now();
        let deadline = self.deadline(&req, started);
        let r = req.into_inner();
        let id = session_id(&r.session)?;
        let nonce =
            wire::hash(&r.nonce, "nonce").map_err(|e| Status::invalid_argument(e.to_string()))?;
        let body = body_challenge_open(&r.session, &r.nonce);
        let verifier = self.gate(Kind::ChallengeOpen, r.auth.as_ref(), &body)?;
        let pending = self.sessions.take(&id, &verifier, |p| match p {
            Pending::Timed { .. } => Ok(()),
            Pending::Throughput { .. } => Err(Status::not_found("not a timed challenge session")),
        })?;
        let Pending::Timed {
            seed,
            transcript,
            spots,
            openings,
        } = pending
        else {
            return Err(Status::not_found("not a timed challenge session"));
        };
        let permit = self.permit(deadline).await?;
        let state = self.state.clone();
        let (transcript, timed, round, (transcript_root, transcript_signature)) = self
            .work(permit, deadline, move |cancel| {
                let cancelled = |_| Status::deadline_exceeded("cancelled");
                let timed = state
                    .open_spots(&seed, &transcript, &nonce, spots, cancel)
                    .map_err(cancelled)?;
                let round = match openings {
                    0 => None,
                    k => Some(state.prove_round(&seed, k, cancel).map_err(cancelled)?),
                };
                // The chain's steps under one signed root: what makes a Pass auditable.
                let signed = Transcript::new(&seed, &transcript).signed();
                let signature = state.sign(&transcript_message(
                    &state.root(),
                    &seed,
                    signed.rounds,
                    &signed.final_state,
                    &signed.root,
                ));
                Ok((transcript, timed, round, (signed.root, signature)))
            })
            .await?;
        let (round_openings, round_signature) = match round {
            Some(p) => (
                p.openings.iter().map(wire::opening_to_pb).collect(),
                p.signature,
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(pb::ChallengeOpening {
            transcript: wire::blocks_to_bytes(&transcript),
            timed_openings: timed.iter().map(wire::opening_to_pb).collect(),
            round_openings,
            round_signature,
            server_us: started.elapsed().as_micros() as u64,
            transcript_root: transcript_root.to_vec(),
            transcript_signature,
        })
    }
}

#[tonic::async_trait]
impl prover_server::Prover for ProverService {
    async fn info(
        &self,
        _req: Request<pb::InfoRequest>,
    ) -> Result<Response<pb::InfoResponse>, Status> {
        let started = Instant::now();
        let c = &self.state.commitment;
        let l = &self.limits;
        let r = Ok(pb::InfoResponse {
            params: Some(wire::params_to_pb(&c.params)),
            root: c.root.to_vec(),
            ek: c.ek.to_le_bytes().to_vec(),
            device_pubkey: c.pubkey.clone(),
            backend: self.backend.name().to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            max_chain_rounds: l.max_chain_rounds,
            max_spots: l.max_spots,
            max_openings: l.max_openings,
            max_gemm_rows: l.max_gemm_rows,
            max_gemm_b_bytes: l.max_gemm_b_bytes,
        });
        self.record("Info", started, &r);
        r.map(Response::new)
    }

    async fn challenge(
        &self,
        req: Request<pb::ChallengeRequest>,
    ) -> Result<Response<pb::ChallengeCommit>, Status> {
        let started = Instant::now();
        let r = self.challenge_inner(req).await;
        self.record("Challenge", started, &r);
        r.map(Response::new)
    }

    async fn challenge_open(
        &self,
        req: Request<pb::ChallengeOpenRequest>,
    ) -> Result<Response<pb::ChallengeOpening>, Status> {
        let started = Instant::now();
        let r = self.challenge_open_inner(req).await;
        self.record("ChallengeOpen", started, &r);
        r.map(Response::new)
    }

    async fn throughput(
        &self,
        req: Request<pb::ThroughputRequest>,
    ) -> Result<Response<pb::ThroughputCommit>, Status> {
        let started = Instant::now();
        let r = self.throughput_inner(req).await;
        self.record("Throughput", started, &r);
        r.map(Response::new)
    }

    async fn throughput_open(
        &self,
        req: Request<pb::ThroughputOpenRequest>,
    ) -> Result<Response<pb::ThroughputOpening>, Status> {
        let started = Instant::now();
        let r = self.open_inner(req).await;
        self.record("ThroughputOpen", started, &r);
        r.map(Response::new)
    }
}

/// Serve the prover (with health and reflection) on `listener` until `shutdown` completes.
pub async fn serve(
    svc: ProverService,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let limits = svc.limits.clone();
    let (health, health_svc) = tonic_health::server::health_reporter();
    health
        .set_serving::<prover_server::ProverServer<ProverService>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let prover = prover_server::ProverServer::new(svc)
        .max_decoding_message_size(limits.max_request_bytes)
        .max_encoding_message_size(64 << 20);
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "prover serving");
    tonic::transport::Server::builder()
        .timeout(Duration::from_millis(limits.max_call_ms))
        .max_concurrent_streams(Some(limits.max_concurrent_streams))
        .tcp_nodelay(true)
        .add_service(health_svc)
        .add_service(reflection)
        .add_service(prover)
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown,
        )
        .await?;
    Ok(())
}

/// A server running in this process (tests, benchmarks).
pub struct Running {
    /// Bound address.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Stop and wait for the server to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Bind `addr` (port 0 for any) and serve `svc` in a task.
pub async fn spawn(svc: ProverService, addr: &str) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        if let Err(e) = serve(svc, listener, async {
            let _ = rx.await;
        })
        .await
        {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running {
        addr,
        stop: Some(tx),
        task,
    })
}
