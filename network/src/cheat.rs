//! The scenario's cheating provers. They run the real prover service over the real encoding
//! and the real chain assignments; only their block source or their GEMM lies:
//!
//! - [`Cheat::Discard`] kept half of P (every odd leaf zeroed, the Merkle tree kept): its signed
//!   openings fail, and a verifier's bad-proof claim is proven on chain.
//! - [`Cheat::Regenerate`] kept only ek and recomputes each block it reads (outsourcing, or P not
//!   resident): its proofs are valid but late, and a quorum of verifiers' lateness verdicts
//!   invalidates it.
//! - [`Cheat::NoGpu`] holds P and answers the timed chain in time, but has no GPU: its class's
//!   GEMM challenge never finishes within the deadline, so the verifier the beacon draws for each
//!   of its sweeps finds it late (it proves no epoch), the class's threshold of missed sweeps
//!   accuses it, and the appeal, which asks the GEMM again, is lost.

use loopin_pocps::encode::Params;
use loopin_pocps::gemm::Shape;
use loopin_pocps::merkle::Hash;
use loopin_prover::auth::Gate;
use loopin_prover::backend::{Backend, Cancelled, CpuBackend, EncodeError, GemmFailed};
use loopin_prover::config::Config;
use loopin_prover::metrics::Metrics;
use loopin_prover::service::{self, ProverService};
use loopin_prover::state::{BlockSource, ProverState, Regenerate, Resident};
use loopin_prover::{chain, storage};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How a cheating prover misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cheat {
    /// Discarded half of its encoding.
    Discard,
    /// Regenerates every read from ek.
    Regenerate,
    /// Holds P but has no GPU: its GEMM never finishes in time.
    NoGpu,
}

/// A CPU backend far below its class's GEMM rate: the product is still being computed when the
/// deadline cancels it.
struct NoGpu;

impl Backend for NoGpu {
    fn name(&self) -> &'static str {
        "no-gpu"
    }
    fn encode_lanes(
        &self,
        ek: u128,
        p: &Params,
        lane0: u32,
        n: u32,
    ) -> Result<Vec<u128>, EncodeError> {
        CpuBackend.encode_lanes(ek, p, lane0, n)
    }
    fn slow_rounds(&self, xs: &[u128], r: u32, c: &AtomicBool) -> Result<Vec<u128>, Cancelled> {
        CpuBackend.slow_rounds(xs, r, c)
    }
    fn gemm(&self, _: &Hash, _: Shape, cancel: &AtomicBool) -> Result<Vec<Hash>, GemmFailed> {
        while !cancel.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(GemmFailed::Cancelled)
    }
}

/// Why a cheating prover stopped serving (or never started). Each variant's text is its cause's
/// own (none is a `source`): the binary prints the same line it always has.
#[derive(Debug, thiserror::Error)]
pub enum CheatError {
    /// P or the device key could not be read from the data directory.
    #[error("{0}")]
    Storage(storage::StorageError),
    /// The chain's assignments (who may challenge) could not be read.
    #[error("{0}")]
    Assignments(String),
    /// The listen address could not be bound.
    #[error("listen {listen}: {error}")]
    Listen {
        listen: String,
        error: std::io::Error,
    },
    /// The gRPC service failed.
    #[error("{0}")]
    Serve(Box<dyn std::error::Error + Send + Sync>),
}

/// Serves the prover configured by `c` (P from `c.data_dir`, built by `loopin-prover init`) with
/// `cheat`'s block source, until Ctrl-C.
pub async fn serve(c: &Config, cheat: Cheat) -> Result<(), CheatError> {
    let loaded = storage::load(&c.data_dir).map_err(CheatError::Storage)?;
    let key = storage::device_key(&c.data_dir).map_err(CheatError::Storage)?;
    let params = loaded.prover.params;
    let source: Box<dyn BlockSource> = match cheat {
        Cheat::Discard => {
            let mut blocks = loaded.prover.blocks.clone();
            let per_leaf = params.blocks_per_leaf as usize;
            for (leaf, chunk) in blocks.chunks_mut(per_leaf).enumerate() {
                if leaf % 2 == 1 {
                    chunk.fill(0);
                }
            }
            Box::new(Resident(blocks))
        }
        Cheat::Regenerate => Box::new(Regenerate {
            ek: loaded.ek,
            params,
        }),
        Cheat::NoGpu => Box::new(Resident(loaded.prover.blocks.clone())),
    };
    let backend: Arc<dyn Backend> = match cheat {
        Cheat::NoGpu => Arc::new(NoGpu),
        Cheat::Discard | Cheat::Regenerate => Arc::new(CpuBackend),
    };
    let state = ProverState::new(params, loaded.ek, loaded.prover.tree.clone(), source, key);
    let gate = Arc::new(Gate::new(
        chain::assignments(c)
            .await
            .map_err(|e| CheatError::Assignments(e.to_string()))?,
        Duration::from_millis(c.limits.freshness_window_ms),
    ));
    let svc = ProverService::new(
        Arc::new(state),
        backend,
        gate,
        c.limits.clone(),
        Metrics::new(),
    );
    let listener = tokio::net::TcpListener::bind(&c.listen)
        .await
        .map_err(|error| CheatError::Listen {
            listen: c.listen.clone(),
            error,
        })?;
    tracing::warn!(?cheat, listen = %c.listen, "serving as a cheating prover (scenario)");
    service::serve(svc, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(CheatError::Serve)
}
