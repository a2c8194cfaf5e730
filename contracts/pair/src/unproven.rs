//! Unproven epochs: an epoch of a stake that ended without the class's passes is paid for by
//! nobody. Its clients get back what their leases paid. For a seller both trades are undone, at
//! the seller's cost: the pool returns the lease LOOP it holds, the epoch's proceeds pay the
//! lease fees and give the pool back what it paid for the hours (exchange fee included), and
//! the seller's other held pay covers what they lack, so the providers end as if the seller had
//! never sold; what the proceeds leave is burned. A provider's refunds come from its shares or
//! its settled pay. Settled once per (stake, epoch): by a seller's claim on its way past the
//! epoch, by a provider's final claim, by an invalidation, or by anyone's `SettleUnproven`
//! (docs/pair.md, "Proven epochs").

use cosmwasm_std::{Addr, DepsMut, Empty, Env, Order, Response, Storage, Uint128};
use loopin::pair::DisputeResolution;
use loopin::stake_cert::StakeMode;
use loopin_pool_math::amm::{fee_on, gross_for_net};

use crate::disputes::take_held_pay;
use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::outflow;
use crate::proofs::{is_closed, is_final, is_proven, provable};
use crate::staking::seller_proceeds;
use crate::state::{
    CONFIG, Config, DISPUTE_BONDS, LEASES, Lease, OPEN_DISPUTES, POOL, Pool, STAKE_LEASES, STAKES,
    Stake, UNPROVEN_SETTLED,
};

/// What settling unproven epochs did.
#[derive(Default)]
pub(crate) struct Settled {
    /// LOOP owed to clients, in lease order.
    pub refunds: Vec<(Addr, Uint128)>,
    /// Back to the pool's LOOP reserve: what it paid for a seller's hours nobody leased.
    pub returned: Uint128,
    /// Of a seller's proceeds, what neither refunds nor the pool took.
    pub burned: Uint128,
    /// Epochs settled.
    pub epochs: u32,
}

impl Settled {
    pub(crate) fn refunded(&self) -> Uint128 {
        self.refunds.iter().map(|(_, amount)| *amount).sum()
    }

    /// The transfers to the clients and the burn.
    pub(crate) fn messages(
        &self,
        config: &Config,
    ) -> Result<Vec<cosmwasm_std::CosmosMsg>, ContractError> {
        let mut messages = vec![];
        for (client, amount) in &self.refunds {
            messages.extend(outflow::transfer(&config.token, client, *amount)?);
        }
        messages.extend(outflow::burn(&config.token, self.burned)?);
        Ok(messages)
    }
}

/// Settles the stake's unproven `epoch` (the caller checked it needs it), adding to `settled`.
/// A lease under an open dispute is refunded like the others and its dispute closed as
/// upheld, its bond returned: an unproven epoch owes its clients everything, whatever the
/// complaint, and nothing waits for a ruling.
pub(crate) fn settle(
    storage: &mut dyn Storage,
    config: &Config,
    pool: &mut Pool,
    stake: &mut Stake,
    epoch: u64,
    settled: &mut Settled,
) -> Result<(), ContractError> {
    // A seller's proceeds of the epoch leave escrow: they pay its clients first.
    let proceeds = match stake.mode {
        StakeMode::Seller if epoch >= stake.paid_until => seller_proceeds(storage, stake, epoch)?,
        _ => Uint128::zero(),
    };
    pool.escrow = pool.escrow.checked_sub(proceeds)?;
    // From here on the epoch's proceeds are no longer the stake's held pay.
    UNPROVEN_SETTLED.save(storage, (stake.id, epoch), &Empty {})?;
    let mut pot = proceeds;
    let owed = owed_to_clients(storage, config, pool, stake, epoch, &mut pot)?;
    refund_clients(storage, config, pool, stake, owed, settled)?;
    // The pool gets back what it paid for the hours, leased or not, fee included.
    if !proceeds.is_zero() {
        let cost = Uint128::new(gross_for_net(proceeds.u128(), config.params.exchange_fee)?);
        let from_pot = cost.min(pot);
        pot -= from_pot;
        let from_held = take_held_pay(storage, config, pool, stake, cost - from_pot)?;
        let returned = from_pot + from_held;
        pool.reserves.tokens = pool.reserves.tokens.checked_add(returned)?;
        settled.returned = settled.returned.checked_add(returned)?;
    }
    settled.epochs += 1;
    settled.burned = settled.burned.checked_add(pot)?;
    Ok(())
}

/// What an unproven epoch owes its clients, once the pool and the proceeds have paid.
struct Owed {
    /// (lease, what the pool and the proceeds pay of its refund, what they lack), in lease
    /// order.
    leases: Vec<(Lease, Uint128, Uint128)>,
    /// What they lack in all.
    short: Uint128,
    /// The bonds of the open disputes the settlement closes.
    bonds: Uint128,
}

