//! The device answers the audits of its own Passes. Any bonded verifier may audit a step of a
//! Pass's transcript; if nobody shows the step within the answer window, the Pass is voided and
//! the device loses the epoch it proved, whatever became of the verifier that passed it (offline,
//! slashed, or colluding with the auditor). The device signed the transcript and holds P, so it
//! can always recompute the step from the seed: this module does, and submits `AnswerAudit` with
//! a key of the miner's (`chain.audit_key_file`; any account may answer, the key only pays gas).

use crate::state::ProverState;
use loopin::registry::{DeviceAudit, DeviceAuditsResponse, ExecuteMsg, QueryMsg, StepProofMsg};
use loopin_chain_client::{ChainClient, ClientError};
use loopin_pocps::merkle::Hash;
use loopin_pocps::transcript::Transcript;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Audits per page read from the registry.
const PAGE: u32 = 30;

/// Why a pass over the device's audits stopped.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("reading the device's audits: {0}")]
    Chain(#[from] ClientError),
    #[error("recomputing a step: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The answer to `audit`: the chain recomputed from its seed over this device's P, and the
/// audited step (with the next) opened under the transcript root the device signed.
pub fn answer(state: &ProverState, audit: &DeviceAudit) -> Result<StepProofMsg, String> {
    let seed: Hash = audit.seed.as_slice().try_into().map_err(|_| {
        format!(
            "challenge {}: seed of {} bytes",
            audit.challenge_id,
            audit.seed.len()
        )
    })?;
    let never = AtomicBool::new(false);
    let (blocks, _) = state
        .run_chain(&seed, audit.rounds, &never)
        .map_err(|_| "chain cancelled".to_string())?;
    let transcript = Transcript::new(&seed, &blocks);
    StepProofMsg::from_transcript(&transcript, audit.round).ok_or_else(|| {
        format!(
            "challenge {}: step {} is outside its {} reads",
            audit.challenge_id, audit.round, audit.rounds
        )
    })
}

/// Reads the open audits of the device `token_id` and answers each.
pub struct AuditAnswerer {
    client: ChainClient,
    registry: String,
    token_id: String,
    state: Arc<ProverState>,
}

impl AuditAnswerer {
    pub fn new(
        client: ChainClient,
        registry: String,
        token_id: String,
        state: Arc<ProverState>,
    ) -> AuditAnswerer {
        AuditAnswerer {
            client,
            registry,
            token_id,
            state,
        }
    }

    /// Every open audit of the device's Passes.
    pub async fn open(&self) -> Result<Vec<DeviceAudit>, AuditError> {
        let mut out = Vec::new();
        let mut start_after = None;
        loop {
            let page: DeviceAuditsResponse = self
                .client
                .query_smart(
                    &self.registry,
                    &QueryMsg::DeviceAudits {
                        token_id: self.token_id.clone(),
                        start_after: start_after.clone(),
                        limit: Some(PAGE),
                    },
                )
                .await?;
            let full = page.audits.len() == PAGE as usize;
            start_after = page
                .audits
                .last()
                .map(|a| (a.challenge_id, a.auditor.to_string()));
            out.extend(page.audits);
            if !full {
                return Ok(out);
            }
        }
    }

    /// Answers every open audit once; returns how many answers landed. An answer refused (its
    /// verifier answered first, the window closed) is logged and skipped.
    pub async fn answer_open(&self) -> Result<usize, AuditError> {
        let mut answered = 0;
        for audit in self.open().await? {
            let state = self.state.clone();
            let a = audit.clone();
            let proof = match tokio::task::spawn_blocking(move || answer(&state, &a)).await? {
                Ok(proof) => proof,
                Err(e) => {
                    tracing::warn!(challenge_id = audit.challenge_id, error = %e, "cannot answer the audit");
                    continue;
                }
            };
            let msg = ExecuteMsg::AnswerAudit {
                challenge_id: audit.challenge_id,
                auditor: audit.auditor.to_string(),
                proof,
            };
            match self.client.execute(&self.registry, &msg, &[]).await {
                Ok(_) => {
                    answered += 1;
                    tracing::info!(challenge_id = audit.challenge_id, auditor = %audit.auditor, "audit answered");
                }
                Err(e) => {
                    tracing::info!(challenge_id = audit.challenge_id, error = %e, "audit answer refused")
                }
            }
        }
        Ok(answered)
    }

    /// Answers open audits every `interval` until the runtime stops or the handle is aborted.
    pub fn spawn(self, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.answer_open().await {
                    tracing::warn!(error = %e, "reading the device's audits failed; retrying");
                }
            }
        })
    }
}
