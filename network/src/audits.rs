//! Audits by the scenario's verifier agents (docs/registry.md, "Audits"): each keeps the
//! transcripts of the chains it passed and shows any audited step of them; and each round it
//! audits a step of a recent Pass by another verifier, finalizing an audit nobody answered.

use crate::actors::{Actor, derived};
use loopin::registry::{ChallengeResponse, ChallengeStatus, ExecuteMsg, QueryMsg, StepProofMsg};
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
            "audits of passes: {} opened, {} answered with the step, {} voided",
            self.opened, self.answered, self.voided
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
    open: Vec<u64>,
    pub stats: AuditStats,
}

async fn challenge(actor: &Actor, registry: &str, id: u64) -> anyhow::Result<ChallengeResponse> {
    Ok(actor
        .client
        .query_smart(registry, &QueryMsg::Challenge { challenge_id: id })
        .await?)
}

async fn now(actor: &Actor) -> anyhow::Result<u64> {
    Ok(actor.client.latest_block().await?.1.max(0) as u64)
}

impl Audits {
    /// Keeps the transcript of Pass `id` for its audits.
    pub fn keep(&mut self, id: u64, transcript: Transcript) {
        self.kept.push(Kept { id, transcript });
    }

    /// Shows the step of every open audit of a kept Pass; drops Passes no longer auditable.
    pub async fn answer(&mut self, actor: &Actor, registry: &str) -> anyhow::Result<()> {
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
            for audit in &c.audits {
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
    ) -> anyhow::Result<()> {
        let now = now(actor).await?;
        let mut open = Vec::new();
        for id in std::mem::take(&mut self.open) {
            let Ok(c) = challenge(actor, registry, id).await else {
                open.push(id);
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
                (_, Some(_)) => open.push(id),
                (_, None) => {}
            }
        }
        self.open = open;
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
            let round = (u64::from_le_bytes(
                derived(&format!("{}/audit", actor.address()), seed)[..8]
                    .try_into()
                    .unwrap_or_default(),
            ) % u64::from(pass.rounds.max(1))) as u32;
            let audit = ExecuteMsg::Audit {
                challenge_id: id,
                round,
                proof: None,
            };
            self.audited.insert(id);
            match actor.client.execute(registry, &audit, &[]).await {
                Ok(_) => {
                    self.stats.opened += 1;
                    self.open.push(id);
                    tracing::info!(verifier = %actor.name, id, round, "audit opened");
                }
                Err(e) => {
                    tracing::info!(verifier = %actor.name, id, error = %e, "audit refused");
                    self.stats.refused += 1;
                    self.stats.last_refusal = Some(e.to_string());
                }
            }
            return Ok(());
        }
        self.stats.nothing_to_audit += 1;
        Ok(())
    }
}