/// The first pass over the epoch's leases: takes each one's refund from the LOOP a seller's
/// lease left in the reserve, then from the epoch's proceeds (`pot`), and closes its open
/// dispute's retention; returns what each is paid and lacks.
#[inline(always)]
fn owed_to_clients(
    storage: &mut dyn Storage,
    config: &Config,
    pool: &mut Pool,
    stake: &mut Stake,
    epoch: u64,
    pot: &mut Uint128,
) -> Result<Owed, ContractError> {
    let fee = config.params.exchange_fee;
    let seller = stake.mode == StakeMode::Seller;
    let lease_ids: Vec<u64> = STAKE_LEASES
        .prefix((stake.id, epoch))
        .keys(storage, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    let mut owed_to = Owed {
        leases: vec![],
        short: Uint128::zero(),
        bonds: Uint128::zero(),
    };
    for lease_id in lease_ids {
        let lease = LEASES.load(storage, lease_id)?;
        if lease.cancelled {
            continue;
        }
        if let Some(dispute) = lease.dispute.as_ref().filter(|d| d.resolution.is_none()) {
            // No longer retained from the stake's pay: the refund below is the ruling.
            stake.disputed = stake.disputed.saturating_sub(lease.paid);
            OPEN_DISPUTES.remove(storage, (stake.id, lease_id));
            owed_to.bonds = owed_to.bonds.checked_add(dispute.bond)?;
        }
        // What a dispute or a cancellation already gave back is not owed again.
        let owed = lease.paid.saturating_sub(lease.refunded);
        // A seller's lease: all it left in the LOOP reserve (the payment less the burned fee)
        // leaves it, to the client first. What a ruling already refunded the client came out
        // of the seller's pay: the rest goes back to the seller, as pay it is due (`retained`,
        // released by its next claim).
        let kept = if seller {
            Uint128::new(lease.paid.u128() - fee_on(lease.paid.u128(), fee)?)
                .min(pool.reserves.tokens)
        } else {
            Uint128::zero()
        };
        pool.reserves.tokens -= kept;
        let from_pool = kept.min(owed);
        let to_seller = kept - from_pool;
        pool.escrow = pool.escrow.checked_add(to_seller)?;
        stake.retained = stake.retained.checked_add(to_seller)?;
        let from_pot = (owed - from_pool).min(*pot);
        *pot -= from_pot;
        let lack = owed - from_pool - from_pot;
        owed_to.short = owed_to.short.checked_add(lack)?;
        owed_to.leases.push((lease, from_pool + from_pot, lack));
    }
    Ok(owed_to)
}

/// The second pass: what the pool and the proceeds lack comes from the stake's other held pay,
/// taken once, to the leases in order; each lease records its refund (an open dispute closed
/// as upheld, its bond returned with it) and its client is owed it in `settled`.
#[inline(always)]
fn refund_clients(
    storage: &mut dyn Storage,
    config: &Config,
    pool: &mut Pool,
    stake: &mut Stake,
    owed: Owed,
    settled: &mut Settled,
) -> Result<(), ContractError> {
    let mut held = take_held_pay(storage, config, pool, stake, owed.short)?;
    for (mut lease, paid, lack) in owed.leases {
        let from_held = lack.min(held);
        held -= from_held;
        let refund = paid + from_held;
        lease.refunded = lease.refunded.checked_add(refund)?;
        let mut returned = refund;
        if let Some(dispute) = lease.dispute.as_mut().filter(|d| d.resolution.is_none()) {
            dispute.resolution = Some(DisputeResolution {
                refund: lease.paid,
                paid: refund,
            });
            returned = returned.checked_add(dispute.bond)?;
        }
        LEASES.save(storage, lease.id, &lease)?;
        settled.refunds.push((lease.client, returned));
    }
    if !owed.bonds.is_zero() {
        let held_bonds = DISPUTE_BONDS.may_load(storage)?.unwrap_or_default();
        DISPUTE_BONDS.save(storage, &held_bonds.checked_sub(owed.bonds)?)?;
    }
    Ok(())
}

/// Most unproven epochs one claim settles; a claim past more settles them over several calls.
pub(crate) const SETTLE_PAGE: usize = 4;

/// A provider's final claim settles its unproven leased epochs first, up to [`SETTLE_PAGE`] of
/// them from where the last claim stopped. Returns whether every one is settled.
pub(crate) fn settle_provider(
    storage: &mut dyn Storage,
    config: &Config,
    now: cosmwasm_std::Timestamp,
    pool: &mut Pool,
    stake: &mut Stake,
    settled: &mut Settled,
) -> Result<bool, ContractError> {
    let mut done = 0;
    loop {
        // The next leased epoch from the cursor on.
        let next = STAKE_LEASES
            .sub_prefix(stake.id)
            .keys(
                storage,
                Some(cw_storage_plus::Bound::inclusive((
                    stake.settled_through,
                    0,
                ))),
                None,
                Order::Ascending,
            )
            .next()
            .transpose()?;
        let Some((epoch, _)) = next else {
            stake.settled_through = stake.end_epoch;
            return Ok(true);
        };
        if epoch >= stake.end_epoch {
            stake.settled_through = stake.end_epoch;
            return Ok(true);
        }
        // (Only an invalidation meets epochs still open: the cursor waits at them.)
        if !is_closed(config, now, stake, epoch) {
            return Ok(false);
        }
        if crate::proofs::needs_settling(storage, config, now, stake, epoch)? {
            if done == SETTLE_PAGE {
                return Ok(false);
            }
            settle(storage, config, pool, stake, epoch, settled)?;
            done += 1;
        }
        stake.settled_through = epoch + 1;
    }
}

/// Epochs back from the one in delivery an invalidation looks at for a seller's unproven ones.
const INVALIDATION_LOOKBACK: u64 = 64;

/// Before an invalidation seizes the stake's position (the stake already marked invalidated,
/// so its ended epochs are closed): settles up to [`SETTLE_PAGE`] of its
/// unproven epochs still unpaid (a seller's among the last [`INVALIDATION_LOOKBACK`], a
/// provider's leased ones), so their clients are refunded rather than the position burned.
/// Older ones could be settled by anyone (`SettleUnproven`) from the moment they were final.
pub(crate) fn settle_before_invalidation(
    storage: &mut dyn Storage,
    config: &Config,
    now: cosmwasm_std::Timestamp,
    pool: &mut Pool,
    stake: &mut Stake,
) -> Result<Settled, ContractError> {
    let mut settled = Settled::default();
    if stake.finished {
        return Ok(settled);
    }
    match stake.mode {
        StakeMode::Seller => {
            let from = stake
                .paid_until
                .max(pool.epoch.saturating_sub(INVALIDATION_LOOKBACK));
            let mut done = 0;
            for epoch in from..pool.epoch.min(stake.end_epoch) {
                if done < SETTLE_PAGE
                    && crate::proofs::needs_settling(storage, config, now, stake, epoch)?
                {
                    settle(storage, config, pool, stake, epoch, &mut settled)?;
                    done += 1;
                }
            }
        }
        StakeMode::LiquidityProvider => {
            settle_provider(storage, config, now, pool, stake, &mut settled)?;
        }
    }
    Ok(settled)
}

/// Settles the stake's unproven `epoch` for whoever asks: refunds its leases and gives the pool
/// back what a seller's sale of it cost.
pub fn settle_unproven(
    deps: DepsMut,
    env: Env,
    stake_id: u64,
    epoch: u64,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut stake = STAKES
        .may_load(deps.storage, stake_id)?
        .ok_or(ContractError::StakeNotFound { id: stake_id })?;
    if epoch < stake.start_epoch || epoch >= stake.end_epoch {
        return Err(ContractError::EpochOutsideStake {
            id: stake_id,
            epoch,
        });
    }
    if !is_final(&config, env.block.time, epoch) {
        return Err(ContractError::EpochNotFinal { epoch });
    }
    if is_proven(deps.storage, &config, &stake, epoch)? {
        return Err(ContractError::EpochProven { epoch });
    }
    if UNPROVEN_SETTLED.has(deps.storage, (stake.id, epoch)) {
        return Err(ContractError::EpochSettled { epoch });
    }
    // Before its device registered: nothing was sold or leased.
    if !provable(&stake, epoch) {
        return Err(ContractError::EpochOutsideStake {
            id: stake_id,
            epoch,
        });
    }
    // The stake's pay for the epoch is still held: a seller's not claimed past it, a
    // provider's not paid out (an invalidated stake's went to the refunds of its last epochs
    // and the burn).
    if stake.finished || (stake.mode == StakeMode::Seller && epoch < stake.paid_until) {
        return Err(ContractError::PayReleased {
            id: stake.id,
            epoch,
        });
    }
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    let mut settled = Settled::default();
    settle(
        deps.storage,
        &config,
        &mut pool,
        &mut stake,
        epoch,
        &mut settled,
    )?;
    STAKES.save(deps.storage, stake.id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "settle_unproven")
        .add_attribute("stake_id", stake.id.to_string())
        .add_attribute("epoch", epoch.to_string())
        .add_attribute("refunded", settled.refunded())
        .add_attribute("returned_to_pool", settled.returned)
        .add_attribute("burned", settled.burned + advanced.fees)
        .add_messages(settled.messages(&config)?)
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
}
