//! Epoch boundaries: withdrawal, settlement, renewal and the sellers' sale (docs/pair.md).
//! Each boundary touches aggregates only, so its cost is independent of the number of stakes.

use cosmwasm_std::{Decimal, Decimal256, DepsMut, Env, Response, Storage, Uint128, Uint256};
use loopin_pool_math::MathError;
use loopin_pool_math::amm::Swap;
use loopin_pool_math::shares::share_of;

use crate::error::ContractError;
use crate::outflow;
use crate::state::{
    CONFIG, Config, POOL, PROVIDER_HOURS_ENDING, Pool, SELLER_HOURS_ENDING, SELLER_PRICE,
    SHARE_VALUE, SHARES_ENDING, Settlement,
};

/// Boundaries any other operation processes on its own before it runs; more need AdvanceEpoch.
pub const AUTO_ADVANCE_LIMIT: u64 = 4;
/// Default and largest page of AdvanceEpoch.
pub const DEFAULT_ADVANCE: u32 = 16;
pub const MAX_ADVANCE: u32 = 64;

/// What processing boundaries did.
#[derive(Default)]
pub struct Advanced {
    pub boundaries: u64,
    /// Exchange fees of the sellers' sales, to burn.
    pub fees: Uint128,
}

/// The LOOP reserve a settlement divides among all shares: the spot LOOP per share, never above
/// its time-weighted average since the last boundary, times the shares. LOOP pushed in just
/// before a payout does not reach it, and shares minted then (at spot) do not dilute it.
pub fn tokens_for_shares(pool: &Pool) -> Result<Uint128, ContractError> {
    let average = pool
        .share_value_twap
        .average_since(&pool.share_value_mark)?;
    let (Some(average), Some(spot)) = (average, pool.share_value()) else {
        return Ok(pool.reserves.tokens);
    };
    if average >= spot {
        return Ok(pool.reserves.tokens);
    }
    tokens_at(pool, average)
}

/// `per_share` LOOP for every share, rounded down, never above the reserve.
fn tokens_at(pool: &Pool, per_share: Decimal256) -> Result<Uint128, ContractError> {
    let tokens = Uint256::from(pool.total_shares).checked_mul(per_share.atomics())?
        / Decimal256::one().atomics();
    Ok(Uint128::try_from(tokens)
        .unwrap_or(Uint128::MAX)
        .min(pool.reserves.tokens))
}

/// The LOOP reserve a deposit of liquidity buys shares against: the spot LOOP per share, never
/// below its time-weighted average since the last boundary, times the shares. With withdrawals
/// paid at [`tokens_for_shares`], liquidity moved in just before a lease and out just after it
/// takes none of the lease's revenue from the providers who held the pool.
pub fn tokens_for_deposits(pool: &Pool) -> Result<Uint128, ContractError> {
    let average = pool
        .share_value_twap
        .average_since(&pool.share_value_mark)?;
    let (Some(average), Some(spot)) = (average, pool.share_value()) else {
        return Ok(pool.reserves.tokens);
    };
    if average <= spot {
        return Ok(pool.reserves.tokens);
    }
    let one = Decimal256::one().atomics();
    let at_average = Uint256::from(pool.total_shares)
        .checked_mul(average.atomics())?
        .checked_add(one - Uint256::one())?
        / one;
    Ok(Uint128::try_from(at_average).unwrap_or(Uint128::MAX))
}

/// What a sale of sellers' hours pays now: along the curve, taking at most the seller budget
/// out of the LOOP reserve (fee included), down to nothing. Fails only without a price.
pub fn sellers_sale(pool: &Pool, hours: Uint128, fee: Decimal) -> Result<Swap, MathError> {
    let budget = pool.seller_budget().map_err(|_| MathError::Overflow)?;
    pool.reserves.sell_hours_within(hours, fee, budget)
}

/// Books a sale of sellers' hours: the hours join `x`, the LOOP (fee included) leaves the
/// reserve and the budget, and the proceeds go into escrow for the sellers.
pub fn take_sellers_sale(pool: &mut Pool, sale: &Swap) -> Result<(), ContractError> {
    let taken = sale.receive.checked_add(sale.fee)?;
    pool.spend_seller_budget(taken)?;
    pool.reserves.hours = pool.reserves.hours.checked_add(sale.offer)?;
    pool.reserves.tokens = pool.reserves.tokens.checked_sub(taken)?;
    pool.escrow = pool.escrow.checked_add(sale.receive)?;
    Ok(())
}

