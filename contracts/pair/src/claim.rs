//! Claims: what a stake has earned, paid to its owner. A seller is paid epoch by epoch once each
//! epoch's dispute window has closed, a provider once at the end; both earn rewards at the end
//! for their proven epochs. Unproven epochs on the way are settled first (`unproven`).

use cosmwasm_std::{Addr, DepsMut, Env, QuerierWrapper, Response, Storage, Timestamp, Uint128};
use loopin::factory;
use loopin::stake_cert::StakeMode;

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::exit::{EXITS, ExitRecord};
use crate::holds::{first_held, stake_held};
use crate::outflow::{self, per_device_hour};
use crate::proofs::{final_until, is_proven, needs_settling, rewarded_epochs};
use crate::staking::{load_owned, maintenance, seller_proceeds, settled_value};
use crate::state::{CONFIG, Config, POOL, Pool, STAKES, Stake};
use crate::unproven::{SETTLE_PAGE, Settled, settle, settle_provider};

/// Seller epochs one Claim pays at most.
const CLAIM_PAGE: u64 = 64;

/// Epochs before this one have their pay released: delivered (so final: no pass can prove them
/// any more) and their dispute window closed. What open disputes' leases paid is retained from
/// it (`plan_claim`).
fn released(config: &Config, pool: &Pool, stake: &Stake) -> u64 {
    pool.epoch
        .saturating_sub(config.params.dispute_epochs)
        .min(stake.end_epoch)
}

/// A seller's claim page: where it stops (at most [`CLAIM_PAGE`] epochs, and before the
/// unproven epoch past the [`SETTLE_PAGE`] it settles) and the unproven epochs it settles.
fn seller_page(
    storage: &dyn Storage,
    config: &Config,
    now: Timestamp,
    stake: &Stake,
    delivered: u64,
) -> Result<(u64, Vec<u64>), ContractError> {
    // Only final epochs: a pass may still come for one in its grace period. And none held: a
    // pass of it may still be voided.
    let until = delivered
        .min(final_until(config, now))
        .min(stake.paid_until + CLAIM_PAGE);
    let until = first_held(storage, now, stake.id, (stake.paid_until, until)).unwrap_or(until);
    let mut unproven = vec![];
    for epoch in stake.paid_until..until {
        if needs_settling(storage, config, now, stake, epoch)? {
            if unproven.len() == SETTLE_PAGE {
                return Ok((epoch, unproven));
            }
            unproven.push(epoch);
        }
    }
    Ok((until.max(stake.paid_until), unproven))
}

/// What claiming a stake pays now.
pub(crate) struct ClaimPlan {
    /// What the claim transfers: the stake's pay less the clawback netted off it.
    pub payout: Uint128,
    /// Clawback left after this claim.
    pub clawback: Uint128,
    /// A seller's maintenance burn, taken from its deposit at the end.
    pub upkeep: Uint128,
    /// Rewards minted by this claim.
    pub rewards: Uint128,
    /// Rewards left owed after this claim (the factory's emission cap was reached).
    pub rewards_owed: Uint128,
    pub paid_until: u64,
    pub finished: bool,
    /// Pay retained in escrow for open disputes after this claim.
    pub retained: Uint128,
    /// An exit's forfeit burned out of this claim's pay (`exit`), after everything clients
    /// were owed.
    pub forfeit: Uint128,
}

impl ClaimPlan {
    /// Mints at most `emission_left` of the rewards now and leaves the rest owed. A stake that
    /// was already finished and can be paid nothing now is refused.
    pub(crate) fn within_emission(
        mut self,
        stake: &Stake,
        emission_left: Uint128,
    ) -> Result<ClaimPlan, ContractError> {
        let earned = self.rewards;
        self.rewards = earned.min(emission_left);
        self.rewards_owed = earned - self.rewards;
        if stake.finished && self.rewards.is_zero() && self.payout.is_zero() {
            return Err(ContractError::EmissionExhausted {
                owed: self.rewards_owed,
            });
        }
        Ok(self)
    }
}

