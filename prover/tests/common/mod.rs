//! Shared helpers: P in a temp dir, an in-process server over TCP, verifier keys and specs.
#![allow(dead_code)]

use k256::ecdsa::SigningKey;
use loopin_pocps::encode::{Params, derive_ek};
use loopin_pocps::gemm::Shape;
use loopin_pocps::merkle::Hash;
use loopin_prover::auth::{Gate, StaticAllowlist, pubkey_bytes};
use loopin_prover::backend::{Backend, Cancelled, CpuBackend, EncodeError, GemmFailed};
use loopin_prover::metrics::Metrics;
use loopin_prover::service::{self, Limits, ProverService, Running};
use loopin_prover::state::ProverState;
use loopin_prover::storage;
use loopin_prover::verifier::{Spec, Target, ThroughputSpec, Verifier};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub const PARAMS: Params = Params::TEST;

pub fn ek(n: u8) -> u128 {
    derive_ek(&[b'g', n], "miner", "pool", b"randomness")
}

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).expect("valid key")
}

/// Encode P into `dir` with the CPU backend and load it back.
pub fn init_and_load(dir: &Path, n: u8) -> storage::Loaded {
    init_and_load_with(dir, n, &PARAMS)
}

pub fn init_and_load_with(dir: &Path, n: u8, params: &Params) -> storage::Loaded {
    storage::init(dir, ek(n), params, &CpuBackend, 1, &mut |_, _| true).expect("init");
    storage::load(dir).expect("load")
}

pub fn gate(verifiers: &[&SigningKey], rate: f64, burst: f64) -> Arc<Gate> {
    Arc::new(Gate::new(
        Box::new(StaticAllowlist::new(
            verifiers.iter().map(|k| pubkey_bytes(k)),
            rate,
            burst,
        )),
        Duration::from_secs(30),
    ))
}

/// An honest prover `n` (P in a temporary directory, device key `100 + n`) serving the
/// verifiers `assigned` under `limits`; the directory lives as long as the returned handle.
pub async fn honest_prover(
    n: u8,
    assigned: &[&SigningKey],
    limits: Limits,
) -> (tempfile::TempDir, Running, loopin_pocps::proof::Commitment) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = ProverState::from_loaded(init_and_load(dir.path(), n), key(100 + n));
    let commitment = state.commitment.clone();
    let server = spawn(state, gate(assigned, 10.0, 10.0), limits, Metrics::new()).await;
    (dir, server, commitment)
}

pub async fn spawn(
    state: ProverState,
    gate: Arc<Gate>,
    limits: Limits,
    metrics: Arc<Metrics>,
) -> Running {
    spawn_on(Arc::new(CpuBackend), state, gate, limits, metrics).await
}

/// [`spawn`] on another backend.
pub async fn spawn_on(
    backend: Arc<dyn Backend>,
    state: ProverState,
    gate: Arc<Gate>,
    limits: Limits,
    metrics: Arc<Metrics>,
) -> Running {
    let svc = ProverService::new(Arc::new(state), backend, gate, limits, metrics);
    service::spawn(svc, "127.0.0.1:0").await.expect("bind")
}

pub fn verifier(n: u8) -> Arc<Verifier> {
    Arc::new(Verifier::new(key(n), Metrics::new()))
}

pub fn target(r: &Running, state_commitment: &loopin_pocps::proof::Commitment) -> Target {
    Target::new(&r.url(), state_commitment.clone()).expect("target")
}

/// Test-parameter challenge: R = 256, s = 32, k = 8, with a GEMM throughput part
/// (128 × 96 × 64, 64 rows opened).
pub fn spec(deadline_ms: u64) -> Spec {
    Spec {
        chain_rounds: 256,
        spots: 32,
        openings: 8,
        deadline_ms,
        rtt_factor: 0,
        max_deadline_ms: 0,
        randomness: b"chain randomness".to_vec(),
        secret: None,
        throughput: Some(ThroughputSpec {
            shape: loopin_pocps::gemm::Shape {
                m: 128,
                k: 96,
                n: 64,
            },
            rows: 64,
            deadline_ms,
            once: false,
        }),
        attempt: 0,
    }
}

/// The CPU backend with its GEMM's row leaves changed by `tamper` (a card or a prover that gets
/// rows wrong); everything else is the CPU's.
pub struct TamperedGemm {
    pub name: &'static str,
    pub tamper: fn(Shape, &mut [Hash]),
}

impl Backend for TamperedGemm {
    fn name(&self) -> &'static str {
        self.name
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
    fn gemm(&self, seed: &Hash, s: Shape, c: &AtomicBool) -> Result<Vec<Hash>, GemmFailed> {
        let mut leaves = CpuBackend.gemm(seed, s, c)?;
        (self.tamper)(s, &mut leaves);
        Ok(leaves)
    }
}
