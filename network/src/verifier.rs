//! A verifier agent: bonds, registers its challenge key, contributes to the entropy beacon,
//! opens challenges, has them assigned, challenges the drawn device's prover with its committed
//! secret and submits the verdict on chain.
//!
//! Its work is split by beacon round: [`VerifierAgent::duties`] (reveal last round's entropy,
//! commit this round's, open or assign its challenge) and [`VerifierAgent::check`] (challenge
//! the assigned device and submit), run once a prover had time to read its new assignments.

use crate::actors::{Actor, wasm_attr};
use crate::audits::Audits;
use crate::error::{NetworkError, Result};
use cosmwasm_std::HexBinary;
use k256::ecdsa::SigningKey;
use loopin::registry::{
    AppealDutiesResponse, ChallengeResponse, ChallengeStatus, ConfigResponse, DeviceResponse,
    ExecuteMsg, QueryMsg, ReceiveMsg, RegistrySettings, SweepDutiesResponse,
};
use loopin_pocps::challenge::commit_secret;
use loopin_pocps::sig::{challenge_key_message, k256_sign};
use loopin_prover::auth::pubkey_bytes;
use loopin_prover::metrics::Metrics;
use loopin_prover::onchain::{Submission, device_commitment, submission};
use loopin_prover::verifier::{
    Outcome, Spec, Target, ThroughputSpec, Verdict as VerdictRecord, Verifier,
};
use serde::Serialize;
use std::collections::HashSet;

/// Chained reads R of the scenario's timed challenges (test parameters: an honest CPU prover
/// answers in milliseconds, a regenerating one needs seconds).
pub const CHAIN_ROUNDS: u32 = 8192;
/// Spot openings s of the timed challenges (phase 2, chosen by a nonce drawn after the commit).
pub const SPOTS: u32 = 128;

/// How long a verifier waits between reading its drawn sweeps and asking them: a sweep gets
/// no second try, so its prover must have read the draw (provers poll their assignments at
/// least once a second by default, `chain.poll_ms`).
const SWEEP_ASK_DELAY: std::time::Duration = std::time::Duration::from_secs(2);

/// One challenge checked and submitted.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    pub challenge_id: u64,
    pub verifier: String,
    pub target: String,
    pub outcome: Outcome,
    pub rtt_ms: Option<f64>,
    /// Drawn for the device's appeal.
    pub appeal: bool,
    /// Drawn for the device's sweep of this window (its class's GEMM, asked at the window's
    /// start).
    pub sweep: Option<u64>,
    /// The GEMM throughput part, when the device's class asks one and the timed part passed.
    pub throughput: Option<Outcome>,
    /// Time to its signed root, ms.
    pub throughput_ms: Option<f64>,
    /// What the registry did with the verdict (its `outcome` attribute, or the error).
    pub on_chain: String,
}

/// What running a challenge came to.
enum Ran {
    /// The challenge is not (or no longer) assigned: nothing to run now.
    NotAssigned,
    /// Refused as not assigned, for the first time: asked again next round.
    Retry,
    /// Submitted (the record), or nothing to submit.
    Done(Option<Checked>),
}

/// A bonded verifier taking part in the scenario.
pub struct VerifierAgent {
    pub actor: Actor,
    registry: String,
    client: Verifier,
    counter: u64,
    /// Entropy committed in the previous round, revealed in this one.
    entropy: Option<[u8; 32]>,
    /// Its open challenge and the secret committed for it.
    challenge: Option<(u64, [u8; 32])>,
    /// The challenges its prover has refused once as not assigned (asked again one round
    /// later; a second refusal is no answer).
    refused: HashSet<u64>,
    /// The newest challenge id it opened: where it looks for Passes to audit.
    newest: u64,
    /// Its audits of others' Passes and the transcripts of its own.
    pub audits: Audits,
}

