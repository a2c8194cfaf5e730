//! Accusations of lateness and the device's appeal: the state a device's query shows, and what
//! a drawn verifier reads to find the appeal challenges it must run.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Timestamp};

/// Appeals one accusation may draw: an appeal none of whose drawn verifiers decided (each
/// lapsed, paying its skip penalty) may be filed again, this many times in all.
pub const MAX_APPEALS: u32 = 3;
/// Late voters of one window an upheld appeal penalises: bounds its gas. Votes past it (a
/// window with this many distinct verifiers attesting) go unpenalised.
pub const MAX_PENALISED_VOTERS: u32 = crate::pool::MAX_LATENESS_QUORUM;

/// A device whose lateness votes reached the quorum: it is invalidated unless it appeals and
/// a freshly drawn quorum of verifiers passes it.
#[cw_serde]
pub struct Accusation {
    /// Lateness window whose votes reached the quorum.
    pub window: u64,
    /// Distinct verifiers that attested lateness in the window when the quorum was reached.
    pub votes: u32,
    /// The owner may file an appeal until then; after it, anyone may invalidate the device
    /// ([`super::ExecuteMsg::FinalizeAccusation`]) unless an appeal is drawn.
    pub appeal_by: Timestamp,
    /// Appeals filed so far, at most [`MAX_APPEALS`].
    pub appeals: u32,
    /// The appeal in progress, if any.
    pub appeal: Option<Appeal>,
}

/// An appeal: the beacon round that draws its verifiers, then their challenges and verdicts.
#[cw_serde]
pub struct Appeal {
    /// Beacon rounds after this one may draw it: its randomness was unknown when it was filed.
    pub filed_round: u64,
    /// When it was filed: only verifiers whose bond and key were set before may be drawn.
    pub filed_at: Timestamp,
    /// The appeal challenges of the drawn verifiers; empty until drawn.
    pub challenges: Vec<u64>,
    /// Verdicts so far: Passes, Late verdicts, and challenges that lapsed unanswered.
    pub passes: u32,
    pub lates: u32,
    pub lapsed: u32,
}

/// An appeal challenge a verifier was drawn for and has not answered.
#[cw_serde]
pub struct AppealDuty {
    pub challenge_id: u64,
    /// The appealing device.
    pub token_id: String,
    /// After this the challenge can only expire, costing the verifier its skip penalty.
    pub answer_by: Timestamp,
}

#[cw_serde]
pub struct AppealDutiesResponse {
    pub verifier: Addr,
    pub duties: Vec<AppealDuty>,
}
