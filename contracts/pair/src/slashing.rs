//! Invalidation after a failed PoCPS challenge: the device's hours leave, its clients are
//! refunded (a seller's first out of what the pool gained on hours it will not deliver) out of
//! the failed miner's position, and the rest of that position is burned.

use cosmwasm_std::{
    CosmosMsg, Decimal, DepsMut, Env, MessageInfo, Order, Response, Storage, Uint128,
};
use loopin::stake_cert::MAX_REASON_LEN;
use loopin::stake_cert::{self, StakeMode};
use loopin_pool_math::amm::{fee_on, gross_for_net};
use loopin_pool_math::shares::share_of;

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::outflow;
use crate::staking::{seller_proceeds, settled_value};
use crate::state::{
    CONFIG, Config, LEASED, LEASES, Lease, POOL, PROVIDER_HOURS_ENDING, Pool, SELLER_HOURS_ENDING,
    SHARES_ENDING, STAKE_LEASES, STAKES, Stake, sub,
};

/// Takes what the stake still holds in the pool or in escrow: the pot its refunds come from.
/// Dispute refunds already paid out of its escrow (its clawback) are not taken again.
fn seize_position(
    deps: &mut DepsMut,
    pool: &mut Pool,
    stake: &Stake,
) -> Result<Uint128, ContractError> {
    let trading = pool.trading_epoch();
    let pot = match stake.mode {
        StakeMode::LiquidityProvider if stake.end_epoch > trading => {
            // Not settled yet: its shares leave the pool with their value.
            let value = share_of(pool.reserves.tokens, stake.shares, pool.total_shares)?;
            pool.reserves.tokens -= value;
            pool.total_shares -= stake.shares;
            // (Dispute refunds may have burned all of its shares, and the book entry with them.)
            sub(deps.storage, &SHARES_ENDING, stake.end_epoch, stake.shares)?;
            value
        }
        StakeMode::LiquidityProvider => {
            // Settled into escrow, not yet claimed.
            settled_value(deps.storage, stake)?.checked_sub(stake.clawback)?
        }
        StakeMode::Seller => {
            let mut unpaid = stake.deposit;
            for epoch in stake.paid_until..stake.end_epoch.min(trading + 1) {
                unpaid += seller_proceeds(deps.storage, stake, epoch)?;
            }
            unpaid.checked_sub(stake.clawback)?
        }
    };
    if stake.mode == StakeMode::Seller || stake.end_epoch <= trading {
        pool.escrow = pool.escrow.checked_sub(pot)?;
    }
    Ok(pot)
}

/// What the pool paid (exchange fee included) for `unleased` of a seller's hours of the trading
/// epoch: they leave the pool with the device, so that LOOP goes back to it.
fn undelivered_sale(
    deps: &DepsMut,
    trading: u64,
    stake: &Stake,
    unleased: Uint128,
    fee: Decimal,
) -> Result<Uint128, ContractError> {
    if stake.mode != StakeMode::Seller || unleased.is_zero() {
        return Ok(Uint128::zero());
    }
    let proceeds = seller_proceeds(deps.storage, stake, trading)?;
    let paid = proceeds.multiply_ratio(unleased, stake.hours_per_epoch);
    Ok(Uint128::new(gross_for_net(paid.u128(), fee)?))
}

/// What the pool gained on `hours` of a failed seller's epoch `epoch` that a client leased for
/// `owed` (its refund) and will not get: what the payment left in the LOOP reserve beyond what
/// the pool paid the seller for those hours (fee included). It is the client's: it goes back to
/// it before the seller's position pays the rest, so the pool ends as if neither trade had been.
fn pool_margin(
    epoch_proceeds: Uint128,
    stake: &Stake,
    lease: &Lease,
    owed: Uint128,
    fee: Decimal,
) -> Result<Uint128, ContractError> {
    if stake.mode != StakeMode::Seller || owed.is_zero() {
        return Ok(Uint128::zero());
    }
    let kept = owed.u128() - fee_on(owed.u128(), fee)?;
    let proceeds = epoch_proceeds
        .multiply_ratio(lease.hours, stake.hours_per_epoch)
        .multiply_ratio(owed, lease.paid);
    let cost = gross_for_net(proceeds.u128(), fee)?;
    Ok(Uint128::new(kept.saturating_sub(cost)))
}

