//! A stake's device registered with the PoCPS registry: the registry reports it
//! (`DeviceRegistered`), and only from then on do the device's hours go to clients, a seller's
//! hours get sold to the pool, and its epochs earn rewards. A key and a signature make a stake;
//! only a registered commitment, challenged from then on, makes hours.

use cosmwasm_std::{Addr, Deps, DepsMut, Env, Response, StdResult, Storage};
use loopin::factory;
use loopin::stake_cert::StakeMode;

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::state::{
    CONFIG, Config, POOL, Pool, SELLER_HOURS_ENDING, SELLER_PRICE, STAKE_BY_TOKEN, STAKES, Stake,
    add,
};

/// Refuses any sender but the registry the factory names now.
pub(crate) fn ensure_registry(
    deps: Deps,
    config: &Config,
    sender: &Addr,
) -> Result<(), ContractError> {
    let factory_config: factory::ConfigResponse = deps
        .querier
        .query_wasm_smart(&config.factory, &factory::QueryMsg::Config {})?;
    if factory_config.registry.as_ref() != Some(sender) {
        return Err(ContractError::NotRegistry {});
    }
    Ok(())
}

/// The stake behind certificate `token_id`, for a call only the registry may make; an
/// invalidated stake is refused.
pub(crate) fn registry_call(
    deps: Deps,
    config: &Config,
    sender: &Addr,
    token_id: &str,
) -> Result<(u64, Stake), ContractError> {
    ensure_registry(deps, config, sender)?;
    let id = STAKE_BY_TOKEN
        .may_load(deps.storage, token_id)?
        .ok_or_else(|| ContractError::UnknownCertificate {
            token_id: token_id.into(),
        })?;
    let stake = STAKES.load(deps.storage, id)?;
    if stake.invalidated {
        return Err(ContractError::Invalidated { id });
    }
    Ok((id, stake))
}

/// The registry registered the device of certificate `token_id` (its owner, its key's
/// fingerprint, the commitment it was staked with). Marks the stake verified from the first
/// epoch whose sale is still to come, or its first: a provider's hours are in the pool's
/// curve already, so from the trading epoch; a seller's hours are sold to the pool only at a
/// boundary, with every seller's at one price, so from the epoch after it. A second report
/// changes nothing.
///
/// A registration used to sell the seller's hours of the trading epoch at once, out of the
/// budget the boundary's sale had left, on a curve of its own: four findings of the fairness
/// property came from that sale (a seller's own lease raising its price, liquidity moved
/// around it, a provider joining before it, a deposit before the boundary leaving it nothing),
/// each patched by a rule. With no sale at registration there is no second price to move.
pub fn device_registered(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    token_id: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (id, mut stake) = registry_call(deps.as_ref(), &config, &sender, &token_id)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    if stake.verified_from.is_none() {
        stake.verified_from = Some(first_unsold(&pool, stake.mode).max(stake.start_epoch));
        // Staked before registrations stopped selling at once: nothing was sold for it.
        stake.first_proceeds = None;
        if in_market(&stake) && stake.mode == StakeMode::Seller {
            book_seller(deps.storage, &mut pool, &stake, stake.end_epoch)?;
        }
    }
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let verified_from = stake.verified_from.unwrap_or_default();
    Ok(Response::new()
        .add_attribute("action", "device_registered")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("token_id", token_id)
        .add_attribute("verified_from", verified_from.to_string())
        .add_attribute("burned", advanced.fees)
        .add_messages(crate::outflow::burn(&config.token, advanced.fees)?))
}

/// The first epoch whose hours a stake of `mode` can still supply: a provider's join the trading
/// epoch's curve at once; a seller's are sold to the pool only at a boundary, with every
/// seller's, so from the epoch the next boundary trades.
pub(crate) fn first_unsold(pool: &Pool, mode: StakeMode) -> u64 {
    match mode {
        StakeMode::LiquidityProvider => pool.trading_epoch(),
        StakeMode::Seller => pool.trading_epoch() + 1,
    }
}

/// Books a registered seller's hours for the next boundary's sale and every one until `end`
/// (the boundary that trades `end` drops them).
pub(crate) fn book_seller(
    storage: &mut dyn Storage,
    pool: &mut Pool,
    stake: &Stake,
    end: u64,
) -> Result<(), ContractError> {
    pool.seller_hours = pool.seller_hours.checked_add(stake.hours_per_epoch)?;
    add(storage, &SELLER_HOURS_ENDING, end, stake.hours_per_epoch)
}

/// Whether the stake's hours are in the pool's books: a provider's from its stake, a seller's
/// from its device's registration (before its end) on.
pub(crate) fn in_market(stake: &Stake) -> bool {
    match stake.mode {
        StakeMode::LiquidityProvider => true,
        StakeMode::Seller => stake
            .verified_from
            .is_some_and(|from| from < stake.end_epoch),
    }
}

/// Whether the stake's hours of `epoch` are listed in the pool: a provider's always, a seller's
/// once its boundary's sale sold them (none where the pool had no price), or, for a stake
/// registered when a registration sold its first epoch at once, that epoch. Assumes `epoch` is
/// within the stake.
pub(crate) fn listed(storage: &dyn Storage, stake: &Stake, epoch: u64) -> StdResult<bool> {
    Ok(match (stake.mode, stake.verified_from) {
        (StakeMode::LiquidityProvider, _) => true,
        (StakeMode::Seller, None) => false,
        (StakeMode::Seller, Some(first)) => {
            (epoch == first && stake.first_proceeds.is_some())
                || (epoch >= first && SELLER_PRICE.has(storage, epoch))
        }
    })
}
