//! Messages of the PoCPS registry (`contracts/pocps-registry`): devices, verifier bonds, the
//! entropy beacon, challenges and verdicts. The design is in `docs/registry.md`.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, Binary, HexBinary, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;

/// Length of a device fingerprint hash, a commitment root, a secret and its hash.
pub const HASH_LEN: usize = 32;
/// Longest accepted prover endpoint.
pub const MAX_ENDPOINT_LEN: usize = 256;
/// A challenge key: a compressed SEC1 secp256k1 public key.
pub const CHALLENGE_KEY_LEN: usize = 33;
/// Longest accepted ek randomness.
pub const MAX_RANDOMNESS_LEN: usize = 64;
/// Most openings per challenge round a configuration may ask for.
pub const MAX_OPENINGS_PER_ROUND: u32 = 32;
/// Attempts at drawing an eligible target before Assign gives up.
pub const MAX_ASSIGN_TRIES: u32 = 16;
/// Beacon rounds Assign looks through for the challenge's randomness round.
pub const MAX_ROUND_SCAN: u32 = 64;

/// Encoding parameters of a PoCPS commitment (`loopin_pocps::encode::Params`).
#[cw_serde]
#[derive(Copy)]
pub struct PocpsParams {
    pub lanes: u32,
    pub blocks_per_lane: u32,
    pub rounds: u32,
    pub blocks_per_leaf: u32,
}

/// A device's PoCPS commitment (`loopin_pocps::proof::Commitment`). Its digest
/// (`Commitment::digest`) is the `commitment` the stake certificate carries.
#[cw_serde]
pub struct CommitmentMsg {
    pub params: PocpsParams,
    /// Merkle root of the encoding P, 32 bytes.
    pub root: HexBinary,
    /// The encoding key: `derive_ek(fingerprint, miner, pool, ek_randomness)`.
    pub ek: Uint128,
    /// The device's secp256k1 public key (SEC1, 33 or 65 bytes).
    pub pubkey: HexBinary,
}

/// One opening of a signed answer, in digest form.
#[cw_serde]
pub struct SignedLeaf {
    pub index: u64,
    /// `leaf_hash` of the opened blocks, 32 bytes.
    pub leaf_hash: HexBinary,
}

/// The prover's signed answer to one round, in the form its signature covers: the (index, leaf
/// hash) of every opening and the 64-byte compact secp256k1 signature over
/// `round_message_digests(commitment, seed, leaves)`. Enough to prove the device answered this
/// challenge, without carrying the leaves.
#[cw_serde]
pub struct SignedAnswer {
    pub leaves: Vec<SignedLeaf>,
    pub signature: HexBinary,
}

/// One opened leaf in full (`loopin_pocps::proof::Opening`).
#[cw_serde]
pub struct OpeningMsg {
    pub index: u64,
    /// The leaf's blocks, 16 bytes little-endian each.
    pub blocks: Binary,
    /// The authentication path, 32-byte hashes from the leaf up.
    pub path: Binary,
}

/// The device-signed transcript of a timed chain (`loopin_pocps::transcript`): what a Pass
/// records so that anyone can audit a step of it later.
#[cw_serde]
pub struct TranscriptMsg {
    /// Chained reads R.
    pub rounds: u32,
    /// State after the last read, 32 bytes.
    pub final_state: HexBinary,
    /// Merkle root of the step leaves (`step_leaf`), 32 bytes.
    pub root: HexBinary,
    /// 64-byte compact secp256k1 signature of the device over
    /// `transcript_message(commitment, seed, rounds, final_state, root)`.
    pub signature: HexBinary,
}

/// One opened step of a transcript (`loopin_pocps::transcript::Step`).
#[cw_serde]
pub struct StepMsg {
    /// Read number r.
    pub round: u32,
    /// State before the read, 32 bytes.
    pub state: HexBinary,
    /// The block read.
    pub block: Uint128,
    /// Path of the step's leaf to the transcript root, 32-byte hashes from the leaf up.
    pub path: Vec<HexBinary>,
}

/// Step r of an audited transcript opened: the step, and the next one unless r is the last.
#[cw_serde]
pub struct StepProofMsg {
    pub step: StepMsg,
    pub next: Option<StepMsg>,
}

