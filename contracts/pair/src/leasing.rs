//! Leases: buy hours of the trading epoch on a device, cancel before the epoch, post access.

use cosmwasm_std::{
    Addr, Binary, Decimal, DepsMut, Empty, Env, OverflowError, OverflowOperation, Response,
    Storage, Timestamp, Uint128,
};
use loopin::access::SshPublicKey;
use loopin::pair::{CLIENT_KEY_LEN, MAX_ACCESS_LEN, MAX_LEASES_PER_EPOCH};
use loopin::pool::PoolParams;
use loopin_pool_math::HOUR;
use loopin_pool_math::amm::Swap;

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::outflow;
use crate::requests::{LeaseRequest, check_deadline};
use crate::state::{
    CONFIG, Config, LEASE_COUNT, LEASED, LEASES, LEASES_BY_CLIENT, Lease, POOL, Pool, STAKE_LEASES,
    STAKES,
};

/// Loads a lease for an action only its client may take.
pub(crate) fn load_clients_lease(
    storage: &dyn Storage,
    sender: &Addr,
    lease_id: u64,
) -> Result<Lease, ContractError> {
    let lease = LEASES
        .may_load(storage, lease_id)?
        .ok_or(ContractError::LeaseNotFound { id: lease_id })?;
    if lease.client != *sender {
        return Err(ContractError::Unauthorized {});
    }
    Ok(lease)
}

/// Buys `hours` of the trading epoch on stake `id` and records the lease. Checks the device
/// supplies the epoch with enough free hours; the caller checks the payment.
fn book_lease(
    storage: &mut dyn Storage,
    pool: &mut Pool,
    params: &PoolParams,
    id: u64,
    hours: Uint128,
) -> Result<(Swap, u64), ContractError> {
    let stake = STAKES
        .may_load(storage, id)?
        .ok_or(ContractError::StakeNotFound { id })?;
    let epoch = pool.trading_epoch();
    if stake.invalidated {
        return Err(ContractError::Invalidated { id });
    }
    // Hours are supplied by a device the registry has registered with the commitment it was
    // staked with, and challenges from then on; never by a key alone.
    if stake.verified_from.is_none() {
        return Err(ContractError::DeviceNotVerified { id });
    }
    if epoch < stake.start_epoch
        || epoch >= stake.end_epoch
        || !crate::verification::listed(storage, &stake, epoch)?
    {
        return Err(ContractError::NotSupplying { id, epoch });
    }
    let count = LEASE_COUNT.may_load(storage, (id, epoch))?.unwrap_or(0);
    if count >= MAX_LEASES_PER_EPOCH {
        return Err(ContractError::TooManyLeases { id, epoch });
    }
    let swap = pool.reserves.buy_exact_hours(hours, params.exchange_fee)?;
    let leased = LEASED.may_load(storage, (id, epoch))?.unwrap_or_default();
    let free = stake.hours_per_epoch.checked_sub(leased)?;
    // A device's slots cannot run out while it has hours free: a lease is at least its hours
    // over its slots (and the class's smallest), unless it takes all that is free.
    let min = params.min_lease_hours.max(Uint128::new(
        stake
            .hours_per_epoch
            .u128()
            .div_ceil(u128::from(MAX_LEASES_PER_EPOCH)),
    ));
    if hours < min && hours != free {
        return Err(ContractError::LeaseBelowMinimum { hours, min });
    }
    if swap.receive > free {
        return Err(ContractError::NotEnoughFreeHours {
            id,
            epoch,
            free,
            wanted: swap.receive,
        });
    }
    let before = pool.reserves.tokens;
    pool.reserves = swap.reserves;
    pool.record_lease_trade(before)?;
    let lease_id = pool.next_lease_id;
    pool.next_lease_id += 1;
    LEASED.save(storage, (id, epoch), &(leased + swap.receive))?;
    LEASE_COUNT.save(storage, (id, epoch), &(count + 1))?;
    STAKE_LEASES.save(storage, (id, epoch, lease_id), &Empty {})?;
    Ok((swap, lease_id))
}

fn lease_response(lease: &Lease, swap: &Swap, fees: Uint128) -> Response {
    Response::new()
        .add_attribute("action", "lease")
        .add_attribute("lease_id", lease.id.to_string())
        .add_attribute("stake_id", lease.stake_id.to_string())
        .add_attribute("client", &lease.client)
        .add_attribute("epoch", lease.epoch.to_string())
        .add_attribute("hours", lease.hours)
        .add_attribute("paid", lease.paid)
        .add_attribute("renewals_left", lease.renewals_left.to_string())
        .add_attribute("fee_burned", swap.fee + fees)
}

