//! A stake's life after it is made (issue 19): renewal, by one or several epochs at a time, by
//! its owner or by anyone within the owner's standing instruction (`SetAutoRenew`), and a
//! seller's deposit topped up to cover a longer stake's maintenance.

use cosmwasm_std::{Addr, DepsMut, Env, Response, Storage, Uint128};
use cw_storage_plus::Map;
use loopin::pair::{AUTO_RENEW_AHEAD, AutoRenewal, AutoRenewalsResponse, MAX_RENEW_EPOCHS};
use loopin::stake_cert::{self, StakeMode};

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::outflow;
use crate::staking::{load_owned, maintenance, timestamp};
use crate::state::{
    CONFIG, Config, POOL, PROVIDER_HOURS_ENDING, SELLER_HOURS_ENDING, SHARES_ENDING, STAKES, Stake,
    add, sub,
};
use crate::verification::{book_seller, in_market};

/// Stake id -> the last epoch its owner lets anyone renew it to (`SetAutoRenew`): the end
/// epoch of a renewal by anyone but the owner is at most this.
pub const AUTO_RENEW: Map<u64, u64> = Map::new("auto_renew");

/// Loads a stake that `sender` may renew by `epochs` while `trading` is traded: its owner, or
/// anyone within the owner's standing instruction and [`AUTO_RENEW_AHEAD`].
fn load_renewable(
    storage: &dyn Storage,
    sender: &Addr,
    id: u64,
    epochs: u64,
    trading: u64,
) -> Result<Stake, ContractError> {
    let stake = STAKES
        .may_load(storage, id)?
        .ok_or(ContractError::StakeNotFound { id })?;
    let instruction = match stake.owner == *sender {
        true => None,
        false => Some(
            AUTO_RENEW
                .may_load(storage, id)?
                .ok_or(ContractError::Unauthorized {})?,
        ),
    };
    if stake.invalidated {
        return Err(ContractError::Invalidated { id });
    }
    let Some(until) = instruction else {
        return Ok(stake);
    };
    let until = until.min(trading + AUTO_RENEW_AHEAD);
    let new_end = stake.end_epoch + epochs;
    if new_end > until {
        return Err(ContractError::BeyondAutoRenew { id, until, new_end });
    }
    Ok(stake)
}

/// Moves the stake's hours (and a provider's shares) from ending at its end to ending
/// `epochs` later, and checks the longer stake is still one the class allows and a seller's
/// deposit covers it.
fn extend(
    storage: &mut dyn Storage,
    config: &Config,
    pool: &mut crate::state::Pool,
    stake: &mut Stake,
    epochs: u64,
) -> Result<(), ContractError> {
    let total = stake.end_epoch - stake.start_epoch + epochs;
    if total > config.params.max_epochs {
        return Err(ContractError::InvalidDuration {
            min: config.params.min_epochs,
            max: config.params.max_epochs,
        });
    }
    let hours = stake.hours_per_epoch;
    // A clawback still owed must stay covered by what the deposit returns at the end.
    if stake.mode == StakeMode::Seller
        && maintenance(config, hours, total)? > stake.deposit.saturating_sub(stake.clawback)
    {
        return Err(ContractError::DepositTooLow {});
    }
    move_end(storage, pool, stake, stake.end_epoch + epochs)
}

/// Moves the stake's hours (and a provider's shares) in the books from ending at its end to
/// ending at `new_end`, later (a renewal) or earlier (an exit), and sets its end.
pub(crate) fn move_end(
    storage: &mut dyn Storage,
    pool: &mut crate::state::Pool,
    stake: &mut Stake,
    new_end: u64,
) -> Result<(), ContractError> {
    let (old_end, hours) = (stake.end_epoch, stake.hours_per_epoch);
    match stake.mode {
        StakeMode::LiquidityProvider => {
            sub(storage, &PROVIDER_HOURS_ENDING, old_end, hours)?;
            add(storage, &PROVIDER_HOURS_ENDING, new_end, hours)?;
            sub(storage, &SHARES_ENDING, old_end, stake.shares)?;
            add(storage, &SHARES_ENDING, new_end, stake.shares)?;
        }
        StakeMode::Seller if in_market(stake) => {
            // Ending at or before its first unsold epoch, the boundary that would sell it drops
            // it first: nothing more is sold.
            sub(storage, &SELLER_HOURS_ENDING, old_end, hours)?;
            add(storage, &SELLER_HOURS_ENDING, new_end, hours)?;
        }
        StakeMode::Seller => {
            if stake.verified_from.is_some_and(|from| from < new_end) {
                // Registered with one epoch left, it was verified from its end and nothing of
                // it was booked; renewed, that epoch is its first, sold at the next boundary as
                // a registration's would be. (Left out, its hours were listed by the other
                // sellers' sale without being sold, and its claim paid out of their escrow.)
                book_seller(storage, pool, stake, new_end)?;
            }
        }
    }
    stake.end_epoch = new_end;
    Ok(())
}

