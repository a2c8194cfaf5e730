//! The curve registrations' first sales are priced on ([`SELLERS_CURVE`]): the pool's reserves
//! as the last boundary's sellers' sale left them, moved since by registrations' sales and by
//! providers joining, never by clients' trades (docs/pair.md, "Sellers' sales").

use cosmwasm_std::{Decimal, Storage, Uint128};
use loopin_pool_math::MathError;
use loopin_pool_math::amm::{Reserves, Swap};

use crate::error::ContractError;
use crate::state::{Pool, SELLERS_CURVE, SellersCurve};

/// The curve as of now: its LOOP side scaled to the shares of now (the budget is spent per
/// share, and LOOP moved in or out since the boundary, a deposit of 600,000 LOOP then 10 % of
/// it withdrawn, once made a registration spend a larger part of every share's budget).
/// Before a pair's first boundary with it, the pool's reserves (the budget is then empty).
fn curve_now(storage: &dyn Storage, pool: &Pool) -> Result<Reserves, ContractError> {
    Ok(match SELLERS_CURVE.may_load(storage)? {
        Some(curve) if !curve.shares.is_zero() => Reserves {
            hours: curve.reserves.hours,
            tokens: curve
                .reserves
                .tokens
                .checked_multiply_ratio(pool.total_shares, curve.shares)
                .map_err(|_| MathError::Overflow)?,
        },
        Some(curve) => curve.reserves,
        None => pool.reserves,
    })
}

/// What a registering seller's first sale of `hours` pays now, within what is left of the
/// seller budget, down to nothing: the lesser of the sale on the sellers' curve and the sale
/// on the pool's own. No trade of the epoch moves the sellers' curve: priced on the pool's
/// alone, a seller's own lease raised the price its registration sold at, and the providers'
/// unspent budget paid the difference (found by the fairness property). Never above the
/// pool's own sale, so a registration sells no hour above the pool's price and `k` never falls
/// (CI's random sequences found one that did, after a provider joined). Also returns the
/// sellers' curve the sale leaves.
pub fn registration_sale(
    storage: &dyn Storage,
    pool: &Pool,
    hours: Uint128,
    fee: Decimal,
) -> Result<(Swap, SellersCurve), ContractError> {
    let curve = curve_now(storage, pool)?;
    let budget = pool.seller_budget()?;
    let on_curve = curve
        .sell_hours_within(hours, fee, budget)
        .map_err(|_| ContractError::NoPrice {})?;
    // Without hours listed the pool has no price of its own: the curve's stands.
    let sale = match pool.reserves.sell_hours_within(hours, fee, budget) {
        Ok(on_pool) if on_pool.receive < on_curve.receive => on_pool,
        _ => on_curve,
    };
    let left = SellersCurve {
        reserves: Reserves {
            hours: curve.hours.checked_add(sale.offer)?,
            tokens: curve
                .tokens
                .checked_sub(sale.receive.checked_add(sale.fee)?)?,
        },
        shares: pool.total_shares,
    };
    Ok((sale, left))
}

/// A provider's stake joined the pool after the boundary with its hours and their LOOP,
/// minting shares from `before` to the pool's `total_shares`: the sellers' curve takes hours
/// in the same proportion (rounded up, so the curve's price of an hour never rises), its LOOP
/// side following the shares as it does. Kept at the boundary's hours, the curve's price of an
/// hour rose with every provider that joined, and a registration spent the other shares'
/// budget above the pool's own price.
pub fn provider_joined(
    storage: &mut dyn Storage,
    pool: &Pool,
    before: Uint128,
) -> Result<(), ContractError> {
    let Some(mut curve) = SELLERS_CURVE.may_load(storage)? else {
        return Ok(());
    };
    if before.is_zero() || curve.shares.is_zero() || pool.total_shares <= before {
        return Ok(());
    }
    curve.reserves.hours = curve
        .reserves
        .hours
        .checked_mul_ceil((pool.total_shares, before))
        .map_err(|_| MathError::Overflow)?;
    SELLERS_CURVE.save(storage, &curve).map_err(Into::into)
}