impl VerifierAgent {
    /// Bonds the registry's minimum and registers the challenge key `challenge_key`.
    pub async fn join(
        actor: Actor,
        token: &str,
        registry: &str,
        challenge_key: SigningKey,
    ) -> Result<VerifierAgent> {
        let config: ConfigResponse = actor
            .client
            .query_smart(registry, &QueryMsg::Config {})
            .await?;
        actor
            .send_loop(
                token,
                registry,
                // Twice the minimum: audit fees (0.5 % of the bond each, one audit a round)
                // come out of the bond; what it is paid for answering comes to its account.
                config.settings.min_bond.u128() * 2,
                &ReceiveMsg::Bond {},
            )
            .await
            .map_err(|source| NetworkError::Bond {
                verifier: actor.name.clone(),
                source: Box::new(source),
            })?;
        let pubkey = pubkey_bytes(&challenge_key);
        let message = challenge_key_message(registry, &actor.address(), &pubkey);
        let register = ExecuteMsg::SetChallengeKey {
            pubkey: HexBinary::from(pubkey),
            signature: HexBinary::from(k256_sign(&challenge_key, &message)),
        };
        actor
            .client
            .execute(registry, &register, &[])
            .await
            .map_err(|source| NetworkError::ChallengeKey {
                verifier: actor.name.clone(),
                source: Box::new(source),
            })?;
        Ok(VerifierAgent {
            actor,
            registry: registry.to_string(),
            client: Verifier::new(challenge_key, Metrics::new()),
            counter: 0,
            entropy: None,
            challenge: None,
            refused: HashSet::new(),
            newest: 0,
            audits: Audits::default(),
        })
    }

    /// A secret (a challenge's, an entropy contribution's) from the OS: a prover that could
    /// guess it from its hash on chain would know its seeds before it is asked (review).
    fn fresh(&mut self) -> [u8; 32] {
        self.counter += 1;
        loopin_prover::auth::random_bytes()
    }

    async fn exec(&self, msg: &ExecuteMsg) -> Result<loopin_chain_client::TxResult> {
        Ok(self.actor.client.execute(&self.registry, msg, &[]).await?)
    }

    async fn challenge_state(&self, id: u64) -> Result<ChallengeResponse> {
        Ok(self
            .actor
            .client
            .query_smart(&self.registry, &QueryMsg::Challenge { challenge_id: id })
            .await?)
    }

    /// This round's duties: reveal and commit entropy, open a challenge or get it assigned.
    pub async fn duties(&mut self) -> Result<()> {
        let seed = self.counter;
        if let Err(e) = self
            .audits
            .audit(&self.actor, &self.registry, self.newest, seed)
            .await
        {
            tracing::warn!(verifier = %self.actor.name, error = %e, "audit failed");
        }
        if let Some(secret) = self.entropy.take() {
            let reveal = ExecuteMsg::RevealEntropy {
                secret: HexBinary::from(secret.to_vec()),
            };
            if let Err(e) = self.exec(&reveal).await {
                tracing::warn!(verifier = %self.actor.name, error = %e, "reveal failed");
            }
        }
        let secret = self.fresh();
        let commit = ExecuteMsg::CommitEntropy {
            hash: HexBinary::from(commit_secret(&secret)),
        };
        match self.exec(&commit).await {
            Ok(_) => self.entropy = Some(secret),
            Err(e) => {
                tracing::warn!(verifier = %self.actor.name, error = %e, "entropy commit failed")
            }
        }
        // This round's sweeps, drawn now so that their provers have read them when asked.
        if let Err(e) = self.sweep_duties(true).await {
            tracing::warn!(verifier = %self.actor.name, error = %e, "sweep duties failed");
        }
        match self.challenge {
            None => {
                let secret = self.fresh();
                let tx = self
                    .exec(&ExecuteMsg::Commit {
                        secret_hash: HexBinary::from(commit_secret(&secret)),
                    })
                    .await?;
                let id: u64 = wasm_attr(&tx, "challenge_id")?.parse()?;
                self.newest = self.newest.max(id);
                self.challenge = Some((id, secret));
            }
            Some((id, _)) => match self.challenge_state(id).await?.status {
                ChallengeStatus::Committed => {
                    if let Err(e) = self.exec(&ExecuteMsg::Assign { challenge_id: id }).await {
                        let text = e.to_string();
                        // Waiting for a final round with the entropy quorum is normal.
                        if !text.contains("no final beacon round") {
                            tracing::info!(verifier = %self.actor.name, id, error = %text, "not assigned; expiring");
                            let _ = self.exec(&ExecuteMsg::Expire { challenge_id: id }).await;
                            self.challenge = None;
                        }
                    }
                }
                ChallengeStatus::Assigned => {}
                _ => self.challenge = None,
            },
        }
        Ok(())
    }

