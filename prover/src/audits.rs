//! The device answers the audits of its own Passes. Any bonded verifier may audit a step of a
//! Pass's transcript; if nobody shows the step within the answer window, the Pass is voided and
//! the device loses the epoch it proved, whatever became of the verifier that passed it (offline,
//! slashed, or colluding with the auditor). The device signed the transcript and holds P, so it
//! can always recompute the step from the seed: this module does, and submits `AnswerAudit` with
//! a key of the miner's (`chain.audit_key_file`; any account may answer, the key only pays gas).
//!
//! An audit of a Pass's GEMM asks for one row of C as the device committed it: the device
//! computes C again on its card (waiting for the card, never taking it from a verifier's timed
//! GEMM), checks the root is the one it signed, and shows the row ([`answer_gemm`]).

use crate::config::Config;
use crate::state::ProverState;
use loopin::registry::{
    DeviceAudit, DeviceAuditsResponse, ExecuteMsg, QueryMsg, StepMsg, StepProofMsg,
};
use loopin_chain_client::ChainClient;
use loopin_pocps::merkle::Tree;
use loopin_pocps::transcript::{SignedTranscript, Transcript, judge_step};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod error;
mod gemm;
pub(crate) use error::hash32;
pub use error::{AuditError, NotAnswered};
pub use gemm::{GemmCard, answer_gemm, show_row};

/// Audits per page read from the registry.
const PAGE: u32 = 30;

/// How long an audit whose answer failed waits before it is computed again.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);

/// The answer to `audit`: the chain recomputed from its seed over this device's P, and the
/// audited step (with the next) opened under the transcript root the device signed. Refused
/// unless the recomputed transcript is the signed one and the step checks as the registry
/// judges it: a device whose P went bad since must not hand an auditor the proof of its own
/// fault (unanswered, the audit only voids the Pass; proven bad, it invalidates the device).
pub fn answer(state: &ProverState, audit: &DeviceAudit) -> Result<StepProofMsg, NotAnswered> {
    let seed = hash32(&audit.seed)?;
    let signed = SignedTranscript {
        rounds: audit.rounds,
        final_state: hash32(&audit.final_state)?,
        root: hash32(&audit.transcript_root)?,
    };
    if audit.round >= audit.rounds {
        return Err(NotAnswered::OutOfRange {
            round: audit.round,
            rounds: audit.rounds,
        });
    }
    let never = AtomicBool::new(false);
    let (blocks, _) = state
        .run_chain(&seed, audit.rounds, &never)
        .map_err(|_| NotAnswered::Unchecked("chain cancelled".into()))?;
    let transcript = Transcript::new(&seed, &blocks);
    if transcript.signed() != signed {
        return Err(NotAnswered::NotSigned);
    }
    let (step, next) = transcript
        .audit_answer(audit.round)
        .ok_or(NotAnswered::OutOfRange {
            round: audit.round,
            rounds: audit.rounds,
        })?;
    match judge_step(&state.commitment, &seed, &signed, &step, next.as_ref()) {
        Ok(None) => {}
        Ok(Some(fault)) => return Err(NotAnswered::OwnFault(fault.to_string())),
        Err(e) => return Err(NotAnswered::Unchecked(e.to_string())),
    }
    Ok(StepProofMsg {
        step: StepMsg::from(&step),
        next: next.as_ref().map(StepMsg::from),
    })
}

