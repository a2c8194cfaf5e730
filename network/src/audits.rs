//! Audits by the scenario's verifier agents (docs/registry.md, "Audits"): each keeps the
//! transcripts of the chains it passed and shows any audited step of them; and each round it
//! audits a recent Pass by another verifier, a step of its timed chain or, every other time, its
//! GEMM (a row the beacon draws, which the device's prover answers, recomputing C), finalizing
//! an audit nobody answered.

use crate::actors::{Actor, derived};
use crate::error::Result;
use loopin::registry::{
    ChallengeResponse, ChallengeStatus, DeviceAuditsResponse, ExecuteMsg, QueryMsg, StepProofMsg,
};
use loopin_pocps::transcript::Transcript;
use serde::Serialize;
use std::collections::HashSet;

/// Challenge ids below the newest one an agent looks through for a Pass to audit.
const LOOK_BACK: u64 = 12;

/// What an agent's audits came to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditStats {
    /// Audits it opened of others' Passes.
    pub opened: u64,
    /// Of those, audits of a Pass's GEMM (a row of C).
    pub gemm_opened: u64,
    /// Audits it opened that someone (the Pass's verifier, or the device) answered right.
    pub shown: u64,
    /// Of those, audits of a GEMM row.
    pub gemm_shown: u64,
    /// Audits of its own Passes it answered with the step.
    pub answered: u64,
    /// Its audits that voided a Pass (a bad step, or nobody answered).
    pub voided: u64,
    /// Audits or answers the registry refused, and the last refusal's text.
    pub refused: u64,
    pub last_refusal: Option<String>,
    /// Rounds in which it looked for a Pass to audit and found none still auditable.
    pub nothing_to_audit: u64,
}

impl AuditStats {
    /// Several agents' stats, summed (with the last refusal any of them saw).
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a AuditStats>) -> AuditStats {
        let mut sum = AuditStats::default();
        for s in all {
            sum.opened += s.opened;
            sum.gemm_opened += s.gemm_opened;
            sum.shown += s.shown;
            sum.gemm_shown += s.gemm_shown;
            sum.answered += s.answered;
            sum.voided += s.voided;
            sum.refused += s.refused;
            sum.nothing_to_audit += s.nothing_to_audit;
            if s.last_refusal.is_some() {
                sum.last_refusal.clone_from(&s.last_refusal);
            }
        }
        sum
    }

    /// The line the main job prints.
    pub fn summary(&self) -> String {
        format!(
            "audits of passes: {} opened ({} of a GEMM row), {} shown right ({} GEMM rows, answered by the devices), {} voided; the verifiers answered {} with the step",
            self.opened, self.gemm_opened, self.shown, self.gemm_shown, self.voided, self.answered
        )
    }
}

/// A Pass the agent submitted: what it answers audits of it with.
struct Kept {
    id: u64,
    transcript: Transcript,
}

/// An agent's audit state.
#[derive(Default)]
pub struct Audits {
    kept: Vec<Kept>,
    audited: HashSet<u64>,
    /// Its open audits: the challenge, and whether of its GEMM.
    open: Vec<(u64, bool)>,
    pub stats: AuditStats,
}

async fn challenge(actor: &Actor, registry: &str, id: u64) -> Result<ChallengeResponse> {
    Ok(actor
        .client
        .query_smart(registry, &QueryMsg::Challenge { challenge_id: id })
        .await?)
}