/// What the factory may still mint this emission epoch; nothing is asked for no rewards.
pub(crate) fn emission_left(
    querier: &QuerierWrapper,
    config: &Config,
    rewards: Uint128,
) -> Result<Uint128, ContractError> {
    if rewards.is_zero() {
        return Ok(Uint128::zero());
    }
    let emission: factory::EmissionResponse =
        querier.query_wasm_smart(&config.factory, &factory::QueryMsg::Emission {})?;
    Ok(emission.remaining_this_epoch)
}

/// What claiming a stake earns now, before the emission cap is applied.
/// `page_end`: where a seller's claim stops, when the caller has fixed it (a claim settles the
/// unproven epochs before it first); otherwise [`seller_page`]'s now. The plan may pay
/// nothing.
fn plan_page(
    storage: &dyn Storage,
    config: &Config,
    now: Timestamp,
    pool: &Pool,
    stake: &Stake,
    page_end: Option<u64>,
) -> Result<ClaimPlan, ContractError> {
    let mut plan = ClaimPlan::unpaid(stake);
    let exit = EXITS.may_load(storage, stake.id)?;
    if stake.finished {
        // Pay retained for disputes resolved since, and rewards left owed.
        plan.payout = stake.retained.saturating_sub(stake.disputed);
        plan.retained = stake.retained - plan.payout;
        if stake.rewards_owed.is_zero() && plan.payout.is_zero() {
            return Err(ContractError::NothingToClaim {});
        }
        return Ok(plan.less_forfeit(exit.as_ref()));
    }
    // An exited stake's last pay waits for the verdicts its device may still get.
    let held = exit.as_ref().is_some_and(|e| pool.epoch < e.paid_from);
    let delivered = released(config, pool, stake);
    match stake.mode {
        StakeMode::LiquidityProvider => {
            if delivered < stake.end_epoch
                || final_until(config, now) < stake.end_epoch
                || held
                || stake_held(storage, now, stake.id)
            {
                return Err(ContractError::NothingToClaim {});
            }
            plan_provider_pay(storage, config, stake, &mut plan)?;
        }
        StakeMode::Seller => {
            let until = match page_end {
                Some(until) => until,
                None => seller_page(storage, config, now, stake, delivered)?.0,
            };
            plan_seller_pay(storage, config, stake, until, held, &mut plan)?;
        }
    }
    plan.net_clawback_and_retain(stake)?;
    Ok(match plan.finished {
        true => plan.less_forfeit(exit.as_ref()),
        false => plan,
    })
}

/// A delivered provider's pay: its settled value, and its rewards for its proven epochs (a
/// provider's maintenance burn is netted against them). It finishes the stake.
#[inline(always)]
fn plan_provider_pay(
    storage: &dyn Storage,
    config: &Config,
    stake: &Stake,
    plan: &mut ClaimPlan,
) -> Result<(), ContractError> {
    let economics = config.params.economics;
    // Rewards are for the proven epochs of a registered device only.
    let rewarded = rewarded_epochs(config, stake);
    plan.payout = settled_value(storage, stake)?;
    let net = economics.gamma.checked_sub(economics.beta)?;
    plan.rewards = per_device_hour(net, stake.hours_per_epoch, rewarded, false)?;
    plan.finished = true;
    Ok(())
}

/// A seller's pay for its proven epochs up to `until`; at its end (unless `held` for an exit's
/// verdicts) its deposit less its maintenance burn, and its rewards for its proven epochs.
#[inline(always)]
fn plan_seller_pay(
    storage: &dyn Storage,
    config: &Config,
    stake: &Stake,
    until: u64,
    held: bool,
    plan: &mut ClaimPlan,
) -> Result<(), ContractError> {
    let epochs = stake.end_epoch - stake.start_epoch;
    // Rewards are for the proven epochs of a registered device only.
    let rewarded = rewarded_epochs(config, stake);
    for epoch in stake.paid_until..until {
        // An unproven epoch pays its clients back, not the seller (`unproven`).
        if is_proven(storage, config, stake, epoch)? {
            plan.payout += seller_proceeds(storage, stake, epoch)?;
        }
    }
    plan.paid_until = stake.paid_until.max(until);
    if plan.paid_until == stake.end_epoch && !held {
        plan.upkeep = maintenance(config, stake.hours_per_epoch, epochs)?.min(stake.deposit);
        plan.payout += stake.deposit - plan.upkeep;
        plan.rewards = per_device_hour(
            config.params.economics.gamma,
            stake.hours_per_epoch,
            rewarded,
            false,
        )?;
        plan.finished = true;
    }
    Ok(())
}

