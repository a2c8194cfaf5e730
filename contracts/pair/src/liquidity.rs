//! Passive LOOP liquidity: it funds the sellers' sales and earns from leases (paper §5).

use cosmwasm_std::{Addr, DepsMut, Env, Response, Timestamp, Uint128};

use crate::epoch::{current_pool, tokens_for_deposits, tokens_for_shares};
use crate::error::ContractError;
use crate::liquidity_rewards::{self, Change};
use crate::outflow;
use crate::requests::check_deadline;
use crate::state::{CONFIG, Config, LIQUIDITY, POOL};

pub fn provide(
    deps: DepsMut,
    env: Env,
    config: &Config,
    provider: Addr,
    amount: Uint128,
    min_shares: Uint128,
    deadline: Option<Timestamp>,
) -> Result<Response, ContractError> {
    check_deadline(&env, deadline)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, config)?;
    if pool.total_shares.is_zero() || pool.reserves.tokens.is_zero() {
        return Err(ContractError::NoPrice {});
    }
    // Minted at the spot LOOP per share or its average this epoch, whichever is higher,
    // rounded down: the pool never gives more.
    let minted = amount.multiply_ratio(pool.total_shares, tokens_for_deposits(&pool)?);
    if minted.is_zero() || minted < min_shares {
        return Err(ContractError::SlippageExceeded {
            got: minted,
            min: min_shares,
        });
    }
    pool.reserves.tokens = pool.reserves.tokens.checked_add(amount)?;
    pool.total_shares = pool.total_shares.checked_add(minted)?;
    let held = LIQUIDITY
        .may_load(deps.storage, &provider)?
        .unwrap_or_default();
    LIQUIDITY.save(deps.storage, &provider, &held.checked_add(minted)?)?;
    let change = Change::Provided(minted);
    liquidity_rewards::on_change(deps.storage, config, &provider, pool.epoch, held, change)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "provide_liquidity")
        .add_attribute("provider", &provider)
        .add_attribute("amount", amount)
        .add_attribute("shares", minted)
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
}

pub fn withdraw(
    deps: DepsMut,
    env: Env,
    provider: Addr,
    shares: Uint128,
    min_out: Uint128,
    deadline: Option<Timestamp>,
) -> Result<Response, ContractError> {
    check_deadline(&env, deadline)?;
    let config = CONFIG.load(deps.storage)?;
    let held = LIQUIDITY
        .may_load(deps.storage, &provider)?
        .unwrap_or_default();
    if shares.is_zero() || shares > held {
        return Err(ContractError::InsufficientShares {
            held,
            wanted: shares,
        });
    }
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    // A voluntary exit at the spot LOOP per share or its average this epoch, whichever is
    // lower, bounded by `min_out`.
    let gross = shares.multiply_ratio(tokens_for_shares(&pool)?, pool.total_shares);
    let fee = config
        .params
        .exchange_fee
        .checked_mul(cosmwasm_std::Decimal::from_ratio(gross, 1u128))?
        .to_uint_ceil();
    let out = gross.saturating_sub(fee);
    if out < min_out || out.is_zero() {
        return Err(ContractError::SlippageExceeded {
            got: out,
            min: min_out,
        });
    }
    pool.record_exit(shares, gross)?;
    pool.reserves.tokens = pool.reserves.tokens.checked_sub(gross)?;
    pool.total_shares = pool.total_shares.checked_sub(shares)?;
    LIQUIDITY.save(deps.storage, &provider, &(held - shares))?;
    let change = Change::Withdrawn(shares);
    liquidity_rewards::on_change(deps.storage, &config, &provider, pool.epoch, held, change)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "withdraw_liquidity")
        .add_attribute("provider", &provider)
        .add_attribute("shares", shares)
        .add_attribute("amount", out)
        .add_attribute("fee_burned", fee)
        .add_messages(outflow::transfer(&config.token, &provider, out)?)
        .add_messages(outflow::burn(&config.token, fee + advanced.fees)?))
}