/// Waits, at most `within`, until no audit of the devices `token_ids` is open: the devices'
/// provers answer in the background, and the scenario moves the chain's clock a whole beacon
/// round (the devnet's answer window) at a time, which a prover on a real chain would have
/// minutes to hours of. Whatever is still open after `within` is left to lapse.
pub async fn await_device_answers(
    actor: &Actor,
    registry: &str,
    token_ids: &[String],
    within: std::time::Duration,
) {
    let until = tokio::time::Instant::now() + within;
    for token_id in token_ids {
        loop {
            let open: Result<DeviceAuditsResponse, _> = actor
                .client
                .query_smart(
                    registry,
                    &QueryMsg::DeviceAudits {
                        token_id: token_id.clone(),
                        start_after: None,
                        limit: None,
                    },
                )
                .await;
            // A GEMM audit whose cells are not drawn yet cannot be answered this round.
            let answered = open
                .map(|o| {
                    o.audits
                        .iter()
                        .all(|a| a.gemm.as_ref().is_some_and(|g| g.cells.is_none()))
                })
                .unwrap_or(true);
            if answered || tokio::time::Instant::now() >= until {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

async fn now(actor: &Actor) -> Result<u64> {
    Ok(actor.client.latest_block().await?.1.max(0) as u64)
}

impl Audits {
    /// Keeps the transcript of Pass `id` for its audits.
    pub fn keep(&mut self, id: u64, transcript: Transcript) {
        self.kept.push(Kept { id, transcript });
    }

    /// Shows the step of every open audit of a kept Pass; drops Passes no longer auditable.
    pub async fn answer(&mut self, actor: &Actor, registry: &str) -> Result<()> {
        let now = now(actor).await?;
        let mut still = Vec::new();
        for kept in std::mem::take(&mut self.kept) {
            // A challenge that cannot be read now is kept, to be answered next round: a lost
            // transcript is a bond lost to the next audit.
            let Ok(c) = challenge(actor, registry, kept.id).await else {
                still.push(kept);
                continue;
            };
            let Some(pass) = &c.pass else { continue };
            let auditable =
                c.status == ChallengeStatus::Passed && pass.audit_until.seconds() >= now;
            if !auditable && c.audits.is_empty() {
                continue;
            }
            // A row of the GEMM only the device can show (it recomputes C on its card).
            for audit in c.audits.iter().filter(|a| a.gemm.is_none()) {
                let Some(proof) = StepProofMsg::from_transcript(&kept.transcript, audit.round)
                else {
                    continue;
                };
                let answer = ExecuteMsg::AnswerAudit {
                    challenge_id: kept.id,
                    auditor: audit.auditor.to_string(),
                    proof,
                };
                match actor.client.execute(registry, &answer, &[]).await {
                    Ok(_) => self.stats.answered += 1,
                    Err(e) => {
                        tracing::warn!(verifier = %actor.name, id = kept.id, error = %e, "audit answer refused");
                        self.stats.refused += 1;
                        self.stats.last_refusal = Some(e.to_string());
                    }
                }
            }
            still.push(kept);
        }
        self.kept = still;
        Ok(())
    }

    /// Audits a random step of a recent, still auditable Pass by another verifier (ids up to
    /// `newest`), once a round: an agent's challenges run in a cycle of a few rounds, and
    /// auditing every third round could stay in phase with it and only ever meet Passes whose
    /// audit window (three rounds on the devnet) had just closed, as a run of the whole suite
    /// showed (0 audits opened). Finalizes its own audits nobody answered in time.
    pub async fn audit(
        &mut self,
        actor: &Actor,
        registry: &str,
        newest: u64,
        seed: u64,
    ) -> Result<()> {
        let now = now(actor).await?;
        self.follow_open(actor, registry, now).await;
        self.open_one(actor, registry, newest, seed, now).await;
        Ok(())
    }

    /// Tallies the agent's open audits: voided, answered right, or past their deadline unanswered
    /// (finalized, which voids the Pass); the rest stay open.
    async fn follow_open(&mut self, actor: &Actor, registry: &str, now: u64) {
        let mut open = Vec::new();
        for (id, gemm) in std::mem::take(&mut self.open) {
            let Ok(c) = challenge(actor, registry, id).await else {
                open.push((id, gemm));
                continue;
            };
            let mine = c
                .audits
                .iter()
                .find(|a| a.auditor.as_str() == actor.address());
            match (c.status, mine) {
                (ChallengeStatus::Voided, _) => self.stats.voided += 1,
                (_, Some(a)) if a.deadline.seconds() < now => {
                    let finalize = ExecuteMsg::FinalizeAudit {
                        challenge_id: id,
                        auditor: actor.address(),
                    };
                    if actor.client.execute(registry, &finalize, &[]).await.is_ok() {
                        self.stats.voided += 1;
                    }
                }
                (_, Some(_)) => open.push((id, gemm)),
                // No longer open and the Pass stands: answered right.
                (_, None) => {
                    self.stats.shown += 1;
                    self.stats.gemm_shown += u64::from(gemm);
                }
            }
        }
        self.open = open;
    }

    /// Opens one audit of a still auditable Pass by another verifier among the newest
    /// challenges, or counts a round with nothing to audit.
    async fn open_one(&mut self, actor: &Actor, registry: &str, newest: u64, seed: u64, now: u64) {
        for id in (newest.saturating_sub(LOOK_BACK)..=newest).rev() {
            if self.audited.contains(&id) {
                continue;
            }
            let Ok(c) = challenge(actor, registry, id).await else {
                continue;
            };
            let Some(pass) = &c.pass else { continue };
            if c.status != ChallengeStatus::Passed
                || c.verifier.as_str() == actor.address()
                || pass.audit_until.seconds() <= now
            {
                continue;
            }
            let draw = derived(&format!("{}/audit", actor.address()), seed);
            let pick = |at: usize, below: u64| {
                u64::from_le_bytes(draw[at..at + 8].try_into().unwrap_or_default()) % below.max(1)
            };
            // Every other audit of a Pass with a GEMM asks for a row of it (the beacon draws
            // which).
            let gemm = pass.gemm_root.is_some() && draw[24] & 1 == 1;
            let audit = if gemm {
                ExecuteMsg::AuditGemm {
                    challenge_id: id,
                    proof: None,
                }
            } else {
                ExecuteMsg::Audit {
                    challenge_id: id,
                    round: pick(0, u64::from(pass.rounds)) as u32,
                    proof: None,
                }
            };
            self.audited.insert(id);
            match actor.client.execute(registry, &audit, &[]).await {
                Ok(_) => {
                    self.stats.opened += 1;
                    self.stats.gemm_opened += u64::from(gemm);
                    self.open.push((id, gemm));
                    tracing::info!(verifier = %actor.name, id, gemm, "audit opened");
                }
                Err(e) => {
                    tracing::info!(verifier = %actor.name, id, error = %e, "audit refused");
                    self.stats.refused += 1;
                    self.stats.last_refusal = Some(e.to_string());
                }
            }
            return;
        }
        self.stats.nothing_to_audit += 1;
    }
}