impl ClaimPlan {
    /// A plan that pays nothing yet: the stake's clawback, owed rewards, page and retained pay
    /// as they are.
    #[inline(always)]
    fn unpaid(stake: &Stake) -> ClaimPlan {
        ClaimPlan {
            payout: Uint128::zero(),
            clawback: stake.clawback,
            upkeep: Uint128::zero(),
            rewards: stake.rewards_owed,
            rewards_owed: Uint128::zero(),
            paid_until: stake.paid_until,
            finished: stake.finished,
            retained: stake.retained,
            forfeit: Uint128::zero(),
        }
    }

    /// Nets refunds already paid to clients out of escrow off the pay; then retains what open
    /// disputes' leases paid (with what was retained before), and no more.
    #[inline(always)]
    fn net_clawback_and_retain(&mut self, stake: &Stake) -> Result<(), ContractError> {
        let netted = self.payout.min(stake.clawback);
        self.payout -= netted;
        self.clawback = stake.clawback - netted;
        let due = self.payout.checked_add(stake.retained)?;
        self.retained = due.min(stake.disputed);
        self.payout = due - self.retained;
        Ok(())
    }

    /// Burns what is left of an exit's forfeit out of the pay, the stake's last: what clients
    /// were owed (clawback, disputes, unproven epochs) has been taken before.
    fn less_forfeit(mut self, exit: Option<&ExitRecord>) -> ClaimPlan {
        let left = exit.map_or(Uint128::zero(), |e| e.forfeit);
        self.forfeit = left.min(self.payout);
        self.payout -= self.forfeit;
        self
    }

    /// Whether the claim pays nothing and changes nothing a claimant sees.
    fn is_empty(&self) -> bool {
        self.payout.is_zero() && self.rewards.is_zero() && !self.finished
    }
}

/// What claiming a stake earns now (as [`plan_page`]); `NothingToClaim` when it pays nothing.
pub(crate) fn plan_claim(
    storage: &dyn Storage,
    config: &Config,
    now: Timestamp,
    pool: &Pool,
    stake: &Stake,
    page_end: Option<u64>,
) -> Result<ClaimPlan, ContractError> {
    let plan = plan_page(storage, config, now, pool, stake, page_end)?;
    if plan.is_empty() {
        return Err(ContractError::NothingToClaim {});
    }
    Ok(plan)
}

