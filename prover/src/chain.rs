//! Assignments from the chain: the PoCPS registry's open assignments on this prover's device,
//! polled in the background, so the gate's lookup stays a map read.
//!
//! A verifier is served while the registry lists a challenge of its on this device (assigned,
//! unanswered, within the response time) under the challenge key it registered (compressed SEC1).
//! Between two polls the set can lag the chain by one poll interval: a verifier waits that long
//! after its `Assign` before it challenges, and an answered challenge's key is served until the
//! next poll at most.

use crate::auth::{Assignment, Assignments, StaticAllowlist, now_ms};
use crate::config::Config;
use loopin::registry::{AssignmentsResponse, QueryMsg};
use loopin_chain_client::{ChainQuerier, ClientError};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Why the chain could not be read, or the registry's device key not followed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The static allowlist does not parse.
    #[error("{0}")]
    Allowlist(loopin_miner_config::ConfigError),
    /// A registry without the device's certificate.
    #[error("chain.token_id (--token-id) is required with a registry")]
    NoTokenId,
    /// The node could not be reached.
    #[error("chain {node}: {error}")]
    Connect {
        /// The node's gRPC endpoint.
        node: String,
        error: ClientError,
    },
    /// No connection to read through.
    #[error("no connection to the chain")]
    NotConnected,
    /// The registry's Device query failed.
    #[error("reading the device's key: {0}")]
    ReadKey(ClientError),
    /// The registry's Device query took too long.
    #[error("reading the device's key took over {0:?}")]
    ReadKeyTimeout(Duration),
    /// The key the registry names could not be followed.
    #[error(transparent)]
    Rotation(#[from] crate::rotation::RotationError),
}

impl ChainError {
    /// A failed connection to the node configured in `c`.
    fn connect(c: &Config, error: ClientError) -> Self {
        ChainError::Connect {
            node: c.chain.node.grpc.clone(),
            error,
        }
    }
}

/// Where the assignments of one device are read.
#[derive(Clone)]
pub struct RegistrySource {
    querier: ChainQuerier,
    registry: String,
    token_id: String,
}

/// Assignments per page read from the registry.
const PAGE: u32 = 30;

impl RegistrySource {
    /// The device of stake certificate `token_id` in the registry at `registry`.
    pub fn new(querier: ChainQuerier, registry: String, token_id: String) -> RegistrySource {
        RegistrySource {
            querier,
            registry,
            token_id,
        }
    }

    /// Every open assignment on the device: (challenge key, answer-by in Unix seconds, whether
    /// it carries the class's GEMM).
    pub async fn fetch(&self) -> Result<Vec<(Vec<u8>, u64, bool)>, ClientError> {
        let mut out = Vec::new();
        let mut start_after = None;
        loop {
            let page: AssignmentsResponse = self
                .querier
                .query_smart(
                    &self.registry,
                    &QueryMsg::Assignments {
                        token_id: self.token_id.clone(),
                        start_after,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            let Some(last) = page.assignments.last() else {
                return Ok(out);
            };
            start_after = Some(last.challenge_id);
            let full = page.assignments.len() == PAGE as usize;
            out.extend(
                page.assignments
                    .into_iter()
                    .map(|a| (a.challenge_key.to_vec(), a.answer_by.seconds(), a.gemm)),
            );
            if !full {
                return Ok(out);
            }
        }
    }
}

/// Challenge key -> its open challenges: (answer-by in Unix seconds, carries the GEMM).
type OpenByKey = HashMap<Vec<u8>, Vec<(u64, bool)>>;

/// The keys the chain currently assigns to this device, each with the answer-by times of its
/// open challenges and whether each carries the class's GEMM; every assigned key gets the same
/// rate, and one GEMM per open challenge that carries one.
#[derive(Clone)]
pub struct ChainAssignments {
    keys: Arc<RwLock<OpenByKey>>,
    rate: Assignment,
}

impl ChainAssignments {
    /// Empty until the first refresh; each assigned verifier gets `rate_per_s` with `burst`.
    pub fn new(rate_per_s: f64, burst: f64) -> ChainAssignments {
        ChainAssignments {
            keys: Arc::default(),
            rate: Assignment {
                rate_per_s,
                burst,
                gemm_tickets: None,
            },
        }
    }

    /// Replaces the set with what `source` reads now; returns the number of assigned keys. On
    /// an error the previous set stays (its entries still lapse at their answer-by time).
    pub async fn refresh(&self, source: &RegistrySource) -> Result<usize, ClientError> {
        let mut fresh = OpenByKey::new();
        for (key, answer_by, gemm) in source.fetch().await? {
            fresh.entry(key).or_default().push((answer_by, gemm));
        }
        let n = fresh.len();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(n)
    }

    /// Refreshes every `interval`, logging failures, until the runtime stops or the returned
    /// handle is aborted.
    pub fn spawn_refresh(
        &self,
        source: RegistrySource,
        interval: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match this.refresh(&source).await {
                    Ok(n) => tracing::debug!(assigned = n, "assignments refreshed"),
                    Err(e) => {
                        tracing::warn!(error = %e, "assignments refresh failed; keeping the last set")
                    }
                }
            }
        })
    }
}