pub fn lease(
    deps: DepsMut,
    env: Env,
    config: &Config,
    client: Addr,
    amount: Uint128,
    request: LeaseRequest,
) -> Result<Response, ContractError> {
    check_deadline(&env, request.deadline)?;
    if request.client_key.len() != CLIENT_KEY_LEN {
        return Err(ContractError::InvalidClientKey {});
    }
    let ssh_key = SshPublicKey::parse(&request.ssh_key)
        .map_err(|err| ContractError::InvalidSshKey {
            reason: err.to_string(),
        })?
        .to_openssh();
    let (mut pool, advanced) = current_pool(deps.storage, &env, config)?;
    let (swap, lease_id) = book_lease(
        deps.storage,
        &mut pool,
        &config.params,
        request.stake_id,
        request.hours,
    )?;
    if swap.offer > amount {
        return Err(ContractError::InsufficientFunds {
            needed: swap.offer,
            offered: amount,
        });
    }
    // A standing order keeps the rest as its budget; a single lease refunds it.
    let rest = amount - swap.offer;
    let (budget, refund) = if request.renewals > 0 {
        pool.escrow = pool.escrow.checked_add(rest)?;
        (rest, Uint128::zero())
    } else {
        (Uint128::zero(), rest)
    };
    let lease = Lease {
        id: lease_id,
        client: client.clone(),
        stake_id: request.stake_id,
        epoch: pool.trading_epoch(),
        hours: swap.receive,
        paid: swap.offer,
        client_key: request.client_key,
        access: None,
        refunded: Uint128::zero(),
        cancelled: false,
        renewals_left: request.renewals,
        budget,
        ssh_key,
        order: lease_id,
        renewed_by: None,
        completed: false,
        dispute: None,
        max_renewal_price: request.max_renewal_price,
        renewer: request.renewer,
    };
    LEASES.save(deps.storage, lease_id, &lease)?;
    LEASES_BY_CLIENT.save(deps.storage, (&client, lease_id), &Empty {})?;
    POOL.save(deps.storage, &pool)?;
    Ok(lease_response(&lease, &swap, advanced.fees)
        .add_messages(outflow::burn(&config.token, swap.fee + advanced.fees)?)
        .add_messages(outflow::transfer(&config.token, &client, refund)?))
}

/// Buys the next epoch of a standing order while its current lease is being delivered.
pub fn renew_lease(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    lease_id: u64,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    let mut previous = LEASES
        .may_load(deps.storage, lease_id)?
        .ok_or(ContractError::LeaseNotFound { id: lease_id })?;
    // Whoever chooses the moment of a purchase can sandwich it: the client, or its keeper.
    if sender != previous.client && previous.renewer.as_ref() != Some(&sender) {
        return Err(ContractError::Unauthorized {});
    }
    if previous.cancelled
        || previous.renewals_left == 0
        || previous.epoch + 1 != pool.trading_epoch()
    {
        return Err(ContractError::NotRenewable { id: lease_id });
    }
    let (swap, next_id) = book_lease(
        deps.storage,
        &mut pool,
        &config.params,
        previous.stake_id,
        previous.hours,
    )?;
    let bound = renewal_bound(&previous)?;
    if swap.offer > bound {
        return Err(ContractError::RenewalAboveBound {
            offer: swap.offer,
            bound,
        });
    }
    pool.escrow = pool.escrow.checked_sub(swap.offer)?;
    let lease = Lease {
        id: next_id,
        epoch: pool.trading_epoch(),
        hours: swap.receive,
        paid: swap.offer,
        access: None,
        renewals_left: previous.renewals_left - 1,
        budget: previous.budget - swap.offer,
        order: previous.order(),
        renewed_by: None,
        completed: false,
        dispute: None,
        // A new purchase: nothing of it is refunded or cancelled, whatever a ruling gave back
        // on the lease it renews (inherited, a refund of the previous epoch made the renewal
        // look refunded: not cancellable, its unproven refund short, its rewards forfeited).
        refunded: Uint128::zero(),
        cancelled: false,
        ..previous.clone()
    };
    previous.renewed_by = Some(next_id);
    previous.renewals_left = 0;
    previous.budget = Uint128::zero();
    LEASES.save(deps.storage, lease_id, &previous)?;
    LEASES.save(deps.storage, next_id, &lease)?;
    LEASES_BY_CLIENT.save(deps.storage, (&lease.client, next_id), &Empty {})?;
    POOL.save(deps.storage, &pool)?;
    Ok(lease_response(&lease, &swap, advanced.fees)
        .add_attribute("renewal_of", lease_id.to_string())
        .add_messages(outflow::burn(&config.token, swap.fee + advanced.fees)?))
}

/// The most one renewal of a standing order may pay: its budget split evenly over the renewals
/// left, and no more than the order's price per device-hour for its hours.
fn renewal_bound(lease: &Lease) -> Result<Uint128, ContractError> {
    let share = lease
        .budget
        .checked_div(Uint128::from(lease.renewals_left))
        .map_err(|_| ContractError::NotRenewable { id: lease.id })?;
    Ok(match lease.max_renewal_price {
        Some(price) => share.min(
            price
                .checked_mul(Decimal::from_ratio(lease.hours, HOUR))?
                .to_uint_floor(),
        ),
        None => share,
    })
}

