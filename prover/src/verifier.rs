//! The verifier client: timed challenges with a deadline, RTT measurement, verification with
//! loopin-pocps, JSON verdict records, several provers at once, and a load generator.

use crate::metrics::Metrics;
use crate::pb::{self, prover_client::ProverClient};
use k256::ecdsa::SigningKey;
use loopin_pocps::encode::Params;
use loopin_pocps::proof::Commitment;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

/// The public commitment as a JSON file (what `loopin-prover commitment --json` prints and what
/// goes on chain).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitmentFile {
    /// Encoding parameters.
    pub params: Params,
    /// Merkle root, hex.
    pub root: String,
    /// ek, hex of 16 little-endian bytes.
    pub ek: String,
    /// Device public key (SEC1 compressed), hex.
    pub device_pubkey: String,
}

impl CommitmentFile {
    /// From a commitment.
    pub fn from_commitment(c: &Commitment) -> Self {
        CommitmentFile {
            params: c.params,
            root: hex::encode(c.root),
            ek: hex::encode(c.ek.to_le_bytes()),
            device_pubkey: hex::encode(&c.pubkey),
        }
    }
    /// To a commitment.
    pub fn to_commitment(&self) -> Result<Commitment, VerifierError> {
        let root = hex::decode(&self.root)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(VerifierError::CommitmentRoot)?;
        let ek = hex::decode(&self.ek)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(u128::from_le_bytes)
            .ok_or(VerifierError::CommitmentEk)?;
        let pubkey = hex::decode(&self.device_pubkey).map_err(VerifierError::DevicePubkey)?;
        Ok(Commitment {
            params: self.params,
            root,
            ek,
            pubkey,
        })
    }
}

/// A prover to challenge.
#[derive(Clone)]
pub struct Target {
    /// Endpoint URL, e.g. http://127.0.0.1:7470.
    pub endpoint: String,
    /// Its on-chain commitment.
    pub commitment: Commitment,
    client: ProverClient<Channel>,
}

impl Target {
    /// A target with a lazily connected channel.
    pub fn new(endpoint: &str, commitment: Commitment) -> Result<Target, VerifierError> {
        let ch = Endpoint::from_shared(endpoint.to_string())
            .map_err(|error| VerifierError::Endpoint {
                endpoint: endpoint.to_string(),
                error,
            })?
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        Ok(Target {
            endpoint: endpoint.to_string(),
            commitment,
            client: ProverClient::new(ch).max_decoding_message_size(64 << 20),
        })
    }

    /// Fetch the prover's Info (also warms the connection).
    pub async fn info(&self) -> Result<pb::InfoResponse, tonic::Status> {
        let mut req = tonic::Request::new(pb::InfoRequest {});
        req.set_timeout(Duration::from_secs(10));
        Ok(self.client.clone().info(req).await?.into_inner())
    }
}

mod challenge;
mod error;
pub(crate) mod spec;

pub use error::VerifierError;
pub use spec::{Spec, ThroughputSpec};

pub use crate::record::{OpeningHex, Outcome, RoundProofHex, ThroughputVerdict, Verdict};

/// Round trips measured before the timed phase; their median sets the deadline.
pub const RTT_PROBES: usize = 5;

impl Spec {
    /// The deadline of a challenge whose measured round trip is `rtt_ms` (whole ms, as the
    /// registry is told).
    pub fn deadline_for(&self, rtt_ms: u64) -> u64 {
        loopin::registry::deadline_for(
            self.deadline_ms,
            self.rtt_factor,
            self.max_deadline_ms,
            rtt_ms,
        )
    }
}

/// A round trip measured in ms, as whole ms (rounded up): what the registry is told.
pub fn whole_ms(rtt_ms: f64) -> u64 {
    rtt_ms.ceil().max(0.0) as u64
}

/// The median round trip (ms) of [`RTT_PROBES`] `Info` calls to the prover.
async fn probe_rtt(t: &Target) -> Result<f64, tonic::Status> {
    let mut rtts = Vec::with_capacity(RTT_PROBES);
    for _ in 0..RTT_PROBES {
        let sent = Instant::now();
        t.info().await?;
        rtts.push(ms(sent.elapsed()));
    }
    rtts.sort_by(f64::total_cmp);
    Ok(rtts[RTT_PROBES / 2])
}

mod throughput;