    /// Challenges the device of its assigned challenge, and of every appeal challenge it was
    /// drawn for, and submits the verdicts.
    pub async fn check(&mut self, settings: &RegistrySettings) -> Result<Vec<Checked>> {
        // Audits of its Passes first: their answer windows are short.
        if let Err(e) = self.audits.answer(&self.actor, &self.registry).await {
            tracing::warn!(verifier = %self.actor.name, error = %e, "answering audits failed");
        }
        let mut checked = vec![];
        // Appeal challenges: drawn, not committed, so the secret is chosen now.
        let duties: AppealDutiesResponse = self
            .actor
            .client
            .query_smart(
                &self.registry,
                &QueryMsg::AppealDuties {
                    verifier: self.actor.address(),
                    start_after: None,
                    limit: None,
                },
            )
            .await?;
        for duty in duties.duties {
            let secret = self.fresh();
            match self.run(settings, duty.challenge_id, secret).await? {
                Ran::NotAssigned | Ran::Retry | Ran::Done(None) => {}
                Ran::Done(Some(mut c)) => {
                    c.appeal = true;
                    checked.push(c);
                }
            }
        }
        checked.extend(self.sweeps(settings).await?);
        if let Some((id, secret)) = self.challenge {
            match self.run(settings, id, secret).await? {
                // Still waiting for its randomness (duties assign it), or refused once.
                Ran::NotAssigned | Ran::Retry => {}
                Ran::Done(c) => {
                    self.challenge = None;
                    checked.extend(c);
                }
            }
        }
        Ok(checked)
    }

    /// The current windows' sweeps the beacon drew it for: their ids, each drawn on chain
    /// unless someone did already. Drawn with the round's duties, so that the provers have read
    /// the assignment when [`Self::check`] asks.
    async fn sweep_duties(&mut self, draw: bool) -> Result<Vec<u64>> {
        let mut ids = vec![];
        let mut start_after = None;
        loop {
            let page: SweepDutiesResponse = self
                .actor
                .client
                .query_smart(
                    &self.registry,
                    &QueryMsg::SweepDuties {
                        verifier: self.actor.address(),
                        start_after: start_after.clone(),
                        limit: None,
                    },
                )
                .await?;
            for duty in page.duties {
                match duty.challenge_id {
                    Some(id) => ids.push(id),
                    None if draw => {
                        let msg = ExecuteMsg::DrawSweep {
                            token_id: duty.token_id.clone(),
                            window: duty.window,
                        };
                        match self.exec(&msg).await {
                            Ok(tx) => ids.push(wasm_attr(&tx, "challenge_id")?.parse()?),
                            Err(e) => {
                                tracing::info!(verifier = %self.actor.name, token_id = %duty.token_id, window = duty.window, error = %e, "sweep not drawn");
                            }
                        }
                    }
                    None => {}
                }
            }
            match page.last_scanned {
                Some(last) => start_after = Some(last),
                None => break,
            }
        }
        Ok(ids)
    }

    /// Asks every sweep it was drawn for and has not answered, all at once (one card answering
    /// for several identities is asked for all of them together), and submits the verdicts. A
    /// sweep gets no second try: a prover that refuses it has not answered.
    async fn sweeps(&mut self, settings: &RegistrySettings) -> Result<Vec<Checked>> {
        let mut prepared = vec![];
        for id in self.sweep_duties(false).await? {
            self.newest = self.newest.max(id);
            let secret = self.fresh();
            // One device's bad record (an endpoint that does not parse) must not cost the others
            // their sweeps.
            match self.prepare(settings, id, secret).await {
                Ok(p) => prepared.extend(p),
                Err(e) => {
                    tracing::warn!(verifier = %self.actor.name, id, error = %e, "sweep not asked")
                }
            }
        }
        if prepared.is_empty() {
            return Ok(vec![]);
        }
        // A prover learns of a sweep by polling its assignments (at least once a second by
        // default): whoever drew it, the verifier asks no sooner than this after reading it.
        tokio::time::sleep(SWEEP_ASK_DELAY).await;
        let client = &self.client;
        let records = futures::future::join_all(
            prepared
                .iter()
                .map(|p| client.challenge(&p.prover, &p.spec)),
        )
        .await;
        let mut checked = vec![];
        for (p, record) in prepared.into_iter().zip(records) {
            if let Ran::Done(Some(c)) = self.conclude(p, record).await? {
                checked.push(c);
            }
        }
        Ok(checked)
    }

    /// Challenges the device of challenge `id` with `secret` and submits the verdict, if the
    /// challenge is still assigned.
    async fn run(&mut self, settings: &RegistrySettings, id: u64, secret: [u8; 32]) -> Result<Ran> {
        let Some(p) = self.prepare(settings, id, secret).await? else {
            return Ok(Ran::NotAssigned);
        };
        let record = self.client.challenge(&p.prover, &p.spec).await;
        self.conclude(p, record).await
    }

