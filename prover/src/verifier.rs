//! The verifier client: timed challenges with a deadline, RTT measurement, verification with
//! loopin-pocps, JSON verdict records, several provers at once, and a load generator.

use crate::answer::{check_answer, signed_round_proof};
use crate::auth::{Kind, body_challenge, body_challenge_open, now_ms, sign_header};
use crate::metrics::Metrics;
use crate::pb::{self, prover_client::ProverClient};
use crate::wire;
use k256::ecdsa::SigningKey;
use loopin_pocps::challenge::{commit_secret, round_seed};
use loopin_pocps::encode::Params;
use loopin_pocps::merkle::Hash;
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
    pub fn to_commitment(&self) -> Result<Commitment, String> {
        let root = hex::decode(&self.root)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or("root must be 32 bytes of hex")?;
        let ek = hex::decode(&self.ek)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(u128::from_le_bytes)
            .ok_or("ek must be 16 bytes of hex")?;
        let pubkey = hex::decode(&self.device_pubkey).map_err(|e| format!("device_pubkey: {e}"))?;
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
    pub fn new(endpoint: &str, commitment: Commitment) -> Result<Target, String> {
        let ch = Endpoint::from_shared(endpoint.to_string())
            .map_err(|e| format!("bad endpoint {endpoint}: {e}"))?
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

pub(crate) mod spec;

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

    /// Challenge one prover and judge the answer.
    pub async fn challenge(&self, t: &Target, spec: &Spec) -> Verdict {
        let c = &t.commitment;
        let secret = spec.secret.unwrap_or_else(crate::auth::random_bytes);
        let seed = round_seed(&secret, &spec.randomness, spec.attempt, &[0u8; 32]);
        let nonce = self.next_nonce();
        let mut v = Verdict {
            outcome: Outcome::Error,
            reason: None,
            endpoint: t.endpoint.clone(),
            prover_root: hex::encode(c.root),
            device_pubkey: hex::encode(&c.pubkey),
            verifier_pubkey: hex::encode(self.pubkey()),
            secret: hex::encode(secret),
            secret_commitment: hex::encode(commit_secret(&secret)),
            randomness: hex::encode(&spec.randomness),
            seed: hex::encode(seed),
            nonce,
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
        };
        // A sweep's GEMM goes first, the moment the verifier asks: behind the probes and the
        // timed part, a prover serving several identities from one card could delay one
        // identity's GEMM (slow probes, a slow chain) until the card is free. Its latency is
        // judged once the round trip is measured, by the registry's rule.
        let randomness = spec.randomness.clone();
        let seed_of =
            move |gemm_try| loopin_pocps::gemm::challenge_seed(&secret, &randomness, gemm_try);
        let mut early = match spec.throughput.as_ref().filter(|tp| tp.once) {
            Some(tp) => {
                let cap = loopin::registry::MAX_THROUGHPUT_RTT_MS;
                Some(self.throughput(t, &seed_of, tp, cap).await)
            }
            None => None,
        };
        // The round trip the deadline allows for: the median of a few probes on the
        // connection the challenge will use. A prover that delays them gains at most the cap.
        let rtt = match probe_rtt(t).await {
            Ok(rtt) => rtt,
            Err(e) => {
                v.reason = Some(format!("prover unreachable: {e}"));
                return self.finish(v);
            }
        };
        v.baseline_rtt_ms = Some(rtt);
        v.deadline_ms = spec.deadline_for(whole_ms(rtt));
        let deadline = Duration::from_millis(v.deadline_ms);
        let issued_at_ms = now_ms();
        v.issued_at_ms = issued_at_ms;

        let body = body_challenge(&seed, spec.chain_rounds, spec.spots, spec.openings);
        let h = sign_header(
            &self.key,
            Kind::Challenge,
            &c.root,
            nonce,
            issued_at_ms,
            &body,
        );
        let mut req = tonic::Request::new(pb::ChallengeRequest {
            auth: Some(wire::auth_to_pb(&h)),
            seed: seed.to_vec(),
            chain_rounds: spec.chain_rounds,
            spots: spec.spots,
            openings: spec.openings,
        });
        req.set_timeout(deadline);
        let mut client = t.client.clone();
        let sent = Instant::now();
        let res = tokio::time::timeout(deadline, client.challenge(req)).await;
        let rtt = sent.elapsed();
        let resp = match res {
            Err(_) => {
                v.outcome = Outcome::Late;
                v.reason = Some(format!(
                    "no answer within the deadline ({} ms)",
                    v.deadline_ms
                ));
                return self.finish(v);
            }
            Ok(Err(s))
                if s.code() == tonic::Code::DeadlineExceeded
                    || s.code() == tonic::Code::Cancelled =>
            {
                v.outcome = Outcome::Late;
                v.reason = Some(format!("deadline exceeded: {}", s.message()));
                return self.finish(v);
            }
            Ok(Err(s)) => {
                v.reason = Some(format!("prover refused: {:?}: {}", s.code(), s.message()));
                return self.finish(v);
            }
            Ok(Ok(r)) => r.into_inner(),
        };
        v.rtt_ms = Some(ms(rtt));
        v.server_ms = Some(resp.server_us as f64 / 1e3);
        v.final_state = Some(hex::encode(&resp.final_state));
        v.timed_signature = Some(hex::encode(&resp.timed_signature));
        self.metrics
            .observe("loopin_verifier_rtt_seconds", &[], rtt.as_secs_f64());

        // Phase 2, untimed: only now is the nonce that picks the spot rounds drawn. A prover that
        // committed and does not open has not answered: a lateness attestation with no latency
        // (what the registry counts towards its quorum), never a quiet off-chain failure.
        let spot_nonce = crate::auth::random_bytes();
        v.spot_nonce = Some(hex::encode(spot_nonce));
        let opening = match self.open_chain(t, c, &resp.session, &spot_nonce).await {
            Ok(o) => o,
            Err(e) => {
                v.outcome = Outcome::Late;
                v.reason = Some(format!(
                    "committed in {:.3} ms but did not open: {e}",
                    ms(rtt)
                ));
                v.rtt_ms = None;
                return self.finish(v);
            }
        };

        // The device-signed round answer is kept whatever the verdict: a bad one is what a
        // bad-proof claim on chain carries.
        let signed_round = signed_round_proof(&opening);
        let c2 = c.clone();
        let spec2 = spec.clone();
        let checked = tokio::task::spawn_blocking(move || {
            check_answer(&c2, &seed, &spec2, &resp, &spot_nonce, &opening)
        })
        .await;
        match checked {
            Ok(Ok(checked)) => {
                v.round_proof = checked.round.as_ref().map(RoundProofHex::from);
                v.transcript_root = Some(hex::encode(checked.transcript.signed().root));
                v.transcript_signature = Some(hex::encode(&checked.transcript_signature));
                v.transcript = Some(checked.transcript);
                if rtt > deadline {
                    v.outcome = Outcome::Late;
                    v.reason = Some(format!(
                        "valid but late: {:.3} ms > {} ms",
                        ms(rtt),
                        v.deadline_ms
                    ));
                } else {
                    v.outcome = Outcome::Pass;
                }
            }
            Ok(Err(e)) => {
                v.outcome = Outcome::Fail;
                v.reason = Some(e);
                v.round_proof = signed_round.as_ref().map(RoundProofHex::from);
            }
            Err(e) => {
                v.reason = Some(format!("verification task failed: {e}"));
            }
        }
        if let (Outcome::Pass, Some(tp)) = (v.outcome, spec.throughput.as_ref()) {
            let allowance = loopin::registry::throughput_deadline_for(
                0,
                spec.rtt_factor,
                v.baseline_rtt_ms.map_or(0, whole_ms),
            );
            // Not from the timed seed, which the prover already has.
            let tv = match early.take() {
                Some(tv) => judged_within(tv, tp.deadline_ms + allowance),
                None => self.throughput(t, &seed_of, tp, allowance).await,
            };
            if tv.outcome != Outcome::Pass {
                v.outcome = tv.outcome;
                v.reason = Some(format!(
                    "throughput: {}",
                    tv.reason.clone().unwrap_or_default()
                ));
            }
            v.throughput = Some(tv);
        }
        self.finish(v)
    }

    fn finish(&self, v: Verdict) -> Verdict {
        let o = serde_json::to_value(v.outcome)
            .ok()
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default();
        self.metrics
            .inc("loopin_verifier_verdicts_total", &[("outcome", &o)], 1.0);
        tracing::info!(endpoint = %v.endpoint, outcome = %o, rtt_ms = ?v.rtt_ms, reason = ?v.reason, "verdict");
        v
    }

    /// Phase 2 of a timed challenge: send the fresh nonce, get the transcript and openings.
    async fn open_chain(
        &self,
        t: &Target,
        c: &Commitment,
        session: &[u8],
        spot_nonce: &Hash,
    ) -> Result<pb::ChallengeOpening, String> {
        let body = body_challenge_open(session, spot_nonce);
        let h = sign_header(
            &self.key,
            Kind::ChallengeOpen,
            &c.root,
            self.next_nonce(),
            now_ms(),
            &body,
        );
        let mut req = tonic::Request::new(pb::ChallengeOpenRequest {
            auth: Some(wire::auth_to_pb(&h)),
            session: session.to_vec(),
            nonce: spot_nonce.to_vec(),
        });
        req.set_timeout(OPEN_TIMEOUT);
        let mut client = t.client.clone();
        match tokio::time::timeout(OPEN_TIMEOUT, client.challenge_open(req)).await {
            Err(_) => Err(format!("no opening within {} s", OPEN_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(format!("{:?}: {}", s.code(), s.message())),
            Ok(Ok(r)) => Ok(r.into_inner()),
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
                outcome: Outcome::Error,
                reason: Some(format!("task failed: {e}")),
                endpoint: t.endpoint.clone(),
                prover_root: hex::encode(t.commitment.root),
                device_pubkey: hex::encode(&t.commitment.pubkey),
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