/// Extends a stake by `epochs` (1 to [`MAX_RENEW_EPOCHS`]), before its last epoch is traded.
pub fn renew(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    id: u64,
    epochs: Option<u32>,
) -> Result<Response, ContractError> {
    let epochs = epochs.unwrap_or(1);
    if !(1..=MAX_RENEW_EPOCHS).contains(&epochs) {
        return Err(ContractError::InvalidRenewal {
            max: MAX_RENEW_EPOCHS,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    let trading = pool.trading_epoch();
    let mut stake = load_renewable(deps.storage, &sender, id, u64::from(epochs), trading)?;
    if stake.end_epoch <= pool.trading_epoch() {
        return Err(ContractError::RenewTooLate { id });
    }
    extend(
        deps.storage,
        &config,
        &mut pool,
        &mut stake,
        u64::from(epochs),
    )?;
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let extend = stake_cert::ExecuteMsg::Extend {
        token_id: stake.token_id.clone(),
        expiry: timestamp(&config, stake.end_epoch)?,
    };
    Ok(Response::new()
        .add_attribute("action", "renew")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("renewed_by", &sender)
        .add_attribute("end_epoch", stake.end_epoch.to_string())
        .add_message(outflow::execute(&config.stake_cert, &extend)?)
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
}

/// Sets (or, with `None`, removes) the owner's standing instruction: anyone may renew the
/// stake, an epoch or more at a time, up to `until_epoch`.
pub fn set_auto_renew(
    deps: DepsMut,
    sender: Addr,
    id: u64,
    until_epoch: Option<u64>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let stake = load_owned(deps.storage, &sender, id)?;
    match until_epoch {
        Some(until) => {
            let longest = stake.start_epoch + config.params.max_epochs;
            if until <= stake.end_epoch || until > longest {
                return Err(ContractError::InvalidAutoRenew {
                    end: stake.end_epoch,
                    longest,
                });
            }
            AUTO_RENEW.save(deps.storage, id, &until)?;
        }
        None => AUTO_RENEW.remove(deps.storage, id),
    }
    let until = until_epoch.map_or_else(|| "none".to_string(), |u| u.to_string());
    Ok(Response::new()
        .add_attribute("action", "set_auto_renew")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("until_epoch", until))
}

/// Adds `amount` to a seller's maintenance deposit (returned at its end less the burn).
pub fn top_up(
    deps: DepsMut,
    sender: Addr,
    id: u64,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let mut stake = load_owned(deps.storage, &sender, id)?;
    if stake.mode != StakeMode::Seller {
        return Err(ContractError::NotASeller { id });
    }
    if stake.finished {
        return Err(ContractError::StakeFinished { id });
    }
    if amount.is_zero() {
        return Err(ContractError::InsufficientFunds {
            needed: Uint128::one(),
            offered: amount,
        });
    }
    let mut pool = POOL.load(deps.storage)?;
    stake.deposit = stake.deposit.checked_add(amount)?;
    pool.escrow = pool.escrow.checked_add(amount)?;
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "top_up")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("amount", amount)
        .add_attribute("deposit", stake.deposit))
}

/// Standing renewal instructions after `start_after`, at most `limit`, by stake id.
pub fn query_auto_renewals(
    storage: &dyn Storage,
    start_after: Option<u64>,
    limit: usize,
) -> Result<AutoRenewalsResponse, ContractError> {
    let start = start_after.map(cw_storage_plus::Bound::exclusive);
    let renewals = AUTO_RENEW
        .range(storage, start, None, cosmwasm_std::Order::Ascending)
        .take(limit)
        .map(|item| {
            let (stake_id, until_epoch) = item?;
            let stake = STAKES.load(storage, stake_id)?;
            Ok(AutoRenewal {
                stake_id,
                until_epoch,
                end_epoch: stake.end_epoch,
                renewable: !stake.invalidated && !stake.finished,
            })
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(AutoRenewalsResponse { renewals })
}
