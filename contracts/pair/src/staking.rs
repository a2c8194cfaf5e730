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
    Config, POOL, PROVIDER_HOURS_ENDING, Pool, SELLER_PRICE, SHARE_VALUE, SHARES_ENDING,
    STAKE_BY_TOKEN, STAKES, STAKES_BY_OWNER, Stake, UNPROVEN_SETTLED, add,
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

/// The LOOP a Stake hook brought, and what of it is left once its staking fee is taken.
struct Payment {
    amount: Uint128,
    staking_fee: Uint128,
    available: Uint128,
}

/// Stakes a device (a Stake hook): checks the request and its device's claim, takes the
/// staking fee, lists a provider's hours with its LOOP or escrows a seller's deposit, records
/// the stake and mints its certificate; the rest of the LOOP goes back to the staker.
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
    let payment = take_staking_fee(config, &request, amount)?;
    let mut stake = new_stake(config, &mut pool, &staker, &request, hours);
    let burned = payment.staking_fee + advanced.fees;
    let spent = match request.mode {
        StakeMode::LiquidityProvider => {
            list_provider_hours(deps.storage, &mut pool, &mut stake, &request, &payment)?
        }
        StakeMode::Seller => {
            escrow_seller_deposit(config, &mut pool, &mut stake, &request, &payment)?
        }
    };
    STAKES.save(deps.storage, stake.id, &stake)?;
    STAKES_BY_OWNER.save(deps.storage, (&staker, stake.id), &cosmwasm_std::Empty {})?;
    STAKE_BY_TOKEN.save(deps.storage, &stake.token_id, &stake.id)?;
    POOL.save(deps.storage, &pool)?;
    let mint = mint_certificate(&env, config, &stake, request)?;
    Ok(stake_response(&stake, &payment, burned)
        .add_message(outflow::execute(&config.stake_cert, &mint)?)
        .add_messages(outflow::burn(&config.token, burned)?)
        .add_messages(outflow::transfer(
            &config.token,
            &staker,
            payment.available - spent,
        )?))
}

/// Takes the staking fee (`alpha` of the rate, rounded up) out of the LOOP a stake brought.
#[inline(always)]
fn take_staking_fee(
    config: &Config,
    request: &StakeRequest,
    amount: Uint128,
) -> Result<Payment, ContractError> {
    let staking_fee = config
        .params
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
    Ok(Payment {
        amount,
        staking_fee,
        available,
    })
}

/// A new stake of `hours` per epoch, from the first epoch its mode can still supply, with the
/// pool's next stake id (taken here); nothing listed or escrowed yet.
#[inline(always)]
fn new_stake(
    config: &Config,
    pool: &mut Pool,
    staker: &Addr,
    request: &StakeRequest,
    hours: Uint128,
) -> Stake {
    let start = first_unsold(pool, request.mode);
    let id = pool.next_stake_id;
    pool.next_stake_id += 1;
    Stake {
        id,
        owner: staker.clone(),
        token_id: format!("{}-{id}", config.class),
        device_id: request.device_id.clone(),
        mode: request.mode,
        rate: request.rate,
        hours_per_epoch: hours,
        start_epoch: start,
        end_epoch: start + request.epochs,
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
    }
}

/// A provider's stake: lists every hour of its device with the LOOP that matches them, mints
/// its shares and books their end. Returns the LOOP it put in the pool.
#[inline(always)]
fn list_provider_hours(
    storage: &mut dyn Storage,
    pool: &mut Pool,
    stake: &mut Stake,
    request: &StakeRequest,
    payment: &Payment,
) -> Result<Uint128, ContractError> {
    let hours = stake.hours_per_epoch;
    // Without hours listed (a new pool, or every hour leased or gone) the provider sets
    // the price with the LOOP it brings; otherwise it matches the spot price.
    let sets_price = pool.reserves.hours.is_zero();
    let liquidity = provider_liquidity(pool, request, payment, hours, sets_price)?;
    check_max_price(pool, request, hours, liquidity, sets_price)?;
    let deposit = provider_deposit(pool, hours, liquidity, sets_price)?;
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
    add(storage, &SHARES_ENDING, stake.end_epoch, deposit.shares)?;
    add(storage, &PROVIDER_HOURS_ENDING, stake.end_epoch, hours)?;
    Ok(deposit.taken.tokens)
}

