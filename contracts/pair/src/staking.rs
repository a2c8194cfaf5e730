//! Stakes: stake, renew, claim.

use cosmwasm_std::{
    Addr, Decimal, Decimal256, DepsMut, Env, HexBinary, QuerierWrapper, Response, Storage,
    Timestamp, Uint128,
};
use loopin::factory;
use loopin::stake_cert::{self, StakeMode, StakeTerms};
use loopin_pool_math::amm::Reserves;
use loopin_pool_math::capacity::hours_per_epoch;
use loopin_pool_math::{MathError, shares};

use crate::device_claim;
use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::outflow::{self, per_device_hour};
use crate::state::{
    CONFIG, Config, POOL, PROVIDER_HOURS_ENDING, Pool, SELLER_HOURS_ENDING, SELLER_PRICE,
    SHARE_VALUE, SHARES_ENDING, STAKE_BY_TOKEN, STAKES, STAKES_BY_OWNER, Stake,
};
use crate::verification::{book_seller, first_unsold, in_market, verified_epochs};

/// Seller epochs one Claim pays at most.
const CLAIM_PAGE: u64 = 64;

/// What a Stake hook asks for.
pub struct StakeRequest {
    pub device_id: String,
    pub mode: StakeMode,
    pub rate: Decimal,
    pub epochs: u64,
    pub commitment: HexBinary,
    pub max_liquidity: Option<Uint128>,
    /// The device's key and its signature over the stake (`device_claim`).
    pub device_key: HexBinary,
    pub device_signature: HexBinary,
}

pub(crate) fn add(
    storage: &mut dyn Storage,
    map: &cw_storage_plus::Map<u64, Uint128>,
    epoch: u64,
    amount: Uint128,
) -> Result<(), ContractError> {
    let total = map
        .may_load(storage, epoch)?
        .unwrap_or_default()
        .checked_add(amount)?;
    map.save(storage, epoch, &total)?;
    Ok(())
}

pub(crate) fn sub(
    storage: &mut dyn Storage,
    map: &cw_storage_plus::Map<u64, Uint128>,
    epoch: u64,
    amount: Uint128,
) -> Result<(), ContractError> {
    let total = map
        .may_load(storage, epoch)?
        .unwrap_or_default()
        .checked_sub(amount)?;
    if total.is_zero() {
        map.remove(storage, epoch);
    } else {
        map.save(storage, epoch, &total)?;
    }
    Ok(())
}

fn timestamp(config: &Config, epoch: u64) -> Result<Timestamp, ContractError> {
    Ok(Timestamp::from_seconds(config.clock.start_of(epoch)?))
}

/// The maintenance burn of a stake over `epochs`, rounded up.
pub(crate) fn maintenance(
    config: &Config,
    hours: Uint128,
    epochs: u64,
) -> Result<Uint128, ContractError> {
    Ok(per_device_hour(
        config.params.economics.beta,
        hours,
        epochs,
        true,
    )?)
}

