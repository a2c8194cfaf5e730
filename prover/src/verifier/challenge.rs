//! One timed challenge, phase by phase: the sweep's GEMM first (when it is one), the round-trip
//! probes that set the deadline, the timed commit, the untimed opening, the check of both
//! answers, and the throughput part of a pass.

use super::{
    OPEN_TIMEOUT, RoundProofHex, Spec, Target, ThroughputVerdict, Verdict, Verifier, VerifierError,
    judged_within, ms, probe_rtt, whole_ms,
};
use crate::answer::{check_answer, signed_round_proof};
use crate::auth::{Kind, body_challenge, body_challenge_open, now_ms, sign_header};
use crate::pb;
use crate::record::Outcome;
use crate::wire;
use loopin_pocps::challenge::{commit_secret, round_seed};
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::Commitment;
use std::time::{Duration, Instant};

/// What the timed phase brought: the prover's commit, its round trip and the deadline it was
/// held to.
struct Committed {
    commit: pb::ChallengeCommit,
    rtt: Duration,
    deadline: Duration,
}

impl Verifier {
    /// Challenge one prover and judge the answer.
    pub async fn challenge(&self, t: &Target, spec: &Spec) -> Verdict {
        let secret = spec.secret.unwrap_or_else(crate::auth::random_bytes);
        let seed = round_seed(&secret, &spec.randomness, spec.attempt, &[0u8; 32]);
        let mut v = self.blank_verdict(t, spec, &secret, &seed);
        // A sweep's GEMM goes first, the moment the verifier asks: behind the probes and the
        // timed part, a prover serving several identities from one card could delay one
        // identity's GEMM (slow probes, a slow chain) until the card is free. Its latency is
        // judged once the round trip is measured, by the registry's rule.
        let randomness = spec.randomness.clone();
        let seed_of =
            move |gemm_try| loopin_pocps::gemm::challenge_seed(&secret, &randomness, gemm_try);
        let early = match spec.throughput.as_ref().filter(|tp| tp.once) {
            Some(tp) => {
                let cap = loopin::registry::MAX_THROUGHPUT_RTT_MS;
                Some(self.throughput(t, &seed_of, tp, cap).await)
            }
            None => None,
        };
        let Some(deadline) = self.set_deadline(t, spec, &mut v).await else {
            return self.finish(v);
        };
        let Some(committed) = self.commit_chain(t, spec, &seed, deadline, &mut v).await else {
            return self.finish(v);
        };
        let Some((spot_nonce, opening)) = self.open_committed(t, &committed, &mut v).await else {
            return self.finish(v);
        };
        judge_answer(
            &t.commitment,
            spec,
            seed,
            committed,
            spot_nonce,
            opening,
            &mut v,
        )
        .await;
        if let (Outcome::Pass, Some(tp)) = (v.outcome, spec.throughput.as_ref()) {
            let allowance = loopin::registry::throughput_deadline_for(
                0,
                spec.rtt_factor,
                v.baseline_rtt_ms.map_or(0, whole_ms),
            );
            // Not from the timed seed, which the prover already has.
            let tv = match early {
                Some(tv) => judged_within(tv, tp.deadline_ms + allowance),
                None => self.throughput(t, &seed_of, tp, allowance).await,
            };
            record_throughput(&mut v, tv);
        }
        self.finish(v)
    }

    /// The verdict before anything is asked: an error with no reason, naming the prover, the
    /// verifier and the challenge's terms.
    fn blank_verdict(&self, t: &Target, spec: &Spec, secret: &Hash, seed: &Hash) -> Verdict {
        Verdict {
            secret: hex::encode(secret),
            secret_commitment: hex::encode(commit_secret(secret)),
            seed: hex::encode(seed),
            nonce: self.next_nonce(),
            ..self.no_verdict(t, spec)
        }
    }

    /// The round trip the deadline allows for: the median of a few probes on the connection
    /// the challenge will use (a prover that delays them gains at most the cap). `None` when
    /// the prover is unreachable (the verdict says so).
    async fn set_deadline(&self, t: &Target, spec: &Spec, v: &mut Verdict) -> Option<Duration> {
        let rtt = match probe_rtt(t).await {
            Ok(rtt) => rtt,
            Err(e) => {
                v.reason = Some(format!("prover unreachable: {e}"));
                return None;
            }
        };
        v.baseline_rtt_ms = Some(rtt);
        v.deadline_ms = spec.deadline_for(whole_ms(rtt));
        v.issued_at_ms = now_ms();
        Some(Duration::from_millis(v.deadline_ms))
    }

