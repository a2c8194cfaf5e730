//! Queries. Simulations price exactly what execution would, and refuse while a boundary is due
//! (execution would first process it).

use cosmwasm_std::{Binary, Deps, Env, Order, Storage, Uint128, to_json_binary};
use cw_storage_plus::Bound;
use loopin::page_limit;
use loopin::pair::{
    ClaimableResponse, ConfigResponse, LeaseResponse, LeasesResponse, LiquidityResponse,
    PoolResponse, QueryMsg, StakeResponse, StakesResponse, TwapResponse,
};
use loopin_pool_math::oracle::PriceAccumulator;

use crate::claim::{emission_left, plan_claim};
use crate::epoch::tokens_for_shares;
use crate::error::ContractError;
use crate::state::{
    CONFIG, Config, DISPUTE_BONDS, LEASES, LEASES_BY_CLIENT, LIQUIDITY, OPEN_DISPUTES, POOL, Pool,
    STAKE_LEASES, STAKES, STAKES_BY_OWNER,
};

fn pool_now(deps: Deps, env: &Env, config: &Config) -> Result<(Pool, u64), ContractError> {
    let pool = POOL.load(deps.storage)?;
    Ok((pool, config.clock.epoch_at(env.block.time.seconds())))
}

fn current(deps: Deps, env: &Env, config: &Config) -> Result<Pool, ContractError> {
    let (pool, clock_epoch) = pool_now(deps, env, config)?;
    if clock_epoch > pool.epoch {
        return Err(ContractError::EpochsDue {
            behind: clock_epoch - pool.epoch,
        });
    }
    Ok(pool)
}

/// One stake.
fn query_stake(storage: &dyn Storage, id: u64) -> Result<StakeResponse, ContractError> {
    let s = STAKES
        .may_load(storage, id)?
        .ok_or(ContractError::StakeNotFound { id })?;
    Ok(StakeResponse {
        id: s.id,
        owner: s.owner,
        token_id: s.token_id,
        device_id: s.device_id,
        mode: s.mode,
        rate: s.rate,
        hours_per_epoch: s.hours_per_epoch,
        start_epoch: s.start_epoch,
        end_epoch: s.end_epoch,
        shares: s.shares,
        deposit: s.deposit,
        invalidated: s.invalidated,
        paid_until: s.paid_until,
        finished: s.finished,
        rewards_owed: s.rewards_owed,
        clawback: s.clawback,
        disputed: s.disputed,
        retained: s.retained,
        verified_from: s.verified_from,
        proven_epochs: s.proven_epochs,
    })
}

/// One lease.
fn query_lease(storage: &dyn Storage, id: u64) -> Result<LeaseResponse, ContractError> {
    let l = LEASES
        .may_load(storage, id)?
        .ok_or(ContractError::LeaseNotFound { id })?;
    let order = l.order();
    Ok(LeaseResponse {
        id: l.id,
        client: l.client,
        stake_id: l.stake_id,
        epoch: l.epoch,
        hours: l.hours,
        paid: l.paid,
        client_key: l.client_key,
        access: l.access,
        refunded: l.refunded,
        cancelled: l.cancelled,
        renewals_left: l.renewals_left,
        budget: l.budget,
        ssh_key: l.ssh_key,
        order,
        renewed_by: l.renewed_by,
        completed: l.completed,
        dispute: l.dispute,
        max_renewal_price: l.max_renewal_price,
        renewer: l.renewer,
    })
}

