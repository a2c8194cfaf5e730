//! LooPIN prover service and verifier client.
//!
//! - [`storage`]: P on disk (chunk checksums, resumable init, Merkle root check on load).
//! - [`backend`]: CPU (rayon) and CUDA (feature `cuda`, NVRTC) encoders of the slow direction.
//! - [`state`]: block sources and the proofs the prover builds.
//! - [`auth`]: verifier assignments, signed headers, replay and rate limiting.
//! - [`chain`]: assignments read from the PoCPS registry on chain; [`audits`]: the device
//!   answers the audits of its own Passes.
//! - [`service`]: the tonic gRPC service (with health and reflection); [`limits`] its limits,
//!   [`sessions`] the sessions between a two-phase challenge's calls.
//! - [`verifier`]: the client (deadlines, RTT, both phases); [`answer`] checks its answers,
//!   [`record`] is the verdict record, [`load`] the load generator.
//! - [`onchain`]: verdict records as the registry's `Submit` verdicts (and what to submit).
//! - [`metrics`]: Prometheus endpoint. [`config`]: configuration file and defaults.
pub mod answer;
pub mod audits;
pub mod auth;
pub mod backend;
pub mod chain;
pub mod config;
pub mod limits;
pub mod load;
pub mod metrics;
pub mod onchain;
pub mod record;
pub mod service;
pub mod sessions;
pub mod stake;
pub mod state;
pub mod storage;
pub mod verifier;
pub mod wire;

/// Generated protobuf and tonic code for `loopin.prover.v1`.
pub mod pb {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("loopin.prover.v1");
    /// Encoded file descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("prover_descriptor");
}

/// Log to stderr with an env-filter directive such as "info" or "loopin_prover=debug".
pub fn init_tracing(filter: &str) {
    let f = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(f)
        .with_writer(std::io::stderr)
        .try_init();
}
