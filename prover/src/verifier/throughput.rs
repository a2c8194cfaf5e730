//! The throughput part of a challenge: the GEMM challenge (`loopin_pocps::gemm`). The signed row
//! root must arrive within the class's deadline plus one measured round trip (at most 200 ms);
//! then the verifier picks the rows to open with fresh randomness and checks each by Freivalds'
//! test. A busy card is asked again on a fresh seed; any other failure (late, refused, unsigned,
//! a wrong row) is a verdict against the device: no valid root in time is no answer.

use super::{Target, ThroughputSpec, Verifier, VerifierError, ms};
use crate::auth::{Kind, body_open, body_throughput, now_ms, sign_header};
use crate::pb;
use crate::record::{Outcome, ThroughputVerdict};
use crate::service::CARD_BUSY;
use crate::wire;
use loopin::registry::MAX_GEMM_TRIES;
use loopin_pocps::gemm::{self, RowOpening};
use loopin_pocps::merkle::Hash;
use loopin_pocps::sig::{K256Verifier, SigVerifier};
use std::time::{Duration, Instant};

/// Why phase 1 brought no root.
enum Refused {
    /// The card runs another verifier's GEMM: ask again.
    Busy,
    /// Late, or refused: no answer.
    Late(String),
}

/// How long a prover has to open the rows (not timed, but it must end).
const OPEN_ROWS_TIMEOUT: Duration = Duration::from_secs(30);

impl Verifier {
    /// The GEMM challenge on the seeds `seed_of(gemm_try)` (`gemm::challenge_seed(secret,
    /// randomness, gemm_try)`): the root within `tp.deadline_ms + allowance_ms`
    /// (`loopin::registry::throughput_deadline_for`), then the rows chosen now, opened and
    /// checked. A prover whose card runs another verifier's GEMM says so at once; it is asked
    /// again on the next try's seed after a random pause, [`MAX_GEMM_TRIES`] tries in all (one
    /// for a sweep's, [`ThroughputSpec::once`]).
    pub async fn throughput(
        &self,
        t: &Target,
        seed_of: &(dyn Fn(u32) -> Hash + Sync),
        tp: &ThroughputSpec,
        allowance_ms: u64,
    ) -> ThroughputVerdict {
        let c = &t.commitment;
        let deadline_ms = tp.deadline_ms.saturating_add(allowance_ms);
        let mut v = ThroughputVerdict {
            outcome: Outcome::Error,
            reason: None,
            shape: tp.shape,
            rows: Vec::new(),
            deadline_ms,
            commit_ms: None,
            row_root: None,
            signature: None,
            gemm_try: 0,
        };
        let deadline = Duration::from_millis(deadline_ms);
        let Some((seed, commit, took)) = self.root_within(t, seed_of, tp, deadline, &mut v).await
        else {
            return v;
        };
        v.commit_ms = Some(ms(took));
        v.row_root = Some(hex::encode(&commit.row_root));
        v.signature = Some(hex::encode(&commit.signature));
        let Some(root) = signed_root(&c.pubkey, &seed, tp, &commit, &mut v) else {
            return v;
        };
        // The rows are chosen now, after the root is fixed.
        let nonce = crate::auth::random_bytes();
        let rows = gemm::rows(&nonce, &root, tp.shape.m, tp.rows);
        v.rows = rows.clone();
        let openings = match self.open_rows(t, &commit.session, &rows).await {
            Ok(o) => o,
            Err(e) => {
                v.outcome = Outcome::Fail;
                v.reason = Some(e.to_string());
                return v;
            }
        };
        let (shape, count) = (tp.shape, tp.rows);
        let checked = tokio::task::spawn_blocking(move || {
            gemm::verify(&seed, shape, &root, &nonce, count, &openings)
        })
        .await;
        match checked {
            Ok(Ok(())) if took <= deadline => v.outcome = Outcome::Pass,
            Ok(Ok(())) => {
                v.outcome = Outcome::Late;
                v.reason = Some(format!("root after {:.1} ms > {deadline_ms} ms", ms(took)));
            }
            Ok(Err(e)) => {
                v.outcome = Outcome::Fail;
                v.reason = Some(e.to_string());
            }
            Err(e) => v.reason = Some(format!("verification task failed: {e}")),
        }
        v
    }

