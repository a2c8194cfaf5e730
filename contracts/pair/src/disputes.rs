//! Disputes: a client contests a lease within the pool's dispute window with a bond; what the
//! lease paid is retained from the serving stake's pay until governance (the factory's owner)
//! rules, a refund is paid out of the stake's held pay, as far as it goes, and the bond is
//! returned if the dispute is upheld, burned if rejected (docs/pair.md, "Access, completion and
//! disputes").

use cosmwasm_std::{Addr, DepsMut, Env, Order, Response, StdResult, Storage, Uint128};
use cw_ownable::Ownership;
use loopin::factory;
use loopin::pair::{DISPUTE_BOND_DIVISOR, Dispute, DisputeResolution, MAX_DISPUTE_REASON_LEN};
use loopin::stake_cert::StakeMode;
use loopin_pool_math::shares::share_of;

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::leasing::load_clients_lease;
use crate::outflow;
use crate::proofs::is_proven;
use crate::staking::{maintenance, seller_proceeds, settled_value};
use crate::state::{
    CONFIG, Config, DISPUTE_BONDS, LEASES, OPEN_DISPUTES, POOL, Pool, SHARES_ENDING, STAKES, Stake,
    UNPROVEN_SETTLED, sub,
};

/// The bond a dispute of a lease that paid `paid` needs: a tenth of it, rounded up, at least 1.
pub fn dispute_bond(paid: Uint128) -> Uint128 {
    Uint128::new(paid.u128().div_ceil(DISPUTE_BOND_DIVISOR).max(1))
}

/// Opens a dispute on a lease, bonded with `amount` (the rest over the bond is refunded), and
/// retains what the lease paid from the serving stake's pay.
pub fn dispute(
    deps: DepsMut,
    env: Env,
    config: &Config,
    sender: Addr,
    amount: Uint128,
    lease_id: u64,
    reason: String,
) -> Result<Response, ContractError> {
    let mut lease = load_clients_lease(deps.storage, &sender, lease_id)?;
    if reason.is_empty() || reason.len() > MAX_DISPUTE_REASON_LEN {
        return Err(ContractError::InvalidDisputeReason {
            max: MAX_DISPUTE_REASON_LEN,
        });
    }
    if lease.dispute.is_some() {
        return Err(ContractError::AlreadyDisputed { id: lease_id });
    }
    if lease.cancelled {
        return Err(ContractError::LeaseClosed { id: lease_id });
    }
    // An unproven epoch's leases were refunded when it settled.
    if UNPROVEN_SETTLED.has(deps.storage, (lease.stake_id, lease.epoch)) {
        return Err(ContractError::EpochSettled { epoch: lease.epoch });
    }
    // The clock's epoch, which a pool brought up to date would have processed: opening a
    // dispute needs no pool state.
    let epoch = config.clock.epoch_at(env.block.time.seconds());
    if lease.epoch > epoch {
        return Err(ContractError::LeaseNotStarted {
            id: lease_id,
            epoch: lease.epoch,
        });
    }
    if epoch > lease.epoch.saturating_add(config.params.dispute_epochs) {
        return Err(ContractError::DisputeWindowClosed { id: lease_id });
    }
    let bond = dispute_bond(lease.paid);
    if amount < bond {
        return Err(ContractError::InsufficientFunds {
            needed: bond,
            offered: amount,
        });
    }
    let bonds = DISPUTE_BONDS.may_load(deps.storage)?.unwrap_or_default();
    DISPUTE_BONDS.save(deps.storage, &bonds.checked_add(bond)?)?;
    let mut stake = STAKES.load(deps.storage, lease.stake_id)?;
    stake.disputed = stake.disputed.checked_add(lease.paid)?;
    lease.dispute = Some(Dispute {
        reason,
        opened_at: env.block.time,
        resolution: None,
        bond,
    });
    OPEN_DISPUTES.save(deps.storage, (stake.id, lease_id), &lease.epoch)?;
    LEASES.save(deps.storage, lease_id, &lease)?;
    STAKES.save(deps.storage, stake.id, &stake)?;
    Ok(Response::new()
        .add_attribute("action", "dispute")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("stake_id", stake.id.to_string())
        .add_attribute("epoch", lease.epoch.to_string())
        .add_attribute("bond", bond)
        .add_messages(outflow::transfer(&config.token, &sender, amount - bond)?))
}