/// The pair's queries: one `query_*` per message, each answering with its JSON.
pub fn dispatch(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query_config(config))?,
        QueryMsg::Pool {} => query_pool(deps, &env, &config)?,
        QueryMsg::Stake { stake_id } => to_json_binary(&query_stake(deps.storage, stake_id)?)?,
        QueryMsg::Lease { lease_id } => to_json_binary(&query_lease(deps.storage, lease_id)?)?,
        QueryMsg::StakesByOwner {
            owner,
            start_after,
            limit,
        } => query_stakes_by_owner(deps, owner, start_after, limit)?,
        QueryMsg::LeasesByClient {
            client,
            start_after,
            limit,
        } => query_leases_by_client(deps, client, start_after, limit)?,
        QueryMsg::LeasesByStake { stake_id, epoch } => {
            query_leases_by_stake(deps, stake_id, epoch)?
        }
        QueryMsg::Disputes {
            stake_id,
            start_after,
            limit,
        } => query_disputes(deps, stake_id, start_after, limit)?,
        QueryMsg::EpochProof { stake_id, epoch } => to_json_binary(
            &crate::proofs::query_epoch_proof(deps.storage, &env, stake_id, epoch)?,
        )?,
        QueryMsg::Claimable { stake_id } => query_claimable(deps, &env, &config, stake_id)?,
        QueryMsg::Liquidity { owner } => query_liquidity(deps, &env, owner)?,
        QueryMsg::SimulateLease { hours } => query_simulate_lease(deps, &env, &config, hours)?,
        QueryMsg::SimulateSell { hours } => query_simulate_sell(deps, &env, &config, hours)?,
        QueryMsg::Twap { since } => query_twap(deps, &env, &config, since)?,
        QueryMsg::LeaseRewards { lease_id } => {
            to_json_binary(&crate::lease_rewards::query_lease_rewards(
                deps.storage,
                &config,
                env.block.time,
                lease_id,
            )?)?
        }
        QueryMsg::AutoRenewals { start_after, limit } => to_json_binary(
            &crate::lifecycle::query_auto_renewals(deps.storage, start_after, page_limit(limit))?,
        )?,
        QueryMsg::LiquidityRewards { owner } => {
            let owner = deps.api.addr_validate(&owner)?;
            to_json_binary(&crate::liquidity_rewards::query_liquidity_rewards(
                deps.storage,
                &config,
                &owner,
            )?)?
        }
    })
}

/// The pair's class, contracts, parameters and genesis.
fn query_config(config: Config) -> ConfigResponse {
    ConfigResponse {
        class: config.class,
        factory: config.factory,
        token: config.token,
        stake_cert: config.stake_cert,
        params: config.params,
        genesis: config.clock.genesis,
    }
}

/// The pool as stored (its epoch may be behind the clock's, which it reports too).
fn query_pool(deps: Deps, env: &Env, config: &Config) -> Result<Binary, ContractError> {
    let (pool, clock_epoch) = pool_now(deps, env, config)?;
    Ok(to_json_binary(&PoolResponse {
        epoch: pool.epoch,
        trading_epoch: pool.trading_epoch(),
        clock_epoch,
        reserves: pool.reserves,
        total_shares: pool.total_shares,
        spot_price: pool.reserves.spot_price().ok(),
        provider_hours: pool.provider_hours,
        seller_hours: pool.seller_hours,
        escrow: pool.escrow,
        accumulator: pool.accumulator,
        lease_revenue: pool.lease_revenue()?,
        seller_budget: pool.seller_budget()?,
        dispute_bonds: DISPUTE_BONDS.may_load(deps.storage)?.unwrap_or_default(),
    })?)
}

/// Stakes of one owner, by id.
fn query_stakes_by_owner(
    deps: Deps,
    owner: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<Binary, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    let stakes = STAKES_BY_OWNER
        .prefix(&owner)
        .keys(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|id| query_stake(deps.storage, id?))
        .collect::<Result<_, _>>()?;
    Ok(to_json_binary(&StakesResponse { stakes })?)
}

