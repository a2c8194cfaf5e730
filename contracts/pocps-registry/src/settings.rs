//! Validation of the registry's settings at instantiation.

use loopin::registry::{
    MAX_ASSIGN_TRIES, MAX_OPENINGS_PER_ROUND, MAX_PENALISED_VOTERS, RegistrySettings,
};

use crate::error::ContractError;

fn invalid(reason: &str) -> ContractError {
    ContractError::InvalidSettings {
        reason: reason.to_string(),
    }
}

/// Most verifiers one appeal draws: its draw and its decision stay cheap.
const MAX_APPEAL_DRAW: u32 = 16;
/// Most round trips a deadline may allow for.
const MAX_RTT_FACTOR: u32 = 16;

/// Longest period a setting may name (ten years), so no deadline arithmetic can overflow.
const MAX_PERIOD_SECONDS: u64 = 10 * 365 * 86_400;

pub(crate) fn validate_settings(s: &RegistrySettings) -> Result<(), ContractError> {
    if s.round_seconds == 0 || s.reward_epoch_seconds == 0 || s.lateness_window_seconds == 0 {
        return Err(invalid("periods must be positive"));
    }
    let periods = [
        s.unbonding_seconds,
        s.round_seconds,
        s.response_seconds,
        s.dispute_seconds,
        s.audit_seconds,
        s.appeal_seconds,
        s.lateness_window_seconds,
        s.reward_epoch_seconds,
        s.assign_window_rounds.saturating_mul(s.round_seconds),
    ];
    if periods.iter().any(|&p| p > MAX_PERIOD_SECONDS) {
        return Err(invalid("periods must be at most ten years"));
    }
    if s.openings_per_round == 0 || s.openings_per_round > MAX_OPENINGS_PER_ROUND {
        return Err(invalid("openings per round must be 1 to 32"));
    }
    if s.max_recheck_steps == 0 {
        return Err(invalid("re-check steps must be positive"));
    }
    if s.entropy_quorum == 0 || s.lateness_quorum == 0 {
        return Err(invalid("quorums must be positive"));
    }
    if !(1..=MAX_ASSIGN_TRIES).contains(&s.assign_choices) {
        return Err(invalid("an assignment compares 1 to 16 devices"));
    }
    if s.skip_penalty_bps > 10_000 || s.audit_fee_bps > 10_000 {
        return Err(invalid(
            "the skip penalty and the audit fee are at most 10,000 basis points",
        ));
    }
    if s.appeal_passes == 0 || s.appeal_passes > s.appeal_draw || s.appeal_draw > MAX_APPEAL_DRAW {
        return Err(invalid(
            "an appeal draws at most 16 verifiers and needs 1 to all of their Passes",
        ));
    }
    if s.appeal_seconds > 0 && s.lateness_quorum > MAX_PENALISED_VOTERS {
        return Err(invalid(
            "with appeals, the lateness quorum is at most 32: every vote of it can be penalised",
        ));
    }
    if s.overturned_late_bps > 10_000 {
        return Err(invalid(
            "the penalty of an overturned vote is at most 10,000 basis points",
        ));
    }
    if s.rtt_factor > MAX_RTT_FACTOR
        || (s.max_deadline_ms != 0 && s.max_deadline_ms < s.deadline_ms)
    {
        return Err(invalid(
            "the deadline allows at most 16 round trips and its cap is at least deadline_ms",
        ));
    }
    if s.min_chain_rounds == 0 {
        return Err(invalid("a Pass's chain needs at least one read"));
    }
    if s.max_open_challenges == 0 || s.min_bond.is_zero() {
        return Err(invalid("bond and open challenges must be positive"));
    }
    // A verifier must stay slashable while any verdict of its can still be refuted or its
    // Pass voided by an audit.
    if s.unbonding_seconds
        < s.response_seconds
            .saturating_add(s.audit_seconds)
            .saturating_add(s.dispute_seconds)
    {
        return Err(invalid(
            "unbonding must outlast the response, audit and dispute windows",
        ));
    }
    Ok(())
}