/// Processes the next boundary: into epoch `pool.epoch + 1`, trading `pool.epoch + 2`.
fn process_boundary(
    storage: &mut dyn Storage,
    config: &Config,
    pool: &mut Pool,
) -> Result<Uint128, ContractError> {
    let boundary = pool.epoch + 1;
    let trading = boundary + 1;
    let boundary_time = config.clock.start_of(boundary)?;
    pool.accumulator = pool.accumulator.advance(boundary_time, &pool.reserves)?;
    pool.observe_share_value(boundary_time)?;

    // Withdrawal: the unleased hours of the epoch now starting are gone.
    pool.reserves.hours = Uint128::zero();

    // Settlement of providers whose last epoch starts now: they do not supply `trading`.
    if let Some(shares) = SHARES_ENDING.may_load(storage, trading)? {
        SHARES_ENDING.remove(storage, trading);
        if !shares.is_zero() {
            // Priced per share at spot, after every trade of the epoch. Deposits buy shares at
            // no less than spot and withdrawals are paid no more, so neither moves it against
            // a settling provider; a lease can no longer be cancelled once its epoch starts,
            // so one cancelled before the boundary leaves spot where it was; and what a share
            // is worth leaves with it, so nothing of it stays behind for whoever deposited
            // just before the boundary.
            let tokens = pool.reserves.tokens;
            let value = share_of(tokens, shares, pool.total_shares)?;
            SHARE_VALUE.save(
                storage,
                trading,
                &Settlement {
                    tokens,
                    total_shares: pool.total_shares,
                },
            )?;
            pool.reserves.tokens -= value;
            pool.total_shares -= shares;
            pool.escrow += value;
        }
    }

    pool.share_value_mark = pool.share_value_twap;

    // Renewal: the hours of every stake active in `trading`.
    let ended = PROVIDER_HOURS_ENDING
        .may_load(storage, trading)?
        .unwrap_or_default();
    PROVIDER_HOURS_ENDING.remove(storage, trading);
    pool.provider_hours = pool.provider_hours.checked_sub(ended)?;
    let ended = SELLER_HOURS_ENDING
        .may_load(storage, trading)?
        .unwrap_or_default();
    SELLER_HOURS_ENDING.remove(storage, trading);
    pool.seller_hours = pool.seller_hours.checked_sub(ended)?;
    pool.reserves.hours = pool.provider_hours;
    pool.epoch = boundary;

    pool.finalise_lease_revenue()?;

    // Sellers sell their hours of `trading` to the pool as one swap, along the curve within the
    // budget (down to nothing: the hours are listed all the same); the proceeds are escrowed.
    // Without a price (no provider hours or no LOOP) their hours stay unlisted this epoch.
    let mut fees = Uint128::zero();
    if !pool.seller_hours.is_zero()
        && let Ok(sale) = sellers_sale(pool, pool.seller_hours, config.params.exchange_fee)
    {
        take_sellers_sale(pool, &sale)?;
        fees = sale.fee;
        SELLER_PRICE.save(
            storage,
            trading,
            &Decimal256::from_ratio(sale.receive, pool.seller_hours),
        )?;
    }
    Ok(fees)
}

/// Processes up to `limit` due boundaries.
pub fn advance(
    storage: &mut dyn Storage,
    env: &Env,
    config: &Config,
    pool: &mut Pool,
    limit: u64,
) -> Result<Advanced, ContractError> {
    let due = config
        .clock
        .epoch_at(env.block.time.seconds())
        .saturating_sub(pool.epoch);
    let mut advanced = Advanced::default();
    while advanced.boundaries < due.min(limit) {
        let fees = process_boundary(storage, config, pool)?;
        advanced.fees += fees;
        advanced.boundaries += 1;
    }
    Ok(advanced)
}

/// Loads the pool brought up to the current epoch (processing a few due boundaries itself) and
/// its price accumulator up to now, as every trade needs.
pub fn current_pool(
    storage: &mut dyn Storage,
    env: &Env,
    config: &Config,
) -> Result<(Pool, Advanced), ContractError> {
    let mut pool = POOL.load(storage)?;
    let behind = config
        .clock
        .epoch_at(env.block.time.seconds())
        .saturating_sub(pool.epoch);
    if behind > AUTO_ADVANCE_LIMIT {
        return Err(ContractError::EpochsDue { behind });
    }
    let advanced = advance(storage, env, config, &mut pool, AUTO_ADVANCE_LIMIT)?;
    let now = env.block.time.seconds();
    pool.accumulator = pool.accumulator.advance(now, &pool.reserves)?;
    pool.observe_share_value(now)?;
    Ok((pool, advanced))
}

/// Processes up to `max_epochs` due boundaries (an AdvanceEpoch); refused when none is due.
pub fn advance_epoch(
    deps: DepsMut,
    env: Env,
    max_epochs: Option<u32>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut pool = POOL.load(deps.storage)?;
    let limit = max_epochs.unwrap_or(DEFAULT_ADVANCE).clamp(1, MAX_ADVANCE);
    let advanced = advance(deps.storage, &env, &config, &mut pool, u64::from(limit))?;
    if advanced.boundaries == 0 {
        return Err(ContractError::NothingToAdvance {});
    }
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "advance_epoch")
        .add_attribute("epoch", pool.epoch.to_string())
        .add_attribute("boundaries", advanced.boundaries.to_string())
        .add_attribute("hours", pool.reserves.hours)
        .add_attribute("tokens", pool.reserves.tokens)
        .add_attribute("burned", advanced.fees)
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
}
