//! Rewards of delivered leases (the class's `incentives`, docs/pair.md "Incentives"): per
//! device-hour leased and delivered in a proven epoch, to the client and to the owner of the
//! stake that served it, together at most half the exchange fee the lease burned. Nothing is
//! recorded when a lease is bought: a lease's rewards follow from its hours and what it paid,
//! and are claimed lazily, lease by lease, once nothing can take its payment back.

use std::collections::BTreeSet;

use cosmwasm_std::{Addr, DepsMut, Env, Response, Storage, Timestamp, Uint128};
use loopin::pair::{LeaseRewardsResponse, MAX_CLAIMED_LEASES};
use loopin::pool::LeaseReward;

use crate::claim::emission_left;
use crate::error::ContractError;
use crate::holds::first_held;
use crate::outflow;
use crate::proofs::{is_final, is_proven};
use crate::state::{CONFIG, Config, LEASE_REWARDS_LEFT, LEASES, Lease, POOL, Pool, STAKES, Stake};

/// What is still owed of a lease's rewards: all of them until a claim paid some.
fn owed(
    storage: &dyn Storage,
    config: &Config,
    lease: &Lease,
) -> Result<LeaseReward, ContractError> {
    if let Some(left) = LEASE_REWARDS_LEFT.may_load(storage, lease.id)? {
        return Ok(left);
    }
    Ok(config.params.incentives().lease_reward(
        lease.hours,
        lease.paid,
        config.params.exchange_fee,
    )?)
}

/// Refuses a lease whose rewards a claim may not pay now: cancelled or refunded (forfeited for
/// good), disputed and not yet ruled, or its epoch not yet final, past the dispute window and
/// proven.
fn check_due(
    storage: &dyn Storage,
    config: &Config,
    now: Timestamp,
    pool: &Pool,
    lease: &Lease,
    stake: &Stake,
) -> Result<(), ContractError> {
    let id = lease.id;
    // A ruling that granted a refund forfeits them, even where the stake's held pay could
    // cover none of it (the hours were ruled undelivered all the same).
    let ruled_undelivered = lease
        .dispute
        .as_ref()
        .and_then(|dispute| dispute.resolution.as_ref())
        .is_some_and(|resolution| !resolution.refund.is_zero());
    if lease.cancelled || !lease.refunded.is_zero() || ruled_undelivered {
        return Err(ContractError::LeaseRewardForfeited { id });
    }
    if lease
        .dispute
        .as_ref()
        .is_some_and(|dispute| dispute.resolution.is_none())
    {
        return Err(ContractError::LeaseDisputed { id });
    }
    // Released as a seller's pay is (`claim::released`): delivered, and its dispute window
    // closed; and final, so no pass can still change whether it is proven.
    // And not held: a pass of it may still be voided (`holds`).
    let released = pool.epoch.saturating_sub(config.params.dispute_epochs);
    if lease.epoch >= released
        || !is_final(config, now, lease.epoch)
        || first_held(storage, now, stake.id, (lease.epoch, lease.epoch + 1)).is_some()
    {
        return Err(ContractError::LeaseRewardNotDue {
            id,
            epoch: lease.epoch,
        });
    }
    if !is_proven(storage, config, stake, lease.epoch)? {
        return Err(ContractError::EpochNotProven { epoch: lease.epoch });
    }
    Ok(())
}

/// Lease `id` and the stake that served it.
fn lease_and_stake(storage: &dyn Storage, id: u64) -> Result<(Lease, Stake), ContractError> {
    let lease = LEASES
        .may_load(storage, id)?
        .ok_or(ContractError::LeaseNotFound { id })?;
    let stake = STAKES.load(storage, lease.stake_id)?;
    Ok((lease, stake))
}

/// The rewards of one lease owed to `sender` (its client's, its stake owner's, or both), after
/// checking they are due.
fn claimable(
    storage: &dyn Storage,
    config: &Config,
    now: Timestamp,
    pool: &Pool,
    sender: &Addr,
    id: u64,
) -> Result<(LeaseReward, LeaseReward), ContractError> {
    let (lease, stake) = lease_and_stake(storage, id)?;
    let is_client = lease.client == *sender;
    let is_miner = stake.owner == *sender && !stake.invalidated;
    if !is_client && stake.owner != *sender {
        return Err(ContractError::Unauthorized {});
    }
    check_due(storage, config, now, pool, &lease, &stake)?;
    let left = owed(storage, config, &lease)?;
    let mine = LeaseReward {
        client: if is_client {
            left.client
        } else {
            Uint128::zero()
        },
        miner: if is_miner {
            left.miner
        } else {
            Uint128::zero()
        },
    };
    Ok((left, mine))
}

pub fn claim_lease_rewards(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    lease_ids: Vec<u64>,
) -> Result<Response, ContractError> {
    let distinct: BTreeSet<u64> = lease_ids.iter().copied().collect();
    if lease_ids.is_empty()
        || lease_ids.len() > MAX_CLAIMED_LEASES
        || distinct.len() != lease_ids.len()
    {
        return Err(ContractError::InvalidLeaseList {
            max: MAX_CLAIMED_LEASES as u32,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let pool = POOL.load(deps.storage)?;
    let now = env.block.time;
    let mut claims = Vec::with_capacity(lease_ids.len());
    let mut total = Uint128::zero();
    for id in lease_ids {
        let (left, mine) = claimable(deps.storage, &config, now, &pool, &sender, id)?;
        total = total.checked_add(mine.total())?;
        claims.push((id, left, mine));
    }
    if total.is_zero() {
        return Err(ContractError::NothingToClaim {});
    }
    let mut budget = emission_left(&deps.querier, &config, total)?;
    if budget.is_zero() {
        return Err(ContractError::EmissionExhausted { owed: total });
    }
    let mut paid = Uint128::zero();
    for (id, mut left, mine) in claims {
        // The client's part first, then the miner's, lease by lease, while emission lasts.
        for (owed, claimed) in [
            (&mut left.client, mine.client),
            (&mut left.miner, mine.miner),
        ] {
            let pay = claimed.min(budget);
            *owed -= pay;
            budget -= pay;
            paid += pay;
        }
        LEASE_REWARDS_LEFT.save(deps.storage, id, &left)?;
    }
    Ok(Response::new()
        .add_attribute("action", "claim_lease_rewards")
        .add_attribute("claimant", &sender)
        .add_attribute("rewards", paid)
        .add_attribute("rewards_owed", total - paid)
        .add_messages(outflow::reward(&config.factory, &sender, paid)?))
}

/// A lease's rewards still owed and why a claim would not pay them now.
pub fn query_lease_rewards(
    storage: &dyn Storage,
    config: &Config,
    now: Timestamp,
    id: u64,
) -> Result<LeaseRewardsResponse, ContractError> {
    let (lease, stake) = lease_and_stake(storage, id)?;
    let pool = POOL.load(storage)?;
    let mut left = owed(storage, config, &lease)?;
    let not_due = check_due(storage, config, now, &pool, &lease, &stake).err();
    if matches!(not_due, Some(ContractError::LeaseRewardForfeited { .. })) {
        left = LeaseReward::default();
    }
    if stake.invalidated {
        left.miner = Uint128::zero();
    }
    Ok(LeaseRewardsResponse {
        lease_id: id,
        client: left.client,
        miner: left.miner,
        not_due: not_due.map(|err| err.to_string()),
    })
}