/// Ends a standing order and refunds its budget.
pub fn close_order(deps: DepsMut, sender: Addr, lease_id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut lease = load_clients_lease(deps.storage, &sender, lease_id)?;
    if lease.renewals_left == 0 && lease.budget.is_zero() {
        return Err(ContractError::NotRenewable { id: lease_id });
    }
    let refund = lease.budget;
    lease.renewals_left = 0;
    lease.budget = Uint128::zero();
    LEASES.save(deps.storage, lease_id, &lease)?;
    let mut pool = POOL.load(deps.storage)?;
    pool.escrow = pool.escrow.checked_sub(refund)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "close_order")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("refund", refund)
        .add_messages(outflow::transfer(&config.token, &sender, refund)?))
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
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    let mut lease = load_clients_lease(deps.storage, &sender, lease_id)?;
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
    let before = pool.reserves.tokens;
    pool.reserves = sale.reserves;
    pool.record_lease_trade(before)?;
    let key = (lease.stake_id, lease.epoch);
    let leased = LEASED.load(deps.storage, key)?.checked_sub(lease.hours)?;
    LEASED.save(deps.storage, key, &leased)?;
    // The slot is given back and the lease leaves the device's book, so lease-and-cancel
    // cycles neither exhaust a device's slots nor grow what an invalidation walks. (The miner's
    // agent lists leases of started epochs only, which can no longer be cancelled.)
    let count = LEASE_COUNT.may_load(deps.storage, key)?.unwrap_or(0);
    LEASE_COUNT.save(deps.storage, key, &count.saturating_sub(1))?;
    STAKE_LEASES.remove(deps.storage, (lease.stake_id, lease.epoch, lease_id));
    // A standing order ends with its lease: its budget goes back too.
    let budget = lease.budget;
    pool.escrow = pool.escrow.checked_sub(budget)?;
    lease.cancelled = true;
    lease.renewals_left = 0;
    lease.budget = Uint128::zero();
    LEASES.save(deps.storage, lease_id, &lease)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "cancel_lease")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("refund", sale.receive)
        .add_attribute("fee_burned", sale.fee)
        .add_messages(outflow::burn(&config.token, sale.fee + advanced.fees)?)
        .add_messages(outflow::transfer(
            &config.token,
            &sender,
            sale.receive + budget,
        )?))
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

/// Adds `renewals` epochs and the LOOP sent to the standing order whose latest lease is
/// `lease_id`.
pub fn extend(
    deps: DepsMut,
    env: Env,
    config: &Config,
    sender: Addr,
    amount: Uint128,
    lease_id: u64,
    renewals: u32,
) -> Result<Response, ContractError> {
    let mut lease = load_clients_lease(deps.storage, &sender, lease_id)?;
    if lease.cancelled {
        return Err(ContractError::LeaseClosed { id: lease_id });
    }
    if let Some(renewed_by) = lease.renewed_by {
        return Err(ContractError::NotLatestLease {
            id: lease_id,
            renewed_by,
        });
    }
    if renewals == 0 {
        return Err(ContractError::ZeroRenewals {});
    }
    let (mut pool, advanced) = current_pool(deps.storage, &env, config)?;
    // Its epoch is being delivered or traded: a keeper can still renew it.
    if lease.epoch < pool.epoch {
        return Err(ContractError::LeaseOver { id: lease_id });
    }
    lease.renewals_left = lease
        .renewals_left
        .checked_add(renewals)
        .ok_or(OverflowError::new(OverflowOperation::Add))?;
    lease.budget = lease.budget.checked_add(amount)?;
    pool.escrow = pool.escrow.checked_add(amount)?;
    LEASES.save(deps.storage, lease_id, &lease)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "extend")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("order", lease.order().to_string())
        .add_attribute("renewals_left", lease.renewals_left.to_string())
        .add_attribute("budget", lease.budget)
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
}

/// Records that the serving miner removed the client's account, once the lease is over.
pub fn complete_lease(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    lease_id: u64,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut lease = LEASES
        .may_load(deps.storage, lease_id)?
        .ok_or(ContractError::LeaseNotFound { id: lease_id })?;
    let stake = STAKES.load(deps.storage, lease.stake_id)?;
    if stake.owner != sender {
        return Err(ContractError::Unauthorized {});
    }
    if lease.completed {
        return Err(ContractError::AlreadyCompleted { id: lease_id });
    }
    let (pool, advanced) = current_pool(deps.storage, &env, &config)?;
    if !(lease.epoch < pool.epoch || lease.cancelled || stake.invalidated) {
        return Err(ContractError::LeaseNotOver { id: lease_id });
    }
    lease.completed = true;
    LEASES.save(deps.storage, lease_id, &lease)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "complete_lease")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("order", lease.order().to_string())
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
}
