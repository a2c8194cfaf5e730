//! Leases: buy hours of the trading epoch on a device, cancel before the epoch, post access.

use cosmwasm_std::{Addr, Binary, DepsMut, Empty, Env, HexBinary, Response, Timestamp, Uint128};
use loopin::pair::{CLIENT_KEY_LEN, MAX_ACCESS_LEN, MAX_LEASES_PER_EPOCH};
use loopin::stake_cert::StakeMode;

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::outflow;
use crate::state::{
    CONFIG, LEASE_COUNT, LEASED, LEASES, LEASES_BY_CLIENT, Lease, POOL, SELLER_PRICE, STAKE_LEASES,
    STAKES,
};

pub(crate) fn check_deadline(env: &Env, deadline: Option<Timestamp>) -> Result<(), ContractError> {
    match deadline {
        Some(deadline) if env.block.time > deadline => {
            Err(ContractError::DeadlinePassed { deadline })
        }
        _ => Ok(()),
    }
}

/// A lease request from a Lease hook.
pub struct LeaseRequest {
    pub stake_id: u64,
    pub hours: Uint128,
    pub client_key: HexBinary,
    pub deadline: Option<Timestamp>,
}

pub fn lease(
    deps: DepsMut,
    env: Env,
    client: Addr,
    amount: Uint128,
    request: LeaseRequest,
) -> Result<Response, ContractError> {
    check_deadline(&env, request.deadline)?;
    if request.client_key.len() != CLIENT_KEY_LEN {
        return Err(ContractError::InvalidClientKey {});
    }
    let config = CONFIG.load(deps.storage)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env)?;
    let id = request.stake_id;
    let stake = STAKES
        .may_load(deps.storage, id)?
        .ok_or(ContractError::StakeNotFound { id })?;
    let epoch = pool.trading_epoch();
    if stake.invalidated {
        return Err(ContractError::Invalidated { id });
    }
    let listed = match stake.mode {
        StakeMode::LiquidityProvider => true,
        StakeMode::Seller => epoch == stake.start_epoch || SELLER_PRICE.has(deps.storage, epoch),
    };
    if epoch < stake.start_epoch || epoch >= stake.end_epoch || !listed {
        return Err(ContractError::NotSupplying { id, epoch });
    }
    let count = LEASE_COUNT
        .may_load(deps.storage, (id, epoch))?
        .unwrap_or(0);
    if count >= MAX_LEASES_PER_EPOCH {
        return Err(ContractError::TooManyLeases { id, epoch });
    }
    let swap = pool
        .reserves
        .buy_exact_hours(request.hours, config.params.exchange_fee)?;
    let leased = LEASED
        .may_load(deps.storage, (id, epoch))?
        .unwrap_or_default();
    let free = stake.hours_per_epoch.checked_sub(leased)?;
    if swap.receive > free {
        return Err(ContractError::NotEnoughFreeHours {
            id,
            epoch,
            free,
            wanted: swap.receive,
        });
    }
    if swap.offer > amount {
        return Err(ContractError::InsufficientFunds {
            needed: swap.offer,
            offered: amount,
        });
    }
    pool.reserves = swap.reserves;
    let lease_id = pool.next_lease_id;
    pool.next_lease_id += 1;
    LEASED.save(deps.storage, (id, epoch), &(leased + swap.receive))?;
    LEASE_COUNT.save(deps.storage, (id, epoch), &(count + 1))?;
    STAKE_LEASES.save(deps.storage, (id, epoch, lease_id), &Empty {})?;
    LEASES_BY_CLIENT.save(deps.storage, (&client, lease_id), &Empty {})?;
    LEASES.save(
        deps.storage,
        lease_id,
        &Lease {
            id: lease_id,
            client: client.clone(),
            stake_id: id,
            epoch,
            hours: swap.receive,
            paid: swap.offer,
            client_key: request.client_key,
            access: None,
            refunded: Uint128::zero(),
            cancelled: false,
        },
    )?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "lease")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("stake_id", id.to_string())
        .add_attribute("client", &client)
        .add_attribute("epoch", epoch.to_string())
        .add_attribute("hours", swap.receive)
        .add_attribute("paid", swap.offer)
        .add_attribute("fee_burned", swap.fee)
        .add_messages(outflow::burn(&config.token, swap.fee + advanced.fees)?)
        .add_messages(outflow::transfer(
            &config.token,
            &client,
            amount - swap.offer,
        )?))
}

pub fn cancel_lease(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    lease_id: u64,
    min_refund: Uint128,
    deadline: Option<Timestamp>,
) -> Result<Response, ContractError> {
    check_deadline(&env, deadline)?;
    let config = CONFIG.load(deps.storage)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env)?;
    let mut lease = LEASES
        .may_load(deps.storage, lease_id)?
        .ok_or(ContractError::LeaseNotFound { id: lease_id })?;
    if lease.client != sender {
        return Err(ContractError::Unauthorized {});
    }
    if lease.cancelled || !lease.refunded.is_zero() || lease.epoch != pool.trading_epoch() {
        return Err(ContractError::CannotCancel { id: lease_id });
    }
    let sale = pool
        .reserves
        .sell_hours(lease.hours, config.params.exchange_fee)?;
    if sale.receive < min_refund {
        return Err(ContractError::RefundBelowMinimum {
            refund: sale.receive,
            min_refund,
        });
    }
    pool.reserves = sale.reserves;
    let key = (lease.stake_id, lease.epoch);
    let leased = LEASED.load(deps.storage, key)?.checked_sub(lease.hours)?;
    LEASED.save(deps.storage, key, &leased)?;
    lease.cancelled = true;
    LEASES.save(deps.storage, lease_id, &lease)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "cancel_lease")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("refund", sale.receive)
        .add_attribute("fee_burned", sale.fee)
        .add_messages(outflow::burn(&config.token, sale.fee + advanced.fees)?)
        .add_messages(outflow::transfer(&config.token, &sender, sale.receive)?))
}

pub fn post_access(
    deps: DepsMut,
    sender: Addr,
    lease_id: u64,
    ciphertext: Binary,
) -> Result<Response, ContractError> {
    if ciphertext.is_empty() || ciphertext.len() > MAX_ACCESS_LEN {
        return Err(ContractError::InvalidAccess {});
    }
    let mut lease = LEASES
        .may_load(deps.storage, lease_id)?
        .ok_or(ContractError::LeaseNotFound { id: lease_id })?;
    let stake = STAKES.load(deps.storage, lease.stake_id)?;
    if stake.owner != sender {
        return Err(ContractError::Unauthorized {});
    }
    if lease.cancelled || stake.invalidated {
        return Err(ContractError::LeaseClosed { id: lease_id });
    }
    lease.access = Some(ciphertext);
    LEASES.save(deps.storage, lease_id, &lease)?;
    Ok(Response::new()
        .add_attribute("action", "post_access")
        .add_attribute("lease_id", lease_id.to_string()))
}