pub fn stake(
    deps: DepsMut,
    env: Env,
    config: &Config,
    staker: Addr,
    amount: Uint128,
    request: StakeRequest,
) -> Result<Response, ContractError> {
    let params = &config.params;
    let (mut pool, advanced) = current_pool(deps.storage, &env, config)?;
    if request.epochs < params.min_epochs || request.epochs > params.max_epochs {
        return Err(ContractError::InvalidDuration {
            min: params.min_epochs,
            max: params.max_epochs,
        });
    }
    device_claim::check(deps.api, &env, &staker, &request, params)?;
    let hours = hours_per_epoch(request.rate, params.epoch_seconds)?;
    if hours.is_zero() {
        return Err(ContractError::InvalidRate {});
    }
    let staking_fee = params
        .economics
        .alpha
        .checked_mul(request.rate)?
        .to_uint_ceil();
    let available =
        amount
            .checked_sub(staking_fee)
            .map_err(|_| ContractError::InsufficientFunds {
                needed: staking_fee,
                offered: amount,
            })?;
    let start = first_unsold(&pool, request.mode);
    let end = start + request.epochs;
    let id = pool.next_stake_id;
    pool.next_stake_id += 1;
    let token_id = format!("{}-{id}", config.class);
    let mut stake = Stake {
        id,
        owner: staker.clone(),
        token_id: token_id.clone(),
        device_id: request.device_id.clone(),
        mode: request.mode,
        rate: request.rate,
        hours_per_epoch: hours,
        start_epoch: start,
        end_epoch: end,
        shares: Uint128::zero(),
        deposit: Uint128::zero(),
        first_proceeds: None,
        invalidated: false,
        paid_until: start,
        finished: false,
        rewards_owed: Uint128::zero(),
        clawback: Uint128::zero(),
        frozen_from: None,
        disputed: Uint128::zero(),
        retained: Uint128::zero(),
        verified_from: None,
    };
    let burned = staking_fee + advanced.fees;

    let spent = match request.mode {
        StakeMode::LiquidityProvider => {
            // Without hours listed (a new pool, or every hour leased or gone) the provider sets
            // the price with the LOOP it brings; otherwise it matches the spot price.
            let sets_price = pool.reserves.hours.is_zero();
            let liquidity = if sets_price {
                request.max_liquidity.unwrap_or(available).min(available)
            } else {
                let needed = pool.reserves.matching_tokens(hours)?;
                if request.max_liquidity.is_some_and(|max| needed > max) || needed > available {
                    return Err(ContractError::InsufficientFunds {
                        needed: staking_fee + needed,
                        offered: request
                            .max_liquidity
                            .map_or(amount, |max| staking_fee + max),
                    });
                }
                needed
            };
            let offered = Reserves {
                hours,
                tokens: liquidity,
            };
            let deposit = if sets_price && !pool.total_shares.is_zero() {
                // Shares are claims on LOOP: valued on the LOOP side alone.
                if pool.reserves.tokens.is_zero() {
                    return Err(ContractError::NoPrice {});
                }
                let minted = liquidity.multiply_ratio(pool.total_shares, pool.reserves.tokens);
                if minted.is_zero() {
                    return Err(MathError::DepositTooSmall.into());
                }
                shares::Deposit {
                    shares: minted,
                    locked: Uint128::zero(),
                    taken: offered,
                    reserves: pool.reserves,
                }
            } else {
                shares::deposit(&pool.reserves, pool.total_shares, &offered)?
            };
            // Every hour of the device is listed, whatever the share rounding took.
            pool.reserves.hours = pool.reserves.hours.checked_add(hours)?;
            pool.reserves.tokens = pool.reserves.tokens.checked_add(deposit.taken.tokens)?;
            pool.total_shares = pool
                .total_shares
                .checked_add(deposit.shares + deposit.locked)?;
            pool.provider_hours = pool.provider_hours.checked_add(hours)?;
            stake.shares = deposit.shares;
            add(deps.storage, &SHARES_ENDING, end, deposit.shares)?;
            add(deps.storage, &PROVIDER_HOURS_ENDING, end, hours)?;
            deposit.taken.tokens
        }
        StakeMode::Seller => {
            let deposit = params
                .seller_deposit
                .mul_ceil(request.rate)
                .max(maintenance(config, hours, request.epochs)?);
            if deposit > available {
                return Err(ContractError::InsufficientFunds {
                    needed: staking_fee + deposit,
                    offered: amount,
                });
            }
            // Its hours are sold only once its device is registered (`DeviceRegistered`):
            // the pool pays nothing for hours no device has.
            pool.escrow = pool.escrow.checked_add(deposit)?;
            stake.deposit = deposit;
            deposit
        }
    };

    STAKES.save(deps.storage, id, &stake)?;
    STAKES_BY_OWNER.save(deps.storage, (&staker, id), &cosmwasm_std::Empty {})?;
    STAKE_BY_TOKEN.save(deps.storage, &token_id, &id)?;
    POOL.save(deps.storage, &pool)?;

    let mint = stake_cert::ExecuteMsg::Mint {
        token_id: token_id.clone(),
        owner: staker.to_string(),
        terms: StakeTerms {
            pool: env.contract.address.to_string(),
            device_id: request.device_id,
            mode: request.mode,
            start: timestamp(config, start)?,
            expiry: timestamp(config, end)?,
            rate: request.rate,
            commitment: request.commitment,
        },
        token_uri: None,
    };
    Ok(Response::new()
        .add_attribute("action", "stake")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("token_id", token_id)
        .add_attribute("staker", &staker)
        .add_attribute("mode", format!("{:?}", request.mode))
        .add_attribute("hours_per_epoch", hours)
        .add_attribute("start_epoch", start.to_string())
        .add_attribute("end_epoch", end.to_string())
        .add_attribute("shares", stake.shares)
        .add_attribute("deposit", stake.deposit)
        .add_attribute("staking_fee_burned", staking_fee)
        .add_attribute("burned", burned)
        .add_message(outflow::execute(&config.stake_cert, &mint)?)
        .add_messages(outflow::burn(&config.token, burned)?)
        .add_messages(outflow::transfer(
            &config.token,
            &staker,
            available - spent,
        )?))
}