/// Protocol settings of the registry.
#[cw_serde]
pub struct RegistrySettings {
    /// Least LOOP a verifier keeps bonded to open challenges or add entropy.
    pub min_bond: Uint128,
    /// Time unbonded LOOP stays slashable before it can be withdrawn.
    pub unbonding_seconds: u64,
    /// Length of one beacon round.
    pub round_seconds: u64,
    /// Distinct contributors, other than the challenger, a beacon round needs before a
    /// challenge may take its randomness from it.
    pub entropy_quorum: u32,
    /// Rounds after its randomness round within which a challenge must be assigned.
    pub assign_window_rounds: u64,
    /// Time after assignment within which the verifier submits its verdict.
    pub response_seconds: u64,
    /// Latency (ms) above which an answer is late; a Pass must attest at most this.
    pub deadline_ms: u64,
    /// Leaves opened per challenge round (k).
    pub openings_per_round: u32,
    /// Fast Sloth steps one bad-proof re-check may run: a claim on a whole leaf needs
    /// `blocks_per_leaf × rounds` within it, a claim on one block costs `rounds`.
    pub max_recheck_steps: u64,
    /// Time a device's owner has to answer a bad-path claim with a valid Merkle path.
    pub dispute_seconds: u64,
    /// Distinct verifiers whose lateness attestations on one device, within one lateness
    /// window, invalidate its certificate.
    pub lateness_quorum: u32,
    pub lateness_window_seconds: u64,
    /// LOOP minted (through the factory) to a verifier per valid check.
    pub reward_per_check: Uint128,
    /// Checks rewarded per verifier per reward epoch; the registry's total per epoch.
    pub max_rewarded_checks: u32,
    pub max_rewards_per_epoch: Uint128,
    pub reward_epoch_seconds: u64,
    /// Challenges one verifier may have open (committed, assigned or disputed).
    pub max_open_challenges: u32,
    /// Least Sloth rounds per block a commitment must use.
    pub min_rounds: u32,
    /// Part of its bond, in basis points, a verifier loses each time a challenge assigned to
    /// it lapses without a verdict (burned when anyone expires it): skipping the work it was
    /// drawn for costs it, and repeatedly skipping drains its bond. At most 10,000. Settings
    /// written before it read 0.
    #[serde(default)]
    pub skip_penalty_bps: u16,
    /// Devices an assignment draws and compares: the challenge goes to the one assigned a
    /// challenge longest ago (never assigned first), so challenges reach every device at a
    /// steady rate, as a pool that pays only proven epochs needs. 1 is a uniform draw. 1 to
    /// `MAX_ASSIGN_TRIES`; settings written before it read [`DEFAULT_ASSIGN_CHOICES`].
    #[serde(default = "default_assign_choices")]
    pub assign_choices: u32,
    /// Time after a Pass within which anyone bonded may audit it ([`ExecuteMsg::Audit`]).
    /// Settings written before it read [`DEFAULT_AUDIT_SECONDS`]. The unbonding period must
    /// outlast the response, audit and dispute windows together, so a verifier whose Pass is
    /// voided is still slashable.
    #[serde(default = "default_audit_seconds")]
    pub audit_seconds: u64,
    /// Part of its bond, in basis points, an auditor pays whoever shows the audited step right:
    /// what the answer's gas costs, and what makes auditing at random a price and not a free
    /// nuisance. At most 10,000; settings written before it read [`DEFAULT_AUDIT_FEE_BPS`].
    #[serde(default = "default_audit_fee_bps")]
    pub audit_fee_bps: u16,
    /// Least chained reads R a Pass's transcript may have: a Pass over a shorter chain proves
    /// too little and is refused. Settings written before it read 1.
    #[serde(default = "one")]
    pub min_chain_rounds: u32,
}

/// Devices an assignment compares unless the settings say otherwise.
pub const DEFAULT_ASSIGN_CHOICES: u32 = 8;
/// Audit window of settings written before it existed: one day.
pub const DEFAULT_AUDIT_SECONDS: u64 = 86_400;
/// Audit fee of settings written before it existed: 0.5 % of the auditor's bond.
pub const DEFAULT_AUDIT_FEE_BPS: u16 = 50;

fn default_audit_seconds() -> u64 {
    DEFAULT_AUDIT_SECONDS
}

fn default_audit_fee_bps() -> u16 {
    DEFAULT_AUDIT_FEE_BPS
}

fn one() -> u32 {
    1
}

fn default_assign_choices() -> u32 {
    DEFAULT_ASSIGN_CHOICES
}

