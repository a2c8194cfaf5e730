//! Telemetry shared by LooPIN's services (the prover, the verifier, the agent, the relayer):
//!
//! - [`metrics`]: a Prometheus registry (counters, gauges, histograms with labels) and its
//!   `/metrics` HTTP endpoint.
//! - [`init_tracing`]: logs to stderr under an env-filter directive.
//! - [`program`]: the one way a binary runs its `main` (runtime, logging, exit codes).

pub mod metrics;
pub mod program;

/// Log to stderr with an env-filter directive such as "info" or "loopin_prover=debug"; an
/// invalid directive falls back to "info". A second call does nothing.
pub fn init_tracing(filter: &str) {
    let f = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(f)
        .with_writer(std::io::stderr)
        .try_init();
}