/// Pay of a stake still held in the pair's escrow, net of refunds already taken from it: a
/// seller's unclaimed proceeds of proven epochs and its deposit less the maintenance burn of its
/// final claim, a settled provider's payout. Nothing for a provider whose shares are still in
/// the pool. Proceeds of an epoch not yet ended, or ended unproven, are not the seller's: its
/// settlement may take them back, so nothing else may count on them.
fn escrowed_pay(
    storage: &dyn Storage,
    config: &Config,
    pool: &Pool,
    stake: &Stake,
) -> Result<Uint128, ContractError> {
    let gross = match stake.mode {
        StakeMode::Seller => {
            let mut unpaid = stake.deposit;
            for epoch in stake.paid_until..stake.end_epoch.min(pool.epoch) {
                if is_proven(storage, config, stake, epoch)? {
                    unpaid = unpaid.checked_add(seller_proceeds(storage, stake, epoch)?)?;
                }
            }
            let epochs = stake.end_epoch - stake.start_epoch;
            let upkeep = maintenance(config, stake.hours_per_epoch, epochs)?.min(stake.deposit);
            unpaid.checked_sub(upkeep)?
        }
        StakeMode::LiquidityProvider => settled_value(storage, stake)?,
    };
    Ok(gross.saturating_sub(stake.clawback))
}

/// Takes up to `refund` from a provider's shares still in the pool: burns enough shares to cover
/// what is taken (rounded up, so the other holders lose nothing) and takes it from the LOOP
/// reserve. Returns what was taken.
fn take_from_shares(
    storage: &mut dyn Storage,
    pool: &mut Pool,
    stake: &mut Stake,
    refund: Uint128,
) -> Result<Uint128, ContractError> {
    if stake.shares.is_zero() || pool.reserves.tokens.is_zero() {
        return Ok(Uint128::zero());
    }
    let value = share_of(pool.reserves.tokens, stake.shares, pool.total_shares)?;
    let paid = refund.min(value);
    if paid.is_zero() {
        return Ok(paid);
    }
    let burned = paid
        .checked_mul_ceil((pool.total_shares, pool.reserves.tokens))
        .map_err(|_| cosmwasm_std::StdError::generic_err("share burn overflows"))?
        .min(stake.shares);
    pool.reserves.tokens = pool.reserves.tokens.checked_sub(paid)?;
    pool.total_shares = pool.total_shares.checked_sub(burned)?;
    stake.shares = stake.shares.checked_sub(burned)?;
    sub(storage, &SHARES_ENDING, stake.end_epoch, burned)?;
    Ok(paid)
}

/// Takes up to `amount` of the stake's held pay for a client's refund: from a provider's shares
/// still in the pool, or from what the pair escrows for the stake (recorded as clawback, netted
/// off its claims). Nothing from a stake paid out. Returns what was taken.
pub(crate) fn take_held_pay(
    storage: &mut dyn Storage,
    config: &Config,
    pool: &mut Pool,
    stake: &mut Stake,
    amount: Uint128,
) -> Result<Uint128, ContractError> {
    if stake.finished || amount.is_zero() {
        return Ok(Uint128::zero());
    }
    if stake.mode == StakeMode::LiquidityProvider && stake.end_epoch > pool.trading_epoch() {
        return take_from_shares(storage, pool, stake, amount);
    }
    let taken = amount.min(escrowed_pay(storage, config, pool, stake)?);
    pool.escrow = pool.escrow.checked_sub(taken)?;
    stake.clawback = stake.clawback.checked_add(taken)?;
    Ok(taken)
}