impl Assignments for ChainAssignments {
    fn assignment(&self, verifier_pubkey: &[u8]) -> Option<Assignment> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let now = now_ms() / 1000;
        let open: Vec<(u64, bool)> = keys
            .get(verifier_pubkey)?
            .iter()
            .copied()
            .filter(|&(answer_by, _)| now <= answer_by)
            .collect();
        (!open.is_empty()).then(|| Assignment {
            gemm_tickets: Some(
                open.into_iter()
                    .filter_map(|(answer_by, gemm)| gemm.then_some(answer_by))
                    .collect(),
            ),
            ..self.rate.clone()
        })
    }
}

/// Who may challenge a prover configured by `c`: the registry's open assignments, read now and
/// then every `chain.poll_ms` in the background, when a registry is configured; else the static
/// allowlist.
pub async fn assignments(c: &Config) -> Result<Box<dyn Assignments>, ChainError> {
    let (rate, burst) = (c.verifiers.rate_per_s, c.verifiers.burst);
    if c.chain.registry.is_empty() {
        let allow = c.allowlist().map_err(ChainError::Allowlist)?;
        if allow.is_empty() {
            tracing::warn!(
                "no registry and no allowlisted verifiers: every challenge will be refused"
            );
        }
        return Ok(Box::new(StaticAllowlist::new(allow, rate, burst)));
    }
    if c.chain.token_id.is_empty() {
        return Err(ChainError::NoTokenId);
    }
    if !c.verifiers.allow.is_empty() {
        tracing::warn!("a registry is configured: the static allowlist is ignored");
    }
    let querier = ChainQuerier::connect(c.chain.node.clone())
        .await
        .map_err(|e| ChainError::connect(c, e))?;
    let source = RegistrySource::new(querier, c.chain.registry.clone(), c.chain.token_id.clone());
    let chain = ChainAssignments::new(rate, burst);
    match chain.refresh(&source).await {
        Ok(n) => tracing::info!(
            registry = %c.chain.registry,
            token_id = %c.chain.token_id,
            assigned = n,
            "assignments read from the chain"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "first assignments read failed; retrying in the background")
        }
    }
    chain.spawn_refresh(source, Duration::from_millis(c.chain.poll_ms.max(100)));
    Ok(Box::new(chain))
}

/// The key the registry checks the device's answers with, when rotated (`RotateDeviceKey`);
/// `None` when not rotated, not registered, or no registry is configured or reachable.
pub async fn registry_signing_key(c: &Config) -> Option<Vec<u8>> {
    if c.chain.registry.is_empty() || c.chain.token_id.is_empty() {
        return None;
    }
    let querier = ChainQuerier::connect(c.chain.node.clone()).await.ok()?;
    device_signing_key(&querier, c).await.ok().flatten()
}

/// The registry's Device query's `signing_key` for the configured certificate.
async fn device_signing_key(
    querier: &ChainQuerier,
    c: &Config,
) -> Result<Option<Vec<u8>>, ClientError> {
    let device: loopin::registry::DeviceResponse = querier
        .query_smart(
            &c.chain.registry,
            &QueryMsg::Device {
                token_id: c.chain.token_id.clone(),
            },
        )
        .await?;
    Ok(device.signing_key.map(|k| k.to_vec()))
}