    /// Phase 1 with the retries of a busy card: the seed, commit and time to it of the first
    /// try that brought a root within `deadline`. `None` when none did (late, refused, or the
    /// card busy at every try: the verdict says which).
    async fn root_within(
        &self,
        t: &Target,
        seed_of: &(dyn Fn(u32) -> Hash + Sync),
        tp: &ThroughputSpec,
        deadline: Duration,
        v: &mut ThroughputVerdict,
    ) -> Option<(Hash, pb::ThroughputCommit, Duration)> {
        let tries = if tp.once { 1 } else { MAX_GEMM_TRIES };
        let mut gemm_try = 0;
        loop {
            let seed = seed_of(gemm_try);
            v.gemm_try = gemm_try;
            let sent = Instant::now();
            match self.commit(t, &seed, tp, deadline).await {
                Ok(commit) => return Some((seed, commit, sent.elapsed())),
                Err(Refused::Busy) if gemm_try + 1 < tries => {
                    // Another verifier's GEMM holds the card: wait about one of its deadlines.
                    let jitter = u64::from(crate::auth::random_bytes()[0]);
                    tokio::time::sleep(deadline + deadline * jitter as u32 / 256).await;
                    gemm_try += 1;
                }
                Err(Refused::Busy) => {
                    v.outcome = Outcome::Late;
                    v.reason = Some(format!("card busy at all {tries} tries"));
                    return None;
                }
                Err(Refused::Late(reason)) => {
                    v.outcome = Outcome::Late;
                    v.reason = Some(reason);
                    return None;
                }
            }
        }
    }

    /// Phase 1: ask for the root of the GEMM with `seed`, within `deadline`.
    async fn commit(
        &self,
        t: &Target,
        seed: &Hash,
        tp: &ThroughputSpec,
        deadline: Duration,
    ) -> Result<pb::ThroughputCommit, Refused> {
        let body = body_throughput(seed, tp.shape);
        let h = sign_header(
            &self.key,
            Kind::Throughput,
            &t.commitment.root,
            self.next_nonce(),
            now_ms(),
            &body,
        );
        let mut req = tonic::Request::new(pb::ThroughputRequest {
            auth: Some(wire::auth_to_pb(&h)),
            seed: seed.to_vec(),
            m: tp.shape.m,
            k: tp.shape.k,
            n: tp.shape.n,
        });
        req.set_timeout(deadline);
        let mut client = t.client.clone();
        match tokio::time::timeout(deadline, client.throughput(req)).await {
            Err(_) => Err(Refused::Late(format!(
                "no root within {} ms",
                deadline.as_millis()
            ))),
            Ok(Err(s)) if s.code() == tonic::Code::Unavailable && s.message() == CARD_BUSY => {
                Err(Refused::Busy)
            }
            Ok(Err(s))
                if s.code() == tonic::Code::DeadlineExceeded
                    || s.code() == tonic::Code::Cancelled =>
            {
                Err(Refused::Late(format!("deadline exceeded: {}", s.message())))
            }
            // A prover that cannot take its class's challenge (too large for it, refused) has
            // not answered it.
            Ok(Err(s)) => Err(Refused::Late(format!(
                "prover refused: {:?}: {}",
                s.code(),
                s.message()
            ))),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
    }

    /// Phase 2: ask for `rows` of C and parse them.
    async fn open_rows(
        &self,
        t: &Target,
        session: &[u8],
        rows: &[u64],
    ) -> Result<Vec<RowOpening>, VerifierError> {
        let body = body_open(session, rows);
        let h = sign_header(
            &self.key,
            Kind::ThroughputOpen,
            &t.commitment.root,
            self.next_nonce(),
            now_ms(),
            &body,
        );
        let mut req = tonic::Request::new(pb::ThroughputOpenRequest {
            auth: Some(wire::auth_to_pb(&h)),
            session: session.to_vec(),
            indices: rows.to_vec(),
        });
        req.set_timeout(OPEN_ROWS_TIMEOUT);
        let mut client = t.client.clone();
        let opening =
            match tokio::time::timeout(OPEN_ROWS_TIMEOUT, client.throughput_open(req)).await {
                Err(_) => return Err(VerifierError::NoRows(OPEN_ROWS_TIMEOUT.as_secs())),
                Ok(Err(s)) => {
                    return Err(VerifierError::RowsRefused {
                        code: s.code(),
                        message: s.message().to_string(),
                    });
                }
                Ok(Ok(r)) => r.into_inner(),
            };
        opening
            .rows
            .into_iter()
            .map(|o| {
                Ok(RowOpening {
                    index: o.index,
                    row: o.row,
                    path: wire::bytes_to_hashes(&o.path)?,
                })
            })
            .collect()
    }
}

/// The row root of `commit`, if it is 32 bytes signed by the device (`pubkey`) over the GEMM
/// with `seed`; else `None`, the verdict a failure saying why.
fn signed_root(
    pubkey: &[u8],
    seed: &Hash,
    tp: &ThroughputSpec,
    commit: &pb::ThroughputCommit,
    v: &mut ThroughputVerdict,
) -> Option<Hash> {
    let Ok(root) = wire::hash(&commit.row_root, "row_root") else {
        v.outcome = Outcome::Fail;
        v.reason = Some("row_root must be 32 bytes".into());
        return None;
    };
    if !K256Verifier.verify(
        &gemm::message(seed, tp.shape, &root),
        &commit.signature,
        pubkey,
    ) {
        v.outcome = Outcome::Fail;
        v.reason = Some("bad device signature on the row root".into());
        return None;
    }
    Some(root)
}