/// Governance's ruling on an open dispute: `refund` goes to the client out of the stake's held
/// pay, as far as it goes (what was retained for disputes first), what the lease paid is no
/// longer retained, and the bond goes back to the client if upheld, is burned if rejected.
pub fn resolve_dispute(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    lease_id: u64,
    refund: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let ownership: Ownership<Addr> = deps
        .querier
        .query_wasm_smart(&config.factory, &factory::QueryMsg::Ownership {})?;
    if ownership.owner.as_ref() != Some(&sender) {
        return Err(ContractError::NotGovernance {});
    }
    let mut lease = LEASES
        .may_load(deps.storage, lease_id)?
        .ok_or(ContractError::LeaseNotFound { id: lease_id })?;
    let mut dispute = match lease.dispute.take() {
        Some(dispute) if dispute.resolution.is_none() => dispute,
        _ => return Err(ContractError::NoOpenDispute { id: lease_id }),
    };
    if refund > lease.paid {
        return Err(ContractError::RefundAboveLeasePaid {
            refund,
            paid: lease.paid,
        });
    }
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    let mut stake = STAKES.load(deps.storage, lease.stake_id)?;
    // Pay retained for disputes first, then the rest of the stake's held pay.
    let retained = refund.min(stake.retained);
    stake.retained -= retained;
    pool.escrow = pool.escrow.checked_sub(retained)?;
    let taken = take_held_pay(
        deps.storage,
        &config,
        &mut pool,
        &mut stake,
        refund - retained,
    )?;
    let paid = retained + taken;
    // (Disputes opened before amounts were retained count nothing here.)
    stake.disputed = stake.disputed.saturating_sub(lease.paid);
    let bond = dispute.bond;
    let bonds = DISPUTE_BONDS.may_load(deps.storage)?.unwrap_or_default();
    DISPUTE_BONDS.save(deps.storage, &bonds.checked_sub(bond)?)?;
    let (bond_returned, bond_burned) = if refund.is_zero() {
        (Uint128::zero(), bond)
    } else {
        (bond, Uint128::zero())
    };
    dispute.resolution = Some(DisputeResolution { refund, paid });
    // What the lease got back, so an unproven epoch's settlement does not pay it again.
    lease.refunded = lease.refunded.checked_add(paid)?;
    lease.dispute = Some(dispute);
    OPEN_DISPUTES.remove(deps.storage, (stake.id, lease_id));
    LEASES.save(deps.storage, lease_id, &lease)?;
    STAKES.save(deps.storage, stake.id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "resolve_dispute")
        .add_attribute("lease_id", lease_id.to_string())
        .add_attribute("stake_id", stake.id.to_string())
        .add_attribute("refund", refund)
        .add_attribute("paid", paid)
        .add_attribute("bond_returned", bond_returned)
        .add_attribute("bond_burned", bond_burned)
        .add_messages(outflow::transfer(
            &config.token,
            &lease.client,
            paid + bond_returned,
        )?)
        .add_messages(outflow::burn(&config.token, advanced.fees + bond_burned)?))
}

/// At migration from a pair that held open disputes' bonds in the escrow: moves them to
/// `DISPUTE_BONDS`, once (a pair that has it already is left as it is). Returns what moved.
pub fn move_bonds_out_of_escrow(storage: &mut dyn Storage) -> Result<Uint128, ContractError> {
    if DISPUTE_BONDS.may_load(storage)?.is_some() {
        return Ok(Uint128::zero());
    }
    let mut held = Uint128::zero();
    let open: Vec<(u64, u64)> = OPEN_DISPUTES
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for (_, lease_id) in open {
        let lease = LEASES.load(storage, lease_id)?;
        held = held.checked_add(lease.dispute.map(|d| d.bond).unwrap_or_default())?;
    }
    let mut pool = POOL.load(storage)?;
    pool.escrow = pool.escrow.checked_sub(held)?;
    POOL.save(storage, &pool)?;
    DISPUTE_BONDS.save(storage, &held)?;
    Ok(held)
}