/// What a seller stake earned for the hours it sold to `epoch`, rounded down.
pub(crate) fn seller_proceeds(
    storage: &dyn Storage,
    stake: &Stake,
    epoch: u64,
) -> Result<Uint128, ContractError> {
    // Sold from its device's registration on, at each boundary (a stake registered when a
    // registration sold its first epoch at once was paid that sale for it).
    let Some(first) = stake.verified_from else {
        return Ok(Uint128::zero());
    };
    if epoch < first {
        return Ok(Uint128::zero());
    }
    if let (true, Some(proceeds)) = (epoch == first, stake.first_proceeds) {
        return Ok(proceeds);
    }
    let price = SELLER_PRICE.may_load(storage, epoch)?.unwrap_or_default();
    (Decimal256::from_ratio(stake.hours_per_epoch, 1u128) * price)
        .to_uint_floor()
        .try_into()
        .map_err(|_| MathError::Overflow.into())
}

/// A settled provider's payout, before any clawback; nothing for no shares (all burned by
/// refunds: no settlement may have been recorded for its end epoch).
pub(crate) fn settled_value(
    storage: &dyn Storage,
    stake: &Stake,
) -> Result<Uint128, ContractError> {
    if stake.shares.is_zero() {
        return Ok(Uint128::zero());
    }
    Ok(SHARE_VALUE
        .load(storage, stake.end_epoch)?
        .payout(stake.shares)?)
}

fn load_owned(storage: &dyn Storage, sender: &Addr, id: u64) -> Result<Stake, ContractError> {
    let stake = STAKES
        .may_load(storage, id)?
        .ok_or(ContractError::StakeNotFound { id })?;
    if stake.owner != *sender {
        return Err(ContractError::Unauthorized {});
    }
    if stake.invalidated {
        return Err(ContractError::Invalidated { id });
    }
    Ok(stake)
}