/// How long a prover has to open its committed chain (phase 2 is not timed, but it must end).
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// The verifier: a key and metrics.
pub struct Verifier {
    key: SigningKey,
    metrics: Arc<Metrics>,
    nonce: AtomicU64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Verifier {
    /// A verifier signing with `key`.
    pub fn new(key: SigningKey, metrics: Arc<Metrics>) -> Verifier {
        metrics.describe(
            "loopin_verifier_verdicts_total",
            "counter",
            "verdicts by outcome",
        );
        metrics.describe(
            "loopin_verifier_rtt_seconds",
            "histogram",
            "challenge round trip (send to answer)",
        );
        // Nonces start at the current time in µs so a restarted verifier does not reuse them.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        Verifier {
            key,
            metrics,
            nonce: AtomicU64::new(start),
        }
    }

    /// Public key (SEC1 compressed).
    pub fn pubkey(&self) -> Vec<u8> {
        crate::auth::pubkey_bytes(&self.key)
    }

    fn next_nonce(&self) -> u64 {
        self.nonce.fetch_add(1, Ordering::Relaxed)
    }

    /// An error with no reason, naming the prover, the verifier and the challenge's terms, no
    /// secret, seed or nonce yet: what a challenge's verdict starts from.
    fn no_verdict(&self, t: &Target, spec: &Spec) -> Verdict {
        let c = &t.commitment;
        Verdict {
            outcome: Outcome::Error,
            reason: None,
            endpoint: t.endpoint.clone(),
            prover_root: hex::encode(c.root),
            device_pubkey: hex::encode(&c.pubkey),
            verifier_pubkey: hex::encode(self.pubkey()),
            secret: String::new(),
            secret_commitment: String::new(),
            randomness: hex::encode(&spec.randomness),
            seed: String::new(),
            nonce: 0,
            issued_at_ms: 0,
            chain_rounds: spec.chain_rounds,
            spots: spec.spots,
            openings: spec.openings,
            deadline_ms: spec.deadline_ms,
            rtt_ms: None,
            baseline_rtt_ms: None,
            server_ms: None,
            final_state: None,
            timed_signature: None,
            spot_nonce: None,
            transcript_root: None,
            transcript_signature: None,
            transcript: None,
            round_proof: None,
            throughput: None,
        }
    }

    /// Challenge every target at the same moment (one GPU posing as two cannot answer both in time).
    pub async fn challenge_many(self: &Arc<Self>, targets: &[Target], spec: &Spec) -> Vec<Verdict> {
        let tasks: Vec<_> = targets
            .iter()
            .cloned()
            .map(|t| {
                let me = self.clone();
                let spec = spec.clone();
                tokio::spawn(async move { me.challenge(&t, &spec).await })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for (t, task) in targets.iter().zip(tasks) {
            out.push(task.await.unwrap_or_else(|e| Verdict {
                reason: Some(format!("task failed: {e}")),
                ..self.no_verdict(t, spec)
            }));
        }
        out
    }
}

pub use crate::load::{LoadReport, load, percentile};

/// A sweep's GEMM verdict, taken with the round trip's whole cap, judged against the deadline
/// the measured round trip allows (`deadline_ms`): a root later than that is late.
fn judged_within(mut tv: ThroughputVerdict, deadline_ms: u64) -> ThroughputVerdict {
    tv.deadline_ms = deadline_ms;
    if tv.outcome == Outcome::Pass
        && let Some(ms) = tv.commit_ms
        && ms > deadline_ms as f64
    {
        tv.outcome = Outcome::Late;
        tv.reason = Some(format!("root after {ms:.3} ms, over {deadline_ms} ms"));
    }
    tv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_after(ms: f64) -> ThroughputVerdict {
        ThroughputVerdict {
            outcome: Outcome::Pass,
            reason: None,
            shape: loopin_pocps::gemm::Shape { m: 8, k: 8, n: 8 },
            rows: vec![],
            deadline_ms: 1_700,
            commit_ms: Some(ms),
            row_root: None,
            signature: None,
            gemm_try: 0,
        }
    }

    #[test]
    fn a_sweeps_gemm_taken_with_the_whole_cap_is_judged_by_the_measured_round_trip() {
        // Asked first with the 200 ms cap (due by 1,700 ms); the round trip measured after it
        // allows 20 ms: a root after 1,600 ms is late, one after 1,520 ms is not.
        let late = judged_within(root_after(1_600.0), 1_520);
        assert_eq!(late.outcome, Outcome::Late);
        assert_eq!(late.deadline_ms, 1_520);
        let on_time = judged_within(root_after(1_520.0), 1_520);
        assert_eq!(on_time.outcome, Outcome::Pass);
        // What was already late or failed stays so.
        let mut failed = root_after(10.0);
        failed.outcome = Outcome::Fail;
        assert_eq!(judged_within(failed, 1_520).outcome, Outcome::Fail);
    }
}
