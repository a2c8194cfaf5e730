//! The registry's protocol settings and the defaults of fields added after settings were
//! first written.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::Uint128;

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
    /// Round trips the deadline allows for on top of `deadline_ms`: the deadline of a verdict
    /// is `deadline_ms + rtt_factor × rtt_ms` (the round trip its verifier measured), capped
    /// at `max_deadline_ms`. One round trip delivers the answer; each more covers one loss
    /// recovery (a tail-loss probe takes about two). Settings written before it read 0 (the
    /// deadline is `deadline_ms` whatever the network).
    #[serde(default)]
    pub rtt_factor: u32,
    /// Cap of the deadline, however long the measured round trip: what a prover that delays
    /// its answers to the RTT probes can gain. At least `deadline_ms`; settings written
    /// before it read 0 (no more than `deadline_ms`).
    #[serde(default)]
    pub max_deadline_ms: u64,
    /// Time an accused device's owner has to appeal (`ExecuteMsg::Appeal`). 0: no appeals, a
    /// lateness quorum invalidates at once (settings written before it read 0).
    #[serde(default)]
    pub appeal_seconds: u64,
    /// Verifiers an appeal draws, and the Passes among them that uphold it (at most
    /// `appeal_draw`). Settings written before them read 3 and 2.
    #[serde(default = "default_appeal_draw")]
    pub appeal_draw: u32,
    #[serde(default = "default_appeal_passes")]
    pub appeal_passes: u32,
    /// Part of its bond, in basis points, each verifier whose lateness vote an upheld appeal
    /// overturns loses (burned): a vote without evidence is no longer free. At most 10,000;
    /// settings written before it read 0.
    #[serde(default)]
    pub overturned_late_bps: u16,
}

impl RegistrySettings {
    /// The deadline (ms) of a verdict whose verifier measured `rtt_ms` to the prover.
    pub fn deadline_for(&self, rtt_ms: u64) -> u64 {
        deadline_for(
            self.deadline_ms,
            self.rtt_factor,
            self.max_deadline_ms,
            rtt_ms,
        )
    }

    /// The deadline (ms) of a GEMM root whose class allows `class_deadline_ms`: the class's
    /// budget plus one measured round trip (the root is one packet), at most
    /// [`MAX_THROUGHPUT_RTT_MS`], and none when the settings allow no round trip at all.
    pub fn throughput_deadline_for(&self, class_deadline_ms: u64, rtt_ms: u64) -> u64 {
        throughput_deadline_for(class_deadline_ms, self.rtt_factor, rtt_ms)
    }
}

/// The most round trip a GEMM deadline allows for, whatever the probes measured: a prover that
/// slows its probes gains at most this, and the classes' deadlines (`crate::gpu_classes`) keep
/// the next class down out with it added.
pub const MAX_THROUGHPUT_RTT_MS: u64 = 200;

/// The GEMM deadline rule, for the registry and for verifiers alike: `class_deadline_ms` plus
/// one round trip, at most [`MAX_THROUGHPUT_RTT_MS`]; no allowance when `rtt_factor` is 0.
pub fn throughput_deadline_for(class_deadline_ms: u64, rtt_factor: u32, rtt_ms: u64) -> u64 {
    let allowance = if rtt_factor == 0 {
        0
    } else {
        rtt_ms.min(MAX_THROUGHPUT_RTT_MS)
    };
    class_deadline_ms.saturating_add(allowance)
}

/// The deadline rule, for the registry and for verifiers alike: `deadline_ms` plus
/// `rtt_factor` measured round trips, at most `max(max_deadline_ms, deadline_ms)`.
pub fn deadline_for(deadline_ms: u64, rtt_factor: u32, max_deadline_ms: u64, rtt_ms: u64) -> u64 {
    deadline_ms
        .saturating_add(u64::from(rtt_factor).saturating_mul(rtt_ms))
        .min(max_deadline_ms.max(deadline_ms))
}

/// Verifiers an appeal draws unless the settings say otherwise.
pub const DEFAULT_APPEAL_DRAW: u32 = 3;
/// Passes among them that uphold an appeal unless the settings say otherwise.
pub const DEFAULT_APPEAL_PASSES: u32 = 2;

fn default_appeal_draw() -> u32 {
    DEFAULT_APPEAL_DRAW
}

fn default_appeal_passes() -> u32 {
    DEFAULT_APPEAL_PASSES
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gemm_deadline_allows_one_round_trip_capped_and_none_without_rtt_allowance() {
        assert_eq!(throughput_deadline_for(1_250, 3, 40), 1_290);
        assert_eq!(
            throughput_deadline_for(1_250, 1, 5_000),
            1_250 + MAX_THROUGHPUT_RTT_MS
        );
        // Settings that allow no round trip (rtt_factor 0) allow the GEMM none either.
        assert_eq!(throughput_deadline_for(1_250, 0, 40), 1_250);
        assert_eq!(
            throughput_deadline_for(u64::MAX, 3, 40),
            u64::MAX,
            "saturates"
        );
    }
}
