use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, HexBinary, Timestamp, Uint128};
use cw_storage_plus::{Item, Map};
use loopin::registry::{
    Accusation, AppealDuty, ChallengeStatus, CommitmentMsg, DeviceStatus, RegistrySettings,
};
use loopin_packed::{PackedItem, PackedMap};

#[cw_serde]
pub struct Config {
    pub factory: Addr,
    pub token: Addr,
    pub stake_cert: Addr,
    /// Beacon rounds and reward epochs count from here.
    pub genesis: Timestamp,
    pub settings: RegistrySettings,
}

#[cw_serde]
pub struct Device {
    pub owner: Addr,
    pub pool: Addr,
    pub fingerprint: HexBinary,
    pub commitment: CommitmentMsg,
    pub endpoint: String,
    pub status: DeviceStatus,
    pub passes: u64,
    /// Position in [`DEVICE_LIST`] while active.
    pub slot: u64,
    /// `loopin_pocps::encode::ENCODING_VERSION` of its P when it registered; a device stored
    /// before the field existed registered the chained encoding, version 1.
    #[serde(default = "chained_encoding")]
    pub encoding: u32,
    /// Its lateness quorum reached: invalidated unless an appeal upholds it.
    #[serde(default)]
    pub accusation: Option<Accusation>,
    /// Its class's lateness quorum when it registered (0, and devices stored before the field:
    /// the registry's).
    #[serde(default)]
    pub lateness_quorum: u32,
    /// Its class's GEMM throughput challenge when it registered: every Pass on it carries the
    /// signed root in time. `None` (and devices stored before the field): no throughput part.
    #[serde(default)]
    pub gemm: Option<loopin::pool::GemmClass>,
    /// Sweeps failed in a row since its last passed one or accusation (`crate::sweep`).
    #[serde(default, skip_serializing_if = "loopin::pool::is_zero")]
    pub missed_sweeps: u32,
    /// The window of the first of those missed sweeps: the streak's lateness window
    /// (`crate::sweep`), under which its Late verdicts are recorded.
    #[serde(default, skip_serializing_if = "loopin::pool::is_zero")]
    pub missed_from: u64,
    /// When its pool's epoch 0 began (the pool's `genesis`): its class's sweep windows are the
    /// pool's epochs, so each epoch holds exactly one sweep. Devices stored before the field:
    /// the registry's genesis.
    #[serde(default, skip_serializing_if = "loopin_packed::is_none_outside_packed")]
    pub epoch_origin: Option<u64>,
}

fn chained_encoding() -> u32 {
    1
}

#[cw_serde]
#[derive(Default)]
pub struct Verifier {
    pub bonded: Uint128,
    pub unbonding: Uint128,
    pub release_at: Timestamp,
    pub slashed: bool,
    pub open_challenges: u32,
    pub valid_checks: u64,
    pub lapsed_entropy: u32,
    /// Reward epoch of `rewarded`, and the checks rewarded in it.
    pub reward_epoch: u64,
    pub rewarded: u32,
    /// The key it signs challenge requests to provers with (compressed SEC1).
    pub challenge_key: Option<HexBinary>,
    /// Its Passes can be audited until then: nothing it unbonded is withdrawn before.
    #[serde(default)]
    pub liable_until: Option<Timestamp>,
    /// Last time its chance in an appeal's draw could rise: a bond added or a challenge key
    /// set. An appeal draws only verifiers whose chance was fixed before it was filed, so
    /// nobody who has seen the beacon can buy or key its way into the draw.
    #[serde(default)]
    pub raised_at: Option<Timestamp>,
}

/// One beacon round with contributions.
#[cw_serde]
pub struct BeaconRound {
    pub value: [u8; 32],
    pub contributors: u32,
}

/// A disputed opening: what the device's path must lead to the root.
#[cw_serde]
pub struct DisputedLeaf {
    pub index: u64,
    pub leaf_hash: [u8; 32],
    pub deadline: Timestamp,
}

