//! Early exit (issue 19): a stake's owner ends it before its term. What the stake has sold or
//! may still sell stays owed: it keeps supplying the epoch being delivered and the trading
//! epoch, whose hours clients may have leased, and it ends at the next epoch. It forfeits the
//! maintenance of the epochs it gives up, so that an exit costs what staying would have cost in
//! burn, without the pay: a commitment that is cheap to drop commits nothing (docs/pair.md,
//! "Early exit").
//!
//! An exit cannot dodge a challenge or a dispute: the stake and its certificate stay live to
//! the new end, its device is challenged until then, and nothing is paid before the end's
//! epoch is final and its dispute window has closed, so a failed challenge still invalidates
//! it and seizes what it holds, as at a normal end. A stake with an open dispute cannot exit
//! (`ExitDisputed`): the deposit that would be forfeited backs the dispute's refund.

use cosmwasm_std::{Addr, DepsMut, Env, Response, Storage, Uint128};
use loopin::stake_cert::{self, StakeMode};

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::lifecycle::{AUTO_RENEW, move_end};
use crate::outflow;
use crate::staking::{load_owned, maintenance, sub, timestamp};
use crate::state::{CONFIG, Config, POOL, Pool, SHARES_ENDING, STAKES, Stake};

/// What an exit forfeits, burned.
struct Forfeit {
    /// LOOP burned: from a seller's deposit, or a provider's shares' value.
    tokens: Uint128,
    /// A provider's shares given up (their value is `tokens`).
    shares: Uint128,
}

/// A seller forfeits the maintenance of the epochs it gives up out of its deposit, keeping
/// covered the maintenance of the epochs it still supplies and any clawback owed.
fn seller_forfeit(config: &Config, stake: &Stake, new_end: u64) -> Result<Forfeit, ContractError> {
    let hours = stake.hours_per_epoch;
    let given_up = maintenance(config, hours, stake.end_epoch - new_end)?;
    let kept =
        maintenance(config, hours, new_end - stake.start_epoch)?.checked_add(stake.clawback)?;
    Ok(Forfeit {
        tokens: given_up.min(stake.deposit.saturating_sub(kept)),
        shares: Uint128::zero(),
    })
}

/// A provider forfeits the same maintenance out of its locked shares at the spot LOOP per
/// share, rounded up, at most all of them: the shares and that LOOP leave the pool and LOOP per
/// share of those who stay is unchanged (up to rounding, in their favour). Valued lower (as a
/// withdrawal is, at the epoch's average when spot is above it), the difference stayed in the
/// pool as a gift that the exiter's own passive liquidity shared: the value-fairness property
/// found an honest provider worse off beside an adversary whose exit was cheaper that way. A
/// spot pumped for the exit gains nothing: a lease that lifts LOOP per share lifts it for every
/// share, and the cancel that lowers it lowers it for every share, the exiter's included.
fn provider_forfeit(
    config: &Config,
    pool: &Pool,
    stake: &Stake,
    new_end: u64,
) -> Result<Forfeit, ContractError> {
    let owed = maintenance(config, stake.hours_per_epoch, stake.end_epoch - new_end)?;
    let reserve = pool.reserves.tokens;
    if reserve.is_zero() || pool.total_shares.is_zero() {
        return Ok(Forfeit {
            tokens: Uint128::zero(),
            shares: Uint128::zero(),
        });
    }
    let shares = owed
        .checked_mul_ceil((pool.total_shares, reserve))
        .unwrap_or(Uint128::MAX)
        .min(stake.shares);
    let tokens = owed.min(shares.multiply_ratio(reserve, pool.total_shares));
    Ok(Forfeit { tokens, shares })
}

/// Takes the forfeit out of the stake and the pool.
fn take_forfeit(
    storage: &mut dyn Storage,
    pool: &mut Pool,
    stake: &mut Stake,
    forfeit: &Forfeit,
) -> Result<(), ContractError> {
    match stake.mode {
        StakeMode::Seller => {
            stake.deposit -= forfeit.tokens;
            pool.escrow = pool.escrow.checked_sub(forfeit.tokens)?;
        }
        StakeMode::LiquidityProvider => {
            // Valued at spot (rounded in the pool's favour), the shares take their part of
            // this epoch's revenue and budget with them, as a settlement's do.
            pool.record_exit(forfeit.shares, forfeit.tokens)?;
            sub(storage, &SHARES_ENDING, stake.end_epoch, forfeit.shares)?;
            stake.shares -= forfeit.shares;
            pool.total_shares = pool.total_shares.checked_sub(forfeit.shares)?;
            pool.reserves.tokens = pool.reserves.tokens.checked_sub(forfeit.tokens)?;
        }
    }
    Ok(())
}

/// Ends a stake at the epoch after the trading epoch (after its first epoch, for a seller's
/// not started yet), forfeiting the maintenance of the epochs
/// given up. Its owner only; refused for a stake already ending by then, invalidated,
/// finished or under an open dispute. Withdraws the standing renewal instruction.
pub fn exit(deps: DepsMut, env: Env, sender: Addr, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut stake = load_owned(deps.storage, &sender, id)?;
    if stake.finished {
        return Err(ContractError::StakeFinished { id });
    }
    if !stake.disputed.is_zero() {
        return Err(ContractError::ExitDisputed {
            id,
            disputed: stake.disputed,
        });
    }
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    // A seller's stake starts at the epoch after the trading epoch: it keeps that one.
    let new_end = (pool.trading_epoch() + 1).max(stake.start_epoch + 1);
    if stake.end_epoch <= new_end {
        return Err(ContractError::ExitTooLate {
            id,
            end_epoch: stake.end_epoch,
        });
    }
    let given_up = stake.end_epoch - new_end;
    let forfeit = match stake.mode {
        StakeMode::Seller => seller_forfeit(&config, &stake, new_end)?,
        StakeMode::LiquidityProvider => provider_forfeit(&config, &pool, &stake, new_end)?,
    };
    take_forfeit(deps.storage, &mut pool, &mut stake, &forfeit)?;
    move_end(deps.storage, &mut pool, &mut stake, new_end)?;
    AUTO_RENEW.remove(deps.storage, id);
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let curtail = stake_cert::ExecuteMsg::Curtail {
        token_id: stake.token_id.clone(),
        expiry: timestamp(&config, new_end)?,
    };
    Ok(Response::new()
        .add_attribute("action", "exit")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("end_epoch", new_end.to_string())
        .add_attribute("epochs_given_up", given_up.to_string())
        .add_attribute("forfeited", forfeit.tokens)
        .add_attribute("shares_forfeited", forfeit.shares)
        .add_message(outflow::execute(&config.stake_cert, &curtail)?)
        .add_messages(outflow::burn(
            &config.token,
            forfeit.tokens + advanced.fees,
        )?))
}