/// The LOOP a provider lists its hours with: what it brings (up to its `max_liquidity`) where
/// it sets the price, else what matches its hours at the spot price, which it must cover.
#[inline(always)]
fn provider_liquidity(
    pool: &Pool,
    request: &StakeRequest,
    payment: &Payment,
    hours: Uint128,
    sets_price: bool,
) -> Result<Uint128, ContractError> {
    let available = payment.available;
    if sets_price {
        return Ok(request.max_liquidity.unwrap_or(available).min(available));
    }
    let needed = pool.reserves.matching_tokens(hours)?;
    if request.max_liquidity.is_some_and(|max| needed > max) || needed > available {
        return Err(ContractError::InsufficientFunds {
            needed: payment.staking_fee + needed,
            offered: request
                .max_liquidity
                .map_or(payment.amount, |max| payment.staking_fee + max),
        });
    }
    Ok(needed)
}

/// Refuses a provider's stake above its `max_price`: the price it pays for its hours, the spot
/// it matches or the one it sets.
#[inline(always)]
fn check_max_price(
    pool: &Pool,
    request: &StakeRequest,
    hours: Uint128,
    liquidity: Uint128,
    sets_price: bool,
) -> Result<(), ContractError> {
    let Some(max) = request.max_price else {
        return Ok(());
    };
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
    Ok(())
}

/// The shares a provider's `hours` and `liquidity` mint. Where it sets the price of a pool
/// with shares, they are valued on the LOOP side alone (shares are claims on LOOP).
#[inline(always)]
fn provider_deposit(
    pool: &Pool,
    hours: Uint128,
    liquidity: Uint128,
    sets_price: bool,
) -> Result<shares::Deposit, ContractError> {
    let offered = Reserves {
        hours,
        tokens: liquidity,
    };
    if !sets_price || pool.total_shares.is_zero() {
        return Ok(shares::deposit(
            &pool.reserves,
            pool.total_shares,
            &offered,
        )?);
    }
    if pool.reserves.tokens.is_zero() {
        return Err(ContractError::NoPrice {});
    }
    let minted = liquidity.multiply_ratio(pool.total_shares, pool.reserves.tokens);
    if minted.is_zero() {
        return Err(MathError::DepositTooSmall.into());
    }
    Ok(shares::Deposit {
        shares: minted,
        locked: Uint128::zero(),
        taken: offered,
        reserves: pool.reserves,
    })
}

/// A seller's stake: escrows its deposit (the class's `seller_deposit` of its rate, at least
/// its maintenance). Its hours are sold only once its device is registered
/// (`DeviceRegistered`): the pool pays nothing for hours no device has. Returns the deposit.
#[inline(always)]
fn escrow_seller_deposit(
    config: &Config,
    pool: &mut Pool,
    stake: &mut Stake,
    request: &StakeRequest,
    payment: &Payment,
) -> Result<Uint128, ContractError> {
    let deposit = config
        .params
        .seller_deposit
        .mul_ceil(request.rate)
        .max(maintenance(config, stake.hours_per_epoch, request.epochs)?);
    if deposit > payment.available {
        return Err(ContractError::InsufficientFunds {
            needed: payment.staking_fee + deposit,
            offered: payment.amount,
        });
    }
    pool.escrow = pool.escrow.checked_add(deposit)?;
    stake.deposit = deposit;
    Ok(deposit)
}

/// The stake-cert Mint of a new stake's certificate, its terms those of the stake.
#[inline(always)]
fn mint_certificate(
    env: &Env,
    config: &Config,
    stake: &Stake,
    request: StakeRequest,
) -> Result<stake_cert::ExecuteMsg, ContractError> {
    Ok(stake_cert::ExecuteMsg::Mint {
        token_id: stake.token_id.clone(),
        owner: stake.owner.to_string(),
        terms: StakeTerms {
            pool: env.contract.address.to_string(),
            device_id: request.device_id,
            mode: request.mode,
            start: timestamp(config, stake.start_epoch)?,
            expiry: timestamp(config, stake.end_epoch)?,
            rate: request.rate,
            commitment: request.commitment,
        },
        token_uri: None,
    })
}

/// The attributes of a Stake.
#[inline(always)]
fn stake_response(stake: &Stake, payment: &Payment, burned: Uint128) -> Response {
    Response::new()
        .add_attribute("action", "stake")
        .add_attribute("stake_id", stake.id.to_string())
        .add_attribute("token_id", &stake.token_id)
        .add_attribute("staker", &stake.owner)
        .add_attribute("mode", format!("{:?}", stake.mode))
        .add_attribute("hours_per_epoch", stake.hours_per_epoch)
        .add_attribute("start_epoch", stake.start_epoch.to_string())
        .add_attribute("end_epoch", stake.end_epoch.to_string())
        .add_attribute("shares", stake.shares)
        .add_attribute("deposit", stake.deposit)
        .add_attribute("staking_fee_burned", payment.staking_fee)
        .add_attribute("burned", burned)
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