#[cw_serde]
pub struct Challenge {
    pub verifier: Addr,
    pub secret_hash: [u8; 32],
    pub committed_round: u64,
    pub randomness_round: Option<u64>,
    pub randomness: Option<[u8; 32]>,
    pub target: Option<String>,
    pub assigned_at: Option<Timestamp>,
    pub status: ChallengeStatus,
    pub disputed: Option<DisputedLeaf>,
    /// The target's `LAST_ASSIGNED` before this assignment: restored if the verifier lets the
    /// challenge lapse, so a skipped challenge does not send the device to the back of the
    /// queue.
    #[serde(default)]
    pub prev_assigned: Option<Timestamp>,
    /// What its Pass recorded: the transcript an audit checks a step of.
    #[serde(default)]
    pub pass: Option<PassRecord>,
    /// Audits of its Pass ever opened, and those still open ([`AUDITS`]).
    #[serde(default)]
    pub audits: u32,
    #[serde(default)]
    pub open_audits: u32,
    /// Drawn for an appeal ([`crate::appeal`]): no committed secret, its verdict decides the
    /// appeal.
    #[serde(default)]
    pub appeal: bool,
    /// Drawn for its device's sweep in this window ([`crate::sweep`]): no committed secret,
    /// asked at the window's start, its GEMM at the first try.
    #[serde(default, skip_serializing_if = "loopin_packed::is_none_outside_packed")]
    pub sweep: Option<u64>,
    /// When `DrawSweep` assigned it (a sweep's `assigned_at` is its window's start): a sweep
    /// drawn with less than half its response time left costs a verifier that lets it lapse
    /// nothing.
    #[serde(default, skip_serializing_if = "loopin_packed::is_none_outside_packed")]
    pub drawn_at: Option<Timestamp>,
}

/// The device-signed transcript a Pass recorded, and the seed it is checked against.
#[cw_serde]
pub struct PassRecord {
    pub seed: [u8; 32],
    pub rounds: u32,
    pub final_state: [u8; 32],
    pub root: [u8; 32],
    pub passed_at: Timestamp,
    /// The device-signed root of its GEMM challenge's rows, when its class asks one.
    #[serde(default)]
    pub gemm_root: Option<[u8; 32]>,
    /// The GEMM seed that root answers (what an audit recomputes entries from).
    #[serde(default, skip_serializing_if = "loopin_packed::is_none_outside_packed")]
    pub gemm_seed: Option<[u8; 32]>,
}

/// An auditor's audit of a Pass.
#[cw_serde]
pub struct Audit {
    /// The step asked for (0 for an audit of the GEMM).
    pub round: u32,
    pub deadline: Timestamp,
    /// Waiting for its answer; false once answered or the Pass voided.
    pub open: bool,
    /// For an audit of the Pass's GEMM: the beacon round after which its cells are drawn
    /// (absent from a step's record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemm_after: Option<u64>,
}

/// Registry rewards paid in one reward epoch.
#[cw_serde]
#[derive(Default)]
pub struct EpochRewards {
    pub epoch: u64,
    pub paid: Uint128,
}

pub const CONFIG: PackedItem<Config> = PackedItem::new("config");
/// Token id -> device.
pub const DEVICES: PackedMap<&str, Device> = PackedMap::new("devices");
/// Fingerprint -> the key a device's answers are checked with since its last
/// `RotateDeviceKey` and its rotations so far; absent: the commitment's key, none. By
/// fingerprint, the device's identity, so a rotation holds under the device's later
/// certificates too (by certificate, a new stake fell back to the retired key). Apart from
/// [`DEVICES`] so that devices stored before rotations load unchanged.
pub const DEVICE_KEYS: Map<&[u8], RotatedKey> = Map::new("device_keys");

/// (fingerprint, key) of every key a rotation replaced, the device's first key included. A
/// retired key is refused as a new one: a key retired as leaked must not come back, by a
/// restored backup or a mistake (`RetiredDeviceKey`).
pub const RETIRED_DEVICE_KEYS: Map<(&[u8], &[u8]), Empty> = Map::new("retired_device_keys");