    /// What challenging the device of challenge `id` takes, if the challenge is still assigned.
    async fn prepare(
        &self,
        settings: &RegistrySettings,
        id: u64,
        secret: [u8; 32],
    ) -> Result<Option<Prepared>> {
        let state = self.challenge_state(id).await?;
        let (ChallengeStatus::Assigned, Some(target), Some(randomness)) =
            (state.status, state.target, state.randomness)
        else {
            return Ok(None);
        };
        let device: DeviceResponse = self
            .actor
            .client
            .query_smart(
                &self.registry,
                &QueryMsg::Device {
                    token_id: target.clone(),
                },
            )
            .await?;
        let commitment = device_commitment(&device).map_err(NetworkError::DeviceCommitment)?;
        let spec = Spec {
            chain_rounds: CHAIN_ROUNDS,
            spots: SPOTS,
            openings: settings.openings_per_round,
            deadline_ms: settings.deadline_ms,
            rtt_factor: settings.rtt_factor,
            max_deadline_ms: settings.max_deadline_ms,
            randomness: randomness.to_vec(),
            secret: Some(secret),
            // The device's class's GEMM challenge, asked with the timed one when this challenge
            // carries it (a swept class's: its sweeps and appeals only; a sweep's, once and
            // first).
            throughput: device
                .gemm
                .as_ref()
                .filter(|g| g.asked_in(state.sweep.is_some(), state.appeal))
                .map(|g| ThroughputSpec {
                    once: state.sweep.is_some(),
                    ..ThroughputSpec::from(g)
                }),
            // The retry after a refusal gets a seed the prover has not seen.
            attempt: u32::from(self.refused.contains(&id)),
        };
        let prover =
            Target::new(&device.endpoint, commitment.clone()).map_err(NetworkError::Target)?;
        Ok(Some(Prepared {
            id,
            secret,
            target,
            spec,
            prover,
            commitment,
            sweep: state.sweep,
        }))
    }

    /// Submits the verdict of `record`, the answer to the challenge `p` asked.
    async fn conclude(&mut self, p: Prepared, mut record: VerdictRecord) -> Result<Ran> {
        let id = p.id;
        // A sweep gets no second try: its refusal is no answer.
        let refused_before = self.refused.contains(&id) || p.sweep.is_some();
        let verdict = match submission(&record, &p.commitment, refused_before) {
            Submission::Retry => {
                // The prover may not have read the assignment yet: once, try again next round.
                self.refused.insert(id);
                return Ok(Ran::Retry);
            }
            Submission::Submit(v) => v,
            Submission::Nothing(e) => {
                tracing::warn!(verifier = %self.actor.name, id, error = %e, "nothing provable to submit");
                return Ok(Ran::Done(None));
            }
        };
        let passed = matches!(verdict, loopin::registry::Verdict::Pass { .. });
        let submitted = self
            .exec(&ExecuteMsg::Submit {
                challenge_id: id,
                secret: HexBinary::from(p.secret.to_vec()),
                verdict,
                attempt: p.spec.attempt,
            })
            .await;
        self.refused.remove(&id);
        // It answers for its Pass while it can be audited: keep what shows any step.
        if passed
            && submitted.is_ok()
            && let Some(transcript) = record.transcript.take()
        {
            self.audits.keep(id, transcript);
        }
        let on_chain = match submitted {
            Ok(tx) => tx
                .event_attr("wasm", "appeal")
                .or(tx.event_attr("wasm", "outcome"))
                .or(tx.event_attr("wasm", "verdict"))
                .unwrap_or("accepted")
                .to_string(),
            Err(e) => format!("refused: {e}"),
        };
        Ok(Ran::Done(Some(Checked {
            challenge_id: id,
            verifier: self.actor.name.clone(),
            target: p.target,
            outcome: record.outcome,
            rtt_ms: record.rtt_ms,
            appeal: false,
            sweep: p.sweep,
            throughput: record.throughput.as_ref().map(|t| t.outcome),
            throughput_ms: record.throughput.as_ref().and_then(|t| t.commit_ms),
            on_chain,
        })))
    }
}

/// A challenge ready to ask: its id and secret, the device, what to ask and where.
struct Prepared {
    id: u64,
    secret: [u8; 32],
    target: String,
    spec: Spec,
    prover: Target,
    commitment: loopin_pocps::proof::Commitment,
    sweep: Option<u64>,
}