/// Removes the stake's hours from the trading epoch on; returns its unleased hours that were
/// listed in the trading epoch (and leave `x`).
fn withdraw_capacity(
    deps: &mut DepsMut,
    pool: &mut Pool,
    stake: &Stake,
) -> Result<Uint128, ContractError> {
    let trading = pool.trading_epoch();
    // A seller whose device never registered has no hours in the books.
    if stake.end_epoch <= trading || !crate::verification::in_market(stake) {
        return Ok(Uint128::zero());
    }
    let hours = stake.hours_per_epoch;
    let leased = LEASED
        .may_load(deps.storage, (stake.id, trading))?
        .unwrap_or_default();
    let unleased = if crate::verification::listed(deps.storage, stake, trading)? {
        hours.checked_sub(leased)?
    } else {
        Uint128::zero()
    };
    pool.reserves.hours = pool.reserves.hours.checked_sub(unleased)?;
    LEASED.remove(deps.storage, (stake.id, trading));
    let (total, ending) = match stake.mode {
        StakeMode::LiquidityProvider => (&mut pool.provider_hours, &PROVIDER_HOURS_ENDING),
        StakeMode::Seller => (&mut pool.seller_hours, &SELLER_HOURS_ENDING),
    };
    *total = total.checked_sub(hours)?;
    let left = ending
        .load(deps.storage, stake.end_epoch)?
        .checked_sub(hours)?;
    ending.save(deps.storage, stake.end_epoch, &left)?;
    Ok(unleased)
}

/// Invalidates a stake whose device failed a PoCPS challenge (the registry's call): settles its
/// unproven epochs, seizes its position and withdraws its hours, refunds its clients of the
/// epochs in delivery and trading, gives the pool back what it paid for hours that leave it,
/// burns the rest and invalidates its certificate.
pub fn invalidate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    reason: String,
) -> Result<Response, ContractError> {
    if reason.is_empty() || reason.len() > MAX_REASON_LEN {
        return Err(ContractError::InvalidReason {});
    }
    let config = CONFIG.load(deps.storage)?;
    let (id, mut stake) =
        crate::verification::registry_call(deps.as_ref(), &config, &info.sender, &token_id)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    // From here no pass counts for the stake: its ended epochs are closed (`is_closed`), even
    // within their grace, and its clients of unproven ones are refunded before its position is
    // seized.
    stake.invalidated = true;
    let settled = crate::unproven::settle_before_invalidation(
        deps.storage,
        &config,
        env.block.time,
        &mut pool,
        &mut stake,
    )?;
    // Pay retained for open disputes (and what those settlements gave back) is part of what
    // the failed miner loses.
    pool.escrow = pool.escrow.checked_sub(stake.retained)?;
    let mut pot = stake.retained;
    stake.retained = Uint128::zero();
    if !stake.finished {
        pot += seize_position(&mut deps, &mut pool, &stake)?;
    }
    let trading = pool.trading_epoch();
    let unleased = withdraw_capacity(&mut deps, &mut pool, &stake)?;
    let undelivered =
        undelivered_sale(&deps, trading, &stake, unleased, config.params.exchange_fee)?;
    let refunds = refund_leases(deps.storage, &config, &env, &mut pool, id, &stake, &mut pot)?;
    // The providers paid for the seller's hours of the trading epoch that now leave the pool
    // unleased: that LOOP goes back to the pool's reserve before anything is burned.
    let returned = undelivered.min(pot);
    pot -= returned;
    pool.reserves.tokens = pool.reserves.tokens.checked_add(returned)?;

    stake.finished = true;
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let cert_msg = stake_cert::ExecuteMsg::Invalidate {
        token_id: token_id.clone(),
        reason: reason.clone(),
    };
    Ok(Response::new()
        .add_attribute("action", "invalidate")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("token_id", token_id)
        .add_attribute("reason", reason)
        .add_attribute("returned_to_pool", returned)
        .add_attribute("burned", pot + advanced.fees)
        .add_attribute("refunded_unproven", settled.refunded())
        .add_message(outflow::execute(&config.stake_cert, &cert_msg)?)
        .add_messages(settled.messages(&config)?)
        .add_messages(refunds)
        .add_messages(outflow::burn(&config.token, pot + advanced.fees)?))
}