#[cw_serde]
pub struct RotatedKey {
    pub key: HexBinary,
    pub rotations: u32,
}
/// Dense list of active devices (slot -> token id), for uniform draws.
pub const DEVICE_LIST: Map<u64, String> = Map::new("device_list");
pub const DEVICE_COUNT: Item<u64> = Item::new("device_count");
/// Token id of a device in the draw -> when a challenge was last assigned to it (absent: never).
/// Assignments prefer the device assigned longest ago; a small value, read per comparison
/// without loading the device.
pub const LAST_ASSIGNED: Map<&str, Timestamp> = Map::new("last_assigned");
/// Fingerprint of an active device -> its token id.
pub const FINGERPRINTS: Map<&[u8], String> = Map::new("fingerprints");
/// Verifier -> its bond, standing and key (packed: every draw reads every entry).
pub const VERIFIERS: PackedMap<&Addr, Verifier> = PackedMap::new("verifiers");
/// Verifier -> (round, hash) of its pending entropy commitment.
pub const ENTROPY_COMMITS: Map<&Addr, (u64, [u8; 32])> = Map::new("entropy_commits");
pub const ROUNDS: Map<u64, BeaconRound> = Map::new("rounds");
/// (round, verifier) of every entropy contribution.
pub const CONTRIBUTORS: Map<(u64, &Addr), Empty> = Map::new("contributors");
/// Latest round with contributions.
pub const LATEST_ROUND: Item<u64> = Item::new("latest_round");
pub const CHALLENGES: PackedMap<u64, Challenge> = PackedMap::new("challenges");
/// Challenge key -> its verifier (a key belongs to one verifier).
pub const CHALLENGE_KEYS: Map<&[u8], Addr> = Map::new("challenge_keys");
/// (target token id, challenge id) of every challenge in status Assigned.
pub const OPEN_ASSIGNMENTS: Map<(&str, u64), Empty> = Map::new("open_assignments");
/// (target token id, challenge id) of every challenge in status Disputed.
pub const OPEN_DISPUTES: Map<(&str, u64), Empty> = Map::new("open_disputes");
/// (verifier, challenge id) of every appeal challenge still Assigned: what a drawn verifier
/// finds its appeal work by.
pub const APPEAL_DUTIES: Map<(&Addr, u64), AppealDuty> = Map::new("appeal_duties");
pub const NEXT_CHALLENGE: Item<u64> = Item::new("next_challenge");
/// Challenge secret hashes ever committed (each is single use).
pub const SECRET_HASHES: Map<&[u8], u64> = Map::new("secret_hashes");
/// (token id, lateness window, verifier) of each lateness attestation.
pub const LATE_VOTES: Map<(&str, u64, &Addr), Empty> = Map::new("late_votes");
/// (token id, lateness window) -> distinct verifiers attesting lateness.
pub const LATE_COUNT: Map<(&str, u64), u32> = Map::new("late_count");
/// (token id, lateness window, vote number) -> the voter, in the order the votes came: an
/// upheld appeal penalises the first voters, whose votes made the quorum.
pub const LATE_ORDER: Map<(&str, u64, u32), Addr> = Map::new("late_order");
/// (token id, lateness window) -> votes ever numbered in [`LATE_ORDER`] (never reset).
pub const LATE_SEQ: Map<(&str, u64), u32> = Map::new("late_seq");
pub const EPOCH_REWARDS: Item<EpochRewards> = Item::new("epoch_rewards");
/// (device token id, challenge id, auditor) of every open audit: what the device answers.
pub const DEVICE_AUDITS: Map<(&str, u64, &Addr), Empty> = Map::new("device_audits");
/// (challenge id, auditor) -> its audit of the challenge's Pass: one per auditor and Pass.
pub const AUDITS: Map<(u64, &Addr), Audit> = Map::new("audits");
/// Challenge id -> (GEMM audits of its Pass ever opened, still open): limits of their own, so
/// audits of steps a cheater can answer do not use up the GEMM's.
pub const GEMM_AUDITS: Map<u64, (u32, u32)> = Map::new("gemm_audits");
/// (device token id, sweep window) -> the challenge `DrawSweep` assigned: one per window.
pub const SWEEPS: Map<(&str, u64), u64> = Map::new("sweeps");