#[cw_serde]
pub struct InstantiateMsg {
    /// The factory: it knows the LOOP token and the stake certificates, and mints rewards.
    pub factory: String,
    pub settings: RegistrySettings,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// LOOP sent with a [`ReceiveMsg`] (cw20 `Send`).
    Receive(Cw20ReceiveMsg),
    /// Starts unbonding `amount` of the sender's bond; withdrawable after the unbonding period
    /// and slashable until then.
    Unbond { amount: Uint128 },
    /// Pays out unbonded LOOP whose period has passed. No challenge may be open.
    WithdrawUnbonded {},
    /// Registers the device behind a stake certificate. The certificate's owner only; the
    /// certificate must be active, its device id the hex fingerprint and its commitment the
    /// digest of `commitment`. The pool is told (`pair::ExecuteMsg::DeviceRegistered`): a
    /// seller's hours are sold from the next boundary on, with every seller's.
    RegisterDevice {
        token_id: String,
        fingerprint: HexBinary,
        commitment: CommitmentMsg,
        endpoint: String,
        ek_randomness: HexBinary,
    },
    /// Commits H(secret) (`loopin_pocps::challenge::commit_secret`) of an entropy contribution
    /// to the current beacon round, revealed in the next one. Bonded verifiers only.
    CommitEntropy { hash: HexBinary },
    /// Reveals the secret committed in the previous round; mixed into this round's value.
    RevealEntropy { secret: HexBinary },
    /// Registers (or replaces) the secp256k1 key the sender signs challenge requests to provers
    /// with: 33-byte compressed SEC1, and `signature` by that key over
    /// `loopin_pocps::sig::challenge_key_message(registry, sender, pubkey)` (proof of
    /// possession). Provers serve the keys of verifiers with an open assignment on their device
    /// ([`QueryMsg::Assignments`]). Bonded verifiers only; a key belongs to one verifier.
    SetChallengeKey {
        pubkey: HexBinary,
        signature: HexBinary,
    },
    /// Opens a challenge: commits H(secret) of the challenge secret before the beacon round
    /// its randomness comes from exists. Bonded verifiers only. No target: the registry draws it.
    Commit { secret_hash: HexBinary },
    /// Draws the target of a challenge once its randomness round is final. Anyone.
    Assign { challenge_id: u64 },
    /// The verifier's verdict with the revealed secret. Its verifier only.
    Submit {
        challenge_id: u64,
        secret: HexBinary,
        verdict: Verdict,
    },
    /// The device owner answers a bad-path claim with the opening's Merkle path.
    Defend {
        challenge_id: u64,
        path: Vec<HexBinary>,
    },
    /// Invalidates the device of a bad-path claim nobody answered in time. Anyone.
    Finalize { challenge_id: u64 },
    /// Audits step `round` of a passed challenge's transcript, within `audit_seconds` of the
    /// Pass. Bonded verifiers only, neither the Pass's verifier nor the device's owner; one
    /// audit per auditor and Pass, at most 4 open and 16 in all. With `proof` (the step opened,
    /// by an auditor that holds the transcript) it is judged at once and must show a bad step;
    /// without, the step must be shown right ([`ExecuteMsg::AnswerAudit`]) within
    /// `dispute_seconds`. A bad step voids the Pass, slashes its verifier and invalidates the
    /// device, which signed it; an unanswered audit voids the Pass and slashes its verifier
    /// (the device loses the pass: its epoch may end unproven). A right step costs the auditor
    /// `audit_fee_bps` of its bond, paid to the Pass's verifier if it showed it, else to the
    /// device's owner.
    Audit {
        challenge_id: u64,
        round: u32,
        proof: Option<StepProofMsg>,
    },
    /// Shows the audited step of a challenge. Anyone (the verifier that passed it and the
    /// device both hold the transcript; the prover can recompute it from the seed).
    AnswerAudit {
        challenge_id: u64,
        /// Whose audit it answers.
        auditor: String,
        proof: StepProofMsg,
    },
    /// Voids the Pass of an audit nobody answered in time and slashes its verifier. Anyone.
    FinalizeAudit { challenge_id: u64, auditor: String },
    /// Closes a challenge that was not assigned or answered in time. Anyone.
    Expire { challenge_id: u64 },
    /// Takes a device whose certificate has ended (expired, or invalidated or removed outside
    /// the registry) out of the draw and frees its fingerprint, so the same device can register
    /// under a new certificate. Anyone; refused while the certificate is active or a challenge
    /// on the device is still assigned or disputed. `Assign` and `RegisterDevice` do the same for
    /// the ended devices they meet.
    Prune { token_id: String },
}

/// What LOOP sent to the registry is for.
#[cw_serde]
pub enum ReceiveMsg {
    /// Adds to the sender's verifier bond.
    Bond {},
}