/// Claims what a stake has earned now: settles the unproven epochs on the way first, then pays
/// its plan (within the emission cap) to its owner.
pub fn claim(deps: DepsMut, env: Env, sender: Addr, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut stake = load_owned(deps.storage, &sender, id)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    let now = env.block.time;
    let mut settled = Settled::default();
    let (all_settled, page_end) = settle_on_the_way(
        deps.storage,
        &config,
        now,
        &mut pool,
        &mut stake,
        &mut settled,
    )?;
    if !all_settled {
        // Only a provider's settlements this time: its next claim goes on after them.
        STAKES.save(deps.storage, id, &stake)?;
        POOL.save(deps.storage, &pool)?;
        return Ok(Response::new()
            .add_attribute("action", "claim")
            .add_attribute("stake_id", id.to_string())
            .add_attribute("payout", "0")
            .add_attribute("rewards", "0")
            .add_attribute("refunded_unproven", settled.refunded())
            .add_attribute("burned", settled.burned + advanced.fees)
            .add_messages(settled.messages(&config)?)
            .add_messages(outflow::burn(&config.token, advanced.fees)?));
    }
    // A plan that pays nothing is still applied when the claim settled epochs or moved the
    // page: it moves the seller's page on and keeps its clawback and retained pay right.
    let plan = plan_page(deps.storage, &config, now, &pool, &stake, page_end)?;
    // A page that pays nothing still moves on (epochs before registration, without a
    // price, settled by others, or netted against a clawback): else a seller whose next 64
    // epochs pay nothing could never be paid again.
    if plan.is_empty() && settled.epochs == 0 && plan.paid_until == stake.paid_until {
        return Err(ContractError::NothingToClaim {});
    }
    let left = emission_left(&deps.querier, &config, plan.rewards)?;
    let plan = plan.within_emission(&stake, left)?;
    apply_plan(deps.storage, &mut pool, id, &mut stake, &plan)?;
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let burned = advanced.fees + plan.upkeep + plan.forfeit;
    Ok(Response::new()
        .add_attribute("action", "claim")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("payout", plan.payout)
        .add_attribute("rewards", plan.rewards)
        .add_attribute("rewards_owed", plan.rewards_owed)
        .add_attribute("forfeit", plan.forfeit)
        .add_attribute("refunded_unproven", settled.refunded())
        .add_attribute("burned", burned + settled.burned)
        .add_attribute("finished", stake.finished.to_string())
        .add_messages(settled.messages(&config)?)
        .add_messages(outflow::transfer(&config.token, &stake.owner, plan.payout)?)
        .add_messages(outflow::burn(&config.token, burned)?)
        .add_messages(outflow::reward(
            &config.factory,
            &stake.owner,
            plan.rewards,
        )?))
}

/// Settles the unproven epochs a claim passes, before the stake is paid anything for later
/// ones: their clients are refunded first. Returns whether all are settled (a provider's may
/// take more than one claim) and, for a seller, its page's end, fixed before its unproven
/// epochs are settled so that the plan pays up to the same epoch.
#[inline(always)]
fn settle_on_the_way(
    storage: &mut dyn Storage,
    config: &Config,
    now: Timestamp,
    pool: &mut Pool,
    stake: &mut Stake,
    settled: &mut Settled,
) -> Result<(bool, Option<u64>), ContractError> {
    let delivered = released(config, pool, stake);
    Ok(match stake.mode {
        _ if stake.finished => (true, None),
        StakeMode::Seller => {
            let (until, unproven) = seller_page(storage, config, now, stake, delivered)?;
            for epoch in unproven {
                settle(storage, config, pool, stake, epoch, settled)?;
            }
            (true, Some(until))
        }
        StakeMode::LiquidityProvider if delivered >= stake.end_epoch => (
            settle_provider(storage, config, now, pool, stake, settled)?,
            None,
        ),
        StakeMode::LiquidityProvider => (true, None),
    })
}

/// Takes a claim's payout, upkeep and forfeit out of escrow, burns the forfeit off stake `id`'s
/// exit, and moves the stake on to the plan's page, rewards owed, clawback and retained pay.
#[inline(always)]
fn apply_plan(
    storage: &mut dyn Storage,
    pool: &mut Pool,
    id: u64,
    stake: &mut Stake,
    plan: &ClaimPlan,
) -> Result<(), ContractError> {
    pool.escrow = pool
        .escrow
        .checked_sub(plan.payout + plan.upkeep + plan.forfeit)?;
    if !plan.forfeit.is_zero() {
        EXITS.update(storage, id, |exit| -> Result<_, ContractError> {
            let mut exit = exit.ok_or(ContractError::StakeNotFound { id })?;
            exit.forfeit -= plan.forfeit;
            Ok(exit)
        })?;
    }
    stake.paid_until = plan.paid_until;
    stake.finished = plan.finished;
    stake.rewards_owed = plan.rewards_owed;
    stake.clawback = plan.clawback;
    stake.retained = plan.retained;
    Ok(())
}