/// Leases of one client, by id.
fn query_leases_by_client(
    deps: Deps,
    client: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<Binary, ContractError> {
    let client = deps.api.addr_validate(&client)?;
    let leases = LEASES_BY_CLIENT
        .prefix(&client)
        .keys(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|id| query_lease(deps.storage, id?))
        .collect::<Result<_, _>>()?;
    Ok(to_json_binary(&LeasesResponse { leases })?)
}

/// The leases of one stake's epoch.
fn query_leases_by_stake(deps: Deps, stake_id: u64, epoch: u64) -> Result<Binary, ContractError> {
    // At most MAX_LEASES_PER_EPOCH entries.
    let leases = STAKE_LEASES
        .prefix((stake_id, epoch))
        .keys(deps.storage, None, None, Order::Ascending)
        .map(|id| query_lease(deps.storage, id?))
        .collect::<Result<_, _>>()?;
    Ok(to_json_binary(&LeasesResponse { leases })?)
}

/// Open disputes on one stake, by lease id.
fn query_disputes(
    deps: Deps,
    stake_id: u64,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<Binary, ContractError> {
    let leases = OPEN_DISPUTES
        .prefix(stake_id)
        .keys(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|id| query_lease(deps.storage, id?))
        .collect::<Result<_, _>>()?;
    Ok(to_json_binary(&LeasesResponse { leases })?)
}

/// What a Claim of the stake would pay and burn now, within what is left of the emission.
fn query_claimable(
    deps: Deps,
    env: &Env,
    config: &Config,
    stake_id: u64,
) -> Result<Binary, ContractError> {
    let pool = current(deps, env, config)?;
    let stake = STAKES
        .may_load(deps.storage, stake_id)?
        .ok_or(ContractError::StakeNotFound { id: stake_id })?;
    let plan = plan_claim(deps.storage, config, env.block.time, &pool, &stake, None)?;
    let left = emission_left(&deps.querier, config, plan.rewards)?;
    let plan = plan.within_emission(&stake, left)?;
    Ok(to_json_binary(&ClaimableResponse {
        payout: plan.payout,
        rewards: plan.rewards,
        rewards_owed: plan.rewards_owed,
        burned: plan.upkeep,
        finished: plan.finished,
    })?)
}

/// A passive provider's shares, and what a withdrawal would be paid now, before the exit fee.
fn query_liquidity(deps: Deps, env: &Env, owner: String) -> Result<Binary, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    let shares = LIQUIDITY
        .may_load(deps.storage, &owner)?
        .unwrap_or_default();
    let mut pool = POOL.load(deps.storage)?;
    let now = env.block.time.seconds();
    pool.observe_share_value(now)?;
    let value = if pool.total_shares.is_zero() {
        Uint128::zero()
    } else {
        shares.multiply_ratio(tokens_for_shares(&pool)?, pool.total_shares)
    };
    Ok(to_json_binary(&LiquidityResponse { shares, value })?)
}

/// What a lease of `hours` costs now.
fn query_simulate_lease(
    deps: Deps,
    env: &Env,
    config: &Config,
    hours: Uint128,
) -> Result<Binary, ContractError> {
    Ok(to_json_binary(
        &current(deps, env, config)?
            .reserves
            .buy_exact_hours(hours, config.params.exchange_fee)?,
    )?)
}

/// What selling `hours` back (a cancellation) pays now, along the curve.
fn query_simulate_sell(
    deps: Deps,
    env: &Env,
    config: &Config,
    hours: Uint128,
) -> Result<Binary, ContractError> {
    Ok(to_json_binary(
        &current(deps, env, config)?
            .reserves
            .sell_hours(hours, config.params.exchange_fee)?,
    )?)
}

/// The price accumulator brought up to now, and the average price since `since` if given.
fn query_twap(
    deps: Deps,
    env: &Env,
    config: &Config,
    since: Option<PriceAccumulator>,
) -> Result<Binary, ContractError> {
    let pool = current(deps, env, config)?;
    let accumulator = pool
        .accumulator
        .advance(env.block.time.seconds(), &pool.reserves)?;
    let twap = since
        .map(|earlier| accumulator.twap_since(&earlier))
        .transpose()?;
    Ok(to_json_binary(&TwapResponse { accumulator, twap })?)
}
