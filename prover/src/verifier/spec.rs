//! What a verifier asks for: the timed challenge's parameters and the throughput (GEMM) part.

/// What to ask for.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Spec {
    /// Chained reads R.
    pub chain_rounds: u32,
    /// Spot openings s.
    pub spots: u32,
    /// Round openings k.
    pub openings: u32,
    /// Deadline D of the timed challenge at zero round trip: the compute budget and a fixed
    /// margin. The deadline of a challenge is `deadline_ms + rtt_factor × RTT` (the median of
    /// [`super::RTT_PROBES`] probes just before), at most `max_deadline_ms`: the registry's rule
    /// (`loopin::registry::deadline_for`).
    pub deadline_ms: u64,
    /// Round trips the deadline allows for (0: the deadline is `deadline_ms`).
    #[serde(default)]
    pub rtt_factor: u32,
    /// Cap of the deadline (0: `deadline_ms`).
    #[serde(default)]
    pub max_deadline_ms: u64,
    /// Chain randomness mixed with the verifier's secret.
    pub randomness: Vec<u8>,
    /// The secret whose hash the verifier committed on chain; `None`: a fresh random one
    /// (off-chain checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<[u8; 32]>,
    /// Throughput part, if any.
    pub throughput: Option<ThroughputSpec>,
    /// Which try of the challenge this is (`loopin::registry::ExecuteMsg::Submit::attempt`):
    /// the timed seed is `round_seed(secret, randomness, attempt, 0)`.
    #[serde(default)]
    pub attempt: u32,
}

/// Throughput part of a challenge: the GEMM challenge of the device's class
/// (`loopin::pool::GemmClass`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ThroughputSpec {
    /// Shape of the product.
    pub shape: loopin_pocps::gemm::Shape,
    /// Rows of C opened, each checked by Freivalds' test.
    pub rows: u32,
    /// Deadline until the signed root arrives, at zero round trip; the challenge's measured
    /// round trip adds one round trip, at most 200 ms (`loopin::registry::throughput_deadline_for`).
    pub deadline_ms: u64,
    /// A sweep's GEMM (`loopin::registry::ExecuteMsg::DrawSweep`): asked once, a busy card is
    /// late (it is answering another identity's sweep). Otherwise a busy card is asked again,
    /// `MAX_GEMM_TRIES` tries in all.
    #[serde(default)]
    pub once: bool,
}

impl From<&loopin::pool::GemmClass> for ThroughputSpec {
    fn from(g: &loopin::pool::GemmClass) -> Self {
        ThroughputSpec {
            shape: loopin_pocps::gemm::Shape {
                m: g.m,
                k: g.k,
                n: g.n,
            },
            rows: g.rows,
            deadline_ms: g.deadline_ms,
            once: false,
        }
    }
}