/// Refunds the invalidated stake `id`'s leases of the epoch in delivery (for its remaining time)
/// and of the trading epoch (in full), in lease order, as far as the `pot` goes; returns the
/// transfers to their clients.
#[inline(always)]
fn refund_leases(
    storage: &mut dyn Storage,
    config: &Config,
    env: &Env,
    pool: &mut Pool,
    id: u64,
    stake: &Stake,
    pot: &mut Uint128,
) -> Result<Vec<CosmosMsg>, ContractError> {
    let current = pool.epoch;
    let epoch_end = config.clock.start_of(current + 1)?;
    let remaining = epoch_end.saturating_sub(env.block.time.seconds());
    let mut refunds = Vec::new();
    for epoch in [current, current + 1] {
        let lease_ids: Vec<u64> = STAKE_LEASES
            .prefix((id, epoch))
            .keys(storage, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        for lease_id in lease_ids {
            let mut lease = LEASES.load(storage, lease_id)?;
            if lease.cancelled {
                continue;
            }
            let owed = if epoch == current {
                lease
                    .paid
                    .multiply_ratio(remaining, config.params.epoch_seconds)
            } else {
                lease.paid
            };
            // The pool's margin on hours it will not deliver first, then the failed miner's
            // position.
            let margin = pool_margin(
                seller_proceeds(storage, stake, epoch)?,
                stake,
                &lease,
                owed,
                config.params.exchange_fee,
            )?
            .min(pool.reserves.tokens);
            let trading = epoch == current + 1;
            let returned = refund_lease(pool, &mut lease, owed, margin, trading, pot)?;
            LEASES.save(storage, lease_id, &lease)?;
            if let Some(msg) = outflow::transfer(&config.token, &lease.client, returned)? {
                refunds.push(msg);
            }
        }
    }
    Ok(refunds)
}

/// Refunds `owed` of a lease of the invalidated stake: its `margin` (`pool_margin`) out of the
/// LOOP reserve, then the failed miner's position as far as the `pot` goes (taken from it here),
/// and closes the lease (a standing order on the failed device ends). Returns what its client is sent: the refund and the order's budget.
#[inline(always)]
fn refund_lease(
    pool: &mut Pool,
    lease: &mut Lease,
    owed: Uint128,
    margin: Uint128,
    trading: bool,
    pot: &mut Uint128,
) -> Result<Uint128, ContractError> {
    let before = pool.reserves.tokens;
    pool.reserves.tokens -= margin;
    if trading {
        // Refunded before its epoch started: no longer revenue for the sellers' sale.
        pool.record_lease_trade(before)?;
    }
    let from_pot = (owed - margin).min(*pot);
    *pot -= from_pot;
    let refund = margin + from_pot;
    // A standing order on the failed device ends: its budget goes back as well.
    pool.escrow = pool.escrow.checked_sub(lease.budget)?;
    let returned = refund + lease.budget;
    lease.refunded = refund;
    lease.cancelled = true;
    lease.renewals_left = 0;
    lease.budget = Uint128::zero();
    Ok(returned)
}