/// Reads the open audits of the device `token_id` and answers each.
pub struct AuditAnswerer {
    client: ChainClient,
    registry: String,
    token_id: String,
    state: Arc<ProverState>,
    card: Option<GemmCard>,
    /// Audits whose answer failed, and when to try them again (unix seconds).
    failed: Mutex<HashMap<(u64, String), u64>>,
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
            card: None,
            failed: Mutex::default(),
        }
    }

    /// Answers audits of the device's GEMM too, recomputing C on `card`.
    pub fn with_card(mut self, card: GemmCard) -> AuditAnswerer {
        self.card = Some(card);
        self
    }

    /// The answer to `audit`, computed off the runtime: a step from the chain over P, or a row
    /// of C from `trees` (C's row tree of each Pass, computed on the card once per pass over the
    /// audits, whatever number of its audits are open).
    async fn message(
        &self,
        audit: &DeviceAudit,
        trees: &mut HashMap<u64, Arc<Tree>>,
    ) -> Result<Result<ExecuteMsg, NotAnswered>, AuditError> {
        let (challenge_id, auditor) = (audit.challenge_id, audit.auditor.to_string());
        let Some(asked) = audit.gemm.clone() else {
            let (state, a) = (self.state.clone(), audit.clone());
            let proof = tokio::task::spawn_blocking(move || answer(&state, &a)).await?;
            return Ok(proof.map(|proof| ExecuteMsg::AnswerAudit {
                challenge_id,
                auditor,
                proof,
            }));
        };
        if asked.cells.is_none() {
            return Ok(Err(NotAnswered::NotDrawn));
        }
        let Some(card) = self.card.clone() else {
            return Ok(Err(NotAnswered::Unchecked(
                "an audit of the GEMM, and no card to recompute it on".into(),
            )));
        };
        let tree = match trees.get(&challenge_id) {
            Some(tree) => tree.clone(),
            None => match card.recompute(&asked).await? {
                Ok(tree) => {
                    let tree = Arc::new(tree);
                    trees.insert(challenge_id, tree.clone());
                    tree
                }
                Err(e) => return Ok(Err(e)),
            },
        };
        let row = tokio::task::spawn_blocking(move || show_row(&asked, &tree)).await?;
        Ok(row.map(|row| ExecuteMsg::AnswerGemmAudit {
            challenge_id,
            auditor,
            row,
        }))
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

    /// Answers every open audit once, the earliest deadline first; returns how many answers
    /// landed. An audit that could not be answered (its cells not drawn yet, a refused answer:
    /// its verifier answered first, the window closed, the account out of gas) is logged and
    /// left for a later pass; one refused or unanswerable waits [`RETRY_AFTER`] before it is
    /// recomputed.
    pub async fn answer_open(&self) -> Result<usize, AuditError> {
        let mut answered = 0;
        let now_s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut open = self.open().await?;
        open.sort_by_key(|a| a.deadline);
        let mut trees = HashMap::new();
        for audit in open {
            // Past its window it can only be finalized: no recompute for an answer refused.
            if audit.deadline.seconds() < now_s {
                continue;
            }
            let key = (audit.challenge_id, audit.auditor.to_string());
            if self.backoff(&key, now_s) {
                continue;
            }
            let msg = match self.message(&audit, &mut trees).await? {
                Ok(msg) => msg,
                Err(NotAnswered::NotDrawn) => continue,
                Err(e) => {
                    tracing::warn!(challenge_id = audit.challenge_id, error = %e, "not answering the audit");
                    self.retry_later(key, now_s);
                    continue;
                }
            };
            match self.client.execute(&self.registry, &msg, &[]).await {
                Ok(_) => {
                    answered += 1;
                    tracing::info!(challenge_id = audit.challenge_id, auditor = %audit.auditor, "audit answered");
                }
                Err(e) => {
                    tracing::info!(challenge_id = audit.challenge_id, error = %e, "audit answer refused");
                    self.retry_later(key, now_s);
                }
            }
        }
        Ok(answered)
    }

    /// Whether the audit `key` failed less than [`RETRY_AFTER`] ago (forgetting older failures).
    fn backoff(&self, key: &(u64, String), now_s: u64) -> bool {
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        failed.retain(|_, until| *until > now_s);
        failed.contains_key(key)
    }

    fn retry_later(&self, key: (u64, String), now_s: u64) {
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        failed.insert(key, now_s + RETRY_AFTER.as_secs());
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

/// Answers the audits of this device's Passes in the background (steps over `state`, GEMM rows
/// on `card`), signing with the key at `path` (`chain.audit_key_file`).
pub async fn spawn_answerer(
    c: &Config,
    path: &std::path::Path,
    state: Arc<ProverState>,
    card: GemmCard,
) -> Result<(), AuditError> {
    if c.chain.registry.is_empty() || c.chain.token_id.is_empty() {
        return Err(AuditError::NoRegistry);
    }
    let key =
        loopin_chain_client::Key::from_file(path, &c.chain.node.prefix).map_err(AuditError::Key)?;
    let client = ChainClient::connect(c.chain.node.clone(), key)
        .await
        .map_err(|error| AuditError::Connect {
            node: c.chain.node.grpc.clone(),
            error,
        })?;
    tracing::info!(signer = %client.address(), "answering the audits of this device's passes");
    AuditAnswerer::new(
        client,
        c.chain.registry.clone(),
        c.chain.token_id.clone(),
        state,
    )
    .with_card(card)
    .spawn(Duration::from_millis(c.chain.poll_ms.max(1000)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use crate::storage;
    use cosmwasm_std::{Addr, HexBinary, Timestamp};
    use loopin_pocps::encode::{Params, derive_ek};
    use loopin_pocps::merkle::Hash;

    fn state(dir: &std::path::Path) -> ProverState {
        let ek = derive_ek(b"audits", "miner", "pool", b"r");
        storage::init(dir, ek, &Params::TEST, &CpuBackend, 1, &mut |_, _| true).unwrap();
        let key = k256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        ProverState::from_loaded(storage::load(dir).unwrap(), key)
    }

    fn audit_of(seed: Hash, signed: SignedTranscript, round: u32) -> DeviceAudit {
        DeviceAudit {
            challenge_id: 1,
            auditor: Addr::unchecked("auditor"),
            round,
            deadline: Timestamp::from_seconds(0),
            seed: HexBinary::from(seed),
            rounds: signed.rounds,
            final_state: HexBinary::from(signed.final_state),
            transcript_root: HexBinary::from(signed.root),
            gemm: None,
        }
    }

    #[test]
    fn the_device_answers_only_steps_of_the_transcript_it_signed_and_only_right_ones() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path());
        let seed = [4u8; 32];
        let never = AtomicBool::new(false);
        let (blocks, _) = state.run_chain(&seed, 64, &never).unwrap();
        let signed = Transcript::new(&seed, &blocks).signed();
        // Its own transcript: the answer is the step the registry judges right.
        let proof = answer(&state, &audit_of(seed, signed, 17)).unwrap();
        assert_eq!(proof.step.round, 17);
        // A transcript it did not sign (another root), and a step past R: no answer.
        let other = SignedTranscript {
            root: [1u8; 32],
            ..signed
        };
        assert_eq!(
            answer(&state, &audit_of(seed, other, 17)),
            Err(NotAnswered::NotSigned)
        );
        assert_eq!(
            answer(&state, &audit_of(seed, signed, 64)),
            Err(NotAnswered::OutOfRange {
                round: 64,
                rounds: 64
            })
        );
        // It signed a transcript with a bad read (as a device whose P went bad would): the
        // recomputed one differs, and it does not hand over the proof of its own fault.
        let mut bad = blocks.clone();
        bad[17] ^= 1;
        let signed_bad = Transcript::new(&seed, &bad).signed();
        assert_eq!(
            answer(&state, &audit_of(seed, signed_bad, 17)),
            Err(NotAnswered::NotSigned)
        );
    }

    #[test]
    fn a_device_whose_p_went_bad_does_not_prove_its_own_fault() {
        let dir = tempfile::tempdir().unwrap();
        let good = state(dir.path());
        let seed = [5u8; 32];
        let never = AtomicBool::new(false);
        // The same P with one block flipped in memory, under the same commitment: what the
        // device reads, and signed a transcript of, is no longer its encoding.
        let loaded = storage::load(dir.path()).unwrap();
        let (blocks, _) = good.run_chain(&seed, 64, &never).unwrap();
        let read = loopin_pocps::timed::position(&seed, good.source.len());
        let mut p = loaded.prover.blocks.clone();
        p[read as usize] ^= 1;
        let key = k256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let bad = ProverState::new(
            loaded.prover.params,
            loaded.ek,
            loaded.prover.tree.clone(),
            Box::new(crate::state::Resident(p)),
            key,
        );
        let (bad_blocks, _) = bad.run_chain(&seed, 64, &never).unwrap();
        assert_ne!(bad_blocks, blocks);
        let signed = Transcript::new(&seed, &bad_blocks).signed();
        // Step 0 read the flipped block: a bad step the device signed. It is not answered.
        assert!(matches!(
            answer(&bad, &audit_of(seed, signed, 0)),
            Err(NotAnswered::OwnFault(_))
        ));
    }
}
