//! Messages of the PoCPS registry (`contracts/pocps-registry`): devices, verifier bonds, the
//! entropy beacon, challenges and verdicts. The design is in `docs/registry.md`.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, HexBinary, Timestamp, Uint128};
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

/// The last try a verdict may be of (`ExecuteMsg::Submit::attempt`).
pub const MAX_ATTEMPT: u32 = 1;

mod appeal;
mod proofs;
mod settings;
mod sweep;

pub use appeal::*;
pub use proofs::*;
pub use settings::*;
pub use sweep::*;

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
    /// Replaces the key the device's answers are checked with: `new_key` (33-byte compressed
    /// SEC1), with the signatures of the current key (the commitment's, or the last rotation's)
    /// and of the new one over `loopin::device::KeyRotation` (this chain, this registry,
    /// `token_id`, `new_key`, the device's rotations so far). The device's identity — its
    /// fingerprint, its ek, its P — does not change: a key thought leaked is retired without
    /// encoding P again, and the rotation holds for the device (its fingerprint) under its later
    /// certificates too. The device's owner only, while it is active and no challenge on it is
    /// open (its answer would be signed with the key being replaced); `DeviceChallenged`
    /// otherwise. A later stake of the device still needs its original key's signature (the
    /// pair's `device_id` is that key's fingerprint).
    RotateDeviceKey {
        token_id: String,
        new_key: HexBinary,
        current_key_signature: HexBinary,
        new_key_signature: HexBinary,
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
        /// Which try the verdict is of: 0, or 1 when the prover refused the first as not
        /// assigned (it may not have read its assignment yet). Try a's seed is
        /// `round_seed(secret, randomness, a, 0)`, so a prover that saw the first try's seed and
        /// refused learns nothing of the second's. At most [`MAX_ATTEMPT`]; omitted: 0.
        #[serde(default)]
        attempt: u32,
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
    /// Audits a passed challenge's GEMM (a Pass on a device whose class asks one): the same
    /// auditors, window and one-audit-per-auditor rule as [`ExecuteMsg::Audit`], with limits of
    /// its own (4 open, 16 in all). Without `proof`, the cells are drawn by the first beacon
    /// round after this one that reaches the quorum without the auditor (one row, up to 4
    /// columns; an auditor naming them could name rows a cheater computed on purpose), and the
    /// device must show the row ([`ExecuteMsg::AnswerGemmAudit`]) within `dispute_seconds` of
    /// that round plus the two rounds it may take; if no round draws them by then, the audit
    /// closes without effect. With `proof` (the row as committed, from an auditor that holds
    /// it, at cells it names) it is judged at once and must show a wrong entry. A wrong entry
    /// voids the Pass and invalidates the device, which signed the root; its verifier, which
    /// checks sampled rows only, pays `skip_penalty_bps` when the device is invalidated. An
    /// unanswered audit (only the device can show a row) voids the Pass and accuses the device,
    /// which may appeal ([`ExecuteMsg::Appeal`]); its verifier keeps its bond, and no reward is
    /// paid for it. A right row costs the auditor `audit_fee_bps` of its bond, as a right step
    /// does.
    AuditGemm {
        challenge_id: u64,
        proof: Option<GemmProofMsg>,
    },
    /// Shows the audited row of a Pass's GEMM under its recorded root. Anyone (the device
    /// recomputes C from the seed on its card).
    AnswerGemmAudit {
        challenge_id: u64,
        /// Whose audit it answers.
        auditor: String,
        row: GemmRowMsg,
    },
    /// Decides an audit nobody answered in time. Anyone. A step's: the Pass voided and its
    /// verifier slashed. A GEMM's: the Pass voided and the device accused, or, if no beacon
    /// round drew its cells in time, closed without effect.
    FinalizeAudit { challenge_id: u64, auditor: String },
    /// Closes a challenge that was not assigned or answered in time. Anyone.
    Expire { challenge_id: u64 },
    /// The owner of an accused device ([`Accusation`]) appeals, before its `appeal_by`: the
    /// first beacon round after this one draws `appeal_draw` verifiers, weighted by bond, none
    /// of them the device's owner or a verifier that attested its lateness
    /// ([`ExecuteMsg::DrawAppeal`]), and each is assigned a challenge on the device. Upheld
    /// when `appeal_passes` of them pass it: the accusation is dropped and each late voter pays
    /// `overturned_late_bps` of its bond (burned). Lost when too many find it late to leave
    /// `appeal_passes` possible: the device is invalidated. Undecided (drawn verifiers let
    /// their challenges lapse): it may be filed again, [`MAX_APPEALS`] times in all.
    Appeal { token_id: String },
    /// Draws the verifiers of a filed appeal once a beacon round after it is final, and
    /// assigns each its challenge. Anyone; by `appeal_by` plus the assignment window.
    DrawAppeal { token_id: String },
    /// Invalidates an accused device that did not appeal by its `appeal_by` (or whose appeal
    /// was never drawn within the assignment window after it). Anyone.
    FinalizeAccusation { token_id: String },
    /// Takes a device whose certificate has ended (expired, or invalidated or removed outside
    /// the registry) out of the draw and frees its fingerprint, so the same device can register
    /// under a new certificate. Anyone; refused while the certificate is active or a challenge
    /// on the device is still assigned or disputed. `Assign` and `RegisterDevice` do the same for
    /// the ended devices they meet.
    Prune { token_id: String },
    /// Draws the verifier of device `token_id`'s sweep in `window` (its class's
    /// `GemmClass::sweep_seconds`; window w starts `w × sweep_seconds` after genesis) and
    /// assigns it the challenge, as asked at the window's start: by weighted sortition over the
    /// bonded, keyed verifiers other than the owner whose bond and key were set before the
    /// drawing beacon round began ([`SWEEP_DRAW_ROUNDS`]). Anyone; once per device and window,
    /// from the window's start until its answer is due. Its verifier picks the secret when it
    /// submits (as an appeal's does), the Pass must carry the GEMM at its first try, and only
    /// such Passes prove a swept class's epochs; a Late verdict costs the device the window's
    /// proof but is no lateness vote (one card answering for two identities is late for one
    /// of them, and an appeal asking each alone would overturn an honest voter).
    DrawSweep { token_id: String, window: u64 },
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
        /// Round trip to the prover (ms) the verifier measured before the timed phase: the
        /// deadline is `deadline_ms + rtt_factor × rtt_ms`, capped at `max_deadline_ms`.
        /// Omitted: 0.
        #[serde(default)]
        rtt_ms: u64,
        /// The GEMM throughput part: required when the device's class asks one, refused
        /// otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gemm: Option<GemmPassMsg>,
    },
    /// The answer came late (`latency_ms`) or not at all (`None`): an attestation, counted
    /// towards the lateness quorum (an appeal challenge's counts towards the appeal instead).
    Late {
        latency_ms: Option<u64>,
        /// The measured round trip the deadline allowed for, as in `Pass`.
        #[serde(default)]
        rtt_ms: u64,
        /// The timed part was answered (`latency_ms` may be on time) but the GEMM throughput
        /// part was not: no valid, signed root within its deadline. Only for devices whose class
        /// asks one; counted like any Late verdict.
        #[serde(default)]
        throughput: bool,
    },
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
    /// The open audits of a device's Passes, by (challenge id, auditor): what the device (which
    /// can recompute any step of its chains from the seed) answers when their verifier does not.
    #[returns(DeviceAuditsResponse)]
    DeviceAudits {
        token_id: String,
        start_after: Option<(u64, String)>,
        limit: Option<u32>,
    },
    /// The appeal challenges a verifier was drawn for and has not answered, by challenge id.
    #[returns(AppealDutiesResponse)]
    AppealDuties {
        verifier: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// A device's sweep in a window: when it opens, its drawn verifier and challenge.
    #[returns(SweepResponse)]
    Sweep { token_id: String, window: u64 },
    /// The sweeps of the current window (of each device's class) that drew `verifier`, among
    /// the next `limit` (at most [`MAX_SWEEP_SCAN`]) registered devices after `start_after`, by
    /// token id: what a verifier asks, all at once, as each window opens.
    #[returns(SweepDutiesResponse)]
    SweepDuties {
        verifier: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
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
    /// Its lateness quorum reached and not yet decided: what it may appeal.
    #[serde(default)]
    pub accusation: Option<Accusation>,
    /// Its class's lateness quorum (0: the registry's `lateness_quorum`).
    #[serde(default)]
    pub lateness_quorum: u32,
    /// Its class's GEMM throughput challenge (`None`: no throughput part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemm: Option<crate::pool::GemmClass>,
    /// Sweeps of its class it failed in a row (its class's `max_missed_sweeps` accuses it).
    #[serde(default, skip_serializing_if = "crate::pool::is_zero")]
    pub missed_sweeps: u32,
    /// The key its answers are checked with now: the commitment's `pubkey` until a
    /// `RotateDeviceKey`. (Absent from registries before it: the commitment's.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<HexBinary>,
    /// Rotations of its key so far (the next `KeyRotation::rotation`).
    #[serde(default, skip_serializing_if = "crate::pool::is_zero")]
    pub key_rotations: u32,
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
    /// False when its class has a GEMM this challenge does not carry (`GemmClass::asked_in`: a
    /// swept class's challenges other than sweeps and appeals): the prover serves one GEMM per
    /// challenge that may carry one and none for the others, so a verifier assigned a timed
    /// challenge on a swept class cannot keep the card busy when a sweep comes. Left out when
    /// true, as registries before it meant.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub gemm: bool,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
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
    /// Drawn for a device's appeal rather than committed: its verdict decides the appeal, and
    /// its secret is chosen at submission (no commitment; each secret is still single use).
    #[serde(default)]
    pub appeal: bool,
    /// Drawn for its device's sweep in this window ([`ExecuteMsg::DrawSweep`]): asked at the
    /// window's start, its secret chosen at submission, its GEMM at the first try.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<u64>,
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
    /// The device-signed root of its GEMM challenge's rows, when its class asks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemm_root: Option<HexBinary>,
    /// The GEMM seed the root answers (what an auditor recomputes entries from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemm_seed: Option<HexBinary>,
}

/// An open audit of a step.
#[cw_serde]
pub struct AuditInfo {
    pub auditor: Addr,
    /// The step asked for (0 for an audit of the GEMM).
    pub round: u32,
    /// After this, anyone may void the Pass (`FinalizeAudit`).
    pub deadline: Timestamp,
    /// Set when the audit is of the Pass's GEMM rather than a step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemm: Option<GemmAudit>,
}

/// An open audit of one of a device's Passes, with what recomputing the step needs.
#[cw_serde]
pub struct DeviceAudit {
    pub challenge_id: u64,
    pub auditor: Addr,
    /// The step asked for.
    pub round: u32,
    /// After this, anyone may void the Pass (`FinalizeAudit`).
    pub deadline: Timestamp,
    /// The Pass's seed, and the transcript the device signed: chained reads R, final state and
    /// root. A device checks its recomputed step against them before answering: a step of a
    /// transcript it did not sign proves nothing, and a bad step it did sign would prove its own
    /// fault.
    pub seed: HexBinary,
    pub rounds: u32,
    pub final_state: HexBinary,
    pub transcript_root: HexBinary,
    /// Set when the audit is of the Pass's GEMM (then `round` is 0): what recomputing the row
    /// needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemm: Option<GemmAudit>,
}

/// An audit of a Pass's GEMM, as the device answers it: recompute C for `seed` and `shape`,
/// check the root is the one it signed, and show `cells.row` with its path.
#[cw_serde]
pub struct GemmAudit {
    /// The cells asked for; `None` until the beacon round that draws them is final.
    pub cells: Option<GemmCells>,
    /// The challenge's GEMM seed (`gemm::challenge_seed(secret, randomness, gemm_try)`).
    pub seed: HexBinary,
    /// The class's shape (m, k, n).
    pub m: u32,
    pub k: u32,
    pub n: u32,
    /// The row root the device signed.
    pub root: HexBinary,
}

#[cw_serde]
pub struct DeviceAuditsResponse {
    pub audits: Vec<DeviceAudit>,
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