pub fn renew(deps: DepsMut, env: Env, sender: Addr, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut stake = load_owned(deps.storage, &sender, id)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    if stake.end_epoch <= pool.trading_epoch() {
        return Err(ContractError::RenewTooLate { id });
    }
    let epochs = stake.end_epoch - stake.start_epoch + 1;
    if epochs > config.params.max_epochs {
        return Err(ContractError::InvalidDuration {
            min: config.params.min_epochs,
            max: config.params.max_epochs,
        });
    }
    let (old_end, new_end) = (stake.end_epoch, stake.end_epoch + 1);
    match stake.mode {
        StakeMode::LiquidityProvider => {
            sub(
                deps.storage,
                &PROVIDER_HOURS_ENDING,
                old_end,
                stake.hours_per_epoch,
            )?;
            add(
                deps.storage,
                &PROVIDER_HOURS_ENDING,
                new_end,
                stake.hours_per_epoch,
            )?;
            sub(deps.storage, &SHARES_ENDING, old_end, stake.shares)?;
            add(deps.storage, &SHARES_ENDING, new_end, stake.shares)?;
        }
        StakeMode::Seller => {
            // A clawback still owed must stay covered by what the deposit returns at the end.
            if maintenance(&config, stake.hours_per_epoch, epochs)?
                > stake.deposit.saturating_sub(stake.clawback)
            {
                return Err(ContractError::DepositTooLow {});
            }
            if in_market(&stake) {
                sub(
                    deps.storage,
                    &SELLER_HOURS_ENDING,
                    old_end,
                    stake.hours_per_epoch,
                )?;
                add(
                    deps.storage,
                    &SELLER_HOURS_ENDING,
                    new_end,
                    stake.hours_per_epoch,
                )?;
            } else if stake.verified_from.is_some_and(|from| from < new_end) {
                // Registered with one epoch left, it was verified from its end and nothing of
                // it was booked; renewed, that epoch is its first, sold at the next boundary as
                // a registration's would be. (Left out, its hours were listed by the other
                // sellers' sale without being sold, and its claim paid out of their escrow.)
                book_seller(deps.storage, &mut pool, &stake, new_end)?;
            }
        }
    }
    stake.end_epoch = new_end;
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let extend = stake_cert::ExecuteMsg::Extend {
        token_id: stake.token_id.clone(),
        expiry: timestamp(&config, new_end)?,
    };
    Ok(Response::new()
        .add_attribute("action", "renew")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("end_epoch", new_end.to_string())
        .add_message(outflow::execute(&config.stake_cert, &extend)?)
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
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
pub(crate) fn plan_claim(
    storage: &dyn Storage,
    config: &Config,
    pool: &Pool,
    stake: &Stake,
) -> Result<ClaimPlan, ContractError> {
    let mut plan = ClaimPlan {
        payout: Uint128::zero(),
        clawback: stake.clawback,
        upkeep: Uint128::zero(),
        rewards: stake.rewards_owed,
        rewards_owed: Uint128::zero(),
        paid_until: stake.paid_until,
        finished: stake.finished,
        retained: stake.retained,
    };
    if stake.finished {
        // Pay retained for disputes resolved since, and rewards left owed.
        plan.payout = stake.retained.saturating_sub(stake.disputed);
        plan.retained = stake.retained - plan.payout;
        if stake.rewards_owed.is_zero() && plan.payout.is_zero() {
            return Err(ContractError::NothingToClaim {});
        }
        return Ok(plan);
    }
    let epochs = stake.end_epoch - stake.start_epoch;
    // Rewards are for the hours of a registered device only.
    let rewarded = verified_epochs(stake);
    let economics = config.params.economics;
    // Pay for an epoch is released once the dispute window after it has been delivered too;
    // what open disputes' leases paid is retained from it (below).
    let delivered = pool
        .epoch
        .saturating_sub(config.params.dispute_epochs)
        .min(stake.end_epoch);
    match stake.mode {
        StakeMode::LiquidityProvider => {
            if delivered < stake.end_epoch {
                return Err(ContractError::NothingToClaim {});
            }
            plan.payout = settled_value(storage, stake)?;
            // A provider's maintenance burn is netted against its reward.
            let net = economics.gamma.checked_sub(economics.beta)?;
            plan.rewards = per_device_hour(net, stake.hours_per_epoch, rewarded, false)?;
            plan.finished = true;
        }
        StakeMode::Seller => {
            let until = delivered.min(stake.paid_until + CLAIM_PAGE);
            for epoch in stake.paid_until..until {
                plan.payout += seller_proceeds(storage, stake, epoch)?;
            }
            plan.paid_until = stake.paid_until.max(until);
            if plan.paid_until == stake.end_epoch {
                plan.upkeep =
                    maintenance(config, stake.hours_per_epoch, epochs)?.min(stake.deposit);
                plan.payout += stake.deposit - plan.upkeep;
                plan.rewards =
                    per_device_hour(economics.gamma, stake.hours_per_epoch, rewarded, false)?;
                plan.finished = true;
            }
        }
    }
    // Refunds already paid to clients out of escrow are netted off the pay; then what open
    // disputes' leases paid is retained (with what was retained before), and no more.
    let netted = plan.payout.min(stake.clawback);
    plan.payout -= netted;
    plan.clawback = stake.clawback - netted;
    let due = plan.payout.checked_add(stake.retained)?;
    plan.retained = due.min(stake.disputed);
    plan.payout = due - plan.retained;
    if plan.payout.is_zero() && plan.rewards.is_zero() && !plan.finished {
        return Err(ContractError::NothingToClaim {});
    }
    Ok(plan)
}

pub fn claim(deps: DepsMut, env: Env, sender: Addr, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut stake = load_owned(deps.storage, &sender, id)?;
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    let plan = plan_claim(deps.storage, &config, &pool, &stake)?;
    let left = emission_left(&deps.querier, &config, plan.rewards)?;
    let plan = plan.within_emission(&stake, left)?;
    pool.escrow = pool.escrow.checked_sub(plan.payout + plan.upkeep)?;
    stake.paid_until = plan.paid_until;
    stake.finished = plan.finished;
    stake.rewards_owed = plan.rewards_owed;
    stake.clawback = plan.clawback;
    stake.retained = plan.retained;
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let burned = advanced.fees + plan.upkeep;
    Ok(Response::new()
        .add_attribute("action", "claim")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("payout", plan.payout)
        .add_attribute("rewards", plan.rewards)
        .add_attribute("rewards_owed", plan.rewards_owed)
        .add_attribute("burned", burned)
        .add_attribute("finished", stake.finished.to_string())
        .add_messages(outflow::transfer(&config.token, &stake.owner, plan.payout)?)
        .add_messages(outflow::burn(&config.token, burned)?)
        .add_messages(outflow::reward(
            &config.factory,
            &stake.owner,
            plan.rewards,
        )?))
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{Decimal256, Uint128, from_json};

    use super::seller_proceeds;
    use crate::state::{SELLER_PRICE, Stake};

    fn seller(first_proceeds: &str) -> Stake {
        from_json(format!(
            r#"{{"id":2,"owner":"miner","token_id":"h100-2","device_id":"gpu","mode":"seller",
                "rate":"1","hours_per_epoch":"1000000","start_epoch":2,"end_epoch":5,
                "shares":"0","deposit":"1000000",{first_proceeds}"invalidated":false,
                "paid_until":2,"finished":false,"verified_from":2}}"#
        ))
        .unwrap()
    }

    /// A seller registered when a registration sold its first epoch at once (its stored
    /// `first_proceeds`) is paid that sale for that epoch and the boundaries' price after it;
    /// one registered since is paid its boundary's price for every epoch, the first included.
    #[test]
    fn a_legacy_sellers_first_epoch_is_paid_what_its_registration_sold() {
        let mut storage = MockStorage::new();
        SELLER_PRICE
            .save(&mut storage, 2, &Decimal256::percent(300))
            .unwrap();
        SELLER_PRICE
            .save(&mut storage, 3, &Decimal256::percent(200))
            .unwrap();
        let legacy = seller(r#""first_proceeds":"10","#);
        assert_eq!(legacy.first_proceeds, Some(Uint128::new(10)));
        assert_eq!(seller_proceeds(&storage, &legacy, 2).unwrap().u128(), 10);
        assert_eq!(
            seller_proceeds(&storage, &legacy, 3).unwrap().u128(),
            2_000_000
        );
        let now = seller("");
        assert_eq!(now.first_proceeds, None);
        assert_eq!(
            seller_proceeds(&storage, &now, 2).unwrap().u128(),
            3_000_000
        );
        assert_eq!(
            seller_proceeds(&storage, &now, 3).unwrap().u128(),
            2_000_000
        );
        assert_eq!(seller_proceeds(&storage, &now, 1).unwrap().u128(), 0);
    }
}
