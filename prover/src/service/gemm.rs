//! The throughput calls: `Throughput` computes the GEMM challenge (`loopin_pocps::gemm`) on the
//! backend and returns the device-signed root of C's rows; `ThroughputOpen` opens the rows the
//! verifier picked after it saw the root, recomputed from the seed (nothing of C is kept).

// tonic's handlers return Result<_, Status>; Status is large by design.
#![allow(clippy::result_large_err)]

use super::{ProverService, session_id};
use crate::auth::{Kind, body_open, body_throughput};
use crate::backend::GemmFailed;
use crate::pb;
use crate::sessions::{Pending, SessionError};
use crate::wire;
use loopin_pocps::gemm::{self, Shape};
use loopin_pocps::merkle::Tree;
use std::time::Instant;
use tonic::{Request, Status};

/// What a prover answers (UNAVAILABLE) while its card runs another verifier's GEMM.
pub const CARD_BUSY: &str = "card busy with another GEMM";

impl ProverService {
    pub(super) async fn throughput_inner(
        &self,
        req: Request<pb::ThroughputRequest>,
    ) -> Result<pb::ThroughputCommit, Status> {
        let started = Instant::now();
        let deadline = self.deadline(&req, started);
        let r = req.into_inner();
        let seed =
            wire::hash(&r.seed, "seed").map_err(|e| Status::invalid_argument(e.to_string()))?;
        let shape = Shape {
            m: r.m,
            k: r.k,
            n: r.n,
        };
        shape
            .check()
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let l = &self.limits;
        if l.gemm_shape.is_some_and(|class| class != shape) {
            return Err(Status::invalid_argument(format!(
                "this device serves its class's GEMM shape only: {:?}",
                l.gemm_shape
            )));
        }
        if shape.m > l.max_gemm_rows || shape.bt_bytes() > l.max_gemm_b_bytes {
            return Err(Status::resource_exhausted(format!(
                "this prover computes at most {} rows with B of at most {} bytes",
                l.max_gemm_rows, l.max_gemm_b_bytes
            )));
        }
        let body = body_throughput(&r.seed, shape);
        let verifier = self.gate(Kind::Throughput, r.auth.as_ref(), &body)?;
        if !self.sessions.has_room(&verifier) {
            return Err(SessionError::Full.into());
        }
        // The card runs one GEMM: another is refused at once (the verifier asks again on a
        // fresh seed), never queued behind it.
        let card = self
            .gemm_permit
            .clone()
            .try_acquire_owned()
            .map_err(|_| Status::unavailable(CARD_BUSY))?;
        self.take_gemm_ticket(&verifier)?;
        let permit = self.permit(deadline).await?;
        let backend = self.backend.clone();
        let tree = self
            .work(permit, deadline, move |cancel| {
                let _card = card;
                match backend.gemm(&seed, shape, cancel) {
                    Ok(leaves) => Ok(Tree::new(leaves)),
                    Err(GemmFailed::Cancelled) => Err(Status::deadline_exceeded("cancelled")),
                    Err(GemmFailed::Device(e)) => Err(Status::internal(format!("device: {e}"))),
                }
            })
            .await?;
        let row_root = tree.root();
        let signature = self.state.sign(&gemm::message(&seed, shape, &row_root));
        let id = self
            .sessions
            .insert(verifier, Pending::Throughput { seed, shape, tree })
            .map_err(Status::from)?;
        Ok(pb::ThroughputCommit {
            session: id.to_vec(),
            row_root: row_root.to_vec(),
            signature,
            server_us: started.elapsed().as_micros() as u64,
        })
    }

    /// Uses one of `verifier`'s GEMM tickets (one per open challenge of its on this device);
    /// refuses when it has none left. A verifier allowed without assignments has no limit.
    fn take_gemm_ticket(&self, verifier: &[u8]) -> Result<(), Status> {
        let Some(tickets) = self.gate.assignment(verifier).and_then(|a| a.gemm_tickets) else {
            return Ok(());
        };
        let mut used = self.gemm_used.lock().unwrap_or_else(|e| e.into_inner());
        let now = crate::auth::now_ms() / 1000;
        used.retain(|(_, answer_by)| *answer_by >= now);
        let free = tickets
            .into_iter()
            .find(|&t| !used.contains(&(verifier.to_vec(), t)))
            .ok_or_else(|| {
                Status::resource_exhausted("one GEMM per open challenge of this verifier")
            })?;
        used.insert((verifier.to_vec(), free));
        Ok(())
    }

    pub(super) async fn open_inner(
        &self,
        req: Request<pb::ThroughputOpenRequest>,
    ) -> Result<pb::ThroughputOpening, Status> {
        let started = Instant::now();
        let deadline = self.deadline(&req, started);
        let r = req.into_inner();
        let id = session_id(&r.session)?;
        if r.indices.is_empty() || r.indices.len() > self.limits.max_open_indices as usize {
            return Err(Status::invalid_argument(format!(
                "1..={} rows",
                self.limits.max_open_indices
            )));
        }
        // Each row is a recomputation: no row twice.
        let mut distinct = r.indices.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() != r.indices.len() {
            return Err(Status::invalid_argument("a row asked twice"));
        }
        let body = body_open(&r.session, &r.indices);
        let verifier = self.gate(Kind::ThroughputOpen, r.auth.as_ref(), &body)?;
        // One opening per session: the verifier's rows are final.
        let pending = self.sessions.take(&id, &verifier, |p| match p {
            Pending::Throughput { shape, .. }
                if r.indices.iter().any(|&i| i >= u64::from(shape.m)) =>
            {
                Err(Status::invalid_argument("row out of range"))
            }
            Pending::Throughput { .. } => Ok(()),
            Pending::Timed { .. } => Err(Status::not_found("not a throughput session")),
        })?;
        let Pending::Throughput { seed, shape, tree } = pending else {
            return Err(Status::not_found("not a throughput session"));
        };
        // Recomputing the rows costs B's generation and k·n per row: a permit, like any work.
        let permit = self.permit(deadline).await?;
        let rows = r.indices;
        let opened = self
            .work(permit, deadline, move |cancel| {
                gemm::open(&seed, shape, &tree, &rows, cancel)
                    .ok_or_else(|| Status::deadline_exceeded("cancelled"))
            })
            .await?;
        Ok(pb::ThroughputOpening {
            rows: opened
                .into_iter()
                .map(|o| pb::RowOpening {
                    index: o.index,
                    row: o.row,
                    path: wire::hashes_to_bytes(&o.path),
                })
                .collect(),
        })
    }
}