/// How long one read of the device's key may take before the connection is dropped and made
/// again at the next poll (a half-open connection would otherwise stop the following).
const FOLLOW_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Follows, every `chain.poll_ms`, the key the registry checks the device's answers with: a
/// rotation accepted while `state` serves is signed with from the next poll on (without a
/// restart, and committed in `data_dir`). A problem (the node unreachable, a key the registry
/// names that is not in `data_dir`) is logged once when it starts, not at every poll. Nothing is
/// started without a registry.
pub fn spawn_follow_signing_key(
    c: &Config,
    state: std::sync::Arc<crate::state::ProverState>,
) -> Option<tokio::task::JoinHandle<()>> {
    if c.chain.registry.is_empty() || c.chain.token_id.is_empty() {
        return None;
    }
    let c = c.clone();
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(c.chain.poll_ms.max(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut querier = None;
        let mut last_problem: Option<String> = None;
        loop {
            tick.tick().await;
            match follow_once(&c, &state, &mut querier).await {
                Ok(followed) => {
                    if followed {
                        tracing::info!(
                            signing_key = %hex::encode(state.signing_pubkey()),
                            "the registry checks answers with another key: they are signed with it"
                        );
                    }
                    if last_problem.take().is_some() {
                        tracing::info!("the registry's device key is followed again");
                    }
                }
                Err(problem) => {
                    let problem = problem.to_string();
                    if last_problem.as_deref() != Some(problem.as_str()) {
                        tracing::warn!(%problem, "cannot follow the registry's device key");
                        last_problem = Some(problem);
                    }
                }
            }
        }
    }))
}

/// One poll of [`spawn_follow_signing_key`]: reads the key the registry checks the device's
/// answers with (the device key when never rotated) and switches `state` to it; `Ok(true)` when
/// it switched. A failed or slow read drops the connection, made again at the next poll.
async fn follow_once(
    c: &Config,
    state: &crate::state::ProverState,
    querier: &mut Option<ChainQuerier>,
) -> Result<bool, ChainError> {
    if querier.is_none() {
        let connected = ChainQuerier::connect(c.chain.node.clone())
            .await
            .map_err(|e| ChainError::connect(c, e))?;
        *querier = Some(connected);
    }
    let Some(q) = querier.as_ref() else {
        return Err(ChainError::NotConnected);
    };
    let registry_key =
        match tokio::time::timeout(FOLLOW_READ_TIMEOUT, device_signing_key(q, c)).await {
            Ok(Ok(key)) => key,
            Ok(Err(e)) => {
                *querier = None;
                return Err(ChainError::ReadKey(e));
            }
            Err(_) => {
                *querier = None;
                return Err(ChainError::ReadKeyTimeout(FOLLOW_READ_TIMEOUT));
            }
        };
    // Never rotated (or a registry that has no rotation on record): the commitment's key.
    let wanted = registry_key.unwrap_or_else(|| state.commitment.pubkey.clone());
    Ok(crate::rotation::follow_registry_key(
        state,
        &c.data_dir,
        Some(&wanted),
    )?)
}

/// What the registry says of the device's class's GEMM challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassGemm {
    /// The shape the device registered under: the only one it serves.
    Shape(loopin_pocps::gemm::Shape),
    /// The device's class asks none: it serves no GEMM.
    NotAsked,
    /// No registry configured, the device not registered yet, or the chain unreachable.
    Unknown,
}

/// The GEMM challenge of the device's class, as the registry recorded it when the device
/// registered.
pub async fn class_gemm(c: &Config) -> ClassGemm {
    if c.chain.registry.is_empty() || c.chain.token_id.is_empty() {
        return ClassGemm::Unknown;
    }
    let Ok(querier) = ChainQuerier::connect(c.chain.node.clone()).await else {
        return ClassGemm::Unknown;
    };
    let device: Result<loopin::registry::DeviceResponse, _> = querier
        .query_smart(
            &c.chain.registry,
            &QueryMsg::Device {
                token_id: c.chain.token_id.clone(),
            },
        )
        .await;
    match device {
        Ok(d) => d
            .gemm
            .map_or(ClassGemm::NotAsked, |g| ClassGemm::Shape(g.shape())),
        Err(_) => ClassGemm::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_gets_a_gemm_ticket_only_for_open_challenges_that_carry_the_gemm() {
        let a = ChainAssignments::new(1.0, 1.0);
        let now = now_ms() / 1000;
        let (timed_only, sweep, lapsed) = (now + 100, now + 200, now.saturating_sub(5));
        a.keys.write().unwrap().insert(
            b"bob".to_vec(),
            vec![(timed_only, false), (sweep, true), (lapsed, true)],
        );
        a.keys
            .write()
            .unwrap()
            .insert(b"carol".to_vec(), vec![(timed_only, false)]);
        // Bob's timed-only challenge lets him in, but only his sweep gives a GEMM.
        assert_eq!(
            a.assignment(b"bob").and_then(|x| x.gemm_tickets),
            Some(vec![sweep])
        );
        // Carol may run her timed challenge and ask no GEMM at all.
        assert_eq!(
            a.assignment(b"carol").and_then(|x| x.gemm_tickets),
            Some(vec![])
        );
        assert_eq!(a.assignment(b"dave"), None);
    }
}
