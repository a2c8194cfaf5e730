//! Sweeps: a GEMM class's devices asked their throughput challenge all at once, every
//! `GemmClass::sweep_seconds`, each by a verifier the beacon draws for it
//! ([`super::ExecuteMsg::DrawSweep`]). What a verifier reads to find its sweep duties and a
//! prover to know who may ask.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Timestamp};

/// Beacon rounds that may draw a sweep's verifiers: the first of the round before the window
/// starts and the two after it that reaches the entropy quorum without the device's owner. A
/// window none of them drew goes unswept.
pub const SWEEP_DRAW_ROUNDS: u64 = 3;
/// Most devices one `SweepDuties` page looks at (each is one bond-weighted draw over every
/// verifier the page loads once).
pub const MAX_SWEEP_SCAN: u32 = 30;

/// One device's sweep in one window.
#[cw_serde]
pub struct SweepResponse {
    pub token_id: String,
    pub window: u64,
    /// When the window starts: its verifier asks then, and not before.
    pub opens_at: Timestamp,
    /// The drawn verifier, once a beacon round has drawn it (`None` before).
    pub verifier: Option<Addr>,
    /// The beacon round that drew it.
    pub randomness_round: Option<u64>,
    /// The challenge `DrawSweep` assigned (`None` until someone draws it on chain).
    pub challenge_id: Option<u64>,
    /// Its verdict is due by then; after it the challenge can only expire, costing a verifier
    /// that never submitted its skip penalty.
    pub answer_by: Option<Timestamp>,
}

/// A device whose sweep a verifier was drawn for.
#[cw_serde]
pub struct SweepDuty {
    pub token_id: String,
    /// The window (of the device's class) it is the sweep of.
    pub window: u64,
    /// The challenge, if `DrawSweep` has assigned it already.
    pub challenge_id: Option<u64>,
    pub answer_by: Timestamp,
}

#[cw_serde]
pub struct SweepDutiesResponse {
    pub verifier: Addr,
    pub duties: Vec<SweepDuty>,
    /// The last device this page looked at: the next page starts after it (`None`: none left).
    pub last_scanned: Option<String>,
}
