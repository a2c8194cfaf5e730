//! Stakes: stake, renew, claim.

use cosmwasm_std::{Addr, Decimal256, DepsMut, Env, Response, Storage, Timestamp, Uint128};
use loopin::stake_cert::{self, StakeMode, StakeTerms};
use loopin_pool_math::amm::Reserves;
use loopin_pool_math::capacity::hours_per_epoch;
use loopin_pool_math::{MathError, shares};

use crate::device_claim;
use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::outflow::{self, per_device_hour};
use crate::requests::{StakeRequest, check_deadline};
use crate::state::{
    Config, POOL, PROVIDER_HOURS_ENDING, SELLER_PRICE, SHARE_VALUE, SHARES_ENDING, STAKE_BY_TOKEN,
    STAKES, STAKES_BY_OWNER, Stake, UNPROVEN_SETTLED, add,
};
use crate::verification::first_unsold;

pub(crate) fn timestamp(config: &Config, epoch: u64) -> Result<Timestamp, ContractError> {
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
    check_deadline(&env, request.deadline)?;
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
        proven_epochs: 0,
        settled_through: 0,
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
            // The price the stake pays for its hours: the spot it matches, or the one it sets.
            if let Some(max) = request.max_price {
                let price = if sets_price {
                    Reserves {
                        hours,
                        tokens: pool.reserves.tokens.checked_add(liquidity)?,
                    }
                    .spot_price()?
                } else {
                    pool.reserves.spot_price()?
                };
                if price > Decimal256::from(max) {
                    return Err(ContractError::PriceAboveMaximum { price, max });
                }
            }
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
            if let Some(min) = request.min_shares
                && deposit.shares < min
            {
                return Err(ContractError::SharesBelowMinimum {
                    minted: deposit.shares,
                    min,
                });
            }
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
    // An unproven epoch's proceeds went to its clients and back to the pool when it settled.
    if epoch < first || UNPROVEN_SETTLED.has(storage, (stake.id, epoch)) {
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

pub(crate) fn load_owned(
    storage: &dyn Storage,
    sender: &Addr,
    id: u64,
) -> Result<Stake, ContractError> {
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
