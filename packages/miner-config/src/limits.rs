//! The prover service's limits: sizes, concurrency, sessions, deadlines (`[limits]` in the
//! miner's config file).

/// Service limits.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest R.
    pub max_chain_rounds: u32,
    /// Largest s.
    pub max_spots: u32,
    /// Largest k.
    pub max_openings: u32,
    /// Largest GEMM challenge: rows m of C (the work grows with it; a challenge that cannot be
    /// finished is cancelled at its deadline).
    pub max_gemm_rows: u32,
    /// Largest GEMM challenge: bytes of B (k × n), which the prover holds while it computes
    /// and again while it opens rows.
    pub max_gemm_b_bytes: u64,
    /// The one GEMM shape this device serves: its class's (`loopin::pool::GemmClass`). `None`:
    /// any shape within the limits above (`serve` sets it from the registry when it can).
    pub gemm_shape: Option<loopin_pocps::gemm::Shape>,
    /// Most rows per ThroughputOpen.
    pub max_open_indices: u32,
    /// Challenges computed at once; the rest wait (bounded) then get RESOURCE_EXHAUSTED.
    pub max_concurrent: usize,
    /// Longest wait for a permit, ms (also bounded by the caller's deadline).
    pub queue_wait_ms: u64,
    /// Two-phase sessions (timed and throughput) kept at once.
    pub max_sessions: usize,
    /// Of those, the most one verifier may hold, so none can shut the others out.
    pub max_sessions_per_verifier: usize,
    /// Session lifetime, ms.
    pub session_ttl_ms: u64,
    /// Largest request message, bytes.
    pub max_request_bytes: usize,
    /// Accepted clock skew of challenge headers, ms.
    pub freshness_window_ms: u64,
    /// Longest call the server allows whatever grpc-timeout says, ms.
    pub max_call_ms: u64,
    /// HTTP/2 streams per connection.
    pub max_concurrent_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chain_rounds: 250_000,
            max_spots: 256,
            max_openings: 64,
            max_gemm_rows: loopin_pocps::gemm::MAX_ROWS,
            max_gemm_b_bytes: loopin::pool::MAX_GEMM_B_BYTES,
            gemm_shape: None,
            max_open_indices: 256,
            max_concurrent: 8,
            queue_wait_ms: 1000,
            max_sessions: 8,
            max_sessions_per_verifier: 2,
            session_ttl_ms: 30_000,
            max_request_bytes: 16 * 1024,
            freshness_window_ms: 30_000,
            max_call_ms: 60_000,
            max_concurrent_streams: 256,
        }
    }
}
