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
//! - [`metrics`]: Prometheus endpoint (`loopin-telemetry`). [`config`]: the miner's config file
//!   and its defaults (`loopin-miner-config`, which the agent reads too).
pub mod answer;
pub mod audits;
pub mod auth;
pub mod backend;
pub mod chain;
pub mod load;
pub mod onchain;
pub mod record;
pub mod rotation;
pub mod service;
pub mod sessions;
pub mod stake;
pub mod state;
pub mod storage;
pub mod verifier;
pub mod wire;

/// The miner's config file, shared with the agent (`loopin-miner-config`), under the paths the
/// prover's code and users know: `loopin_prover::config::Config`, `loopin_prover::limits::Limits`.
pub use loopin_miner_config as config;
pub use loopin_miner_config::limits;

/// Generated protobuf and tonic code for `loopin.prover.v1`.
pub mod pb {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("loopin.prover.v1");
    /// Encoded file descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("prover_descriptor");
}

/// The registry and logging set-up every service shares (`loopin-telemetry`), under the paths
/// the prover's users know.
pub use loopin_telemetry::{init_tracing, metrics};