    /// Phase 1, timed: the signed challenge, and the prover's commit within `deadline`. `None`
    /// when none came (late, or refused: the verdict says which).
    async fn commit_chain(
        &self,
        t: &Target,
        spec: &Spec,
        seed: &Hash,
        deadline: Duration,
        v: &mut Verdict,
    ) -> Option<Committed> {
        let body = body_challenge(seed, spec.chain_rounds, spec.spots, spec.openings);
        let h = sign_header(
            &self.key,
            Kind::Challenge,
            &t.commitment.root,
            v.nonce,
            v.issued_at_ms,
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
        let commit = match res {
            Err(_) => {
                v.outcome = Outcome::Late;
                v.reason = Some(format!(
                    "no answer within the deadline ({} ms)",
                    v.deadline_ms
                ));
                return None;
            }
            Ok(Err(s))
                if s.code() == tonic::Code::DeadlineExceeded
                    || s.code() == tonic::Code::Cancelled =>
            {
                v.outcome = Outcome::Late;
                v.reason = Some(format!("deadline exceeded: {}", s.message()));
                return None;
            }
            Ok(Err(s)) => {
                v.reason = Some(format!("prover refused: {:?}: {}", s.code(), s.message()));
                return None;
            }
            Ok(Ok(r)) => r.into_inner(),
        };
        self.record_commit(v, &commit, rtt);
        Some(Committed {
            commit,
            rtt,
            deadline,
        })
    }

    /// Records the commit and its round trip in the verdict and the metrics.
    fn record_commit(&self, v: &mut Verdict, commit: &pb::ChallengeCommit, rtt: Duration) {
        v.rtt_ms = Some(ms(rtt));
        v.server_ms = Some(commit.server_us as f64 / 1e3);
        v.final_state = Some(hex::encode(&commit.final_state));
        v.timed_signature = Some(hex::encode(&commit.timed_signature));
        self.metrics
            .observe("loopin_verifier_rtt_seconds", &[], rtt.as_secs_f64());
    }

    /// Phase 2, untimed: only now is the nonce that picks the spot rounds drawn. A prover that
    /// committed and does not open has not answered: a lateness attestation with no latency
    /// (what the registry counts towards its quorum), never a quiet off-chain failure (`None`).
    async fn open_committed(
        &self,
        t: &Target,
        committed: &Committed,
        v: &mut Verdict,
    ) -> Option<(Hash, pb::ChallengeOpening)> {
        let spot_nonce = crate::auth::random_bytes();
        v.spot_nonce = Some(hex::encode(spot_nonce));
        let session = &committed.commit.session;
        match self
            .open_chain(t, &t.commitment, session, &spot_nonce)
            .await
        {
            Ok(o) => Some((spot_nonce, o)),
            Err(e) => {
                v.outcome = Outcome::Late;
                v.reason = Some(format!(
                    "committed in {:.3} ms but did not open: {e}",
                    ms(committed.rtt)
                ));
                v.rtt_ms = None;
                None
            }
        }
    }

    /// Logs the verdict and counts it by outcome.
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
    ) -> Result<pb::ChallengeOpening, VerifierError> {
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
            Err(_) => Err(VerifierError::NoOpening(OPEN_TIMEOUT.as_secs())),
            Ok(Err(s)) => Err(VerifierError::OpenRefused {
                code: s.code(),
                message: s.message().to_string(),
            }),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
    }
}

/// Checks both answers against the commitment `c` and records the outcome: a pass (or valid
/// but late), or a failure with the device-signed round answer, which is kept whatever the
/// verdict (a bad one is what a bad-proof claim on chain carries).
async fn judge_answer(
    c: &Commitment,
    spec: &Spec,
    seed: Hash,
    committed: Committed,
    spot_nonce: Hash,
    opening: pb::ChallengeOpening,
    v: &mut Verdict,
) {
    let signed_round = signed_round_proof(&opening);
    let (c2, spec2, commit) = (c.clone(), spec.clone(), committed.commit);
    let checked = tokio::task::spawn_blocking(move || {
        check_answer(&c2, &seed, &spec2, &commit, &spot_nonce, &opening)
    })
    .await;
    let (rtt, deadline) = (committed.rtt, committed.deadline);
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
            v.reason = Some(e.to_string());
            v.round_proof = signed_round.as_ref().map(RoundProofHex::from);
        }
        Err(e) => {
            v.reason = Some(format!("verification task failed: {e}"));
        }
    }
}

/// Records the throughput part of a pass: its outcome becomes the verdict's unless it passed.
fn record_throughput(v: &mut Verdict, tv: ThroughputVerdict) {
    if tv.outcome != Outcome::Pass {
        v.outcome = tv.outcome;
        v.reason = Some(format!(
            "throughput: {}",
            tv.reason.clone().unwrap_or_default()
        ));
    }
    v.throughput = Some(tv);
}