/// A verifier's verdict on its challenge.
#[cw_serde]
pub enum Verdict {
    /// The full chained proof checked out off chain within the deadline. The device-signed
    /// round answer proves the check was made.
    Pass {
        answer: SignedAnswer,
        latency_ms: u64,
        /// The timed chain's transcript, signed by the device: recorded, and auditable for
        /// `audit_seconds`. Required: a Pass nothing can check later is refused.
        transcript: TranscriptMsg,
    },
    /// The answer came late (`latency_ms`) or not at all (`None`): an attestation, counted
    /// towards the lateness quorum.
    Late { latency_ms: Option<u64> },
    /// The device-signed answer has a bad opening: `leaf` is opening number `opening` of
    /// `answer` in full, and `block` the block whose chain check fails (`None`: the whole leaf,
    /// within `max_recheck_steps`). Re-checked on chain.
    BadProof {
        answer: SignedAnswer,
        opening: u32,
        leaf: OpeningMsg,
        block: Option<u32>,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(DeviceResponse)]
    Device { token_id: String },
    /// Registered, active devices, by token id.
    #[returns(DevicesResponse)]
    Devices {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(VerifierResponse)]
    Verifier { address: String },
    #[returns(ChallengeResponse)]
    Challenge { challenge_id: u64 },
    /// Open assignments on a device (assigned, not answered, within the response time), by
    /// challenge id: what its prover serves.
    #[returns(AssignmentsResponse)]
    Assignments {
        token_id: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The current beacon round and the latest round with contributions.
    #[returns(BeaconResponse)]
    Beacon {},
    /// One beacon round.
    #[returns(BeaconRoundResponse)]
    BeaconRound { round: u64 },
}

#[cw_serde]
pub struct ConfigResponse {
    pub factory: Addr,
    pub token: Addr,
    pub stake_cert: Addr,
    pub genesis: Timestamp,
    pub settings: RegistrySettings,
}

#[cw_serde]
#[derive(Copy)]
pub enum DeviceStatus {
    Active,
    /// Its certificate was invalidated (by a verdict, or outside the registry).
    Invalidated,
    /// Its certificate expired (or no longer exists) and it was pruned: out of the draw, its
    /// fingerprint free for a new certificate.
    Expired,
}

#[cw_serde]
pub struct DeviceResponse {
    pub token_id: String,
    pub owner: Addr,
    pub pool: Addr,
    pub fingerprint: HexBinary,
    pub commitment: CommitmentMsg,
    pub endpoint: String,
    pub status: DeviceStatus,
    pub passes: u64,
}

#[cw_serde]
pub struct DevicesResponse {
    pub devices: Vec<DeviceResponse>,
}

#[cw_serde]
pub struct VerifierResponse {
    pub address: Addr,
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub release_at: Timestamp,
    pub slashed: bool,
    pub open_challenges: u32,
    pub valid_checks: u64,
    /// Entropy commitments never revealed.
    pub lapsed_entropy: u32,
    /// The key it signs challenge requests with.
    pub challenge_key: Option<HexBinary>,
}

/// A verifier's open challenge on a device.
#[cw_serde]
pub struct AssignmentInfo {
    pub challenge_id: u64,
    pub verifier: Addr,
    /// The key the verifier signs its requests to the prover with.
    pub challenge_key: HexBinary,
    pub assigned_at: Timestamp,
    /// After this the challenge can only expire.
    pub answer_by: Timestamp,
}

#[cw_serde]
pub struct AssignmentsResponse {
    pub assignments: Vec<AssignmentInfo>,
}

#[cw_serde]
#[derive(Copy)]
pub enum ChallengeStatus {
    /// Committed; waiting for a final beacon round with the entropy quorum.
    Committed,
    /// Target drawn; waiting for the verdict.
    Assigned,
    Passed,
    /// Lateness attested.
    Late,
    /// Bad openings proven (or a bad-path claim unanswered): the certificate was invalidated.
    Proven,
    /// The bad-proof claim was refuted on chain: the verifier lost its bond.
    Refuted,
    /// A bad-path claim awaits the device's answer.
    Disputed,
    Expired,
    /// Passed, then voided by an audit (a bad step, or none shown in time): the verifier lost
    /// its bond and the pass counts for nothing.
    Voided,
}

#[cw_serde]
pub struct ChallengeResponse {
    pub id: u64,
    pub verifier: Addr,
    pub secret_hash: HexBinary,
    pub committed_round: u64,
    pub randomness_round: Option<u64>,
    /// Randomness mixed into the seed: H(beacon value, challenge id).
    pub randomness: Option<HexBinary>,
    pub target: Option<String>,
    pub assigned_at: Option<Timestamp>,
    pub status: ChallengeStatus,
    /// End of the device's time to answer a bad-path claim.
    pub dispute_deadline: Option<Timestamp>,
    /// What a Pass recorded: the transcript and until when it may be audited.
    #[serde(default)]
    pub pass: Option<PassInfo>,
    /// The open audits of its Pass.
    #[serde(default)]
    pub audits: Vec<AuditInfo>,
}

/// A Pass's auditable record.
#[cw_serde]
pub struct PassInfo {
    /// The challenge's seed, revealed with the verdict.
    pub seed: HexBinary,
    pub rounds: u32,
    pub final_state: HexBinary,
    pub transcript_root: HexBinary,
    pub passed_at: Timestamp,
    /// Audits may open until then.
    pub audit_until: Timestamp,
}

/// An open audit of a step.
#[cw_serde]
pub struct AuditInfo {
    pub auditor: Addr,
    pub round: u32,
    /// After this, anyone may void the Pass (`FinalizeAudit`).
    pub deadline: Timestamp,
}

#[cw_serde]
pub struct BeaconResponse {
    pub current_round: u64,
    pub latest_round: Option<u64>,
}

#[cw_serde]
pub struct BeaconRoundResponse {
    pub round: u64,
    pub value: HexBinary,
    pub contributors: u32,
    /// The round is over: its value can no longer change.
    pub is_final: bool,
}

#[cw_serde]
pub struct MigrateMsg {}

// ---------------------------------------------------------------------------------------------
// Conversions from `loopin_pocps`'s types (what provers, verifiers and tests send).

impl From<&loopin_pocps::encode::Params> for PocpsParams {
    fn from(p: &loopin_pocps::encode::Params) -> Self {
        PocpsParams {
            lanes: p.lanes,
            blocks_per_lane: p.blocks_per_lane,
            rounds: p.rounds,
            blocks_per_leaf: p.blocks_per_leaf,
        }
    }
}

impl From<&loopin_pocps::proof::Commitment> for CommitmentMsg {
    fn from(c: &loopin_pocps::proof::Commitment) -> Self {
        CommitmentMsg {
            params: PocpsParams::from(&c.params),
            root: HexBinary::from(c.root),
            ek: Uint128::new(c.ek),
            pubkey: HexBinary::from(c.pubkey.clone()),
        }
    }
}

impl From<&loopin_pocps::proof::Opening> for OpeningMsg {
    fn from(o: &loopin_pocps::proof::Opening) -> Self {
        OpeningMsg {
            index: o.index,
            blocks: Binary::from(
                o.blocks
                    .iter()
                    .flat_map(|b| b.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ),
            path: Binary::from(o.path.concat()),
        }
    }
}

impl SignedAnswer {
    /// The digest form of a signed round answer: (index, leaf hash) of every opening.
    pub fn from_openings(openings: &[loopin_pocps::proof::Opening], signature: &[u8]) -> Self {
        SignedAnswer {
            leaves: openings
                .iter()
                .map(|o| SignedLeaf {
                    index: o.index,
                    leaf_hash: HexBinary::from(loopin_pocps::merkle::leaf_hash(&o.blocks)),
                })
                .collect(),
            signature: HexBinary::from(signature),
        }
    }
}

impl TranscriptMsg {
    /// The signed transcript of a chain and the device's signature over it.
    pub fn new(t: &loopin_pocps::transcript::SignedTranscript, signature: &[u8]) -> Self {
        TranscriptMsg {
            rounds: t.rounds,
            final_state: HexBinary::from(t.final_state),
            root: HexBinary::from(t.root),
            signature: HexBinary::from(signature),
        }
    }
}

impl From<&loopin_pocps::transcript::Step> for StepMsg {
    fn from(s: &loopin_pocps::transcript::Step) -> Self {
        StepMsg {
            round: s.round,
            state: HexBinary::from(s.state),
            block: Uint128::new(s.block),
            path: s.path.iter().map(HexBinary::from).collect(),
        }
    }
}

impl StepProofMsg {
    /// The answer to an audit of step `round` of `t`, if the transcript has that step.
    pub fn from_transcript(t: &loopin_pocps::transcript::Transcript, round: u32) -> Option<Self> {
        let (step, next) = t.audit_answer(round)?;
        Some(StepProofMsg {
            step: StepMsg::from(&step),
            next: next.as_ref().map(StepMsg::from),
        })
    }
}
